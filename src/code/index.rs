//! The workspace's symbol index: every source file `.gitignore` does not
//! hide and the policy does not hide, with its symbols. It is built on
//! first use by a parallel walk, kept in memory for the process, stored as
//! JSON lines under the data folder (`code/<workspace key>/index.jsonl`,
//! never in the workspace; written again only once a few hundred files
//! changed), and brought up to date before each use by
//! re-parsing only the files whose size or modification time changed.
//!
//! Inside a session the walk that stats every file is mostly skipped: the
//! dispatcher tells the index which paths its tools changed ([`changed`])
//! and, when the session's change journal can vouch for everything that
//! changed, hands its paths over before each `code` call ([`vouch`]); then
//! only those paths are looked at. When nothing can vouch ([`mark_stale`],
//! first use, a `.gitignore` changed) the whole workspace is walked.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write as _;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, UNIX_EPOCH};

use ignore::{DirEntry, WalkBuilder, WalkState};
use serde::{Deserialize, Serialize};

use super::lang::Lang;
use super::symbols::{self, Symbol};
use crate::policy::Hidden;

/// Files larger than this are not parsed (generated bundles, data).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The stored form's version; a store of another version is rebuilt.
const VERSION: u32 = 1;

/// One indexed file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its path relative to the workspace, with `/`.
    pub path: String,
    /// Its language.
    pub lang: Lang,
    /// Size in bytes when parsed.
    pub size: u64,
    /// Modification time (nanoseconds since the epoch) when parsed.
    pub modified: u128,
    /// Whether its syntax tree had errors.
    #[serde(default)]
    pub has_errors: bool,
    /// Its symbols, in source order.
    pub symbols: Vec<Symbol>,
}

/// A workspace's index.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Indexed files by relative path.
    pub files: BTreeMap<String, FileEntry>,
}

/// Files parsed or dropped since the index was stored before it is stored
/// again: writing the whole index costs more than parsing a few hundred
/// files again in the next process, which finds them changed by their
/// stat.
const SAVE_AFTER: usize = 500;

/// More changed paths than this are cheaper to find by one walk.
const MAX_PENDING: usize = 5_000;

/// Set to a file's path, every refresh appends a line there saying what it
/// did (see [`Refresh`]): how the benchmarks and tests see whether a walk
/// happened.
pub const LOG_VARIABLE: &str = "AGENT_CODE_INDEX_LOG";

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Refresh {
    /// Files parsed (new or changed).
    pub parsed: usize,
    /// Files dropped (deleted, now ignored or hidden).
    pub dropped: usize,
    /// Source files whose stat was looked at.
    pub looked_at: usize,
    /// Whether the whole workspace was walked (else only changed paths, or
    /// nothing).
    pub full: bool,
}

impl Refresh {
    /// Whether the index changed.
    pub fn changed(&self) -> bool {
        self.parsed > 0 || self.dropped > 0
    }
}

/// How long an index is taken as current without a walk, unless a tool
/// call of this process may have changed files since ([`mark_stale`]).
/// Only edits made outside `agent` wait for it.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// One workspace's index in this process.
struct Cached {
    index: Index,
    /// When it was last brought up to date, and under which hidden paths.
    refreshed: Option<(Instant, String)>,
    /// Paths (relative) changed since, to look at before the next use.
    pending: BTreeSet<PathBuf>,
    /// Whether there is a stored form to load next time.
    stored: bool,
    /// Files parsed or dropped since the stored form was written.
    unsaved: usize,
}

/// The indexes of this process, by workspace.
static CACHE: Mutex<BTreeMap<PathBuf, Cached>> = Mutex::new(BTreeMap::new());

/// Runs `query` on the up-to-date index of `root`; `store` is the folder
/// its stored form lives in (`None`: memory only). The walk that brings it
/// up to date is skipped when the last one is recent (or was vouched for
/// since, see [`vouch`]) under the same hidden paths and nothing marked it
/// stale: then only the paths named changed since are looked at.
pub fn with_index<T>(
    root: &Path,
    hidden: &Hidden,
    store: Option<&Path>,
    query: impl FnOnce(&Index, Refresh) -> T,
) -> T {
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cached = cache.entry(root.to_path_buf()).or_insert_with(|| {
        let loaded = store.and_then(load);
        Cached {
            stored: loaded.is_some(),
            index: loaded.unwrap_or_default(),
            refreshed: None,
            pending: BTreeSet::new(),
            unsaved: 0,
        }
    });
    let rules = format!("{hidden:?}");
    let current = cached
        .refreshed
        .as_ref()
        .is_some_and(|(at, seen)| at.elapsed() < FRESH_FOR && *seen == rules);
    let pending = std::mem::take(&mut cached.pending);
    let refresh = match current {
        true if pending.is_empty() => return query(&cached.index, Refresh::default()),
        true => cached.index.refresh_paths(root, hidden, &pending),
        false => None,
    };
    let refresh = refresh.unwrap_or_else(|| cached.index.refresh(root, hidden));
    cached.refreshed = Some((Instant::now(), rules));
    log(&refresh);
    cached.unsaved += refresh.parsed + refresh.dropped;
    let worth_it = !cached.stored || cached.unsaved >= SAVE_AFTER;
    if refresh.changed()
        && worth_it
        && let Some(store) = store
    {
        // The store only saves work next time; failing to write it is no
        // reason to fail the query.
        if cached.index.save(store).is_ok() {
            cached.stored = true;
            cached.unsaved = 0;
        }
    }
    query(&cached.index, refresh)
}

