//! What a sub-agent costs: the time to spawn children in their own git
//! worktrees and bring their changes back, against the parent making the
//! same changes itself, as the repository grows.
//!
//! In a git repository of N committed files, the real binary runs one
//! headless session against the scripted model server (no delays) two
//! ways: (a) the parent writes `a.txt` and `b.txt` itself; (b) it hands
//! them to two `writer` children, which run in parallel worktrees, and
//! each changed file comes back as the parent's `write`. The difference
//! is the cost of two children: worktrees made and removed, two child
//! sessions, their diffs applied through the parent's write path.
//!
//! `cargo bench --bench subagent` (`SIZES=100,2000` to choose the sizes,
//! `RUNS=3` the sessions per way and size; 7 by default).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

#[path = "../tests/support/model_server.rs"]
mod model_server;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use model_server::{ModelServer, Protocol, Scripted};
use serde_json::{Value, json};

const AI: Protocol = Protocol::OpenAi;

fn write(path: &str, content: &str) -> Value {
    json!({"command": "create", "path": path, "content": content})
}

/// The parent writes both files itself.
fn direct() -> Vec<Scripted> {
    vec![
        AI.tool_calls(&[
            ("w1", "write", write("a.txt", "from a\n")),
            ("w2", "write", write("b.txt", "from b\n")),
        ])
        .instant(),
        AI.text("done").instant(),
    ]
}

/// Two children write one file each.
fn children() -> Vec<Scripted> {
    let invoke = json!({"command": "InvokeSubagents", "content": {"subagents": [
        {"query": "CHILD-A write a.txt", "agent_name": "writer"},
        {"query": "CHILD-B write b.txt", "agent_name": "writer"},
    ]}});
    let mut script = vec![
        AI.tool_calls(&[("p1", "use_subagent", invoke)])
            .when("LEAD")
            .instant(),
    ];
    for (needle, file) in [("CHILD-A", "a.txt"), ("CHILD-B", "b.txt")] {
        script.push(
            AI.tool_calls(&[("c1", "write", write(file, "child\n"))])
                .when(needle)
                .instant(),
        );
        script.push(AI.text("finished").when(needle).instant());
    }
    script.push(AI.text("all done").when("LEAD").instant());
    script
}

/// A git repository of `files` committed files (100 per folder), with the
/// `bot` and `writer` agents.
fn repository(root: &Path, files: usize) {
    for i in 0..files {
        let folder = root.join(format!("src/m{}", i / 100));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("f{i}.py")), format!("X = {i}\n")).unwrap();
    }
    let agents = root.join(".kiro/agents");
    std::fs::create_dir_all(&agents).unwrap();
    let bot = json!({"name": "bot", "tools": ["write", "subagent"], "allowedTools": ["write"],
                     "toolsSettings": {"subagent": {"availableAgents": ["writer"], "trustedAgents": ["*"]}}});
    let writer = json!({"name": "writer", "tools": ["write"], "allowedTools": ["write"]});
    std::fs::write(agents.join("bot.json"), bot.to_string()).unwrap();
    std::fs::write(agents.join("writer.json"), writer.to_string()).unwrap();
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-qm",
            "start",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(root)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// One headless session with `script`, its wall time; the two files are
/// removed after, so the next run starts from the same tree.
async fn session(root: &Path, home: &Path, script: Vec<Scripted>) -> Duration {
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
        .args(["--output-format", "json", "LEAD: write a.txt and b.txt"]);
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
    for file in ["a.txt", "b.txt"] {
        std::fs::remove_file(root.join(file)).unwrap();
    }
    took
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "100,2000,20000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    println!("median of {runs} headless sessions, ms");
    println!("| files | parent writes | two children | difference | ratio |");
    println!("|---:|---:|---:|---:|---:|");
    for files in sizes {
        let root = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        repository(root.path(), files);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            a.push(session(root.path(), home.path(), direct()).await);
            b.push(session(root.path(), home.path(), children()).await);
        }
        let (a, b) = (median(a), median(b));
        println!(
            "| {files} | {:.0} | {:.0} | {:.0} | {:.2} |",
            ms(a),
            ms(b),
            ms(b) - ms(a),
            ms(b) / ms(a)
        );
    }
}
