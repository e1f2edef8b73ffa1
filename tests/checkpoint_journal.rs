//! The change journal: a snapshot of a session with a journal looks only at
//! the paths touched, and its tree is the one a full walk finds, whatever
//! the change; when the journal cannot vouch, it walks and says why.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is its failure
#![cfg(target_os = "linux")]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use agent::checkpoint::CheckpointStore;
use agent::sandbox::Layers;
use serde_json::json;
use support::model_server::{ModelServer, Protocol};

struct Fixture {
    dir: tempfile::TempDir,
    workspace: PathBuf,
    store: CheckpointStore,
    taken: usize,
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// A workspace with a few folders, an ignored one, and a session store
/// with a journal and its baseline.
fn fixture(capacity: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w");
    for path in ["src/a.py", "src/b.py", "src/deep/c.py", "docs/readme.md"] {
        write(&workspace, path, path);
    }
    write(&workspace, ".gitignore", "build/\n");
    write(&workspace, "build/out.o", "ignored");
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    let mut store = CheckpointStore::open(&dir.path().join("data"), &workspace).unwrap();
    store.use_session("journal-test").unwrap();
    store.start_journal(capacity);
    store.snapshot("1", "baseline", false).unwrap().unwrap();
    assert_eq!(
        store.full_walk(),
        Some("the session's first checkpoint"),
        "the baseline walks"
    );
    Fixture {
        dir,
        workspace,
        store,
        taken: 1,
    }
}

impl Fixture {
    /// Snapshots, and checks the tree is what a full walk by a store
    /// without a journal finds; returns why it walked, if it did.
    fn check(&mut self, what: &str) -> Option<String> {
        self.taken += 1;
        self.store
            .snapshot(&self.taken.to_string(), what, false)
            .unwrap();
        let walked = self.store.full_walk().map(str::to_string);
        let oracle_data = self.dir.path().join(format!("oracle-{}", self.taken));
        let mut oracle = CheckpointStore::open(&oracle_data, &self.workspace).unwrap();
        oracle.snapshot("1", "walk", false).unwrap();
        assert_eq!(
            self.store.latest_tree().unwrap(),
            oracle.latest_tree().unwrap(),
            "{what}: the journal's snapshot is the walk's"
        );
        walked
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.workspace.join(relative)
    }
}

#[test]
fn creations_deletions_renames_links_and_modes_are_caught_without_a_walk() {
    let mut f = fixture(1000);
    assert_eq!(f.check("nothing changed"), None);
    write(&f.workspace, "src/new.py", "new");
    write(&f.workspace, "src/a.py", "changed");
    assert_eq!(f.check("create and modify"), None);
    std::fs::remove_file(f.path("src/b.py")).unwrap();
    assert_eq!(f.check("delete"), None);
    std::fs::rename(f.path("src/new.py"), f.path("docs/moved.py")).unwrap();
    assert_eq!(f.check("rename across folders"), None);
    std::fs::rename(f.path("src/deep"), f.path("docs/deeper")).unwrap();
    write(
        &f.workspace,
        "docs/deeper/after-move.py",
        "written in the moved folder",
    );
    assert_eq!(f.check("folder rename"), None);
    std::os::unix::fs::symlink("a.py", f.path("src/link")).unwrap();
    assert_eq!(f.check("symlink created"), None);
    std::fs::remove_file(f.path("src/link")).unwrap();
    std::os::unix::fs::symlink("../docs/readme.md", f.path("src/link")).unwrap();
    assert_eq!(f.check("symlink retargeted"), None);
    std::fs::set_permissions(f.path("src/a.py"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(f.check("chmod"), None);
    std::fs::remove_dir_all(f.path("docs")).unwrap();
    assert_eq!(f.check("folder deleted"), None);
    write(&f.workspace, "build/more.o", "still ignored");
    assert_eq!(f.check("ignored folder"), None);
}

#[test]
fn files_in_folders_made_during_a_command_are_caught() {
    let mut f = fixture(1000);
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("mkdir -p gen/a/b/c && for i in 1 2 3; do echo $i > gen/a/b/c/f$i; echo $i > gen/a/g$i; done")
        .current_dir(&f.workspace)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(f.check("new folders"), None);
    write(&f.workspace, "gen/a/b/c/later.txt", "watched by now");
    assert_eq!(f.check("a write in the new folder"), None);
}

#[test]
fn a_background_writer_is_caught_by_the_next_snapshot() {
    let mut f = fixture(1000);
    let mut writer = std::process::Command::new("sh")
        .arg("-c")
        .arg("read go; echo late > src/background.txt")
        .current_dir(&f.workspace)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(f.check("the command returned, its child still runs"), None);
    use std::io::Write;
    writer.stdin.take().unwrap().write_all(b"go\n").unwrap();
    writer.wait().unwrap();
    assert_eq!(f.check("after the background write"), None);
    assert!(f.path("src/background.txt").exists());
}

#[test]
fn more_changes_than_the_journal_keeps_fall_back_to_a_walk_and_say_so() {
    let mut f = fixture(5);
    for i in 0..20 {
        write(&f.workspace, &format!("src/many/{i}.txt"), "x");
    }
    let walked = f.check("overflow");
    assert_eq!(
        walked.as_deref(),
        Some("more changes than the change journal keeps")
    );
    write(&f.workspace, "src/after.txt", "y");
    assert_eq!(f.check("the journal is back"), None);
}

#[test]
fn what_changed_before_the_journal_started_is_found_by_one_walk() {
    let mut f = fixture(1000);
    let data = f.dir.path().join("data");
    f.store = CheckpointStore::open(&data, &f.workspace).unwrap();
    write(&f.workspace, "src/a.py", "changed while no session ran");
    f.store.use_session("journal-test").unwrap();
    f.store.start_journal(1000);
    assert_eq!(
        f.check("a resumed session's first snapshot").as_deref(),
        Some("the journal just started")
    );
    write(&f.workspace, "src/a.py", "and again");
    assert_eq!(f.check("then the journal"), None);
}

#[test]
fn a_kernel_queue_overflow_falls_back_to_a_walk_and_says_so() {
    // The journal reads the kernel's queue only when a snapshot asks, so
    // more events than the queue holds (`max_queued_events`, read, not
    // changed) overflow it for real: each new file queues at least one.
    let queue: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut f = fixture(10 * queue);
    let folder = f.path("src/flood");
    std::fs::create_dir_all(&folder).unwrap();
    assert_eq!(f.check("the folder is watched"), None);
    for i in 0..queue + 100 {
        std::fs::write(folder.join(i.to_string()), "x").unwrap();
    }
    assert_eq!(
        f.store.seen().err().as_deref(),
        Some("the change journal's queue overflowed"),
        "nor does the sandbox's search trust it"
    );
    assert_eq!(
        f.check("overflow").as_deref(),
        Some("the change journal's queue overflowed")
    );
    assert_eq!(
        f.store.seen().err().as_deref(),
        Some("the change journal restarted"),
        "the sandbox searches once more after the restart"
    );
    write(&f.workspace, "src/after.txt", "y");
    let seen = f.store.seen().unwrap();
    assert!(
        seen.touched.iter().any(|p| p.ends_with("src/after.txt")),
        "{seen:?}"
    );
    assert_eq!(f.check("the journal is back"), None);
}

/// The `checkpoint` and `checkpoint_skipped` events of a headless session
/// whose model runs `ls src` (read-only) then `touch src/new.txt`, with
/// `toolsSettings.shell.sandbox` set to `mode`.
async fn read_only_then_a_write(mode: &str) -> Vec<serde_json::Value> {
    let env = support::Env::new();
    env.write("src/a.py", "x = 1\n");
    let agent = json!({
        "name": "bot",
        "tools": ["shell"],
        "toolsSettings": {
            "shell": {
                "sandbox": mode,
                "autoAllowReadonly": true,
                "allowedCommands": ["touch src/new\\.txt"]
            },
            "write": {"allowedPaths": ["src/**"]}
        }
    });
    env.write(".kiro/agents/bot.json", &agent.to_string());
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            ("c1", "shell", json!({"command": "ls src"})),
            ("c2", "shell", json!({"command": "touch src/new.txt"})),
        ]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["go"]).await;
    let results = support::tool_results(&output);
    assert!(
        results.len() == 2 && results.iter().all(|(_, failed)| !failed),
        "{mode}: {results:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(results[0].0.contains("a.py"), "{mode}: {results:?}");
    assert!(env.workspace.join("src/new.txt").exists(), "{mode}");
    support::stream_events(&output)
        .into_iter()
        .filter(|e| e["type"] == "checkpoint" || e["type"] == "checkpoint_skipped")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_command_in_a_sandbox_holding_the_workspace_takes_no_checkpoint() {
    let helper = Path::new(env!("CARGO_BIN_EXE_agent"));
    let held = Layers::detect(helper).missing(false).is_empty();
    let events = read_only_then_a_write("auto").await;
    let skipped: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "checkpoint_skipped")
        .collect();
    let tool_checkpoints: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "checkpoint" && e["tag"].as_str().unwrap().contains('.'))
        .collect();
    if held {
        assert_eq!(skipped.len(), 1, "{events:?}");
        assert_eq!(skipped[0]["id"], "c1");
        assert_eq!(skipped[0]["reason"], "read_only");
    } else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have every sandbox layer to check this"
        );
        eprintln!("the sandbox is partial here: a read-only command is still checkpointed");
        assert!(skipped.is_empty(), "{events:?}");
    }
    assert_eq!(
        tool_checkpoints.len(),
        1,
        "the write is checkpointed: {events:?}"
    );
    assert_eq!(tool_checkpoints[0]["added"], 1, "{events:?}");
    // With the sandbox off, nothing holds the workspace: no skip.
    let events = read_only_then_a_write("off").await;
    assert!(
        events.iter().all(|e| e["type"] != "checkpoint_skipped"),
        "{events:?}"
    );
}
