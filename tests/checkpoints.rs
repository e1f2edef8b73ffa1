//! The shadow checkpoint store: snapshots, list, diff and restore, with the
//! user's own `.git` left byte-identical.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use agent::checkpoint::CheckpointStore;
use proptest::prelude::*;

/// Everything under `root` except `.git`: path → (kind, bytes, mode).
fn tree(root: &Path) -> BTreeMap<PathBuf, (char, Vec<u8>, u32)> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if relative.starts_with(".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                use std::os::unix::ffi::OsStrExt;
                found.insert(relative, ('l', target.as_os_str().as_bytes().to_vec(), 0));
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                found.insert(
                    relative,
                    (
                        'f',
                        std::fs::read(&path).unwrap(),
                        meta.permissions().mode() & 0o111,
                    ),
                );
            }
        }
    }
    found
}

/// The bytes of every file in the user's `.git`.
fn user_git(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.join(".git")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    workspace: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w");
    std::fs::create_dir_all(workspace.join(".git/hooks")).unwrap();
    std::fs::write(workspace.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        workspace.join(".git/hooks/pre-commit"),
        "#!/bin/sh\nexit 1\n",
    )
    .unwrap();
    Fixture {
        data: dir.path().join("data"),
        workspace,
        _dir: dir,
    }
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

#[test]
fn restore_puts_back_contents_modes_symlinks_and_deletions_and_keeps_new_files() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "a.txt", "one\n");
    write(w, "bin/run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(w.join("bin/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("a.txt", w.join("link")).unwrap();
    write(w, ".gitignore", "target/\n");
    write(w, "target/out.bin", "ignored");
    let git_before = user_git(w);
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    let first = store.snapshot("1", "baseline", false).unwrap().unwrap();
    assert_eq!(
        (first.added, first.modified, first.deleted),
        (4, 0, 0),
        "target/ is ignored"
    );
    let before = tree(w);

    write(w, "a.txt", "two\n");
    std::fs::remove_file(w.join("bin/run.sh")).unwrap();
    std::fs::remove_file(w.join("link")).unwrap();
    write(w, "link", "now a file");
    write(w, "new.txt", "created later");
    let second = store.snapshot("2", "turn", false).unwrap().unwrap();
    assert_eq!((second.added, second.modified, second.deleted), (1, 2, 1));
    assert!(store.snapshot("2.1", "no change", true).unwrap().is_none());

    let safety = store.restore("1", false).unwrap().safety;
    assert!(
        safety.is_none(),
        "nothing changed since 2, so no safety checkpoint was needed"
    );
    let after = tree(w);
    for (path, state) in &before {
        assert_eq!(after.get(path), Some(state), "{}", path.display());
    }
    assert!(
        w.join("new.txt").exists(),
        "plain restore keeps files created later"
    );
    assert_eq!(user_git(w), git_before, "the user's .git is untouched");
}

#[test]
fn list_diff_and_a_restore_that_can_be_undone() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "src/a.py", "x = 1\n");
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    write(w, "src/a.py", "x: int = 1\n");
    store.snapshot("2.1", "write src/a.py", false).unwrap();
    store.snapshot("2", "end of turn", false).unwrap();
    let tags: Vec<String> = store.list().unwrap().into_iter().map(|c| c.tag).collect();
    assert_eq!(tags, ["1", "2.1", "2"]);
    let diff = store.diff("1", Some("2"), false).unwrap();
    assert!(
        diff.contains("-x = 1") && diff.contains("+x: int = 1"),
        "{diff}"
    );
    assert!(
        store
            .diff("1", Some("2"), true)
            .unwrap()
            .contains("1 file changed")
    );
    write(w, "src/a.py", "broken\n");
    assert!(store.diff("2", None, false).unwrap().contains("+broken"));
    let safety = store.restore("1", false).unwrap().safety.unwrap();
    assert_eq!(safety.tag, "3");
    assert_eq!(
        std::fs::read_to_string(w.join("src/a.py")).unwrap(),
        "x = 1\n"
    );
    store.restore("3", false).unwrap();
    assert_eq!(
        std::fs::read_to_string(w.join("src/a.py")).unwrap(),
        "broken\n",
        "the restore was undone"
    );
    assert!(
        store
            .restore("9", false)
            .unwrap_err()
            .to_string()
            .contains("no checkpoint `9`")
    );
}

