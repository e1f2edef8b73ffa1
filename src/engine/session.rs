//! A session: the conversation, and the turn loop that sends it to the
//! model, routes every tool call through the policy and the tools, and
//! sends every result back until the model ends its turn.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::checkpoint::{Checkpoint, CheckpointStore};
use crate::sandbox::fence::Violation;

use crate::policy::{Decision, Mode, Pending, Policy, Reason, ToolCall, Trust};
use crate::provider::retry::{self, GaveUp, RetryPolicy};
use crate::provider::{Client, Message, Request, StreamEvent, ToolDefinition, ToolUse};
use crate::tools::{self, ToolContext, ToolOutput};

use super::events::{Event, UsageTotals};

/// Model requests one turn may make before it is stopped.
pub const MAX_REQUESTS_PER_TURN: usize = 500;
/// Bytes of one tool result sent to the model (head and tail kept).
pub const MAX_TOOL_RESULT_BYTES: usize = 30_000;
/// The context window assumed when the model's is not known (tokens).
pub const DEFAULT_CONTEXT_TOKENS: usize = 128_000;

/// Everything a session needs, fixed for its life.
pub struct SessionSetup {
    /// The rules.
    pub policy: Policy,
    /// The model client.
    pub client: Client,
    /// The model id, for display.
    pub model_id: String,
    /// The tools' context.
    pub tools: ToolContext,
    /// The tool definitions offered to the model.
    pub definitions: Vec<ToolDefinition>,
    /// The system prompt.
    pub system: String,
    /// Trust granted for this session.
    pub trust: Trust,
    /// Whether someone can be asked.
    pub mode: Mode,
    /// How hard to retry model requests.
    pub retry: RetryPolicy,
    /// The model's context window, in tokens; old tool outputs are elided
    /// when the conversation passes three quarters of it.
    pub context_tokens: usize,
    /// The workspace's checkpoint store, when checkpoints are on.
    pub checkpoints: Option<Arc<Mutex<CheckpointStore>>>,
    /// Who answers when the policy asks (interactive chat); without one,
    /// what needs approval is refused.
    pub approver: Option<Arc<Mutex<dyn Approver>>>,
    /// Messages sent while a turn runs, folded in at its next tool boundary.
    pub steering: Steering,
    /// The agent's hooks (those the workspace's trust lets run).
    pub hooks: crate::hooks::HookSet,
    /// The agent's MCP servers, started.
    pub mcp: crate::mcp::McpServers,
}

/// Messages a person sends while a turn runs (steer mode in chat, lines
/// appended to `--steer-file` headless). The turn folds them into the
/// conversation after its current tool calls, before asking the model
/// again, so the model sees them without the turn being cancelled.
#[derive(Debug, Clone, Default)]
pub struct Steering(Arc<Mutex<Vec<String>>>);

impl Steering {
    /// Queues a message for the next tool boundary.
    pub fn push(&self, text: String) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push(text);
        }
    }

    /// The messages still waiting, for display.
    pub fn pending(&self) -> Vec<String> {
        self.0.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// Takes the messages still waiting (the turn ended before a tool
    /// boundary could fold them in, so the surface sends them itself).
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }
}

/// A person's answer to a call the policy asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Run this one call.
    Once,
    /// Run it, and trust this tool for the rest of the session (deny rules
    /// and fences still hold).
    TrustTool,
    /// Run it, and add these grants (from `Policy::trust_options`) to the
    /// session's trust; deny rules still hold.
    Trust(Vec<crate::policy::Grant>),
    /// Refuse it; the reason, if any, goes to the model.
    Refuse(Option<String>),
}

/// Someone who can be asked about a call (the terminal's user).
pub trait Approver: Send {
    /// Shows `call` with the `reasons` it needs approval, and returns the
    /// answer. Runs on a blocking thread, so it may wait for input.
    fn ask(&mut self, call: &ToolCall, reasons: &[Reason]) -> Answer;
}

/// How a turn may run.
#[derive(Debug, Clone)]
pub struct TurnOptions {
    /// Model requests the turn may make.
    pub max_requests: usize,
    /// A goal's planning turn: only the read-only tools and `set_checks`
    /// are offered.
    pub planning: bool,
}

