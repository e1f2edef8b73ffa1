//! The surfaces: thin consumers of the engine's events.

pub mod headless;
pub mod line;
pub mod tui;

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
