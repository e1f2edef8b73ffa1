//! A scripted model server on 127.0.0.1 that speaks the real wire
//! protocols: each request gets the next scripted response, streamed chunk
//! by chunk, and every request is recorded.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

/// One scripted HTTP response.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body pieces, sent one at a time; an SSE stream that is cut simply
    /// stops before its end marker.
    pub chunks: Vec<String>,
    /// The pause before each piece, so pieces arrive as separate reads.
    pub chunk_delay: Duration,
    /// Only a request whose first user message contains this text gets
    /// this response (so a parent agent and its children, whose requests
    /// interleave, each get their own replies); `None` matches any.
    pub when: Option<String>,
}

impl Scripted {
    /// A 200 event stream of `chunks`.
    pub fn stream(chunks: Vec<String>) -> Scripted {
        Scripted {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks,
            chunk_delay: Duration::from_millis(1),
            when: None,
        }
    }

    /// The same response, given only to a request whose first user message
    /// contains `needle`.
    pub fn when(mut self, needle: &str) -> Scripted {
        self.when = Some(needle.into());
        self
    }

    /// An error response with a JSON body.
    pub fn error(status: u16, message: &str) -> Scripted {
        let body = json!({"type": "error", "error": {"type": "api_error", "message": message}});
        Scripted {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![body.to_string()],
            chunk_delay: Duration::from_millis(1),
            when: None,
        }
    }

    /// The same response with no pause between pieces (for benchmarks).
    pub fn instant(mut self) -> Scripted {
        self.chunk_delay = Duration::ZERO;
        self
    }

    /// The same response with a header added.
    pub fn with_header(mut self, name: &str, value: &str) -> Scripted {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its path.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its JSON body.
    pub body: Value,
}

#[derive(Clone, Default)]
struct Shared {
    script: Arc<Mutex<Vec<Scripted>>>,
    recorded: Arc<Mutex<Vec<Recorded>>>,
}

/// The running server; it stops with the test's runtime.
pub struct ModelServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Shared,
}

impl ModelServer {
    /// Starts serving `script` in order on a free port.
    pub async fn start(script: Vec<Scripted>) -> ModelServer {
        let shared = Shared::default();
        *shared.script.lock().unwrap() = script;
        let app = Router::new().fallback(respond).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        ModelServer { url, shared }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// How many requests arrived so far, readable from another task.
    pub fn request_count(&self) -> impl Fn() -> usize + Send + 'static {
        let recorded = self.shared.recorded.clone();
        move || recorded.lock().unwrap().len()
    }
}

async fn respond(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let first_user = first_user_message(&body);
    shared.recorded.lock().unwrap().push(Recorded {
        path: uri.path().to_string(),
        headers,
        body,
    });
    let scripted = {
        let mut script = shared.script.lock().unwrap();
        script
            .iter()
            .position(|s| {
                s.when
                    .as_ref()
                    .is_none_or(|n| first_user.contains(n.as_str()))
            })
            .map(|index| script.remove(index))
    };
    let Some(scripted) = scripted else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("script exhausted"))
            .unwrap();
    };
    let delay = scripted.chunk_delay;
    let stream = futures::stream::unfold(
        scripted.chunks.clone().into_iter(),
        move |mut chunks| async move {
            let chunk = chunks.next()?;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), chunks))
        },
    );
    let mut response = Response::builder().status(scripted.status);
    for (name, value) in &scripted.headers {
        response = response.header(name, value);
    }
    response.body(Body::from_stream(stream)).unwrap()
}

/// The first user message of a request, as JSON text (either protocol).
fn first_user_message(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["role"] == "user"))
        .map(Value::to_string)
        .unwrap_or_default()
}

/// OpenAI chunks: each `data: {…}` event, then `data: [DONE]`.
pub fn openai_stream(chunks: &[Value]) -> Vec<String> {
    let mut events: Vec<String> = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    events.push("data: [DONE]\n\n".into());
    events
}

/// An OpenAI chunk carrying `delta`, with an optional finish reason.
pub fn openai_delta(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// OpenAI chunks for one tool call whose arguments arrive in `pieces`.
pub fn openai_tool_call(index: u64, id: &str, name: &str, pieces: &[&str]) -> Vec<Value> {
    let mut chunks = vec![openai_delta(
        json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        None,
    )];
    for piece in pieces {
        chunks.push(openai_delta(
            json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
            None,
        ));
    }
    chunks
}

/// An Anthropic event.
pub fn anthropic_event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The two wire protocols, for tests that run against both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI-compatible Chat Completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

impl Protocol {
    /// A reply that calls `calls` (id, tool, input) in parallel, each call's
    /// arguments split across three chunks.
    pub fn tool_calls(self, calls: &[(&str, &str, Value)]) -> Scripted {
        let pieces = |input: &Value| {
            let text = input.to_string();
            let (a, rest) = text.split_at(text.len() / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            [a.to_string(), b.to_string(), c.to_string()]
        };
        match self {
            Protocol::OpenAi => {
                let mut chunks = Vec::new();
                for (index, (id, name, input)) in calls.iter().enumerate() {
                    let parts = pieces(input);
                    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                    chunks.extend(openai_tool_call(index as u64, id, name, &parts));
                }
                chunks.push(openai_delta(json!({}), Some("tool_calls")));
                Scripted::stream(openai_stream(&chunks))
            }
            Protocol::Anthropic => {
                let mut events = vec![anthropic_event(
                    "message_start",
                    json!({"type": "message_start", "message": {"usage": {"input_tokens": 10}}}),
                )];
                for (index, (id, name, input)) in calls.iter().enumerate() {
                    events.push(anthropic_event("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}})));
                    for part in pieces(input) {
                        events.push(anthropic_event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": part}})));
                    }
                    events.push(anthropic_event(
                        "content_block_stop",
                        json!({"type": "content_block_stop", "index": index}),
                    ));
                }
                events.push(anthropic_event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}})));
                events.push(anthropic_event(
                    "message_stop",
                    json!({"type": "message_stop"}),
                ));
                Scripted::stream(events)
            }
        }
    }

    /// A reply that says `text` in two pieces and ends the turn.
    pub fn text(self, text: &str) -> Scripted {
        let (a, b) = text.split_at(text.len() / 2);
        match self {
            Protocol::OpenAi => Scripted::stream(openai_stream(&[
                openai_delta(json!({"content": a}), None),
                openai_delta(json!({"content": b}), Some("stop")),
                json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}}),
            ])),
            Protocol::Anthropic => Scripted::stream(vec![
                anthropic_event(
                    "message_start",
                    json!({"type": "message_start", "message": {"usage": {"input_tokens": 10}}}),
                ),
                anthropic_event(
                    "content_block_start",
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ),
                anthropic_event(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": a}}),
                ),
                anthropic_event(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": b}}),
                ),
                anthropic_event(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": 0}),
                ),
                anthropic_event(
                    "message_delta",
                    json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
                ),
                anthropic_event("message_stop", json!({"type": "message_stop"})),
            ]),
        }
    }

    /// `--model` for this protocol and the variable that points the binary
    /// at `server`.
    pub fn model_and_env(self, server: &ModelServer) -> (&'static str, &'static str, String) {
        match self {
            Protocol::OpenAi => (
                "openai/scripted",
                "OPENAI_BASE_URL",
                format!("{}/v1", server.url),
            ),
            Protocol::Anthropic => (
                "anthropic/scripted",
                "ANTHROPIC_BASE_URL",
                server.url.clone(),
            ),
        }
    }
}
