//! Checkpoints as a session takes them (store open, change journal on),
//! side by side with git's command line doing the same work on a separate
//! `--git-dir`, on the tree at `$TREE` (built by
//! `scripts/bench-checkpoint.sh`). Prints one Markdown table: medians of
//! timed loops, in milliseconds. Then, with `$STORE_CHECKPOINTS` (default
//! 1000) checkpoints over ten sessions and the cap `$CAP_BYTES` (default
//! 64 MiB) enforced at each session start, the store's size.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agent::checkpoint::{CheckpointStore, JOURNAL_CAPACITY};

const ROUNDS: usize = 15;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

/// Runs `script` with bash in `tree`, untimed or timed.
fn bash(tree: &Path, script: &str) -> Duration {
    let start = Instant::now();
    let status = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(tree)
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    start.elapsed()
}

/// The ten files a change touches, relative.
fn ten(tree: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut stack = vec![tree.join("src")];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if found.len() < 10 {
                found.push(path.strip_prefix(tree).unwrap().to_path_buf());
            }
        }
        if found.len() >= 10 {
            break;
        }
    }
    found
}

fn change_script(paths: &[PathBuf], round: usize) -> String {
    paths
        .iter()
        .map(|p| format!("echo 'y = {round}' >> '{}';", p.display()))
        .collect()
}

fn main() {
    let tree = PathBuf::from(std::env::var("TREE").expect("TREE: the tree to measure"));
    let work = tempfile::tempdir().unwrap();
    let git = format!(
        "git --git-dir={} --work-tree={} -c user.name=a -c user.email=a@b",
        work.path().join("shadow.git").display(),
        tree.display()
    );
    let paths = ten(&tree);
    let mut rows: Vec<(&str, f64, &str, f64)> = Vec::new();

    let first_store = median(
        (0..3)
            .map(|i| {
                let data = work.path().join(format!("first-{i}"));
                let mut store = CheckpointStore::open(&data, &tree).unwrap();
                let start = Instant::now();
                store.snapshot("1", "baseline", false).unwrap();
                let took = start.elapsed();
                std::fs::remove_dir_all(data).unwrap();
                took
            })
            .collect(),
    );
    let first_git = median(
        (0..3)
            .map(|_| {
                bash(
                    &tree,
                    &format!(
                        "rm -rf {0}; git init -q --bare {0}",
                        work.path().join("shadow.git").display()
                    ),
                );
                bash(&tree, &format!("{git} add -A && {git} commit -q -m first"))
            })
            .collect(),
    );

    let data = work.path().join("data");
    let mut store = CheckpointStore::open(&data, &tree).unwrap();
    store.use_session("bench").unwrap();
    store.start_journal(JOURNAL_CAPACITY);
    store.snapshot("1", "baseline", false).unwrap();
    let mut turn = 1;
    let mut next = || {
        turn += 1;
        turn.to_string()
    };

    let mut read_only = Vec::new();
    let mut status = Vec::new();
    for _ in 0..ROUNDS {
        bash(
            &tree,
            "ls -R src > /dev/null; cat .gitignore > /dev/null 2>&1 || true",
        );
        let start = Instant::now();
        store.snapshot(&next(), "read-only", true).unwrap();
        read_only.push(start.elapsed());
        assert_eq!(store.full_walk(), None);
        status.push(bash(
            &tree,
            &format!("{git} status --porcelain > /dev/null"),
        ));
    }
    rows.push((
        "snapshot after a read-only command",
        median(read_only),
        "`git status`",
        median(status),
    ));

    let (mut shell, mut commit) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        bash(&tree, &change_script(&paths, round));
        let start = Instant::now();
        store.snapshot(&next(), "shell", true).unwrap();
        shell.push(start.elapsed());
        commit.push(bash(
            &tree,
            &format!("{git} add -A && {git} commit -q -m shell"),
        ));
    }
    rows.push((
        "snapshot after a 10-file change by a shell command",
        median(shell),
        "`git add -A && git commit`",
        median(commit),
    ));

    let (mut write, mut commit) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let full: Vec<PathBuf> = paths.iter().map(|p| tree.join(p)).collect();
        for path in &full {
            std::fs::write(path, format!("z = {round}\n")).unwrap();
        }
        let start = Instant::now();
        store.snapshot_paths(&next(), "write", &full).unwrap();
        write.push(start.elapsed());
        commit.push(bash(
            &tree,
            &format!("{git} add -A && {git} commit -q -m write"),
        ));
    }
    rows.push((
        "snapshot after a 10-file change by the write tool",
        median(write),
        "`git add -A && git commit`",
        median(commit),
    ));
    rows.push((
        "first snapshot",
        first_store,
        "`git add -A && git commit`",
        first_git,
    ));

    let base = String::from_utf8(
        Command::new("bash")
            .arg("-c")
            .arg(format!("{git} rev-parse HEAD"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mark = next();
    store.snapshot(&mark, "restore point", false).unwrap();
    let (mut restore, mut checkout) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        bash(&tree, &change_script(&paths, round + 100));
        let start = Instant::now();
        store.restore(&mark, false).unwrap();
        restore.push(start.elapsed());
        bash(&tree, &change_script(&paths, round + 200));
        checkout.push(bash(
            &tree,
            &format!("{git} checkout -q -f {} -- .", base.trim()),
        ));
    }
    rows.push((
        "restore of 10 files",
        median(restore),
        "`git checkout`",
        median(checkout),
    ));

    println!("| measure | agent (ms) | alongside | git (ms) |");
    println!("|---|---:|---|---:|");
    for (what, ours, theirs, git_ms) in rows {
        println!("| {what} | {ours:.2} | {theirs} | {git_ms:.1} |");
    }
    store_size(&tree, &paths, work.path());
}

/// The store's size after many checkpoints over ten sessions, the cap
/// enforced as a session start does.
fn store_size(tree: &Path, paths: &[PathBuf], work: &Path) {
    let count: usize = std::env::var("STORE_CHECKPOINTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let cap: u64 = std::env::var("CAP_BYTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64 << 20);
    let data = work.join("capped");
    let full: Vec<PathBuf> = paths.iter().map(|p| tree.join(p)).collect();
    let per_session = count.div_ceil(10);
    let mut taken = 0;
    for session in 0..10 {
        let mut store = CheckpointStore::open(&data, tree).unwrap();
        store.enforce_cap(cap).unwrap();
        store.use_session(&format!("s{session}")).unwrap();
        store.snapshot("1", "baseline", false).unwrap();
        for i in 0..per_session {
            for (n, path) in full.iter().enumerate() {
                std::fs::write(
                    path,
                    format!("v = {session} {i} {n}\n{}", "pad\n".repeat(i % 50)),
                )
                .unwrap();
            }
            let (turn, tool) = (2 + i / 5, 1 + i % 5);
            store
                .snapshot_paths(&format!("{turn}.{tool}"), "write", &full)
                .unwrap();
            if tool == 5 {
                store.snapshot(&turn.to_string(), "turn", false).unwrap();
            }
            taken += 1;
        }
    }
    let mut store = CheckpointStore::open(&data, tree).unwrap();
    store.enforce_cap(cap).unwrap();
    println!(
        "\nstore after {taken} checkpoints in 10 sessions, cap {cap} bytes: {} bytes",
        store.size()
    );
}
