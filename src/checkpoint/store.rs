//! The shadow store, driven in-process with libgit2.
//!
//! It is a bare repository under the data folder (keyed by the workspace's
//! path) whose work tree is set to the workspace for each use. The user's
//! `.git` is never opened or written: the store has its own objects and
//! refs, and instead of a git index a stat cache of its own (see
//! [`super::cache`]). libgit2 runs no hooks; the store's config turns off anything
//! that could run a program or rewrite content (fsmonitor, autocrlf,
//! signing) and uses a fixed identity. Checkpoints are commits on one line
//! of history, each named by a ref `refs/checkpoints/TAG`; a snapshot
//! writes its ref last, so a process killed mid-snapshot leaves the previous
//! checkpoints intact.
//!
//! This file opens the store and names checkpoints; taking them is in
//! `snapshot`, reading them back in `history`, putting
//! files back in `restore`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use git2::{Commit, Delta, Repository};

use super::cache::StatCache;
use super::compare;
use super::walk;

/// Files larger than this are left out of snapshots (with a warning).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

pub(super) const REF_PREFIX: &str = "refs/checkpoints/";
pub(super) const HEAD_REF: &str = "refs/checkpoints-head";

/// A problem with the store.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckpointError(pub String);

impl From<git2::Error> for CheckpointError {
    fn from(error: git2::Error) -> CheckpointError {
        CheckpointError(format!("checkpoint store: {}", error.message()))
    }
}

impl From<std::io::Error> for CheckpointError {
    fn from(error: std::io::Error) -> CheckpointError {
        CheckpointError(format!("checkpoint store: {error}"))
    }
}

/// What the store's operations return.
pub(super) type Result<T> = std::result::Result<T, CheckpointError>;

/// One checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `N` for a turn, `N.M` for a tool call.
    pub tag: String,
    /// When it was taken, seconds since the epoch.
    pub time: i64,
    /// What it marks.
    pub description: String,
    /// Files added, modified and deleted since the checkpoint before it.
    pub added: usize,
    /// See `added`.
    pub modified: usize,
    /// See `added`.
    pub deleted: usize,
}

/// One file changed between two checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    /// The path, relative to the workspace.
    pub path: PathBuf,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
}

/// What a restore did.
#[derive(Debug, Default)]
pub struct Restored {
    /// The checkpoint of the state before the restore, which undoes it;
    /// `None` when that state was already the latest checkpoint.
    pub safety: Option<Checkpoint>,
    /// Files the agent's tools created since, deleted (`--hard`).
    pub removed: Vec<PathBuf>,
    /// Files created since by someone else, kept (`--hard`).
    pub kept: Vec<PathBuf>,
}

/// The shadow store of one workspace.
pub struct CheckpointStore {
    pub(super) repo: Repository,
    /// The stat cache, read at the first walk and then kept in memory.
    /// The store has no git index: walks compare with this cache and edit
    /// the newest checkpoint's tree at the paths that changed.
    pub(super) cache: Option<StatCache>,
    pub(super) workspace: PathBuf,
    /// Files left out of the last snapshot for their size.
    pub skipped: Vec<PathBuf>,
    /// The file system's time when the store's lock was last taken.
    pub(super) clock: std::cell::Cell<(i64, i64)>,
    /// Stat-cache records changed in memory since the cache was last saved.
    pub(super) unsaved: usize,
}

impl CheckpointStore {
    /// Where the store of `workspace` lives under the data folder.
    pub fn location(data: &Path, workspace: &Path) -> PathBuf {
        data.join("checkpoints")
            .join(crate::paths::workspace_key(workspace))
    }

    /// Opens the store of `workspace`, creating it if needed.
    pub fn open(data: &Path, workspace: &Path) -> Result<CheckpointStore> {
        // The store writes every object it references itself, in the same
        // call, so libgit2's check that each referenced object exists (an
        // open per blob when a tree is written) only costs time.
        git2::opts::strict_object_creation(false);
        // Nor does it hash every object again as it reads it back, which
        // git's command line does not do either (`git fsck` does): reading
        // the folders a comparison needs would otherwise cost a SHA-1 each.
        git2::opts::strict_hash_verification(false);
        let location = Self::location(data, workspace);
        let repo = match Repository::open_bare(&location) {
            Ok(repo) => repo,
            Err(_) => create(&location)?,
        };
        repo.set_workdir(workspace, false)?;
        Ok(CheckpointStore {
            clock: std::cell::Cell::new((0, 0)),
            unsaved: 0,
            repo,
            cache: None,
            workspace: workspace.to_path_buf(),
            skipped: Vec::new(),
        })
    }

    /// True when the store has no checkpoint yet.
    pub fn is_empty(&self) -> bool {
        self.repo.find_reference(HEAD_REF).is_err()
    }