/// Appends `refresh` to the file [`LOG_VARIABLE`] names, if it names one.
fn log(refresh: &Refresh) {
    let Some(path) = std::env::var_os(LOG_VARIABLE) else {
        return;
    };
    let line = serde_json::to_string(refresh).unwrap_or_default() + "\n";
    // A log that cannot be written only loses a debugging aid.
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
}

/// Makes the next use of `root`'s index walk the workspace again (a tool
/// call may have changed files nobody can name).
pub fn mark_stale(root: &Path) {
    if let Ok(mut cache) = CACHE.lock()
        && let Some(cached) = cache.get_mut(root)
    {
        cached.refreshed = None;
        cached.pending.clear();
    }
}

/// Makes the next use of `root`'s index look at `paths` (absolute, or
/// relative to `root`): a tool of this process changed them. Paths outside
/// `root` are left out.
pub fn changed(root: &Path, paths: &[PathBuf]) {
    note(root, paths, false);
}

/// [`changed`], from a source that vouches these are all the paths changed
/// since it last vouched (the session's change journal): an index that was
/// current stays current without a walk, however long ago it walked.
pub fn vouch(root: &Path, paths: &[PathBuf]) {
    note(root, paths, true);
}

fn note(root: &Path, paths: &[PathBuf], vouched: bool) {
    let Ok(mut cache) = CACHE.lock() else {
        return;
    };
    let Some(cached) = cache.get_mut(root) else {
        // Never used in this process: its first use walks anyway.
        return;
    };
    if cached.refreshed.is_none() {
        return;
    }
    for path in paths {
        let relative = match path.strip_prefix(root) {
            Ok(inside) => inside.to_path_buf(),
            Err(_) if path.is_relative() => path.clone(),
            Err(_) => continue,
        };
        cached.pending.insert(relative);
    }
    if cached.pending.len() > MAX_PENDING {
        cached.refreshed = None;
        cached.pending.clear();
    } else if vouched && let Some((at, _)) = cached.refreshed.as_mut() {
        *at = Instant::now();
    }
}

impl Index {
    /// Brings the index up to date with the files under `root`.
    pub fn refresh(&mut self, root: &Path, hidden: &Hidden) -> Refresh {
        let seen = Mutex::new(Vec::new());
        let old = &self.files;
        WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(|entry| entry.file_name() != ".git")
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    if let Ok(entry) = entry
                        && let Some(found) = visit(root, &entry, hidden, old)
                        && let Ok(mut seen) = seen.lock()
                    {
                        seen.push(found);
                    }
                    WalkState::Continue
                })
            });
        let seen = seen.into_inner().unwrap_or_default();
        let mut refresh = Refresh {
            looked_at: seen.len(),
            full: true,
            ..Refresh::default()
        };
        let mut files = BTreeMap::new();
        for (path, parsed) in seen {
            let entry = match parsed {
                Some(entry) => {
                    refresh.parsed += 1;
                    entry
                }
                None => match self.files.remove(&path) {
                    Some(entry) => entry,
                    None => continue,
                },
            };
            files.insert(path, entry);
        }
        refresh.dropped = self
            .files
            .keys()
            .filter(|path| !files.contains_key(*path))
            .count();
        self.files = files;
        refresh
    }

    /// Brings the index up to date at `paths` (relative; each a file or a
    /// folder, present or gone) only, walking from `root` down to them so
    /// `.gitignore` applies as in a full walk. `None` when that cannot
    /// vouch for the result: an ignore file or the root itself changed.
    pub fn refresh_paths(
        &mut self,
        root: &Path,
        hidden: &Hidden,
        paths: &BTreeSet<PathBuf>,
    ) -> Option<Refresh> {
        let mut above = HashSet::new();
        for path in paths {
            let name = path.file_name()?;
            if name == ".gitignore" || name == ".ignore" || name == ".git" {
                return None;
            }
            above.extend(path.ancestors().skip(1).map(Path::to_path_buf));
        }
        let scope = paths.clone();
        let in_scope = move |relative: &Path| relative.ancestors().any(|a| scope.contains(a));
        let walk_root = root.to_path_buf();
        let walk_scope = in_scope.clone();
        let walk = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(move |entry| {
                let Ok(relative) = entry.path().strip_prefix(&walk_root) else {
                    return false;
                };
                entry.file_name() != ".git" && (above.contains(relative) || walk_scope(relative))
            })
            .build();
        let seen: Vec<(String, Option<FileEntry>)> = walk
            .flatten()
            .filter_map(|entry| visit(root, &entry, hidden, &self.files))
            .collect();
        let mut refresh = Refresh {
            looked_at: seen.len(),
            ..Refresh::default()
        };
        let kept: HashSet<&str> = seen.iter().map(|(path, _)| path.as_str()).collect();
        // Each named path and what is under it are one range of the sorted
        // keys (`/` sorts just before `0`): no pass over the whole index.
        let mut gone = BTreeSet::new();
        for path in paths {
            let key = path.to_string_lossy();
            let (under, after) = (format!("{key}/"), format!("{key}0"));
            let exact = self.files.get_key_value(key.as_ref()).map(|(k, _)| k);
            let below = self
                .files
                .range::<str, _>((
                    Bound::Included(under.as_str()),
                    Bound::Excluded(after.as_str()),
                ))
                .map(|(k, _)| k);
            gone.extend(
                exact
                    .into_iter()
                    .chain(below)
                    .filter(|k| !kept.contains(k.as_str()))
                    .cloned(),
            );
        }
        refresh.dropped = gone.len();
        for path in gone {
            self.files.remove(&path);
        }
        for (path, parsed) in seen {
            if let Some(entry) = parsed {
                refresh.parsed += 1;
                self.files.insert(path, entry);
            }
        }
        Some(refresh)
    }

    /// Writes the index to `folder/index.jsonl`, atomically.
    fn save(&self, folder: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(folder)?;
        let mut out = Vec::new();
        writeln!(out, "{}", serde_json::json!({ "version": VERSION }))?;
        for entry in self.files.values() {
            serde_json::to_writer(&mut out, entry)?;
            out.push(b'\n');
        }
        crate::atomic::write(&folder.join("index.jsonl"), &out, None)
    }

    /// Every symbol with its file.
    pub fn symbols(&self) -> impl Iterator<Item = (&FileEntry, &Symbol)> {
        self.files
            .values()
            .flat_map(|file| file.symbols.iter().map(move |symbol| (file, symbol)))
    }
}

