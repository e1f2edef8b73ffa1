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

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{
    Commit, Delta, Diff, DiffFormat, DiffOptions, DiffStatsFormat, FileMode, Index, IndexEntry,
    IndexTime, ObjectType, Odb, Oid, Repository, Signature, Time, Tree,
};

use super::walk::{self, Found};

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
    /// The store's index, read at the first walk and then kept in memory
    /// (read again only when another process wrote it). It is opened on
    /// its own, not as the repository's, so libgit2 never compares it with
    /// the work tree behind our back (its racy-entry check on write walks
    /// the workspace): the stat walk here does that job.
    index: Option<OwnIndex>,
    workspace: PathBuf,
    /// Files left out of the last snapshot for their size.
    pub skipped: Vec<PathBuf>,
    /// The file system's time when the store's lock was last taken.
    clock: std::cell::Cell<(i64, i64)>,
    /// Index entries changed in memory since the index was last written.
    unsaved: usize,
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
            clock: std::cell::Cell::new((0, 0)),
            unsaved: 0,
            repo,
            index: None,
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
        self.commit_changes(changes, tag, description, only_if_changed, true)
    }

    /// Snapshots after a change to known files only (the write tool says
    /// which): the newest checkpoint's tree is edited at those paths, with
    /// no walk of the workspace and no use of the index (whose entries for
    /// them are then stale, so the next walk hashes them again). `None` when
    /// the tree did not change.
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
        let odb = self.repo.odb()?;
        let mut updates = TreeUpdateBuilder::new();
        let mut skipped = Vec::new();
        for path in paths {
            let relative = path.strip_prefix(&self.workspace).unwrap_or(path);
            let full = self.workspace.join(relative);
            let found = std::fs::symlink_metadata(&full)
                .ok()
                .filter(|meta| meta.is_file() || meta.is_symlink())
                .filter(|_| !walk::is_ignored(&self.workspace, relative));
            let blob = match found {
                Some(meta) if meta.is_file() && meta.len() > MAX_FILE_BYTES => {
                    skipped.push(relative.to_path_buf());
                    None
                }
                Some(meta) => hash(&odb, &full, &meta)?.map(|id| (id, file_mode(&meta))),
                None => None,
            };
            match blob {
                Some((id, mode)) => {
                    updates.upsert(relative, id, git_mode(mode));
                }
                None if base.get_path(relative).is_ok() => {
                    updates.remove(relative);
                }
                None => {}
            }
        }
        let tree = updates.create_updated(&self.repo, &base)?;
        drop((base, odb));
        self.skipped = skipped;
        let commit = self.write_commit(tree, tag, description, true)?;
        self.record(commit, tag)
    }

    /// Writes the changes and the commit (into one pack when there are many
    /// new objects: one file instead of one per object), points the
    /// checkpoint's refs at it last, and describes it. `None` when the tree
    /// is unchanged and `only_if_changed` is set. With `save_index` the
    /// index goes to disk once [`UNSAVED_LIMIT`] entries changed since it
    /// last did; a restore, whose files change right after, never saves it.
    fn commit_changes(
        &mut self,
        changes: Changes,
        tag: &str,
        description: &str,
        only_if_changed: bool,
        save_index: bool,
    ) -> Result<Option<Checkpoint>> {
        self.skipped = changes.skipped.clone();
        let packed = changes.add.len() > PACK_THRESHOLD;
        let changed = changes.add.len() + changes.remove.len();
        let committed = {
            let odb = self.repo.odb()?;
            let mempack = match packed {
                true => Some(odb.add_new_mempack_backend(1000)?),
                false => None,
            };
            let index = match &mut self.index {
                Some(index) => &mut index.0,
                None => return Err(CheckpointError("checkpoint store: no index".into())),
            };
            let committed = apply(&self.repo, index, &self.workspace, &odb, changes)
                .and_then(|tree| self.write_commit(tree, tag, description, only_if_changed));
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
        let committed = committed?;
        self.unsaved += changed;
        if save_index
            && self.unsaved > UNSAVED_LIMIT
            && let Some(index) = &mut self.index
        {
            index.0.write()?;
            self.unsaved = 0;
        }
        self.record(committed, tag)
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

    /// What changed in the workspace since the store's index. A file counts
    /// as changed only when its stat data differ from its index entry, as
    /// `git status` decides; walked files and index entries are both sorted
    /// by path, so one merge finds the new, changed and removed ones. Files
    /// over [`MAX_FILE_BYTES`] are left out (and so dropped from the index).
    fn changes(&mut self) -> Result<Changes> {
        match &mut self.index {
            Some(index) => index.0.read(false)?,
            None => {
                self.index = Some(OwnIndex(Index::open(&self.repo.path().join("index"))?));
            }
        }
        let Some(OwnIndex(index)) = &self.index else {
            return Err(CheckpointError("checkpoint store: no index".into()));
        };
        let mut walked = walk::walk(&self.workspace);
        walked.sort_unstable_by(|a, b| path_bytes(&a.path).cmp(path_bytes(&b.path)));
        let mut entries = index.iter().peekable();
        let mut changes = Changes {
            clock: self.clock.get(),
            ..Changes::default()
        };
        for found in walked {
            let key = path_bytes(&found.path);
            while let Some(gone) = entries.next_if(|e| e.path.as_slice() < key) {
                changes.remove.push(gone.path);
            }
            let known = entries.next_if(|e| e.path.as_slice() == key);
            if !known.is_some_and(|e| same_stat(&e, &found.meta)) {
                changes.keep(found);
            }
        }
        changes.remove.extend(entries.map(|e| e.path));
        Ok(changes)
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
        // Writing to the lock file stamps it with the file system's clock:
        // its time says when the store was last used (for pruning stores of
        // workspaces gone quiet), and which files a walk sees may still
        // change within the same clock tick.
        std::os::unix::fs::FileExt::write_at(&file, b"1", 0)?;
        let stamped = file.metadata()?;
        self.clock.set((stamped.mtime(), stamped.mtime_nsec()));
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

    /// Every file that differs between checkpoints `from` and `to`, with
    /// its lines added and removed (binary files count none).
    pub fn file_changes(&self, from: &str, to: &str) -> Result<Vec<FileChange>> {
        let old = self.find(from)?.tree()?;
        let new = self.find(to)?.tree()?;
        let diff = self.repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        let mut changes = Vec::new();
        for index in 0..diff.deltas().len() {
            let Some(delta) = diff.get_delta(index) else {
                continue;
            };
            let path = delta
                .new_file()
                .path()
                .or(delta.old_file().path())
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let (added, removed) = match git2::Patch::from_diff(&diff, index)? {
                Some(patch) => {
                    let (_, added, removed) = patch.line_stats()?;
                    (added, removed)
                }
                None => (0, 0),
            };
            changes.push(FileChange {
                path,
                added,
                removed,
            });
        }
        Ok(changes)
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
        let changes = self.changes()?;
        // The index stays in memory: the files restored next change it anyway.
        let safety = self.commit_changes(
            changes,
            &turn,
            &format!("before restoring {tag}"),
            true,
            false,
        )?;
        let target = self.find(tag)?.tree()?;
        // The newest checkpoint is now the workspace as it is (the safety
        // snapshot took it, or found it unchanged), so comparing two trees
        // finds every file to put back without reading the work tree again;
        // folders whose trees are identical are skipped whole.
        let current = self
            .head()?
            .ok_or_else(|| CheckpointError("checkpoint store: no checkpoint".into()))?
            .tree()?;
        let mut options = DiffOptions::new();
        options.include_typechange(true);
        let diff =
            self.repo
                .diff_tree_to_tree(Some(&target), Some(&current), Some(&mut options))?;
        let mut put_back = Vec::new();
        let mut created = Vec::new();
        for delta in diff.deltas() {
            match (
                delta.status(),
                delta.old_file().path(),
                delta.new_file().path(),
            ) {
                (Delta::Modified | Delta::Deleted | Delta::Typechange, Some(path), _) => {
                    put_back.push(path.to_path_buf())
                }
                (Delta::Added, _, Some(path)) if hard => created.push(path.to_path_buf()),
                _ => {}
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

/// The index is written to disk once more entries than this changed in
/// memory since it last was. It is only a cache of stat data (the trees are
/// the truth), so a process that reads an older one hashes again the few
/// files whose stat data it does not know, instead of every snapshot paying
/// to write 20,000 entries (12 ms, with libgit2's collision-detecting
/// SHA-1).
const UNSAVED_LIMIT: usize = 256;

/// New snapshots with more files to hash than this are written as one pack.
const PACK_THRESHOLD: usize = 256;

/// Applies `changes` to the index (hashing the changed files into the
/// store) and returns the tree it describes. libgit2 keeps the trees'
/// ids in the index (git's cache-tree), so only the folders that
/// changed are written again.
fn apply(
    repo: &Repository,
    index: &mut Index,
    workspace: &Path,
    odb: &Odb<'_>,
    changes: Changes,
) -> Result<Oid> {
    for found in changes.add {
        match hash(odb, &workspace.join(&found.path), &found.meta)? {
            Some(id) => index.add(&index_entry(&found, id, changes.clock))?,
            None => index.remove_path(&found.path)?,
        }
    }
    for key in &changes.remove {
        index.remove_path(Path::new(OsStr::from_bytes(key)))?;
    }
    Ok(index.write_tree_to(repo)?)
}

/// The store's own index. libgit2 objects may move between threads as
/// long as one thread at a time uses them; git2 leaves `Index` without
/// `Send` because a repository's index is shared with the repository.
struct OwnIndex(Index);

// SAFETY: this index is opened with `Index::open`, so no repository shares
// it, and the store reaches it only through `&mut self` or `&self` of the
// one `CheckpointStore` that owns it, which the session keeps behind a
// mutex: one thread at a time.
unsafe impl Send for OwnIndex {}

/// What a snapshot has to do to the index.
#[derive(Default)]
struct Changes {
    /// New or changed files, to hash.
    add: Vec<Found>,
    /// Index entries whose files are gone.
    remove: Vec<Vec<u8>>,
    /// Files left out for their size.
    skipped: Vec<PathBuf>,
    /// The file system's time before the walk: a file modified since may
    /// change again within the same tick without its stat data showing it.
    clock: (i64, i64),
}

impl Changes {
    /// Records a new or changed file, or leaves it out for its size.
    fn keep(&mut self, found: Found) {
        if found.meta.is_file() && found.meta.len() > MAX_FILE_BYTES {
            self.skipped.push(found.path);
        } else {
            self.add.push(found);
        }
    }
}

fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// Writes the blob of one file (a symlink's blob is its target) and
/// returns its id; `None` when the file is gone by now.
fn hash(odb: &Odb<'_>, full: &Path, meta: &std::fs::Metadata) -> Result<Option<Oid>> {
    let content = match meta.is_symlink() {
        true => std::fs::read_link(full).map(|t| t.into_os_string().into_vec()),
        false => std::fs::read(full),
    };
    match content {
        Ok(content) => Ok(Some(odb.write(ObjectType::Blob, &content)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The index entry of a file with blob `id`, carrying the stat data the
/// next walk compares with. A file modified at or after `clock` (the file
/// system's time before the walk) could change again within the same tick
/// with identical stat data, so its entry is "smudged", as git does: a zero
/// modification time, which no file matches, so the next walk hashes it
/// again.
fn index_entry(found: &Found, id: Oid, clock: (i64, i64)) -> IndexEntry {
    let meta = &found.meta;
    let path = path_bytes(&found.path).to_vec();
    let mtime = match (meta.mtime(), meta.mtime_nsec()) >= clock {
        true => IndexTime::new(0, 0),
        false => IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
    };
    IndexEntry {
        ctime: IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
        mtime,
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: file_mode(meta),
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.len() as u32,
        id,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path,
    }
}

/// The tree-entry mode of an index mode.
fn git_mode(mode: u32) -> FileMode {
    match mode {
        0o120000 => FileMode::Link,
        0o100755 => FileMode::BlobExecutable,
        _ => FileMode::Blob,
    }
}

/// Git's mode for a file: symlink, executable or plain.
fn file_mode(meta: &std::fs::Metadata) -> u32 {
    if meta.file_type().is_symlink() {
        0o120000
    } else if meta.mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    }
}

/// Whether a file is unchanged since its index entry, judged by stat data
/// alone (a smudged entry never is; see [`index_entry`]).
fn same_stat(entry: &IndexEntry, meta: &std::fs::Metadata) -> bool {
    entry.mtime.seconds() as i64 == meta.mtime()
        && entry.mtime.nanoseconds() as i64 == meta.mtime_nsec()
        && entry.file_size == meta.len() as u32
        && entry.ino == meta.ino() as u32
        && entry.mode == file_mode(meta)
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
