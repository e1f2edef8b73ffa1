//! `shell {command, timeout_secs?}`: runs a command line with bash in the
//! workspace.
//!
//! The command runs in the agent's OS sandbox ([`crate::sandbox`]), with
//! no stdin, a scrubbed environment (nothing whose name looks like a
//! secret, unless the agent file names it), its own process group, and a
//! time limit (120 s by default). On timeout or cancel the whole group is
//! killed; when the command ends, stragglers it left in the background are
//! killed too, so a tool call never leaves processes behind. Output is
//! capped, keeping its head and tail.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::sandbox::Sandbox;

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_u64, required_str};

/// Seconds a command may run when the call does not say.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// The longest time a call may ask for.
const MAX_TIMEOUT_SECS: u64 = 3600;
/// Bytes kept of each stream while it is read, from its start and again
/// from its end, so a command that prints gigabytes costs a page of
/// memory. A little under half of [`super::text::OUTPUT_CAP`], so that one
/// long stream, with the status line, fits the dispatcher's cap and the
/// model sees a single cut with the true count.
const KEPT_PER_END: usize = super::text::OUTPUT_CAP / 2 - 1024;

/// The `shell` tool.
pub struct Shell;

impl Tool for Shell {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn description(&self) -> &'static str {
        "Run a bash command line in the workspace (no stdin; 120 s limit unless timeout_secs says otherwise). Returns the exit code and output."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1}
            },
            "required": ["command"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Anything
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        run(input, context)
    }
}

/// Runs the command line the input names.
pub fn run(input: &Value, context: &ToolContext) -> ToolOutput {
    let command = match required_str(input, "command") {
        Ok(command) => command,
        Err(error) => return error,
    };
    let seconds = optional_u64(input, "timeout_secs")
        .unwrap_or(DEFAULT_TIMEOUT_SECS)
        .clamp(1, MAX_TIMEOUT_SECS);
    let env = scrubbed_env(&context.env_passthrough);
    run_line(command, env, &context.sandbox, seconds, context)
}

/// Runs one bash command `line` with environment `env` in `sandbox`, for
/// at most `seconds`, and reports how it ended with its output: the shell
/// tool's way of running a command, shared by the tools that run one
/// program (`use_aws`).
pub fn run_line(
    line: &str,
    env: Vec<(OsString, OsString)>,
    sandbox: &Sandbox,
    seconds: u64,
    context: &ToolContext,
) -> ToolOutput {
    let mut prepared = match sandbox.prepare(line, &context.roots, env) {
        Ok(prepared) => prepared,
        Err(refusal) => return ToolOutput::error(refusal.to_string()),
    };
    prepared
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match prepared.spawn() {
        Ok(child) => child,
        Err(e) => return ToolOutput::error(format!("cannot start bash: {e}")),
    };
    let stdout = child.stdout.take().map(capture);
    let stderr = child.stderr.take().map(capture);
    let leader = child.id();
    let ending = wait(child, Duration::from_secs(seconds), context);
    kill_group(leader);
    let deadline = Instant::now() + DRAIN_GRACE;
    let stdout = stdout.map(|s| collect(s, deadline)).unwrap_or_default();
    let stderr = stderr.map(|s| collect(s, deadline)).unwrap_or_default();
    let notes = prepared.finish();
    report(ending, seconds, &stdout, &stderr, &notes)
}

/// How the command ended.
enum Ending {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
    Lost(std::io::Error),
}

/// How often a running command is checked for a cancel request.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// Waits for the command on a thread of its own (which also reaps it
/// after a kill), so its end is seen at once rather than at the next poll.
fn wait(mut child: Child, limit: Duration, context: &ToolContext) -> Ending {
    let (sender, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait());
    });
    let start = Instant::now();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match exited.recv_timeout(left.min(CANCEL_POLL)) {
            Ok(Ok(status)) => return Ending::Exited(status),
            Ok(Err(e)) => return Ending::Lost(e),
            Err(RecvTimeoutError::Disconnected) => {
                return Ending::Lost(std::io::Error::other("the waiting thread ended"));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if context.cancel.is_cancelled() {
            return Ending::Cancelled;
        }
        if start.elapsed() >= limit {
            return Ending::TimedOut;
        }
    }
}

