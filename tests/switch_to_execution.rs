//! Kiro's planner hand-off through the real binary: `switch_to_execution`
//! ends the planner's turn without asking the model again, the chat swaps
//! to the agent it ran before (or the default one), and that agent's turn
//! is `Implement this plan:` and the plan. The tool exists only where the
//! agent file names it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol};
use support::{Env, stream_events};

const PLAN: &str = "1. Write notes.txt\n2. Check it";

/// `bot` plans (it may only read and hand off); `worker` has every tool
/// `*` gives.
fn agents(env: &Env) {
    env.write(
        ".kiro/agents/bot.json",
        &json!({"name": "bot", "tools": ["read", "switch_to_execution"], "allowedTools": ["read"]})
            .to_string(),
    );
    env.write(
        ".kiro/agents/worker.json",
        &json!({"name": "worker", "tools": ["*"], "allowedTools": ["read"]}).to_string(),
    );
}

/// The tool names a request offered.
fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// The last user message of a request.
fn last_user(body: &Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| m["content"].to_string())
        .unwrap_or_default()
}

fn script() -> Vec<support::model_server::Scripted> {
    vec![
        Protocol::OpenAi.tool_calls(&[("s1", "switch_to_execution", json!({"plan": PLAN}))]),
        Protocol::OpenAi.text("Implemented."),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planner_hands_its_plan_to_the_default_agent_without_asking_the_model_again() {
    let env = Env::new();
    agents(&env);
    let server = ModelServer::start(script()).await;
    let output = env
        .chat_headless(&server.url, &["--output-format", "stream-json", "plan it"])
        .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        2,
        "the switch is not sent back to the planner"
    );
    assert!(offered(&requests[0].body).contains(&"switch_to_execution".to_string()));
    assert_eq!(
        last_user(&requests[1].body),
        json!(format!("Implement this plan:\n{PLAN}")).to_string()
    );
    assert!(
        !offered(&requests[1].body).contains(&"switch_to_execution".to_string()),
        "the default agent's `*` leaves the hand-off out"
    );
    let events = stream_events(&output);
    let switched = events
        .iter()
        .find(|e| e["type"] == "agent_switched")
        .expect("an agent_switched event");
    assert_eq!(switched["agent"], "default");
    assert_eq!(switched["previous"], "bot");
    let call = events
        .iter()
        .find(|e| e["type"] == "tool_call" && e["tool"] == "switch_to_execution")
        .unwrap();
    assert_eq!(call["decision"], "allow", "it runs unasked, as in Kiro");
}

#[tokio::test(flavor = "multi_thread")]
async fn in_chat_the_plan_goes_back_to_the_agent_that_ran_before_the_planner() {
    let env = Env::new();
    agents(&env);
    let server = ModelServer::start(script()).await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "worker"],
            &["/agent swap bot", "plan it", "/quit"],
        )
        .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plan handed off: `worker` now runs it, after `bot`"),
        "{stderr}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        offered(&requests[1].body).contains(&"shell".to_string()),
        "worker's tools"
    );
    assert!(
        !offered(&requests[0].body).contains(&"shell".to_string()),
        "the planner's own tools"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_agent_that_names_it_has_the_hand_off() {
    let env = Env::new();
    agents(&env);
    env.write(
        ".kiro/agents/bot.json",
        &json!({"name": "bot", "tools": ["*"]}).to_string(),
    );
    let server = ModelServer::start(vec![Protocol::OpenAi.text("hello")]).await;
    let output = env.chat_headless(&server.url, &["hi"]).await;
    assert!(output.status.success());
    let tools = offered(&server.requests()[0].body);
    assert!(tools.contains(&"write".to_string()));
    assert!(
        !tools.contains(&"switch_to_execution".to_string()),
        "{tools:?}"
    );
    let listed = env.agent().args(["agent", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(!listed.contains("switch_to_execution"), "{listed}");
}
