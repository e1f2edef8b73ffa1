//! Anthropic Messages, streamed.
//!
//! Each content block is opened (`content_block_start`: text, or tool_use
//! with its id and name), filled (`text_delta`, or `input_json_delta`
//! fragments to concatenate) and closed; `message_delta` carries the stop
//! reason and `message_stop` ends the stream. `ping` may come at any time,
//! and an `error` event can arrive mid-stream.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use super::{
    Endpoint, Message, ProviderError, Reply, Request, StopReason, StreamEvent, Usage, open_stream,
    tool_use,
};

/// The API version `agent` speaks.
pub const API_VERSION: &str = "2023-06-01";

/// Sends `request` and assembles the streamed reply.
pub async fn send(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &Request,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<Reply, ProviderError> {
    let mut builder = http
        .post(format!("{}/v1/messages", endpoint.base_url))
        .header("anthropic-version", API_VERSION)
        .json(&body(request));
    if let Some(key) = &endpoint.api_key {
        builder = builder.header("x-api-key", key);
    }
    let mut events = Box::pin(open_stream(builder).await?);
    let mut assembler = Assembler::default();
    while let Some(event) = events.next().await {
        let event = event?;
        let data: Value = match serde_json::from_str(&event.data) {
            Ok(data) => data,
            Err(_) if event.data.trim().is_empty() => continue,
            Err(e) => {
                return Err(ProviderError::Protocol(format!(
                    "an event is not JSON: {e}"
                )));
            }
        };
        let kind = data
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(event.event.as_str());
        match kind {
            "message_stop" => return Ok(assembler.finish()),
            "error" => {
                let kind = data
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("error");
                let message = data
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return Err(ProviderError::Stream {
                    kind: kind.into(),
                    message: message.into(),
                });
            }
            _ => assembler.event(kind, &data, on_event),
        }
    }
    Err(ProviderError::StreamCut(
        "the stream ended without `message_stop`".into(),
    ))
}

/// The request body: tool results travel as `tool_result` blocks inside a
/// user message, consecutive ones together.
pub fn body(request: &Request) -> Value {
    let mut messages: Vec<Value> = Vec::new();
    for message in &request.messages {
        let (role, blocks) = blocks(message);
        match messages.last_mut() {
            Some(last) if last["role"] == role && role == "user" => {
                if let Some(content) = last["content"].as_array_mut() {
                    content.extend(blocks);
                }
            }
            _ => messages.push(json!({"role": role, "content": blocks})),
        }
    }
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "system": request.system,
        "messages": messages,
        "stream": true,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.input_schema}))
            .collect();
    }
    body
}

fn blocks(message: &Message) -> (&'static str, Vec<Value>) {
    match message {
        Message::User(text) => ("user", vec![json!({"type": "text", "text": text})]),
        Message::Assistant { text, tool_calls } => {
            let mut blocks = Vec::new();
            if !text.is_empty() {
                blocks.push(json!({"type": "text", "text": text}));
            }
            for call in tool_calls {
                let input = if call.input.is_object() {
                    call.input.clone()
                } else {
                    json!({})
                };
                blocks.push(
                    json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}),
                );
            }
            ("assistant", blocks)
        }
        Message::ToolResult {
            id,
            content,
            is_error,
        } => (
            "user",
            vec![
                json!({"type": "tool_result", "tool_use_id": id, "content": content, "is_error": is_error}),
            ],
        ),
    }
}

enum Block {
    Text,
    Tool {
        id: String,
        name: String,
        json: String,
    },
}

#[derive(Default)]
struct Assembler {
    text: String,
    blocks: BTreeMap<u64, Block>,
    stop: Option<String>,
    usage: Usage,
}

impl Assembler {
    fn event(&mut self, kind: &str, data: &Value, on_event: &mut (dyn FnMut(StreamEvent) + Send)) {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        match kind {
            "message_start" => {
                self.usage.input_tokens = data
                    .pointer("/message/usage/input_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
            }
            "content_block_start" => {
                let block = &data["content_block"];
                let opened = match block.get("type").and_then(Value::as_str) {
                    Some("tool_use") => Block::Tool {
                        id: block
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .into(),
                        name: block
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .into(),
                        json: String::new(),
                    },
                    _ => Block::Text,
                };
                self.blocks.insert(index, opened);
            }
            "content_block_delta" => self.delta(index, &data["delta"], on_event),
            "message_delta" => {
                if let Some(stop) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop = Some(stop.into());
                }
                if let Some(tokens) = data.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.usage.output_tokens = tokens;
                }
            }
            _ => {}
        }
    }

    fn delta(&mut self, index: u64, delta: &Value, on_event: &mut (dyn FnMut(StreamEvent) + Send)) {
        match (
            delta.get("type").and_then(Value::as_str),
            self.blocks.get_mut(&index),
        ) {
            (Some("text_delta"), _) => {
                if let Some(text) = delta.get("text").and_then(Value::as_str) {
                    self.text.push_str(text);
                    on_event(StreamEvent::TextDelta(text.to_string()));
                }
            }
            (Some("input_json_delta"), Some(Block::Tool { json, .. })) => {
                json.push_str(
                    delta
                        .get("partial_json")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
            }
            _ => {}
        }
    }

    fn finish(self) -> Reply {
        let tool_calls: Vec<_> = self
            .blocks
            .into_values()
            .filter_map(|block| match block {
                Block::Tool { id, name, json } => Some(tool_use(id, name, json)),
                Block::Text => None,
            })
            .collect();
        let stop = match self.stop.as_deref() {
            Some("end_turn") | Some("stop_sequence") | None => StopReason::EndTurn,
            Some("tool_use") => StopReason::ToolUse,
            Some("max_tokens") => StopReason::MaxTokens,
            Some(other) => StopReason::Other(other.into()),
        };
        Reply {
            text: self.text,
            tool_calls,
            stop,
            usage: self.usage,
        }
    }
}
