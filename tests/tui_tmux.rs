//! The terminal UI end to end: the real binary in a tmux pane against the
//! scripted model server. A prompt is typed and its streamed answer shown,
//! a write is approved with `y`, a shell command refused with `n`,
//! `/checkpoint list` run, and `/quit` leaves with exit code 0; Shift+Tab
//! turns on supervised mode and a turn's changes are decided per file;
//! `tmux capture-pane` shows each step (printed, for `--nocapture`).
//! Skipped, with the reason printed, when tmux is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read"],
    "toolsSettings": {"shell": {"deniedCommands": ["rm .*"]}}}"#;

/// How long one step may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Tmux {
            socket: format!("agent-tui-test-{}-{nanos}", std::process::id()),
        }
    }

    /// A new server running `command` in a detached 100×40 session.
    fn start(command: &str) -> Tmux {
        let tmux = Tmux::new();
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            "100",
            "-y",
            "40",
            command,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "tui"])
    }

    /// Types `text` literally, then presses each of `keys`.
    fn type_keys(&self, text: &str, keys: &[&str]) {
        if !text.is_empty() {
            self.run(&["send-keys", "-t", "tui", "-l", text]);
        }
        for key in keys {
            self.run(&["send-keys", "-t", "tui", key]);
        }
    }

    /// Polls the pane until it shows every one of `wanted`; prints the
    /// screen under `step`.
    fn wait_for(&self, step: &str, wanted: &[&str]) -> String {
        self.wait_for_without(step, wanted, &[])
    }

    /// Polls the pane until it shows every one of `wanted` and none of
    /// `gone`.
    fn wait_for_without(&self, step: &str, wanted: &[&str], gone: &[&str]) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let screen = self.screen();
            if wanted.iter().all(|w| screen.contains(w)) && !gone.iter().any(|g| screen.contains(g))
            {
                println!("── {step} ──\n{screen}");
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{step}: waited for {wanted:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The shell command that runs the binary in `env` against `server`, and
/// says how it exited.
fn agent_command(env: &Env, server: &ModelServer) -> String {
    format!(
        "cd {} && env -i HOME={} AGENT_HOME={} PATH={} TERM=xterm-256color OPENAI_BASE_URL={}/v1 {} chat --agent bot --model openai/scripted; echo \"agent exited with $?\"; sleep 600",
        quoted(&env.workspace),
        quoted(&env.home),
        quoted(&env.agent_home),
        quoted(Path::new(&std::env::var("PATH").unwrap_or_default())),
        server.url,
        quoted(&assert_cmd::cargo::cargo_bin("agent")),
    )
}

/// Whether tmux is missing: the test is then skipped, saying so, except
/// under `CI=true`, where it fails (`.ci/run` installs tmux).
fn tmux_missing() -> bool {
    let missing = Command::new("tmux").arg("-V").output().is_err();
    assert!(
        !missing || std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true and tmux is missing; .ci/run installs it"
    );
    if missing {
        println!("skipped: tmux is not installed");
    }
    missing
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_ui_streams_asks_and_runs_slash_commands() {
    if tmux_missing() {
        return;
    }
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Hello from the scripted model, streamed in pieces."),
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "write",
            json!({"command": "create", "path": "a.txt", "content": "A\n"}),
        )]),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "echo hi > b.txt"}))]),
        Protocol::OpenAi.text("Wrote a.txt; b.txt was refused."),
    ])
    .await;
    let command = agent_command(&env, &server);
    let workspace = env.workspace.clone();
    tokio::task::spawn_blocking(move || {
        let tmux = Tmux::start(&command);
        tmux.wait_for("started", &["/help lists commands", "prompt"]);

        tmux.type_keys("say hello", &["Enter"]);
        tmux.wait_for(
            "the streamed answer",
            &[
                "› say hello",
                "Hello from the scripted model, streamed in pieces.",
            ],
        );

        tmux.type_keys("make the files", &["Enter"]);
        tmux.wait_for(
            "a write asks",
            &["write needs your approval", "create a.txt"],
        );
        tmux.type_keys("y", &[]);
        tmux.wait_for(
            "approved; a command asks",
            &[
                "approved once",
                "shell needs your approval",
                "$ echo hi > b.txt",
            ],
        );
        tmux.type_keys("n", &[]);
        tmux.wait_for("the refusal's reason", &["reason for the model"]);
        tmux.type_keys("not that way", &["Enter"]);
        tmux.wait_for(
            "refused; the turn ends",
            &["refused: not that way", "Wrote a.txt; b.txt was refused."],
        );
        assert_eq!(
            std::fs::read_to_string(workspace.join("a.txt")).unwrap(),
            "A\n"
        );
        assert!(!workspace.join("b.txt").exists());

        tmux.type_keys("/checkpoint list", &["Enter"]);
        tmux.wait_for(
            "/checkpoint list",
            &["┌ /checkpoint list", "baseline", "turn: make the files"],
        );

        tmux.type_keys("/quit", &["Enter"]);
        tmux.wait_for("/quit", &["agent exited with 0"]);
    })
    .await
    .unwrap();
    let third = server.requests()[3].body.to_string();
    assert!(
        third.contains("the user refused this call: not that way"),
        "{third}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_steer_or_queue_while_the_agent_works_and_esc_cancels() {
    if tmux_missing() {
        return;
    }
    let env = Env::new();
    env.write(".kiro/agents/bot.json", AGENT);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "shell", json!({"command": "sleep 5"}))]),
        Protocol::OpenAi.text("Steered answer."),
        Protocol::OpenAi.text("Queued answer."),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "sleep 60"}))]),
    ])
    .await;
    let command = agent_command(&env, &server);
    let workspace = env.workspace.canonicalize().unwrap();
    tokio::task::spawn_blocking(move || {
        let tmux = Tmux::start(&command);
        tmux.wait_for("started", &["/help lists commands"]);
        tmux.type_keys("start", &["Enter"]);
        tmux.wait_for("a command asks", &["shell needs your approval"]);
        tmux.type_keys("y", &[]);
        tmux.type_keys("use the fast path", &["Enter", "C-s"]);
        tmux.type_keys("after", &["Enter"]);
        tmux.wait_for(
            "one message to steer, one queued",
            &["queue mode (Ctrl+S)", "pending: 1 to steer, 1 queued"],
        );
        tmux.wait_for(
            "steered, then queued",
            &[
                "steered: use the fast path",
                "Steered answer.",
                "› after",
                "Queued answer.",
            ],
        );
        tmux.type_keys("again", &["Enter"]);
        tmux.wait_for(
            "a long command asks",
            &["$ sleep 60", "needs your approval"],
        );
        tmux.type_keys("y", &[]);
        tmux.wait_for_without("it runs", &["sleep 60"], &["needs your approval"]);
        // This test's `sleep 60`: another one on the machine (a test
        // binary before this one, say) runs elsewhere.
        let running = || {
            std::fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| {
                    std::fs::read(entry.path().join("cmdline"))
                        .is_ok_and(|c| c == b"sleep\x0060\x00")
                        && std::fs::read_link(entry.path().join("cwd"))
                            .is_ok_and(|cwd| cwd == workspace)
                })
        };
        // The command starts a moment after the screen shows it (the
        // sandbox's helper sets its layers up first).
        let deadline = Instant::now() + STEP;
        while !running() {
            assert!(Instant::now() < deadline, "the approved command runs");
            std::thread::sleep(Duration::from_millis(50));
        }
        tmux.type_keys("", &["Escape"]);
        tmux.wait_for(
            "Esc cancelled it",
            &["cancelled: the turn was stopped and left out of the conversation"],
        );
        let deadline = Instant::now() + STEP;
        while running() {
            assert!(
                Instant::now() < deadline,
                "the cancelled command was not killed"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        tmux.type_keys("/quit", &["Enter"]);
        tmux.wait_for("/quit", &["agent exited with 0"]);
    })
    .await
    .unwrap();
    let requests = server.requests();
    assert!(
        requests[1].body.to_string().contains("use the fast path"),
        "the steered message joined the turn at its tool boundary"
    );
    assert!(requests[2].body.to_string().contains("after"));
    assert_eq!(requests.len(), 4, "nothing was sent after the cancel");
}

