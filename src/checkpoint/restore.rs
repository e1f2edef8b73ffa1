//! Putting files back: a whole checkpoint (`restore`, after a safety
//! checkpoint that undoes it), or some paths as a checkpoint had them
//! (the fence audit and the goal's protected paths).

use std::path::{Path, PathBuf};

use git2::{Delta, Tree};

use super::compare;
use super::store::{CheckpointError, CheckpointStore, Restored, Result};

impl CheckpointStore {
    /// Puts back every file checkpoint `tag` had: contents, executable
    /// bits, symlinks, and files deleted since. Files created since are
    /// kept, unless `hard`: then those the agent's tools created are
    /// deleted (a file counts as theirs when it first appeared in a tool
    /// checkpoint, `N.M`), and any other is kept and listed. A safety
    /// checkpoint is taken first, so the restore can itself be undone.
    /// It refuses to touch a file another running session's tools created
    /// or changed since the checkpoint (see [`Self::restore_forced`]).
    pub fn restore(&mut self, tag: &str, hard: bool) -> Result<Restored> {
        self.restore_forced(tag, hard, false)
    }

    /// [`Self::restore`]; with `force`, also files another running session
    /// created or changed since the checkpoint are put back or deleted.
    pub fn restore_forced(&mut self, tag: &str, hard: bool, force: bool) -> Result<Restored> {
        let since = self.find(tag)?.time().seconds();
        let turn = self.next_turn()?.to_string();
        // The safety checkpoint looks only at what the journal saw, when
        // there is one; the lock is taken again for the writes.
        let safety = self.snapshot(&turn, &format!("before restoring {tag}"), true)?;
        let _lock = self.lock()?;
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
        let mut removed = Vec::new();
        let mut kept = Vec::new();
        for path in created {
            match self.created_by_tool(&path)? {
                true => removed.push(path),
                false => kept.push(path),
            }
        }
        if !force {
            self.refuse_others_work(tag, since, put_back.iter().chain(&removed))?;
        }
        let not_stored = large_files(self.find(tag)?.message().unwrap_or_default());
        let restored = Restored {
            safety,
            removed,
            kept,
            not_stored,
        };
        for path in &restored.removed {
            self.remove_file(path)?;
        }
        for path in put_back {
            self.write_entry(&target, &path)?;
        }
        Ok(restored)
    }

    /// An error naming the files among `paths` that another running
    /// session's tools created or changed at or after `since` (seconds).
    fn refuse_others_work<'p>(
        &self,
        tag: &str,
        since: i64,
        paths: impl Iterator<Item = &'p PathBuf>,
    ) -> Result<()> {
        let touched = self.touched_by_others(since)?;
        let mut theirs: Vec<String> = Vec::new();
        for path in paths {
            for (_, session) in touched.iter().filter(|(p, _)| p == path) {
                theirs.push(format!("{} (session {session})", path.display()));
            }
        }
        if theirs.is_empty() {
            return Ok(());
        }
        Err(CheckpointError(format!(
            "refused: restoring checkpoint {tag} would undo the work of another running session on {}; \
             `--force` restores anyway",
            theirs.join(", ")
        )))
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
                let message = message.lines().next().unwrap_or_default();
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
}

/// The files a checkpoint's message names as recorded by size and time
/// only.
fn large_files(message: &str) -> Vec<PathBuf> {
    message
        .lines()
        .filter_map(|line| line.strip_prefix(super::snapshot::LARGE))
        .filter_map(|rest| rest.splitn(3, ' ').nth(2))
        .map(PathBuf::from)
        .collect()
}
