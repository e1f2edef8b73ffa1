//! `agent agent validate`: the tutorial's file passes, and each kind of
//! mistake a user makes is reported at its line and column, with exit code 2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use predicates::prelude::*;
use support::{Env, repo, shipped_agent_files};

#[test]
fn the_tutorial_agent_file_validates() {
    let env = Env::new();
    env.agent()
        .args(["agent", "validate"])
        .arg(repo().join(".kiro/agents/refactor-bot.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("agent `refactor-bot`"));
}

#[test]
fn every_shipped_example_validates() {
    let env = Env::new();
    for file in shipped_agent_files() {
        env.agent()
            .args(["agent", "validate"])
            .arg(&file)
            .assert()
            .success();
    }
}

/// Validates `text` as `bad.json` and returns stderr, asserting exit code 2.
fn rejected(text: &str) -> String {
    let env = Env::new();
    let file = env.write("bad.json", text);
    let output = env
        .agent()
        .args(["agent", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit code 2 for {text}"
    );
    String::from_utf8(output.stderr).unwrap()
}

/// Validates `text` as `warn.json`: it loads (exit 0) with warnings, and
/// `--strict` rejects it (exit 2). Returns the warnings.
fn warned(text: &str) -> String {
    let env = Env::new();
    let file = env.write("warn.json", text);
    let output = env
        .agent()
        .args(["agent", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success(),
        "expected {text} to load:\n{stderr}"
    );
    let strict = env
        .agent()
        .args(["agent", "validate", "--strict"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        strict.status.code(),
        Some(2),
        "--strict should reject {text}"
    );
    stderr
}

#[test]
fn a_snake_case_key_is_a_warning_with_a_hint_and_the_tool_asks() {
    let stderr = warned(
        "{\n  \"name\": \"a\", \"toolsSettings\": {\n    \"shell\": {\n      \"allowed_commands\": [\"ls\"]\n    }\n  }\n}\n",
    );
    assert!(
        stderr.contains("`allowed_commands` is not a `shell` setting"),
        "{stderr}"
    );
    assert!(stderr.contains("every `shell` call asks"), "{stderr}");
    assert!(stderr.contains("warn.json:4:7"), "{stderr}");
    assert!(
        stderr.contains("toolsSettings.shell.allowed_commands"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `allowedCommands`?"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_top_level_key_is_an_error() {
    let stderr = rejected("{\n  \"name\": \"x\",\n  \"allowed_tools\": [\"read\"]\n}");
    assert!(stderr.contains("bad.json:3:3"), "{stderr}");
    assert!(stderr.contains("did you mean `allowedTools`?"), "{stderr}");
}

#[test]
fn a_wrong_type_names_the_value() {
    let stderr = rejected("{\"toolsSettings\": {\"shell\": {\"autoAllowReadonly\": \"yes\"}}}");
    assert!(stderr.contains("expected a boolean"), "{stderr}");
    assert!(stderr.contains("bad.json:1:51"), "{stderr}");
    assert!(
        stderr.contains("toolsSettings.shell.autoAllowReadonly"),
        "{stderr}"
    );
}

#[test]
fn a_regex_that_does_not_compile_is_an_error() {
    let stderr = rejected(
        "{\n\"toolsSettings\": {\"shell\": {\"deniedCommands\": [\"rm .*\", \"^(?!ls$).*\"]}}}",
    );
    assert!(stderr.contains("bad.json:2:57"), "{stderr}");
    assert!(
        stderr.contains("toolsSettings.shell.deniedCommands[1]"),
        "{stderr}"
    );
    assert!(stderr.contains("look-around"), "{stderr}");
}

#[test]
fn a_glob_that_does_not_parse_is_dropped_with_a_warning() {
    let stderr = warned(
        "{\"toolsSettings\": {\"write\": {\"allowedPaths\": [\"src/[ab\"]}}, \"name\": \"a\"}",
    );
    assert!(
        stderr.contains("toolsSettings.write.allowedPaths[0]"),
        "{stderr}"
    );
    assert!(stderr.contains("not a valid glob"), "{stderr}");
    assert!(stderr.contains("warn.json:1:47"), "{stderr}");
}

#[test]
fn unknown_tool_names_are_skipped_with_a_warning() {
    let stderr = warned(
        "{\n  \"name\": \"a\", \"tools\": [\"read\"],\n  \"allowedTools\": [\"read\", \"fs_wirte\"]\n}",
    );
    assert!(stderr.contains("warn.json:3:28"), "{stderr}");
    assert!(stderr.contains("did you mean `fs_write`?"), "{stderr}");
    assert!(stderr.contains("pre-approves nothing"), "{stderr}");

    let stderr = warned("{\"name\": \"a\", \"toolsSettings\": {\"shel\": {}}}");
    assert!(stderr.contains("`shel` is not a tool"), "{stderr}");
    assert!(stderr.contains("did you mean `shell`?"), "{stderr}");
}

#[test]
fn mcp_tool_settings_are_passed_through() {
    let env = Env::new();
    let file = env.write(
        "ok.json",
        r#"{"name": "a", "tools": ["@git"], "allowedTools": ["@git/status"], "toolsSettings": {"@git/status": {"anything": [1, 2]}}}"#,
    );
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn old_tool_names_are_aliases() {
    let env = Env::new();
    let file = env.write(
        "old.json",
        r#"{"name": "a", "tools": ["fs_read", "fs_write", "execute_bash"], "allowedTools": ["fs_read"],
            "toolsSettings": {"fs_write": {"allowedPaths": ["src/**"]}, "execute_bash": {"allowedCommands": ["ls"]}}}"#,
    );
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success();
    let stderr = warned(r#"{"name": "a", "toolsSettings": {"fs_write": {}, "write": {}}}"#);
    assert!(stderr.contains("both `fs_write` and `write`"), "{stderr}");
}

#[test]
fn a_syntax_error_has_a_position() {
    let stderr = rejected("{\n  \"name\": \"x\",\n  \"tools\": [\"read\",]\n}");
    assert!(stderr.contains("not valid JSON"), "{stderr}");
    assert!(stderr.contains("bad.json:3:"), "{stderr}");
}

#[test]
fn a_duplicated_key_is_an_error() {
    let stderr = rejected(
        "{\n  \"toolsSettings\": {\"shell\": {\"deniedCommands\": [\"rm .*\"], \"deniedCommands\": []}}\n}",
    );
    assert!(stderr.contains("given twice"), "{stderr}");
    assert!(stderr.contains("bad.json:2:"), "{stderr}");
}

#[test]
fn a_missing_prompt_file_is_an_error() {
    let stderr = rejected("{\"prompt\": \"file://prompts/missing.md\", \"name\": \"a\"}");
    assert!(stderr.contains("cannot read prompt file"), "{stderr}");
    assert!(stderr.contains("bad.json:1:12"), "{stderr}");
}

#[test]
fn a_prompt_file_resolves_next_to_the_agent_file() {
    let env = Env::new();
    env.write("agents/prompts/p.md", "Be careful.");
    let file = env.write(
        "agents/a.json",
        "{\"name\": \"a\", \"prompt\": \"file://prompts/p.md\"}",
    );
    let elsewhere = env.workspace.join("agents/prompts");
    env.agent_in(&elsewhere)
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn all_problems_are_reported_in_one_run() {
    let stderr = warned(
        r#"{"name": "a", "allowedTools": ["nope"], "toolsSettings": {"shell": {"deniedCommands": ["("]}, "write": {"allowedPaths": ["[x"]}}}"#,
    );
    assert_eq!(stderr.matches("warning:").count(), 3, "{stderr}");
    assert!(stderr.contains("refuses every shell command"), "{stderr}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let env = Env::new();
    env.agent()
        .args(["agent", "validate", "nope.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read nope.json"));
}

#[test]
fn a_non_object_file_is_an_error_with_a_position() {
    let stderr = rejected("[1, 2]");
    assert!(stderr.contains("bad.json:1:1"), "{stderr}");
}

#[test]
fn sandbox_settings_that_cannot_be_read_refuse_every_shell_call() {
    let stderr = warned(
        "{\n  \"name\": \"a\", \"toolsSettings\": {\"shell\": {\"sandbox\": \"requried\"}}\n}",
    );
    assert!(stderr.contains("warn.json:2:55"), "{stderr}");
    assert!(stderr.contains("toolsSettings.shell.sandbox"), "{stderr}");
    assert!(stderr.contains("every shell call is refused"), "{stderr}");

    let stderr =
        warned("{\"name\": \"a\", \"toolsSettings\": {\"shell\": {\"network\": \"yes\"}}}");
    assert!(stderr.contains("expected a boolean"), "{stderr}");
    assert!(stderr.contains("toolsSettings.shell.network"), "{stderr}");

    let stderr = rejected(
        "{\"toolsSettings\": {\"shell\": {\"writablePaths\": [\"cache\", \"~/.ssh\", \"src/.git\"]}}}",
    );
    assert!(stderr.contains("bad.json:1:57"), "{stderr}");
    assert!(
        stderr.contains("toolsSettings.shell.writablePaths[1]"),
        "{stderr}"
    );
    assert!(stderr.contains("holds credentials"), "{stderr}");
    assert!(
        stderr.contains("toolsSettings.shell.writablePaths[2]"),
        "{stderr}"
    );
    assert!(stderr.contains("protected path"), "{stderr}");

    let env = Env::new();
    let file = env.write(
        "ok.json",
        r#"{"name": "a", "toolsSettings": {"shell": {"sandbox": "required", "network": true, "writablePaths": ["target", "~/.cache/pip"]}}}"#,
    );
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success();
}
