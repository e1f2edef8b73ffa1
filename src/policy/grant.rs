//! Narrow trust a person grants from an approval prompt: this command,
//! this program with any arguments, this path, this folder, or the whole
//! tool. A grant only ever turns an `ask` that comes from a missing
//! `allowedTools` entry or a fence into an `allow`: it is checked after
//! deny rules and after what may never run unasked (protected paths,
//! credentials, what cannot be judged statically, `sudo`), so deny rules
//! can never be trusted away.
//!
//! [`Policy::trust_options`] offers only grants that would let the very
//! call being asked about run unasked next time, each labelled with exactly
//! what it covers, so a prompt never trusts more than it says.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::decision::{Mode, Reason, ToolCall, Verdict};
use super::shell::{self, SimpleCommand};
use super::{Policy, Trust};

/// One thing trusted for the rest of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// One exact simple command of the shell tool: its words joined by
    /// single spaces, as `allowedCommands` entries are matched.
    Command(String),
    /// A program of the shell tool (its first word as written), with any
    /// arguments.
    Program(String),
    /// One exact path, for one file tool (`read`, `write`, `glob`, `grep`).
    Path {
        /// The tool's current name.
        tool: String,
        /// The path, resolved as the policy resolves it.
        path: PathBuf,
    },
    /// A folder and everything below it, for one file tool.
    Folder {
        /// The tool's current name.
        tool: String,
        /// The folder, resolved.
        path: PathBuf,
    },
    /// The whole tool (as `--trust-tools NAME`): fences and deny rules
    /// still hold.
    Tool(String),
}

impl Grant {
    /// What the grant covers, for a person.
    pub fn describe(&self) -> String {
        match self {
            Grant::Command(text) => format!("the command `{text}`"),
            Grant::Program(program) => format!("`{program}` with any arguments"),
            Grant::Path { tool, path } => format!("`{tool}` on {}", path.display()),
            Grant::Folder { tool, path } => {
                format!("`{tool}` anywhere under {}/", path.display())
            }
            Grant::Tool(tool) => format!("every `{tool}` call (fences still hold)"),
        }
    }

    /// The tool this grant is for.
    pub fn tool(&self) -> &str {
        match self {
            Grant::Command(_) | Grant::Program(_) => "shell",
            Grant::Path { tool, .. } | Grant::Folder { tool, .. } | Grant::Tool(tool) => tool,
        }
    }
}

/// How wide a trust option is, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Breadth {
    /// This exact command.
    Command,
    /// This program with any arguments.
    Program,
    /// This exact path.
    Path,
    /// This folder and below.
    Folder,
    /// The whole tool.
    Tool,
}

/// A choice an approval prompt can offer: what it covers, in words, and
/// the grants that make it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustOption {
    /// How wide it is.
    pub breadth: Breadth,
    /// What it covers, for a person.
    pub label: String,
    /// What to add to the session's trust.
    pub grants: Vec<Grant>,
}

impl Trust {
    /// Adds `grants` to this trust (a whole-tool grant joins
    /// [`Trust::tools`]); grants already held are not repeated.
    pub fn grant(&mut self, grants: &[Grant]) {
        for grant in grants {
            match grant {
                Grant::Tool(tool) if !self.tools.contains(tool) => self.tools.push(tool.clone()),
                Grant::Tool(_) => {}
                other if !self.grants.contains(other) => self.grants.push(other.clone()),
                _ => {}
            }
        }
    }

    /// Why the simple command `command` runs unasked by a grant, if one
    /// covers it.
    pub(super) fn command_grant(&self, command: &SimpleCommand) -> Option<Reason> {
        let candidates = super::command::allow_candidates(command);
        let program = first_word(command);
        self.grants.iter().find_map(|grant| {
            let covered = match grant {
                Grant::Command(text) => candidates.iter().any(|c| c == text),
                Grant::Program(trusted) => program == Some(trusted.as_str()),
                _ => false,
            };
            covered.then(|| granted(grant).about(command.text()))
        })
    }

    /// Why `tool` may touch `resolved` unasked by a grant, if one covers it.
    pub(super) fn path_grant(&self, tool: &str, resolved: &Path) -> Option<Reason> {
        self.grants.iter().find_map(|grant| {
            let covered = match grant {
                Grant::Path { tool: t, path } => t == tool && path == resolved,
                Grant::Folder { tool: t, path } => t == tool && resolved.starts_with(path),
                _ => false,
            };
            covered.then(|| granted(grant))
        })
    }
}

