//! Supervised mode through `agent acp`, the real binary driven over stdio
//! against the scripted model server: a turn's changes are shown as ACP
//! `diff` content, the decision is asked with `session/request_permission`
//! (here per file), the rejected files are put back, and the model hears
//! the reason on its next request. Every message is checked against the
//! protocol's schema when the npm package is there (see `tests/acp.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

#[path = "acp/client.rs"]
mod client;

use client::{Client, chunks, selected};
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"],
    "allowedTools": ["read", "write", "shell"]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn changes_are_shown_as_diffs_and_decided_per_file_through_the_client() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("a.txt", "original a\n");
    env.write("f.txt", "original f\n");
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
        Protocol::OpenAi.text("Understood."),
    ])
    .await;
    let mut client = Client::start(&env, &server);
    client.initialize();
    let session = client.new_session(&env);
    let id = client.prompt(&session, "/mode supervised");
    client.until(id, |r| panic!("nothing to ask: {r}"));

    let id = client.prompt(&session, "change the files");
    let mut asked: Vec<Value> = Vec::new();
    let (response, updates) = client.until(id, |request| {
        asked.push(request.clone());
        let title = request["toolCall"]["title"].as_str().unwrap_or_default();
        if title.starts_with("Review") {
            selected("per-file")
        } else if title.contains("a.txt") {
            selected("keep")
        } else {
            json!({"outcome": {"outcome": "selected", "optionId": "put-back"},
                "_meta": {"agent": {"reason": "leave f.txt alone"}}})
        }
    });
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");
    assert_eq!(
        asked.len(),
        4,
        "one question, then one per file: {asked:#?}"
    );
    let diffs: Vec<&Value> = updates
        .iter()
        .filter(|u| u["sessionUpdate"] == "tool_call")
        .filter_map(|u| u["content"].as_array())
        .flatten()
        .filter(|c| c["type"] == "diff")
        .collect();
    assert_eq!(diffs.len(), 3, "{updates:#?}");
    let a = diffs[0];
    assert!(a["path"].as_str().unwrap().ends_with("/a.txt"), "{a}");
    assert_eq!(a["oldText"], "original a\n");
    assert_eq!(a["newText"], "changed a\n");
    assert!(
        diffs[2]["oldText"].is_null(),
        "new.txt did not exist before"
    );
    let said = chunks(&updates, "agent_message_chunk");
    assert!(said.contains("accepted: a.txt"), "{said}");
    assert_eq!(env.read("a.txt"), "changed a\n");
    assert_eq!(env.read("f.txt"), "original f\n");
    assert!(!env.workspace.join("new.txt").exists());

    let id = client.prompt(&session, "what now?");
    client.until(id, |r| panic!("nothing to ask: {r}"));
    let last = server.requests().last().unwrap().body.to_string();
    assert!(
        last.contains("[review] The user rejected your changes to f.txt, new.txt"),
        "{last}"
    );
    assert!(last.contains("leave f.txt alone"), "{last}");
    assert!(client.close().success());
}
