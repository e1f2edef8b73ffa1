//! The shadow store, driven in-process with libgit2.
//!
//! It is a bare repository under the data folder (keyed by the workspace's
//! path) whose work tree is set to the workspace for each use. The user's
//! `.git` is never opened or written: the store has its own index, objects
//! and refs. libgit2 runs no hooks; the store's config turns off anything
//! that could run a program or rewrite content (fsmonitor, autocrlf,
//! signing) and uses a fixed identity. Checkpoints are commits on one line
//! of history, each named by a ref `refs/checkpoints/TAG`; a snapshot
//! writes its ref last, so a process killed mid-snapshot leaves the previous
//! checkpoints intact.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use git2::{
    Commit, Delta, Diff, DiffFormat, DiffOptions, DiffStatsFormat, IndexEntry, Oid, Repository,
    Signature, Time, Tree,
};

/// Files larger than this are left out of snapshots (with a warning).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

const REF_PREFIX: &str = "refs/checkpoints/";
const HEAD_REF: &str = "refs/checkpoints-head";

/// A problem with the store.
#[derive(Debug)]
pub struct CheckpointError(pub String);

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckpointError {}

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

type Result<T> = std::result::Result<T, CheckpointError>;

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

/// The shadow store of one workspace.
pub struct CheckpointStore {
    repo: Repository,
    workspace: PathBuf,
    /// Files left out of the last snapshot for their size.
    pub skipped: Vec<PathBuf>,
}

impl CheckpointStore {
    /// Where the store of `workspace` lives under the data folder.
    pub fn location(data: &Path, workspace: &Path) -> PathBuf {
        data.join("checkpoints")
            .join(crate::engine::store::workspace_key(workspace))
    }

