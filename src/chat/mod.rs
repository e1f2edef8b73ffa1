//! The chat controller: the one owner of a chat's session, its slash
//! commands, turns, goals, `!commands`, saving and cancelling. The line
//! mode, the terminal UI and headless mode only drive it (they hand it
//! what the person typed and a way to cancel) and show the events it
//! emits; no rule lives in a surface.
//!
//! - [`start`]: a chat from the command line's options (the agent, trust
//!   for the workspace's hooks and servers, the model, the saved session).
//! - [`slash`]: the slash commands, parsed as the command line is
//!   (`/spec` runs in `spec`);
//!   [`checkpoint`] is `/checkpoint`, shared with `agent checkpoint`.

pub mod agents;
pub mod checkpoint;
mod commands;
pub mod review;
pub mod slash;
mod spec;
pub mod start;

use std::future::Future;
use std::path::PathBuf;

use crate::engine::events::UsageTotals;
use crate::engine::store::{SavedSession, SessionStore};
use crate::engine::{Caller, Emit, Event, Session, TurnError};
use crate::goal::{GoalReport, GoalSpec};
use crate::settings::Settings;
use crate::tools::ToolOutput;

pub use commands::{context_use, model, overview_text, percent};
pub use review::{ChatMode, PendingReview, ReviewDecision, ReviewTexts};
pub use slash::Reply;

/// Why the controller could not do something, with the exit code it
/// stands for in the binary's one table ([`crate::exit`]).
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// Bad input: an unknown agent, model or checkpoint, an invalid file.
    #[error("{0}")]
    Usage(String),
    /// Something failed at run time.
    #[error("{0}")]
    Runtime(String),
    /// `--require-mcp-startup` was given and a server did not start.
    #[error("{0}")]
    McpStartup(String),
}

impl ChatError {
    /// A usage error.
    pub fn usage(message: impl std::fmt::Display) -> ChatError {
        ChatError::Usage(message.to_string())
    }

    /// A run-time failure.
    pub fn runtime(message: impl std::fmt::Display) -> ChatError {
        ChatError::Runtime(message.to_string())
    }

    /// The binary's exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ChatError::Usage(_) => crate::exit::USAGE,
            ChatError::Runtime(_) => crate::exit::RUNTIME,
            ChatError::McpStartup(_) => crate::exit::MCP_STARTUP_FAILED,
        }
    }
}

/// Every agent-file problem is bad input.
impl From<crate::config::ConfigError> for ChatError {
    fn from(error: crate::config::ConfigError) -> ChatError {
        ChatError::usage(error)
    }
}

/// What an interactive or headless chat is working on.
pub struct Chat {
    /// The conversation and its engine.
    pub session: Session,
    /// Where it is saved.
    pub saved: SavedSession,
    /// The workspace's saved sessions.
    pub sessions: SessionStore,
    /// The folder chat started in.
    pub cwd: PathBuf,
    /// The data folder (checkpoint stores).
    pub data: PathBuf,
    /// The user's settings (model endpoints for `/model`).
    pub settings: Settings,
    /// Tokens used by this chat's turns.
    pub usage: UsageTotals,
    /// The last turn's average prompt size as the model reported it, for
    /// the context estimate.
    pub last_prompt_tokens: u64,
    /// The last goal's report, for `/goal` alone.
    pub last_goal: Option<GoalReport>,
    /// The agent the chat ran before the last swap: where a planner's
    /// `switch_to_execution` hands its plan.
    pub previous_agent: Option<String>,
    /// Autopilot or supervised (`chat.mode`, `/mode`).
    mode: ChatMode,
    /// The last turn's changes, waiting for review (supervised mode).
    pending: Option<PendingReview>,
    /// What the model is told with the next prompt about rejected changes.
    review_note: Option<String>,
}

/// What came of one line the person sent.
#[derive(Debug)]
pub enum Handled {
    /// `/quit`: leave.
    Quit,
    /// A slash command's text to show.
    Shown(String),
    /// A slash command that could not do what was asked; why.
    Refused(String),
    /// A turn ended (its events were emitted); the model's last text, or
    /// why it failed.
    Turn(Result<String, TurnError>),
    /// A goal ended with this report.
    Goal(Box<GoalReport>),
    /// A spec run ended with this report.
    Spec(Box<crate::spec::SpecReport>),
    /// A `!command` ran (or was refused); its result, as the events showed
    /// it.
    Command(ToolOutput),
    /// Cancelled: the running turn was left out of the conversation and
    /// its commands killed.
    Cancelled,
}