/// The index stored in `folder`; `None` if there is none or it cannot be
/// read.
fn load(folder: &Path) -> Option<Index> {
    let text = std::fs::read_to_string(folder.join("index.jsonl")).ok()?;
    let mut lines = text.lines();
    let header: Option<serde_json::Value> = lines.next().and_then(|l| serde_json::from_str(l).ok());
    if header.and_then(|h| h["version"].as_u64()) != Some(u64::from(VERSION)) {
        return None;
    }
    // Decoding is most of the cost of loading: spread it over the cores.
    let lines: Vec<&str> = lines.collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = lines.len().div_ceil(threads).max(1);
    let decode = |part: &[&str]| -> Vec<FileEntry> {
        part.iter()
            .filter_map(|line| serde_json::from_str::<FileEntry>(line).ok())
            .collect()
    };
    let parts: Vec<Vec<FileEntry>> = std::thread::scope(|scope| {
        let running: Vec<_> = lines
            .chunks(chunk)
            .map(|part| scope.spawn(move || decode(part)))
            .collect();
        running
            .into_iter()
            .map(|thread| thread.join().unwrap_or_default())
            .collect()
    });
    let files = parts
        .into_iter()
        .flatten()
        .map(|entry| (entry.path.clone(), entry))
        .collect();
    Some(Index { files })
}

/// One walked file: its relative path, and its new entry when it had to be
/// parsed (`None`: the old entry still holds). `None` for a file the
/// index does not keep.
fn visit(
    root: &Path,
    entry: &DirEntry,
    hidden: &Hidden,
    old: &BTreeMap<String, FileEntry>,
) -> Option<(String, Option<FileEntry>)> {
    if !entry.file_type()?.is_file() {
        return None;
    }
    let lang = Lang::of_path(entry.path())?;
    if hidden.hides(entry.path()) {
        return None;
    }
    let relative = relative_path(root, entry.path())?;
    let metadata = entry.metadata().ok()?;
    if metadata.len() > MAX_FILE_BYTES {
        return None;
    }
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let unchanged = old
        .get(&relative)
        .is_some_and(|e| e.size == metadata.len() && e.modified == modified && e.lang == lang);
    if unchanged {
        return Some((relative, None));
    }
    let bytes = std::fs::read(entry.path()).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let (symbols, has_errors) = match symbols::parse(lang, &text) {
        Some(tree) => (
            symbols::extract_from(lang, &tree, &text),
            tree.root_node().has_error(),
        ),
        None => (Vec::new(), true),
    };
    let entry = FileEntry {
        path: relative.clone(),
        lang,
        size: metadata.len(),
        modified,
        has_errors,
        symbols,
    };
    Some((relative, Some(entry)))
}

/// `path` relative to `root`, with `/` between the parts.
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    if std::path::MAIN_SEPARATOR == '/' {
        return Some(relative.to_string_lossy().into_owned());
    }
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// The folder the index of `workspace` is stored in, under the data
/// folder; `None` when there is no data folder.
pub fn store_folder(workspace: &Path) -> Option<PathBuf> {
    let state = crate::paths::StatePaths::from_env().ok()?;
    Some(
        state
            .data
            .join("code")
            .join(crate::paths::workspace_key(workspace)),
    )
}