#[tokio::test(flavor = "multi_thread")]
async fn shift_tab_turns_on_supervised_mode_and_the_review_is_decided_per_file() {
    if tmux_missing() {
        return;
    }
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write", "shell"]}"#,
    );
    env.write("a.txt", "original a\n");
    env.write("f.txt", "original f\n");
    let server = ModelServer::start(vec![
        support::three_changes(),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let command = agent_command(&env, &server);
    let workspace = env.workspace.clone();
    tokio::task::spawn_blocking(move || {
        let tmux = Tmux::start(&command);
        tmux.wait_for("started", &["/help lists commands", "prompt"]);
        tmux.type_keys("", &["BTab"]);
        tmux.wait_for("Shift+Tab", &["mode: supervised", "· supervised ·"]);

        tmux.type_keys("change the files", &["Enter"]);
        tmux.wait_for(
            "the review",
            &[
                "the turn changed 3 file(s): keep them?",
                "+changed a",
                "f per file",
            ],
        );
        tmux.type_keys("f", &[]);
        tmux.wait_for("a.txt", &["keep a.txt?"]);
        tmux.type_keys("y", &[]);
        tmux.wait_for("f.txt", &["keep f.txt?"]);
        tmux.type_keys("n", &[]);
        tmux.wait_for("new.txt", &["keep new.txt?"]);
        tmux.type_keys("y", &[]);
        tmux.wait_for("the reason", &["reason for the model"]);
        tmux.type_keys("not f", &["Enter"]);
        tmux.wait_for("applied", &["accepted: a.txt, new.txt"]);
        let read = |name: &str| std::fs::read_to_string(workspace.join(name)).unwrap();
        assert_eq!(read("a.txt"), "changed a\n");
        assert_eq!(read("f.txt"), "original f\n");
        assert_eq!(read("new.txt"), "new\n");

        tmux.type_keys("/quit", &["Enter"]);
        tmux.wait_for("/quit", &["agent exited with 0"]);
    })
    .await
    .unwrap();
}
