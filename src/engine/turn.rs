//! The turn loop: send the conversation to the model, hand every tool call
//! it makes to the dispatcher, send the results back, until the model ends
//! its turn; with the prompt hooks before it and the `stop` hooks and the
//! turn's checkpoint after it.

use std::fmt;

use crate::provider::retry::{self, GaveUp};
use crate::provider::{Message, Reply, Request, StreamEvent, ToolDefinition, ToolUse};
use crate::tools::registry::{self, Touches};

use super::checkpoints::{Tag, first_line};
use super::dispatch::{self, Caller, warn};
use super::events::{Event, UsageTotals};
use super::limits::Halt;
use super::recover;
use super::repetition::LOOP_AT;
use super::session::{Emit, Session, TurnTags};

/// Model requests one turn may make before it is stopped.
pub const MAX_REQUESTS_PER_TURN: usize = 500;

/// The planning tool through which the model states a goal's checks.
pub const SET_CHECKS: &str = "set_checks";

/// How a turn may run.
#[derive(Debug, Clone)]
pub struct TurnOptions {
    /// Model requests the turn may make.
    pub max_requests: usize,
    /// A goal's planning turn: only the read-only tools and `set_checks`
    /// are offered.
    pub planning: bool,
    /// Count repeated calls on from earlier turns (a goal's turns share one
    /// count) instead of afresh.
    pub keep_repetitions: bool,
    /// The turn must act: until it did (stated checks while planning,
    /// changed a file otherwise), a model whose profile allows it is asked
    /// for a tool call, not text.
    pub must_act: bool,
}

impl Default for TurnOptions {
    fn default() -> TurnOptions {
        TurnOptions {
            max_requests: MAX_REQUESTS_PER_TURN,
            planning: false,
            keep_repetitions: false,
            must_act: false,
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

/// Why a turn did not finish.
#[derive(Debug)]
pub enum TurnError {
    /// The model could not be reached, or its retries were spent.
    Model(GaveUp),
    /// The model kept calling tools past the limit.
    TooManyRequests(usize),
    /// A run limit was reached, or the model looped.
    Stopped(Halt),
}

impl fmt::Display for TurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TurnError::Model(gave_up) => write!(f, "{gave_up}"),
            TurnError::TooManyRequests(limit) => {
                write!(f, "the turn was stopped after {limit} model requests")
            }
            TurnError::Stopped(halt) => write!(f, "{halt}"),
        }
    }
}

impl std::error::Error for TurnError {}

/// The input schema of `set_checks`.
pub(super) fn set_checks_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {"commands": {"type": "array", "items": {"type": "string"}}},
        "required": ["commands"]
    })
}

fn set_checks_definition() -> ToolDefinition {
    ToolDefinition {
        name: SET_CHECKS.into(),
        description: "State the goal's acceptance checks: shell commands that all exit 0 exactly when the goal is met. The program runs them itself after every iteration.".into(),
        input_schema: set_checks_schema(),
    }
}

impl Session {
    /// Runs one turn for `prompt`, emitting events to `emit`; returns the
    /// model's last text.
    pub async fn run_turn(
        &mut self,
        prompt: &str,
        emit: &mut Emit<'_>,
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
        emit: &mut Emit<'_>,
    ) -> Result<TurnOutcome, TurnError> {
        self.call_scope = None;
        // A child's checkpoints are its parent's call's (`N.M.k`): it
        // takes no baseline and no turn checkpoint of its own.
        self.turn = match self.child_scope {
            Some(_) => None,
            None => self.start_checkpoints(emit).await.map(|number| TurnTags {
                number,
                tool_checkpoints: 0,
            }),
        };
        self.planning = options.planning;
        let outcome = self.turn_loop(prompt, options, emit).await;
        self.turn = None;
        self.call_scope = None;
        self.planning = false;
        outcome
    }

