//! The protected paths inside the writable folders, kept between commands
//! and brought up to date from what changed, so the search before and
//! after each command costs what changed, not what exists.
//!
//! The sandbox does not watch the tree itself: the engine hands it a
//! [`ChangeFeed`], the checkpoints' change journal, which sits above the
//! sandbox and already knows every path a command (or anything else)
//! touched. Where the feed cannot vouch, the whole writable tree is
//! searched again, as without one: the journal lost track (queue overflow,
//! watch limit, too many changes) or restarted, or the writable folders
//! changed. What the feed does not watch is searched at every command:
//! folders `.gitignore` hides (the journal leaves them out) and writable
//! folders outside the workspace.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::fence::{self, Found};

/// What changed in one folder since the feed was last asked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The folder watched (the workspace), resolved.
    pub root: PathBuf,
    /// Paths inside it, absolute, that were created, changed, moved or
    /// deleted (files, symlinks or folders).
    pub touched: Vec<PathBuf>,
    /// Folders inside it, absolute, that are not watched: what happens in
    /// them is not in `touched`.
    pub unwatched: Vec<PathBuf>,
}

/// A source of what changed in the workspace: the checkpoints' change
/// journal, given to the sandbox by the engine (the sandbox sits below
/// checkpoints and may not name them).
pub trait ChangeFeed: Send + Sync {
    /// What changed since the last call; why not, when it cannot vouch.
    fn changed(&self) -> Result<Changed, String>;
}

/// The protected entries found, for one set of writable folders.
struct State {
    folders: Vec<PathBuf>,
    found: BTreeSet<Found>,
}

/// The cache of protected paths with the feed that keeps it current;
/// shared by a sandbox's clones, so commands of one session keep it.
#[derive(Clone, Default)]
pub(crate) struct Known {
    feed: Option<Arc<dyn ChangeFeed>>,
    state: Arc<Mutex<Option<State>>>,
}

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Known")
            .field("feed", &self.feed.is_some())
            .finish()
    }
}

/// How [`Known::protected`] found the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A search of the whole writable tree (stopping after a bound when
    /// there is no feed), and why.
    Walked(String),
    /// The entries kept, updated at the paths that changed and in the
    /// folders the feed does not watch.
    Updated,
}

impl Known {
    /// A cache kept current by `feed`.
    pub(crate) fn following(feed: Arc<dyn ChangeFeed>) -> Known {
        Known {
            feed: Some(feed),
            state: Arc::default(),
        }
    }

    /// Every protected entry inside `folders` now, and how it was found.
    pub(crate) fn protected(&self, folders: &[PathBuf]) -> (BTreeSet<Found>, Search) {
        let Some(feed) = &self.feed else {
            let why = "no change journal".to_string();
            return (fence::protected_inside(folders), Search::Walked(why));
        };
        let Ok(mut state) = self.state.lock() else {
            let why = "the cache is unusable".to_string();
            return (fence::protected_inside(folders), Search::Walked(why));
        };
        let changed = feed.changed();
        let kept = state.take().filter(|s| s.folders == folders);
        let (found, search) = match (kept, changed) {
            (Some(mut kept), Ok(changed)) => {
                kept.update(&changed);
                (kept.found, Search::Updated)
            }
            (None, Ok(_)) => (
                fence::protected_within(folders, usize::MAX),
                Search::Walked("the first search of these folders".into()),
            ),
            (_, Err(why)) => (
                fence::protected_within(folders, usize::MAX),
                Search::Walked(why),
            ),
        };
        *state = Some(State {
            folders: folders.to_vec(),
            found: found.clone(),
        });
        (found, search)
    }
}

impl State {
    /// Brings the entries up to date with `changed`: each touched path is
    /// looked at (a folder searched whole), and every place the feed does
    /// not watch is searched again.
    fn update(&mut self, changed: &Changed) {
        for path in &changed.touched {
            let Some(folder) = self.folders.iter().find(|f| path.starts_with(f)) else {
                continue;
            };
            match searched_entry(folder, path) {
                None => {}
                Some((entry, true)) => {
                    self.found.retain(|f| f.path != entry);
                    self.found.extend(fence::protected_at(&entry));
                }
                Some((entry, false)) => self.search_again(&entry),
            }
        }
        for folder in self.folders.clone() {
            if !folder.starts_with(&changed.root) {
                self.search_again(&folder);
                continue;
            }
            for unwatched in &changed.unwatched {
                if unwatched.starts_with(&folder) {
                    if let Some((entry, false)) = searched_entry(&folder, unwatched) {
                        self.search_again(&entry);
                    }
                } else if folder.starts_with(unwatched) {
                    self.search_again(&folder);
                }
            }
        }
    }

    /// Forgets the entries at or below `path` and searches it again (a
    /// folder whole; nothing when it is gone or a file).
    fn search_again(&mut self, path: &Path) {
        self.found.retain(|f| !f.path.starts_with(path));
        if path.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            let inside = fence::protected_within(&[path.to_path_buf()], usize::MAX);
            self.found.extend(inside);
        }
    }
}

/// Where the search inside `folder` meets `path` (below it): the first
/// protected entry on the way, with `true`, which the search records and
/// does not enter; else `path` itself, with `false`; `None` when the way
/// passes a folder the search does not enter (`node_modules`, …).
fn searched_entry(folder: &Path, path: &Path) -> Option<(PathBuf, bool)> {
    let relative = path.strip_prefix(folder).ok()?;
    let mut entry = folder.to_path_buf();
    for component in relative.components() {
        let Component::Normal(name) = component else {
            return None;
        };
        entry.push(name);
        let name = name.to_string_lossy();
        if fence::is_protected_name(&name) {
            return Some((entry, true));
        }
        if fence::NOT_SEARCHED.contains(&name.as_ref()) {
            return None;
        }
    }
    Some((entry, false))
}
