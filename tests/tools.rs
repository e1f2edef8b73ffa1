//! The built-in tools, run the only way they can be: with the policy's
//! approval for the exact call.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::Path;

use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Approval, Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::Sandbox;
use agent::tools::{self, ToolContext, ToolOutput};
use serde_json::{Value, json};
use tempfile::TempDir;

const AGENT: &str = r#"{"name": "a", "tools": ["read", "write", "shell", "glob", "grep"],
    "allowedTools": ["read", "write", "shell", "glob", "grep"]}"#;

struct Workspace {
    dir: TempDir,
    policy: Policy,
    context: ToolContext,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let config = validate_text(Path::new("a.json"), AGENT).unwrap().config;
        let policy = Policy::new(config, dir.path(), None);
        let context = ToolContext {
            roots: Roots::new(dir.path(), None),
            env_passthrough: Vec::new(),
            cancel: agent::tools::Cancel::default(),
            sandbox: Sandbox::off(),
            session: Default::default(),
            hidden: Default::default(),
            code_index: None,
        };
        Workspace {
            dir,
            policy,
            context,
        }
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.path().join(relative)
    }

    fn approve(&self, call: &ToolCall) -> Approval {
        match self
            .policy
            .decide(call, &Trust::default(), Mode::Unattended)
        {
            Decision::Allow { approval, .. } => approval,
            other => panic!("not allowed: {}", other.to_json()),
        }
    }

    fn run(&self, tool: &str, input: Value) -> ToolOutput {
        let call = ToolCall {
            tool: tool.into(),
            input,
        };
        let approval = self.approve(&call);
        tools::run(&call, &approval, &self.context)
    }
}

#[test]
fn a_call_without_its_own_approval_does_not_run() {
    let ws = Workspace::new();
    let harmless = ToolCall {
        tool: "read".into(),
        input: json!({"path": "."}),
    };
    let approval = ws.approve(&harmless);
    let other = ToolCall {
        tool: "write".into(),
        input: json!({"command": "create", "path": "pwned.txt", "content": "x"}),
    };
    let output = tools::run(&other, &approval, &ws.context);
    assert!(
        output.is_error && output.text.contains("not approved"),
        "{output:?}"
    );
    assert!(!ws.path("pwned.txt").exists());
}

#[test]
fn write_creates_replaces_inserts_and_appends_with_a_diff() {
    let ws = Workspace::new();
    let created = ws.run(
        "write",
        json!({"command": "create", "path": "src/a.py", "content": "x = 1\ny = 2\n"}),
    );
    assert!(
        !created.is_error && created.text.contains("+x = 1"),
        "{created:?}"
    );
    assert_eq!(
        created.changed,
        vec![ws.path("src/a.py").canonicalize().unwrap()]
    );
    let replaced = ws.run("write", json!({"command": "str_replace", "path": "src/a.py", "old_str": "y = 2", "new_str": "y: int = 2"}));
    assert!(
        replaced.text.contains("-y = 2") && replaced.text.contains("+y: int = 2"),
        "{replaced:?}"
    );
    ws.run(
        "write",
        json!({"command": "insert", "path": "src/a.py", "insert_line": 0, "content": "import os"}),
    );
    ws.run(
        "write",
        json!({"command": "append", "path": "src/a.py", "content": "z = 3\n"}),
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("src/a.py")).unwrap(),
        "import os\nx = 1\ny: int = 2\nz = 3\n"
    );
}

#[test]
fn an_ambiguous_replace_changes_nothing() {
    let ws = Workspace::new();
    std::fs::write(ws.path("a.txt"), "same\nsame\n").unwrap();
    let output = ws.run(
        "write",
        json!({"command": "str_replace", "path": "a.txt", "old_str": "same", "new_str": "x"}),
    );
    assert!(
        output.is_error && output.text.contains("2 times"),
        "{output:?}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("a.txt")).unwrap(),
        "same\nsame\n"
    );
}

#[test]
fn read_numbers_lines_and_lists_folders() {
    let ws = Workspace::new();
    std::fs::create_dir(ws.path("src")).unwrap();
    std::fs::write(ws.path("src/a.py"), "one\ntwo\n").unwrap();
    assert_eq!(
        ws.run("read", json!({"path": "src/a.py"})).text,
        "     1\tone\n     2\ttwo\n"
    );
    assert_eq!(ws.run("read", json!({"path": "."})).text, "src/");
    assert!(ws.run("read", json!({"path": "missing"})).is_error);
}