    async fn turn_loop(
        &mut self,
        prompt: &str,
        options: &TurnOptions,
        emit: &mut Emit<'_>,
    ) -> Result<TurnOutcome, TurnError> {
        self.budget.start_turn().map_err(TurnError::Stopped)?;
        if !options.keep_repetitions {
            self.repetition.clear();
        }
        let prompt = &self.prompt_with_hooks(prompt, emit).await;
        self.messages.push(Message::User(prompt.to_string()));
        let mut usage = UsageTotals::default();
        let mut checks = None;
        let tools = self.offered_tools(options);
        let mut nudged = 0;
        for _ in 0..options.max_requests {
            let asked = std::time::Instant::now();
            let acted = match options.planning {
                true => checks.is_some(),
                false => self.turn.is_some_and(|turn| turn.tool_checkpoints > 0),
            };
            let demand = options.must_act && self.setup.profile.demands_tools() && !acted;
            let reply = self.ask_model(tools.clone(), demand, emit).await?;
            usage.model_ms += asked.elapsed().as_millis() as u64;
            usage.add(reply.usage);
            let calls = match reply.tool_calls.is_empty() {
                true => self.recover_calls(&reply.text, &tools, emit),
                false => reply.tool_calls,
            };
            self.messages.push(Message::Assistant {
                text: reply.text.clone(),
                tool_calls: calls.clone(),
            });
            if calls.is_empty() && demand && nudged < MAX_NUDGES {
                nudged += 1;
                let text = nudge(options.planning).to_string();
                emit(Event::Steered { text: text.clone() });
                self.messages.push(Message::User(text));
                continue;
            }
            if calls.is_empty() {
                return Ok(self.finish(prompt, reply.text, usage, checks, emit).await);
            }
            // A small model, its checks recorded, states them again and
            // again instead of ending its plan: the planning is then done.
            let restated = options.planning
                && checks.is_some()
                && calls
                    .iter()
                    .all(|c| c.name == SET_CHECKS && stated_checks(&c.input) == checks);
            let mut looped = false;
            for call in &calls {
                let (stated, repeated) = self.model_call(call, emit).await;
                checks = stated.or(checks);
                looped |= repeated >= LOOP_AT;
            }
            if looped {
                return Err(TurnError::Stopped(Halt::Loop));
            }
            if restated || self.setup.tools.session.handoff.is_set() {
                // The turn ends without asking the model again: planning
                // is done, or `switch_to_execution` handed a plan off (the
                // controller swaps agents and sends it).
                return Ok(self.finish(prompt, reply.text, usage, checks, emit).await);
            }
            for text in self.setup.steering.take() {
                emit(Event::Steered { text: text.clone() });
                self.messages.push(Message::User(text));
            }
        }
        Err(TurnError::TooManyRequests(options.max_requests))
    }

    /// One model request within the run's budget: refused when a bound is
    /// reached, cut off when its time runs out.
    async fn ask_model(
        &mut self,
        tools: Vec<ToolDefinition>,
        require_tool: bool,
        emit: &mut Emit<'_>,
    ) -> Result<Reply, TurnError> {
        self.budget.before_request().map_err(TurnError::Stopped)?;
        let time_left = self.budget.time_left().map_err(TurnError::Stopped)?;
        let mut request = self.request(tools);
        request.require_tool = require_tool;
        let mut forward = |event: StreamEvent| match event {
            StreamEvent::TextDelta(text) => emit(Event::TextDelta { text }),
            StreamEvent::Retrying {
                attempt, reason, ..
            } => emit(Event::Retrying { attempt, reason }),
        };
        let sending = retry::send(&self.setup.client, &request, self.setup.retry, &mut forward);
        let reply = match time_left {
            Some(left) => tokio::time::timeout(left, sending)
                .await
                .map_err(|_| TurnError::Stopped(Halt::MaxMinutes))?,
            None => sending.await,
        }
        .map_err(TurnError::Model)?;
        self.budget.count(reply.usage);
        Ok(reply)
    }

    /// The calls written as text in a reply that made none (see
    /// [`super::recover`]), each announced by a `Recovered` event; they are
    /// then dispatched like any call.
    fn recover_calls(
        &mut self,
        text: &str,
        tools: &[ToolDefinition],
        emit: &mut Emit<'_>,
    ) -> Vec<ToolUse> {
        let offered: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
        let turn = self.messages.len();
        recover::recover(text, &offered)
            .into_iter()
            .enumerate()
            .map(|(index, found)| {
                let id = format!("text-{turn}-{}", index + 1);
                emit(Event::Recovered {
                    id: id.clone(),
                    tool: found.name.clone(),
                    form: found.form,
                });
                ToolUse {
                    id,
                    name: found.name,
                    raw_input: found.input.to_string(),
                    input: found.input,
                }
            })
            .collect()
    }

