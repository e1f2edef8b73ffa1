//! Model backends: the conversation types every provider shares, the
//! streaming clients (OpenAI-compatible Chat Completions and Anthropic
//! Messages), model-id resolution, and retries.
//!
//! A provider sends one request and streams the reply back as
//! [`StreamEvent`]s while it assembles the whole [`Reply`]. A stream that
//! ends before the protocol's end marker is an error, never a finished turn.

pub mod anthropic;
pub mod model;
pub mod openai;
pub mod replay;
pub mod retry;
mod sse;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use model::{Endpoint, ProviderKind};

/// One message of the conversation (saved with the session as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", content = "content", rename_all = "snake_case")]
pub enum Message {
    /// What the user said (or a report the program sends as the user).
    User(String),
    /// What the model said, and the tools it called.
    Assistant {
        /// Its text.
        text: String,
        /// Its tool calls, in order.
        tool_calls: Vec<ToolUse>,
    },
    /// The result of one tool call.
    ToolResult {
        /// The call's id.
        id: String,
        /// What the tool (or the policy, for a refusal) returned.
        content: String,
        /// True for a failure or a refusal.
        is_error: bool,
    },
}

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUse {
    /// The provider's id for the call; results refer to it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its input; `Value::Null` when the arguments were not valid JSON.
    pub input: Value,
    /// The arguments as the model sent them, for error messages.
    pub raw_input: String,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its input as JSON Schema.
    pub input_schema: Value,
}

/// One request to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The provider's model name (without the `openai/` prefix).
    pub model: String,
    /// The system prompt.
    pub system: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// The tools offered.
    pub tools: Vec<ToolDefinition>,
    /// The most tokens the reply may have.
    pub max_tokens: u32,
    /// The reply must call a tool (`tool_choice: "required"`; sent to
    /// OpenAI-compatible servers only, for local models that must act).
    pub require_tool: bool,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// It finished its turn.
    EndTurn,
    /// It wants tool results.
    ToolUse,
    /// It ran out of tokens.
    MaxTokens,
    /// Something else the provider said.
    Other(String),
}

/// Tokens used by one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens of the prompt.
    pub input_tokens: u64,
    /// Tokens of the reply.
    pub output_tokens: u64,
}

/// The whole reply to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Its text.
    pub text: String,
    /// Its tool calls.
    pub tool_calls: Vec<ToolUse>,
    /// Why it stopped.
    pub stop: StopReason,
    /// What it cost.
    pub usage: Usage,
}

/// What a provider reports while a reply streams in.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A piece of the reply's text.
    TextDelta(String),
    /// The attempt failed and is being retried: text shown so far from this
    /// reply is void.
    Retrying {
        /// The attempt about to start (2 for the first retry).
        attempt: u32,
        /// How long until it starts.
        delay: Duration,
        /// What went wrong.
        reason: String,
    },
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderError {
    /// The server answered with an error status.
    Http {
        /// The status code.
        status: u16,
        /// The error message from the body, or the body.
        message: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// No connection, or it broke before the reply started.
    Connection(String),
    /// The stream ended before its end marker.
    StreamCut(String),
    /// The provider reported an error inside the stream.
    Stream {
        /// The error type (`overloaded_error`, …).
        kind: String,
        /// Its message.
        message: String,
    },
    /// The reply did not follow the protocol.
    Protocol(String),
}

impl ProviderError {
    /// Whether trying again may help: rate limits, overload, server errors,
    /// broken connections and cut streams.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Http { status, .. } => *status == 429 || *status >= 500,
            ProviderError::Connection(_) | ProviderError::StreamCut(_) => true,
            ProviderError::Stream { kind, .. } => {
                kind.contains("overloaded")
                    || kind.contains("rate_limit")
                    || kind.contains("api_error")
            }
            ProviderError::Protocol(_) => false,
        }
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::Http {
                status, message, ..
            } => write!(f, "the model server answered {status}: {message}"),
            ProviderError::Connection(e) => write!(f, "cannot reach the model server: {e}"),
            ProviderError::StreamCut(e) => {
                write!(f, "the reply stream was cut before its end: {e}")
            }
            ProviderError::Stream { kind, message } => {
                write!(f, "the model server reported {kind}: {message}")
            }
            ProviderError::Protocol(e) => write!(
                f,
                "the model server's reply did not follow the protocol: {e}"
            ),
        }
    }
}

impl std::error::Error for ProviderError {}

/// A streaming client for one endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
}

impl Client {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Client {
        Client {
            http: reqwest::Client::new(),
            endpoint,
        }
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends `request` once, streaming text to `on_event`.
    pub async fn send_once(
        &self,
        request: &Request,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<Reply, ProviderError> {
        match self.endpoint.kind {
            ProviderKind::OpenAi => {
                openai::send(&self.http, &self.endpoint, request, on_event).await
            }
            ProviderKind::Anthropic => {
                anthropic::send(&self.http, &self.endpoint, request, on_event).await
            }
            ProviderKind::Replay => replay::send(
                std::path::Path::new(&self.endpoint.model),
                request,
                on_event,
            ),
        }
    }
}

/// Reads `Retry-After` (seconds) from a response.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(300.0)))
}

/// Sends a request and returns its stream of events, or the error the
/// server answered with.
pub(crate) async fn open_stream(
    request: reqwest::RequestBuilder,
) -> Result<
    impl futures::Stream<Item = Result<eventsource_stream::Event, ProviderError>>,
    ProviderError,
> {
    let response = request
        .send()
        .await
        .map_err(|e| ProviderError::Connection(e.to_string()))?;
    if !response.status().is_success() {
        return Err(http_error(response).await);
    }
    Ok(sse::events(response))
}

/// Turns an error response into a [`ProviderError`], with the message from
/// either protocol's error body.
async fn http_error(response: reqwest::Response) -> ProviderError {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(500).collect());
    ProviderError::Http {
        status,
        message,
        retry_after,
    }
}

/// Parses a tool call's assembled argument text.
pub(crate) fn tool_use(id: String, name: String, raw_input: String) -> ToolUse {
    let input = if raw_input.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(&raw_input).unwrap_or(Value::Null)
    };
    ToolUse {
        id,
        name,
        input,
        raw_input,
    }
}
