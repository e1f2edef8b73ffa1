//! The shadow store, driven in-process with libgit2.
//!
//! It is a bare repository under the data folder (keyed by the workspace's
//! path) whose work tree is set to the workspace for each use. The user's
//! `.git` is never opened or written: the store has its own objects and
//! refs, and instead of a git index a stat cache of its own (see
//! [`super::cache`]). libgit2 runs no hooks; the store's config turns off anything
//! that could run a program or rewrite content (fsmonitor, autocrlf,
//! signing) and uses a fixed identity. Each session's checkpoints are
//! commits on a line of history of its own, each named by a ref (see
//! [`super::sessions`]); all sessions share the objects, so a file kept by
//! two sessions is stored once. A snapshot writes its ref last, so a
//! process killed mid-snapshot leaves the previous checkpoints intact.
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

/// Files larger than this are by default recorded by size and time only,
/// not stored (`chat.checkpointMaxFileBytes`).
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// The description of a session's first checkpoint.
pub const BASELINE: &str = "baseline";

/// The description of a checkpoint of what changed between turns.
pub const OUTSIDE: &str = "changes made outside the agent";

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
    /// The session it belongs to (`""`: the shared line).
    pub session: String,
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
    /// Files the checkpoint recorded by size and time only, which it
    /// cannot bring back.
    pub not_stored: Vec<PathBuf>,
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
    /// Files larger than this are left out of snapshots.
    pub max_file_bytes: u64,
    /// The session whose checkpoints these are (`""`: the shared line of
    /// `agent checkpoint` outside any chat, and of stores made before
    /// sessions had their own).
    pub(super) session: String,
    /// Held while this process runs the session, so others can tell.
    pub(super) presence: Option<std::fs::File>,
    /// The change journal, when the session started one.
    pub(super) journal: Option<super::journal::Journal>,
    /// Why there is no journal.
    pub(super) journal_off: String,
    /// Set when the journal starts: what changed before it is found by
    /// one walk (a resumed session's first snapshot).
    pub(super) journal_new: bool,
    /// Why the last snapshot walked the whole workspace, when it did.
    pub(super) full_walk: Option<String>,
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
            max_file_bytes: MAX_FILE_BYTES,
            session: String::new(),
            presence: None,
            journal: None,
            journal_off: "no change journal (`agent checkpoint` outside a session)".into(),
            full_walk: None,
            journal_new: false,
        })
    }

    /// Starts the change journal (inotify watches over the workspace's
    /// folders), so snapshots look only at what was touched; keeping at
    /// most `capacity` paths between snapshots. Where it cannot start,
    /// snapshots walk, and say why.
    pub fn start_journal(&mut self, capacity: usize) {
        match super::journal::Journal::start(&self.workspace, capacity) {
            Ok(journal) => {
                self.journal = Some(journal);
                self.journal_new = true;
            }
            Err(e) => self.journal_off = format!("no change journal: {e}"),
        }
    }

    /// The paths (absolute) the change journal saw touched since the code
    /// index last asked, for [`crate::code::index::vouch`]; why not when
    /// it cannot vouch (no journal, it lost track, it just started).
    pub fn code_changes(&mut self) -> std::result::Result<Vec<PathBuf>, String> {
        match self.journal.as_mut() {
            Some(journal) => journal.take_for_index(),
            None => Err(self.journal_off.clone()),
        }
    }

    /// What the change journal saw touched since the sandbox last asked
    /// (see [`crate::sandbox::ChangeFeed`]); why not, without a journal or
    /// when it cannot vouch.
    pub fn seen(&mut self) -> std::result::Result<crate::sandbox::Changed, String> {
        let Some(journal) = self.journal.as_mut() else {
            return Err(self.journal_off.clone());
        };
        let seen = journal.take_seen()?;
        let root = self
            .workspace
            .canonicalize()
            .map_err(|e| format!("the workspace: {e}"))?;
        Ok(crate::sandbox::Changed {
            touched: seen.paths.iter().map(|p| root.join(p)).collect(),
            unwatched: seen.ignored.iter().map(|p| root.join(p)).collect(),
            root,
        })
    }

    /// Why the last snapshot walked the whole workspace (`None`: it looked
    /// only at the paths the journal or the tool named).
    pub fn full_walk(&self) -> Option<&str> {
        self.full_walk.as_deref()
    }

    /// True when this session has no checkpoint yet.
    pub fn is_empty(&self) -> bool {
        self.repo.find_reference(&self.head_ref()).is_err()
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

    /// Every checkpoint's tag in this session, read from the refs alone.
    pub(super) fn tags(&self) -> Result<Vec<String>> {
        let prefix = self.tag_ref("");
        let mut tags = Vec::new();
        for reference in self.repo.references_glob(&format!("{prefix}*"))? {
            if let Ok(name) = reference?.name() {
                tags.push(name.trim_start_matches(&prefix).to_string());
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
        match self.repo.find_reference(&self.head_ref()) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?)),
            Err(_) => Ok(None),
        }
    }

    pub(super) fn find(&self, tag: &str) -> Result<Commit<'_>> {
        self.repo
            .find_reference(&self.tag_ref(tag))
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| {
                CheckpointError(format!(
                    "no checkpoint `{tag}` (see `agent checkpoint list`)"
                ))
            })
    }

    /// Describes checkpoint `tag`, its counts against the checkpoint
    /// before it; with `whole_turn`, a turn checkpoint's against the
    /// previous turn (so they count what the whole turn did).
    pub(super) fn checkpoint(
        &self,
        tag: &str,
        commit: &Commit<'_>,
        whole_turn: bool,
    ) -> Result<Checkpoint> {
        let before = match tag.parse::<u64>() {
            Ok(turn) if whole_turn => self.previous_turn(turn)?,
            _ => None,
        };
        let before = match before {
            Some(commit) => Some(commit),
            None => commit.parents().next(),
        };
        let parent_tree = before.map(|p| p.tree()).transpose()?;
        let changes = compare::changes(&self.repo, parent_tree.as_ref(), Some(&commit.tree()?))?;
        let count = |status: Delta| changes.iter().filter(|c| c.status == status).count();
        let message = commit.message().unwrap_or_default();
        let message = message.lines().next().unwrap_or_default();
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
            session: self.session.clone(),
        })
    }

    /// The newest turn checkpoint of this session before turn `turn`.
    fn previous_turn(&self, turn: u64) -> Result<Option<Commit<'_>>> {
        let earlier = self
            .tags()?
            .iter()
            .filter_map(|t| t.parse::<u64>().ok())
            .filter(|t| *t < turn)
            .max();
        earlier.map(|t| self.find(&t.to_string())).transpose()
    }

    /// Whether a new store for `workspace` should wait for an explicit
    /// `init`: outside a git repository, a tree of more than `limit` files
    /// (a home folder, say) is not snapshotted unasked.
    pub fn needs_init(data: &Path, workspace: &Path, limit: u64) -> bool {
        !super::sessions::has_checkpoints(&Self::location(data, workspace))
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

/// The session's store is the sandbox's change feed: its journal says what
/// changed, so the sandbox's search for protected paths costs what changed.
impl crate::sandbox::ChangeFeed for std::sync::Mutex<CheckpointStore> {
    fn changed(&self) -> std::result::Result<crate::sandbox::Changed, String> {
        self.lock()
            .map_err(|_| "the checkpoint store is unusable".to_string())?
            .seen()
    }
}

/// Creates a hardened bare repository at `location`: made whole in a
/// folder of its own and renamed into place, so two sessions starting at
/// the same instant both end up with the same working store (the one that
/// loses the rename opens the winner's).
pub(super) fn create(location: &Path) -> Result<Repository> {
    let parent = location
        .parent()
        .ok_or_else(|| CheckpointError("checkpoint store: no parent folder".into()))?;
    std::fs::create_dir_all(parent)?;
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let built = parent.join(format!(
        ".creating-{}-{}",
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir(&built)?;
    let made = Repository::init_bare(&built).map_err(CheckpointError::from);
    if let Err(e) = made.and_then(|repo| configure(&repo)) {
        let _ = std::fs::remove_dir_all(&built);
        return Err(e);
    }
    if std::fs::rename(&built, location).is_err() {
        let _ = std::fs::remove_dir_all(&built);
    }
    Ok(Repository::open_bare(location)?)
}

/// Turns off whatever could run a program or rewrite content.
fn configure(repo: &Repository) -> Result<()> {
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
    Ok(())
}

/// In the order they were taken: a turn's tool checkpoints, then the
/// turn's own; a sub-agent's checkpoints under a call (`N.M.k`) before the
/// call's own, which is taken when its children end (`2.1`, `2.2.1`,
/// `2.2.2`, `2.2`, `2.10`, `2`, `3.1`, `3`).
pub(super) fn tag_order(tag: &str) -> Vec<u64> {
    tag.split('.')
        .map(|part| part.parse().unwrap_or(u64::MAX))
        .chain([u64::MAX])
        .collect()
}

/// Seconds since the epoch, for commit times.
pub(super) fn now() -> i64 {
    (crate::paths::now_ms() / 1000) as i64
}

#[cfg(test)]
mod tests {
    use super::tag_order;

    #[test]
    fn tags_sort_in_the_order_they_were_taken() {
        let mut tags = vec!["3", "2", "2.10", "2.2", "2.2.2", "3.1", "2.2.1", "2.1"];
        tags.sort_by_key(|t| tag_order(t));
        assert_eq!(
            tags,
            ["2.1", "2.2.1", "2.2.2", "2.2", "2.10", "2", "3.1", "3"]
        );
    }
}
