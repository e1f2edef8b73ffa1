//! What the end-to-end benches share: a committed repository of N files,
//! one headless session of the real binary against the scripted model
//! server, and the `SIZES`/`RUNS` settings.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::model_server::{ModelServer, Scripted};

/// `SIZES` (comma-separated file counts), else `default`.
pub fn sizes(default: &str) -> Vec<usize> {
    std::env::var("SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// `RUNS`, else `default`.
pub fn runs(default: usize) -> usize {
    std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}

/// `files` small Python files (100 per folder under `src/`) and the
/// `agents` (name, JSON) in `.kiro/agents`, committed to a new git
/// repository at `root`.
pub fn repository(root: &Path, files: usize, agents: &[(&str, serde_json::Value)]) {
    for i in 0..files {
        let folder = root.join(format!("src/m{}", i / 100));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("f{i}.py")), format!("X = {i}\n")).unwrap();
    }
    let folder = root.join(".kiro/agents");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, agent) in agents {
        std::fs::write(folder.join(format!("{name}.json")), agent.to_string()).unwrap();
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "start"]);
}

/// Runs git in `root`; it must succeed.
pub fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=b", "-c", "user.email=b@b"])
        .args(args)
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// One `agent chat --no-interactive --agent bot` session in `root` with
/// `script` and `prompt`; its wall time.
pub async fn session(root: &Path, home: &Path, script: Vec<Scripted>, prompt: &str) -> Duration {
    let server = ModelServer::start(script).await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_agent"));
    command
        .current_dir(root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AGENT_HOME", home.join("agent"))
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .args([
            "chat",
            "--no-interactive",
            "--agent",
            "bot",
            "--model",
            "openai/scripted",
        ])
        .args(["--output-format", "json", prompt]);
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    took
}

/// Milliseconds, for the tables.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
