//! MCP servers against a real one from the npm registry
//! (`@modelcontextprotocol/server-everything`, installed by `.ci/run` under
//! `target/npm`, or where `AGENT_TEST_NPM` says): tools listed, allowed and
//! denied by patterns, called for real; start-up failures; workspace trust;
//! a server killed mid-session is started again for the next call. Under
//! `CI=true` a missing node or server fails the tests instead of skipping.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

/// The server's entry point, or why the test cannot run here.
fn everything() -> Result<PathBuf, String> {
    let npm = std::env::var_os("AGENT_TEST_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::repo().join("target/npm"));
    let entry = npm.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not installed".into());
    }
    if !entry.is_file() {
        return Err(format!(
            "{} is missing; `bash .ci/run` installs it (npm install --prefix target/npm @modelcontextprotocol/server-everything)",
            entry.display()
        ));
    }
    Ok(entry)
}

macro_rules! server_or_skip {
    () => {
        match everything() {
            Ok(entry) => entry,
            Err(why) => {
                assert!(std::env::var("CI").is_err(), "{why}");
                eprintln!("skipped: {why}");
                return;
            }
        }
    };
}

fn agent(entry: &std::path::Path, extra: Value) -> String {
    let mut agent = json!({
        "name": "bot",
        "tools": ["@everything", "read"],
        "allowedTools": ["@everything/echo", "@everything/get-s*"],
        "mcpServers": {"everything": {"command": "node", "args": [entry, "stdio"]}}
    });
    if let (Some(agent), Value::Object(extra)) = (agent.as_object_mut(), extra) {
        agent.extend(extra);
    }
    agent.to_string()
}

async fn chat(env: &Env, server: &ModelServer, args: &[&str]) -> Output {
    env.chat_stream(&server.url, args).await
}

