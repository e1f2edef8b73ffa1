//! A session: the conversation and the parts it runs with. The turn loop
//! is in [`super::turn`], the one path of every tool call in
//! [`super::dispatch`], and its checkpoints in `checkpoints`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::checkpoint::CheckpointStore;
use crate::policy::{Decision, Mode, ToolCall};
use crate::provider::Message;
use crate::tools::ToolContext;

use super::dispatch::{Caller, Dispatched, Request};
use super::events::Event;
use super::limits::{Budget, Limits};
use super::repetition::Repetition;
use super::setup::{SessionSetup, Steering};

/// Where events go: each surface passes its own.
pub type Emit<'a> = dyn FnMut(Event) + Send + 'a;

/// How long the conversation was at each turn checkpoint (turn number to
/// message count), so restoring a checkpoint can cut the conversation back
/// to it.
pub type ConversationMarks = BTreeMap<u64, usize>;

/// The running turn's checkpoint numbers.
#[derive(Debug, Clone, Copy)]
pub(super) struct TurnTags {
    /// The turn's number: its checkpoint at the end is `N`.
    pub(super) number: u64,
    /// Tool checkpoints taken in it so far (`N.1`, `N.2`, …).
    pub(super) tool_checkpoints: u32,
}

impl TurnTags {
    /// The tag the next tool checkpoint of the turn gets.
    pub(super) fn next_tool_tag(&self) -> String {
        format!("{}.{}", self.number, self.tool_checkpoints + 1)
    }
}

/// Where tool checkpoints go while a `subagent` call runs: under that
/// call's own tag, so a child's calls inside the parent's call `N.M` are
/// `N.M.1`, `N.M.2`, … in the parent's store, and restoring one undoes
/// what came after it, the children's work included.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// The `subagent` call's tag (`N.M`).
    pub(super) tag: String,
    /// Checkpoints taken under it so far, shared by its children and the
    /// parent's writes that bring their worktrees' changes back (they
    /// take turns: writers in the workspace run one at a time).
    pub(super) taken: Arc<AtomicU32>,
    /// The child whose calls (or changes brought back) these are, named
    /// in the checkpoints' descriptions (`None`: the parent's own calls).
    pub(super) child: Option<String>,
}

impl Scope {
    /// A scope for the call whose checkpoint would be `tag`.
    pub(super) fn new(tag: String) -> Scope {
        Scope {
            tag,
            taken: Arc::default(),
            child: None,
        }
    }

    /// The same scope, for the child `child`'s calls.
    pub(super) fn for_child(&self, child: &str) -> Scope {
        Scope {
            child: Some(child.to_string()),
            ..self.clone()
        }
    }

    /// The tag the next checkpoint under it gets.
    pub(super) fn next_tag(&self) -> String {
        format!("{}.{}", self.tag, self.taken.load(Ordering::SeqCst) + 1)
    }

    /// How many checkpoints were taken under it.
    pub(super) fn taken(&self) -> u32 {
        self.taken.load(Ordering::SeqCst)
    }

    /// A checkpoint's description for a call described as `what`.
    pub(super) fn describe(&self, what: String) -> String {
        match &self.child {
            Some(child) => format!("child {child}: {what}"),
            None => what,
        }
    }
}

/// One conversation with the model.
pub struct Session {
    pub(super) setup: SessionSetup,
    pub(super) messages: Vec<Message>,
    pub(super) marks: ConversationMarks,
    /// Whether the `agentSpawn` hooks ran.
    pub(super) spawned: bool,
    /// The running turn's checkpoint numbers (`None` between turns, or
    /// when checkpoints are off).
    pub(super) turn: Option<TurnTags>,
    /// For a child session sharing its parent's workspace: its calls'
    /// checkpoints go under the parent's `subagent` call (`N.M.k`), and
    /// its turn takes none of its own.
    pub(super) child_scope: Option<Scope>,
    /// While this session's `subagent` call runs: its children's changes
    /// applied here are checkpointed under that call (`N.M.k`).
    pub(super) call_scope: Option<Scope>,
    /// A goal's planning turn is running (`set_checks` is a tool).
    pub(super) planning: bool,
    /// The newest checkpoint when the last turn started (after the
    /// checkpoint of changes made outside the agent): the files as they
    /// were before that turn.
    pub(super) turn_base: Option<String>,
    /// Calls made by someone other than the model so far, for their ids.
    calls: u64,
    /// What the run spent, against its limits.
    pub(super) budget: Budget,
    /// The model's repeated calls (this turn's, or a goal's).
    pub(super) repetition: Repetition,
    /// Agents running in the background for `delegate`.
    pub(super) delegates: super::subagents::delegate::Delegates,
}

