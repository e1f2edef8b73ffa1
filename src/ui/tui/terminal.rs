//! Taking over the terminal and giving it back: raw mode, the alternate
//! screen and bracketed paste on the way in; all of it undone on the way
//! out, when the guard drops, and from a panic hook, so a crash of the UI
//! never leaves the shell in raw mode.

use std::io::{self, Stdout, stdout};
use std::sync::OnceLock;
use std::thread::ThreadId;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// The terminal the UI draws on.
pub type Screen = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct Guard {
    /// The terminal to draw on.
    pub screen: Screen,
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Switches the terminal to the UI's mode; the guard switches it back.
pub fn enter() -> io::Result<Guard> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(error) = execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste, Hide) {
        restore();
        return Err(error);
    }
    match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(screen) => Ok(Guard { screen }),
        Err(error) => {
            restore();
            Err(error)
        }
    }
}

/// Puts the terminal back as the shell had it; safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen, Show);
}

/// Restores the terminal before a panic on the UI's thread is reported
/// (a panic on a tool's thread is the session's to report; the UI goes on).
fn install_panic_hook() {
    static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();
    if UI_THREAD.set(std::thread::current().id()).is_err() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if UI_THREAD.get() == Some(&std::thread::current().id()) {
            restore();
        }
        previous(info);
    }));
}