    /// The next model request: the conversation (compacted near the
    /// model's window) and `tools`.
    fn request(&mut self, tools: Vec<ToolDefinition>) -> Request {
        super::context::compact(&mut self.messages, self.setup.context_tokens / 4 * 3);
        Request {
            model: self.setup.client.endpoint().model.clone(),
            system: self.setup.system.clone(),
            messages: self.messages.clone(),
            tools,
            max_tokens: self.setup.profile.reply_tokens(),
            require_tool: false,
        }
    }

    /// Dispatches one of the model's calls and adds its result to the
    /// conversation, exactly as the `ToolResult` event showed it; returns
    /// the checks a well-formed `set_checks` stated, and how many times
    /// the model made this call with this result.
    async fn model_call(
        &mut self,
        call: &ToolUse,
        emit: &mut Emit<'_>,
    ) -> (Option<Vec<String>>, u32) {
        let request = dispatch::Request {
            id: call.id.clone(),
            name: call.name.clone(),
            input: call.input.clone(),
            raw_input: call.raw_input.clone(),
            caller: Caller::Model,
        };
        let dispatched = self.dispatch(request, emit).await;
        let stated = (self.planning && call.name == SET_CHECKS && dispatched.ran)
            .then(|| stated_checks(&call.input))
            .flatten();
        self.messages.push(Message::ToolResult {
            id: call.id.clone(),
            content: dispatched.output.text,
            is_error: dispatched.output.is_error,
        });
        (stated, dispatched.repeated)
    }

    /// Ends the turn with the model's last `text`: its checkpoint, the
    /// `stop` hooks, the `TurnEnd` event.
    async fn finish(
        &mut self,
        prompt: &str,
        text: String,
        usage: UsageTotals,
        checks: Option<Vec<String>>,
        emit: &mut Emit<'_>,
    ) -> TurnOutcome {
        self.end_turn(prompt, emit).await;
        emit(Event::TurnEnd {
            text: text.clone(),
            usage,
        });
        TurnOutcome {
            text,
            usage,
            checks,
        }
    }

    /// The turn's checkpoint and the `stop` hooks.
    async fn end_turn(&mut self, prompt: &str, emit: &mut Emit<'_>) {
        if let Some(turn) = self.turn {
            let description = format!("turn: {}", first_line(prompt));
            let tag = Tag::Fixed(turn.number.to_string());
            if self
                .checkpoint(tag, description, Vec::new(), emit)
                .await
                .is_some()
            {
                self.marks.insert(turn.number, self.messages.len());
            }
        }
        if !self.setup.hooks.is_empty() {
            warn(self.setup.hooks.stop().await, emit);
        }
    }

    /// The tools offered this turn: all of the agent's, or in planning the
    /// ones that change nothing and `set_checks`.
    fn offered_tools(&self, options: &TurnOptions) -> Vec<ToolDefinition> {
        if !options.planning {
            return self.setup.definitions.clone();
        }
        let mut tools: Vec<ToolDefinition> = self
            .setup
            .definitions
            .iter()
            .filter(|d| registry::find(&d.name).is_some_and(|t| t.touches() == Touches::Nothing))
            .cloned()
            .collect();
        tools.push(set_checks_definition());
        tools
    }

    /// Runs the `agentSpawn` hooks once per session (their output joins the
    /// system prompt) and the `userPromptSubmit` hooks (their output is
    /// attached to the prompt); returns the prompt to send.
    async fn prompt_with_hooks(&mut self, prompt: &str, emit: &mut Emit<'_>) -> String {
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
}

/// The commands of a `set_checks` input.
/// Times a turn that must act is told so when the model ends it in prose
/// (a local model whose server ignored `tool_choice`).
const MAX_NUDGES: u32 = 2;

/// What a turn that must act tells a model that answered in prose: the
/// program, not a person, folds it in (shown as steering).
fn nudge(planning: bool) -> &'static str {
    match planning {
        true => {
            "[agent: the checks are not stated yet. Call `set_checks` now with the shell commands that exit 0 once the objective is met.]"
        }
        false => {
            "[agent: no file has changed yet. Make the change now with a tool call (`write` to edit a file), then end your turn.]"
        }
    }
}

fn stated_checks(input: &serde_json::Value) -> Option<Vec<String>> {
    input["commands"].as_array().and_then(|list| {
        list.iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect()
    })
}
