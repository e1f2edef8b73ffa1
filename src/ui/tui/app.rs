//! The terminal UI's state: the transcript, the status line's facts, the
//! editor, an open approval, and what the person has queued or steered.
//! Engine events are folded in by [`App::apply`]; keys are turned into
//! [`Action`]s for the event loop by [`App::key`]. Nothing here touches the
//! terminal, so tests drive it directly and render it into a test backend.

use std::collections::VecDeque;
use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::approval::{ApprovalRequest, ApprovalView, Outcome};
use super::child::ChildCard;
use super::input::{Edit, Editor};
use super::render::Cache;
use super::review::ReviewView;
use super::theme::Theme;
use super::transcript::{Entry, Notice, ToolCard, ToolResult};
use crate::chat::ReviewDecision;
use crate::engine::{Caller, Event, Steering};

/// Where messages typed while the agent works go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// Into the running turn, at its next tool boundary.
    Steer,
    /// Sent as the next prompt once the turn ends.
    Queue,
}

/// A goal being worked on, for the status line (the goal loop sets it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalStatus {
    /// The iteration running, from 1.
    pub iteration: u32,
    /// The most iterations allowed.
    pub max: u32,
    /// Each check by name, and whether it passed last time (`None`: not
    /// run yet).
    pub checks: Vec<(String, Option<bool>)>,
}

/// The facts the status line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The agent's name.
    pub agent: String,
    /// The model id.
    pub model: String,
    /// The workspace, shortened for display.
    pub workspace: String,
    /// The latest checkpoint's tag.
    pub checkpoint: Option<String>,
    /// The conversation's share of the model's window, in percent.
    pub context_percent: Option<usize>,
    /// What sandbox shell commands run in.
    pub sandbox: String,
    /// The goal in progress, if any.
    pub goal: Option<GoalStatus>,
    /// Supervised mode is on (`/mode`, Shift+Tab).
    pub supervised: bool,
}

/// What the event loop should do after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Send this (a prompt, a `/command` or a `!command`).
    Submit(String),
    /// Cancel the running turn.
    Cancel,
    /// Leave.
    Quit,
}

/// Everything on screen.
pub struct App {
    /// The colours.
    pub theme: Theme,
    /// What happened so far.
    pub transcript: Vec<Entry>,
    /// The status line's facts.
    pub status: Status,
    /// The prompt editor.
    pub editor: Editor,
    /// An approval waiting for the person.
    pub approval: Option<ApprovalView>,
    /// Supervised mode's review of the turn's changes, while it is open.
    pub review: Option<ReviewView>,
    /// The person's decision on the review, for the controller.
    pub reviewed: Option<ReviewDecision>,
    /// When the running turn started; `None` when idle.
    pub working: Option<Instant>,
    /// Steer or queue.
    pub mode: SendMode,
    /// Messages to send after the turn, in order.
    pub queued: VecDeque<String>,
    /// The running session's steering queue (to show what is pending).
    pub steering: Steering,
    /// Long tool outputs shown whole.
    pub expanded: bool,
    /// Screen lines scrolled up from the bottom; 0 follows new output.
    pub scroll: usize,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Rendered transcript lines, kept between frames.
    pub(super) cache: Cache,
    /// The last goal's report, for `/goal` alone.
    pub last_goal: Option<String>,
    /// The model's current todo list, shown above the prompt while any of
    /// its tasks is open.
    pub todo: Option<crate::tools::todo::TodoList>,
}

impl App {
    /// A fresh screen for `status`, with `editor` for input.
    pub fn new(theme: Theme, status: Status, editor: Editor, steering: Steering) -> App {
        App {
            theme,
            transcript: Vec::new(),
            status,
            editor,
            approval: None,
            review: None,
            reviewed: None,
            working: None,
            mode: SendMode::Steer,
            queued: VecDeque::new(),
            steering,
            expanded: false,
            scroll: 0,
            dirty: true,
            cache: Cache::default(),
            last_goal: None,
            todo: None,
        }
    }

    /// Adds an entry at the end of the transcript.
    pub fn push(&mut self, entry: Entry) {
        self.transcript.push(entry);
        self.dirty = true;
    }

    /// Adds a notice.
    pub fn notice(&mut self, kind: Notice, text: impl Into<String>) {
        self.push(Entry::Notice(kind, text.into()));
    }

