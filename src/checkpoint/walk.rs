//! The stat walk that finds what a snapshot has to look at: every file and
//! symlink of the workspace that `.gitignore` does not hide, with its
//! `lstat` data.
//!
//! It is written for speed on large trees, because it runs after every
//! shell command. Folders are read by a few threads sharing a queue, and
//! each entry is `stat`ed relative to its folder's descriptor (what
//! `DirEntry::metadata` does on Linux), not by its full path, so the kernel
//! resolves one name instead of the whole path. `.gitignore` files are
//! honoured also outside git repositories (one matcher per folder that has
//! one, deepest first, as git does), with the workspace's
//! `.git/info/exclude` below them all. `.git` folders and files are
//! skipped, while a nested repository's files are kept.

use std::collections::VecDeque;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// One file or symlink found, relative to the workspace.
pub struct Found {
    /// The path relative to the workspace.
    pub path: PathBuf,
    /// Its `lstat` data.
    pub stat: Stat,
}

/// The part of a file's `lstat` data that says whether it changed, as
/// `git status` judges: kept small (not a whole `Metadata`) because a walk
/// of a large tree holds, sorts and merges tens of thousands of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Modification time, seconds.
    pub mtime: i64,
    /// Modification time, nanoseconds.
    pub mtime_nsec: i64,
    /// Size in bytes.
    pub size: u64,
    /// Inode number: a file replaced by another has a new one.
    pub ino: u64,
    /// Git's mode: `0o120000` symlink, `0o100755` executable, `0o100644`.
    pub mode: u32,
}

impl Stat {
    /// The stat data of `meta`.
    pub fn of(meta: &Metadata) -> Stat {
        Stat {
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            size: meta.len(),
            ino: meta.ino(),
            mode: git_mode(meta),
        }
    }

    /// Whether it is a symlink (else a regular file).
    pub fn is_symlink(&self) -> bool {
        self.mode == 0o120000
    }
}

/// Git's mode for a file: symlink, executable or plain.
fn git_mode(meta: &Metadata) -> u32 {
    if meta.file_type().is_symlink() {
        0o120000
    } else if meta.mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    }
}

/// The ignore rules in force in a folder: its own `.gitignore`, then its
/// parents'.
#[derive(Default)]
struct Rules {
    here: Option<Gitignore>,
    parent: Option<Arc<Rules>>,
}

impl Rules {
    /// Whether any ignore file is in force (else nothing needs matching).
    fn any(&self) -> bool {
        self.here.is_some() || self.parent.as_ref().is_some_and(|p| p.any())
    }

    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        let mut rules = Some(self);
        while let Some(level) = rules {
            if let Some(here) = &level.here {
                match here.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            rules = level.parent.as_deref();
        }
        false
    }
}

/// A folder to read, relative to the workspace, with the rules above it.
type Job = (PathBuf, Arc<Rules>);

/// What a walk found: files and symlinks, the folders it read, and the
/// folders it left out because the ignore rules hide them.
#[derive(Default)]
pub struct Walked {
    /// Files and symlinks, relative to the workspace.
    pub files: Vec<Found>,
    /// Folders read, relative to the workspace.
    pub folders: Vec<PathBuf>,
    /// Folders not entered because they are ignored (not `.git`).
    pub ignored: Vec<PathBuf>,
}

/// Folders waiting to be read, and how many are still being read.
struct Queue {
    state: Mutex<(VecDeque<Job>, usize)>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, folder: PathBuf, rules: Arc<Rules>) {
        if let Ok(mut state) = self.state.lock() {
            state.0.push_back((folder, rules));
            state.1 += 1;
            self.ready.notify_one();
        }
    }

    /// The next folder to read; `None` once every folder has been read.
    fn pop(&self) -> Option<Job> {
        let mut state = self.state.lock().ok()?;
        loop {
            if let Some(job) = state.0.pop_front() {
                return Some(job);
            }
            if state.1 == 0 {
                return None;
            }
            state = self.ready.wait(state).ok()?;
        }
    }

    fn done(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 -= 1;
            if state.1 == 0 {
                self.ready.notify_all();
            }
        }
    }
}

/// Every file and symlink under `workspace` that the ignore rules keep.
/// Unreadable folders are skipped.
pub fn walk(workspace: &Path) -> Vec<Found> {
    walk_up_to(workspace, usize::MAX)
}

/// Whether `workspace` has more than `limit` files to snapshot; the walk
/// stops soon after it passes the limit.
pub fn has_more_files_than(workspace: &Path, limit: usize) -> bool {
    walk_up_to(workspace, limit).len() > limit
}

/// The walk, giving up on folders not yet read once more than `limit`
/// files were found.
fn walk_up_to(workspace: &Path, limit: usize) -> Vec<Found> {
    let root_rules = Arc::new(Rules {
        here: exclude_file(workspace),
        parent: None,
    });
    walk_from(workspace, PathBuf::new(), root_rules, limit).files
}

