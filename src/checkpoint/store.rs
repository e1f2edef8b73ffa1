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

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{
    Commit, Delta, Diff, DiffFormat, DiffOptions, DiffStatsFormat, FileMode, ObjectType, Odb, Oid,
    Repository, Signature, Time, Tree,
};

use super::cache::{self, Entry, StatCache};
use super::compare;
use super::walk::{self, Found, Stat};

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
    repo: Repository,
    /// The stat cache, read at the first walk and then kept in memory.
    /// The store has no git index: walks compare with this cache and edit
    /// the newest checkpoint's tree at the paths that changed.
    cache: Option<StatCache>,
    workspace: PathBuf,
    /// Files left out of the last snapshot for their size.
    pub skipped: Vec<PathBuf>,
    /// The file system's time when the store's lock was last taken.
    clock: std::cell::Cell<(i64, i64)>,
    /// Stat-cache records changed in memory since the cache was last saved.
    unsaved: usize,
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
        let changes = self.changes();
        self.commit_changes(changes, tag, description, only_if_changed)
    }

    /// Snapshots after a change to known files only (the write tool says
    /// which): the newest checkpoint's tree is edited at those paths, with
    /// no walk of the workspace and no read of the stat cache's file. A
    /// stat cache already in memory records the new blobs; otherwise the
    /// next walk finds these paths changed between the cache's tree and
    /// the newest one, and hashes them again. `None` when the tree did not
    /// change.
    pub fn snapshot_paths(
        &mut self,
        tag: &str,
        description: &str,
        paths: &[PathBuf],
    ) -> Result<Option<Checkpoint>> {
        let Some(base) = self.head()?.map(|c| c.tree()).transpose()? else {
            return self.snapshot(tag, description, false);
        };
        let _lock = self.lock()?;
        let clock = self.clock.get();
        let odb = self.repo.odb()?;
        let mut updates = TreeUpdateBuilder::new();
        let mut skipped = Vec::new();
        let mut records = Vec::new();
        for path in paths {
            let relative = path.strip_prefix(&self.workspace).unwrap_or(path);
            let full = self.workspace.join(relative);
            let found = std::fs::symlink_metadata(&full)
                .ok()
                .filter(|meta| meta.is_file() || meta.is_symlink())
                .filter(|_| !walk::is_ignored(&self.workspace, relative))
                .map(|meta| Stat::of(&meta));
            let blob = match found {
                Some(stat) if too_large(&stat) => {
                    skipped.push(relative.to_path_buf());
                    None
                }
                Some(stat) => hash(&odb, &full, &stat)?.map(|id| (id, stat)),
                None => None,
            };
            match blob {
                Some((id, stat)) => {
                    updates.upsert(relative, id, git_mode(stat.mode));
                }
                None if base.get_path(relative).is_ok() => {
                    updates.remove(relative);
                }
                None => {}
            }
            let record = blob.map(|(id, stat)| (cache::settled(stat, clock), id));
            records.push((path_bytes(relative).to_vec(), record));
        }
        let tree = updates.create_updated(&self.repo, &base)?;
        let base_id = base.id();
        drop((base, odb));
        self.skipped = skipped;
        if let Some(cache) = self.cache.as_mut().filter(|c| c.tree == Some(base_id)) {
            self.unsaved += records.len();
            for (key, record) in records {
                match record {
                    Some((stat, id)) => cache.record(key, stat, id),
                    None => cache.forget(&key),
                }
            }
            cache.tree = Some(tree);
        }
        let commit = self.write_commit(tree, tag, description, true)?;
        self.record(commit, tag)
    }

    /// Writes the changes and the commit (into one pack when there are many
    /// new objects: one file instead of one per object), points the
    /// checkpoint's refs at it last, keeps the stat cache (saved as
    /// [`RECORDS_PER_HASH`] says), and describes the checkpoint. `None` when the tree is unchanged and `only_if_changed`.
    fn commit_changes(
        &mut self,
        changes: Changes,
        tag: &str,
        description: &str,
        only_if_changed: bool,
    ) -> Result<Option<Checkpoint>> {
        self.skipped = changes.skipped.clone();
        let changed = changes.to_hash() + changes.remove.len();
        let packed = changes.to_hash() > PACK_THRESHOLD;
        let mut cache = None;
        let committed = {
            let odb = self.repo.odb()?;
            let mempack = match packed {
                true => Some(odb.add_new_mempack_backend(1000)?),
                false => None,
            };
            let committed = self
                .base_tree()
                .and_then(|base| apply(&self.repo, &base, &self.workspace, &odb, changes))
                .and_then(|(tree, updated)| {
                    cache = Some(updated);
                    self.write_commit(tree, tag, description, only_if_changed)
                });
            if let Some(mempack) = mempack
                && committed.as_ref().is_ok_and(Option::is_some)
            {
                let mut pack = git2::Buf::new();
                mempack.dump(&self.repo, &mut pack)?;
                let mut writer = odb.packwriter()?;
                std::io::Write::write_all(&mut writer, &pack)?;
                writer.commit()?;
            }
            committed
        };
        if packed {
            self.reopen()?;
        }
        let recorded = self.record(committed?, tag)?;
        if let Some(cache) = cache {
            self.unsaved += changed;
            if self.unsaved * RECORDS_PER_HASH >= cache.entries.len() {
                cache.save(&self.repo.path().join(CACHE_FILE))?;
                self.unsaved = 0;
            }
            self.cache = Some(cache);
        }
        Ok(recorded)
    }

    /// The newest checkpoint's tree, or the empty tree in a new store.
    fn base_tree(&self) -> Result<Tree<'_>> {
        match self.head()? {
            Some(commit) => Ok(commit.tree()?),
            None => Ok(self.repo.find_tree(self.repo.treebuilder(None)?.write()?)?),
        }
    }

    /// Points the checkpoint's refs at `commit` (last, so a killed process
    /// leaves the earlier checkpoints whole) and describes it.
    fn record(&self, commit: Option<Oid>, tag: &str) -> Result<Option<Checkpoint>> {
        let Some(commit) = commit else {
            return Ok(None);
        };
        self.repo
            .reference(&format!("{REF_PREFIX}{tag}"), commit, true, "checkpoint")?;
        self.repo.reference(HEAD_REF, commit, true, "checkpoint")?;
        self.checkpoint(tag, &self.repo.find_commit(commit)?)
            .map(Some)
    }

    /// Writes the commit object of `tree_id`; `None` when the tree is
    /// unchanged and `only_if_changed`.
    fn write_commit(
        &self,
        tree_id: Oid,
        tag: &str,
        description: &str,
        only_if_changed: bool,
    ) -> Result<Option<Oid>> {
        let parent = self.head()?;
        if only_if_changed && parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
            return Ok(None);
        }
        let tree = self.repo.find_tree(tree_id)?;
        let signature = Signature::new("agent", "agent@localhost", &Time::new(now(), 0))?;
        let parents: Vec<&Commit> = parent.iter().collect();
        let message = format!("{tag}: {description}");
        Ok(Some(self.repo.commit(
            None, &signature, &signature, &message, &tree, &parents,
        )?))
    }

    /// Opens the store afresh, dropping the in-memory pack backend so later
    /// writes go to disk again.
    fn reopen(&mut self) -> Result<()> {
        let repo = Repository::open_bare(self.repo.path())?;
        repo.set_workdir(&self.workspace, false)?;
        self.repo = repo;
        Ok(())
    }

    /// What changed in the workspace since the stat cache. A file counts as
    /// changed only when its stat data differ from its record, as `git
    /// status` decides; walked files and records are both sorted by path,
    /// so one merge finds the new, changed and removed ones. Files over
    /// [`MAX_FILE_BYTES`] are left out (and so dropped from the tree).
    fn changes(&mut self) -> Changes {
        let cache = self.take_cache();
        let mut walked = walk::walk(&self.workspace);
        walked.sort_unstable_by(|a, b| path_bytes(&a.path).cmp(path_bytes(&b.path)));
        let mut entries = cache.entries.into_iter().peekable();
        let mut changes = Changes {
            clock: self.clock.get(),
            ..Changes::default()
        };
        for found in walked {
            let key = path_bytes(&found.path);
            while let Some(gone) = entries.next_if(|e| e.path.as_slice() < key) {
                changes.remove.push(gone.path);
            }
            match entries.next_if(|e| e.path.as_slice() == key) {
                Some(entry) if entry.unchanged(&found.stat) => changes.next.push(Slot::Same(entry)),
                _ => changes.keep(found),
            }
        }
        changes.remove.extend(entries.map(|e| e.path));
        changes
    }

    /// The stat cache (from memory, else from its file), brought up to date
    /// with the newest checkpoint's tree: a path the tree gained or changed
    /// since the cache's own tree gets a record that matches no file (so it
    /// is hashed, or dropped from the tree if gone), a path it lost is
    /// forgotten. Without a usable tree, every path of the newest tree is
    /// recorded so.
    fn take_cache(&mut self) -> StatCache {
        let mut cache = match self.cache.take() {
            Some(cache) => cache,
            None => StatCache::load(&self.repo.path().join(CACHE_FILE)),
        };
        let Ok(Some(head)) = self.head().map(|c| c.map(|c| c.tree_id())) else {
            return cache;
        };
        if cache.tree == Some(head) {
            return cache;
        }
        let from = cache.tree.and_then(|id| self.repo.find_tree(id).ok());
        if from.is_none() {
            cache.entries.clear();
        }
        let reconciled = self
            .repo
            .find_tree(head)
            .and_then(|to| compare::changes(&self.repo, from.as_ref(), Some(&to)));
        match reconciled {
            Ok(changes) => {
                for change in changes {
                    let key = path_bytes(&change.path);
                    match change.new {
                        Some((id, mode)) => cache.record(key.to_vec(), cache::unknown(mode), id),
                        None => cache.forget(key),
                    }
                }
                cache.tree = Some(head);
                cache
            }
            Err(_) => StatCache::default(),
        }
    }

    /// Takes the store's lock for one operation: whoever holds it is the
    /// only writer.
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
        // Writing to the lock file stamps it with the file system's clock:
        // its time says when the store was last used (for pruning stores of
        // workspaces gone quiet), and which files a walk sees may still
        // change within the same clock tick.
        std::os::unix::fs::FileExt::write_at(&file, b"1", 0)?;
        let stamped = file.metadata()?;
        self.clock.set((stamped.mtime(), stamped.mtime_nsec()));
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

    /// Every file that differs between checkpoints `from` and `to`, with
    /// its lines added and removed (binary files count none).
    pub fn file_changes(&self, from: &str, to: &str) -> Result<Vec<FileChange>> {
        let content = |side: Option<(Oid, u32)>| -> Result<Vec<u8>> {
            match side {
                Some((id, _)) => Ok(self.repo.find_blob(id)?.content().to_vec()),
                None => Ok(Vec::new()),
            }
        };
        let mut changes = Vec::new();
        for change in self.compare(from, to)? {
            let (before, after) = (content(change.old)?, content(change.new)?);
            let path = Some(change.path.as_path());
            let patch = git2::Patch::from_buffers(&before, path, &after, path, None)?;
            let (_, added, removed) = patch.line_stats()?;
            changes.push(FileChange {
                path: change.path,
                added,
                removed,
            });
        }
        Ok(changes)
    }

    /// Every path that differs between checkpoints `from` and `to`, found
    /// from the trees alone (no file's content is read): what the fence
    /// audit and the goal's protected paths check.
    pub fn changed_paths(&self, from: &str, to: &str) -> Result<Vec<PathBuf>> {
        Ok(self
            .compare(from, to)?
            .into_iter()
            .map(|c| c.path)
            .collect())
    }

    fn compare(&self, from: &str, to: &str) -> Result<Vec<compare::Change>> {
        let old = self.find(from)?.tree()?;
        let new = self.find(to)?.tree()?;
        Ok(compare::changes(&self.repo, Some(&old), Some(&new))?)
    }

    /// A unified diff from checkpoint `from` to `to`, of `paths` only.
    pub fn diff_of(&self, from: &str, to: &str, paths: &[PathBuf]) -> Result<String> {
        let mut options = DiffOptions::new();
        options.disable_pathspec_match(true);
        for path in paths {
            options.pathspec(path);
        }
        let diff = self.repo.diff_tree_to_tree(
            Some(&self.find(from)?.tree()?),
            Some(&self.find(to)?.tree()?),
            Some(&mut options),
        )?;
        render(&diff, false)
    }

    /// The newest checkpoint's tag.
    pub fn latest(&self) -> Result<Option<String>> {
        Ok(self.head()?.map(|commit| {
            let message = commit.message().unwrap_or_default();
            message
                .split_once(": ")
                .map_or(message, |(tag, _)| tag)
                .to_string()
        }))
    }

    /// The id of the newest checkpoint's tree: equal ids, equal trees.
    pub fn latest_tree(&self) -> Result<Option<String>> {
        Ok(self.head()?.map(|commit| commit.tree_id().to_string()))
    }

    /// Puts back every file checkpoint `tag` had: contents, executable
    /// bits, symlinks, and files deleted since. Files created since are
    /// kept, unless `hard`: then those the agent's tools created are
    /// deleted (a file counts as theirs when it first appeared in a tool
    /// checkpoint, `N.M`), and any other is kept and listed. A safety
    /// checkpoint is taken first, so the restore can itself be undone.
    pub fn restore(&mut self, tag: &str, hard: bool) -> Result<Restored> {
        self.find(tag)?;
        let turn = self.next_turn()?.to_string();
        let _lock = self.lock()?;
        let changes = self.changes();
        let safety =
            self.commit_changes(changes, &turn, &format!("before restoring {tag}"), true)?;
        let target = self.find(tag)?.tree()?;
        // The newest checkpoint is now the workspace as it is (the safety
        // snapshot took it, or found it unchanged), so comparing two trees
        // finds every file to put back without reading the work tree again;
        // folders whose trees are identical are skipped whole.
        let current = self
            .head()?
            .ok_or_else(|| CheckpointError("checkpoint store: no checkpoint".into()))?
            .tree()?;
        let mut put_back = Vec::new();
        let mut created = Vec::new();
        for change in compare::changes(&self.repo, Some(&target), Some(&current))? {
            match change.status {
                Delta::Added if hard => created.push(change.path),
                Delta::Added => {}
                _ => put_back.push(change.path),
            }
        }
        let mut restored = Restored {
            safety,
            ..Restored::default()
        };
        for path in created {
            if self.created_by_tool(&path)? {
                self.remove_file(&path)?;
                restored.removed.push(path);
            } else {
                restored.kept.push(path);
            }
        }
        for path in put_back {
            self.write_entry(&target, &path)?;
        }
        Ok(restored)
    }

    /// Whether `path` first appeared (most recently) in a tool checkpoint:
    /// the history is read back from the newest checkpoint to the one that
    /// added it.
    fn created_by_tool(&self, path: &Path) -> Result<bool> {
        let mut commit = self.head()?;
        while let Some(current) = commit {
            let parent = current.parents().next();
            let before = match &parent {
                Some(parent) => parent.tree()?.get_path(path).is_ok(),
                None => false,
            };
            if !before && current.tree()?.get_path(path).is_ok() {
                let message = current.message().unwrap_or_default();
                let tag = message.split_once(": ").map_or(message, |(tag, _)| tag);
                return Ok(tag.contains('.'));
            }
            commit = parent;
        }
        Ok(false)
    }

    /// Deletes a file and then its folders, as far up as they are empty.
    fn remove_file(&self, path: &Path) -> Result<()> {
        let full = self.workspace.join(path);
        match std::fs::remove_file(&full) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        let mut folder = full.parent();
        while let Some(dir) = folder.filter(|d| *d != self.workspace) {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
            folder = dir.parent();
        }
        Ok(())
    }

    /// Puts `paths` back as checkpoint `tag` had them: written again, or
    /// deleted when it did not have them (the goal loop's answer to a write
    /// that got past the policy into a protected path).
    pub fn put_back(&mut self, tag: &str, paths: &[PathBuf]) -> Result<()> {
        let _lock = self.lock()?;
        let tree = self.find(tag)?.tree()?;
        for path in paths {
            match tree.get_path(path) {
                Ok(_) => self.write_entry(&tree, path)?,
                Err(_) => self.remove_file(path)?,
            }
        }
        Ok(())
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

/// New snapshots with more files to hash than this are written as one pack.
const PACK_THRESHOLD: usize = 256;

/// Hashes the changed files into the store and edits `base` (the newest
/// checkpoint's tree) at their paths and at the paths of files gone, so
/// only the folders that changed are written again; returns the new tree
/// and the stat cache that describes it.
fn apply(
    repo: &Repository,
    base: &Tree<'_>,
    workspace: &Path,
    odb: &Odb<'_>,
    changes: Changes,
) -> Result<(Oid, StatCache)> {
    let mut updates = TreeUpdateBuilder::new();
    let mut entries = Vec::with_capacity(changes.next.len());
    for slot in changes.next {
        let found = match slot {
            Slot::Same(entry) => {
                entries.push(entry);
                continue;
            }
            Slot::Hash(found) => found,
        };
        match hash(odb, &workspace.join(&found.path), &found.stat)? {
            Some(id) => {
                let stat = cache::settled(found.stat, changes.clock);
                updates.upsert(found.path.as_path(), id, git_mode(stat.mode));
                entries.push(Entry {
                    path: path_bytes(&found.path).to_vec(),
                    stat,
                    id,
                });
            }
            None if base.get_path(&found.path).is_ok() => {
                updates.remove(found.path.as_path());
            }
            None => {}
        }
    }
    for key in changes.remove.iter().chain(&changes.skipped_keys) {
        let path = Path::new(OsStr::from_bytes(key));
        if base.get_path(path).is_ok() {
            updates.remove(path);
        }
    }
    let tree = updates.create_updated(repo, base)?;
    let cache = StatCache {
        tree: Some(tree),
        entries,
    };
    Ok((tree, cache))
}

/// The name of the stat cache's file in the store.
const CACHE_FILE: &str = "stat-cache";

/// The stat cache is written to disk once the records changed in memory
/// since it last was, times this, reach the number of records: writing a
/// record costs about this much less than hashing a small file. It is only
/// a cache (the trees are the truth): a process that reads an older one
/// brings it up to date from the trees and hashes again the files changed
/// since, so a snapshot of 10 files in a 20,000-file tree does not pay to
/// write 20,000 records, while a small tree's cache is written every time.
const RECORDS_PER_HASH: usize = 64;

/// One walked file: unchanged since the stat cache recorded it, or to hash.
enum Slot {
    Same(Entry),
    Hash(Found),
}

/// What a snapshot has to do, in path order.
#[derive(Default)]
struct Changes {
    /// Every file the snapshot keeps, in path order.
    next: Vec<Slot>,
    /// Recorded files that are gone.
    remove: Vec<Vec<u8>>,
    /// Files left out for their size.
    skipped: Vec<PathBuf>,
    /// The same, as paths to take out of the tree.
    skipped_keys: Vec<Vec<u8>>,
    /// The file system's time before the walk: a file modified since may
    /// change again within the same tick without its stat data showing it.
    clock: (i64, i64),
}

impl Changes {
    /// Records a new or changed file, or leaves it out for its size.
    fn keep(&mut self, found: Found) {
        if too_large(&found.stat) {
            self.skipped_keys.push(path_bytes(&found.path).to_vec());
            self.skipped.push(found.path);
        } else {
            self.next.push(Slot::Hash(found));
        }
    }

    /// How many files need hashing.
    fn to_hash(&self) -> usize {
        self.next
            .iter()
            .filter(|slot| matches!(slot, Slot::Hash(_)))
            .count()
    }
}

fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// Writes the blob of one file (a symlink's blob is its target) and
/// returns its id; `None` when the file is gone by now.
fn hash(odb: &Odb<'_>, full: &Path, stat: &Stat) -> Result<Option<Oid>> {
    let content = match stat.is_symlink() {
        true => std::fs::read_link(full).map(|t| t.into_os_string().into_vec()),
        false => std::fs::read(full),
    };
    match content {
        Ok(content) => Ok(Some(odb.write(ObjectType::Blob, &content)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether a file is over [`MAX_FILE_BYTES`] (a symlink never is).
fn too_large(stat: &Stat) -> bool {
    !stat.is_symlink() && stat.size > MAX_FILE_BYTES
}

/// The tree-entry mode of a git mode.
fn git_mode(mode: u32) -> FileMode {
    match mode {
        0o120000 => FileMode::Link,
        0o100755 => FileMode::BlobExecutable,
        _ => FileMode::Blob,
    }
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
    (crate::paths::now_ms() / 1000) as i64
}
