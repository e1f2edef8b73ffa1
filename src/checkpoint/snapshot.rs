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
use super::store::{
    Checkpoint, CheckpointStore, HEAD_REF, MAX_FILE_BYTES, REF_PREFIX, Result, now,
};
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
    pub(super) fn commit_changes(
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
    pub(super) fn base_tree(&self) -> Result<Tree<'_>> {
        match self.head()? {
            Some(commit) => Ok(commit.tree()?),
            None => Ok(self.repo.find_tree(self.repo.treebuilder(None)?.write()?)?),
        }
    }

    /// Points the checkpoint's refs at `commit` (last, so a killed process
    /// leaves the earlier checkpoints whole) and describes it.
    pub(super) fn record(&self, commit: Option<Oid>, tag: &str) -> Result<Option<Checkpoint>> {
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
    /// [`MAX_FILE_BYTES`] are left out (and so dropped from the tree).
    pub(super) fn changes(&mut self) -> Changes {
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
    pub(super) fn take_cache(&mut self) -> StatCache {
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
