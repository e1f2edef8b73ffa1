//! Supervised mode, with the real binary against the scripted model
//! server: a turn's changes (the write tool's and a shell command's) wait
//! for review; rejecting puts the files back as they were before the turn
//! and the model hears why on its next request; accepting per file keeps
//! exactly those files; headless `--supervised` is a dry run whose result
//! carries the pending diff; `/mode` switches for the session.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

/// Writes and runs commands unasked, so the review is the only question.
const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"],
    "allowedTools": ["read", "write", "shell"]}"#;

/// A workspace with two files the turn will change.
fn env() -> Env {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    env.write("a.txt", "original a\n");
    env.write("f.txt", "original f\n");
    env
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_as_before_the_turn(env: &Env) {
    assert_eq!(env.read("a.txt"), "original a\n");
    assert_eq!(env.read("f.txt"), "original f\n", "the shell's change too");
    assert!(
        !env.workspace.join("new.txt").exists(),
        "the file the turn created is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reject_all_puts_back_every_change_and_the_model_hears_why() {
    let env = env();
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
        Protocol::OpenAi.text("Understood."),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "bot", "--supervised"],
            &[
                "change the files",
                "r keep the originals",
                "what now?",
                "/quit",
            ],
        )
        .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for expected in [
        "[review] the turn changed 3 file(s):",
        "modified a.txt +1 -1",
        "modified f.txt +1 -1",
        "added new.txt +1 -0",
        "+changed a",
        "rejected and put back as before the turn: a.txt, f.txt, new.txt",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in:\n{stderr}");
    }
    assert_as_before_the_turn(&env);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let next = requests[2].body.to_string();
    assert!(
        next.contains("[review] The user rejected your changes to a.txt, f.txt, new.txt"),
        "{next}"
    );
    assert!(
        next.contains("The user's reason: keep the originals"),
        "{next}"
    );
    assert!(
        !requests[1].body.to_string().contains("[review]"),
        "only the request after the review carries the note"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accepting_per_file_keeps_exactly_those_files() {
    let env = env();
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    // Files are asked about in path order: a.txt, f.txt, new.txt.
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "bot", "--supervised"],
            &["change the files", "f", "y", "n", "y", "", "/quit"],
        )
        .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("accepted: a.txt, new.txt"), "{stderr}");
    assert_eq!(env.read("a.txt"), "changed a\n");
    assert_eq!(env.read("f.txt"), "original f\n");
    assert_eq!(env.read("new.txt"), "new\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn mode_switches_for_the_session_and_autopilot_does_not_ask() {
    let env = env();
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
        Protocol::OpenAi.tool_calls(&[(
            "c4",
            "write",
            json!({"command": "create", "path": "b.txt", "content": "b\n"}),
        )]),
        Protocol::OpenAi.text("Done again."),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "bot"],
            &[
                "/mode",
                "/mode supervised",
                "change the files",
                "a",
                "/mode",
                "/mode autopilot",
                "write b.txt",
                "/quit",
            ],
        )
        .await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let modes: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("mode: "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        modes,
        ["autopilot", "supervised", "supervised", "autopilot"],
        "{stdout}"
    );
    assert_eq!(
        stderr.matches("[review]").count(),
        1,
        "only the supervised turn is reviewed:\n{stderr}"
    );
    assert!(
        stderr.contains("accepted: a.txt, f.txt, new.txt"),
        "{stderr}"
    );
    assert_eq!(env.read("f.txt"), "x\n");
    assert_eq!(env.read("b.txt"), "b\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_supervised_is_a_dry_run_with_the_diff_in_the_result() {
    let env = env();
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env
        .chat_headless(
            &server.url,
            &[
                "--supervised",
                "--output-format",
                "json",
                "change the files",
            ],
        )
        .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result: Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    let files = result["review"]["files"].as_array().unwrap();
    let summary: Vec<(&str, u64, u64)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["added"].as_u64().unwrap(),
                f["removed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("a.txt", 1, 1), ("f.txt", 1, 1), ("new.txt", 1, 0)]
    );
    let diff = files[0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-original a") && diff.contains("+changed a"),
        "{diff}"
    );
    assert_eq!(result["review"]["applied"], false);
    assert_as_before_the_turn(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_setting_turns_supervised_mode_on_and_is_checked() {
    let env = env();
    let refused = env
        .agent()
        .args(["settings", "chat.mode", "careful"])
        .output()
        .unwrap();
    assert_ne!(refused.status.code(), Some(0));
    assert!(text(&refused.stderr).contains("one of autopilot, supervised"));
    env.agent()
        .args(["settings", "chat.mode", "supervised"])
        .assert()
        .success();
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env
        .chat_headless(
            &server.url,
            &["--output-format", "json", "change the files"],
        )
        .await;
    let result: Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    assert_eq!(result["review"]["files"].as_array().unwrap().len(), 3);
    assert_as_before_the_turn(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_supervised_refuses_a_goal_or_spec_run_it_could_not_hold_for_review() {
    let env = env();
    let server = ModelServer::start(vec![]).await;
    for prompt in ["/goal --check true make it so", "/spec run typed"] {
        let output = env
            .chat_headless(&server.url, &["--supervised", prompt])
            .await;
        assert_eq!(output.status.code(), Some(2), "{prompt}");
        assert!(text(&output.stderr).contains("is not held for review"));
    }
    assert!(server.requests().is_empty());
}
