//! Two sessions in one workspace: each has its own checkpoints, a restore
//! in one refuses to undo the other's work while it runs, and two stores
//! created at the same instant both work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is its failure

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str =
    r#"{"name": "bot", "tools": ["shell", "write"], "allowedTools": ["shell", "write"]}"#;

/// Waits until `ready` holds (a failure after a minute).
fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many requests came from the session whose prompt holds `needle`.
fn requests_of(server: &ModelServer, needle: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.body.to_string().contains(needle))
        .count()
}

/// `agent chat --no-interactive` on `prompt`, running in the background.
fn start_session(env: &Env, server: &ModelServer, prompt: &str) -> std::process::Child {
    env.std_command(&env.workspace)
        .args(["chat", "--no-interactive", "--agent", "bot"])
        .args(["--model", "openai/scripted", prompt])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// `agent checkpoint ARGS`: its exit status, stdout and stderr.
fn checkpoint(env: &Env, args: &[&str]) -> (bool, String, String) {
    let output = env
        .std_command(&env.workspace)
        .arg("checkpoint")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The session column of the listed row whose description is `description`.
fn session_of(listing: &str, description: &str) -> String {
    let row = listing
        .lines()
        .find(|row| row.ends_with(description))
        .unwrap_or_else(|| panic!("{description:?} in {listing}"));
    row.split_whitespace().nth(3).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_in_one_session_refuses_to_undo_another_running_sessions_work() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("readme.txt", "shared\n");
    // Session A's command waits for the test's go-ahead, so session B's
    // file exists (and B's checkpoint holds it) before A's command runs
    // and its checkpoint walks the workspace.
    let wait_then_write = "while [ ! -e gate ]; do sleep 0.05; done; rm gate; echo a > a.txt";
    let mut slow = Protocol::OpenAi.text("still thinking");
    slow.chunk_delay = Duration::from_secs(120);
    let server = ModelServer::start(vec![
        Protocol::OpenAi
            .tool_calls(&[("a1", "shell", json!({"command": wait_then_write}))])
            .when("session A"),
        Protocol::OpenAi.text("A is done").when("session A"),
        Protocol::OpenAi
            .tool_calls(&[("b1", "shell", json!({"command": "echo b > b.txt"}))])
            .when("session B"),
        slow.when("session B"),
    ])
    .await;
    let a = start_session(&env, &server, "session A: write a.txt");
    wait_for("session A's first request", || {
        requests_of(&server, "session A") >= 1
    });
    let mut b = start_session(&env, &server, "session B: write b.txt");
    wait_for("session B's checkpoint after its command", || {
        requests_of(&server, "session B") >= 2
    });
    assert!(env.workspace.join("b.txt").exists());
    env.write("gate", "");
    let a = tokio::task::spawn_blocking(move || a.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));

    let (listed, listing, _) = checkpoint(&env, &["list", "--all"]);
    assert!(listed, "{listing}");
    let session_a = session_of(&listing, "turn: session A: write a.txt");
    let sessions: std::collections::BTreeSet<&str> = listing
        .lines()
        .filter_map(|row| row.split_whitespace().nth(3))
        .collect();
    assert_eq!(
        sessions.len(),
        2,
        "each session has its own line: {listing}"
    );
    assert!(
        !listing.contains("+0 ~0 -0  turn: session A"),
        "the turn's line counts what the whole turn changed: {listing}"
    );

    let (restored, _, refusal) =
        checkpoint(&env, &["--session", &session_a, "restore", "1", "--hard"]);
    assert!(!restored, "refused while session B runs");
    assert!(
        refusal.contains("b.txt") && refusal.contains("--force"),
        "{refusal}"
    );
    assert!(
        !refusal.contains("a.txt"),
        "A's own file is A's to undo: {refusal}"
    );
    assert!(env.workspace.join("b.txt").exists() && env.workspace.join("a.txt").exists());

    let (forced, out, err) = checkpoint(
        &env,
        &["--session", &session_a, "restore", "1", "--hard", "--force"],
    );
    assert!(forced, "{out}{err}");
    assert!(!env.workspace.join("a.txt").exists(), "{out}");
    let _ = b.kill();
    let _ = b.wait();
}

#[test]
fn stores_created_at_the_same_instant_all_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = dir.path().join("w");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("f.txt"), "f\n").unwrap();
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|scope| {
        for i in 0..8 {
            let (data, workspace, start) = (&data, &workspace, &start);
            scope.spawn(move || {
                start.wait();
                let mut store = agent::checkpoint::CheckpointStore::open(data, workspace)
                    .expect("every racer opens the store");
                store.use_session(&format!("s{i}")).unwrap();
                assert!(store.snapshot("1", "baseline", false).unwrap().is_some());
            });
        }
    });
    let store = agent::checkpoint::CheckpointStore::open(&data, &workspace).unwrap();
    assert_eq!(store.sessions().unwrap().len(), 8);
}
