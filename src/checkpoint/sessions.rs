//! Sessions in one store: each chat session's checkpoints are its own line
//! of history, under `refs/agent-sessions/ID/` (tags under `tags/`, the
//! newest at `head`), with its own stat cache under `sessions/ID/`. The
//! session `""` keeps the older layout (`refs/checkpoints/TAG`,
//! `refs/checkpoints-head`, `stat-cache`): `agent checkpoint` uses it when
//! no chat session has checkpoints, and stores made before sessions had
//! their own keep working.
//!
//! A running session holds a lock on `sessions/ID/alive`, and appends each
//! path its tools changed, with the time, to `sessions/ID/touched`: a
//! restore in another session reads them to refuse to undo its work.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::Repository;

use super::store::{CheckpointError, CheckpointStore, Result};

const LEGACY_TAGS: &str = "refs/checkpoints/";
const LEGACY_HEAD: &str = "refs/checkpoints-head";
const SESSIONS: &str = "refs/agent-sessions/";

/// How `agent checkpoint list` names the session `""`.
pub const SHARED: &str = "shared";

/// One session that has checkpoints in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Its id (`""` for the shared line).
    pub id: String,
    /// When its newest checkpoint was taken, seconds since the epoch.
    pub time: i64,
    /// Whether a process is running it now.
    pub running: bool,
}

impl SessionInfo {
    /// The name shown for it.
    pub fn label(&self) -> &str {
        label(&self.id)
    }
}

/// The name shown for session `id`.
pub fn label(id: &str) -> &str {
    match id {
        "" => SHARED,
        id => id,
    }
}

impl CheckpointStore {
    /// The ref of checkpoint `tag` of this session (with `""`, the prefix
    /// of them all).
    pub(super) fn tag_ref(&self, tag: &str) -> String {
        format!("{}{tag}", tag_prefix(&self.session))
    }

    /// Runs `work` with session `id` in use, then goes back to this one
    /// (still marked running).
    pub(super) fn in_session<T>(
        &mut self,
        id: &str,
        work: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let was = (
            std::mem::replace(&mut self.session, id.to_string()),
            self.cache.take(),
            self.unsaved,
        );
        let done = work(self);
        (self.session, self.cache, self.unsaved) = was;
        done
    }

    /// The ref of this session's newest checkpoint.
    pub(super) fn head_ref(&self) -> String {
        head_ref(&self.session)
    }

    /// Where this session's own files are (`alive`, `touched`, its stat
    /// cache).
    pub(super) fn session_folder(&self) -> PathBuf {
        session_folder(self.repo.path(), &self.session)
    }

    /// The session whose checkpoints this store reads and takes.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Reads and takes the checkpoints of session `id` from now on (`""`
    /// or `shared`: the shared line). Ids are letters, digits, `-`, `_`
    /// and `.`, as the chat's session ids are.
    pub fn use_session(&mut self, id: &str) -> Result<()> {
        let id = if id == SHARED { "" } else { id };
        let valid = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && !id.starts_with('.');
        if !valid {
            return Err(CheckpointError(format!(
                "`{id}` is not a checkpoint session (see `agent checkpoint list --all`)"
            )));
        }
        if id != self.session {
            self.session = id.to_string();
            self.cache = None;
            self.unsaved = 0;
            self.presence = None;
        }
        Ok(())
    }

    /// Reads the newest session's checkpoints (the one whose newest
    /// checkpoint is the latest; `agent checkpoint` outside a chat).
    pub fn use_newest_session(&mut self) -> Result<()> {
        let newest = self
            .sessions()?
            .into_iter()
            .max_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        match newest {
            Some(newest) => self.use_session(&newest.id),
            None => Ok(()),
        }
    }

    /// Marks this session as running until the store is dropped, so a
    /// restore in another session leaves its work alone.
    pub fn announce(&mut self) -> Result<()> {
        let folder = self.session_folder();
        std::fs::create_dir_all(&folder)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(folder.join("alive"))?;
        // SAFETY: flock(2) on a descriptor we own; released when it closes.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        self.presence = locked.then_some(file);
        Ok(())
    }

