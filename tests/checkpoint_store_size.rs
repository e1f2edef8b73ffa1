//! The store stays bounded: huge files are recorded by size and time only,
//! and past the size cap old sessions' tool checkpoints are folded into
//! their turns, then old sessions go.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is its failure

mod support;

use std::path::Path;

use agent::checkpoint::CheckpointStore;
use support::Env;

/// Bytes no compressor shrinks (xorshift), `seed` making each run differ.
fn noise(seed: u64, length: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn git_available() -> bool {
    std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_one_gigabyte_sparse_file_is_not_stored_and_is_named() {
    let env = Env::new();
    env.write("small.txt", "small\n");
    let big = std::fs::File::create(env.workspace.join("big.bin")).unwrap();
    big.set_len(1 << 30).unwrap();
    drop(big);
    let init = env.agent().args(["checkpoint", "init"]).output().unwrap();
    let said = String::from_utf8_lossy(&init.stdout);
    assert!(init.status.success(), "{said}");
    assert!(
        said.contains("warning: big.bin is larger than")
            && said.contains("recorded by size and time only"),
        "{said}"
    );
    let du = env.agent().args(["checkpoint", "du"]).output().unwrap();
    let du = String::from_utf8_lossy(&du.stdout);
    let bytes: u64 = du.split_whitespace().next().unwrap().parse().unwrap();
    assert!(bytes < 1 << 20, "the gigabyte is not in the store: {du}");
    assert!(du.contains("session shared"), "{du}");

    std::fs::remove_file(env.workspace.join("big.bin")).unwrap();
    std::fs::write(env.workspace.join("small.txt"), "changed\n").unwrap();
    let restore = env
        .agent()
        .args(["checkpoint", "restore", "1"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&restore.stdout);
    assert!(restore.status.success(), "{said}");
    assert!(said.contains("cannot bring back big.bin"), "{said}");
    assert_eq!(env.read("small.txt"), "small\n");
}

/// Session `id`: a baseline, then `turns` turns of 5 tool checkpoints
/// each rewriting `data.bin` with 100 KB of noise; returns each turn's
/// content.
fn session(data: &Path, workspace: &Path, id: &str, turns: u64) -> Vec<Vec<u8>> {
    let mut store = CheckpointStore::open(data, workspace).unwrap();
    store.use_session(id).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    let mut kept = Vec::new();
    for turn in 2..2 + turns {
        for tool in 1..=5 {
            let content = noise(turn * 100 + tool, 100_000);
            std::fs::write(workspace.join("data.bin"), &content).unwrap();
            store
                .snapshot_paths(
                    &format!("{turn}.{tool}"),
                    "write",
                    &[workspace.join("data.bin")],
                )
                .unwrap();
            if tool == 5 {
                kept.push(content);
            }
        }
        store.snapshot(&turn.to_string(), "turn", false).unwrap();
    }
    kept
}

#[test]
fn past_the_cap_old_tool_checkpoints_are_folded_and_every_turn_still_restores() {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, workspace) = (dir.path().join("data"), dir.path().join("w"));
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    let turns = session(&data, &workspace, "old", 3);
    let mut store = CheckpointStore::open(&data, &workspace).unwrap();
    store.use_session("new").unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    let before = store.size();
    assert!(before > 1_500_000, "15 versions of 100 KB: {before}");

    let done = store.enforce_cap(900_000).unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(
        done[0].contains("folded 15 tool checkpoint(s) of session old"),
        "{done:?}"
    );
    assert!(store.size() <= 900_000, "{}", store.size());

    store.use_session("old").unwrap();
    let tags: Vec<String> = store.list().unwrap().into_iter().map(|c| c.tag).collect();
    assert_eq!(tags, ["1", "2", "3", "4"]);
    for (turn, content) in (2..).zip(&turns) {
        store
            .restore_forced(&turn.to_string(), false, false)
            .unwrap();
        assert_eq!(&std::fs::read(workspace.join("data.bin")).unwrap(), content);
    }

    store.use_session("new").unwrap();
    let done = store.enforce_cap(1).unwrap();
    assert!(
        done.iter().any(|line| line == "dropped session old"),
        "{done:?}"
    );
    let left: Vec<String> = store
        .sessions()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, ["new"], "the session in use is never dropped");
}
