//! Small models write tool calls and edits as text: each common form is
//! taken as a tool call, marked `recovered`, and goes through the one
//! dispatcher like any call (policy, fence, checkpoint, events). Against
//! the scripted server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Output;

use serde_json::Value;
use support::model_server::{ModelServer, Protocol};
use support::{Env, stream_events};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write"],
    "toolsSettings": {"write": {"allowedPaths": ["src/**"]}, "shell": {"allowedCommands": ["echo .*", "grep .*"]}}}"#;

const MODULE: &str = "def total_units(items):\n    return sum(items.values())\n";

fn env() -> Env {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("src/inventory.py", MODULE);
    env
}

/// Runs one headless turn whose model replies `reply` as text, then
/// `Done.`; returns the output and its events.
async fn run(env: &Env, reply: &str) -> (Output, Vec<Value>) {
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text(reply),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["do it"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = stream_events(&output);
    (output, events)
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// The result's one tool call.
fn only_call(events: &[Value]) -> Value {
    let result = events.last().unwrap();
    let calls = result["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{result:#}");
    calls[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_calls_written_as_text_are_taken_in_each_form() {
    let forms = [
        (
            "fenced_json",
            "I will run it.\n```json\n{\"name\": \"shell\", \"arguments\": {\"command\": \"echo from-text\"}}\n```",
        ),
        (
            "tool_call_tag",
            "<tool_call>\n{\"name\": \"shell\", \"arguments\": {\"command\": \"echo from-text\"}}\n</tool_call>",
        ),
        (
            "json_line",
            "Running:\n{\"name\": \"shell\", \"arguments\": {\"command\": \"echo from-text\"}}",
        ),
    ];
    for (form, reply) in forms {
        let env = env();
        let (_, events) = run(&env, reply).await;
        assert_eq!(of_type(&events, "recovered")[0]["form"], form);
        let call = only_call(&events);
        assert_eq!(call["recovered"], form, "{call:#}");
        assert_eq!(call["decision"], "allow");
        assert!(
            call["output"].as_str().unwrap().contains("from-text"),
            "{call:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_file_inside_the_fence_is_written_and_checkpointed() {
    let env = env();
    let typed = "def total_units(items: dict[str, int]) -> int:\n    return sum(items.values())\n";
    let reply = format!("Here it is.\n\nsrc/inventory.py\n```python\n{typed}```");
    let (_, events) = run(&env, &reply).await;
    let call = only_call(&events);
    assert_eq!(
        (&call["tool"], &call["recovered"], &call["decision"]),
        (&"write".into(), &"whole_file".into(), &"allow".into()),
        "{call:#}"
    );
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("src/inventory.py")).unwrap(),
        typed
    );
    assert!(
        of_type(&events, "checkpoint")
            .iter()
            .any(|c| c["tag"].as_str().unwrap().contains('.') && c["modified"] == 1),
        "a tool checkpoint of the write: {events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_replace_blocks_inside_the_fence_are_applied() {
    let env = env();
    let reply = "src/inventory.py\n```python\n<<<<<<< SEARCH\ndef total_units(items):\n=======\ndef total_units(items: dict[str, int]) -> int:\n>>>>>>> REPLACE\n```";
    let (_, events) = run(&env, reply).await;
    let call = only_call(&events);
    assert_eq!(call["recovered"], "search_replace", "{call:#}");
    assert_eq!(call["input"]["command"], "str_replace");
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("src/inventory.py")).unwrap(),
        "def total_units(items: dict[str, int]) -> int:\n    return sum(items.values())\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn text_edits_outside_the_fence_are_refused_like_any_write() {
    let env = env();
    let reply = "notes/todo.txt\n```\nsneaked in\n```\n\nREADME.md\n```\n<<<<<<< SEARCH\n=======\nsneaked\n>>>>>>> REPLACE\n```";
    let (_, events) = run(&env, reply).await;
    let result = events.last().unwrap();
    let calls = result["tool_calls"].as_array().unwrap();
    assert!(!calls.is_empty(), "{result:#}");
    for call in calls {
        assert_ne!(call["decision"], "allow", "{call:#}");
        assert_eq!(call["is_error"], true);
    }
    assert!(!env.workspace.join("notes/todo.txt").exists());
    assert!(!env.workspace.join("README.md").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_model_gets_the_compact_profile_and_must_act_until_a_file_changed() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: type the module."),
        typed_write(),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let base = format!("{}/v1", server.url);
    let goal =
        "/goal --max 1 --check 'echo ok' --check 'grep -q int src/inventory.py' add type hints";
    let output = env
        .chat_headless_with(
            "local/qwen",
            "AGENT_LOCAL_MODEL_URL",
            &base,
            &["--output-format", "json", goal],
        )
        .await;
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let choice = |n: usize| requests[n].body.get("tool_choice").cloned();
    assert_eq!(choice(0), None, "planning may answer in prose");
    assert_eq!(choice(1), Some("required".into()), "the iteration must act");
    assert_eq!(choice(2), None, "after the write it may end its turn");
    let body = &requests[1].body;
    assert_eq!(body["max_tokens"], 1024);
    let write = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "write")
        .unwrap();
    let description = write["function"]["description"].as_str().unwrap();
    assert!(!description.contains(". "), "one sentence: {description}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_model_planning_without_checks_is_asked_for_a_tool_call_until_it_states_them() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "s",
            "set_checks",
            serde_json::json!({"commands": ["grep -q int src/inventory.py"]}),
        )]),
        Protocol::OpenAi.text("Plan: type the module."),
        Protocol::OpenAi.text("Nothing done."),
    ])
    .await;
    let base = format!("{}/v1", server.url);
    env.chat_headless_with(
        "local/qwen",
        "AGENT_LOCAL_MODEL_URL",
        &base,
        &["--output-format", "json", "/goal --max 1 add type hints"],
    )
    .await;
    let requests = server.requests();
    let choice = |n: usize| requests[n].body.get("tool_choice").cloned();
    assert_eq!(
        choice(0),
        Some("required".into()),
        "planning must state checks"
    );
    assert_eq!(choice(1), None, "once stated, the plan may be prose");
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_stated_again_and_again_end_the_planning_instead_of_looping() {
    let env = env();
    let set_checks = |id: &str| {
        Protocol::OpenAi.tool_calls(&[(
            id,
            "set_checks",
            serde_json::json!({"commands": ["grep -q int src/inventory.py"]}),
        )])
    };
    let server = ModelServer::start(vec![
        set_checks("s1"),
        set_checks("s2"),
        typed_write(),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let base = format!("{}/v1", server.url);
    let output = env
        .chat_headless_with(
            "local/qwen",
            "AGENT_LOCAL_MODEL_URL",
            &base,
            &["--output-format", "json", "/goal --max 1 add type hints"],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    assert_eq!(result["goal"]["status"], "met", "{stdout}");
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "the second statement ended the planning");
    assert!(
        requests[2]
            .body
            .to_string()
            .contains("Carry out the plan now"),
        "the third request is the first iteration's"
    );
}

/// The model writing the typed module, as a call.
fn typed_write() -> support::model_server::Scripted {
    Protocol::OpenAi.tool_calls(&[(
        "w",
        "write",
        serde_json::json!({"command": "create", "path": "src/inventory.py", "content": "def total_units(items: dict[str, int]) -> int:\n    return sum(items.values())\n"}),
    )])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_model_that_answers_in_prose_before_changing_anything_is_told_to_act() {
    let env = env();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: type the module."),
        Protocol::OpenAi.text("I did not need to change the code. The goal is already met."),
        typed_write(),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let base = format!("{}/v1", server.url);
    let goal = "/goal --max 1 --check 'grep -q int src/inventory.py' add type hints";
    let output = env
        .chat_headless_with(
            "local/qwen",
            "AGENT_LOCAL_MODEL_URL",
            &base,
            &["--output-format", "json", goal],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(r#""status":"met""#), "{stdout}");
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let told = requests[2].body["messages"].to_string();
    assert!(told.contains("no file has changed yet"), "{told}");
    assert!(
        !requests[1].body["messages"]
            .to_string()
            .contains("no file has changed yet"),
        "only after the prose answer"
    );
}
