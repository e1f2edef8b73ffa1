//! Approvals in the terminal UI. The session asks on a blocking thread;
//! [`TuiApprover`] sends the question to the UI thread over a channel and
//! waits for the answer. The view shows the call, every reason the policy
//! gave (with the rule and where it is written), and offers `y` (once),
//! `n` (refuse, with an optional reason for the model) and `t` (trust),
//! where `t` lists exactly the trust options the policy offers for this
//! call, narrowest first. The UI adds no rule of its own.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::text::{clean, wrap};
use super::theme::Theme;
use super::transcript::{by_subject, describe_call, diff_style, mark, verdict_style};
use crate::engine::{Answer, Approver, Question};
use crate::policy::{Reason, ToolCall, TrustOption, Verdict};

/// Lines of a write's content shown before it is approved.
const PREVIEW_LINES: usize = 12;

/// A question from the session to the person.
#[derive(Debug)]
pub struct ApprovalRequest {
    /// The call.
    pub call: ToolCall,
    /// Why the policy asks.
    pub reasons: Vec<Reason>,
    /// What may be trusted, narrowest first.
    pub options: Vec<TrustOption>,
    /// Where the answer goes; dropping it refuses the call.
    pub reply: oneshot::Sender<Answer>,
}

/// The session's side: asks the UI thread and waits.
pub struct TuiApprover {
    requests: mpsc::UnboundedSender<ApprovalRequest>,
}

/// An approver for the session and the receiving end for the UI. The
/// trust options come with each question, from the session's policy as it
/// is then.
pub fn channel() -> (TuiApprover, mpsc::UnboundedReceiver<ApprovalRequest>) {
    let (requests, receiver) = mpsc::unbounded_channel();
    (TuiApprover { requests }, receiver)
}

impl Approver for TuiApprover {
    fn ask(&mut self, question: &Question) -> Answer {
        let (reply, answer) = oneshot::channel();
        let request = ApprovalRequest {
            call: question.call.clone(),
            reasons: question.reasons.clone(),
            options: question.options.clone(),
            reply,
        };
        if self.requests.send(request).is_err() {
            return Answer::Refuse(None);
        }
        answer.blocking_recv().unwrap_or(Answer::Refuse(None))
    }
}

/// Where the person is in answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Choosing y, n or t.
    Choose,
    /// Typing the reason for a refusal.
    Reason(String),
    /// Picking what to trust.
    Trust(usize),
}

/// An open question on screen.
#[derive(Debug)]
pub struct ApprovalView {
    /// The question.
    pub request: ApprovalRequest,
    /// How far the answer has got.
    pub stage: Stage,
}

/// What a key did to the question.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still open.
    Open,
    /// Answered: send this, and note it on the call's card.
    Answered(Answer, String),
}

impl ApprovalView {
    /// A view of `request`.
    pub fn new(request: ApprovalRequest) -> ApprovalView {
        ApprovalView {
            request,
            stage: Stage::Choose,
        }
    }

