//! Shared helpers for integration tests: a sandboxed home and workspace, and
//! the real `agent` binary pointed at them.

#![allow(dead_code)]

pub mod model_server;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// A throwaway home folder, state folder and workspace for one test.
pub struct Env {
    _root: TempDir,
    /// `$HOME` for the binary.
    pub home: PathBuf,
    /// `$AGENT_HOME` for the binary.
    pub agent_home: PathBuf,
    /// The workspace (a git repository root: it holds `.git`).
    pub workspace: PathBuf,
}

impl Env {
    /// A fresh environment whose workspace is a git root.
    pub fn new() -> Env {
        let root = tempfile::tempdir().expect("temp dir");
        let home = root.path().join("home");
        let agent_home = root.path().join("agent-home");
        let workspace = root.path().join("work");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(workspace.join(".git")).expect("workspace");
        Env {
            _root: root,
            home,
            agent_home,
            workspace,
        }
    }

    /// Writes `text` to `relative` under the workspace, creating folders.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        write_file(&self.workspace.join(relative), text)
    }

    /// The text of `relative` under the workspace.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.workspace.join(relative)).expect("read")
    }

    /// Writes `text` to `relative` under the home folder.
    pub fn write_home(&self, relative: &str, text: &str) -> PathBuf {
        write_file(&self.home.join(relative), text)
    }

    /// The binary, run in the workspace with this environment only.
    pub fn agent(&self) -> Command {
        self.agent_in(&self.workspace)
    }

    /// The binary, run in `cwd` with this environment only.
    pub fn agent_in(&self, cwd: &Path) -> Command {
        Command::from_std(self.std_command(cwd))
    }

    /// The binary as a plain `std::process::Command`, run in `cwd` with this
    /// environment only (for tests that must not block an async runtime).
    pub fn std_command(&self, cwd: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("agent"));
        cmd.current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AGENT_HOME", &self.agent_home);
        cmd
    }
}

fn write_file(path: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(path, text).expect("write");
    path.to_path_buf()
}

impl Env {
    /// Runs `agent chat --no-interactive --agent bot ARGS` against the model
    /// server at `url`, with stdin closed, off the async runtime.
    pub async fn chat_headless(&self, url: &str, args: &[&str]) -> std::process::Output {
        let base = format!("{url}/v1");
        self.chat_headless_with("openai/scripted", "OPENAI_BASE_URL", &base, args)
            .await
    }

    /// [`Env::chat_headless`] with `model`, its endpoint in `variable`
    /// (as [`model_server::Protocol::model_and_env`] gives them).
    pub async fn chat_headless_with(
        &self,
        model: &str,
        variable: &str,
        base_url: &str,
        args: &[&str],
    ) -> std::process::Output {
        let mut command = self.std_command(&self.workspace);
        command
            .args(["chat", "--no-interactive", "--agent", "bot"])
            .args(["--model", model])
            .args(args)
            .env(variable, base_url)
            .stdin(std::process::Stdio::null());
        tokio::task::spawn_blocking(move || command.output().expect("output"))
            .await
            .expect("join")
    }

    /// [`Env::chat_headless`] with `--output-format stream-json`.
    pub async fn chat_stream(&self, url: &str, args: &[&str]) -> std::process::Output {
        let args: Vec<&str> = ["--output-format", "stream-json"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        self.chat_headless(url, &args).await
    }

    /// Runs interactive `agent chat ARGS` (line mode: stdin is a pipe)
    /// against the model server at `url`, with `lines` typed in, off the
    /// async runtime.
    pub async fn chat_lines(
        &self,
        url: &str,
        args: &[&str],
        lines: &[&str],
    ) -> std::process::Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut command = self.std_command(&self.workspace);
        command
            .arg("chat")
            .args(args)
            .args(["--model", "openai/scripted"])
            .env("OPENAI_BASE_URL", format!("{url}/v1"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let input = lines.join("\n") + "\n";
        tokio::task::spawn_blocking(move || {
            let mut child = command.spawn().expect("spawn");
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(input.as_bytes()).expect("stdin");
            }
            child.wait_with_output().expect("output")
        })
        .await
        .expect("join")
    }
}

/// Each tool result a `stream-json` run printed: what the model was told,
/// and whether it was a failure or a refusal.
pub fn tool_results(output: &std::process::Output) -> Vec<(String, bool)> {
    stream_events(output)
        .iter()
        .filter(|e| e["type"] == "tool_result")
        .map(|e| {
            let text = e["output"].as_str().expect("output text").to_string();
            (text, e["is_error"].as_bool().expect("is_error"))
        })
        .collect()
}

/// Whether `python3` runs here (the MCP test servers are Python); under
/// `CI=true` its absence fails the test instead of skipping it.
pub fn python3_available() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var("CI").is_err(),
        "python3 is needed for the MCP test server"
    );
    found
}

/// The events a `stream-json` run printed, one per line.
pub fn stream_events(output: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Copies the folder `from` into `to`, recursively (an example or a
/// corpus into a test's workspace).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The repository's own folder (for the shipped example files).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every agent file the repository ships.
pub fn shipped_agent_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join(".kiro/agents/refactor-bot.json")];
    for folder in [
        "examples/agents",
        "examples/kiro-autorun/.kiro/agents",
        "examples/pantry/.kiro/agents",
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(repo().join(folder))
            .expect("examples folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// A turn that edits `a.txt` with the write tool, `f.txt` with a shell
/// command, and creates `new.txt` (the review tests' turn).
pub fn three_changes() -> model_server::Scripted {
    model_server::Protocol::OpenAi.tool_calls(&[
        (
            "c1",
            "write",
            serde_json::json!({"command": "create", "path": "a.txt", "content": "changed a\n"}),
        ),
        (
            "c2",
            "shell",
            serde_json::json!({"command": "echo x > f.txt"}),
        ),
        (
            "c3",
            "write",
            serde_json::json!({"command": "create", "path": "new.txt", "content": "new\n"}),
        ),
    ])
}

/// A goal the model meets in one iteration by creating `done.txt`.
pub const DONE_GOAL: &str = "/goal --max 2 --check 'test -f done.txt' create done.txt";

/// The model's turns for [`DONE_GOAL`]: a plan, the write, its answer.
pub fn done_goal_turns() -> Vec<model_server::Scripted> {
    use model_server::Protocol;
    vec![
        Protocol::OpenAi.text("Plan: create done.txt."),
        Protocol::OpenAi.tool_calls(&[(
            "w",
            "write",
            serde_json::json!({"command": "create", "path": "done.txt", "content": "done\n"}),
        )]),
        Protocol::OpenAi.text("Created done.txt."),
    ]
}