impl Default for TurnOptions {
    fn default() -> TurnOptions {
        TurnOptions {
            max_requests: MAX_REQUESTS_PER_TURN,
            planning: false,
        }
    }
}

/// What a turn ended with.
#[derive(Debug, Clone, Default)]
pub struct TurnOutcome {
    /// The model's last text.
    pub text: String,
    /// Tokens used by the turn.
    pub usage: UsageTotals,
    /// The acceptance checks the model stated with `set_checks` (planning).
    pub checks: Option<Vec<String>>,
}

/// The planning tool through which the model states a goal's checks.
pub const SET_CHECKS: &str = "set_checks";

fn set_checks_definition() -> ToolDefinition {
    ToolDefinition {
        name: SET_CHECKS.into(),
        description: "State the goal's acceptance checks: shell commands that all exit 0 exactly when the goal is met. The program runs them itself after every iteration.".into(),
        input_schema: serde_json::json!({
            "type": "object",
            "properties": {"commands": {"type": "array", "items": {"type": "string"}}},
            "required": ["commands"]
        }),
    }
}

/// Records a `set_checks` call: its tool result, and the commands when the
/// input is well-formed.
fn set_checks(call: &ToolUse) -> (Message, Option<Vec<String>>) {
    let commands: Option<Vec<String>> = call.input["commands"].as_array().and_then(|list| {
        list.iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect()
    });
    let (content, is_error) = match &commands {
        Some(commands) => (
            format!(
                "recorded {} check(s); the program will run them",
                commands.len()
            ),
            false,
        ),
        None => (
            "the input needs `commands`: an array of strings".to_string(),
            true,
        ),
    };
    let result = Message::ToolResult {
        id: call.id.clone(),
        content,
        is_error,
    };
    (result, commands)
}

/// How long the conversation was at each turn checkpoint (turn number to
/// message count), so restoring a checkpoint can cut the conversation back
/// to it.
pub type ConversationMarks = BTreeMap<u64, usize>;

/// One conversation with the model.
pub struct Session {
    setup: SessionSetup,
    messages: Vec<Message>,
    marks: ConversationMarks,
    /// Whether the `agentSpawn` hooks ran.
    spawned: bool,
}

/// Why a turn did not finish.
#[derive(Debug)]
pub enum TurnError {
    /// The model could not be reached, or its retries were spent.
    Model(GaveUp),
    /// The model kept calling tools past the limit.
    TooManyRequests(usize),
}

impl fmt::Display for TurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TurnError::Model(gave_up) => write!(f, "{gave_up}"),
            TurnError::TooManyRequests(limit) => {
                write!(f, "the turn was stopped after {limit} model requests")
            }
        }
    }
}

impl std::error::Error for TurnError {}

