//! A session: the conversation, and the turn loop that sends it to the
//! model, routes every tool call through the policy and the tools, and
//! sends every result back until the model ends its turn.

use std::fmt;

use crate::policy::{Decision, Mode, Policy, ToolCall, Trust};
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
}

/// One conversation with the model.
pub struct Session {
    setup: SessionSetup,
    messages: Vec<Message>,
}

/// Why a turn did not finish.
#[derive(Debug)]
pub enum TurnError {
    /// The model could not be reached, or its retries were spent.
    Model(GaveUp),
    /// The model kept calling tools past the limit.
    TooManyRequests,
}

impl fmt::Display for TurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TurnError::Model(gave_up) => write!(f, "{gave_up}"),
            TurnError::TooManyRequests => {
                write!(
                    f,
                    "the turn was stopped after {MAX_REQUESTS_PER_TURN} model requests"
                )
            }
        }
    }
}

impl std::error::Error for TurnError {}

impl Session {
    /// A session that continues `messages` (empty for a new one).
    pub fn new(setup: SessionSetup, messages: Vec<Message>) -> Session {
        Session { setup, messages }
    }

    /// The conversation so far, for saving.
    pub fn messages(&self) -> &[Message] {
        &self.messages
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
        self.messages.push(Message::User(prompt.to_string()));
        let mut usage = UsageTotals::default();
        for _ in 0..MAX_REQUESTS_PER_TURN {
            super::context::compact(&mut self.messages, self.setup.context_tokens / 4 * 3);
            let request = Request {
                model: self.setup.client.endpoint().model.clone(),
                system: self.setup.system.clone(),
                messages: self.messages.clone(),
                tools: self.setup.definitions.clone(),
                max_tokens: 8192,
            };
            let mut forward = |event: StreamEvent| match event {
                StreamEvent::TextDelta(text) => emit(Event::TextDelta { text }),
                StreamEvent::Retrying {
                    attempt, reason, ..
                } => emit(Event::Retrying { attempt, reason }),
            };
            let reply = retry::send(&self.setup.client, &request, self.setup.retry, &mut forward)
                .await
                .map_err(TurnError::Model)?;
            usage.add(reply.usage);
            self.messages.push(Message::Assistant {
                text: reply.text.clone(),
                tool_calls: reply.tool_calls.clone(),
            });
            if reply.tool_calls.is_empty() {
                emit(Event::TurnEnd {
                    text: reply.text.clone(),
                    usage,
                });
                return Ok(reply.text);
            }
            for call in &reply.tool_calls {
                let result = self.handle_call(call, emit).await;
                self.messages.push(Message::ToolResult {
                    id: call.id.clone(),
                    content: result.text,
                    is_error: result.is_error,
                });
            }
        }
        Err(TurnError::TooManyRequests)
    }

    /// Judges one call, runs it if allowed, and reports both.
    async fn handle_call(
        &self,
        call: &ToolUse,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> ToolOutput {
        let tool_call = ToolCall {
            tool: call.name.clone(),
            input: call.input.clone(),
        };
        let decision = self
            .setup
            .policy
            .decide(&tool_call, &self.setup.trust, self.setup.mode);
        emit(Event::ToolCall {
            id: call.id.clone(),
            tool: call.name.clone(),
            input: call.input.clone(),
            decision: decision.verdict(),
            reasons: decision.reasons().to_vec(),
        });
        let output = match decision {
            _ if call.input.is_null() => ToolOutput::error(format!(
                "the arguments are not valid JSON: {}",
                call.raw_input
            )),
            Decision::Allow { approval, .. } => {
                let context = self.setup.tools.clone();
                tokio::task::spawn_blocking(move || tools::run(&tool_call, &approval, &context))
                    .await
                    .unwrap_or_else(|e| ToolOutput::error(format!("the tool failed: {e}")))
            }
            Decision::Ask { reasons, .. } | Decision::Deny { reasons } => refusal(&reasons),
        };
        let text = tools::text::head_and_tail(&output.text, MAX_TOOL_RESULT_BYTES);
        emit(Event::ToolResult {
            id: call.id.clone(),
            output: text.clone(),
            is_error: output.is_error,
            exit_code: output.exit_code,
        });
        ToolOutput { text, ..output }
    }
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
