//! The change journal: inotify watches on every folder of the workspace
//! that `.gitignore` keeps, started with the session, so a snapshot looks
//! only at the paths something touched instead of walking the tree.
//!
//! The kernel queues the events as the changes happen, so when a command
//! has returned, everything it (or a process it left running) did so far is
//! in the queue; a snapshot drains it on the calling thread (no thread of
//! our own races the snapshot). A folder created or moved in is watched and
//! then read whole, so files made in it before its watch are found. When
//! the journal cannot vouch for what changed (the kernel queue overflowed,
//! the watch limit was reached, more paths than it keeps, a watched folder
//! replaced under it), it says why, and the snapshot walks the whole tree
//! and starts a fresh journal.
//!
//! A second reader, the code index, takes the same paths on its own
//! schedule ([`Journal::take_for_index`]), so a symbol search looks only at
//! what changed instead of stating every file.
//!
//! The sandbox's search for protected paths reads the same events through
//! [`Journal::take_seen`] (a set of its own, so neither consumer takes the
//! other's), and the folders the journal leaves out as ignored, which it
//! searches at every command.
//!
//! Why not an overlay filesystem over the workspace inside the sandbox,
//! whose upper layer is exactly what the command wrote: it sees only what
//! runs inside the sandbox, so changes made between turns, by the write
//! tool, by a language server or MCP server, or with the sandbox off or
//! partial (no user namespace, macOS) would still need this journal or a
//! walk; an unprivileged overlay needs a user and mount namespace (kernel
//! 5.11+), and there `rename(2)` of a folder from the lower layer fails
//! with `EXDEV` (`mv` falls back to copying, other programs fail), so
//! commands would behave differently inside; and the upper layer must be copied
//! back after every command, whose cost grows with what was written, as
//! the journal's does. The journal covers every writer at once.

use std::collections::{BTreeSet, HashMap};
use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::walk;

/// How many paths the journal keeps between snapshots before it gives up
/// and asks for a walk (a build that writes more is cheaper to walk).
pub const DEFAULT_CAPACITY: usize = 200_000;

/// What changed since the journal was last drained.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Files, symlinks or folders (relative) something created, changed,
    /// moved or deleted; a folder's files are looked at whole.
    pub paths: BTreeSet<PathBuf>,
}

/// What changed since the sandbox last asked (see [`Journal::take_seen`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Paths (relative) something touched, as in [`Touched`].
    pub paths: Vec<PathBuf>,
    /// Folders (relative) the journal does not watch because `.gitignore`
    /// hides them: nothing done inside them is in `paths`.
    pub ignored: Vec<PathBuf>,
}

/// A reader of the journal's paths besides the snapshot (the code index,
/// the sandbox's search for protected paths): the paths touched since it
/// last took them, or why it cannot rely on them.
#[derive(Debug, Default)]
struct Reader {
    paths: BTreeSet<PathBuf>,
    lost: Option<String>,
}

impl Reader {
    /// A reader told to walk once, for `why`.
    fn lost(why: &str) -> Reader {
        Reader {
            paths: BTreeSet::new(),
            lost: Some(why.into()),
        }
    }

    fn touch(&mut self, path: &Path, capacity: usize) {
        if self.paths.len() >= capacity {
            self.lost
                .get_or_insert_with(|| "more changes than the change journal keeps".into());
            self.paths.clear();
        } else if self.lost.is_none() {
            self.paths.insert(path.to_path_buf());
        }
    }

    /// The paths, or why not: the journal's own loss (`journal`, until a
    /// snapshot restarts it), else this reader's, told once.
    fn take(&mut self, journal: Option<&String>) -> Result<BTreeSet<PathBuf>, String> {
        if let Some(why) = journal.cloned().or_else(|| self.lost.take()) {
            self.paths.clear();
            return Err(why);
        }
        Ok(std::mem::take(&mut self.paths))
    }
}

/// The watches over one workspace.
pub struct Journal {
    fd: OwnedFd,
    workspace: PathBuf,
    /// Watch descriptor to folder (relative).
    folders: HashMap<i32, PathBuf>,
    touched: Touched,
    /// Why the journal cannot vouch for the changes, once it cannot.
    lost: Option<String>,
    capacity: usize,
    /// The paths touched since the code index last took them.
    for_index: Reader,
    /// The same paths for the sandbox's search for protected paths, which
    /// reads them at its own times (before and after each command).
    seen: Reader,
    /// Folders the walks left out as ignored, so not watched.
    ignored: BTreeSet<PathBuf>,
}

const MASK: u32 = libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MODIFY
    | libc::IN_CLOSE_WRITE
    | libc::IN_ATTRIB
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR
    | libc::IN_DONT_FOLLOW
    | libc::IN_EXCL_UNLINK;

