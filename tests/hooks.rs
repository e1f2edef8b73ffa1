//! Hooks, workspace trust, the guardrails file (`kiro.json`), secret
//! redaction and steering files, through the real binary and the scripted
//! model server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol, Scripted};

/// Appends each shell command to `audit.log` (the tutorial's audit hook).
const AUDIT_HOOK: &str = "jq -r .tool_input.command >> audit.log";

fn agent(hooks: Value) -> String {
    json!({
        "name": "bot",
        "tools": ["read", "write", "shell"],
        "allowedTools": ["read", "write", "shell"],
        "toolsSettings": {
            "shell": {"allowedCommands": ["echo .*", "cat .*"], "deniedCommands": ["rm .*"]}
        },
        "hooks": hooks
    })
    .to_string()
}

async fn chat(env: &Env, server: &ModelServer, args: &[&str]) -> Output {
    env.chat_stream(&server.url, args).await
}

fn events(output: &Output) -> Vec<Value> {
    support::stream_events(output)
}

fn tool_calls(output: &Output) -> Vec<Value> {
    events(output)
        .into_iter()
        .filter(|e| e["type"] == "tool_call")
        .collect()
}

fn shell(id: &str, command: &str) -> (String, String, Value) {
    (id.into(), "shell".into(), json!({ "command": command }))
}

fn script(calls: &[(String, String, Value)]) -> Vec<Scripted> {
    let calls: Vec<(&str, &str, Value)> = calls
        .iter()
        .map(|(id, tool, input)| (id.as_str(), tool.as_str(), input.clone()))
        .collect();
    vec![
        Protocol::OpenAi.tool_calls(&calls),
        Protocol::OpenAi.text("done"),
    ]
}

/// What the model was sent in its second request (the tool results).
fn second_request(server: &ModelServer) -> String {
    server.requests()[1].body.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_hook_logs_one_line_per_shell_command() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{"matcher": "execute_bash", "command": AUDIT_HOOK}]})),
    );
    env.write("notes.txt", "hi\n");
    let server = ModelServer::start(script(&[
        shell("c1", "echo one"),
        ("c2".into(), "read".into(), json!({"path": "notes.txt"})),
        shell("c3", "echo two && echo three"),
        shell("c4", "rm -rf notes.txt"),
    ]))
    .await;
    let output = chat(&env, &server, &["--trust-workspace", "go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let log = std::fs::read_to_string(env.workspace.join("audit.log")).unwrap();
    assert_eq!(log, "echo one\necho two && echo three\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repositorys_hooks_do_not_run_headless_without_trust() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{"matcher": "shell", "command": AUDIT_HOOK}]})),
    );
    let server = ModelServer::start(script(&[shell("c1", "echo one")])).await;
    let output = chat(&env, &server, &["go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!env.workspace.join("audit.log").exists());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not trusted"), "{stderr}");
    assert!(
        stderr.contains(AUDIT_HOOK),
        "the warning shows what was skipped"
    );
    assert!(stderr.contains("--trust-workspace"), "{stderr}");

    // The user's own agent file needs no trust.
    std::fs::remove_file(env.workspace.join(".kiro/agents/bot.json")).unwrap();
    let log = env.workspace.join("audit.log");
    env.write_home(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{"command": format!(
            "jq -r .tool_input.command >> {}", log.display()
        )}]})),
    );
    let server = ModelServer::start(script(&[shell("c1", "echo one")])).await;
    let output = chat(&env, &server, &["go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "echo one\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trust_setting_lets_a_workspace_run_its_hooks() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{"matcher": "shell", "command": AUDIT_HOOK}]})),
    );
    let workspace = env.workspace.display().to_string();
    let set = env
        .agent()
        .args([
            "settings",
            "trust.workspaces",
            &format!("/elsewhere:{workspace}"),
        ])
        .output()
        .unwrap();
    assert!(set.status.success(), "{set:?}");
    let server = ModelServer::start(script(&[shell("c1", "echo one")])).await;
    let output = chat(&env, &server, &["go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("audit.log")).unwrap(),
        "echo one\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocking_hook_stops_a_write_and_the_model_sees_why() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{
            "matcher": "fs_write",
            "command": "echo 'writes are frozen until the release' >&2; exit 2"
        }]})),
    );
    let server = ModelServer::start(script(&[(
        "c1".into(),
        "write".into(),
        json!({"command": "create", "path": "new.txt", "content": "x"}),
    )]))
    .await;
    let output = chat(&env, &server, &["--trust-workspace", "write it"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!env.workspace.join("new.txt").exists());
    assert_eq!(tool_calls(&output)[0]["decision"], "deny");
    assert!(second_request(&server).contains("writes are frozen until the release"));
}

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(marker))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_hook_blocks_after_its_timeout_and_leaves_nothing_behind() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [{
            "command": "sleep 9137 & sleep 9138; true",
            "timeout_ms": 300
        }]})),
    );
    let server = ModelServer::start(script(&[shell("c1", "echo hi > out.txt")])).await;
    let started = std::time::Instant::now();
    let output = chat(&env, &server, &["--trust-workspace", "go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(!env.workspace.join("out.txt").exists());
    assert_eq!(tool_calls(&output)[0]["decision"], "deny");
    assert!(second_request(&server).contains("timed out after 300 ms"));
    assert_eq!(processes_with("sleep 913"), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_can_tighten_a_decision_but_never_loosen_one() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"preToolUse": [
            {"command": "echo '{\"decision\": \"allow\"}'"},
            {"matcher": "shell", "command":
                "if grep -q secret-op; then echo '{\"decision\": \"deny\", \"reason\": \"no secret ops\"}'; fi"}
        ]})),
    );
    let server = ModelServer::start(script(&[
        shell("c1", "rm -rf notes"),
        shell("c2", "echo secret-op"),
        shell("c3", "echo fine"),
    ]))
    .await;
    let output = chat(&env, &server, &["--trust-workspace", "go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let decisions: Vec<Value> = tool_calls(&output)
        .iter()
        .map(|c| c["decision"].clone())
        .collect();
    assert_eq!(
        decisions,
        vec![json!("deny"), json!("deny"), json!("allow")]
    );
    assert!(second_request(&server).contains("no secret ops"));
}

#[tokio::test(flavor = "multi_thread")]
async fn prompt_hooks_add_context_and_stop_hooks_run_at_turn_end() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({
            "agentSpawn": [{"command": "echo 'the build is green'"}],
            "userPromptSubmit": [{"command": "echo \"branch: feature-x\""}],
            "stop": [{"command": "jq -r .hook_event_name > stopped.txt"}]
        })),
    );
    let server = ModelServer::start(vec![Protocol::OpenAi.text("ok")]).await;
    let output = chat(&env, &server, &["--trust-workspace", "hello"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let first = server.requests()[0].body.to_string();
    assert!(first.contains("the build is green"), "{first}");
    assert!(first.contains("branch: feature-x"), "{first}");
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("stopped.txt")).unwrap(),
        "stop\n"
    );
}

