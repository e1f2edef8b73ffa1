//! `agent settings` and `agent doctor`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use predicates::prelude::*;
use support::Env;

#[test]
fn settings_round_trip_under_agent_home() {
    let env = Env::new();
    env.agent()
        .args(["settings", "chat.enableCheckpoint", "true"])
        .assert()
        .success();
    env.agent()
        .args(["settings", "chat.enableCheckpoint"])
        .assert()
        .success()
        .stdout("true\n");
    env.agent()
        .args(["settings", "chat.defaultModel", "openai/gpt-4.1"])
        .assert()
        .success();
    env.agent()
        .arg("settings")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chat.defaultModel = openai/gpt-4.1",
        ));
    assert!(env.agent_home.join("config/settings.json").is_file());
    env.agent()
        .args(["settings", "--delete", "chat.defaultModel"])
        .assert()
        .success();
    env.agent()
        .args(["settings", "chat.defaultModel"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not set"));
}

#[test]
fn unknown_keys_and_bad_values_are_refused_without_writing() {
    let env = Env::new();
    env.agent()
        .args(["settings", "chat.enable_checkpoint", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `chat.enableCheckpoint`?",
        ));
    env.agent()
        .args(["settings", "chat.enableCheckpoint", "yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("true or false"));
    assert!(!env.agent_home.join("config/settings.json").exists());
}

#[test]
fn a_corrupt_settings_file_is_reported_with_its_position() {
    let env = Env::new();
    let file = env.agent_home.join("config/settings.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{\n  \"chat.defaultModel\": 3\n}").unwrap();
    env.agent()
        .arg("settings")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("settings.json:2:24"));
}

#[test]
fn doctor_reports_key_presence_but_never_the_key() {
    let env = Env::new();
    env.agent()
        .arg("doctor")
        .env("OPENAI_API_KEY", "sk-very-secret-value")
        .assert()
        .success()
        .stdout(predicate::str::contains("openai     key set"))
        .stdout(predicate::str::contains("anthropic  no key"))
        .stdout(predicate::str::contains("sk-very-secret-value").not())
        .stdout(predicate::str::contains(
            env.agent_home.join("config").display().to_string(),
        ))
        .stdout(predicate::str::contains("Landlock"));
}
