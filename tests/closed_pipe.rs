//! `agent … | head -1`: when the reader of stdout goes away, `agent` ends
//! quietly (no panic, no "failed printing to stdout"), and a headless
//! chat still finishes its run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use support::Env;
use support::model_server::{ModelServer, Protocol};

/// Runs `command`, reads one line of its stdout, closes the pipe, and
/// waits for it.
fn first_line_then_close(mut command: Command) -> (String, Output) {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    (line, child.wait_with_output().unwrap())
}

fn assert_quiet(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("failed printing"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

#[test]
fn a_listing_ends_quietly_when_the_reader_goes() {
    let env = Env::new();
    let mut command = env.std_command(&env.workspace);
    command.arg("doctor");
    let (line, output) = first_line_then_close(command);
    assert!(line.starts_with("agent "), "{line}");
    assert_quiet(&output);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_headless_chat_finishes_its_run_when_the_reader_goes() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["read"], "allowedTools": ["read"]}"#,
    );
    env.write("notes.txt", &"a line\n".repeat(20_000));
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "read", serde_json::json!({"path": "notes.txt"}))]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--no-interactive", "--agent", "bot"])
        .args([
            "--model",
            "openai/scripted",
            "--output-format",
            "stream-json",
        ])
        .arg("go")
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(Stdio::null());
    let (line, output) = tokio::task::spawn_blocking(move || first_line_then_close(command))
        .await
        .unwrap();
    assert!(line.contains("session_start"), "{line}");
    assert_quiet(&output);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.requests().len(), 2, "the run went on to its end");
}