const FAKE_AWS_SECRET: &str = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[tokio::test(flavor = "multi_thread")]
async fn a_write_holding_an_aws_secret_key_is_refused() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(json!({})));
    let server = ModelServer::start(script(&[(
        "c1".into(),
        "write".into(),
        json!({"command": "create", "path": ".env", "content": format!("{FAKE_AWS_SECRET}\n")}),
    )]))
    .await;
    let output = chat(&env, &server, &["--trust-all-tools", "save the key"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!env.workspace.join(".env").exists());
    let call = &tool_calls(&output)[0];
    assert_eq!(call["decision"], "deny");
    assert!(
        call["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("an AWS secret access key"),
        "{call}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_read_by_cat_reaches_the_model_redacted() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(json!({})));
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    env.write("config.ini", &format!("user = me\ntoken = {token}\n"));
    let audit = env.workspace.join("ci-audit.jsonl");
    let server = ModelServer::start(script(&[shell("c1", "cat config.ini")])).await;
    let output = chat(
        &env,
        &server,
        &[
            "--audit-log",
            &audit.display().to_string(),
            "show the config",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let sent = second_request(&server);
    assert!(!sent.contains(token), "{sent}");
    assert!(sent.contains("user = me"), "{sent}");
    assert!(sent.contains("[REDACTED: a GitHub token]"), "{sent}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(token));
    let audit = std::fs::read_to_string(&audit).unwrap();
    assert!(!audit.contains(token), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kiro_json_denies_patterns_and_asks_for_risky_files() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(json!({})));
    env.write_home(
        ".kiro/kiro.json",
        r#"{"guardrails": {"deny": {"patterns": ["DATABASE_URL_PRIMARY"]}}}"#,
    );
    env.write(
        ".kiro/kiro.json",
        r#"{"guardrails": {
  "requireApproval": {"files": ["**/Dockerfile"], "patterns": ["DROP TABLE"]}
}}"#,
    );
    let server = ModelServer::start(script(&[
        shell("c1", "echo $DATABASE_URL_PRIMARY"),
        (
            "c2".into(),
            "write".into(),
            json!({"command": "create", "path": "app/Dockerfile", "content": "FROM scratch\n"}),
        ),
        shell("c3", "echo 'DROP TABLE users'"),
        shell("c4", "echo fine"),
    ]))
    .await;
    let output = chat(&env, &server, &["go"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let calls = tool_calls(&output);
    let decisions: Vec<&Value> = calls.iter().map(|c| &c["decision"]).collect();
    assert_eq!(decisions, ["deny", "deny", "deny", "allow"]);
    assert!(!env.workspace.join("app/Dockerfile").exists());
    let cited = calls[1]["reasons"].to_string();
    assert!(cited.contains("requireApproval.files"), "{cited}");
    assert!(cited.contains(".kiro/kiro.json:2:"), "{cited}");

    let check = env
        .agent()
        .args([
            "policy",
            "check",
            "--agent",
            "bot",
            "shell",
            "echo $DATABASE_URL_PRIMARY",
        ])
        .output()
        .unwrap();
    let verdict: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(verdict["decision"], "deny");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_guardrail_stops_the_run_with_its_position() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(json!({})));
    env.write(
        ".kiro/kiro.json",
        "{\"guardrails\": {\n  \"deny\": {\"pattern\": [\"x\"]}}}",
    );
    let server = ModelServer::start(vec![Protocol::OpenAi.text("ok")]).await;
    let output = chat(&env, &server, &["go"]).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("kiro.json:2:12"), "{stderr}");
    assert!(stderr.contains("did you mean `patterns`"), "{stderr}");
}

/// Runs interactive `agent chat --agent bot` (line mode) with `lines` on stdin.
async fn line_chat(env: &Env, server: &ModelServer, lines: &[&str]) -> Output {
    use std::io::Write;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--agent", "bot", "--model", "openai/scripted"])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let input = lines.join("\n") + "\n";
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn line_mode_asks_once_for_trust_and_again_when_the_hooks_change() {
    let env = Env::new();
    let hooks = json!({"stop": [{"command": "echo ran >> stop.log"}]});
    env.write(".kiro/agents/bot.json", &agent(hooks));
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("one"),
        Protocol::OpenAi.text("two"),
        Protocol::OpenAi.text("three"),
    ])
    .await;
    let first = line_chat(&env, &server, &["y", "/hooks", "hello"]).await;
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("hook stop: echo ran >> stop.log"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("stop: echo ran >> stop.log"));
    let log = env.workspace.join("stop.log");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\n");

    // Trusted once: the next session does not ask, and headless runs it too.
    let second = line_chat(&env, &server, &["hello"]).await;
    assert!(!String::from_utf8_lossy(&second.stderr).contains("trust this workspace"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\nran\n");

    // A change asks again; no answer means no.
    env.write(
        ".kiro/agents/bot.json",
        &agent(json!({"stop": [{"command": "echo changed >> stop.log"}]})),
    );
    let third = chat(&env, &server, &["hello"]).await;
    assert!(String::from_utf8_lossy(&third.stderr).contains("not trusted"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\nran\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn steering_files_reach_the_first_request_and_context_show_lists_them() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &agent(json!({})));
    env.write("AGENTS.md", "Run the tests with make check.\n");
    env.write(".kiro/steering/style.md", "Workspace style: tabs.\n");
    env.write_home(".kiro/steering/style.md", "User style: spaces.\n");
    env.write_home(".kiro/steering/tone.md", "Be brief.\n");
    env.write(".kiro/steering/zz-huge.md", &"x".repeat(70 * 1024));
    let server = ModelServer::start(vec![Protocol::OpenAi.text("ok")]).await;
    let output = line_chat(&env, &server, &["/context show", "hello"]).await;
    let system = server.requests()[0].body.to_string();
    assert!(
        system.contains("Run the tests with make check."),
        "AGENTS.md missing"
    );
    assert!(
        system.contains("Workspace style: tabs."),
        "steering missing"
    );
    assert!(
        !system.contains("User style: spaces."),
        "the workspace wins by name"
    );
    assert!(system.contains("Be brief."), "steering missing");
    assert!(
        system.contains("did not fit the 65536-byte budget"),
        "no note about the cut"
    );
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("AGENTS.md"), "{shown}");
    assert!(shown.contains("steering"), "{shown}");
    assert!(shown.contains("71680 bytes"), "{shown}");
    assert!(shown.contains("(cut to"), "{shown}");
    assert!(shown.contains("65536 of 65536 bytes used"), "{shown}");
}
