//! The prompt editor: a multi-line text area (ratatui-textarea) with
//! history (Up and Down at the first and last line, Ctrl+R to search it)
//! and completion of slash commands and `@paths` (Tab). Enter sends;
//! Alt+Enter, Shift+Enter or Ctrl+J starts a new line.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use super::complete::{Completion, complete};

/// Lines of the editor shown at most; more scroll inside it.
pub const MAX_VISIBLE_LINES: u16 = 6;

/// A reverse search through the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// What is searched for.
    pub query: String,
    /// The history entry found, if any.
    pub hit: Option<usize>,
}

/// What a key did in the editor.
#[derive(Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text was sent.
    Submit(String),
    /// Anything else.
    Handled,
}

/// The editor and what it remembers.
pub struct Editor {
    area: TextArea<'static>,
    history: Vec<String>,
    browsing: Option<usize>,
    draft: String,
    /// The reverse search in progress.
    pub search: Option<Search>,
    /// The completion offered for the word under the cursor.
    pub completion: Option<Completion>,
    commands: Vec<(String, String)>,
    workspace: PathBuf,
}

impl Editor {
    /// An empty editor that completes `commands` and paths of `workspace`,
    /// with `history` (oldest first) to browse.
    pub fn new(
        commands: Vec<(String, String)>,
        workspace: PathBuf,
        history: Vec<String>,
    ) -> Editor {
        let mut area = TextArea::default();
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.set_cursor_line_style(Style::new());
        Editor {
            area,
            history,
            browsing: None,
            draft: String::new(),
            search: None,
            completion: None,
            commands,
            workspace,
        }
    }

    /// The text being written.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// True when nothing is written.
    pub fn is_empty(&self) -> bool {
        self.area.is_empty()
    }