fn events(output: &Output) -> Vec<Value> {
    support::stream_events(output)
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_tools_are_listed_judged_by_patterns_and_called_for_real() {
    let entry = server_or_skip!();
    let env = Env::new();
    env.write_home(
        ".kiro/agents/bot.json",
        &agent(
            &entry,
            json!({"toolAliases": {"@everything/get-sum": "add_numbers"}}),
        ),
    );
    env.write(
        ".kiro/kiro.json",
        r#"{"guardrails": {"deny": {"actions": ["get-structured*"]}}}"#,
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            (
                "c1",
                "everything___echo",
                json!({"message": "hello from the model"}),
            ),
            ("c2", "add_numbers", json!({"a": 2, "b": 40})),
            ("c3", "everything___get-env", json!({})),
            (
                "c4",
                "everything___get-structured-content",
                json!({"location": "New York"}),
            ),
        ]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = chat(&env, &server, &["use the tools"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let offered: Vec<String> = server.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        offered.contains(&"everything___echo".to_string()),
        "{offered:?}"
    );
    assert!(offered.contains(&"add_numbers".to_string()), "{offered:?}");
    assert!(offered.contains(&"read".to_string()), "{offered:?}");

    let calls: Vec<Value> = events(&output)
        .into_iter()
        .filter(|e| e["type"] == "tool_call")
        .collect();
    let seen: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c["tool"].as_str().unwrap(), c["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("@everything/echo", "allow"),
            ("@everything/get-sum", "allow"),
            ("@everything/get-env", "deny"),
            ("@everything/get-structured-content", "deny"),
        ]
    );
    assert!(
        calls[3]["reasons"]
            .to_string()
            .contains("guardrails.deny.actions")
    );
    let results = server.requests()[1].body.to_string();
    assert!(results.contains("Echo: hello from the model"), "{results}");
    assert!(results.contains("42"), "{results}");
    assert!(results.contains("nobody can be asked"), "{results}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_fails_to_start_warns_or_stops_the_run() {
    let env = Env::new();
    env.write_home(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["@broken", "read"],
            "mcpServers": {"broken": {"command": "/nonexistent/mcp-server"}}}"#,
    );
    let server = ModelServer::start(vec![Protocol::OpenAi.text("ok")]).await;
    let output = chat(&env, &server, &["hello"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the MCP server `broken` is not available"),
        "{stderr}"
    );

    let output = chat(&env, &server, &["--require-mcp-startup", "hello"]).await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repositorys_servers_do_not_start_without_trust() {
    let entry = server_or_skip!();
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(&entry, json!({})));
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("ok"),
        Protocol::OpenAi.text("ok"),
    ])
    .await;
    let output = chat(&env, &server, &["hello"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MCP server everything: node"), "{stderr}");
    let offered = server.requests()[0].body["tools"].to_string();
    assert!(!offered.contains("everything___echo"), "{offered}");

    let output = chat(&env, &server, &["--trust-workspace", "hello"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let offered = server.requests()[1].body["tools"].to_string();
    assert!(offered.contains("everything___echo"), "{offered}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_add_list_remove_and_include_mcp_json() {
    let env = Env::new();
    let run = |args: &[&str]| env.agent().args(args).output().unwrap();
    let entry = everything();
    let entry_text = entry
        .as_ref()
        .map(|e| e.display().to_string())
        .unwrap_or_else(|_| "server.js".into());
    let added = run(&[
        "mcp",
        "add",
        "--name",
        "everything",
        "--command",
        "node",
        "--args",
        &entry_text,
        "stdio",
    ]);
    assert!(added.status.success(), "{added:?}");
    let again = run(&["mcp", "add", "--name", "everything", "--command", "x"]);
    assert_eq!(again.status.code(), Some(2), "no silent overwrite");
    let global = run(&[
        "mcp",
        "add",
        "--name",
        "remote",
        "--url",
        "http://127.0.0.1:1/mcp",
        "--scope",
        "global",
    ]);
    assert!(global.status.success(), "{global:?}");
    let listed = String::from_utf8_lossy(&run(&["mcp", "list"]).stdout).into_owned();
    assert!(
        listed.contains(&format!("everything  node {entry_text} stdio")),
        "{listed}"
    );
    assert!(
        listed.contains("remote  http://127.0.0.1:1/mcp"),
        "{listed}"
    );

    if let Ok(_entry) = entry {
        env.write_home(
            ".kiro/agents/bot.json",
            r#"{"name": "bot", "tools": ["@everything"], "includeMcpJson": true}"#,
        );
        let server = ModelServer::start(vec![
            Protocol::OpenAi.text("ok"),
            Protocol::OpenAi.text("ok"),
        ])
        .await;
        let output = chat(&env, &server, &["hello"]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("mcp.json would start MCP servers"),
            "{stderr}"
        );
        assert!(stderr.contains("`remote` is not available"), "{stderr}");
        let output = chat(&env, &server, &["--trust-workspace", "hello"]).await;
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let offered = server.requests()[1].body["tools"].to_string();
        assert!(offered.contains("everything___echo"), "{offered}");
    } else {
        eprintln!("skipped the chat part: {}", entry.unwrap_err());
    }

    let removed = run(&["mcp", "remove", "--name", "everything"]);
    assert!(removed.status.success(), "{removed:?}");
    let listed = String::from_utf8_lossy(&run(&["mcp", "list"]).stdout).into_owned();
    assert!(!listed.contains("everything"), "{listed}");
    let missing = run(&["mcp", "remove", "--name", "everything"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// The server in streamable-HTTP mode on a free port, killed when dropped.
struct HttpServer(std::process::Child, u16);

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_server(entry: &std::path::Path) -> HttpServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("node")
        .arg(entry)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed().as_secs() < 20,
            "the HTTP server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    HttpServer(child, port)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamable_http_server_is_called_for_real() {
    let entry = server_or_skip!();
    let http = http_server(&entry);
    let env = Env::new();
    env.write_home(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["@web"],
            "allowedTools": ["@web"],
            "mcpServers": {"web": {"url": format!("http://127.0.0.1:{}/mcp", http.1), "timeout": 20000}}
        })
        .to_string(),
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "web___echo", json!({"message": "over http"}))]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = chat(&env, &server, &["--require-mcp-startup", "echo"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let results = server.requests()[1].body.to_string();
    assert!(results.contains("Echo: over http"), "{results}");
}

/// Kills (SIGKILL) every process whose environment holds `tag`; how many.
fn kill_tagged(tag: &str) -> usize {
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if String::from_utf8_lossy(&environ).contains(tag) {
            // SAFETY: kill(2) on a pid read from /proc; it touches no memory.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed += 1;
        }
    }
    killed
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_session_is_started_again_for_the_next_call() {
    let entry = server_or_skip!();
    let env = Env::new();
    let tag = format!("agent-mcp-kill-{}", env.workspace.display());
    let mut agent: Value = serde_json::from_str(&agent(&entry, json!({}))).unwrap();
    agent["mcpServers"]["everything"]["env"] = json!({"AGENT_TEST_TAG": tag});
    env.write_home(".kiro/agents/bot.json", &agent.to_string());
    let echo = |id: &str, message: &str| {
        Protocol::OpenAi.tool_calls(&[(id, "everything___echo", json!({"message": message}))])
    };
    let mut after = echo("c2", "after the kill");
    after.chunk_delay = std::time::Duration::from_millis(300);
    let server = ModelServer::start(vec![
        echo("c1", "before the kill"),
        after,
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let requests = server.request_count();
    let killer = tokio::spawn(async move {
        while requests() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        kill_tagged(&tag)
    });
    let output = chat(&env, &server, &["echo twice"]).await;
    let killed = killer.await.unwrap();
    assert!(killed >= 1, "the server was running during the turn");
    let results = support::tool_results(&output);
    assert_eq!(results.len(), 2, "{output:?}");
    assert!(
        !results[0].1 && results[0].0.contains("before the kill"),
        "{results:?}"
    );
    assert!(
        !results[1].1 && results[1].0.contains("after the kill"),
        "the next call reached a new server: {results:?}"
    );
}