#[test]
fn nested_repositories_do_not_break_snapshots_and_the_store_survives_reopening() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "vendor/lib/.git/HEAD", "ref: refs/heads/main\n");
    write(w, "vendor/lib/x.rs", "fn x() {}\n");
    write(w, "main.rs", "fn main() {}\n");
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    let first = store.snapshot("1", "baseline", false).unwrap().unwrap();
    assert_eq!(
        first.added, 2,
        "the nested repository's files are captured, its .git is not"
    );
    write(w, "vendor/lib/x.rs", "changed\n");
    store.restore("1", false).unwrap();
    assert_eq!(
        std::fs::read_to_string(w.join("vendor/lib/x.rs")).unwrap(),
        "fn x() {}\n"
    );
    drop(store);
    let reopened = CheckpointStore::open(&f.data, w).unwrap();
    assert_eq!(
        reopened.list().unwrap().len(),
        2,
        "the baseline and the safety checkpoint"
    );
    assert_eq!(reopened.next_turn().unwrap(), 3);
    assert!(CheckpointStore::clean(&f.data, w).unwrap());
    assert!(!CheckpointStore::location(&f.data, w).exists());
}

#[derive(Debug, Clone)]
enum Op {
    Write(u8, Vec<u8>),
    Delete(u8),
    Chmod(u8, bool),
    Link(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6u8, prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(f, b)| Op::Write(f, b)),
        (0..6u8).prop_map(Op::Delete),
        (0..6u8, any::<bool>()).prop_map(|(f, x)| Op::Chmod(f, x)),
        (0..6u8, 0..6u8).prop_map(|(f, t)| Op::Link(f, t)),
    ]
}

fn name(file: u8) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let names: [&[u8]; 6] = [
        b"a.txt",
        b"dir/b.bin",
        b"dir/sub/c",
        "d é.txt".as_bytes(),
        b"e\xff\xfe",
        b"f",
    ];
    PathBuf::from(std::ffi::OsStr::from_bytes(names[file as usize]))
}

/// The file an operation changes.
fn touched(op: &Op) -> u8 {
    match op {
        Op::Write(f, _) | Op::Delete(f) | Op::Chmod(f, _) | Op::Link(f, _) => *f,
    }
}

