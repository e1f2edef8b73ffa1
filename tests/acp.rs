//! `agent acp`, the real binary, driven over stdio with JSON-RPC as an
//! editor drives it, against the scripted model server: initialize, a new
//! session, a prompt that streams text, a call asked through
//! `session/request_permission` and approved, one refused with a reason,
//! one a deny rule refuses without asking, plan mode, a cancel in the
//! middle of a command, a `/goal` ending `met`, and `session/load` of the
//! saved session. Every message the agent sends is checked against the
//! protocol's JSON Schema, shipped in the `@agentclientprotocol/sdk` npm
//! package that `.ci/run` installs under `target/npm`, and the same
//! package's client drives a session too (`tests/acp/client.mjs`). With
//! `CI=true` a missing `node` or package fails the tests; elsewhere they
//! skip that part, saying so.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

#[path = "acp/client.rs"]
mod client;

use std::path::PathBuf;
use std::time::Duration;

use client::{Client, chunks, missing, sdk, selected};
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"deniedCommands": ["rm .*"]}}}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_session_streams_asks_the_client_refuses_and_loads_again() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Hello from the agent."),
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "write",
            json!({"command": "create", "path": "a.txt", "content": "A\n"}),
        )]),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "echo hi > b.txt"}))]),
        Protocol::OpenAi.tool_calls(&[("c3", "shell", json!({"command": "rm a.txt"}))]),
        Protocol::OpenAi.text("Wrote a.txt."),
    ])
    .await;
    let mut client = Client::start(&env, &server);
    let init = client.initialize();
    assert_eq!(init["protocolVersion"], 1);
    assert_eq!(init["agentCapabilities"]["loadSession"], true);
    assert!(!init["authMethods"].as_array().unwrap().is_empty());
    let session = client.new_session(&env);

    let id = client.prompt(&session, "say hello");
    let (response, updates) = client.until(id, |r| panic!("nothing to ask: {r}"));
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");
    assert_eq!(
        chunks(&updates, "agent_message_chunk"),
        "Hello from the agent."
    );
    let commands = updates
        .iter()
        .find(|u| u["sessionUpdate"] == "available_commands_update")
        .expect("the slash commands are announced");
    let names: Vec<&str> = commands["availableCommands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"goal") && names.contains(&"checkpoint"),
        "{names:?}"
    );

    let id = client.prompt(&session, "make the files");
    let mut asked = Vec::new();
    let (response, updates) = client.until(id, |request| {
        asked.push(request.clone());
        match request["toolCall"]["rawInput"]["path"].as_str() {
            Some("a.txt") => selected("once"),
            _ => json!({"outcome": {"outcome": "selected", "optionId": "refuse"}, "_meta": {"agent": {"reason": "not that way"}}}),
        }
    });
    assert_eq!(response["result"]["stopReason"], "end_turn", "{response}");
    assert_eq!(
        asked.len(),
        2,
        "the deny rule's call is never offered: {asked:#?}"
    );
    let options = |request: &Value| -> Vec<String> {
        request["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["optionId"].as_str().unwrap().to_string())
            .collect()
    };
    let (write, shell) = (options(&asked[0]), options(&asked[1]));
    assert_eq!(write.first().unwrap(), "once");
    assert_eq!(write.last().unwrap(), "refuse");
    assert!(write.len() > 2, "narrower trust is offered: {write:?}");
    assert_eq!(
        shell,
        ["once", "refuse"],
        "a redirection cannot be trusted narrower"
    );
    assert_eq!(env.read("a.txt"), "A\n");
    assert!(!env.workspace.join("b.txt").exists());
    let denied = updates
        .iter()
        .find(|u| u["sessionUpdate"] == "tool_call" && u["toolCallId"] == "c3")
        .unwrap();
    assert_eq!(denied["status"], "failed");
    assert_eq!(denied["_meta"]["agent"]["decision"], "deny");
    let finished = updates
        .iter()
        .rfind(|u| u["sessionUpdate"] == "tool_call_update" && u["toolCallId"] == "c1")
        .unwrap();
    assert_eq!(finished["status"], "completed");
    let answers: Vec<&Value> = updates
        .iter()
        .filter(|u| {
            u["sessionUpdate"] == "tool_call_update" && u["_meta"]["agent"]["answer"].is_string()
        })
        .map(|u| &u["_meta"]["agent"]["answer"])
        .collect();
    assert_eq!(answers, [&json!("once"), &json!("refuse")]);
    let fourth = server.requests()[3].body.to_string();
    assert!(fourth.contains("not that way"), "{fourth}");
    assert!(client.close().success());

    let mut client = Client::start(&env, &server);
    client.initialize();
    let (response, updates) = client.call(
        "session/load",
        json!({"sessionId": session, "cwd": env.workspace, "mcpServers": []}),
    );
    assert!(response.get("error").is_none(), "{response}");
    let replayed = chunks(&updates, "user_message_chunk");
    assert!(
        replayed.contains("say hello") && replayed.contains("make the files"),
        "{replayed}"
    );
    assert!(chunks(&updates, "agent_message_chunk").contains("Hello from the agent."));
    assert!(client.close().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_mode_refuses_writes_without_asking_and_a_model_can_be_picked_either_way() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "w",
            "write",
            json!({"command": "create", "path": "a.txt", "content": "A\n"}),
        )]),
        Protocol::OpenAi.text("I could not write."),
    ])
    .await;
    let mut client = Client::start(&env, &server);
    client.initialize();
    let session = client.new_session(&env);
    let (response, updates) = client.call(
        "session/set_mode",
        json!({"sessionId": session, "modeId": "plan"}),
    );
    assert!(response.get("error").is_none(), "{response}");
    assert!(
        updates
            .iter()
            .any(|u| u["sessionUpdate"] == "current_mode_update")
    );
    let id = client.prompt(&session, "write a.txt");
    let (_, updates) = client.until(id, |r| panic!("plan mode asks nothing: {r}"));
    let refused = updates
        .iter()
        .find(|u| u["sessionUpdate"] == "tool_call")
        .unwrap();
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(!env.workspace.join("a.txt").exists());
    let (response, _) = client.call(
        "session/set_config_option",
        json!({"sessionId": session, "configId": "model", "value": "openai/scripted"}),
    );
    assert_eq!(
        response["result"]["configOptions"][0]["currentValue"], "openai/scripted",
        "{response}"
    );
    let (response, _) = client.call(
        "session/set_model",
        json!({"sessionId": session, "modelId": "openai/other"}),
    );
    assert_eq!(response["result"], json!({}), "{response}");
    let (response, _) = client.call(
        "session/set_model",
        json!({"sessionId": session, "modelId": "nonsense/model"}),
    );
    assert!(response.get("error").is_some(), "{response}");
    assert!(client.close().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_stops_a_running_command_and_the_prompt_ends_cancelled() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["shell"], "allowedTools": ["shell"],
            "toolsSettings": {"shell": {"allowedCommands": ["sleep .*"]}}}"#,
    );
    let server = ModelServer::start(vec![Protocol::OpenAi.tool_calls(&[(
        "s",
        "shell",
        json!({"command": "sleep 30"}),
    )])])
    .await;
    let mut client = Client::start(&env, &server);
    client.initialize();
    let session = client.new_session(&env);
    let id = client.prompt(&session, "wait a while");
    loop {
        let message = client.next();
        if message["params"]["update"]["sessionUpdate"] == "tool_call" {
            break;
        }
    }
    let started = std::time::Instant::now();
    client.send(
        json!({"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": session}}),
    );
    let (response, _) = client.until(id, |r| panic!("nothing to ask: {r}"));
    assert_eq!(response["result"]["stopReason"], "cancelled", "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the command was killed"
    );
    assert!(client.close().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goal_through_acp_ends_met() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write"],
            "toolsSettings": {"shell": {"allowedCommands": ["test -f done.txt"]}}}"#,
    );
    let server = ModelServer::start(support::done_goal_turns()).await;
    let mut client = Client::start(&env, &server);
    client.initialize();
    let session = client.new_session(&env);
    let id = client.prompt(&session, support::DONE_GOAL);
    let (response, updates) = client.until(id, |r| panic!("nothing to ask: {r}"));
    assert_eq!(
        response["result"]["_meta"]["agent"]["goal"]["status"], "met",
        "{response} {updates:#?}"
    );
    assert!(chunks(&updates, "agent_message_chunk").contains("goal met"));
    assert!(chunks(&updates, "agent_thought_chunk").contains("goal"));
    assert!(client.close().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_client_from_npm_drives_a_session_and_loads_it_again() {
    let node_works = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_works {
        return missing("node");
    }
    if !sdk().join("dist/v1/stable/acp.js").exists() {
        return missing(&format!("{}", sdk().display()));
    }
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write(
        ".kiro/agents/goalbot.json",
        r#"{"name": "goalbot", "tools": ["write", "shell"], "allowedTools": ["write"],
            "toolsSettings": {"shell": {"allowedCommands": ["test -f done.txt", "sleep 30"]}}}"#,
    );
    let mut script = vec![
        Protocol::OpenAi.text("Hello from the agent."),
        Protocol::OpenAi.tool_calls(&[
            (
                "c1",
                "write",
                json!({"command": "create", "path": "a.txt", "content": "A\n"}),
            ),
            ("c2", "shell", json!({"command": "echo hi > b.txt"})),
            ("c3", "shell", json!({"command": "rm a.txt"})),
        ]),
        Protocol::OpenAi.text("Wrote a.txt."),
    ];
    script.extend(support::done_goal_turns());
    script.extend([
        Protocol::OpenAi.tool_calls(&[("s", "shell", json!({"command": "sleep 30"}))]),
        Protocol::OpenAi.text("Stopped."),
    ]);
    let server = ModelServer::start(script).await;
    let mut node = std::process::Command::new("node");
    node.arg(support::repo().join("tests/acp/client.mjs"))
        .arg(sdk())
        .arg(&env.workspace)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("AGENT_HOME", &env.agent_home)
        .env("AGENT_BIN", assert_cmd::cargo::cargo_bin("agent"))
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url));
    let output = tokio::task::spawn_blocking(move || node.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    let first = &seen["first"];
    assert_eq!(first["protocolVersion"], 1);
    assert_eq!(first["hello"]["stopReason"], "end_turn");
    assert_eq!(first["hello"]["text"], "Hello from the agent.");
    assert_eq!(first["files"]["stopReason"], "end_turn");
    let asked = first["asked"].as_array().unwrap();
    assert_eq!(
        asked.len(),
        2,
        "the deny rule's call is never offered: {seen:#}"
    );
    assert_eq!(asked[1]["options"], json!(["once", "refuse"]));
    let denied = first["toolCalls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "c3")
        .unwrap();
    assert_eq!(denied["decision"], "deny");
    assert_eq!(first["exitCode"], 0);
    assert_eq!(env.read("a.txt"), "A\n");
    assert!(!env.workspace.join("b.txt").exists());
    let replayed = seen["second"]["replayed"].as_str().unwrap();
    assert!(
        replayed.contains("say hello") && replayed.contains("make the files"),
        "{seen:#}"
    );
    let third = &seen["third"];
    assert_eq!(third["goal"]["status"], "met", "{seen:#}");
    assert_eq!(third["cancel"]["stopReason"], "cancelled", "{seen:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_servers_the_client_brings_are_judged_by_the_agents_rules() {
    let entry = std::env::var_os("AGENT_TEST_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::repo().join("target/npm"))
        .join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if !entry.is_file() {
        return missing(&format!("{}", entry.display()));
    }
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["@everything"], "allowedTools": ["@everything/echo"]}"#,
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            (
                "e",
                "everything___echo",
                json!({"message": "from the editor's server"}),
            ),
            ("s", "everything___get-sum", json!({"a": 1, "b": 2})),
        ]),
        Protocol::OpenAi.text("Echoed."),
    ])
    .await;
    let mut client = Client::start(&env, &server);
    client.initialize();
    let servers =
        json!([{"name": "everything", "command": "node", "args": [entry, "stdio"], "env": []}]);
    let (response, _) = client.call(
        "session/new",
        json!({"cwd": env.workspace, "mcpServers": servers}),
    );
    let session = response["result"]["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let id = client.prompt(&session, "echo something");
    let mut asked = Vec::new();
    let (_, updates) = client.until(id, |request| {
        asked.push(request["toolCall"]["title"].clone());
        selected("refuse")
    });
    assert_eq!(
        asked.len(),
        1,
        "only the call outside allowedTools asks: {asked:?}"
    );
    let echoed = updates
        .iter()
        .rfind(|u| u["sessionUpdate"] == "tool_call_update" && u["toolCallId"] == "e")
        .unwrap();
    assert_eq!(echoed["status"], "completed", "{echoed}");
    assert!(
        echoed["content"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("from the editor's server")
    );
    assert!(client.close().success());
}