impl Session {
    /// A session that continues `messages` (empty for a new one), whose
    /// turn checkpoints were at `marks`.
    pub fn new(setup: SessionSetup, messages: Vec<Message>, marks: ConversationMarks) -> Session {
        Session {
            setup,
            messages,
            marks,
            spawned: false,
        }
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
    /// when nobody can be asked (the goal loop's test for its checks).
    pub fn decide_unattended(&self, call: &ToolCall) -> Decision {
        self.setup
            .policy
            .decide(call, &self.setup.trust, Mode::Unattended)
    }

    /// The tools' context (the goal loop runs its checks with it, as the
    /// shell tool runs commands).
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

    /// Elides old tool outputs until the conversation fits `budget_tokens`
    /// (`/compact`); returns how many were elided.
    pub fn compact(&mut self, budget_tokens: usize) -> usize {
        super::context::compact(&mut self.messages, budget_tokens)
    }

    /// The workspace's checkpoint store, when checkpoints are on.
    pub fn checkpoints(&self) -> Option<Arc<Mutex<CheckpointStore>>> {
        self.setup.checkpoints.clone()
    }

    /// Turns checkpoints on (after `/checkpoint init` in a workspace that
    /// had to wait for it).
    pub fn enable_checkpoints(&mut self, store: Arc<Mutex<CheckpointStore>>) {
        self.setup.checkpoints = Some(store);
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

    /// Runs one turn for `prompt`, emitting events to `emit`; returns the
    /// model's last text.
    pub async fn run_turn(
        &mut self,
        prompt: &str,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, TurnError> {
        self.run_turn_with(prompt, &TurnOptions::default(), emit)
            .await
            .map(|outcome| outcome.text)
    }

    /// Runs one turn with `options` (the goal loop's planning and bounded
    /// iterations).
    pub async fn run_turn_with(
        &mut self,
        prompt: &str,
        options: &TurnOptions,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<TurnOutcome, TurnError> {
        let turn = self.start_checkpoints(emit).await;
        let prompt = &self.prompt_with_hooks(prompt, emit).await;
        self.messages.push(Message::User(prompt.to_string()));
        let mut tool_checkpoints = 0;
        let mut usage = UsageTotals::default();
        let mut checks = None;
        let tools = self.offered_tools(options);
        for _ in 0..options.max_requests {
            super::context::compact(&mut self.messages, self.setup.context_tokens / 4 * 3);
            let request = Request {
                model: self.setup.client.endpoint().model.clone(),
                system: self.setup.system.clone(),
                messages: self.messages.clone(),
                tools: tools.clone(),
                max_tokens: 8192,
            };
            let mut forward = |event: StreamEvent| match event {
                StreamEvent::TextDelta(text) => emit(Event::TextDelta { text }),
                StreamEvent::Retrying {
                    attempt, reason, ..
                } => emit(Event::Retrying { attempt, reason }),
            };
            let asked = std::time::Instant::now();
            let reply = retry::send(&self.setup.client, &request, self.setup.retry, &mut forward)
                .await
                .map_err(TurnError::Model)?;
            usage.model_ms += asked.elapsed().as_millis() as u64;
            usage.add(reply.usage);
            self.messages.push(Message::Assistant {
                text: reply.text.clone(),
                tool_calls: reply.tool_calls.clone(),
            });
            if reply.tool_calls.is_empty() {
                if let Some(turn) = turn {
                    let description = format!("turn: {}", first_line(prompt));
                    if self
                        .checkpoint(turn.to_string(), description, Vec::new(), emit)
                        .await
                    {
                        self.marks.insert(turn, self.messages.len());
                    }
                }
                self.stop_hooks(emit).await;
                emit(Event::TurnEnd {
                    text: reply.text.clone(),
                    usage,
                });
                return Ok(TurnOutcome {
                    text: reply.text,
                    usage,
                    checks,
                });
            }
            for call in &reply.tool_calls {
                if options.planning && call.name == SET_CHECKS {
                    let (result, stated) = set_checks(call);
                    checks = stated.or(checks);
                    self.messages.push(result);
                    continue;
                }
                let (mut result, ran) = self.handle_call(call, emit).await;
                let shell = crate::config::tools::canonical(&call.name) == Some("shell");
                if let Some(turn) = turn
                    && ran
                    && (!result.changed.is_empty() || shell)
                {
                    let tag = format!("{turn}.{}", tool_checkpoints + 1);
                    let description =
                        format!("{} {}", call.name, first_line(&call.input.to_string()));
                    let before = self.latest_checkpoint().await;
                    if self
                        .checkpoint(tag.clone(), description, result.changed.clone(), emit)
                        .await
                    {
                        tool_checkpoints += 1;
                        if shell && let Some(before) = before {
                            let refused = self.audit_fence(before, tag, emit).await;
                            result.text.push_str(&refused);
                        }
                    }
                }
                self.messages.push(Message::ToolResult {
                    id: call.id.clone(),
                    content: result.text,
                    is_error: result.is_error,
                });
            }
            for text in self.setup.steering.take() {
                emit(Event::Steered { text: text.clone() });
                self.messages.push(Message::User(text));
            }
        }
        Err(TurnError::TooManyRequests(options.max_requests))
    }

    /// The tools offered this turn: all of the agent's, or in planning the
    /// read-only ones and `set_checks`.
    fn offered_tools(&self, options: &TurnOptions) -> Vec<ToolDefinition> {
        if !options.planning {
            return self.setup.definitions.clone();
        }
        let mut tools: Vec<ToolDefinition> = self
            .setup
            .definitions
            .iter()
            .filter(|d| {
                matches!(
                    crate::config::tools::canonical(&d.name),
                    Some("read" | "glob" | "grep")
                )
            })
            .cloned()
            .collect();
        tools.push(set_checks_definition());
        tools
    }

    /// The turn number of this turn's checkpoints, taking the baseline (or
    /// a checkpoint of changes made outside the agent) first; `None` when
    /// checkpoints are off.
    async fn start_checkpoints(&mut self, emit: &mut (dyn FnMut(Event) + Send)) -> Option<u64> {
        let store = self.setup.checkpoints.clone()?;
        let prepared =
            tokio::task::spawn_blocking(move || -> Result<(u64, Option<Checkpoint>), String> {
                let mut store = store
                    .lock()
                    .map_err(|_| "the checkpoint store is unusable".to_string())?;
                let next = store.next_turn().map_err(|e| e.to_string())?;
                let (description, only_if_changed) = match store.is_empty() {
                    true => ("baseline", false),
                    false => ("changes made outside the agent", true),
                };
                let taken = store
                    .snapshot(&next.to_string(), description, only_if_changed)
                    .map_err(|e| e.to_string())?;
                let turn = if taken.is_some() { next + 1 } else { next };
                Ok((turn, taken))
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
        match prepared {
            Ok((turn, taken)) => {
                if let Some(checkpoint) = taken {
                    self.marks.insert(turn - 1, self.messages.len());
                    emit(checkpoint_event(checkpoint));
                }
                Some(turn)
            }
            Err(message) => {
                emit(Event::Warning {
                    message: format!("checkpoints are off for this turn: {message}"),
                });
                None
            }
        }
    }

    /// The newest checkpoint's tag, if checkpoints are on.
    async fn latest_checkpoint(&self) -> Option<String> {
        let store = self.setup.checkpoints.clone()?;
        tokio::task::spawn_blocking(move || store.lock().ok()?.latest().ok().flatten())
            .await
            .ok()
            .flatten()
    }

    /// The fence audit after a shell command: every file its checkpoint
    /// `tag` changed since `before` must lie where the agent may write (the
    /// sandbox's folders, and `write.allowedPaths` to the glob, which the
    /// kernel layer cannot express). A change outside is put back as it was
    /// at `before` and reported as a refused write; the returned text says
    /// so to the model.
    async fn audit_fence(
        &self,
        before: String,
        tag: String,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> String {
        let Some(store) = self.setup.checkpoints.clone() else {
            return String::new();
        };
        let policy = self.setup.policy.clone();
        let tools = self.setup.tools.clone();
        let audited = tokio::task::spawn_blocking(move || -> Result<Vec<Violation>, String> {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable")?;
            let changed = store
                .changed_paths(&before, &tag)
                .map_err(|e| e.to_string())?;
            let mut violations = tools.sandbox.fence(&tools.roots).audit(&changed);
            for path in &changed {
                let full = tools.roots.workspace.join(path);
                if !policy.inside_write_fence(&full) && !violations.iter().any(|v| v.path == full) {
                    violations.push(Violation {
                        path: full,
                        reason: "outside `write.allowedPaths`".into(),
                    });
                }
            }
            let relative: Vec<std::path::PathBuf> = violations
                .iter()
                .filter_map(|v| v.path.strip_prefix(&tools.roots.workspace).ok())
                .map(std::path::Path::to_path_buf)
                .collect();
            if !relative.is_empty() {
                store
                    .put_back(&before, &relative)
                    .map_err(|e| e.to_string())?;
            }
            Ok(violations)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        match audited {
            Ok(violations) => violations
                .iter()
                .map(|violation| {
                    let message = format!(
                        "refused write: {} ({}); it was put back as it was before the command",
                        violation.path.display(),
                        violation.reason
                    );
                    emit(Event::Warning {
                        message: message.clone(),
                    });
                    format!("\n{message}")
                })
                .collect(),
            Err(message) => {
                emit(Event::Warning {
                    message: format!("the fence audit could not run: {message}"),
                });
                String::new()
            }
        }
    }

    /// Takes checkpoint `tag` off the executor's threads; true when taken.
    /// With `changed` paths (the write tool knows them) only those entries
    /// are updated; without, the workspace is walked. A tool checkpoint is
    /// taken only if the tree changed; a turn checkpoint always.
    async fn checkpoint(
        &self,
        tag: String,
        description: String,
        changed: Vec<std::path::PathBuf>,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> bool {
        let Some(store) = self.setup.checkpoints.clone() else {
            return false;
        };
        let is_turn = !tag.contains('.');
        let taken = tokio::task::spawn_blocking(move || -> Result<Option<Checkpoint>, String> {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable".to_string())?;
            let taken = if changed.is_empty() {
                store.snapshot(&tag, &description, !is_turn)
            } else {
                store.snapshot_paths(&tag, &description, &changed)
            };
            taken.map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        match taken {
            Ok(Some(checkpoint)) => {
                emit(checkpoint_event(checkpoint));
                true
            }
            Ok(None) => false,
            Err(message) => {
                emit(Event::Warning {
                    message: format!("a checkpoint could not be taken: {message}"),
                });
                false
            }
        }
    }

    /// Judges one call, runs it if allowed, and reports both; also says
    /// whether it ran.
    async fn handle_call(
        &mut self,
        call: &ToolUse,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> (ToolOutput, bool) {
        let tool_call = ToolCall {
            tool: self.setup.mcp.canonical(&call.name),
            input: call.input.clone(),
        };
        let tool_name = tool_call.tool.clone();
        let decision = self
            .setup
            .policy
            .decide(&tool_call, &self.setup.trust, self.setup.mode);
        let decision = self.pre_tool_hooks(&tool_call, decision, emit).await;
        emit(Event::ToolCall {
            id: call.id.clone(),
            tool: tool_name.clone(),
            input: call.input.clone(),
            decision: decision.verdict(),
            reasons: decision.reasons().to_vec(),
        });
        let (output, ran) = match decision {
            _ if call.input.is_null() => (
                ToolOutput::error(format!(
                    "the arguments are not valid JSON: {}",
                    call.raw_input
                )),
                false,
            ),
            Decision::Allow { approval, .. } => (self.run_tool(tool_call, approval).await, true),
            Decision::Ask { pending, reasons } => match self.ask(pending.clone(), &reasons).await {
                Answer::Once => (self.run_tool(tool_call, pending.approve()).await, true),
                Answer::TrustTool => {
                    self.setup.trust.tools.push(tool_name.clone());
                    (self.run_tool(tool_call, pending.approve()).await, true)
                }
                Answer::Trust(grants) => {
                    self.setup.trust.grant(&grants);
                    (self.run_tool(tool_call, pending.approve()).await, true)
                }
                Answer::Refuse(None) => (refusal(&reasons), false),
                Answer::Refuse(Some(why)) => (
                    ToolOutput::error(format!("the user refused this call: {why}")),
                    false,
                ),
            },
            Decision::Deny { reasons } => (refusal(&reasons), false),
        };
        let text = tools::text::head_and_tail(&output.text, MAX_TOOL_RESULT_BYTES);
        let text = self.setup.policy.redact(&text);
        if ran {
            self.post_tool_hooks(&tool_name, &call.input, &text, output.is_error, emit)
                .await;
        }
        emit(Event::ToolResult {
            id: call.id.clone(),
            output: text.clone(),
            is_error: output.is_error,
            exit_code: output.exit_code,
        });
        (ToolOutput { text, ..output }, ran)
    }
}

impl Session {
    /// Runs an approved call: an MCP tool through its server, a built-in
    /// one on a blocking thread.
    async fn run_tool(&self, call: ToolCall, approval: crate::policy::Approval) -> ToolOutput {
        if call.tool.starts_with('@') {
            return self.setup.mcp.call(&call, &approval).await;
        }
        let context = self.setup.tools.for_call();
        tokio::task::spawn_blocking(move || tools::run(&call, &approval, &context))
            .await
            .unwrap_or_else(|e| ToolOutput::error(format!("the tool failed: {e}")))
    }

    /// The approver's answer about `pending`; a refusal when nobody can be
    /// asked.
    async fn ask(&self, pending: Pending, reasons: &[Reason]) -> Answer {
        let Some(approver) = self.setup.approver.clone() else {
            return Answer::Refuse(None);
        };
        let reasons = reasons.to_vec();
        tokio::task::spawn_blocking(move || match approver.lock() {
            Ok(mut approver) => approver.ask(pending.call(), &reasons),
            Err(_) => Answer::Refuse(None),
        })
        .await
        .unwrap_or(Answer::Refuse(None))
    }
}

/// Hooks: where the turn loop calls them (see [`crate::hooks`]), and what
/// `/hooks`, `/mcp` and `/context` show.
impl Session {
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

    /// Runs the `agentSpawn` hooks once per session (their output joins the
    /// system prompt) and the `userPromptSubmit` hooks (their output is
    /// attached to the prompt); returns the prompt to send.
    async fn prompt_with_hooks(
        &mut self,
        prompt: &str,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> String {
        if self.setup.hooks.is_empty() {
            return prompt.to_string();
        }
        if !self.spawned {
            self.spawned = true;
            let (context, warnings) = self.setup.hooks.agent_spawn().await;
            warn(warnings, emit);
            for text in context {
                self.setup.system.push_str(&format!(
                    "\n\n## Context from the agentSpawn hook\n{}",
                    self.setup.policy.redact(&text)
                ));
            }
        }
        let (context, warnings) = self.setup.hooks.user_prompt_submit(prompt).await;
        warn(warnings, emit);
        let mut prompt = prompt.to_string();
        for text in context {
            prompt.push_str(&format!(
                "\n\n<hook_context>\n{}\n</hook_context>",
                self.setup.policy.redact(&text).trim_end()
            ));
        }
        prompt
    }

    /// Runs the `preToolUse` hooks on a call the policy did not deny; they
    /// can only make `decision` stricter.
    async fn pre_tool_hooks(
        &self,
        call: &ToolCall,
        decision: Decision,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Decision {
        if self.setup.hooks.is_empty() || matches!(decision, Decision::Deny { .. }) {
            return decision;
        }
        let (reasons, warnings) = self.setup.hooks.pre_tool_use(&call.tool, &call.input).await;
        warn(warnings, emit);
        reasons.into_iter().fold(decision, |decision, reason| {
            decision.tighten(reason, self.setup.mode)
        })
    }

    /// Runs the `postToolUse` hooks with the call's (redacted) result.
    async fn post_tool_hooks(
        &self,
        tool: &str,
        input: &serde_json::Value,
        result: &str,
        is_error: bool,
        emit: &mut (dyn FnMut(Event) + Send),
    ) {
        if self.setup.hooks.is_empty() {
            return;
        }
        let warnings = self
            .setup
            .hooks
            .post_tool_use(tool, input, result, is_error)
            .await;
        warn(warnings, emit);
    }

    /// Runs the `stop` hooks at the end of a turn.
    async fn stop_hooks(&self, emit: &mut (dyn FnMut(Event) + Send)) {
        if !self.setup.hooks.is_empty() {
            warn(self.setup.hooks.stop().await, emit);
        }
    }
}

fn warn(warnings: crate::hooks::Warnings, emit: &mut (dyn FnMut(Event) + Send)) {
    for message in warnings {
        emit(Event::Warning { message });
    }
}

fn checkpoint_event(checkpoint: Checkpoint) -> Event {
    Event::Checkpoint {
        tag: checkpoint.tag,
        description: checkpoint.description,
        added: checkpoint.added,
        modified: checkpoint.modified,
        deleted: checkpoint.deleted,
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(72).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// What the model is told about a refused call: the rule, so it can work
/// within it instead of retrying.
fn refusal(reasons: &[crate::policy::Reason]) -> ToolOutput {
    let lines: Vec<String> = reasons.iter().map(|r| format!("- {r}")).collect();
    ToolOutput::error(format!(
        "refused by the guardrail policy:\n{}",
        lines.join("\n")
    ))
}
