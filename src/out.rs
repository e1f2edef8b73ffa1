//! Standard output that a closed pipe cannot crash: `agent … | head -1`
//! goes on quietly when the reader has gone, instead of panicking as
//! `println!` does. Everything the binary prints to stdout goes through
//! here; once stdout is closed, further output is dropped.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it; nothing once the reader has
/// closed the pipe.
pub fn print(text: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written
        && e.kind() == ErrorKind::BrokenPipe
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` and a line break to stdout (see [`print()`]).
pub fn line(text: &str) {
    print(&format!("{text}\n"));
}

/// `text` with control characters escaped (`\u{1b}` and the like), so that
/// text from a model or a command line cannot drive the terminal.
pub fn escape_control(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
