//! The tools that work on the session itself, through the real binary:
//! `thinking`, `introspect`, `report_issue` and `session` run unasked
//! (even unattended) when the agent lists them, and `todo_list`'s lists
//! come back with a resumed session and go back with `/rewind`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

fn agent(env: &Env) {
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["thinking", "todo", "introspect", "report", "session", "read"],
            "toolsSettings": {"read": {"deniedPaths": ["secrets/**"]}}
        })
        .to_string(),
    );
}

fn create() -> Value {
    json!({"command": "create", "todo_list_description": "type the pantry",
           "tasks": [{"task_description": "type stock.py"}, {"task_description": "type orders.py"}]})
}

#[tokio::test(flavor = "multi_thread")]
async fn session_tools_run_unasked_and_answer_from_the_session() {
    let env = Env::new();
    agent(&env);
    let set = env
        .agent()
        .args([
            "settings",
            "provider.openai.apiKey",
            "sk-test-not-shown-0123456789",
        ])
        .output()
        .unwrap();
    assert!(set.status.success());
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            (
                "t1",
                "thinking",
                json!({"thought": "first read, then type"}),
            ),
            (
                "t2",
                "introspect",
                json!({"query": "how do I restore a checkpoint?"}),
            ),
            (
                "t3",
                "session",
                json!({"operation": "get", "key": "provider.openai.apiKey"}),
            ),
            (
                "t4",
                "session",
                json!({"operation": "set", "key": "chat.defaultModel", "value": "x"}),
            ),
            (
                "t5",
                "report_issue",
                json!({"title": "It broke", "actual_behavior": "nothing"}),
            ),
        ]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["look around"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = support::stream_events(&output);
    for call in events.iter().filter(|e| e["type"] == "tool_call") {
        assert_eq!(call["decision"], "allow", "{call}");
    }
    let got = support::tool_results(&output);
    assert_eq!(got[0], ("noted: first read, then type".to_string(), false));
    let (introspect, _) = &got[1];
    assert!(introspect.contains("This agent's rules:"), "{introspect}");
    assert!(
        introspect.contains("deniedPaths: secrets/**"),
        "the rules come from the policy: {introspect}"
    );
    assert!(
        introspect.to_lowercase().contains("restore"),
        "a README section on restoring: {introspect}"
    );
    assert!(
        got[2].0.contains("(set; not shown)") && !got[2].0.contains("sk-test"),
        "{:?}",
        got[2]
    );
    assert!(
        got[3].1 && got[3].0.contains("agent settings KEY VALUE"),
        "{:?}",
        got[3]
    );
    let (report, failed) = &got[4];
    assert!(!failed, "{report}");
    let path = report
        .split_whitespace()
        .find(|w| w.contains("report-"))
        .unwrap()
        .trim_end_matches(';');
    assert!(path.starts_with(env.agent_home.to_str().unwrap()), "{path}");
    let draft = std::fs::read_to_string(path).unwrap();
    assert!(
        draft.starts_with("# It broke") && draft.contains("agent file: bot"),
        "{draft}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_session_has_its_todo_list_and_stream_json_shows_it() {
    let env = Env::new();
    agent(&env);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("a", "todo_list", create())]),
        Protocol::OpenAi.text("planned"),
        Protocol::OpenAi.tool_calls(&[(
            "b",
            "todo",
            json!({"command": "complete", "current_id": "1", "completed_indices": [0]}),
        )]),
        Protocol::OpenAi.text("one done"),
    ])
    .await;
    let first = env.chat_stream(&server.url, &["plan it"]).await;
    let events = support::stream_events(&first);
    let todo = events
        .iter()
        .find(|e| e["type"] == "todo")
        .expect("a todo event");
    assert_eq!(
        todo["list"]["tasks"][1]["task_description"],
        "type orders.py"
    );
    let second = env.chat_stream(&server.url, &["--resume", "go on"]).await;
    let got = support::tool_results(&second);
    assert_eq!(got.len(), 1, "{}", String::from_utf8_lossy(&second.stderr));
    assert!(
        !got[0].1 && got[0].0.contains("0. [x] type stock.py"),
        "{:?}",
        got[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rewinding_the_conversation_takes_the_todo_list_back() {
    let env = Env::new();
    agent(&env);
    let complete = json!({"command": "complete", "current_id": "1", "completed_indices": [0, 1]});
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("a", "todo_list", create())]),
        Protocol::OpenAi.text("planned"),
        Protocol::OpenAi.tool_calls(&[("b", "todo_list", complete)]),
        Protocol::OpenAi.text("all done"),
        Protocol::OpenAi.tool_calls(&[("c", "todo_list", json!({"command": "lookup"}))]),
        Protocol::OpenAi.text("looked"),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "bot"],
            &["plan it", "do it", "/rewind 2", "where are we?", "/quit"],
        )
        .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let requests = server.requests();
    let last = requests.last().unwrap().body["messages"].to_string();
    assert!(
        last.contains("type the pantry (0/2 done)"),
        "{last}\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_search_finds_the_offered_tools_and_summary_runs_unasked() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &json!({"name": "bot", "tools": ["tool_search", "summary", "read", "write"]}).to_string(),
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            ("s1", "tool_search", json!({"query": "change a file"})),
            ("s2", "tool_search", json!({"tool_id": "read"})),
            (
                "s3",
                "summary",
                json!({"taskDescription": "look", "taskResult": "seven jars"}),
            ),
        ]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["find tools"]).await;
    let results = support::tool_results(&output);
    assert_eq!(
        results.len(),
        3,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(results.iter().all(|(_, failed)| !failed), "{results:?}");
    let found: Value = serde_json::from_str(&results[0].0).unwrap();
    assert_eq!(found["tools"][0]["tool_name"], "write", "{found}");
    let named: Value = serde_json::from_str(&results[1].0).unwrap();
    assert_eq!(named["tools"].as_array().unwrap().len(), 1);
    assert_eq!(named["tools"][0]["server_name"], "builtin");
    assert!(results[2].0.contains("seven jars"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_tool_lists_the_saved_sessions_and_cannot_switch() {
    let env = Env::new();
    agent(&env);
    let first = ModelServer::start(vec![Protocol::OpenAi.text("noted")]).await;
    let output = env
        .chat_stream(&first.url, &["count the PANTRY jars"])
        .await;
    assert!(output.status.success(), "{output:?}");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            ("l", "session", json!({"operation": "sessions"})),
            ("s", "session", json!({"operation": "switch"})),
        ]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = env
        .chat_stream(&server.url, &["which sessions are there?"])
        .await;
    let results = support::tool_results(&output);
    assert_eq!(
        results.len(),
        2,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !results[0].1 && results[0].0.contains("count the PANTRY jars"),
        "{:?}",
        results[0]
    );
    assert!(
        results[1].1 && results[1].0.contains("--resume"),
        "{:?}",
        results[1]
    );
}
