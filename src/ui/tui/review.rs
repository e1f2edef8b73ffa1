//! Supervised mode's review in the terminal UI: the turn's diffs are in
//! the transcript (a panel), and this view, where an approval would be,
//! lists the changed files and asks with keys, as approvals do: `y`
//! accepts all, `n` rejects all (then a reason for the model, optional),
//! `f` goes through the files with `y`/`n` each. The decision goes to the
//! chat controller ([`crate::chat::Chat::review`]), which applies it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::text::{clean, wrap};
use super::theme::Theme;
use crate::chat::ReviewDecision;
use crate::engine::events::ReviewFile;

/// Where the person is in deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Choosing y, n or f.
    Choose,
    /// Deciding file N (from 0).
    File(usize),
    /// Typing the reason for what was rejected.
    Reason(String),
}

/// The open review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewView {
    /// The files changed, with their line counts.
    pub files: Vec<ReviewFile>,
    /// Rejected so far.
    pub rejected: Vec<String>,
    /// How far the decision has got.
    pub stage: Stage,
}

impl ReviewView {
    /// A view of the changes in `files`.
    pub fn new(files: Vec<ReviewFile>) -> ReviewView {
        ReviewView {
            files,
            rejected: Vec::new(),
            stage: Stage::Choose,
        }
    }

    /// Handles a key; the decision once it is made.
    pub fn key(&mut self, key: KeyEvent) -> Option<ReviewDecision> {
        match &mut self.stage {
            Stage::Choose => match key.code {
                KeyCode::Char('y' | 'Y') => return Some(ReviewDecision::accept_all()),
                KeyCode::Char('n' | 'N') => {
                    self.rejected = self.files.iter().map(|f| f.path.clone()).collect();
                    self.stage = Stage::Reason(String::new());
                }
                KeyCode::Char('f' | 'F') => self.stage = Stage::File(0),
                _ => {}
            },
            Stage::File(index) => {
                let index = *index;
                let keep = match key.code {
                    KeyCode::Char('y' | 'Y') => true,
                    KeyCode::Char('n' | 'N') => false,
                    KeyCode::Esc => {
                        self.back();
                        return None;
                    }
                    _ => return None,
                };
                if !keep && let Some(file) = self.files.get(index) {
                    self.rejected.push(file.path.clone());
                }
                self.stage = match (index + 1 < self.files.len(), self.rejected.is_empty()) {
                    (true, _) => Stage::File(index + 1),
                    (false, true) => return Some(ReviewDecision::accept_all()),
                    (false, false) => Stage::Reason(String::new()),
                };
            }
            Stage::Reason(text) => match key.code {
                KeyCode::Enter => {
                    let reason = Some(text.trim().to_string()).filter(|r| !r.is_empty());
                    return Some(ReviewDecision {
                        rejected: std::mem::take(&mut self.rejected),
                        reason,
                    });
                }
                KeyCode::Esc => self.back(),
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                }
                _ => {}
            },
        }
        None
    }

    /// Back to the first question, nothing decided.
    fn back(&mut self) {
        self.rejected.clear();
        self.stage = Stage::Choose;
    }

    /// The view as lines `width` columns wide.
    pub fn render(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(vec![
            Span::styled("? ", theme.ask),
            Span::styled(
                format!(
                    "the turn changed {} file(s): keep them? (diffs above)",
                    self.files.len()
                ),
                theme.ask,
            ),
        ])];
        for (index, file) in self.files.iter().enumerate() {
            let mark = match (&self.stage, self.rejected.contains(&file.path)) {
                (_, true) => Span::styled("✗ ", theme.deny),
                (Stage::File(at), false) if *at > index => Span::styled("✓ ", theme.allow),
                (Stage::File(at), false) if *at == index => Span::styled("› ", theme.ask),
                _ => Span::raw("  "),
            };
            let counts = Span::styled(format!("+{} -{} ", file.added, file.removed), theme.dim);
            let path = Span::styled(
                format!("{} ({})", clean(&file.path), file.status),
                theme.text,
            );
            lines.extend(wrap(
                vec![mark, counts, path],
                width,
                &[Span::raw("  ")],
                &[Span::raw("    ")],
            ));
        }
        lines.extend(self.prompt(width, theme));
        lines
    }

    fn prompt(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let keys = match &self.stage {
            Stage::Choose => vec![
                Span::styled("y", theme.allow),
                Span::raw(" accept all  "),
                Span::styled("n", theme.deny),
                Span::raw(" reject all…  "),
                Span::styled("f", theme.ask),
                Span::raw(" per file…"),
            ],
            Stage::File(index) => vec![
                Span::styled(
                    format!(
                        "keep {}? ",
                        clean(self.files.get(*index).map_or("", |f| f.path.as_str()))
                    ),
                    theme.ask,
                ),
                Span::styled("y", theme.allow),
                Span::raw(" keep  "),
                Span::styled("n", theme.deny),
                Span::raw(" put back  "),
                Span::styled("Esc starts over", theme.dim),
            ],
            Stage::Reason(text) => vec![
                Span::styled(
                    "reject; reason for the model (Enter sends, empty for none): ",
                    theme.deny,
                ),
                Span::styled(clean(text), theme.text),
                Span::styled("▏", theme.accent),
            ],
        };
        wrap(keys, width, &[], &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> ReviewFile {
        ReviewFile {
            path: path.into(),
            status: "modified".into(),
            added: 1,
            removed: 1,
            diff: String::new(),
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn per_file_answers_reject_exactly_those_files_with_the_reason() {
        let mut view = ReviewView::new(vec![file("a.txt"), file("b.txt")]);
        assert_eq!(view.key(key(KeyCode::Char('f'))), None);
        assert_eq!(view.key(key(KeyCode::Char('y'))), None);
        assert_eq!(view.key(key(KeyCode::Char('n'))), None);
        for c in "not b".chars() {
            view.key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            view.key(key(KeyCode::Enter)),
            Some(ReviewDecision {
                rejected: vec!["b.txt".into()],
                reason: Some("not b".into()),
            })
        );
    }

    #[test]
    fn y_accepts_all_and_n_rejects_all() {
        let mut view = ReviewView::new(vec![file("a.txt")]);
        assert_eq!(
            view.key(key(KeyCode::Char('y'))),
            Some(ReviewDecision::accept_all())
        );
        let mut view = ReviewView::new(vec![file("a.txt"), file("b.txt")]);
        view.key(key(KeyCode::Char('n')));
        let decision = view.key(key(KeyCode::Enter)).unwrap();
        assert_eq!(decision.rejected, ["a.txt", "b.txt"]);
        assert_eq!(decision.reason, None);
    }
}
