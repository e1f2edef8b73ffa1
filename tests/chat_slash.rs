//! The slash commands about the session (`/tools`, `/model`, `/usage`,
//! `/context`, `/compact`, `/clear`, `/agent list`) and `!command`, in the
//! line mode, against the scripted model server. The terminal UI runs the
//! same commands.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Output;

use serde_json::json;
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"deniedCommands": ["rm .*"]}, "write": {"allowedPaths": ["src/**"]}}}"#;

/// Runs `agent chat --agent bot` with `lines` on stdin.
async fn chat(env: &Env, server: &ModelServer, lines: &[&str]) -> Output {
    env.chat_lines(&server.url, &["--agent", "bot"], lines)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_trust_and_reset_change_what_asks_but_never_deny_rules() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("src/keep", "");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "shell",
            json!({"command": "echo one > src/one.txt"}),
        )]),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "rm src/one.txt"}))]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &[
            "/tools",
            "/tools trust shell",
            "/tools trust write",
            "go",
            "/tools reset",
            "/tools trust nosuchtool",
            "/tools",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for expected in [
        "read   trusted: the tool is in `allowedTools`",
        "write  per-request",
        "allowedPaths: src/**",
        "deniedCommands: rm .*",
        "not in the agent's `tools`: glob, grep, thinking",
        "`shell` is trusted for this session",
        "session trust is cleared",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(
        stderr.contains("there is no tool named `nosuchtool`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("needs your approval"),
        "trusted shell and write ran unasked: {stderr}"
    );
    assert!(env.workspace.join("src/one.txt").exists(), "{stderr}");
    let third = server.requests()[2].body.to_string();
    assert!(
        third.contains("refused by the guardrail policy") && third.contains("deniedCommands"),
        "the deny rule held under trust: {third}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn model_usage_context_compact_clear_agents_and_bang() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("First answer."),
        Protocol::OpenAi.text("Second answer."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &[
            "hello",
            "/usage",
            "/context show",
            "/compact",
            "/model",
            "/model openai/other-model",
            "/model nonsense/x",
            "/agent list",
            "!echo bang-ran",
            "!rm -rf nothing",
            "/clear",
            "again",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for expected in [
        "this chat: 1 model request(s), 10 input tokens, 4 output tokens",
        "context: ~",
        "elided 0 old tool output(s)",
        "current: openai/scripted",
        "the next turn goes to openai/other-model",
        "bot",
        "workspace",
        "bang-ran",
        "refused by the guardrail policy",
        "the conversation is cleared: new session",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(stderr.contains("nonsense"), "{stderr}");
    let requests = server.requests();
    assert_eq!(requests[1].body["model"], "other-model");
    assert_eq!(
        requests[1].body["messages"].as_array().map(Vec::len),
        Some(2),
        "after /clear only the system prompt and the new prompt are sent: {}",
        requests[1].body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn context_add_and_remove_change_the_system_prompt_and_denied_files_stay_out() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["read"], "allowedTools": ["read"],
            "toolsSettings": {"read": {"deniedPaths": ["private.txt"]}}}"#,
    );
    env.write("notes.md", "THE-NOTES-MARKER\n");
    env.write("private.txt", "THE-PRIVATE-MARKER\n");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("one"),
        Protocol::OpenAi.text("two"),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &[
            "/context add notes.md private.txt",
            "first",
            "/context show",
            "/context remove notes.md",
            "second",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("added notes.md"), "{stdout}");
    assert!(stdout.contains("refused private.txt"), "{stdout}");
    assert!(
        stdout.contains("added with /context add: notes.md"),
        "{stdout}"
    );
    let requests = server.requests();
    let first = requests[0].body.to_string();
    assert!(first.contains("THE-NOTES-MARKER"), "{first}");
    assert!(!first.contains("THE-PRIVATE-MARKER"));
    assert!(!requests[1].body.to_string().contains("THE-NOTES-MARKER"));
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_swap_changes_tools_and_rules_from_the_next_turn() {
    let env = Env::new();
    env.write(
        ".kiro/agents/reader.json",
        r#"{"name": "reader", "tools": ["read"], "allowedTools": ["read"]}"#,
    );
    env.write(
        ".kiro/agents/writer.json",
        r#"{"name": "writer", "tools": ["read", "write"], "allowedTools": ["write"],
            "toolsSettings": {"write": {"allowedPaths": ["out/**"]}}}"#,
    );
    env.write(
        ".kiro/agents/hooked.json",
        r#"{"name": "hooked", "tools": ["read"], "hooks": {"agentSpawn": [{"command": "true"}]}}"#,
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("read only"),
        Protocol::OpenAi.tool_calls(&[(
            "w",
            "write",
            json!({"command": "create", "path": "out/a.txt", "content": "A"}),
        )]),
        Protocol::OpenAi.text("written"),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "reader"],
            &[
                "first",
                "/agent swap hooked",
                "/agent swap writer",
                "second",
            ],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("runs hooks or MCP servers"), "{stderr}");
    assert!(stdout.contains("this chat now runs `writer`"), "{stdout}");
    let requests = server.requests();
    assert!(!requests[0].body["tools"].to_string().contains("\"write\""));
    assert!(requests[1].body["tools"].to_string().contains("\"write\""));
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("out/a.txt")).unwrap(),
        "A",
        "the writer's fence let the write run unasked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_swap_drops_the_trust_given_to_the_agent_before() {
    let env = Env::new();
    for name in ["first", "second"] {
        env.write(
            &format!(".kiro/agents/{name}.json"),
            &format!(r#"{{"name": "{name}", "tools": ["write"]}}"#),
        );
    }
    let write = |id: &str, path: &str| {
        Protocol::OpenAi.tool_calls(&[(
            id,
            "write",
            json!({"command": "create", "path": path, "content": "x"}),
        )])
    };
    let server = ModelServer::start(vec![
        write("w1", "one.txt"),
        Protocol::OpenAi.text("wrote one"),
        write("w2", "two.txt"),
        Protocol::OpenAi.text("wrote two"),
        write("w3", "three.txt"),
        Protocol::OpenAi.text("asked"),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "first"],
            &[
                "write one",
                "t",
                "write two",
                "/agent swap second",
                "write three",
                "n the trust went with the first agent",
                "/quit",
            ],
        )
        .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(env.workspace.join("one.txt").exists(), "approved");
    assert!(
        env.workspace.join("two.txt").exists(),
        "trusted for the session"
    );
    assert!(
        !env.workspace.join("three.txt").exists(),
        "after the swap the write was asked about again and refused"
    );
    let last = &server.requests()[5].body;
    assert!(
        last.to_string()
            .contains("the trust went with the first agent"),
        "{last}"
    );
}
