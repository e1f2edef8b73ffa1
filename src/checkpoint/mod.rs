//! Checkpoints: a shadow bare git repository per workspace, outside it,
//! that snapshots the tree at the start of a session, after every tool call
//! that changed it, and at the end of every turn, so any of those states
//! can be looked at and put back.
//!
//! Tags follow Kiro: turn checkpoints are `1`, `2`, … (the first is the
//! baseline), and tool checkpoints inside turn `N` are `N.1`, `N.2`, ….

mod cache;
mod compare;
mod gc;
mod history;
#[cfg(target_os = "linux")]
mod journal;
#[cfg(not(target_os = "linux"))]
#[path = "journal_none.rs"]
mod journal;
mod restore;
pub mod sessions;
mod snapshot;
pub mod store;
mod walk;

pub use gc::{MAX_STORE_BYTES, SessionUsage};
pub use journal::DEFAULT_CAPACITY as JOURNAL_CAPACITY;
pub use sessions::SessionInfo;
pub use store::{
    BASELINE, Checkpoint, CheckpointError, CheckpointStore, FileChange, MAX_FILE_BYTES, OUTSIDE,
    Restored,
};