    /// Opens the store of `workspace`, creating it if needed.
    pub fn open(data: &Path, workspace: &Path) -> Result<CheckpointStore> {
        // The store writes every object it references itself, in the same
        // call, so libgit2's check that each referenced object exists (an
        // open per blob when a tree is written) only costs time.
        git2::opts::strict_object_creation(false);
        let location = Self::location(data, workspace);
        let repo = match Repository::open_bare(&location) {
            Ok(repo) => repo,
            Err(_) => create(&location)?,
        };
        repo.set_workdir(workspace, false)?;
        Ok(CheckpointStore {
            repo,
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
    fn tags(&self) -> Result<Vec<String>> {
        let mut tags = Vec::new();
        for reference in self.repo.references_glob(&format!("{REF_PREFIX}*"))? {
            if let Ok(name) = reference?.name() {
                tags.push(name.trim_start_matches(REF_PREFIX).to_string());
            }
        }
        Ok(tags)
    }

    /// Snapshots the workspace as `tag`; `None` when nothing changed since
    /// the last checkpoint and `only_if_changed` is set.
    pub fn snapshot(
        &mut self,
        tag: &str,
        description: &str,
        only_if_changed: bool,
    ) -> Result<Option<Checkpoint>> {
        let _lock = self.lock()?;
        let changes = self.changes()?;
        self.skipped = changes.skipped.clone();
        let packed = changes.add.len() > PACK_THRESHOLD;
        let taken = self.commit_changes(changes, tag, description, only_if_changed, packed);
        if packed {
            self.reopen()?;
        }
        let Some(commit) = taken? else {
            return Ok(None);
        };
        self.checkpoint(tag, &self.repo.find_commit(commit)?)
            .map(Some)
    }

    /// Snapshots after a change to known files only (the write tool says
    /// which): just their index entries are updated, with no walk of the
    /// workspace. `None` when the tree did not change.
    pub fn snapshot_paths(
        &mut self,
        tag: &str,
        description: &str,
        paths: &[PathBuf],
    ) -> Result<Option<Checkpoint>> {
        let _lock = self.lock()?;
        let mut changes = Changes::default();
        for path in paths {
            let relative = path
                .strip_prefix(&self.workspace)
                .unwrap_or(path)
                .to_path_buf();
            match std::fs::symlink_metadata(self.workspace.join(&relative)) {
                Ok(meta) if meta.len() > MAX_FILE_BYTES => changes.skipped.push(relative),
                Ok(_) => changes.add.push(relative),
                Err(_) => changes
                    .remove
                    .push(relative.as_os_str().as_bytes().to_vec()),
            }
        }
        self.skipped = changes.skipped.clone();
        let Some(commit) = self.commit_changes(changes, tag, description, true, false)? else {
            return Ok(None);
        };
        self.checkpoint(tag, &self.repo.find_commit(commit)?)
            .map(Some)
    }

    /// Writes the changes and the commit, into one pack when `packed` (many
    /// new objects: one file instead of one per object), and points the
    /// checkpoint's refs at it last. `None` when the tree is unchanged and
    /// `only_if_changed` is set.
    fn commit_changes(
        &self,
        changes: Changes,
        tag: &str,
        description: &str,
        only_if_changed: bool,
        packed: bool,
    ) -> Result<Option<Oid>> {
        let odb = self.repo.odb()?;
        let mempack = if packed {
            Some(odb.add_new_mempack_backend(1000)?)
        } else {
            None
        };
        let tree_id = self.apply(changes)?;
        let parent = self.head()?;
        if only_if_changed && parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
            return Ok(None);
        }
        let tree = self.repo.find_tree(tree_id)?;
        let signature = Signature::new("agent", "agent@localhost", &Time::new(now(), 0))?;
        let parents: Vec<&Commit> = parent.iter().collect();
        let message = format!("{tag}: {description}");
        let commit = self
            .repo
            .commit(None, &signature, &signature, &message, &tree, &parents)?;
        if let Some(mempack) = mempack {
            let mut pack = git2::Buf::new();
            mempack.dump(&self.repo, &mut pack)?;
            let mut writer = odb.packwriter()?;
            std::io::Write::write_all(&mut writer, &pack)?;
            writer.commit()?;
            mempack.reset()?;
        }
        self.repo
            .reference(&format!("{REF_PREFIX}{tag}"), commit, true, "checkpoint")?;
        self.repo.reference(HEAD_REF, commit, true, "checkpoint")?;
        Ok(Some(commit))
    }

    /// Drops the in-memory pack backend by opening the store afresh, so
    /// later writes go to disk again.
    fn reopen(&mut self) -> Result<()> {
        let repo = Repository::open_bare(self.repo.path())?;
        repo.set_workdir(&self.workspace, false)?;
        self.repo = repo;
        Ok(())
    }

    /// What changed in the workspace since the store's index: the workspace
    /// is walked in parallel (the `ignore` crate: `.gitignore` honoured also
    /// outside git repositories, `.git` folders and files skipped, nested
    /// repositories' files kept), and a file counts as changed only when its
    /// stat data differ from its index entry, as `git status` decides. Files
    /// over [`MAX_FILE_BYTES`] are left out.
    fn changes(&self) -> Result<Changes> {
        let index = self.repo.index()?;
        let index_written = std::fs::metadata(self.repo.path().join("index"))
            .map(|m| (m.mtime(), m.mtime_nsec()))
            .ok();
        let known: HashMap<Vec<u8>, IndexEntry> =
            index.iter().map(|e| (e.path.clone(), e)).collect();
        let mut seen = HashSet::with_capacity(known.len());
        let mut changes = Changes::default();
        for (path, meta) in walk(&self.workspace) {
            let key = path.as_os_str().as_bytes().to_vec();
            if meta.is_file() && meta.len() > MAX_FILE_BYTES {
                changes.skipped.push(path);
                continue;
            }
            if !known
                .get(&key)
                .is_some_and(|entry| same_stat(entry, &meta, index_written))
            {
                changes.add.push(path);
            }
            seen.insert(key);
        }
        changes.remove = known.into_keys().filter(|k| !seen.contains(k)).collect();
        Ok(changes)
    }

    /// Applies `changes` to the index (hashing the changed files) and
    /// writes the tree.
    fn apply(&self, changes: Changes) -> Result<Oid> {
        let mut index = self.repo.index()?;
        for path in &changes.add {
            index.add_path(path)?;
        }
        for key in &changes.remove {
            index.remove_path(Path::new(OsStr::from_bytes(key)))?;
        }
        index.write()?;
        Ok(index.write_tree()?)
    }

    /// Takes the store's lock for one operation. Whoever holds it is the
    /// only writer, so an `index.lock` found then was left by a process that
    /// was killed mid-snapshot, and is removed.
    fn lock(&self) -> Result<std::fs::File> {
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
        let stale = self.repo.path().join("index.lock");
        if stale.exists() {
            std::fs::remove_file(stale)?;
        }
        Ok(file)
    }

    fn head(&self) -> Result<Option<Commit<'_>>> {
        match self.repo.find_reference(HEAD_REF) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?)),
            Err(_) => Ok(None),
        }
    }

    fn find(&self, tag: &str) -> Result<Commit<'_>> {
        self.repo
            .find_reference(&format!("{REF_PREFIX}{tag}"))
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| {
                CheckpointError(format!(
                    "no checkpoint `{tag}` (see `agent checkpoint list`)"
                ))
            })
    }

    fn checkpoint(&self, tag: &str, commit: &Commit<'_>) -> Result<Checkpoint> {
        let parent_tree = commit.parents().next().map(|p| p.tree()).transpose()?;
        let mut options = DiffOptions::new();
        options.include_typechange(true);
        let diff = self.repo.diff_tree_to_tree(
            parent_tree.as_ref(),
            Some(&commit.tree()?),
            Some(&mut options),
        )?;
        let count = |status: Delta| diff.deltas().filter(|d| d.status() == status).count();
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

    /// Every checkpoint, oldest first.
    pub fn list(&self) -> Result<Vec<Checkpoint>> {
        let mut tags = self.tags()?;
        tags.sort_by_key(|t| tag_order(t));
        tags.iter()
            .map(|tag| self.checkpoint(tag, &self.find(tag)?))
            .collect()
    }

    /// A unified diff (or `--stat` summary) from checkpoint `from` to
    /// checkpoint `to`, or to the live tree.
    pub fn diff(&self, from: &str, to: Option<&str>, stat: bool) -> Result<String> {
        let old = self.find(from)?.tree()?;
        let mut options = DiffOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .show_untracked_content(true);
        let diff = match to {
            Some(to) => self.repo.diff_tree_to_tree(
                Some(&old),
                Some(&self.find(to)?.tree()?),
                Some(&mut options),
            )?,
            None => self
                .repo
                .diff_tree_to_workdir(Some(&old), Some(&mut options))?,
        };
        render(&diff, stat)
    }

    /// Puts back every file checkpoint `tag` had: contents, executable
    /// bits, symlinks, and files deleted since. Files created since are
    /// kept. A safety checkpoint is taken first, so the restore can itself
    /// be undone; it is returned.
    pub fn restore(&mut self, tag: &str) -> Result<Option<Checkpoint>> {
        self.find(tag)?;
        let turn = self.next_turn()?.to_string();
        let safety = self.snapshot(&turn, &format!("before restoring {tag}"), true)?;
        let _lock = self.lock()?;
        let target = self.find(tag)?.tree()?;
        // The safety snapshot has just brought the store's index up to date
        // with the files (even when it found nothing to commit), so comparing
        // the target with the index finds every file to put back without
        // reading the work tree again.
        let index = self.repo.index()?;
        let mut options = DiffOptions::new();
        options.include_typechange(true);
        let diff = self
            .repo
            .diff_tree_to_index(Some(&target), Some(&index), Some(&mut options))?;
        let restored: Vec<PathBuf> = diff
            .deltas()
            .filter(|d| {
                matches!(
                    d.status(),
                    Delta::Modified | Delta::Deleted | Delta::Typechange
                )
            })
            .filter_map(|d| d.old_file().path().map(Path::to_path_buf))
            .collect();
        for path in restored {
            self.write_entry(&target, &path)?;
        }
        Ok(safety)
    }

    fn write_entry(&self, tree: &Tree<'_>, path: &Path) -> Result<()> {
        let entry = tree.get_path(path)?;
        let blob = entry.to_object(&self.repo)?.peel_to_blob()?;
        let full = self.workspace.join(path);
        if let Some(folder) = full.parent() {
            std::fs::create_dir_all(folder)?;
        }
        if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_symlink() || m.is_file()) {
            std::fs::remove_file(&full)?;
        }
        match entry.filemode() {
            0o120000 => {
                use std::os::unix::ffi::OsStrExt;
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(blob.content()), &full)?;
            }
            mode => {
                std::fs::write(&full, blob.content())?;
                use std::os::unix::fs::PermissionsExt;
                let bits = if mode == 0o100755 { 0o755 } else { 0o644 };
                std::fs::set_permissions(&full, std::fs::Permissions::from_mode(bits))?;
            }
        }
        Ok(())
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