    /// Folds one engine event into the screen.
    pub fn apply(&mut self, event: Event) {
        self.dirty = true;
        match event {
            Event::SessionStart { agent, model, .. } => {
                self.status.agent = agent;
                self.status.model = model;
            }
            Event::TextDelta { text } => match self.transcript.last_mut() {
                Some(Entry::Assistant(answer)) => {
                    answer.push_str(&text);
                    self.cache.grew(self.transcript.len() - 1);
                }
                _ => self.transcript.push(Entry::Assistant(text)),
            },
            Event::Retrying { attempt, reason } => {
                if let Some(Entry::Assistant(_)) = self.transcript.last() {
                    self.transcript.pop();
                    self.cache.invalidate(self.transcript.len());
                }
                self.notice(
                    Notice::Warning,
                    format!("retrying (attempt {attempt}): {reason}"),
                );
            }
            Event::ToolCall {
                id,
                caller,
                tool,
                input,
                decision,
                reasons,
            } => self.transcript.push(Entry::Tool(ToolCard {
                id,
                tool,
                input,
                decision,
                reasons,
                answer: (caller == Caller::User).then(|| "typed by you".into()),
                result: None,
                code: Vec::new(),
            })),
            Event::Code { id, report } => {
                if let Some(index) = self.card_index(&id)
                    && let Entry::Tool(card) = &mut self.transcript[index]
                {
                    card.code.push(report);
                    self.cache.invalidate(index);
                }
            }
            Event::ToolResult {
                id,
                output,
                is_error,
                exit_code,
            } => {
                if let Some(index) = self.card_index(&id)
                    && let Entry::Tool(card) = &mut self.transcript[index]
                {
                    card.result = Some(ToolResult {
                        output,
                        is_error,
                        exit_code,
                    });
                    self.cache.invalidate(index);
                }
            }
            Event::Checkpoint {
                tag,
                description,
                added,
                modified,
                deleted,
                ..
            } => {
                self.notice(
                    Notice::Checkpoint,
                    format!("checkpoint {tag}: +{added} ~{modified} -{deleted} · {description}"),
                );
                self.status.checkpoint = Some(tag);
            }
            // Nothing to show: no checkpoint was needed.
            Event::CheckpointSkipped { .. } => {}
            Event::Steered { text } => self.notice(Notice::Steered, format!("steered: {text}")),
            Event::AgentSwitched { agent, previous } => self.notice(
                Notice::Info,
                format!("plan handed off: `{agent}` now runs it, after `{previous}`"),
            ),
            Event::Recovered { tool, form, .. } => self.notice(
                Notice::Info,
                format!("{tool} call recovered from the reply's text ({form:?})"),
            ),
            Event::Todo { list } => {
                let done = list.tasks.iter().filter(|t| t.completed).count();
                let summary = format!(
                    "todo list {}: {done}/{} done · {}",
                    list.id,
                    list.tasks.len(),
                    list.description
                );
                self.notice(Notice::Info, summary);
                self.todo = Some(list);
            }
            Event::Warning { message } => self.notice(Notice::Warning, message),
            Event::Error { message } => self.notice(Notice::Error, message),
            Event::TurnEnd { .. } => {}
            Event::Review { files } => {
                let diffs: String = files.iter().map(|f| f.diff.as_str()).collect();
                self.push(Entry::Panel {
                    title: format!("review: the turn changed {} file(s)", files.len()),
                    text: diffs,
                });
                self.review = Some(ReviewView::new(files));
                self.scroll = 0;
            }
            Event::ChildStart {
                child, agent, task, ..
            } => self
                .transcript
                .push(Entry::Child(ChildCard::started(child, agent, task))),
            Event::Child { child, event } => {
                if let Event::ToolCall {
                    tool,
                    input,
                    decision,
                    ..
                } = *event
                {
                    self.update_child(&child, |card| card.called(&tool, &input, decision));
                }
            }
            Event::ChildEnd {
                child,
                status,
                answer,
                changed_files,
                ..
            } => self.update_child(&child, |card| {
                card.status = status;
                card.answer = Some(answer);
                card.changed = changed_files;
            }),
            Event::GoalProgress {
                phase,
                iteration,
                max,
                detail,
            } => {
                let checks = self
                    .status
                    .goal
                    .take()
                    .map(|g| g.checks)
                    .unwrap_or_default();
                self.status.goal = Some(GoalStatus {
                    iteration,
                    max,
                    checks,
                });
                self.notice(
                    Notice::Info,
                    format!("goal {phase} {iteration}/{max}: {detail}"),
                );
            }
            Event::SpecEnd { report } => self.push(Entry::Panel {
                title: format!("spec {} {}", report.name, report.status.name()),
                text: report.to_text(),
            }),
            Event::GoalEnd { report } => {
                self.status.goal = None;
                let text = report.to_text();
                self.last_goal = Some(text.clone());
                self.push(Entry::Panel {
                    title: format!("goal {}", report.status.name()),
                    text,
                });
            }
        }
    }

