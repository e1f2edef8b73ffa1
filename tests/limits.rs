//! Every run ends: a model repeating the same call with the same result is
//! told so, then stopped (`loop`, exit 6); `--max-turns`, `--max-requests`,
//! `--max-tokens` and `--max-minutes` stop a run with their reason in the
//! `result` event and exit code 5. Against the scripted server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol, Scripted};
use support::{Env, stream_events};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"allowedCommands": ["echo .*", "python .*"]}}}"#;

const NOTE: &str = "this is the same result as before";

fn env() -> Env {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env
}

fn echo(id: &str, text: &str) -> Scripted {
    Protocol::OpenAi.tool_calls(&[(id, "shell", json!({"command": format!("echo {text}")}))])
}

/// The last line of a stream-json run: the result.
fn result(output: &Output) -> Value {
    stream_events(output).last().cloned().unwrap_or(Value::Null)
}

fn context(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_repeating_a_call_is_told_then_stopped_with_loop() {
    let env = env();
    let script = (1..=5).map(|i| echo(&format!("c{i}"), "same")).collect();
    let server = ModelServer::start(script).await;
    let output = env
        .chat_stream(&server.url, &["run echo same until it changes"])
        .await;
    assert_eq!(output.status.code(), Some(6), "{}", context(&output));
    let result = result(&output);
    assert_eq!(result["stop_reason"], "loop", "{result:#}");
    assert_eq!(result["is_error"], true);
    let requests = server.requests();
    assert_eq!(requests.len(), 5, "the fifth repetition ended the turn");
    let seen = |n: usize| requests[n].body.to_string();
    assert!(!seen(2).contains(NOTE), "the second time is not noted yet");
    assert!(seen(3).contains(NOTE), "the third result carries the note");
    let results: Vec<Value> = stream_events(&output)
        .into_iter()
        .filter(|e| e["type"] == "tool_result")
        .collect();
    assert!(
        results[2]["output"].as_str().unwrap().contains(NOTE),
        "the event shows what the model saw: {results:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_whose_result_changes_is_no_loop() {
    let env = env();
    let mut script: Vec<Scripted> = (1..=6)
        .map(|i| echo(&format!("c{i}"), &i.to_string()))
        .collect();
    script.push(Protocol::OpenAi.text("Counted to six."));
    let server = ModelServer::start(script).await;
    let output = env.chat_stream(&server.url, &["count"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", context(&output));
    assert_eq!(result(&output)["stop_reason"], "end_turn");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_requests_stops_the_run_before_the_next_request() {
    let env = env();
    let server = ModelServer::start(vec![echo("a", "1"), echo("b", "2"), echo("c", "3")]).await;
    let output = env
        .chat_stream(&server.url, &["--max-requests", "2", "count"])
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", context(&output));
    let result = result(&output);
    assert_eq!(result["stop_reason"], "max_requests");
    assert!(
        result["error"].as_str().unwrap().contains("--max-requests"),
        "{result:#}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_tokens_counts_prompt_and_reply_tokens() {
    let env = env();
    let protocol = Protocol::Anthropic;
    let server = ModelServer::start(vec![
        protocol.tool_calls(&[("a", "shell", json!({"command": "echo 1"}))]),
        protocol.text("Never sent."),
    ])
    .await;
    let (model, variable, base) = protocol.model_and_env(&server);
    let output = env
        .chat_headless_with(
            model,
            variable,
            &base,
            &["--output-format", "stream-json", "--max-tokens", "15", "go"],
        )
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", context(&output));
    assert_eq!(result(&output)["stop_reason"], "max_tokens");
    assert_eq!(server.requests().len(), 1, "10 in + 5 out reached 15");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_turns_bounds_a_goal_s_planning_and_iterations() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: fix it."),
        Protocol::OpenAi.text("Never asked."),
    ])
    .await;
    let goal = "/goal --max 3 --check 'python -c \"import sys; sys.exit(1)\"' make the check pass";
    let output = env
        .chat_stream(&server.url, &["--max-turns", "1", goal])
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", context(&output));
    let result = result(&output);
    assert_eq!(result["stop_reason"], "max_turns", "{result:#}");
    assert_eq!(result["goal"]["stop_reason"], "max_turns");
    assert_eq!(server.requests().len(), 1, "planning was the one turn");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_minutes_bounds_the_wall_time() {
    let env = env();
    let server = ModelServer::start(vec![Protocol::OpenAi.text("Never asked.")]).await;
    let output = env
        .chat_stream(&server.url, &["--max-minutes", "0", "hello"])
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", context(&output));
    assert_eq!(result(&output)["stop_reason"], "max_minutes");
    assert!(server.requests().is_empty());
}