/// New snapshots with more files to hash than this are written as one pack.
const PACK_THRESHOLD: usize = 256;

/// What a snapshot has to do to the index.
#[derive(Debug, Default, Clone)]
struct Changes {
    /// New or changed files, to hash.
    add: Vec<PathBuf>,
    /// Index entries whose files are gone.
    remove: Vec<Vec<u8>>,
    /// Files left out for their size.
    skipped: Vec<PathBuf>,
}

/// Every file and symlink under `workspace` that `.gitignore` does not
/// hide, with its `lstat` data, relative to `workspace`.
fn walk(workspace: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let found = Mutex::new(Vec::new());
    WalkBuilder::new(workspace)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                if let Ok(entry) = entry
                    && entry
                        .file_type()
                        .is_some_and(|t| t.is_file() || t.is_symlink())
                    && let Ok(meta) = entry.metadata()
                    && let Ok(relative) = entry.path().strip_prefix(workspace)
                    && let Ok(mut found) = found.lock()
                {
                    found.push((relative.to_path_buf(), meta));
                }
                WalkState::Continue
            })
        });
    found.into_inner().unwrap_or_default()
}

/// Whether a file is unchanged since its index entry, judged by stat data
/// alone. A file modified in the same instant as the index was written is
/// "racily clean" (git's term) and is hashed again to be sure.
fn same_stat(
    entry: &IndexEntry,
    meta: &std::fs::Metadata,
    index_written: Option<(i64, i64)>,
) -> bool {
    let mtime = (meta.mtime(), meta.mtime_nsec());
    let racy = index_written.is_none_or(|written| mtime >= written);
    let mode = if meta.file_type().is_symlink() {
        0o120000
    } else if meta.mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    };
    !racy
        && entry.mtime.seconds() as i64 == mtime.0
        && entry.mtime.nanoseconds() as i64 == mtime.1
        && entry.file_size == meta.len() as u32
        && entry.ino == meta.ino() as u32
        && entry.mode == mode
}

/// Creates a hardened bare repository.
fn create(location: &Path) -> Result<Repository> {
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

fn render(diff: &Diff<'_>, stat: bool) -> Result<String> {
    if stat {
        let stats = diff.stats()?.to_buf(DiffStatsFormat::FULL, 80)?;
        return Ok(String::from_utf8_lossy(&stats).into_owned());
    }
    let mut out = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// In the order they were taken: a turn's tool checkpoints, then the
/// turn's own (`2.1`, `2.10`, `2`, `3.1`, `3`).
fn tag_order(tag: &str) -> (u64, u64) {
    match tag.split_once('.') {
        Some((turn, tool)) => (
            turn.parse().unwrap_or(u64::MAX),
            tool.parse().unwrap_or(u64::MAX),
        ),
        None => (tag.parse().unwrap_or(u64::MAX), u64::MAX),
    }
}

fn now() -> i64 {
    (crate::engine::store::now_ms() / 1000) as i64
}
