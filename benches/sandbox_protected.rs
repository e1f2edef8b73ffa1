//! The sandbox's search for protected paths (nested `.git`, `.kiro`, …)
//! that every shell command pays before and after it runs, on the tree at
//! `$TREE` (built by `scripts/bench-sandbox-protected.sh`): without a
//! change feed (a walk of the writable folders each time, as before the
//! change journal fed it), and with the session's journal as its feed,
//! after a command that changed nothing and after one that changed ten
//! files. Times `prepare` plus `finish` of `true` (the command itself is
//! not run: its cost does not depend on the tree). Prints one Markdown
//! table: medians of timed loops, in milliseconds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent::checkpoint::{CheckpointStore, JOURNAL_CAPACITY};
use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::sandbox::{Sandbox, Search};

const ROUNDS: usize = 21;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

/// An agent whose commands may write the whole workspace, sandboxed.
fn sandbox(tree: &Path) -> Sandbox {
    let file = tree.join("bench-agent.json");
    let text =
        r#"{"name": "bench", "tools": ["shell"], "toolsSettings": {"shell": {"sandbox": "auto"}}}"#;
    Sandbox::for_agent(&validate_text(&file, text).unwrap().config)
}

/// Ten files the "ten files changed" rows rewrite.
fn ten(tree: &Path) -> Vec<PathBuf> {
    let folder = std::fs::read_dir(tree.join("src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.truncate(10);
    files
}

/// The median cost of one command's search, before and after it, with
/// `change` run between (as the command would).
fn measure(
    sandbox: &Sandbox,
    roots: &Roots,
    change: &dyn Fn(usize),
    expect: Option<&Search>,
) -> f64 {
    let samples = (0..ROUNDS)
        .map(|round| {
            let start = Instant::now();
            let prepared = sandbox.prepare("true", roots, Vec::new()).unwrap();
            if let Some(expect) = expect {
                assert_eq!(prepared.search(), Some(expect));
            }
            let mid = start.elapsed();
            change(round);
            let start = Instant::now();
            let notes = prepared.finish();
            assert!(notes.is_empty(), "{notes:?}");
            mid + start.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let tree = PathBuf::from(std::env::var("TREE").expect("TREE: the tree to measure"));
    let tree = tree.canonicalize().unwrap();
    let work = tempfile::tempdir().unwrap();
    let roots = Roots::new(&tree, None);
    let files = ten(&tree);
    let unchanged = |_: usize| {};
    let changed = |round: usize| {
        for file in &files {
            std::fs::write(file, format!("y = {round}\n")).unwrap();
        }
    };

    let plain = sandbox(&tree);
    let walk_nothing = measure(&plain, &roots, &unchanged, None);
    let walk_ten = measure(&plain, &roots, &changed, None);

    let mut store = CheckpointStore::open(&work.path().join("data"), &tree).unwrap();
    store.start_journal(JOURNAL_CAPACITY);
    let mut fed = sandbox(&tree);
    fed.follow(Arc::new(Mutex::new(store)));
    let start = Instant::now();
    drop(fed.prepare("true", &roots, Vec::new()).unwrap().finish());
    let first = start.elapsed().as_secs_f64() * 1000.0;
    let fed_nothing = measure(&fed, &roots, &unchanged, Some(&Search::Updated));
    let fed_ten = measure(&fed, &roots, &changed, Some(&Search::Updated));

    println!("| per command (ms, median of {ROUNDS}) | nothing changed | 10 files changed |");
    println!("|---|---|---|");
    println!("| walk of the writable folders (no journal) | {walk_nothing:.2} | {walk_ten:.2} |");
    println!("| kept, updated from the change journal | {fed_nothing:.2} | {fed_ten:.2} |");
    println!("\nthe journal's first search (whole tree, no limit): {first:.1} ms");
}