    /// The tag the next turn checkpoint gets.
    pub fn next_turn(&self) -> Result<u64> {
        Ok(self
            .tags()?
            .iter()
            .filter_map(|t| t.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1)
    }

    /// Every checkpoint's tag, read from the refs alone.
    pub(super) fn tags(&self) -> Result<Vec<String>> {
        let mut tags = Vec::new();
        for reference in self.repo.references_glob(&format!("{REF_PREFIX}*"))? {
            if let Ok(name) = reference?.name() {
                tags.push(name.trim_start_matches(REF_PREFIX).to_string());
            }
        }
        Ok(tags)
    }

    /// Opens the store afresh, dropping the in-memory pack backend so later
    /// writes go to disk again.
    pub(super) fn reopen(&mut self) -> Result<()> {
        let repo = Repository::open_bare(self.repo.path())?;
        repo.set_workdir(&self.workspace, false)?;
        self.repo = repo;
        Ok(())
    }

    /// Takes the store's lock for one operation: whoever holds it is the
    /// only writer.
    pub(super) fn lock(&self) -> Result<std::fs::File> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.repo.path().join("agent.lock"))?;
        // SAFETY: flock(2) on a file descriptor we own; it is released when
        // the returned file is dropped.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // Writing to the lock file stamps it with the file system's clock:
        // its time says when the store was last used (for pruning stores of
        // workspaces gone quiet), and which files a walk sees may still
        // change within the same clock tick.
        std::os::unix::fs::FileExt::write_at(&file, b"1", 0)?;
        let stamped = file.metadata()?;
        self.clock.set((stamped.mtime(), stamped.mtime_nsec()));
        Ok(file)
    }

    pub(super) fn head(&self) -> Result<Option<Commit<'_>>> {
        match self.repo.find_reference(HEAD_REF) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?)),
            Err(_) => Ok(None),
        }
    }

    pub(super) fn find(&self, tag: &str) -> Result<Commit<'_>> {
        self.repo
            .find_reference(&format!("{REF_PREFIX}{tag}"))
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| {
                CheckpointError(format!(
                    "no checkpoint `{tag}` (see `agent checkpoint list`)"
                ))
            })
    }

    pub(super) fn checkpoint(&self, tag: &str, commit: &Commit<'_>) -> Result<Checkpoint> {
        let parent_tree = commit.parents().next().map(|p| p.tree()).transpose()?;
        let changes = compare::changes(&self.repo, parent_tree.as_ref(), Some(&commit.tree()?))?;
        let count = |status: Delta| changes.iter().filter(|c| c.status == status).count();
        let message = commit.message().unwrap_or_default();
        Ok(Checkpoint {
            tag: tag.to_string(),
            time: commit.time().seconds(),
            description: message
                .split_once(": ")
                .map(|(_, d)| d)
                .unwrap_or(message)
                .trim()
                .to_string(),
            added: count(Delta::Added),
            modified: count(Delta::Modified) + count(Delta::Typechange),
            deleted: count(Delta::Deleted),
        })
    }

    /// Whether a new store for `workspace` should wait for an explicit
    /// `init`: outside a git repository, a tree of more than `limit` files
    /// (a home folder, say) is not snapshotted unasked.
    pub fn needs_init(data: &Path, workspace: &Path, limit: u64) -> bool {
        !Self::location(data, workspace).join(HEAD_REF).exists()
            && !workspace.join(".git").exists()
            && walk::has_more_files_than(workspace, usize::try_from(limit).unwrap_or(usize::MAX))
    }

    /// Deletes the stores of workspaces other than `keep` unused for longer
    /// than `max_age` (by their lock file's time); returns the folders
    /// removed.
    pub fn prune(data: &Path, max_age: std::time::Duration, keep: &Path) -> Vec<PathBuf> {
        let kept = Self::location(data, keep);
        let Ok(stores) = std::fs::read_dir(data.join("checkpoints")) else {
            return Vec::new();
        };
        let now = std::time::SystemTime::now();
        stores
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|store| *store != kept)
            .filter(|store| {
                std::fs::metadata(store.join("agent.lock"))
                    .and_then(|m| m.modified())
                    .is_ok_and(|used| now.duration_since(used).is_ok_and(|age| age > max_age))
            })
            .filter(|store| std::fs::remove_dir_all(store).is_ok())
            .collect()
    }

    /// Deletes the store of `workspace`.
    pub fn clean(data: &Path, workspace: &Path) -> Result<bool> {
        let location = Self::location(data, workspace);
        if !location.exists() {
            return Ok(false);
        }
        std::fs::remove_dir_all(location)?;
        Ok(true)
    }
}

/// Creates a hardened bare repository.
pub(super) fn create(location: &Path) -> Result<Repository> {
    std::fs::create_dir_all(location)?;
    let repo = Repository::init_bare(location)?;
    let mut config = repo.config()?;
    for (key, value) in [
        ("core.fsmonitor", "false"),
        ("core.autocrlf", "false"),
        ("core.safecrlf", "false"),
        ("core.symlinks", "true"),
        ("core.filemode", "true"),
        ("commit.gpgsign", "false"),
        ("gc.auto", "0"),
    ] {
        config.set_str(key, value)?;
    }
    config.set_str("user.name", "agent")?;
    config.set_str("user.email", "agent@localhost")?;
    Ok(repo)
}

/// In the order they were taken: a turn's tool checkpoints, then the
/// turn's own (`2.1`, `2.10`, `2`, `3.1`, `3`).
pub(super) fn tag_order(tag: &str) -> (u64, u64) {
    match tag.split_once('.') {
        Some((turn, tool)) => (
            turn.parse().unwrap_or(u64::MAX),
            tool.parse().unwrap_or(u64::MAX),
        ),
        None => (tag.parse().unwrap_or(u64::MAX), u64::MAX),
    }
}

/// Seconds since the epoch, for commit times.
pub(super) fn now() -> i64 {
    (crate::paths::now_ms() / 1000) as i64
}
