//! Taking a checkpoint: walk the workspace (or look only at the files a
//! tool named), hash what the stat cache says changed, edit the newest
//! tree at those paths, and write the commit and its refs last.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{Commit, FileMode, ObjectType, Odb, Oid, Repository, Signature, Time, Tree};

use super::cache::{self, Entry, StatCache};
use super::compare;
use super::store::{BASELINE, Checkpoint, CheckpointStore, OUTSIDE, Result, now};
use super::walk::{self, Found, Stat};

impl CheckpointStore {
    /// Snapshots the workspace as `tag`; `None` when nothing changed since
    /// the last checkpoint and `only_if_changed` is set.
    pub fn snapshot(
        &mut self,
        tag: &str,
        description: &str,
        only_if_changed: bool,
    ) -> Result<Option<Checkpoint>> {
        self.full_walk = None;
        if let Some(paths) = self.journal_paths()? {
            match self.edit(tag, description, &paths, only_if_changed) {
                Ok(taken) => return Ok(taken),
                Err(e) => self.full_walk = Some(format!("the journal's paths: {e}")),
            }
        }
        let _lock = self.lock()?;
        let changes = self.changes();
        self.commit_changes(changes, tag, description, only_if_changed)
    }

    /// The paths the change journal saw touched since the last snapshot,
    /// files under touched folders included, for [`Self::edit`]; `None`
    /// (and [`Self::full_walk`] says why) when the journal cannot vouch.
    fn journal_paths(&mut self) -> Result<Option<Vec<PathBuf>>> {
        let taken = match self.journal.as_mut() {
            Some(journal) => journal.take(),
            None => Err(self.journal_off.clone()),
        };
        let started = std::mem::take(&mut self.journal_new);
        let touched = match taken {
            Ok(_) if self.is_empty() => {
                self.full_walk = Some("the session's first checkpoint".into());
                return Ok(None);
            }
            Ok(_) if started => {
                self.full_walk = Some("the journal just started".into());
                return Ok(None);
            }
            Ok(touched) => touched,
            Err(why) => {
                self.full_walk = Some(why);
                return Ok(None);
            }
        };
        if touched.paths.contains(Path::new("")) {
            self.full_walk = Some("the workspace folder itself changed".into());
            return Ok(None);
        }
        let Some(base) = self.head()?.map(|c| c.tree()).transpose()? else {
            return Ok(None);
        };
        let mut paths = std::collections::BTreeSet::new();
        for path in touched.paths {
            let full = self.workspace.join(&path);
            if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir()) {
                let walked = walk::walk_folder(&self.workspace, &path);
                paths.extend(walked.files.into_iter().map(|f| f.path));
            }
            if let Ok(tree) = base
                .get_path(&path)
                .and_then(|entry| entry.to_object(&self.repo))
                .and_then(|object| object.peel_to_tree())
            {
                tree.walk(git2::TreeWalkMode::PreOrder, |folder, entry| {
                    if entry.kind() != Some(ObjectType::Tree) {
                        let name = OsStr::from_bytes(entry.name_bytes());
                        paths.insert(path.join(folder).join(name));
                    }
                    git2::TreeWalkResult::Ok
                })?;
            }
            paths.insert(path);
        }
        Ok(Some(paths.into_iter().collect()))
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
        self.full_walk = None;
        self.edit(tag, description, paths, true)
    }

    /// Edits the newest checkpoint's tree at `paths` (see
    /// [`Self::snapshot_paths`]); `None` when the tree did not change and
    /// `only_if_changed`.
    fn edit(
        &mut self,
        tag: &str,
        description: &str,
        paths: &[PathBuf],
        only_if_changed: bool,
    ) -> Result<Option<Checkpoint>> {
        let Some(base) = self.head()?.map(|c| c.tree()).transpose()? else {
            return self.snapshot(tag, description, false);
        };
        let max_bytes = self.max_file_bytes;
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
                Some(stat) if too_large(&stat, max_bytes) => {
                    skipped.push((relative.to_path_buf(), stat));
                    None
                }
                Some(stat) => hash(&odb, &full, &stat)?.map(|id| (id, stat)),
                None => None,
            };
            match blob {
                Some((id, stat)) => {
                    updates.upsert(relative, id, git_mode(stat.mode));
                }
                None if base
                    .get_path(relative)
                    .is_ok_and(|e| e.kind() != Some(ObjectType::Tree)) =>
                {
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
        let message = with_large_files(description, &skipped);
        self.skipped = skipped.into_iter().map(|(path, _)| path).collect();
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
        let commit = self.write_commit(tree, tag, &message, only_if_changed)?;
        self.record(commit, tag)
    }

    /// Writes the changes and the commit (into one pack when there are many
    /// new objects: one file instead of one per object), points the
    /// checkpoint's refs at it last, keeps the stat cache (saved as
    /// [`RECORDS_PER_HASH`] says), and describes the checkpoint. `None` when the tree is unchanged and `only_if_changed`.
    pub(super) fn commit_changes(
        &mut self,
        changes: Changes,
        tag: &str,
        description: &str,
        only_if_changed: bool,
    ) -> Result<Option<Checkpoint>> {
        let message = with_large_files(description, &changes.skipped);
        self.skipped = changes.skipped.iter().map(|(p, _)| p.clone()).collect();
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
                    self.write_commit(tree, tag, &message, only_if_changed)
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
                std::fs::create_dir_all(self.session_folder())?;
                cache.save(&self.session_folder().join(CACHE_FILE))?;
                self.unsaved = 0;
            }
            self.cache = Some(cache);
        }
        Ok(recorded)
    }

    /// The tree a snapshot edits: this session's newest, else (its first
    /// snapshot) the newest of the session used last, whose stat cache it
    /// starts from, so a new session does not hash every file again; the
    /// empty tree in a new store.
    pub(super) fn base_tree(&self) -> Result<Tree<'_>> {
        match self.base()? {
            Some((_, commit)) => Ok(commit.tree()?),
            None => Ok(self.repo.find_tree(self.repo.treebuilder(None)?.write()?)?),
        }
    }

    /// See [`Self::base_tree`]: the session whose tree it is, and its
    /// newest commit.
    fn base(&self) -> Result<Option<(String, Commit<'_>)>> {
        if let Some(head) = self.head()? {
            return Ok(Some((self.session.clone(), head)));
        }
        let newest = self
            .sessions()?
            .into_iter()
            .filter(|s| s.id != self.session)
            .max_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        let Some(newest) = newest else {
            return Ok(None);
        };
        let head = self
            .repo
            .find_reference(&super::sessions::head_ref(&newest.id))?
            .peel_to_commit()?;
        Ok(Some((newest.id, head)))
    }

    /// Points the checkpoint's refs at `commit` (last, so a killed process
    /// leaves the earlier checkpoints whole), notes which paths this
    /// session's tools changed, and describes it.
    pub(super) fn record(&self, commit: Option<Oid>, tag: &str) -> Result<Option<Checkpoint>> {
        let Some(commit) = commit else {
            return Ok(None);
        };
        self.repo
            .reference(&self.tag_ref(tag), commit, true, "checkpoint")?;
        self.repo
            .reference(&self.head_ref(), commit, true, "checkpoint")?;
        let commit = self.repo.find_commit(commit)?;
        if self.presence.is_some() && is_own_work(commit.message().unwrap_or_default()) {
            self.record_touched(&self.own_changes(&commit)?)?;
        }
        self.checkpoint(tag, &commit, false).map(Some)
    }

    /// The paths `commit` changed from its parent, but for those changed
    /// to what another running session's newest checkpoint holds (that
    /// session's doing, seen by this one's walk).
    fn own_changes(&self, commit: &Commit<'_>) -> Result<Vec<PathBuf>> {
        let Some(parent) = commit.parents().next() else {
            return Ok(Vec::new());
        };
        let changes = compare::changes(&self.repo, Some(&parent.tree()?), Some(&commit.tree()?))?;
        let others = self.other_heads();
        Ok(changes
            .into_iter()
            .filter(|change| {
                !others.iter().any(|tree| {
                    let theirs = tree.get_path(&change.path).ok();
                    match (theirs, change.new) {
                        (Some(entry), Some((id, _))) => entry.id() == id,
                        (None, None) => true,
                        _ => false,
                    }
                })
            })
            .map(|change| change.path)
            .collect())
    }

    /// Writes the commit object of `tree_id`; `None` when the tree is
    /// unchanged and `only_if_changed`.
    pub(super) fn write_commit(
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

    /// What changed in the workspace since the stat cache. A file counts as
    /// changed only when its stat data differ from its record, as `git
    /// status` decides; walked files and records are both sorted by path,
    /// so one merge finds the new, changed and removed ones. Files over
    /// `max_file_bytes` are left out (and so dropped from the tree).
    pub(super) fn changes(&mut self) -> Changes {
        let cache = self.take_cache();
        let mut walked = walk::walk(&self.workspace);
        walked.sort_unstable_by(|a, b| path_bytes(&a.path).cmp(path_bytes(&b.path)));
        let mut entries = cache.entries.into_iter().peekable();
        let mut changes = Changes {
            clock: self.clock.get(),
            max_bytes: self.max_file_bytes,
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
    pub(super) fn take_cache(&mut self) -> StatCache {
        let base = self
            .base()
            .ok()
            .flatten()
            .map(|(id, commit)| (id, commit.tree_id()));
        let mut cache = match self.cache.take() {
            Some(cache) => cache,
            None => {
                let session = base.as_ref().map_or(&self.session, |(id, _)| id);
                let folder = super::sessions::session_folder(self.repo.path(), session);
                StatCache::load(&folder.join(CACHE_FILE))
            }
        };
        let Some(head) = base.map(|(_, tree)| tree) else {
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
}

/// New snapshots with more files to hash than this are written as one pack.
const PACK_THRESHOLD: usize = 256;

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
pub(super) struct Changes {
    /// Every file the snapshot keeps, in path order.
    next: Vec<Slot>,
    /// Recorded files that are gone.
    remove: Vec<Vec<u8>>,
    /// Files left out for their size, with their stat data.
    skipped: Vec<(PathBuf, Stat)>,
    /// The same, as paths to take out of the tree.
    skipped_keys: Vec<Vec<u8>>,
    /// The file system's time before the walk: a file modified since may
    /// change again within the same tick without its stat data showing it.
    clock: (i64, i64),
    /// Files larger than this are left out.
    max_bytes: u64,
}

impl Changes {
    /// Records a new or changed file, or leaves it out for its size.
    fn keep(&mut self, found: Found) {
        if too_large(&found.stat, self.max_bytes) {
            self.skipped_keys.push(path_bytes(&found.path).to_vec());
            self.skipped.push((found.path, found.stat));
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

/// A path as the bytes the stat cache and trees key it by.
pub(super) fn path_bytes(path: &Path) -> &[u8] {
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

/// Whether a file is over `max` bytes (a symlink never is).
fn too_large(stat: &Stat, max: u64) -> bool {
    !stat.is_symlink() && stat.size > max
}

/// The commit message: the description, then a `large:` line (size,
/// modification time, path) for each file recorded by size and time only.
fn with_large_files(description: &str, skipped: &[(PathBuf, Stat)]) -> String {
    let mut message = description.to_string();
    if !skipped.is_empty() {
        message.push('\n');
    }
    for (path, stat) in skipped {
        message.push_str(&format!(
            "\n{LARGE}{} {} {}",
            stat.size,
            stat.mtime,
            path.display()
        ));
    }
    message
}

/// The start of a commit message's line naming a file recorded by size and
/// time only.
pub(super) const LARGE: &str = "large: ";

/// Whether a checkpoint with `message` holds what this session's own tools
/// did (not its baseline, nor what changed between its turns, nor the
/// state before a restore).
fn is_own_work(message: &str) -> bool {
    let description = message.lines().next().unwrap_or_default();
    let description = description.split_once(": ").map_or(description, |(_, d)| d);
    ![BASELINE, OUTSIDE].contains(&description) && !description.starts_with("before restoring")
}

/// The tree-entry mode of a git mode.
fn git_mode(mode: u32) -> FileMode {
    match mode {
        0o120000 => FileMode::Link,
        0o100755 => FileMode::BlobExecutable,
        _ => FileMode::Blob,
    }
}