/// Kills the command's whole process group (the command leads it).
fn kill_group(leader: u32) {
    if let Ok(pid) = libc::pid_t::try_from(leader) {
        // SAFETY: kill(2) with a negative pid signals the process group the
        // child leads (it was spawned with process_group(0)); it touches no
        // memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn report(
    ending: Ending,
    seconds: u64,
    stdout: &str,
    stderr: &str,
    notes: &[String],
) -> ToolOutput {
    let exit_code = match &ending {
        Ending::Exited(status) => status.code(),
        _ => None,
    };
    let (status, is_error) = match ending {
        Ending::Exited(status) => match (status.code(), status.signal()) {
            (Some(code), _) => (format!("exit code {code}"), code != 0),
            (None, Some(signal)) => (format!("killed by signal {signal}"), true),
            (None, None) => ("ended".to_string(), true),
        },
        Ending::TimedOut => (
            format!(
                "killed after {seconds} s (time limit); pass a larger timeout_secs if it needs longer"
            ),
            true,
        ),
        Ending::Cancelled => (
            "cancelled; the command and its children were killed".to_string(),
            true,
        ),
        Ending::Lost(e) => (format!("lost track of the command: {e}"), true),
    };
    let mut text = status;
    for (name, output) in [("stdout", stdout), ("stderr", stderr)] {
        if !output.is_empty() {
            text.push_str(&format!("\n--- {name} ---\n{output}"));
        }
    }
    for note in notes {
        text.push_str(&format!("\n{note}"));
    }
    ToolOutput {
        text,
        is_error,
        changed: Vec::new(),
        exit_code,
        writes: Vec::new(),
        code: Vec::new(),
    }
}

/// How long to wait for a stream to close once the process group is dead:
/// only a process that left the group (`setsid`) can still hold it open.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The captured text of a stream, without waiting forever for a process
/// that escaped the group and still holds it open.
fn collect(capture: Receiver<String>, deadline: Instant) -> String {
    let left = deadline.saturating_duration_since(Instant::now());
    capture.recv_timeout(left).unwrap_or_else(|_| {
        "[output not collected: a process that left the command's process group still holds it open]".into()
    })
}

/// Reads a stream to its end on its own thread, keeping its first and last
/// [`KEPT_PER_END`] bytes, so a command that prints gigabytes costs no
/// more memory than one that prints a page.
fn capture(mut stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let kept = KEPT_PER_END;
        let mut head = Vec::new();
        let mut tail = VecDeque::new();
        let mut dropped = 0usize;
        let mut buffer = [0u8; 8192];
        while let Ok(read) = stream.read(&mut buffer) {
            if read == 0 {
                break;
            }
            for byte in &buffer[..read] {
                if head.len() < kept {
                    head.push(*byte);
                } else {
                    tail.push_back(*byte);
                    if tail.len() > kept {
                        tail.pop_front();
                        dropped += 1;
                    }
                }
            }
        }
        let mut text = String::from_utf8_lossy(&head).into_owned();
        if dropped > 0 {
            text.push_str(&format!("\n[… {dropped} bytes cut from the middle …]\n"));
        }
        text.push_str(&String::from_utf8_lossy(tail.make_contiguous()));
        let _ = sender.send(text);
    });
    receiver
}

/// This process's environment without anything whose name looks like a
/// secret, except the names the agent file lets through.
pub fn scrubbed_env(passthrough: &[String]) -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(name, _)| {
            let name = name.to_string_lossy();
            passthrough.iter().any(|p| p == name.as_ref()) || !looks_secret(&name)
        })
        .collect()
}

/// `*KEY*`, `*SECRET*`, `*TOKEN*`, `*PASSWORD*` and the like, `AWS_*`, and
/// the model providers' variables.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words = [
        "KEY",
        "SECRET",
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "PRIVATE",
        "AUTH",
    ];
    let prefixes = ["AWS_", "OPENAI_", "ANTHROPIC_"];
    words.iter().any(|w| upper.contains(w)) || prefixes.iter().any(|p| upper.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "db_password",
            "AWS_REGION",
            "MY_SECRET",
            "ANTHROPIC_BASE_URL",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["PATH", "HOME", "LANG", "CARGO_HOME", "TERM"] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