impl Journal {
    /// Starts watching every folder of `workspace` the walk would read.
    /// An error when inotify is unavailable; a journal that is already
    /// lost when the watch limit is reached.
    pub fn start(workspace: &Path, capacity: usize) -> std::io::Result<Journal> {
        // SAFETY: inotify_init1 takes flags and returns a new descriptor
        // or -1.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut journal = Journal {
            fd,
            workspace: workspace.to_path_buf(),
            folders: HashMap::new(),
            touched: Touched::default(),
            lost: None,
            capacity,
            // What changed before the start is only found by a walk.
            for_index: Reader::lost("the change journal just started"),
            seen: Reader::default(),
            ignored: BTreeSet::new(),
        };
        journal.watch_tree(Path::new(""), false);
        journal.touched = Touched::default();
        journal.for_index.paths.clear();
        journal.seen.paths.clear();
        Ok(journal)
    }

    /// What changed since the last call (for the sandbox), without taking
    /// it from the next snapshot; or why it cannot vouch (the journal lost
    /// track, or started afresh since), until the sandbox asked once after
    /// the snapshot restarted it.
    pub fn take_seen(&mut self) -> Result<Seen, String> {
        self.drain();
        let paths = self.seen.take(self.lost.as_ref())?;
        self.ignored
            .retain(|folder| self.workspace.join(folder).is_dir());
        Ok(Seen {
            paths: paths.into_iter().collect(),
            ignored: self.ignored.iter().cloned().collect(),
        })
    }

    /// What changed since the last call, or why a walk is needed instead.
    pub fn take(&mut self) -> Result<Touched, String> {
        self.drain();
        if let Some(why) = self.lost.take() {
            self.restart();
            return Err(why);
        }
        Ok(std::mem::take(&mut self.touched))
    }

    /// What changed since the code index last asked (absolute paths,
    /// folders to be looked at whole), or why it must walk instead. A lost
    /// journal stays lost for the index until a snapshot restarts it.
    pub fn take_for_index(&mut self) -> Result<Vec<PathBuf>, String> {
        self.drain();
        let taken = self.for_index.take(self.lost.as_ref())?;
        Ok(taken.iter().map(|p| self.workspace.join(p)).collect())
    }

    /// Drops every watch and watches the tree afresh (after the journal
    /// lost track).
    fn restart(&mut self) {
        if let Ok(fresh) = Journal::start(&self.workspace, self.capacity) {
            *self = fresh;
            self.seen = Reader::lost("the change journal restarted");
        } else {
            self.lost = Some("the change journal could not restart".into());
        }
    }

    /// Watches `folder` and every folder under it the walk would read; with
    /// `record`, every file found there counts as touched (a folder new to
    /// the journal).
    fn watch_tree(&mut self, folder: &Path, record: bool) {
        let walked = walk::walk_folder(&self.workspace, folder);
        for found in walked.folders {
            self.watch(&found);
        }
        self.ignored.extend(walked.ignored);
        if record {
            for found in walked.files {
                self.touch(found.path);
            }
        }
    }

    fn watch(&mut self, folder: &Path) {
        let Ok(path) = CString::new(self.workspace.join(folder).as_os_str().as_bytes()) else {
            return;
        };
        // SAFETY: a valid descriptor and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), path.as_ptr(), MASK) };
        if wd >= 0 {
            self.folders.insert(wd, folder.to_path_buf());
            return;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ENOSPC) => {
                self.lost = Some("the inotify watch limit was reached".into());
            }
            // Gone or replaced before it could be watched: its parent's
            // events name it, and it is looked at whole.
            _ => self.touch(folder.to_path_buf()),
        }
    }

    fn touch(&mut self, path: PathBuf) {
        self.for_index.touch(&path, self.capacity);
        if self.touched.paths.len() >= self.capacity {
            self.lost
                .get_or_insert_with(|| "more changes than the change journal keeps".into());
            return;
        }
        self.seen.touch(&path, self.capacity);
        self.touched.paths.insert(path);
    }

    /// Reads every queued event.
    fn drain(&mut self) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: reads into a buffer we own, at most its length.
            let read = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                )
            };
            let Ok(length) = usize::try_from(read) else {
                return;
            };
            if length == 0 {
                return;
            }
            self.events(&buffer[..length]);
        }
    }

    /// Handles the events in `bytes`, as read from the descriptor.
    fn events(&mut self, bytes: &[u8]) {
        let header = std::mem::size_of::<libc::inotify_event>();
        let mut at = 0;
        while at + header <= bytes.len() {
            // SAFETY: the kernel wrote a whole event header at `at`; it may
            // be unaligned in our buffer, hence the unaligned read.
            let event: libc::inotify_event =
                unsafe { std::ptr::read_unaligned(bytes[at..].as_ptr().cast()) };
            let name_end = (at + header + event.len as usize).min(bytes.len());
            let name = &bytes[at + header..name_end];
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            self.event(event.wd, event.mask, OsStr::from_bytes(name));
            at = name_end;
        }
    }

    fn event(&mut self, wd: i32, mask: u32, name: &OsStr) {
        if mask & libc::IN_Q_OVERFLOW != 0 {
            self.lost = Some("the change journal's queue overflowed".into());
            return;
        }
        if mask & libc::IN_IGNORED != 0 {
            self.folders.remove(&wd);
            return;
        }
        let Some(folder) = self.folders.get(&wd).cloned() else {
            return;
        };
        if mask & (libc::IN_DELETE_SELF | libc::IN_MOVE_SELF) != 0 {
            self.touch(folder);
            return;
        }
        let path = folder.join(name);
        let is_dir = mask & libc::IN_ISDIR != 0;
        if is_dir && mask & (libc::IN_CREATE | libc::IN_MOVED_TO) != 0 {
            self.watch_tree(&path, true);
        }
        self.touch(path);
    }
}
