//! `agent chat --no-interactive`: output formats, exit codes, saved
//! sessions, `--resume` and the audit log, against the scripted server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol, Scripted};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"allowedCommands": ["echo .*"], "deniedCommands": ["rm .*"]}}}"#;

fn env() -> Env {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("notes.txt", "hello notes\n");
    env
}

async fn chat(env: &Env, server: &ModelServer, args: &[&str]) -> Output {
    env.chat_headless(&server.url, args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn text_output_prints_the_answer_and_progress_separately() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "read", json!({"path": "notes.txt"}))]),
        Protocol::OpenAi.text("The notes say hello."),
    ])
    .await;
    let output = chat(&env, &server, &["what do the notes say?"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "The notes say hello.\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[read {\"path\":\"notes.txt\"}] allow"),
        "{stderr}"
    );
    let second = server.requests()[1].body.to_string();
    assert!(
        second.contains("hello notes"),
        "the tool result went back to the model"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_json_prints_one_event_per_line() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "shell", json!({"command": "rm -rf ."}))]),
        Protocol::OpenAi.text("Refused, as expected."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &["--output-format", "stream-json", "clean up"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0));
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "session_start");
    assert_eq!(events[0]["tools"], json!(["read", "shell"]));
    let call = events.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!(call["decision"], "deny");
    assert_eq!(call["reasons"][0]["pattern"], "rm .*");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "result");
    assert_eq!(last["permission_denials"].as_array().unwrap().len(), 1);
    assert!(env.workspace.join("notes.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_error_exits_1_and_bad_usage_exits_2() {
    let env = env();
    let server = ModelServer::start(vec![Scripted::error(401, "invalid api key")]).await;
    let output = chat(&env, &server, &["--output-format", "json", "hi"]).await;
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["is_error"], true);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("401: invalid api key"),
        "{report}"
    );

    for args in [
        vec![],
        vec!["--model", "llama3", "hi"],
        vec!["--agent", "nope", "hi"],
    ] {
        let output = chat(
            &env,
            &server,
            &args.iter().map(|s| &**s).collect::<Vec<_>>(),
        )
        .await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    env.agent().args(["chat", "hi"]).assert().code(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_saved_resumed_and_audited() {
    let env = env();
    let audit_copy = env.workspace.join("ci-audit.jsonl");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            ("c1", "shell", json!({"command": "echo audited"})),
            ("c2", "shell", json!({"command": "rm x"})),
        ]),
        Protocol::OpenAi.text("first answer"),
        Protocol::OpenAi.text("second answer"),
    ])
    .await;
    let first = chat(
        &env,
        &server,
        &[
            "--audit-log",
            audit_copy.to_str().unwrap(),
            "first question",
        ],
    )
    .await;
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = chat(&env, &server, &["--resume", "second question"]).await;
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let resumed_request = server.requests()[2].body.to_string();
    assert!(resumed_request.contains("first question") && resumed_request.contains("first answer"));

    let lines: Vec<Value> = std::fs::read_to_string(&audit_copy)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            lines[0]["tool"].as_str(),
            lines[0]["decision"].as_str(),
            lines[0]["exit_code"].as_i64()
        ),
        (Some("shell"), Some("allow"), Some(0))
    );
    assert_eq!(lines[1]["decision"], "deny");
    assert!(
        lines[1]["reasons"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("bot.json")
    );

    let listing = env
        .agent()
        .args(["chat", "--list-sessions"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(
        listing.contains("bot  openai/scripted") && listing.contains("first question"),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_and_keys_can_come_from_settings_which_never_print_keys() {
    let env = env();
    let server = ModelServer::start(vec![Protocol::OpenAi.text("configured")]).await;
    env.agent()
        .args([
            "settings",
            "provider.openai.baseUrl",
            &format!("{}/v1", server.url),
        ])
        .assert()
        .success();
    env.agent()
        .args(["settings", "provider.openai.apiKey", "sk-from-settings"])
        .assert()
        .success();
    let listing = env.agent().arg("settings").output().unwrap();
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("sk-from-settings"));
    let single = env
        .agent()
        .args(["settings", "provider.openai.apiKey"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&single.stdout),
        "(set; not shown)\n"
    );
    let doctor = env.agent().arg("doctor").output().unwrap();
    let doctor = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        doctor.contains("openai     key set") && !doctor.contains("sk-from-settings"),
        "{doctor}"
    );

    let mut command = env.std_command(&env.workspace);
    command.args([
        "chat",
        "--no-interactive",
        "--agent",
        "bot",
        "--model",
        "openai/scripted",
        "hi",
    ]);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        server.requests()[0].headers["authorization"],
        "Bearer sk-from-settings"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_looking_variables_reach_commands_only_when_the_agent_names_them() {
    let env = Env::new();
    let agent = |pass: &str| {
        format!(
            r#"{{"name": "bot", "tools": ["shell"], "toolsSettings": {{"shell": {{"allowedCommands": ["echo .*"], "passEnv": [{pass}]}}}}}}"#
        )
    };
    for (pass, expected) in [("", "value=\n"), ("\"DEPLOY_TOKEN\"", "value=t0k3n\n")] {
        env.write(".kiro/agents/bot.json", &agent(pass));
        let server = ModelServer::start(vec![
            Protocol::OpenAi.tool_calls(&[(
                "c1",
                "shell",
                json!({"command": "echo value=$DEPLOY_TOKEN"}),
            )]),
            Protocol::OpenAi.text("ok"),
        ])
        .await;
        let mut command = env.std_command(&env.workspace);
        command
            .args([
                "chat",
                "--no-interactive",
                "--agent",
                "bot",
                "--model",
                "openai/scripted",
                "--output-format",
                "json",
                "go",
            ])
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
            .env("DEPLOY_TOKEN", "t0k3n");
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let shown = report["tool_calls"][0]["output"].as_str().unwrap();
        assert!(shown.ends_with(expected), "{pass}: {shown}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_session_goes_on_numbering_its_checkpoints() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("first answer"),
        Protocol::OpenAi.text("second answer"),
    ])
    .await;
    for args in [&["first question"][..], &["--resume", "second question"]] {
        let output = chat(&env, &server, args).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let listing = env.agent().args(["checkpoint", "list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    let rows: Vec<(&str, &str)> = listing
        .lines()
        .map(|row| {
            let tag = row.split_whitespace().next().unwrap();
            (
                tag,
                row.split_once("  ").unwrap().1.rsplit_once("  ").unwrap().1,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("1", "baseline"),
            ("2", "turn: first question"),
            ("3", "turn: second question")
        ],
        "{listing}"
    );
}
