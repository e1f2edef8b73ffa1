//! A sub-agent's card in the transcript: which agent runs which task, its
//! status while it runs and how it ended, and the calls it made, each
//! marked with the policy's verdict. Folded, the card keeps its last few
//! calls; unfolded (`expanded`), all of them and its whole answer.

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::text::{clean, truncate};
use super::theme::Theme;
use crate::policy::Verdict;

/// Calls a folded card shows (the most recent).
const FOLDED_CALLS: usize = 3;
/// Lines of the answer a folded card shows.
const FOLDED_ANSWER_LINES: usize = 2;

/// A sub-agent as the transcript shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildCard {
    /// The child's id (`CALL/TASK`).
    pub id: String,
    /// The agent it runs.
    pub agent: String,
    /// Its task.
    pub task: String,
    /// `running` until it ends, then `completed`, `failed` or `refused`.
    pub status: String,
    /// Its calls so far: the verdict and a one-line summary of each.
    pub calls: Vec<(Verdict, String)>,
    /// Its final answer, once it ended.
    pub answer: Option<String>,
    /// Files it changed, once it ended.
    pub changed: Vec<String>,
}

impl ChildCard {
    /// A card for a child that just started.
    pub fn started(id: String, agent: String, task: String) -> ChildCard {
        ChildCard {
            id,
            agent,
            task,
            status: "running".into(),
            calls: Vec::new(),
            answer: None,
            changed: Vec::new(),
        }
    }

    /// Notes the child's call of `tool` with `input`, judged `decision`.
    pub fn called(&mut self, tool: &str, input: &Value, decision: Verdict) {
        let shown = ["command", "path", "query", "pattern"]
            .iter()
            .find_map(|key| input.get(*key).and_then(Value::as_str))
            .map_or_else(|| tool.to_string(), |what| format!("{tool} {what}"));
        self.calls.push((decision, shown));
    }

    /// The card as screen lines `width` columns wide.
    pub fn render(&self, width: usize, theme: &Theme, expanded: bool) -> Vec<Line<'static>> {
        let status_style = match self.status.as_str() {
            "running" => theme.ask,
            "completed" => theme.allow,
            _ => theme.deny,
        };
        let header = format!("◆ sub-agent {} · {} · ", self.id, self.agent);
        let count = format!(" · {} call(s)", self.calls.len());
        let mut lines = vec![Line::from(vec![
            Span::styled(clean(&header), theme.accent),
            Span::styled(self.status.clone(), status_style),
            Span::styled(count, theme.dim),
        ])];
        let indent = |text: &str, style| {
            Line::from(Span::styled(
                truncate(&format!("  {}", clean(text)), width),
                style,
            ))
        };
        lines.push(indent(
            self.task.lines().next().unwrap_or_default(),
            theme.dim,
        ));
        let skip = match expanded {
            true => 0,
            false => self.calls.len().saturating_sub(FOLDED_CALLS),
        };
        if skip > 0 {
            lines.push(indent(&format!("… {skip} earlier call(s)"), theme.dim));
        }
        for (verdict, call) in self.calls.iter().skip(skip) {
            let (mark, style) = match verdict {
                Verdict::Allow => ("✓", theme.allow),
                Verdict::Ask => ("?", theme.ask),
                Verdict::Deny => ("✗", theme.deny),
            };
            lines.push(indent(&format!("{mark} {call}"), style));
        }
        if !self.changed.is_empty() {
            lines.push(indent(
                &format!("changed: {}", self.changed.join(", ")),
                theme.text,
            ));
        }
        if let Some(answer) = &self.answer {
            let shown = match expanded {
                true => usize::MAX,
                false => FOLDED_ANSWER_LINES,
            };
            for line in answer.trim().lines().take(shown) {
                lines.push(indent(line, theme.text));
            }
        }
        lines.push(Line::default());
        lines
    }
}
