//! `agent agent list|create|schema` and agent-file discovery.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use predicates::prelude::*;
use support::{Env, shipped_agent_files};

fn named(name: &str, description: &str) -> String {
    format!(r#"{{"name": "{name}", "description": "{description}"}}"#)
}

#[test]
fn lists_workspace_global_and_builtin_agents() {
    let env = Env::new();
    env.write(
        ".kiro/agents/local.json",
        &named("local", "from the workspace"),
    );
    env.write_home(".kiro/agents/global.json", &named("global", "from home"));
    env.agent()
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("local").and(predicate::str::contains("workspace")))
        .stdout(predicate::str::contains("global").and(predicate::str::contains("from home")))
        .stdout(predicate::str::contains("default").and(predicate::str::contains("built-in")));
}

#[test]
fn the_nearest_definition_wins_and_both_files_are_named() {
    let env = Env::new();
    let near = env.write(".kiro/agents/a.json", &named("bot", "near"));
    let far = env.write_home(".kiro/agents/b.json", &named("bot", "far"));
    let output = env.agent().args(["agent", "list"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stdout.contains("near") && !stdout.contains("far"),
        "{stdout}"
    );
    assert!(stderr.contains(&near.display().to_string()), "{stderr}");
    assert!(stderr.contains(&far.display().to_string()), "{stderr}");
}

#[test]
fn discovery_walks_up_to_the_git_root_and_no_further() {
    let env = Env::new();
    env.write(
        ".kiro/agents/root-agent.json",
        &named("root-agent", "at the root"),
    );
    let deep = env.workspace.join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        env.workspace.parent().unwrap().join("outside.json"),
        named("outside", "x"),
    )
    .unwrap();
    let above = env.workspace.parent().unwrap().join(".kiro/agents");
    std::fs::create_dir_all(&above).unwrap();
    std::fs::write(
        above.join("above.json"),
        named("above", "beyond the git root"),
    )
    .unwrap();
    env.agent_in(&deep)
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("root-agent"))
        .stdout(predicate::str::contains("above").not());
}

#[test]
fn legacy_q_cli_folders_are_read_where_kiro_ones_are_missing() {
    let env = Env::new();
    env.write(
        ".amazonq/cli-agents/old.json",
        &named("old", "legacy workspace"),
    );
    env.write_home(
        ".aws/amazonq/cli-agents/older.json",
        &named("older", "legacy global"),
    );
    env.write_home(".kiro/agents/old.json", &named("old", "kiro global"));
    env.agent()
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("legacy workspace"))
        .stdout(predicate::str::contains("legacy global"))
        .stdout(predicate::str::contains("kiro global").not());
    env.write(".kiro/agents/new.json", &named("new", "kiro workspace"));
    env.agent()
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kiro workspace"))
        .stdout(predicate::str::contains("kiro global"))
        .stdout(predicate::str::contains("legacy workspace").not());
}

#[test]
fn the_name_defaults_to_the_file_name_and_broken_files_are_flagged() {
    let env = Env::new();
    env.write(".kiro/agents/unnamed.json", "{}");
    env.write(".kiro/agents/broken.json", "{\"tools\": [");
    env.agent()
        .args(["agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unnamed"))
        .stdout(predicate::str::contains("broken").and(predicate::str::contains("INVALID")));
}

#[test]
fn create_writes_a_valid_starter_and_refuses_to_overwrite() {
    let env = Env::new();
    let sub = env.workspace.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    env.agent_in(&sub)
        .args(["agent", "create", "helper"])
        .assert()
        .success();
    let file = env.workspace.join(".kiro/agents/helper.json");
    let written = std::fs::read_to_string(&file).unwrap();
    env.agent()
        .args(["agent", "validate"])
        .arg(&file)
        .assert()
        .success();
    assert!(written.contains("\"deniedCommands\""), "{written}");

    std::fs::write(&file, "{\"name\": \"helper\", \"description\": \"mine\"}").unwrap();
    env.agent()
        .args(["agent", "create", "helper"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert!(std::fs::read_to_string(&file).unwrap().contains("mine"));
}

#[test]
fn create_rejects_names_that_are_paths() {
    let env = Env::new();
    for name in ["../evil", "a/b", ".hidden", ""] {
        env.agent()
            .args(["agent", "create", name])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("invalid agent name"));
    }
    assert!(!env.workspace.join(".kiro").exists());
}

fn schema_validator() -> jsonschema::Validator {
    let env = Env::new();
    let output = env.agent().args(["agent", "schema"]).output().unwrap();
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn every_shipped_agent_file_validates_against_the_schema() {
    let validator = schema_validator();
    let files = shipped_agent_files();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
}

/// The schema also flags keys the loader only warns about (unknown keys
/// inside settings and hooks), which is what an editor should show.
#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let validator = schema_validator();
    let rejected = [
        r#"{"toolsSettings": {"shell": {"allowed_commands": ["ls"]}}}"#,
        r#"{"promt": "x"}"#,
        r#"{"name": 1}"#,
        r#"{"tools": "read"}"#,
        r#"{"toolsSettings": {"shell": {"autoAllowReadonly": "yes"}}}"#,
        r#"{"hooks": {"preToolUse": [{"command": "x", "timeout": 5}]}}"#,
        r#"{"toolsSettings": {"shell": {"sandbox": "on"}}}"#,
        r#"{"toolsSettings": {"shell": {"writablePaths": "target"}}}"#,
    ];
    for text in rejected {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert!(!validator.is_valid(&value), "schema accepted {text}");
    }
    let accepted = r#"{"useLegacyMcpJson": true, "toolsSettings": {"fs_write": {"allowedPaths": ["src"]}, "@git/status": {"x": 1},
        "shell": {"sandbox": "required", "network": false, "writablePaths": ["target"]}}}"#;
    assert!(validator.is_valid(&serde_json::from_str(accepted).unwrap()));
}

#[test]
fn version_prints_the_crate_version() {
    Env::new()
        .agent()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("agent {}\n", env!("CARGO_PKG_VERSION")));
}
