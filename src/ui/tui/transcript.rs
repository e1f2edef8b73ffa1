//! The transcript: what was said and done, as entries (prompts, streamed
//! answers, one card per tool call, notices, slash command output), each
//! rendered to screen lines for a width. Cards show the call (a shell line
//! with every simple command the policy judged), the decision with its
//! reasons, and the result; a write's diff is coloured, and long outputs
//! fold to their first lines.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

use super::markdown;
use super::text::{clean, wrap};
use super::theme::Theme;
use crate::code::report::CodeReport;
use crate::policy::{Reason, Verdict};

/// Lines of a tool's output shown while it is folded.
pub const FOLDED_LINES: usize = 8;

/// One thing in the transcript.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A prompt the person sent.
    User(String),
    /// The model's answer (Markdown), growing while it streams.
    Assistant(String),
    /// A tool call and, once it ran, its result.
    Tool(ToolCard),
    /// A one-line event: checkpoint, steering, warning, error, info.
    Notice(Notice, String),
    /// A sub-agent: its task, status and calls.
    Child(super::child::ChildCard),
    /// Output of a slash command or a `!` command, shown as written.
    Panel {
        /// The command that produced it.
        title: String,
        /// Its text.
        text: String,
    },
}

/// The kinds of notice, which decide their mark and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Plain information.
    Info,
    /// A checkpoint was taken.
    Checkpoint,
    /// A message was folded into the running turn.
    Steered,
    /// Something went wrong, and the turn goes on.
    Warning,
    /// The turn failed or was cancelled.
    Error,
}

/// A tool call as the transcript shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCard {
    /// The call's id, to match its result.
    pub id: String,
    /// The tool.
    pub tool: String,
    /// Its input.
    pub input: Value,
    /// The policy's verdict.
    pub decision: Verdict,
    /// The policy's reasons.
    pub reasons: Vec<Reason>,
    /// The person's answer, when the policy asked.
    pub answer: Option<String>,
    /// The result, once the call ran or was refused.
    pub result: Option<ToolResult>,
    /// What a `code` call (or the diagnostics after a write) found, shown
    /// compactly under the result.
    pub code: Vec<CodeReport>,
}

/// What a tool returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    /// What the model was told.
    pub output: String,
    /// True for a failure or a refusal.
    pub is_error: bool,
    /// The shell command's exit code.
    pub exit_code: Option<i32>,
}

impl Entry {
    /// The entry as screen lines `width` columns wide; `expanded` unfolds
    /// long outputs.
    pub fn render(&self, width: usize, theme: &Theme, expanded: bool) -> Vec<Line<'static>> {
        let width = width.max(8);
        let mut lines = match self {
            Entry::User(text) => {
                let mark = Span::styled("› ", theme.user);
                let hang = Span::raw("  ");
                text.split('\n')
                    .enumerate()
                    .flat_map(|(i, line)| {
                        let first = if i == 0 { mark.clone() } else { hang.clone() };
                        wrap(
                            vec![Span::styled(clean(line), theme.user)],
                            width,
                            &[first],
                            std::slice::from_ref(&hang),
                        )
                    })
                    .collect()
            }
            Entry::Assistant(text) => markdown::render(text, width, theme),
            Entry::Tool(card) => card.render(width, theme, expanded),
            Entry::Notice(kind, text) => {
                let (mark, style) = match kind {
                    Notice::Info => ("· ", theme.dim),
                    Notice::Checkpoint => ("◆ ", theme.dim),
                    Notice::Steered => ("↳ ", theme.user),
                    Notice::Warning => ("! ", theme.ask),
                    Notice::Error => ("✗ ", theme.deny),
                };
                wrap(
                    vec![Span::styled(clean(text), style)],
                    width,
                    &[Span::styled(mark, style)],
                    &[Span::raw("  ")],
                )
            }
            Entry::Child(card) => card.render(width, theme, expanded),
            Entry::Panel { title, text } => {
                let bar = Span::styled("│ ", theme.border);
                let mut lines = vec![Line::from(vec![
                    Span::styled("┌ ", theme.border),
                    Span::styled(clean(title), theme.accent),
                ])];
                for line in text.trim_end().split('\n') {
                    let line = clean(line);
                    let hang = [bar.clone(), Span::raw(" ".repeat(hang_width(&line, width)))];
                    lines.extend(wrap(
                        vec![Span::styled(line, theme.text)],
                        width,
                        std::slice::from_ref(&bar),
                        &hang,
                    ));
                }
                lines
            }
        };
        lines.push(Line::default());
        lines
    }
}

