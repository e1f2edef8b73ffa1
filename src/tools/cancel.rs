//! Cancelling the tool calls that are running, and only those.
//!
//! A cancelled turn's future is dropped, but a tool on a blocking thread
//! goes on until told. A flag raised and lowered again cannot tell "running
//! now" from "started later": lowered too soon, the running command is not
//! stopped; left up, it kills the next turn's commands. So cancelling
//! counts instead: each call notes the count when it is handed to its
//! thread, and is cancelled once the count has moved on. Nothing is ever
//! lowered, no one waits, and a call handed over before a cancel but
//! started after it is cancelled too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A session's cancel switch, or one call's view of it.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    /// How many times calls were cancelled, shared by the session's calls.
    count: Arc<AtomicU64>,
    /// The count when this call was handed over; `None` for the session's
    /// own switch, which is never cancelled itself.
    since: Option<u64>,
}

impl Cancel {
    /// Cancels every call handed over before now.
    pub fn cancel_running(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// The view of a call handed over now: cancelled by any
    /// [`Cancel::cancel_running`] from now on. A call's view is kept as it
    /// is, so taking it again when the call starts changes nothing.
    pub fn for_call(&self) -> Cancel {
        Cancel {
            count: self.count.clone(),
            since: Some(
                self.since
                    .unwrap_or_else(|| self.count.load(Ordering::SeqCst)),
            ),
        }
    }

    /// Whether this call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.since
            .is_some_and(|since| self.count.load(Ordering::SeqCst) != since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_reaches_the_calls_handed_over_before_it_and_no_later_one() {
        let session = Cancel::default();
        let running = session.for_call();
        let started_late = running.for_call();
        assert!(!running.is_cancelled());
        session.cancel_running();
        assert!(running.is_cancelled());
        assert!(started_late.is_cancelled(), "its view was taken before");
        assert!(!session.for_call().is_cancelled(), "the next call runs");
        assert!(!session.is_cancelled(), "the switch itself never is");
    }
}
