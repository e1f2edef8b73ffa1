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

#[path = "support/headless.rs"]
mod headless;
#[path = "../tests/support/model_server.rs"]
mod model_server;

use std::path::Path;
use std::time::Duration;

use headless::{ms, repository, runs, session, sizes};
use model_server::{Protocol, Scripted};
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

/// The parent `bot` and the `writer` child.
fn agents() -> [(&'static str, Value); 2] {
    [
        (
            "bot",
            json!({"name": "bot", "tools": ["write", "subagent"], "allowedTools": ["write"],
                   "toolsSettings": {"subagent": {"availableAgents": ["writer"], "trustedAgents": ["*"]}}}),
        ),
        (
            "writer",
            json!({"name": "writer", "tools": ["write"], "allowedTools": ["write"]}),
        ),
    ]
}

/// One session with `script`; the two files are removed after, so the
/// next run starts from the same tree.
async fn run(root: &Path, home: &Path, script: Vec<Scripted>) -> Duration {
    let took = session(root, home, script, "LEAD: write a.txt and b.txt").await;
    for file in ["a.txt", "b.txt"] {
        std::fs::remove_file(root.join(file)).unwrap();
    }
    took
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs = runs(7);
    println!("median of {runs} headless sessions, ms");
    println!("| files | parent writes | two children | difference | ratio |");
    println!("|---:|---:|---:|---:|---:|");
    for files in sizes("100,2000,20000") {
        let root = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        repository(root.path(), files, &agents());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            a.push(run(root.path(), home.path(), direct()).await);
            b.push(run(root.path(), home.path(), children()).await);
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