fn apply(root: &Path, op: &Op) {
    let path = |f: u8| root.join(name(f));
    let clear = |p: &Path| {
        if std::fs::symlink_metadata(p).is_ok() {
            std::fs::remove_file(p).unwrap();
        }
    };
    match op {
        Op::Write(f, bytes) => {
            let p = path(*f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            clear(&p);
            std::fs::write(p, bytes).unwrap();
        }
        Op::Delete(f) => clear(&path(*f)),
        Op::Chmod(f, exec) => {
            let p = path(*f);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                let mode = if *exec { 0o755 } else { 0o644 };
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        Op::Link(f, target) => {
            let p = path(*f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            clear(&p);
            std::os::unix::fs::symlink(name(*target), p).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn restoring_any_checkpoint_brings_back_every_file_it_had(ops in prop::collection::vec(op(), 1..12)) {
        let f = fixture();
        let w = &f.workspace;
        let git_before = user_git(w);
        let mut store = CheckpointStore::open(&f.data, w).unwrap();
        let mut states = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            apply(w, op);
            let tag = (i + 1).to_string();
            // Every other step is checkpointed as the write tool does: only
            // the path it touched, by editing the tree, leaving the index
            // stale for the walks that follow.
            let taken = match i % 2 {
                1 => store.snapshot_paths(&tag, "step", &[w.join(name(touched(op)))]).unwrap(),
                _ => store.snapshot(&tag, "step", false).unwrap(),
            };
            if taken.is_some() {
                states.push((tag, tree(w)));
            }
        }
        for (tag, state) in states.iter().rev() {
            store.restore(tag, false).unwrap();
            let now = tree(w);
            for (path, entry) in state {
                prop_assert_eq!(now.get(path), Some(entry), "checkpoint {} path {}", tag, path.display());
            }
        }
        prop_assert_eq!(user_git(w), git_before);
    }
}

#[test]
fn a_snapshot_killed_midway_leaves_a_store_that_opens_and_restores() {
    let f = fixture();
    let w = &f.workspace;
    for i in 0..3000 {
        write(
            w,
            &format!("src/{}/{i}.txt", i % 30),
            &format!("original {i}\n"),
        );
    }
    let before = tree(w);
    let agent = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agent"));
        command
            .arg("checkpoint")
            .args(args)
            .current_dir(w)
            .env("AGENT_HOME", f.data.parent().unwrap().join("home"));
        command
    };
    assert!(agent(&["init"]).output().unwrap().status.success());
    for i in 0..3000 {
        write(
            w,
            &format!("src/{}/{i}.txt", i % 30),
            &format!("changed {i}\n"),
        );
    }
    for delay_ms in [5, 20, 60] {
        let mut child = agent(&["init"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let list = agent(&["list"]).output().unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(String::from_utf8_lossy(&list.stdout).starts_with("1 "));
    assert!(agent(&["restore", "1"]).output().unwrap().status.success());
    assert_eq!(tree(w), before, "the first checkpoint came back whole");
    assert!(
        agent(&["init"]).output().unwrap().status.success(),
        "snapshots work again"
    );
}

#[test]
fn a_write_tool_checkpoint_updates_only_the_paths_it_is_given() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "src/a.py", "a\n");
    write(w, "src/b.py", "b\n");
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    write(w, "src/a.py", "a2\n");
    write(w, "src/new.py", "n\n");
    std::fs::remove_file(w.join("src/b.py")).unwrap();
    write(w, "untold.txt", "not named, so not in this checkpoint");
    let paths = [w.join("src/a.py"), w.join("src/new.py"), w.join("src/b.py")];
    let taken = store
        .snapshot_paths("2.1", "write", &paths)
        .unwrap()
        .unwrap();
    assert_eq!((taken.added, taken.modified, taken.deleted), (1, 1, 1));
    assert!(
        store
            .snapshot_paths("2.2", "write", &paths)
            .unwrap()
            .is_none(),
        "nothing new"
    );
    let diff = store.diff("1", Some("2.1"), true).unwrap();
    assert!(!diff.contains("untold.txt"), "{diff}");
    store.restore("1", false).unwrap();
    assert_eq!(std::fs::read_to_string(w.join("src/a.py")).unwrap(), "a\n");
    assert!(w.join("src/b.py").exists());
}

#[test]
fn a_hard_restore_removes_what_the_agent_created_and_keeps_what_the_user_made() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "a.txt", "one\n");
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    write(w, "build/out/gen.py", "generated\n");
    write(w, "a.txt", "changed by the agent\n");
    store
        .snapshot_paths(
            "2.1",
            "write",
            &[w.join("build/out/gen.py"), w.join("a.txt")],
        )
        .unwrap()
        .unwrap();
    write(w, "notes.txt", "the user's notes\n");
    store
        .snapshot("3", "changes made outside the agent", true)
        .unwrap()
        .unwrap();
    write(w, "later.txt", "made by the user, never checkpointed\n");

    let restored = store.restore("1", true).unwrap();
    assert_eq!(restored.removed, vec![PathBuf::from("build/out/gen.py")]);
    assert_eq!(
        restored.kept,
        vec![PathBuf::from("later.txt"), PathBuf::from("notes.txt")]
    );
    assert!(!w.join("build").exists(), "emptied folders go too");
    assert!(w.join("notes.txt").exists() && w.join("later.txt").exists());
    assert_eq!(std::fs::read_to_string(w.join("a.txt")).unwrap(), "one\n");

    let undo = restored.safety.unwrap().tag;
    store.restore(&undo, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(w.join("build/out/gen.py")).unwrap(),
        "generated\n",
        "a hard restore is undoable too"
    );
}

#[test]
fn stores_unused_past_the_age_limit_are_pruned_but_never_the_current_one() {
    let f = fixture();
    let other = f.data.parent().unwrap().join("other");
    std::fs::create_dir_all(&other).unwrap();
    write(&other, "x.txt", "x\n");
    write(&f.workspace, "y.txt", "y\n");
    for workspace in [&other, &f.workspace] {
        let mut store = CheckpointStore::open(&f.data, workspace).unwrap();
        store.snapshot("1", "baseline", false).unwrap();
        let lock = CheckpointStore::location(&f.data, workspace).join("agent.lock");
        let forty_days_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(lock)
            .unwrap()
            .set_modified(forty_days_ago)
            .unwrap();
    }
    let month = std::time::Duration::from_secs(30 * 86_400);
    let removed = CheckpointStore::prune(&f.data, month, &f.workspace);
    assert_eq!(removed, vec![CheckpointStore::location(&f.data, &other)]);
    assert!(CheckpointStore::location(&f.data, &f.workspace).exists());
    let year = std::time::Duration::from_secs(365 * 86_400);
    assert!(CheckpointStore::prune(&f.data, year, &other).is_empty());
}

#[test]
fn a_large_tree_outside_git_waits_for_init() {
    let f = fixture();
    let plain = f.data.parent().unwrap().join("plain");
    for i in 0..5 {
        write(&plain, &format!("d{}/f{i}.txt", i % 2), "x\n");
    }
    assert!(CheckpointStore::needs_init(&f.data, &plain, 3));
    assert!(!CheckpointStore::needs_init(&f.data, &plain, 10));
    for i in 0..5 {
        write(&f.workspace, &format!("f{i}.txt"), "x\n");
    }
    assert!(
        !CheckpointStore::needs_init(&f.data, &f.workspace, 3),
        "inside a git repository the baseline is always automatic"
    );
    let mut store = CheckpointStore::open(&f.data, &plain).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    assert!(
        !CheckpointStore::needs_init(&f.data, &plain, 3),
        "once initialised, the store is used"
    );
}

#[test]
fn a_change_within_the_same_clock_tick_is_not_missed() {
    let f = fixture();
    let w = &f.workspace;
    let file = w.join("same.txt");
    // Two writes in the clock tick the snapshot started in leave identical
    // stat data (same size, same inode, same mtime); pinning the mtime plays
    // that, since the tick cannot be chosen.
    let tick = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    let write_in_tick = |text: &[u8]| {
        std::fs::write(&file, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(tick)
            .unwrap();
    };
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    write_in_tick(b"first!!!");
    store.snapshot("1", "baseline", false).unwrap();
    write_in_tick(b"second!!");
    assert!(
        store.snapshot("2", "after", true).unwrap().is_some(),
        "the second write was seen"
    );
    drop(store);
    write_in_tick(b"third!!!");
    let mut reopened = CheckpointStore::open(&f.data, w).unwrap();
    assert!(
        reopened.snapshot("3", "after", true).unwrap().is_some(),
        "also by a new process reading the stat cache from disk"
    );
}

#[test]
fn a_stat_cache_behind_the_newest_checkpoint_is_brought_up_to_date() {
    let f = fixture();
    let w = &f.workspace;
    write(w, "a.txt", "a\n");
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    store.snapshot("1", "baseline", false).unwrap();
    let cache = CheckpointStore::location(&f.data, w).join("stat-cache");
    let before = std::fs::read(&cache).unwrap();
    write(w, "x.txt", "made by the write tool\n");
    store
        .snapshot_paths("2.1", "write", &[w.join("x.txt")])
        .unwrap()
        .unwrap();
    drop(store);
    // A process stopped between its checkpoint and saving the cache.
    std::fs::write(&cache, before).unwrap();
    std::fs::remove_file(w.join("x.txt")).unwrap();
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    let taken = store.snapshot("2", "turn", true).unwrap().unwrap();
    assert_eq!(
        taken.deleted, 1,
        "the file the stale cache did not know is gone from the tree"
    );
    std::fs::write(&cache, b"garbage").unwrap();
    let mut store = CheckpointStore::open(&f.data, w).unwrap();
    assert!(
        store.snapshot("3", "turn", true).unwrap().is_none(),
        "a damaged cache costs hashing, not a wrong tree"
    );
}