/// Every file and symlink under `folder` (relative to `workspace`) that
/// the ignore rules keep, every folder they keep, `folder` included, and
/// the ignored folders left out; only `folder` as ignored when it is
/// itself ignored.
pub fn walk_folder(workspace: &Path, folder: &Path) -> Walked {
    match rules_of(workspace, folder) {
        Some(rules) => walk_from(workspace, folder.to_path_buf(), rules, usize::MAX),
        None => Walked {
            ignored: vec![folder.to_path_buf()],
            ..Walked::default()
        },
    }
}

/// The walk from `start` with the rules in force there.
fn walk_from(workspace: &Path, start: PathBuf, rules: Arc<Rules>, limit: usize) -> Walked {
    let total = AtomicUsize::new(0);
    let queue = Queue {
        state: Mutex::new((VecDeque::new(), 0)),
        ready: Condvar::new(),
    };
    queue.push(start, rules);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut walked = Walked::default();
                    while let Some((folder, rules)) = queue.pop() {
                        if total.load(Ordering::Relaxed) <= limit {
                            let before = walked.files.len();
                            read_folder(workspace, &folder, &rules, &queue, &mut walked);
                            total.fetch_add(walked.files.len() - before, Ordering::Relaxed);
                        }
                        walked.folders.push(folder);
                        queue.done();
                    }
                    walked
                })
            })
            .collect();
        let parts: Vec<Walked> = workers
            .into_iter()
            .map(|worker| {
                // A worker that panicked found an unknown part of the tree;
                // going on would take those files for deleted.
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        let mut all = Walked {
            files: Vec::with_capacity(parts.iter().map(|p| p.files.len()).sum()),
            ..Walked::default()
        };
        for part in parts {
            all.files.extend(part.files);
            all.folders.extend(part.folders);
            all.ignored.extend(part.ignored);
        }
        all
    })
}

/// Reads one folder: its files go to `walked`, its subfolders to the
/// queue (or, ignored, to `walked` too).
fn read_folder(
    workspace: &Path,
    folder: &Path,
    inherited: &Arc<Rules>,
    queue: &Queue,
    walked: &mut Walked,
) {
    let absolute = workspace.join(folder);
    let Ok(entries) = std::fs::read_dir(&absolute) else {
        return;
    };
    let entries: Vec<std::fs::DirEntry> = entries.filter_map(Result::ok).collect();
    let rules = match entries.iter().any(|e| e.file_name() == ".gitignore") {
        true => Arc::new(Rules {
            here: gitignore(&absolute, &absolute.join(".gitignore")),
            parent: Some(inherited.clone()),
        }),
        false => inherited.clone(),
    };
    let matching = rules.any();
    for entry in entries {
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let is_dir = meta.is_dir();
        if matching && rules.ignores(&absolute.join(&name), is_dir) {
            if is_dir {
                walked.ignored.push(folder.join(&name));
            }
            continue;
        }
        if is_dir {
            queue.push(folder.join(&name), rules.clone());
        } else if meta.is_file() || meta.is_symlink() {
            walked.files.push(Found {
                path: folder.join(&name),
                stat: Stat::of(&meta),
            });
        }
    }
}

/// The matcher of one ignore file, rooted at `folder`; `None` when it has
/// no usable rule.
fn gitignore(folder: &Path, file: &Path) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(folder);
    builder.add(file);
    builder.build().ok().filter(|g| !g.is_empty())
}

/// The workspace repository's `.git/info/exclude`, when there is one.
fn exclude_file(workspace: &Path) -> Option<Gitignore> {
    let file = workspace.join(".git/info/exclude");
    file.is_file()
        .then(|| gitignore(workspace, &file))
        .flatten()
}

/// Whether the walk would leave out `relative` (a path under `workspace`):
/// it or one of its folders is ignored, or it lies inside a `.git`. Reads
/// the ignore files of its folders only, for a checkpoint of known paths.
pub fn is_ignored(workspace: &Path, relative: &Path) -> bool {
    rules_along(workspace, relative, false).is_none()
}

/// The rules in force inside folder `relative`; `None` when it is ignored.
fn rules_of(workspace: &Path, relative: &Path) -> Option<Arc<Rules>> {
    rules_along(workspace, relative, true)
}

/// Reads the ignore files along `relative`; `None` as soon as a component
/// is ignored (or is `.git`), else the rules its folder's entries are
/// matched against, but for the end's own ignore file (the walk reads it).
/// `is_folder`: the end is a folder.
fn rules_along(workspace: &Path, relative: &Path, is_folder: bool) -> Option<Arc<Rules>> {
    let mut rules = Arc::new(Rules {
        here: exclude_file(workspace),
        parent: None,
    });
    let mut folder = workspace.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        if component.as_os_str() == ".git" {
            return None;
        }
        rules = with_ignore_file(rules, &folder);
        folder.push(component);
        let is_dir = components.peek().is_some() || is_folder;
        if rules.ignores(&folder, is_dir) {
            return None;
        }
    }
    Some(rules)
}

/// `rules` with `folder`'s own `.gitignore` on top, when it has one.
fn with_ignore_file(rules: Arc<Rules>, folder: &Path) -> Arc<Rules> {
    let file = folder.join(".gitignore");
    match file.is_file() {
        true => Arc::new(Rules {
            here: gitignore(folder, &file),
            parent: Some(rules),
        }),
        false => rules,
    }
}
