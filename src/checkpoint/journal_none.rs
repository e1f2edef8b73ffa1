//! No change journal where there is no inotify: every snapshot walks, and
//! says so.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// See the Linux journal.
pub const DEFAULT_CAPACITY: usize = 200_000;

/// What changed since the journal was last drained.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Paths something touched.
    pub paths: BTreeSet<PathBuf>,
}

/// What changed since the sandbox last asked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Paths something touched.
    pub paths: Vec<PathBuf>,
    /// Folders not watched.
    pub ignored: Vec<PathBuf>,
}

/// A journal that never starts.
pub struct Journal;

impl Journal {
    /// Always an error: this platform has no inotify.
    pub fn start(_workspace: &Path, _capacity: usize) -> std::io::Result<Journal> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this platform has no inotify",
        ))
    }

    /// Never reached: a journal cannot start.
    pub fn take(&mut self) -> Result<Touched, String> {
        Err("this platform has no inotify".into())
    }

    /// Never reached: a journal cannot start.
    pub fn take_for_index(&mut self) -> Result<Vec<PathBuf>, String> {
        Err("this platform has no inotify".into())
    }

    /// Never reached: a journal cannot start.
    pub fn take_seen(&mut self) -> Result<Seen, String> {
        Err("this platform has no inotify".into())
    }
}
