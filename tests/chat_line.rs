//! Interactive `agent chat` in line mode (stdin is not a terminal): prompts,
//! approvals answered on stdin, and the slash commands for checkpoints and
//! rewinding, against the scripted model server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"deniedCommands": ["rm .*"]}}}"#;

/// Runs `agent chat --agent bot` with `lines` on stdin.
async fn chat(env: &Env, server: &ModelServer, lines: &[&str]) -> Output {
    env.chat_lines(&server.url, &["--agent", "bot"], lines)
        .await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn saved_sessions(env: &Env) -> Vec<Value> {
    let mut sessions = Vec::new();
    for workspace in std::fs::read_dir(env.agent_home.join("data/sessions")).unwrap() {
        for session in std::fs::read_dir(workspace.unwrap().path()).unwrap() {
            let file = session.unwrap().path().join("session.json");
            sessions.push(serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap());
        }
    }
    sessions
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_are_asked_on_the_terminal_and_refusals_reach_the_model() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "write",
            json!({"command": "create", "path": "a.txt", "content": "A\n"}),
        )]),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "echo hi > b.txt"}))]),
        Protocol::OpenAi.text("Wrote a.txt; b.txt was refused."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &["make the files", "y", "n not that way", "/quit"],
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("? write"), "{stderr}");
    assert!(stderr.contains("needs your approval"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("a.txt")).unwrap(),
        "A\n"
    );
    assert!(!env.workspace.join("b.txt").exists());
    let third = server.requests()[2].body.to_string();
    assert!(
        third.contains("the user refused this call: not that way"),
        "{third}"
    );
    assert!(text(&output.stdout).contains("Wrote a.txt; b.txt was refused."));
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoint_restore_cuts_the_conversation_and_rewind_forks_it() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("a.txt", "original\n");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "write",
            json!({"command": "create", "path": "a.txt", "content": "first edit\n"}),
        )]),
        Protocol::OpenAi.text("Edited."),
        Protocol::OpenAi.tool_calls(&[(
            "c2",
            "write",
            json!({"command": "create", "path": "new.txt", "content": "made by the agent\n"}),
        )]),
        Protocol::OpenAi.text("Created new.txt."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &[
            "edit a.txt",
            "t",
            "create new.txt",
            "/checkpoint list",
            "/checkpoint expand 3",
            "/checkpoint diff 1 2 --stat",
            "/rewind",
            "/checkpoint restore 2 --hard",
            "/quit",
        ],
    )
    .await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for expected in [
        "baseline",
        "turn: edit a.txt",
        "turn: create new.txt",
        "3.1",
        "a.txt | 2 +-",
        "rewound to turn 2 in the new session",
        "removed 1 file(s) the agent created since",
        "the conversation is back at checkpoint 2 (4 messages)",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(
        !env.workspace.join("new.txt").exists(),
        "the hard restore removed the agent's file"
    );
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("a.txt")).unwrap(),
        "first edit\n"
    );
    let sessions = saved_sessions(&env);
    let mut lengths: Vec<usize> = sessions
        .iter()
        .map(|s| s["messages"].as_array().unwrap().len())
        .collect();
    lengths.sort();
    assert_eq!(
        lengths,
        vec![4, 8],
        "the rewound fork has turn 1 only; the old session keeps both turns"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slash_command_mistakes_are_explained_and_the_chat_goes_on() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![Protocol::OpenAi.text("Still here.")]).await;
    let output = chat(
        &env,
        &server,
        &["/checkpoint restor 1", "/nope", "/help", "hello"],
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("restore"), "a did-you-mean hint: {stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("rewind"),
        "/help lists the commands: {stdout}"
    );
    assert!(stdout.contains("Still here."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goal_runs_in_chat_and_slash_goal_shows_its_report() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write"],
            "toolsSettings": {"shell": {"allowedCommands": ["cat .*"]}}}"#,
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: write hello.txt."),
        Protocol::OpenAi.tool_calls(&[(
            "w",
            "write",
            serde_json::json!({"command": "create", "path": "hello.txt", "content": "hello\n"}),
        )]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = chat(
        &env,
        &server,
        &[
            "/goal --check 'cat hello.txt' say hello in hello.txt",
            "/goal",
            "/goal clear",
            "/quit",
        ],
    )
    .await;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        stdout.matches("goal met: every check passed").count(),
        2,
        "once when it ends, once for /goal: {stdout}"
    );
    assert!(stdout.contains("no goal is running"), "{stdout}");
    let audit = std::fs::read_dir(env.agent_home.join("data/sessions"))
        .unwrap()
        .flat_map(|w| std::fs::read_dir(w.unwrap().path()).unwrap())
        .map(|s| s.unwrap().path().join("audit.jsonl"))
        .find(|p| p.exists());
    assert!(audit.is_some(), "the goal's session has its audit log");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_the_running_turn_and_the_next_one_runs_its_commands() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["shell"], "allowedTools": ["shell"]}"#,
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("slow", "shell", json!({"command": "sleep 31.7"}))]),
        Protocol::OpenAi.tool_calls(&[("fast", "shell", json!({"command": "echo ran"}))]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--agent", "bot", "--model", "openai/scripted"])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "wait").unwrap();
    let requests = server.request_count();
    while requests() < 1 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let survivors = std::process::Command::new("pgrep")
        .args(["-f", "sleep 31.7"])
        .output()
        .unwrap();
    assert!(
        survivors.stdout.is_empty(),
        "the interrupted command was killed while the chat goes on: {}",
        text(&survivors.stdout)
    );
    writeln!(stdin, "say it").unwrap();
    writeln!(stdin, "/quit").unwrap();
    drop(stdin);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    let third = server.requests()[2].body.to_string();
    assert!(
        third.contains("exit code 0") && third.contains("ran"),
        "the cancel flag was lowered again, so the next command ran: {third}"
    );
}