impl ToolCard {
    /// `output` without the diagnostics appended after a change, which
    /// the card shows as their reports.
    fn without_reported<'a>(&self, output: &'a str) -> &'a str {
        self.code
            .iter()
            .filter_map(|report| match report {
                CodeReport::Diagnostics { server, .. } => {
                    output.find(&format!("\n{}\n", CodeReport::heading(server)))
                }
                CodeReport::Symbols { .. } => None,
            })
            .min()
            .map_or(output, |end| &output[..end])
    }

    fn render(&self, width: usize, theme: &Theme, expanded: bool) -> Vec<Line<'static>> {
        let style = verdict_style(self.decision, theme);
        let gutter = Span::styled("│ ", style);
        let mut header = vec![
            Span::styled("● ", style),
            Span::styled(clean(&self.tool), theme.accent),
            Span::raw(" "),
            Span::styled(self.decision.to_string(), style),
        ];
        if let Some(answer) = &self.answer {
            header.push(Span::styled(format!(" → {answer}"), theme.dim));
        }
        let mut lines = wrap(header, width, &[], &[Span::raw("  ")]);
        let body = |spans: Vec<Span<'static>>| {
            wrap(
                spans,
                width,
                std::slice::from_ref(&gutter),
                std::slice::from_ref(&gutter),
            )
        };
        for line in describe_call(&self.tool, &self.input) {
            lines.extend(body(vec![Span::styled(line, theme.text)]));
        }
        for (subject, reasons) in by_subject(&self.reasons) {
            let verdict = reasons
                .iter()
                .map(|r| r.verdict)
                .max()
                .unwrap_or(Verdict::Ask);
            let why: Vec<String> = reasons.iter().map(|r| short_reason(r)).collect();
            let mut spans = vec![Span::styled(
                format!("{} ", mark(verdict)),
                verdict_style(verdict, theme),
            )];
            if let Some(subject) = subject {
                spans.push(Span::styled(format!("{} ", clean(&subject)), theme.text));
            }
            spans.push(Span::styled(format!("· {}", why.join("; ")), theme.dim));
            lines.extend(body(spans));
        }
        if let Some(result) = &self.result {
            lines.extend(self.render_result(result, width, theme, expanded, &gutter));
        }
        if !expanded {
            lines.extend(super::code::render(&self.code, width, theme, &gutter));
        }
        lines
    }

    fn render_result(
        &self,
        result: &ToolResult,
        width: usize,
        theme: &Theme,
        expanded: bool,
        gutter: &Span<'static>,
    ) -> Vec<Line<'static>> {
        let refused = self.decision == Verdict::Deny
            || self
                .answer
                .as_deref()
                .is_some_and(|a| a.starts_with("refused"));
        let mut title = match (refused, result.is_error, result.exit_code) {
            (true, _, _) => "refused; the model is told why".to_string(),
            (false, true, Some(code)) => format!("failed, exit {code}"),
            (false, true, None) => "failed".to_string(),
            (false, false, Some(code)) => format!("exit {code}"),
            (false, false, None) => "done".to_string(),
        };
        let output = match expanded {
            true => &result.output,
            false => self.without_reported(&result.output),
        };
        let output = output.trim_end();
        let all: Vec<&str> = if output.is_empty() {
            Vec::new()
        } else {
            output.split('\n').collect()
        };
        if all.is_empty() {
            title.push_str(", no output");
        }
        let title_style = if result.is_error {
            theme.deny
        } else {
            theme.dim
        };
        let mut lines = wrap(
            vec![Span::styled(format!("└ {title}"), title_style)],
            width,
            std::slice::from_ref(gutter),
            std::slice::from_ref(gutter),
        );
        let is_diff = crate::config::tools::canonical(&self.tool) == Some("write");
        // Folded, a `code` call's symbols and diagnostics are shown as
        // their reports instead of the text the model read.
        let compact =
            crate::config::tools::canonical(&self.tool) == Some("code") && !self.code.is_empty();
        let shown = match (expanded, compact) {
            (true, _) => all.len(),
            (false, true) => 0,
            (false, false) => all.len().min(FOLDED_LINES),
        };
        for line in &all[..shown] {
            let style = match (is_diff, result.is_error) {
                (_, true) => theme.deny,
                (true, _) => diff_style(line, theme),
                (false, _) => theme.text,
            };
            lines.extend(wrap(
                vec![Span::styled(clean(line), style)],
                width,
                std::slice::from_ref(gutter),
                std::slice::from_ref(gutter),
            ));
        }
        if shown < all.len() && !compact {
            lines.push(Line::from(vec![
                gutter.clone(),
                Span::styled(
                    format!("… {} more lines (Ctrl+O unfolds)", all.len() - shown),
                    theme.dim,
                ),
            ]));
        }
        lines
    }
}

