//! In a session's process (store open, index in memory), on a 20,000-file
//! tree: a checkpoint after the write tool changed 10 files (only their
//! index entries are updated), one after the same change found by walking
//! the workspace (a shell command's case), and a restore of 10 changed
//! files. `cargo bench --bench checkpoint`. `scripts/bench-checkpoint.sh`
//! compares the same work, one process per operation, with git's CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agent::checkpoint::CheckpointStore;

const FILES: usize = 20_000;
const ROUNDS: usize = 20;

fn touch(root: &Path, round: usize) -> Vec<PathBuf> {
    (0..10)
        .map(|i| {
            let path = root.join(format!("src/pkg{i:03}/file{i:05}.py"));
            std::fs::write(&path, format!("y = {round}\n")).expect("write");
            path
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("tree");
    for i in 0..FILES {
        let folder = root.join(format!("src/pkg{:03}", i % 200));
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join(format!("file{i:05}.py")), format!("# {i}\n")).expect("file");
    }
    let data = dir.path().join("data");
    let mut store = CheckpointStore::open(&data, &root).expect("store");
    store.snapshot("1", "baseline", false).expect("baseline");
    let mut known = Vec::new();
    let mut walked = Vec::new();
    for round in 0..ROUNDS {
        let paths = touch(&root, round * 2);
        let start = Instant::now();
        store
            .snapshot_paths(&format!("2.{}", round * 2 + 1), "write", &paths)
            .expect("snapshot");
        known.push(start.elapsed());
        touch(&root, round * 2 + 1);
        let start = Instant::now();
        store
            .snapshot(&format!("2.{}", round * 2 + 2), "shell", true)
            .expect("snapshot");
        walked.push(start.elapsed());
    }
    let mut restores = Vec::new();
    for round in 0..ROUNDS {
        touch(&root, ROUNDS * 2 + round);
        let start = Instant::now();
        store.restore("1", false).expect("restore");
        restores.push(start.elapsed());
    }
    let restore = median(restores);
    let (known, walked) = (median(known), median(walked));
    println!("checkpoint after a 10-file change, {FILES} files, median of {ROUNDS}:");
    println!(
        "  write tool (paths known)   {:.1} ms",
        known.as_secs_f64() * 1000.0
    );
    println!(
        "  shell (workspace walked)   {:.1} ms",
        walked.as_secs_f64() * 1000.0
    );
    println!(
        "  ratio                      {:.1}x",
        walked.as_secs_f64() / known.as_secs_f64()
    );
    println!(
        "restore of 10 changed files {:.1} ms",
        restore.as_secs_f64() * 1000.0
    );
}
