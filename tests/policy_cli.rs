//! `agent policy check`: one JSON decision, or a readable tree, exit 0
//! whenever it could decide.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use predicates::prelude::*;
use support::{Env, repo};

fn env_with_tutorial_agent() -> Env {
    let env = Env::new();
    let text = std::fs::read_to_string(repo().join(".kiro/agents/refactor-bot.json")).unwrap();
    env.write(".kiro/agents/refactor-bot.json", &text);
    env
}

fn decision(env: &Env, args: &[&str]) -> serde_json::Value {
    let output = env
        .agent()
        .args(["policy", "check", "--agent", "refactor-bot"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn shell_decisions_as_json() {
    let env = env_with_tutorial_agent();
    let allow = decision(&env, &["shell", "python -m pytest -q"]);
    assert_eq!(allow["decision"], "allow");
    let deny = decision(
        &env,
        &["shell", "python -m pytest -q && git push origin main"],
    );
    assert_eq!(deny["decision"], "deny");
    assert_eq!(deny["reasons"][0]["pattern"], "git push.*");
    assert!(
        deny["reasons"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("refactor-bot.json:11:"),
        "{deny}"
    );
    let ask = decision(&env, &["shell", "make"]);
    assert_eq!(ask["decision"], "ask");
    let unattended = decision(&env, &["--unattended", "shell", "make"]);
    assert_eq!(unattended["decision"], "deny");
}

#[test]
fn paths_and_raw_input() {
    let env = env_with_tutorial_agent();
    assert_eq!(
        decision(&env, &["write", "src/inventory.py"])["decision"],
        "allow"
    );
    assert_eq!(
        decision(&env, &["write", ".kiro/agents/refactor-bot.json"])["decision"],
        "ask"
    );
    assert_eq!(
        decision(&env, &["--unattended", "write", "../outside.txt"])["decision"],
        "deny"
    );
    assert_eq!(
        decision(
            &env,
            &["--input", r#"{"path": "src/inventory.py"}"#, "read"]
        )["decision"],
        "allow"
    );
    assert_eq!(
        decision(&env, &["--trust-all-tools", "shell", "rm", "-rf", "tests"])["decision"],
        "deny"
    );
}

#[test]
fn explain_prints_each_simple_command_and_its_rule() {
    let env = env_with_tutorial_agent();
    env.agent()
        .args([
            "policy",
            "check",
            "--agent",
            "refactor-bot",
            "--explain",
            "shell",
        ])
        .arg("python -m pytest -q && git push origin main")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("deny"))
        .stdout(predicate::str::contains("├─ deny  git push origin main"))
        .stdout(predicate::str::contains("allow python -m pytest -q"))
        .stdout(predicate::str::contains("rule `git push.*` at"));
}

#[test]
fn bad_input_is_a_usage_error() {
    let env = env_with_tutorial_agent();
    env.agent()
        .args([
            "policy",
            "check",
            "--agent",
            "refactor-bot",
            "--input",
            "{nope",
            "shell",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--input is not valid JSON"));
    env.agent()
        .args(["policy", "check", "--agent", "refactr-bot", "shell", "ls"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `refactor-bot`?"));
    env.agent()
        .args(["policy", "check", "--agent", "refactor-bot", "aws"])
        .assert()
        .code(2);
}

#[test]
fn validate_warns_about_moot_fences_and_rules_that_never_match() {
    let env = Env::new();
    let file = env.write(
        "a.json",
        r#"{"name": "a", "tools": ["shell", "write"], "allowedTools": ["shell", "write", "grep"],
            "toolsSettings": {"write": {"allowedPaths": ["../shared/**", ".git/hooks/**"]}}}"#,
    );
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "neither `allowedCommands` nor `deniedCommands`",
        ))
        .stderr(predicate::str::contains(
            "`grep` is allowed but not in `tools`",
        ))
        .stderr(predicate::str::contains("`../shared/**` can never match"))
        .stderr(predicate::str::contains("never written unasked"));
    let file = env.write(
        "b.json",
        r#"{"name": "b", "tools": ["shell"], "toolsSettings": {"shell": {"allowedCommands": ["cd src && make"]}}}"#,
    );
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "can never match: each simple command",
        ));
}
