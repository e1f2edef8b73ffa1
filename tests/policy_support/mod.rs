//! Building policies from agent-file text for in-process decision tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use agent::config::validate_text;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust, Verdict};
use serde_json::json;
use tempfile::TempDir;

/// A policy over a throwaway workspace at `<tmp>/home/u/w` with home `<tmp>/home/u`.
pub struct Fixture {
    _dir: TempDir,
    /// The workspace.
    pub workspace: PathBuf,
    /// The home folder.
    pub home: PathBuf,
    /// The compiled policy.
    pub policy: Policy,
}

impl Fixture {
    /// Compiles the agent file `text` (named `agent` when it gives no name,
    /// which Kiro requires; the vectors are about rules, not names).
    pub fn new(text: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home/u");
        let workspace = home.join("w");
        std::fs::create_dir_all(workspace.join("src")).expect("workspace");
        let named = match text.contains("\"name\"") {
            true => text.to_string(),
            false => text.replacen('{', "{\"name\": \"agent\", ", 1),
        };
        let validated = validate_text(Path::new("agent.json"), &named)
            .unwrap_or_else(|e| panic!("invalid test agent: {e:?}"));
        let policy = Policy::new(validated.config, &workspace, Some(&home));
        Fixture {
            _dir: dir,
            workspace: workspace.canonicalize().expect("canonical"),
            home: home.canonicalize().expect("canonical"),
            policy,
        }
    }

    /// Decides `tool` with `input`, interactively and without trust.
    pub fn decide(&self, tool: &str, input: serde_json::Value) -> Decision {
        self.decide_with(tool, input, &Trust::default(), Mode::Interactive)
    }

    /// Decides with trust and mode.
    pub fn decide_with(
        &self,
        tool: &str,
        input: serde_json::Value,
        trust: &Trust,
        mode: Mode,
    ) -> Decision {
        let call = ToolCall {
            tool: tool.to_string(),
            input,
        };
        self.policy.decide(&call, trust, mode)
    }

    /// The verdict for a shell command, interactive.
    pub fn shell(&self, command: &str) -> Verdict {
        self.decide("shell", json!({ "command": command }))
            .verdict()
    }

    /// The verdict for a shell command, unattended.
    pub fn shell_unattended(&self, command: &str) -> Verdict {
        self.decide_with(
            "shell",
            json!({ "command": command }),
            &Trust::default(),
            Mode::Unattended,
        )
        .verdict()
    }

    /// The verdict for writing `path`.
    pub fn write(&self, path: &str) -> Verdict {
        self.decide(
            "write",
            json!({ "command": "create", "path": path, "content": "" }),
        )
        .verdict()
    }

    /// The verdict for reading `path`.
    pub fn read(&self, path: &str) -> Verdict {
        self.decide("read", json!({ "path": path })).verdict()
    }
}

/// Asserts each command gets `expected`, listing every miss at once.
pub fn expect_all(fixture: &Fixture, commands: &[&str], expected: Verdict) {
    let misses: Vec<String> = commands
        .iter()
        .map(|c| (c, fixture.decide("shell", json!({ "command": c }))))
        .filter(|(_, d)| d.verdict() != expected)
        .map(|(c, d)| format!("{c:?} -> {} {}", d.verdict(), d.to_json()))
        .collect();
    assert!(
        misses.is_empty(),
        "expected {expected}:\n{}",
        misses.join("\n")
    );
}

/// Asserts no command is allowed unasked.
pub fn expect_never_allowed(fixture: &Fixture, commands: &[&str]) {
    let misses: Vec<String> = commands
        .iter()
        .map(|c| (c, fixture.decide("shell", json!({ "command": c }))))
        .filter(|(_, d)| d.verdict() == Verdict::Allow)
        .map(|(c, d)| format!("{c:?} -> {}", d.to_json()))
        .collect();
    assert!(misses.is_empty(), "allowed unasked:\n{}", misses.join("\n"));
}