impl Chat {
    /// Handles one line: a slash command, a `!command` or a prompt. The
    /// work stops when `cancel` resolves (a goal still ends with its
    /// report, a `!command` with its killed result).
    pub async fn handle(
        &mut self,
        line: &str,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        let line = line.trim();
        if line.starts_with('/') {
            return match slash::run(self, line) {
                Ok(Reply::Quit) => Handled::Quit,
                Ok(Reply::Show(text)) => Handled::Shown(text),
                Ok(Reply::Goal(words)) => self.goal_command(&words, emit, cancel).await,
                Ok(Reply::Spec(command)) => self.spec(&command, emit, cancel).await,
                Ok(Reply::ContextAdd(paths)) => {
                    Handled::Shown(commands::context_add(self, &paths, emit).await)
                }
                Ok(Reply::McpReconnect(name)) => match self.session.mcp().reconnect(&name).await {
                    Ok(text) => Handled::Shown(text + "\n"),
                    Err(why) => Handled::Refused(format!("{why}\n")),
                },
                Err(error) => Handled::Refused(error.to_string()),
            };
        }
        if let Some(command) = line.strip_prefix('!') {
            return Handled::Command(self.command(command.trim(), emit, cancel).await);
        }
        self.turn(line, emit, cancel).await
    }

    /// One turn for `prompt`; cancelled, it is left out of the
    /// conversation. The chat is saved after it. A turn that ended with
    /// `switch_to_execution` is followed by the plan's turn, run by the
    /// agent the plan is handed to (see [`Chat::hand_off`]). In supervised
    /// mode the changes of both are then held for review (see [`review`]),
    /// and a turn is refused while an earlier one's still wait.
    pub async fn turn(
        &mut self,
        prompt: &str,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        if self.pending.is_some() {
            return Handled::Refused(
                "the last turn's changes wait for review: accept or reject them first\n".into(),
            );
        }
        tokio::pin!(cancel);
        let note = self.review_note.take();
        let mut prompt = match &note {
            Some(note) => format!("{note}\n\n{prompt}"),
            None => prompt.to_string(),
        };
        let mut base = None;
        let handled = loop {
            let handled = self.one_turn(&prompt, emit, cancel.as_mut()).await;
            if base.is_none() {
                base = Some(self.session.turn_base().map(str::to_string));
                if matches!(handled, Handled::Cancelled) {
                    self.review_note = note.clone();
                }
            }
            if !matches!(handled, Handled::Turn(Ok(_))) {
                break handled;
            }
            let Some(plan) = self.session.tool_context().session.handoff.take() else {
                break handled;
            };
            match self.hand_off(emit) {
                Ok(()) => prompt = format!("Implement this plan:\n{plan}"),
                Err(why) => {
                    emit(Event::Warning {
                        message: format!("the plan could not be handed off: {why}"),
                    });
                    break handled;
                }
            }
        };
        if self.mode == ChatMode::Supervised {
            self.hold_for_review(base.flatten(), emit).await;
        }
        handled
    }

    /// Swaps to the agent a plan goes to, as Kiro does: the agent the chat
    /// ran before (unless that is the planner itself), else the default
    /// agent (`chat.defaultAgent`, else the built-in `default`).
    fn hand_off(&mut self, emit: &mut Emit<'_>) -> Result<(), ChatError> {
        let planner = self.saved.agent.clone();
        let target = self
            .previous_agent
            .clone()
            .filter(|previous| *previous != planner)
            .or_else(|| self.settings.text("chat.defaultAgent").map(str::to_string))
            .unwrap_or_else(|| "default".to_string());
        commands::agent_swap(self, &target)?;
        emit(Event::AgentSwitched {
            agent: self.saved.agent.clone(),
            previous: planner,
        });
        Ok(())
    }