fn granted(grant: &Grant) -> Reason {
    Reason::new(
        Verdict::Allow,
        format!("trusted for this session: {}", grant.describe()),
    )
}

impl Policy {
    /// The trust choices to offer for `call`, narrowest first: only those
    /// that would let this exact call run unasked. None when the call is
    /// denied, or asks for a reason no trust can lift (a protected path,
    /// credentials, a line that cannot be judged statically, `sudo`).
    pub fn trust_options(&self, call: &ToolCall) -> Vec<TrustOption> {
        let decision = self.decide(call, &Trust::default(), Mode::Interactive);
        if decision.verdict() != Verdict::Ask {
            return Vec::new();
        }
        let Some(tool) = crate::config::tools::canonical(&call.tool)
            .map(str::to_string)
            .or_else(|| super::tools::tool_id(&call.tool).map(|_| call.tool.clone()))
        else {
            return Vec::new();
        };
        let mut candidates = match tool.as_str() {
            "shell" => shell_candidates(call, decision.reasons()),
            "read" | "write" => self.path_candidates(call, &tool, false),
            "glob" | "grep" => self.path_candidates(call, &tool, true),
            _ => Vec::new(),
        };
        candidates.push(TrustOption {
            breadth: Breadth::Tool,
            label: Grant::Tool(tool.clone()).describe(),
            grants: vec![Grant::Tool(tool)],
        });
        candidates
            .into_iter()
            .filter(|option| {
                let mut trust = Trust::default();
                trust.grant(&option.grants);
                self.decide(call, &trust, Mode::Interactive).verdict() == Verdict::Allow
            })
            .collect()
    }

    /// This path and its folder (a search's path is a folder already, so
    /// only it is offered).
    fn path_candidates(&self, call: &ToolCall, tool: &str, is_search: bool) -> Vec<TrustOption> {
        let raw = match call.input.get("path") {
            Some(Value::String(path)) => path.as_str(),
            None | Some(Value::Null) if is_search => ".",
            _ => return Vec::new(),
        };
        let resolved = self.roots.resolve(raw);
        let mut options = Vec::new();
        let folder = if is_search {
            Some(resolved.clone())
        } else {
            options.push(option(
                Breadth::Path,
                vec![Grant::Path {
                    tool: tool.to_string(),
                    path: resolved.clone(),
                }],
            ));
            resolved.parent().map(Path::to_path_buf)
        };
        if let Some(folder) = folder.filter(|f| f.parent().is_some()) {
            options.push(option(
                Breadth::Folder,
                vec![Grant::Folder {
                    tool: tool.to_string(),
                    path: folder,
                }],
            ));
        }
        options
    }
}

/// For each simple command the line asks about: the command itself, and
/// its program with any arguments.
fn shell_candidates(call: &ToolCall, reasons: &[Reason]) -> Vec<TrustOption> {
    let Some(line) = call.input.get("command").and_then(Value::as_str) else {
        return Vec::new();
    };
    let Ok(analysis) = shell::analyze(line) else {
        return Vec::new();
    };
    let asking: Vec<&SimpleCommand> = analysis
        .commands
        .iter()
        .filter(|command| {
            let text = command.text();
            reasons
                .iter()
                .any(|r| r.verdict == Verdict::Ask && r.subject.as_deref() == Some(text.as_str()))
        })
        .collect();
    if asking.is_empty() {
        return Vec::new();
    }
    let mut commands = Vec::new();
    let mut programs = Vec::new();
    for command in asking {
        let text = Grant::Command(command.text());
        if !commands.contains(&text) {
            commands.push(text);
        }
        if let Some(program) = first_word(command).map(|p| Grant::Program(p.to_string()))
            && !programs.contains(&program)
        {
            programs.push(program);
        }
    }
    vec![
        option(Breadth::Command, commands),
        option(Breadth::Program, programs),
    ]
}

/// The program as written (`./git` is not `git`): a grant for a program
/// never covers another file of the same name.
fn first_word(command: &SimpleCommand) -> Option<&str> {
    command.argv.first().map(|word| word.text.as_str())
}

fn option(breadth: Breadth, grants: Vec<Grant>) -> TrustOption {
    let label = grants
        .iter()
        .map(Grant::describe)
        .collect::<Vec<_>>()
        .join(", ");
    TrustOption {
        breadth,
        label,
        grants,
    }
}