    /// Changes the card of the sub-agent `id` with `change`.
    fn update_child(&mut self, id: &str, change: impl FnOnce(&mut ChildCard)) {
        let found = self
            .transcript
            .iter()
            .rposition(|e| matches!(e, Entry::Child(card) if card.id == id));
        if let Some(index) = found
            && let Entry::Child(card) = &mut self.transcript[index]
        {
            change(card);
            self.cache.invalidate(index);
        }
    }

    fn card_index(&self, id: &str) -> Option<usize> {
        self.transcript
            .iter()
            .rposition(|e| matches!(e, Entry::Tool(card) if card.id == id))
    }

    /// Opens an approval question.
    pub fn ask(&mut self, request: ApprovalRequest) {
        self.approval = Some(ApprovalView::new(request));
        self.scroll = 0;
        self.dirty = true;
    }

    /// Handles a key.
    pub fn key(&mut self, key: KeyEvent) -> Action {
        self.dirty = true;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => {
                return match (self.working.is_some(), self.editor.is_empty()) {
                    (true, _) => Action::Cancel,
                    (false, true) => Action::Quit,
                    (false, false) => {
                        self.editor.set_text("");
                        Action::None
                    }
                };
            }
            KeyCode::Char('d') if ctrl && self.editor.is_empty() && self.working.is_none() => {
                return Action::Quit;
            }
            KeyCode::Esc if self.working.is_some() && self.editor.search.is_none() => {
                if !self.editor.close_completion() {
                    return Action::Cancel;
                }
                return Action::None;
            }
            KeyCode::Char('s') if ctrl => {
                self.mode = match self.mode {
                    SendMode::Steer => SendMode::Queue,
                    SendMode::Queue => SendMode::Steer,
                };
                return Action::None;
            }
            KeyCode::Char('o') if ctrl => {
                self.expanded = !self.expanded;
                self.cache.clear();
                return Action::None;
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_add(10);
                return Action::None;
            }
            KeyCode::PageDown => {
                self.scroll = self.scroll.saturating_sub(10);
                return Action::None;
            }
            _ => {}
        }
        if let Some(view) = self.approval.as_mut() {
            if let Outcome::Answered(answer, note) = view.key(key)
                && let Some(view) = self.approval.take()
            {
                let id = view.request.call.clone();
                self.note_answer(&id, note);
                let _ = view.request.reply.send(answer);
            }
            return Action::None;
        }
        if let Some(view) = self.review.as_mut() {
            if let Some(decision) = view.key(key) {
                self.review = None;
                self.reviewed = Some(decision);
            }
            return Action::None;
        }
        if key.code == KeyCode::BackTab {
            let mode = match self.status.supervised {
                true => "autopilot",
                false => "supervised",
            };
            return Action::Submit(format!("/mode {mode}"));
        }
        if key.code == KeyCode::Esc {
            self.editor.close_completion();
            self.editor.search = None;
            return Action::None;
        }
        match self.editor.key(key) {
            Edit::Submit(text) => {
                self.scroll = 0;
                Action::Submit(text)
            }
            Edit::Handled => Action::None,
        }
    }

    /// Notes the person's answer on the card of the call asked about (the
    /// last card of that tool without a result).
    fn note_answer(&mut self, call: &crate::policy::ToolCall, note: String) {
        let found = self.transcript.iter().rposition(|e| {
            matches!(e, Entry::Tool(card) if card.result.is_none() && card.tool == call.tool && card.input == call.input)
        });
        if let Some(index) = found
            && let Entry::Tool(card) = &mut self.transcript[index]
        {
            card.answer = Some(note);
            self.cache.invalidate(index);
        }
    }

    /// Drops an open question (the turn was cancelled): the session hears
    /// a refusal.
    pub fn drop_approval(&mut self) {
        if self.approval.take().is_some() {
            self.dirty = true;
        }
    }

    /// Marks the turn as running or finished.
    pub fn set_working(&mut self, working: bool) {
        self.working = working.then(Instant::now);
        self.dirty = true;
    }
}