    /// One turn, without the hand-off.
    async fn one_turn(
        &mut self,
        prompt: &str,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        let before = self.session.messages().len();
        let mut usage = UsageTotals::default();
        let result = {
            let mut counted = |event: Event| {
                if let Event::TurnEnd { usage: turn, .. } = &event {
                    usage = *turn;
                }
                emit(event);
            };
            tokio::select! {
                result = self.session.run_turn(prompt, &mut counted) => Some(result),
                () = cancel => None,
            }
        };
        self.add_turn_usage(usage);
        let handled = match result {
            Some(result) => Handled::Turn(result),
            None => {
                self.session.tool_context().cancel.cancel_running();
                self.session.truncate(before);
                Handled::Cancelled
            }
        };
        self.save_or_warn(emit);
        handled
    }

    /// Runs a goal; when `cancel` resolves the goal stops, and still ends
    /// with its report. The chat is saved after it.
    pub async fn goal(
        &mut self,
        spec: &GoalSpec,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> GoalReport {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = crate::goal::run(&mut self.session, spec, stopped, emit);
        let report = to_the_end(running, stop, cancel).await;
        self.add_turn_usage(report.usage);
        self.last_goal = Some(report.clone());
        self.save_or_warn(emit);
        report
    }

    /// `/goal …`: `/goal` alone shows the last report, `/goal clear` says
    /// there is nothing to clear, anything else runs a goal.
    async fn goal_command(
        &mut self,
        words: &str,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        match words.trim() {
            "" => Handled::Shown(match &self.last_goal {
                Some(report) => report.to_text(),
                None => "no goal has run in this chat\n".into(),
            }),
            "clear" => Handled::Shown(
                "no goal is running (Ctrl-C, or Esc in the terminal UI, cancels a running goal)\n"
                    .into(),
            ),
            _ => match GoalSpec::parse_line(words) {
                Ok(spec) => Handled::Goal(Box::new(self.goal(&spec, emit, cancel).await)),
                Err(message) => Handled::Refused(message),
            },
        }
    }

    /// `!COMMAND`: a shell call the person makes, through the dispatcher
    /// like any other (the policy judges it for a person who is there: a
    /// deny rule refuses it, what would ask is asked). When `cancel`
    /// resolves, the command is killed and its result still comes back.
    pub async fn command(
        &mut self,
        command: &str,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> ToolOutput {
        if command.is_empty() {
            return ToolOutput::error("`!COMMAND` runs a shell command through the agent's policy");
        }
        let canceller = self.session.tool_context().cancel;
        let input = serde_json::json!({ "command": command });
        let running = self.session.call(Caller::User, "shell", input, emit);
        tokio::pin!(running);
        let dispatched = tokio::select! {
            dispatched = &mut running => dispatched,
            () = cancel => {
                canceller.cancel_running();
                running.await
            }
        };
        dispatched.output
    }

    /// Saves the conversation; a failure is returned as a warning to show.
    pub fn save(&mut self) -> Option<String> {
        self.save_failure().map(|why| format!("warning: {why}\n"))
    }

    /// Saves the conversation; why it failed, if it did.
    fn save_failure(&mut self) -> Option<String> {
        self.saved.messages = self.session.messages().to_vec();
        self.saved.marks = self.session.marks().clone();
        self.saved
            .save()
            .err()
            .map(|e| format!("the session could not be saved: {e}"))
    }

    /// Saves, emitting a warning when it fails.
    fn save_or_warn(&mut self, emit: &mut Emit<'_>) {
        if let Some(message) = self.save_failure() {
            emit(Event::Warning { message });
        }
    }

    /// Messages steered into a turn that ended before they were folded in;
    /// the surface sends them as the next prompt.
    pub fn unsent_steering(&self) -> Vec<String> {
        self.session.steering().take()
    }

    /// Counts a finished turn's usage.
    pub fn add_turn_usage(&mut self, turn: UsageTotals) {
        self.usage.input_tokens += turn.input_tokens;
        self.usage.output_tokens += turn.output_tokens;
        self.usage.requests += turn.requests;
        if let Some(average) = turn.input_tokens.checked_div(turn.requests) {
            self.last_prompt_tokens = average;
        }
    }
}

/// Runs `running` to its end; when `cancel` resolves first, `stop` tells
/// it to stop, and it still ends with its report.
async fn to_the_end<T>(
    running: impl Future<Output = T>,
    stop: tokio::sync::watch::Sender<bool>,
    cancel: impl Future<Output = ()>,
) -> T {
    tokio::pin!(running);
    tokio::select! {
        report = &mut running => report,
        () = cancel => {
            let _ = stop.send(true);
            running.await
        }
    }
}