/// Where a wrapped line of preformatted text goes on: under its indent,
/// or under its second column when it is laid out in columns (a word, two
/// or more spaces, then text), so tables stay readable when they wrap.
fn hang_width(line: &str, width: usize) -> usize {
    let indent = line.len() - line.trim_start().len();
    let column = line
        .trim_start()
        .find("  ")
        .map(|gap| {
            let rest = &line[indent + gap..];
            indent + gap + rest.len() - rest.trim_start().len()
        })
        .filter(|_| indent == 0);
    let hang = column.unwrap_or(indent);
    if hang * 2 > width { 2 } else { hang }
}

/// The colour of a unified diff line.
pub fn diff_style(line: &str, theme: &Theme) -> Style {
    if line.starts_with("+++") || line.starts_with("---") {
        theme.dim
    } else if line.starts_with('+') {
        theme.allow
    } else if line.starts_with('-') {
        theme.deny
    } else if line.starts_with("@@") {
        theme.hunk
    } else {
        theme.text
    }
}

/// The colour of a verdict.
pub fn verdict_style(verdict: Verdict, theme: &Theme) -> Style {
    match verdict {
        Verdict::Allow => theme.allow,
        Verdict::Ask => theme.ask,
        Verdict::Deny => theme.deny,
    }
}

/// A one-character mark for a verdict.
pub fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Allow => "✓",
        Verdict::Ask => "?",
        Verdict::Deny => "✗",
    }
}

/// A reason without its rule's file position (the approval view shows it).
pub fn short_reason(reason: &Reason) -> String {
    match &reason.pattern {
        Some(pattern) => format!("{} (`{}`)", clean(&reason.message), clean(pattern)),
        None => clean(&reason.message),
    }
}

/// The reasons grouped by what they are about (a simple command or a
/// path), in order; reasons about the whole call come last, under `None`.
pub fn by_subject(reasons: &[Reason]) -> Vec<(Option<String>, Vec<&Reason>)> {
    let mut groups: Vec<(Option<String>, Vec<&Reason>)> = Vec::new();
    for reason in reasons {
        match groups.iter_mut().find(|(s, _)| *s == reason.subject) {
            Some((_, list)) => list.push(reason),
            None => groups.push((reason.subject.clone(), vec![reason])),
        }
    }
    groups.sort_by_key(|(subject, _)| subject.is_none());
    groups
}

/// The call's input as a person reads it: `$ line` for the shell, the
/// path and action for files, else compact JSON.
pub fn describe_call(tool: &str, input: &Value) -> Vec<String> {
    let field = |key: &str| input.get(key).and_then(Value::as_str);
    match crate::config::tools::canonical(tool) {
        Some("shell") => match field("command") {
            Some(command) => command
                .split('\n')
                .enumerate()
                .map(|(i, l)| format!("{} {}", if i == 0 { "$" } else { ">" }, clean(l)))
                .collect(),
            None => vec![clean(&input.to_string())],
        },
        Some("write") => vec![format!(
            "{} {}",
            clean(field("command").unwrap_or("write")),
            clean(field("path").unwrap_or("?"))
        )],
        Some("read" | "glob" | "grep") => {
            let mut parts = Vec::new();
            for key in ["pattern", "path"] {
                if let Some(value) = field(key) {
                    parts.push(clean(value));
                }
            }
            vec![parts.join(" in ")]
        }
        Some("code") => {
            let mut parts = vec![clean(field("operation").unwrap_or("?"))];
            for key in ["symbol_name", "pattern", "file_path", "path"] {
                if let Some(value) = field(key) {
                    parts.push(clean(value));
                }
            }
            if let (Some(row), Some(column)) = (input.get("row"), input.get("column")) {
                parts.push(format!("at {row}:{column}"));
            }
            vec![parts.join(" ")]
        }
        _ => vec![clean(&input.to_string())],
    }
}