    /// Replaces the text, with the cursor at its end.
    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let mut area = TextArea::new(lines);
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.set_cursor_line_style(Style::new());
        area.set_placeholder_text(self.area.placeholder_text().to_string());
        area.set_placeholder_style(self.area.placeholder_style().unwrap_or_default());
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        self.area = area;
        self.refresh_completion();
    }

    /// Sets the hint shown while the editor is empty.
    pub fn set_placeholder(&mut self, text: &str, style: Style) {
        if self.area.placeholder_text() != text {
            self.area.set_placeholder_text(text);
            self.area.set_placeholder_style(style);
        }
    }

    /// The widget to draw.
    pub fn widget(&self) -> &TextArea<'static> {
        &self.area
    }

    /// Screen lines the text needs, up to [`MAX_VISIBLE_LINES`].
    pub fn height(&self) -> u16 {
        (self.area.lines().len() as u16).clamp(1, MAX_VISIBLE_LINES)
    }

    /// Handles a key meant for the editor.
    pub fn key(&mut self, key: KeyEvent) -> Edit {
        if self.search.is_some() {
            self.search_key(key);
            return Edit::Handled;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let newline = key
            .modifiers
            .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Enter if newline => self.area.insert_newline(),
            KeyCode::Char('j') if ctrl => self.area.insert_newline(),
            KeyCode::Enter => {
                let text = self.text();
                if text.trim().is_empty() {
                    return Edit::Handled;
                }
                self.remember(&text);
                self.set_text("");
                return Edit::Submit(text);
            }
            KeyCode::Char('r') if ctrl => {
                self.search = Some(Search {
                    query: String::new(),
                    hit: None,
                });
                return Edit::Handled;
            }
            KeyCode::Tab if self.completion.is_some() => {
                self.accept_completion();
                return Edit::Handled;
            }
            KeyCode::Up if self.completion.is_some() => {
                self.step_completion(-1);
                return Edit::Handled;
            }
            KeyCode::Down if self.completion.is_some() => {
                self.step_completion(1);
                return Edit::Handled;
            }
            KeyCode::Up if self.area.cursor().0 == 0 => self.browse(-1),
            KeyCode::Down if self.area.cursor().0 + 1 >= self.area.lines().len() => self.browse(1),
            _ => {
                self.area.input(key);
            }
        }
        self.refresh_completion();
        Edit::Handled
    }

    /// Inserts pasted text as it is (newlines included).
    pub fn paste(&mut self, text: &str) {
        self.area
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
        self.refresh_completion();
    }

    /// Closes the completion list; true when one was open.
    pub fn close_completion(&mut self) -> bool {
        self.completion.take().is_some()
    }

    fn remember(&mut self, text: &str) {
        if self.history.last().map(String::as_str) != Some(text) {
            self.history.push(text.to_string());
        }
        self.browsing = None;
    }

    /// Moves through the history: -1 older, 1 newer (back to the draft).
    fn browse(&mut self, step: isize) {
        if self.history.is_empty() {
            return;
        }
        let next = match (self.browsing, step < 0) {
            (None, true) => {
                self.draft = self.text();
                Some(self.history.len() - 1)
            }
            (None, false) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < self.history.len() => Some(i + 1),
            (Some(_), false) => None,
        };
        self.browsing = next;
        let text = match next {
            Some(i) => self.history[i].clone(),
            None => std::mem::take(&mut self.draft),
        };
        self.set_text(&text);
    }

    fn search_key(&mut self, key: KeyEvent) {
        let Some(search) = self.search.as_mut() else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let before = match key.code {
            KeyCode::Esc => {
                self.search = None;
                return;
            }
            KeyCode::Enter => {
                let found = search.hit.map(|i| self.history[i].clone());
                self.search = None;
                if let Some(text) = found {
                    self.set_text(&text);
                }
                return;
            }
            KeyCode::Char('r') if ctrl => search.hit.unwrap_or(self.history.len()),
            KeyCode::Backspace => {
                search.query.pop();
                self.history.len()
            }
            KeyCode::Char(c) if !ctrl => {
                search.query.push(c);
                self.history.len()
            }
            _ => return,
        };
        let query = search.query.clone();
        search.hit = self.history[..before.min(self.history.len())]
            .iter()
            .rposition(|entry| !query.is_empty() && entry.contains(&query))
            .or(search.hit.filter(|_| before < self.history.len()));
    }

    /// The history entry the search found.
    pub fn search_hit(&self) -> Option<&str> {
        let hit = self.search.as_ref()?.hit?;
        self.history.get(hit).map(String::as_str)
    }

    fn refresh_completion(&mut self) {
        let cursor = self.area.cursor();
        let (row, col) = (cursor.0, cursor.1);
        self.completion = match self.area.lines().get(row) {
            Some(line) if self.area.lines().len() == 1 || !line.starts_with('/') => {
                complete(line, col, &self.commands, &self.workspace)
            }
            _ => None,
        };
    }

    fn step_completion(&mut self, step: isize) {
        if let Some(completion) = self.completion.as_mut() {
            completion.step(step);
        }
    }

    fn accept_completion(&mut self) {
        let cursor = self.area.cursor();
        let (row, col) = (cursor.0, cursor.1);
        let Some(line) = self.area.lines().get(row).cloned() else {
            return;
        };
        let Some((replaced, cursor)) = self.completion.as_ref().and_then(|c| c.apply(&line, col))
        else {
            return;
        };
        let mut lines = self.area.lines().to_vec();
        lines[row] = replaced;
        self.set_text(&lines.join("\n"));
        self.area
            .move_cursor(CursorMove::Jump(row as u16, cursor as u16));
        self.refresh_completion();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(editor: &mut Editor, text: &str) {
        for c in text.chars() {
            editor.key(key(KeyCode::Char(c)));
        }
    }

    fn editor(history: &[&str]) -> Editor {
        let history = history.iter().map(|h| h.to_string()).collect();
        Editor::new(
            vec![("/quit".into(), String::new())],
            PathBuf::from("/nonexistent"),
            history,
        )
    }

    #[test]
    fn enter_sends_and_alt_enter_breaks_the_line() {
        let mut e = editor(&[]);
        typed(&mut e, "one");
        e.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
        typed(&mut e, "two");
        assert_eq!(e.height(), 2);
        assert_eq!(e.key(key(KeyCode::Enter)), Edit::Submit("one\ntwo".into()));
        assert!(e.is_empty());
        assert_eq!(e.key(key(KeyCode::Enter)), Edit::Handled, "nothing to send");
    }

    #[test]
    fn history_is_browsed_and_searched() {
        let mut e = editor(&["fix the tests", "run mypy"]);
        typed(&mut e, "draft");
        e.key(key(KeyCode::Up));
        assert_eq!(e.text(), "run mypy");
        e.key(key(KeyCode::Up));
        assert_eq!(e.text(), "fix the tests");
        e.key(key(KeyCode::Down));
        e.key(key(KeyCode::Down));
        assert_eq!(e.text(), "draft");
        e.key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
        typed(&mut e, "tests");
        assert_eq!(e.search_hit(), Some("fix the tests"));
        e.key(key(KeyCode::Enter));
        assert_eq!(e.text(), "fix the tests");
        assert!(e.search.is_none());
    }

    #[test]
    fn tab_takes_the_completion() {
        let mut e = editor(&[]);
        typed(&mut e, "/q");
        assert!(e.completion.is_some());
        e.key(key(KeyCode::Tab));
        assert_eq!(e.text(), "/quit ");
    }
}