impl Session {
    /// A session that continues `messages` (empty for a new one), whose
    /// turn checkpoints were at `marks`.
    pub fn new(setup: SessionSetup, messages: Vec<Message>, marks: ConversationMarks) -> Session {
        let session = Session {
            setup,
            messages,
            marks,
            spawned: false,
            turn: None,
            child_scope: None,
            call_scope: None,
            planning: false,
            turn_base: None,
            calls: 0,
            budget: Budget::new(Limits::default()),
            repetition: Repetition::default(),
            delegates: Default::default(),
        };
        session.replay_todo();
        session
    }

    /// Rebuilds the todo lists from the conversation's successful
    /// `todo_list` calls, after the conversation was resumed or cut back.
    fn replay_todo(&self) {
        let failed: std::collections::HashSet<&str> = self
            .messages
            .iter()
            .filter_map(|m| match m {
                Message::ToolResult { id, is_error, .. } if *is_error => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let calls = self.messages.iter().flat_map(|m| match m {
            Message::Assistant { tool_calls, .. } => tool_calls.as_slice(),
            _ => &[],
        });
        let todo = calls.filter(|call| {
            crate::tools::registry::find(&call.name).is_some_and(|t| t.name() == "todo_list")
                && !failed.contains(call.id.as_str())
        });
        self.setup
            .tools
            .session
            .todo
            .replay(todo.map(|call| &call.input));
    }

    /// Bounds the run from now on (`--max-turns` and friends).
    pub fn set_limits(&mut self, limits: Limits) {
        self.budget = Budget::new(limits);
    }

    /// Forgets the model's repeated calls (a goal starting: one count for
    /// all its turns).
    pub fn forget_repetitions(&mut self) {
        self.repetition.clear();
    }

    /// The conversation so far, for saving.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The conversation's length at each turn checkpoint, for saving.
    pub fn marks(&self) -> &ConversationMarks {
        &self.marks
    }

    /// Decides `call` as the policy would now, with the session's trust, as
    /// when nobody can be asked (the goal loop judges its checks with it
    /// before any work starts). Nothing runs.
    pub fn decide_unattended(&self, call: &ToolCall) -> Decision {
        self.setup
            .policy
            .decide(call, &self.setup.trust, Mode::Unattended)
    }

    /// Dispatches a call made by `caller` (not the model): `!command`,
    /// `/context add`, a goal's check. It takes the same path as the
    /// model's calls, under an id of its own.
    pub async fn call(
        &mut self,
        caller: Caller,
        tool: &str,
        input: serde_json::Value,
        emit: &mut Emit<'_>,
    ) -> Dispatched {
        // Only ever between turns: a turn that was cancelled left no turn.
        self.turn = None;
        self.call_scope = None;
        self.planning = false;
        self.calls += 1;
        let prefix = match caller {
            Caller::Model => "model",
            Caller::User => "user",
            Caller::Goal => "goal",
        };
        let request = Request {
            id: format!("{prefix}-{}", self.calls),
            name: tool.to_string(),
            raw_input: input.to_string(),
            input,
            caller,
        };
        self.dispatch(request, emit).await
    }

    /// The tools' context (its cancel handle stops running commands).
    pub fn tool_context(&self) -> ToolContext {
        self.setup.tools.clone()
    }

    /// Makes paths read-only while a goal runs (`None` lifts it).
    pub fn protect_for_goal(&mut self, globs: Option<crate::policy::protect::PathGlobs>) {
        self.setup.policy.protect_for_goal(globs);
    }

    /// The steering queue, to push messages into while a turn runs.
    pub fn steering(&self) -> Steering {
        self.setup.steering.clone()
    }

    /// Drops the conversation after its first `length` messages (an
    /// interrupted turn).
    pub fn truncate(&mut self, length: usize) {
        self.messages.truncate(length);
        self.replay_todo();
    }

    /// The session's parts (policy, trust, model), for surfaces to show.
    pub fn setup(&self) -> &SessionSetup {
        &self.setup
    }

    /// The session's parts, for slash commands that change them between
    /// turns (`/tools trust`, `/model`).
    pub fn setup_mut(&mut self) -> &mut SessionSetup {
        &mut self.setup
    }

    /// Goes on with another agent's parts (`/agent swap`), keeping what
    /// belongs to the chat (see [`SessionSetup::carry_over`]).
    pub fn swap_setup(&mut self, mut setup: SessionSetup) {
        setup.carry_over(&mut self.setup);
        self.setup = setup;
        self.spawned = false;
    }

    /// Elides old tool outputs until the conversation fits `budget_tokens`
    /// (`/compact`); returns how many were elided.
    pub fn compact(&mut self, budget_tokens: usize) -> usize {
        super::context::compact(&mut self.messages, budget_tokens)
    }

    /// The checkpoint of the files as they were before the last turn
    /// started (supervised mode reviews what changed since); `None` when
    /// checkpoints are off or that turn was cancelled before it took it.
    pub fn turn_base(&self) -> Option<&str> {
        self.turn_base.as_deref()
    }

    /// The workspace's checkpoint store, when checkpoints are on.
    pub fn checkpoints(&self) -> Option<Arc<Mutex<CheckpointStore>>> {
        self.setup.checkpoints.clone()
    }

    /// Turns checkpoints on (after `/checkpoint init` in a workspace that
    /// had to wait for it).
    pub fn enable_checkpoints(&mut self, store: Arc<Mutex<CheckpointStore>>) {
        self.setup.checkpoints = Some(store);
        self.setup.follow_checkpoints();
    }

    /// Cuts the conversation back to checkpoint `tag`: to the end of turn
    /// `N` for a turn checkpoint, to the start of turn `N` for a tool
    /// checkpoint `N.M` (its turn was still running), to the start of the
    /// session for a checkpoint older than it. Returns the messages kept.
    pub fn rewind_to(&mut self, tag: &str) -> usize {
        let (turn, inside) = match tag.split_once('.') {
            Some((turn, _)) => (turn, true),
            None => (tag, false),
        };
        let turn = turn.parse::<u64>().unwrap_or(0);
        let kept = match (inside, self.marks.get(&turn)) {
            (false, Some(length)) => *length,
            _ => self
                .marks
                .range(..turn)
                .next_back()
                .map_or(0, |(_, length)| *length),
        };
        self.messages.truncate(kept);
        self.marks
            .retain(|mark, _| *mark < turn || (!inside && *mark == turn));
        self.replay_todo();
        kept
    }

    /// The event that opens the session.
    pub fn start_event(&self) -> Event {
        Event::SessionStart {
            agent: self.setup.policy.config().name.clone(),
            model: self.setup.model_id.clone(),
            tools: self
                .setup
                .definitions
                .iter()
                .map(|d| d.name.clone())
                .collect(),
        }
    }

    /// The MCP servers of this session (`/mcp`).
    pub fn mcp(&self) -> &crate::mcp::McpServers {
        &self.setup.mcp
    }

    /// The hooks this session runs (`/hooks`).
    pub fn hooks(&self) -> &crate::hooks::HookSet {
        &self.setup.hooks
    }

    /// The agent this session runs (`/context show` lists its resources).
    pub fn agent(&self) -> &crate::config::AgentConfig {
        self.setup.policy.config()
    }
}
