//! The typed events a session emits. Every surface (plain text, JSON, the
//! terminal UI) is a consumer of these; no rule lives in a UI.

pub mod goal;
pub mod spec;

use serde::Serialize;
use serde_json::Value;

use crate::policy::{Reason, Verdict};
use crate::provider::Usage;

/// Something that happened in a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The session is ready.
    SessionStart {
        /// The agent's name.
        agent: String,
        /// The model id.
        model: String,
        /// The tools the model is offered.
        tools: Vec<String>,
    },
    /// A piece of the model's reply.
    TextDelta {
        /// The text.
        text: String,
    },
    /// A request failed and is being retried; text streamed since the last
    /// model request is void.
    Retrying {
        /// The attempt about to start.
        attempt: u32,
        /// Why.
        reason: String,
    },
    /// A tool was called (by the model, the person or the goal loop), and
    /// the policy and hooks decided.
    ToolCall {
        /// The call's id.
        id: String,
        /// Who called it.
        caller: crate::engine::dispatch::Caller,
        /// The tool, by its canonical name.
        tool: String,
        /// Its input.
        input: Value,
        /// Allow, ask or deny.
        decision: Verdict,
        /// Why.
        reasons: Vec<Reason>,
    },
    /// The model wrote a tool call or an edit as text instead of calling a
    /// tool; it was taken as the call `id` (a `ToolCall` event follows).
    Recovered {
        /// The call's id.
        id: String,
        /// The tool.
        tool: String,
        /// The text form it was read from.
        form: crate::engine::recover::Form,
    },
    /// A tool's result (or the refusal sent back), exactly as the caller
    /// receives it.
    ToolResult {
        /// The call's id.
        id: String,
        /// What the model (or the person) is told.
        output: String,
        /// True for a failure or a refusal.
        is_error: bool,
        /// The shell command's exit code, when there was one.
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
    },
    /// What a `code` call found, or the diagnostics a language server
    /// published after a write, as data beside the `ToolResult` text (which
    /// follows it): symbols listed, or a file's diagnostics.
    Code {
        /// The call's id.
        id: String,
        /// What it found.
        report: crate::code::report::CodeReport,
    },
    /// The model's todo list changed (`todo_list`): the list it works on
    /// now, whole.
    Todo {
        /// The list.
        list: crate::tools::todo::TodoList,
    },
    /// A checkpoint was taken.
    Checkpoint {
        /// `N` for a turn, `N.M` for a tool call.
        tag: String,
        /// What it marks.
        description: String,
        /// Files added since the checkpoint before.
        added: usize,
        /// Files changed.
        modified: usize,
        /// Files deleted.
        deleted: usize,
        /// Why it walked the whole workspace instead of looking only at
        /// the paths the change journal or the tool named.
        #[serde(skip_serializing_if = "Option::is_none")]
        full_walk: Option<String>,
    },
    /// No checkpoint was taken after call `id`, which could otherwise
    /// have changed files, and why: `read_only`, a shell command the
    /// policy judged read-only that ran in a sandbox holding the workspace
    /// read-only, so there was nothing to look for (no walk, no journal).
    CheckpointSkipped {
        /// The call.
        id: String,
        /// Why: `read_only`.
        reason: String,
    },
    /// A message the user sent while the turn ran was folded into the
    /// conversation at a tool boundary.
    Steered {
        /// The message.
        text: String,
    },
    /// `switch_to_execution` handed a plan off: the chat now runs `agent`,
    /// and its next turn is the plan.
    AgentSwitched {
        /// The agent now running.
        agent: String,
        /// The agent that made the plan.
        previous: String,
    },
    /// A goal moved on: `plan`, `implement` or `verify` of an iteration.
    GoalProgress {
        /// The phase starting.
        phase: String,
        /// The iteration (0 while planning).
        iteration: u32,
        /// Iterations allowed.
        max: u32,
        /// What is happening, for people.
        detail: String,
    },
    /// A goal ended.
    GoalEnd {
        /// Everything it ended with.
        report: Box<goal::GoalReport>,
    },
    /// A spec run ended (`/spec run`).
    SpecEnd {
        /// Every task it ran, and how it ended.
        report: Box<spec::SpecReport>,
    },
    /// Something went wrong that does not stop the turn (a checkpoint
    /// could not be taken, say).
    Warning {
        /// What.
        message: String,
    },
    /// The turn failed (the model unreachable, its retries spent, or
    /// interrupted); the conversation so far is kept.
    Error {
        /// What went wrong.
        message: String,
    },
    /// A sub-agent started.
    ChildStart {
        /// Its id: the `subagent` call's id, `/`, the task's name.
        child: String,
        /// The agent it runs.
        agent: String,
        /// Its prompt.
        task: String,
        /// The git worktree it works in, when it has its own.
        #[serde(skip_serializing_if = "Option::is_none")]
        worktree: Option<String>,
    },
    /// Something happened in a sub-agent's session.
    Child {
        /// The child's id.
        child: String,
        /// What happened.
        event: Box<Event>,
    },
    /// A sub-agent ended.
    ChildEnd {
        /// The child's id.
        child: String,
        /// The agent it ran.
        agent: String,
        /// `completed`, `failed` or `refused` (it could not start).
        status: String,
        /// Its final answer, or what went wrong.
        answer: String,
        /// Files it changed.
        changed_files: Vec<String>,
        /// How many of its calls were refused.
        refusals: usize,
    },
    /// Supervised mode: the turn changed these files, and they wait for
    /// the person to accept or reject them (`Chat::review`).
    Review {
        /// Each file changed since the turn started, by path.
        files: Vec<ReviewFile>,
    },
    /// The model ended its turn.
    TurnEnd {
        /// Its final text for this turn.
        text: String,
        /// Tokens used by the whole turn.
        usage: UsageTotals,
    },
}

/// One file a turn changed, as supervised mode shows it for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewFile {
    /// The path, relative to the workspace.
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub status: String,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
    /// The unified diff from before the turn to its end.
    pub diff: String,
}

/// Token counts added up over a turn's requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsageTotals {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Reply tokens.
    pub output_tokens: u64,
    /// Model requests made.
    pub requests: u64,
    /// Milliseconds spent waiting for the model (requests and streaming,
    /// retries included), to tell the harness's own time apart.
    pub model_ms: u64,
}

impl UsageTotals {
    /// Adds one request's usage.
    pub fn add(&mut self, usage: Usage) {
        self.input_tokens += usage.input_tokens;
        self.output_tokens += usage.output_tokens;
        self.requests += 1;
    }
}