    /// Every session with checkpoints in the store.
    pub fn sessions(&self) -> Result<Vec<SessionInfo>> {
        let mut found = Vec::new();
        let mut heads = vec![(String::new(), LEGACY_HEAD.to_string())];
        for reference in self.repo.references_glob(&format!("{SESSIONS}*/head"))? {
            if let Ok(name) = reference?.name() {
                let id = name.trim_start_matches(SESSIONS).trim_end_matches("/head");
                heads.push((id.to_string(), name.to_string()));
            }
        }
        for (id, head) in heads {
            let Ok(commit) = self
                .repo
                .find_reference(&head)
                .and_then(|r| r.peel_to_commit())
            else {
                continue;
            };
            found.push(SessionInfo {
                running: self.is_running(&id),
                time: commit.time().seconds(),
                id,
            });
        }
        Ok(found)
    }

    /// Whether a process other than this store's holds session `id`'s lock.
    fn is_running(&self, id: &str) -> bool {
        if id.is_empty() || (id == self.session && self.presence.is_some()) {
            return false;
        }
        let alive = session_folder(self.repo.path(), id).join("alive");
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(alive) else {
            return false;
        };
        // SAFETY: as in `announce`; the lock, if taken, goes with `file`.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
    }

    /// Records that this session's tools changed `paths` now (a running
    /// session only).
    pub(super) fn record_touched(&self, paths: &[PathBuf]) -> Result<()> {
        if self.presence.is_none() || paths.is_empty() {
            return Ok(());
        }
        let now = crate::paths::now_ms();
        let mut lines = Vec::new();
        for path in paths {
            lines.extend_from_slice(format!("{now}\t").as_bytes());
            lines.extend_from_slice(path.as_os_str().as_bytes());
            lines.push(0);
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.session_folder().join("touched"))?;
        std::io::Write::write_all(&mut file, &lines)?;
        Ok(())
    }

    /// The paths other running sessions' tools changed at or after `since`
    /// (seconds since the epoch), each with the session.
    pub(super) fn touched_by_others(&self, since: i64) -> Result<Vec<(PathBuf, String)>> {
        let since_ms = u64::try_from(since).unwrap_or(0).saturating_mul(1000);
        let mut found = BTreeSet::new();
        for session in self.sessions_running()? {
            let log = session_folder(self.repo.path(), &session).join("touched");
            let Ok(bytes) = std::fs::read(log) else {
                continue;
            };
            for record in bytes.split(|b| *b == 0) {
                let Some(tab) = record.iter().position(|b| *b == b'\t') else {
                    continue;
                };
                let time = std::str::from_utf8(&record[..tab])
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok());
                if time.is_some_and(|t| t >= since_ms) {
                    let path = PathBuf::from(OsStr::from_bytes(&record[tab + 1..]));
                    found.insert((path, session.clone()));
                }
            }
        }
        Ok(found.into_iter().collect())
    }

    /// The ids of the other sessions running now, whether or not they have
    /// checkpoints yet.
    fn sessions_running(&self) -> Result<Vec<String>> {
        let Ok(entries) = std::fs::read_dir(self.repo.path().join("sessions")) else {
            return Ok(Vec::new());
        };
        Ok(entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|id| *id != self.session && self.is_running(id))
            .collect())
    }

    /// The newest checkpoint's tree of each other running session: a path
    /// changed to what one of them already holds was that session's doing.
    pub(super) fn other_heads(&self) -> Vec<git2::Tree<'_>> {
        let running = self.sessions_running().unwrap_or_default();
        running
            .iter()
            .filter_map(|id| {
                self.repo
                    .find_reference(&head_ref(id))
                    .and_then(|r| r.peel_to_tree())
                    .ok()
            })
            .collect()
    }
}

/// What the refs of session `id`'s checkpoints start with.
pub(super) fn tag_prefix(id: &str) -> String {
    match id {
        "" => LEGACY_TAGS.to_string(),
        id => format!("{SESSIONS}{id}/tags/"),
    }
}

/// The ref of session `id`'s newest checkpoint.
pub(super) fn head_ref(id: &str) -> String {
    match id {
        "" => LEGACY_HEAD.to_string(),
        id => format!("{SESSIONS}{id}/head"),
    }
}

/// Where session `id`'s own files are in the store at `store`.
pub(super) fn session_folder(store: &Path, id: &str) -> PathBuf {
    match id {
        "" => store.to_path_buf(),
        id => store.join("sessions").join(id),
    }
}

/// Whether the store at `location` has any checkpoint, in any session.
pub fn has_checkpoints(location: &Path) -> bool {
    let Ok(repo) = Repository::open_bare(location) else {
        return false;
    };
    repo.find_reference(LEGACY_HEAD).is_ok()
        || repo
            .references_glob(&format!("{SESSIONS}*/head"))
            .is_ok_and(|mut refs| refs.next().is_some())
}
