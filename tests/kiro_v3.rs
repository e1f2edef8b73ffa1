//! Kiro 3 agents: Markdown with front matter, and JSON with `permissions`.
//! Their rules decide `agent policy check`, errors are positioned in the
//! front matter, and `agent agent convert` round-trips without changing a
//! decision.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;

use support::Env;

const MARKDOWN: &str = "---
description: Backend agent
tools: [read, write, shell]
permissions:
  - capability: shell
    effect: allow
    match: [\"npm *\", \"git status\"]
  - capability: shell
    effect: deny
    match: [\"rm *\", \"git push*\"]
  - capability: fs_write
    effect: allow
    match: [\"src/**\"]
  - capability: fs_read
    effect: deny
    match: [\"**/.env\"]
---
You are a backend developer.
";

const JSON: &str = r#"{
  "name": "v3-json",
  "tools": ["read", "write", "shell"],
  "permissions": {"rules": [
    {"capability": "shell", "match": ["npm *", "git status"], "effect": "allow"},
    {"capability": "shell", "match": ["rm *", "git push*"], "effect": "deny"},
    {"capability": "fs_write", "match": ["src/**"], "effect": "allow"},
    {"capability": "fs_read", "match": ["**/.env"], "effect": "deny"},
    {"capability": "shell", "match": ["make *"], "effect": "ask"}
  ]}
}
"#;

/// (tool, argument, decision) for both agents.
const CASES: &[(&str, &str, &str)] = &[
    ("shell", "npm test", "allow"),
    ("shell", "git status", "allow"),
    ("shell", "npm test && rm -rf build", "deny"),
    ("shell", "git push origin main", "deny"),
    ("shell", "cargo build", "ask"),
    ("write", "src/app.py", "allow"),
    ("write", "docs/notes.md", "ask"),
    ("read", ".env", "deny"),
];

fn decision(env: &Env, agent: &Path, tool: &str, arg: &str) -> String {
    let output = env
        .agent()
        .args(["policy", "check", "--agent"])
        .arg(agent)
        .args([tool, arg])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    value["decision"].as_str().expect("decision").to_string()
}

fn assert_cases(env: &Env, agent: &Path) {
    for (tool, arg, expected) in CASES {
        let got = decision(env, agent, tool, arg);
        assert_eq!(&got, expected, "{} {tool} {arg}", agent.display());
    }
}

#[test]
fn a_markdown_agent_decides_by_its_permissions() {
    let env = Env::new();
    let agent = env.write(".kiro/agents/backend.md", MARKDOWN);
    assert_cases(&env, &agent);
    env.agent()
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicates::str::contains("backend"));
}

#[test]
fn a_json_agent_with_permissions_decides_by_them_and_its_ask_rules_ask() {
    let env = Env::new();
    let agent = env.write(".kiro/agents/v3.json", JSON);
    assert_cases(&env, &agent);
    assert_eq!(decision(&env, &agent, "shell", "make test"), "ask");
}

#[test]
fn front_matter_errors_are_positioned_in_the_file() {
    let env = Env::new();
    let agent = env.write(
        ".kiro/agents/bad.md",
        "---\ndescription: x\ntools: read\n---\nbody\n",
    );
    let output = env
        .agent()
        .args(["agent", "validate"])
        .arg(&agent)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.md:3:8"), "{stderr}");
    let broken = env.write(".kiro/agents/broken.md", "---\nname: [a\n---\n");
    let output = env
        .agent()
        .args(["agent", "validate"])
        .arg(&broken)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.md:"), "{stderr}");
}

#[test]
fn convert_round_trips_without_changing_a_decision() {
    let env = Env::new();
    let markdown = env.write(".kiro/agents/backend.md", MARKDOWN);
    let json = env.workspace.join("converted/backend.json");
    std::fs::create_dir_all(json.parent().expect("parent")).expect("folder");
    env.agent()
        .args(["agent", "convert"])
        .arg(&markdown)
        .arg("-o")
        .arg(&json)
        .assert()
        .success();
    let text = std::fs::read_to_string(&json).expect("written");
    assert!(
        !text.contains("permissions"),
        "a V2 file has no permissions:\n{text}"
    );
    assert!(
        text.contains("allowedCommands") && text.contains("deniedCommands"),
        "{text}"
    );
    env.agent()
        .args(["agent", "validate", "--strict"])
        .arg(&json)
        .assert()
        .success();
    assert_cases(&env, &json);
    let back = env.workspace.join("converted/again.md");
    env.agent()
        .args(["agent", "convert"])
        .arg(&json)
        .arg("-o")
        .arg(&back)
        .assert()
        .success();
    assert_cases(&env, &back);
    let refused = env
        .agent()
        .args(["agent", "convert"])
        .arg(&json)
        .arg("-o")
        .arg(&back)
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2), "never overwrites");
}

#[test]
fn convert_says_what_v2_cannot_express() {
    let env = Env::new();
    let agent = env.write(".kiro/agents/v3.json", JSON);
    let markdown = env
        .agent()
        .args(["agent", "convert"])
        .arg(&agent)
        .output()
        .expect("runs");
    assert!(markdown.status.success());
    let text = String::from_utf8_lossy(&markdown.stdout);
    assert!(text.starts_with("---\n"), "{text}");
    let md = env.write(".kiro/agents/from-json.md", &text);
    let json = env
        .agent()
        .args(["agent", "convert"])
        .arg(&md)
        .output()
        .expect("runs");
    let notes = String::from_utf8_lossy(&json.stderr);
    assert!(
        notes.contains("ask rule") && notes.contains("left out"),
        "{notes}"
    );
}
