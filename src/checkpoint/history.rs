//! Reading checkpoints back: the list, diffs, the files and lines that
//! changed between two, and the newest one.

use std::path::{Path, PathBuf};

use git2::{Diff, DiffFormat, DiffOptions, DiffStatsFormat, Oid};

use super::compare;
use super::store::{Checkpoint, CheckpointStore, FileChange, Result, tag_order};

impl CheckpointStore {
    /// Every checkpoint of the session, oldest first; a turn's counts are
    /// what the whole turn changed, against the previous turn.
    pub fn list(&self) -> Result<Vec<Checkpoint>> {
        let mut tags = self.tags()?;
        tags.sort_by_key(|t| tag_order(t));
        tags.iter()
            .map(|tag| self.checkpoint(tag, &self.find(tag)?, true))
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

    /// The content of the file at `path` in checkpoint `tag` (a symlink's
    /// target); `None` when the checkpoint had no file there.
    pub fn content_at(&self, tag: &str, path: &Path) -> Result<Option<Vec<u8>>> {
        let tree = self.find(tag)?.tree()?;
        let Ok(entry) = tree.get_path(path) else {
            return Ok(None);
        };
        match entry.to_object(&self.repo)?.into_blob() {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(_) => Ok(None),
        }
    }

    /// Whether checkpoint `tag` has a file (or symlink) at `path`, found
    /// in its tree without reading the content.
    pub fn has_file_at(&self, tag: &str, path: &Path) -> Result<bool> {
        let tree = self.find(tag)?.tree()?;
        Ok(tree
            .get_path(path)
            .is_ok_and(|entry| entry.kind() == Some(git2::ObjectType::Blob)))
    }

    /// The newest checkpoint's tag.
    pub fn latest(&self) -> Result<Option<String>> {
        Ok(self.head()?.map(|commit| {
            let message = commit.message().unwrap_or_default();
            let message = message.lines().next().unwrap_or_default();
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
