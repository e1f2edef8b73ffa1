//! Keeping the store bounded: its size on disk (`agent checkpoint du`),
//! the cap `chat.checkpointMaxBytes` (the oldest sessions' tool
//! checkpoints are folded into their turn checkpoints first, then whole
//! old sessions go), and git's gc and repack on the store (`agent
//! checkpoint gc`), which frees what no checkpoint holds any more.
//!
//! Running sessions and the one in use are never folded or dropped.

use std::path::Path;
use std::process::Command;

use git2::Oid;

use super::sessions::SessionInfo;
use super::store::{CheckpointError, CheckpointStore, Result, tag_order};

/// The default of `chat.checkpointMaxBytes`: 2 GiB.
pub const MAX_STORE_BYTES: u64 = 2 << 30;

/// One session's share of the store, for `du`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUsage {
    /// The session.
    pub session: SessionInfo,
    /// Its turn checkpoints.
    pub turns: usize,
    /// Its tool checkpoints.
    pub tools: usize,
}

impl CheckpointStore {
    /// The store's size on disk, in bytes.
    pub fn size(&self) -> u64 {
        folder_size(self.repo.path())
    }

    /// Every session's checkpoints, oldest session first.
    pub fn usage(&self) -> Result<Vec<SessionUsage>> {
        let mut sessions = self.sessions()?;
        sessions.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        let mut usage = Vec::new();
        for session in sessions {
            let tags = self.tags_of(&session.id)?;
            let tools = tags.iter().filter(|t| t.contains('.')).count();
            usage.push(SessionUsage {
                turns: tags.len() - tools,
                tools,
                session,
            });
        }
        Ok(usage)
    }

    /// Brings the store under `max_bytes`: folds the oldest sessions' tool
    /// checkpoints into their turns, then drops whole old sessions, with a
    /// gc after each step; returns what it did, a line each.
    pub fn enforce_cap(&mut self, max_bytes: u64) -> Result<Vec<String>> {
        let mut done = Vec::new();
        if self.size() <= max_bytes {
            return Ok(done);
        }
        let candidates: Vec<SessionUsage> = self
            .usage()?
            .into_iter()
            .filter(|u| !u.session.running && u.session.id != self.session)
            .collect();
        for usage in candidates.iter().filter(|u| u.tools > 0) {
            let folded = self.fold(&usage.session.id)?;
            done.push(format!(
                "folded {folded} tool checkpoint(s) of session {} into its turns",
                usage.session.label()
            ));
            self.gc()?;
            if self.size() <= max_bytes {
                return Ok(done);
            }
        }
        for usage in &candidates {
            self.drop_session(&usage.session.id)?;
            done.push(format!("dropped session {}", usage.session.label()));
            self.gc()?;
            if self.size() <= max_bytes {
                break;
            }
        }
        Ok(done)
    }

    /// Rewrites session `id`'s line with its turn checkpoints only, each
    /// the child of the turn before, and deletes its tool checkpoints;
    /// returns how many went.
    pub fn fold(&mut self, id: &str) -> Result<usize> {
        let _lock = self.lock()?;
        self.in_session(id, Self::fold_current)
    }

    fn fold_current(&mut self) -> Result<usize> {
        let mut tags = self.tags()?;
        tags.sort_by_key(|t| tag_order(t));
        let mut parent: Option<Oid> = None;
        let mut folded = 0;
        for tag in &tags {
            if tag.contains('.') {
                if tags.contains(&tag.split('.').next().unwrap_or_default().to_string()) {
                    self.repo.find_reference(&self.tag_ref(tag))?.delete()?;
                    folded += 1;
                }
                continue;
            }
            let old = self.find(tag)?;
            let parents: Vec<git2::Commit> = parent
                .map(|p| self.repo.find_commit(p))
                .transpose()?
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit> = parents.iter().collect();
            let new = self.repo.commit(
                None,
                &old.author(),
                &old.committer(),
                old.message().unwrap_or_default(),
                &old.tree()?,
                &parents,
            )?;
            self.repo.reference(&self.tag_ref(tag), new, true, "fold")?;
            parent = Some(new);
        }
        let unfolded = tags.iter().filter(|t| t.contains('.')).count() - folded;
        if let (Some(last), 0) = (parent, unfolded) {
            self.repo.reference(&self.head_ref(), last, true, "fold")?;
        }
        self.cache = None;
        Ok(folded)
    }

    /// Deletes session `id`'s checkpoints and files.
    pub fn drop_session(&mut self, id: &str) -> Result<()> {
        let _lock = self.lock()?;
        let (names, folder) = self.in_session(id, |store| {
            let mut names: Vec<String> = store.tags()?.iter().map(|t| store.tag_ref(t)).collect();
            names.push(store.head_ref());
            Ok((names, store.session_folder()))
        })?;
        for name in names {
            if let Ok(mut reference) = self.repo.find_reference(&name) {
                reference.delete()?;
            }
        }
        match id {
            "" => {
                let _ = std::fs::remove_file(folder.join("stat-cache"));
            }
            _ => {
                let _ = std::fs::remove_dir_all(folder);
            }
        }
        Ok(())
    }

    /// Git's gc on the store (packs objects and refs, deletes objects no
    /// checkpoint holds), under the store's lock so no snapshot writes
    /// meanwhile; git's own and the user's configuration and hooks are
    /// kept out. Returns the store's size after.
    pub fn gc(&self) -> Result<u64> {
        let _lock = self.lock()?;
        let status = Command::new("git")
            .arg("--git-dir")
            .arg(self.repo.path())
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "gc",
                "--prune=now",
                "--quiet",
            ])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| CheckpointError(format!("checkpoint gc needs git's command line: {e}")))?;
        if !status.success() {
            return Err(CheckpointError(format!(
                "git gc on the checkpoint store failed: {status}"
            )));
        }
        Ok(self.size())
    }

    /// The tags of session `id`.
    fn tags_of(&self, id: &str) -> Result<Vec<String>> {
        let prefix = super::sessions::tag_prefix(id);
        let mut tags = Vec::new();
        for reference in self.repo.references_glob(&format!("{prefix}*"))? {
            if let Ok(name) = reference?.name() {
                tags.push(name.trim_start_matches(&prefix).to_string());
            }
        }
        Ok(tags)
    }
}

/// The bytes of every file under `folder`.
fn folder_size(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => folder_size(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