    /// Handles a key.
    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        let options = &self.request.options;
        match &mut self.stage {
            Stage::Choose => match key.code {
                KeyCode::Char('y' | 'Y') => Outcome::Answered(Answer::Once, "approved once".into()),
                KeyCode::Char('n' | 'N') => {
                    self.stage = Stage::Reason(String::new());
                    Outcome::Open
                }
                KeyCode::Char('t' | 'T') if !options.is_empty() => {
                    self.stage = Stage::Trust(0);
                    Outcome::Open
                }
                _ => Outcome::Open,
            },
            Stage::Reason(text) => match key.code {
                KeyCode::Enter => {
                    let reason = Some(text.trim().to_string()).filter(|r| !r.is_empty());
                    let note = match &reason {
                        Some(why) => format!("refused: {why}"),
                        None => "refused".into(),
                    };
                    Outcome::Answered(Answer::Refuse(reason), note)
                }
                KeyCode::Esc => {
                    self.stage = Stage::Choose;
                    Outcome::Open
                }
                KeyCode::Backspace => {
                    text.pop();
                    Outcome::Open
                }
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.clear();
                    Outcome::Open
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    Outcome::Open
                }
                _ => Outcome::Open,
            },
            Stage::Trust(selected) => {
                let pick = match key.code {
                    KeyCode::Up | KeyCode::Char('k') => {
                        *selected = selected.saturating_sub(1);
                        None
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(options.len().saturating_sub(1));
                        None
                    }
                    KeyCode::Enter => Some(*selected),
                    KeyCode::Char(c @ '1'..='9') => {
                        Some(c as usize - '1' as usize).filter(|i| *i < options.len())
                    }
                    KeyCode::Esc => {
                        self.stage = Stage::Choose;
                        None
                    }
                    _ => None,
                };
                match pick.and_then(|i| options.get(i)) {
                    Some(option) => Outcome::Answered(
                        Answer::Trust(option.grants.clone()),
                        format!("trusted {}", option.label),
                    ),
                    None => Outcome::Open,
                }
            }
        }
    }

    /// The view as lines `width` columns wide.
    pub fn render(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let call = &self.request.call;
        let mut lines = vec![Line::from(vec![
            Span::styled("? ", theme.ask),
            Span::styled(clean(&call.tool), theme.accent),
            Span::styled(" needs your approval", theme.ask),
        ])];
        let indent = [Span::raw("  ")];
        for line in describe_call(&call.tool, &call.input) {
            lines.extend(wrap(
                vec![Span::styled(line, theme.text)],
                width,
                &indent,
                &indent,
            ));
        }
        lines.extend(preview(&call.input, width, theme));
        for (subject, reasons) in by_subject(&self.request.reasons) {
            for reason in reasons {
                lines.extend(reason_lines(subject.as_deref(), reason, width, theme));
            }
        }
        lines.extend(self.prompt_lines(width, theme));
        lines
    }

    fn prompt_lines(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let options = &self.request.options;
        match &self.stage {
            Stage::Choose => {
                let mut keys = vec![
                    Span::styled("y", theme.allow),
                    Span::raw(" once  "),
                    Span::styled("n", theme.deny),
                    Span::raw(" refuse…  "),
                ];
                if options.is_empty() {
                    keys.push(Span::styled("(nothing here can be trusted)", theme.dim));
                } else {
                    keys.push(Span::styled("t", theme.ask));
                    keys.push(Span::raw(" trust…  "));
                }
                keys.push(Span::styled("Esc cancels the turn", theme.dim));
                wrap(keys, width, &[], &[])
            }
            Stage::Reason(text) => wrap(
                vec![
                    Span::styled(
                        "refuse; reason for the model (Enter sends, empty for none): ",
                        theme.deny,
                    ),
                    Span::styled(clean(text), theme.text),
                    Span::styled("▏", theme.accent),
                ],
                width,
                &[],
                &[],
            ),
            Stage::Trust(selected) => {
                let mut lines = vec![Line::styled(
                    "trust for this session (deny rules always hold):",
                    theme.ask,
                )];
                for (i, option) in options.iter().enumerate() {
                    let style = if i == *selected {
                        theme.selected
                    } else {
                        theme.text
                    };
                    lines.extend(wrap(
                        vec![Span::styled(clean(&option.label), style)],
                        width,
                        &[Span::styled(format!(" {} ", i + 1), theme.ask)],
                        &[Span::raw("   ")],
                    ));
                }
                lines.push(Line::styled("Enter or 1-9 picks, Esc goes back", theme.dim));
                lines
            }
        }
    }
}

/// One reason with its rule and where the rule is written.
fn reason_lines(
    subject: Option<&str>,
    reason: &Reason,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let style = verdict_style(reason.verdict, theme);
    let mut spans = vec![Span::styled(format!("{} ", mark(reason.verdict)), style)];
    if let Some(subject) = subject {
        spans.push(Span::styled(format!("{} ", clean(subject)), theme.text));
    }
    spans.push(Span::styled(format!("· {}", clean(&reason.message)), style));
    if let (Some(pattern), Some(rule)) = (&reason.pattern, &reason.rule) {
        spans.push(Span::styled(
            format!(
                " (rule `{}` at {})",
                clean(pattern),
                clean(&rule.to_string())
            ),
            theme.dim,
        ));
    }
    let first = [Span::raw("  ")];
    let rest = [Span::raw("    ")];
    if reason.verdict == Verdict::Allow {
        spans.iter_mut().skip(1).for_each(|s| s.style = theme.dim);
    }
    wrap(spans, width, &first, &rest)
}

/// What a write will do, before it runs: the text it adds, as diff lines.
fn preview(input: &Value, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let field = |key: &str| input.get(key).and_then(Value::as_str);
    let mut diff: Vec<String> = Vec::new();
    if let Some(old) = field("old_str") {
        diff.extend(old.split('\n').map(|l| format!("-{l}")));
    }
    for key in ["new_str", "content"] {
        if let Some(new) = field(key) {
            diff.extend(
                new.trim_end_matches('\n')
                    .split('\n')
                    .map(|l| format!("+{l}")),
            );
        }
    }
    let total = diff.len();
    let gutter = [Span::styled("  │ ", theme.border)];
    let mut lines: Vec<Line<'static>> = diff
        .iter()
        .take(PREVIEW_LINES)
        .flat_map(|line| {
            wrap(
                vec![Span::styled(clean(line), diff_style(line, theme))],
                width,
                &gutter,
                &gutter,
            )
        })
        .collect();
    if total > PREVIEW_LINES {
        lines.push(Line::styled(
            format!("  │ … {} more lines", total - PREVIEW_LINES),
            theme.dim,
        ));
    }
    lines
}
