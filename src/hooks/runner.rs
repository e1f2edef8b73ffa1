//! Runs one hook command: `bash -c COMMAND` in the workspace, its input as
//! JSON on stdin, in its own process group, with a time limit and capped
//! output.
//!
//! The whole process group is killed when the hook ends or times out, so a
//! hook never leaves processes behind (Q CLI's hooks outlive their
//! timeout). The environment is the shell tool's scrubbed one: a hook
//! written in a repository sees no more secrets than a shell command.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// How one hook run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookRun {
    /// The command exited (or was killed by a signal: `code` is `None`).
    Exited {
        /// Its exit code.
        code: Option<i32>,
        /// Its standard output, capped.
        stdout: String,
        /// Its standard error, capped.
        stderr: String,
    },
    /// It ran past its time limit and its process group was killed.
    TimedOut,
    /// It could not be started.
    FailedToStart(String),
}

/// Runs `command` in `cwd` with `input` on stdin, killing its process group
/// after `timeout`; keeps at most `max_output` bytes of each stream.
pub fn run(
    command: &str,
    cwd: &Path,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
    input: &str,
    timeout: Duration,
    max_output: usize,
) -> HookRun {
    let spawned = Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return HookRun::FailedToStart(format!("cannot start bash: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.as_bytes().to_vec();
        // A hook that never reads its stdin must not block us: write on a
        // thread, and let a broken pipe end it.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = child.stdout.take().map(|s| capture(s, max_output));
    let stderr = child.stderr.take().map(|s| capture(s, max_output));
    let exited = wait(&mut child, timeout);
    kill_group(&child);
    let _ = child.wait();
    let deadline = Instant::now() + DRAIN_GRACE;
    let stdout = stdout.map(|s| collect(s, deadline)).unwrap_or_default();
    let stderr = stderr.map(|s| collect(s, deadline)).unwrap_or_default();
    match exited {
        Some(code) => HookRun::Exited {
            code,
            stdout,
            stderr,
        },
        None => HookRun::TimedOut,
    }
}

/// How long to wait for the streams once the group is dead.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// The exit code (`Some(None)` for a signal), or `None` on timeout.
fn wait(child: &mut Child, limit: Duration) -> Option<Option<i32>> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.code()),
            Ok(None) => {}
            Err(_) => return Some(None),
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

fn kill_group(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the
        // child leads (spawned with process_group(0)); no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn collect(capture: Receiver<String>, deadline: Instant) -> String {
    let left = deadline.saturating_duration_since(Instant::now());
    capture.recv_timeout(left).unwrap_or_default()
}

/// Reads a stream to its end on its own thread, keeping its first `limit`
/// bytes and saying how many more were dropped.
fn capture(mut stream: impl Read + Send + 'static, limit: usize) -> Receiver<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut dropped = 0usize;
        let mut buffer = [0u8; 8192];
        while let Ok(read) = stream.read(&mut buffer) {
            if read == 0 {
                break;
            }
            let room = limit.saturating_sub(kept.len()).min(read);
            kept.extend_from_slice(&buffer[..room]);
            dropped += read - room;
        }
        let mut text = String::from_utf8_lossy(&kept).into_owned();
        if dropped > 0 {
            text.push_str(&format!("\n[… {dropped} more bytes dropped …]"));
        }
        let _ = sender.send(text);
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        std::env::vars_os().collect()
    }

    #[test]
    fn passes_stdin_and_reports_exit_code_and_streams() {
        let run = run(
            "cat; echo oops >&2; exit 2",
            Path::new("."),
            &env(),
            "{\"x\":1}",
            Duration::from_secs(10),
            1024,
        );
        assert_eq!(
            run,
            HookRun::Exited {
                code: Some(2),
                stdout: "{\"x\":1}".into(),
                stderr: "oops\n".into()
            }
        );
    }

    #[test]
    fn output_is_capped() {
        let run = run(
            "head -c 5000 /dev/zero | tr '\\0' a",
            Path::new("."),
            &env(),
            "",
            Duration::from_secs(10),
            100,
        );
        let HookRun::Exited { stdout, .. } = run else {
            panic!("{run:?}")
        };
        assert!(stdout.starts_with(&"a".repeat(100)), "{stdout}");
        assert!(stdout.contains("4900 more bytes dropped"), "{stdout}");
    }

    #[test]
    fn a_hanging_hook_times_out_quickly() {
        let start = Instant::now();
        let run = run(
            "sleep 30",
            Path::new("."),
            &env(),
            "",
            Duration::from_millis(200),
            100,
        );
        assert_eq!(run, HookRun::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