#[test]
fn glob_and_grep_honour_gitignore_outside_git() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("src/deep")).unwrap();
    std::fs::create_dir_all(ws.path("build")).unwrap();
    std::fs::write(ws.path(".gitignore"), "build/\n").unwrap();
    std::fs::write(ws.path("src/a.py"), "def main():\n    pass\n").unwrap();
    std::fs::write(ws.path("src/deep/b.py"), "def helper():\n").unwrap();
    std::fs::write(ws.path("build/c.py"), "def main():\n").unwrap();
    assert_eq!(
        ws.run("glob", json!({"pattern": "**/*.py"})).text,
        "src/a.py\nsrc/deep/b.py"
    );
    assert_eq!(
        ws.run("glob", json!({"pattern": "*.py", "path": "src"}))
            .text,
        "a.py"
    );
    assert_eq!(
        ws.run("grep", json!({"pattern": "def main"})).text,
        "src/a.py:1:def main():"
    );
    assert_eq!(
        ws.run("grep", json!({"pattern": "def", "include": "b.py"}))
            .text,
        "src/deep/b.py:1:def helper():"
    );
}

#[test]
fn shell_reports_exit_code_and_both_streams_with_stdin_closed() {
    let ws = Workspace::new();
    let output = ws.run(
        "shell",
        json!({"command": "cat; echo out; echo err >&2; exit 3"}),
    );
    assert!(output.is_error);
    assert_eq!(
        output.text,
        "exit code 3\n--- stdout ---\nout\n\n--- stderr ---\nerr\n"
    );
    let ok = ws.run("shell", json!({"command": "pwd"}));
    assert!(
        !ok.is_error && ok.text.contains(&ws.dir.path().display().to_string()),
        "{ok:?}"
    );
}

#[test]
fn shell_output_keeps_head_and_tail() {
    let ws = Workspace::new();
    let output = ws.run(
        "shell",
        json!({"command": "echo first; seq 1 100000; echo last"}),
    );
    assert!(
        output.text.contains("first") && output.text.contains("last"),
        "start and end kept"
    );
    assert!(output.text.contains("bytes cut from the middle"));
    assert!(output.text.len() < 40_000);
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let ws = Workspace::new();
    let output = ws.run(
        "shell",
        json!({"command": "sleep 60 & echo $! > bg.pid; sleep 60", "timeout_secs": 1}),
    );
    assert!(
        output.is_error && output.text.contains("time limit"),
        "{output:?}"
    );
    let pid = std::fs::read_to_string(ws.path("bg.pid")).unwrap();
    let alive = || {
        Path::new(&format!("/proc/{}", pid.trim())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .unwrap_or_default()
                .contains(") Z ")
    };
    // A killed process closes its files (ending the output) a moment
    // before the kernel marks it dead.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while alive() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!alive(), "the background sleep survived");
}

#[test]
fn a_process_that_leaves_the_group_cannot_hang_the_tool() {
    let ws = Workspace::new();
    let escape = "setsid sleep 30 & child=$!; \
        while [ \"$(cut -d' ' -f6 /proc/$child/stat)\" = \"$(cut -d' ' -f6 /proc/$$/stat)\" ]; \
        do sleep 0.01; done; echo started";
    let output = ws.run("shell", json!({ "command": escape }));
    assert!(output.text.contains("exit code 0"), "{output:?}");
    assert!(output.text.contains("output not collected"), "{output:?}");
}

#[test]
fn cancel_kills_a_running_command() {
    let ws = Workspace::new();
    let cancel = ws.context.cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        cancel.cancel_running();
    });
    let output = ws.run("shell", json!({"command": "sleep 60"}));
    canceller.join().unwrap();
    assert!(
        output.is_error && output.text.starts_with("cancelled"),
        "{output:?}"
    );
    let next = ws.run("shell", json!({"command": "echo next"}));
    assert!(
        !next.is_error && next.text.contains("next"),
        "a later command runs: {next:?}"
    );
}
