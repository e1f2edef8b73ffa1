//! OpenAI-compatible Chat Completions, streamed.
//!
//! Text arrives as `delta.content`; a tool call as `delta.tool_calls` with an
//! `index`, its id and name first, then argument fragments for the same
//! index (several calls may interleave). The stream must end with
//! `data: [DONE]`.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use super::{
    Endpoint, Message, ProviderError, Reply, Request, StopReason, StreamEvent, Usage, open_stream,
    tool_use,
};

/// Sends `request` and assembles the streamed reply.
pub async fn send(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &Request,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<Reply, ProviderError> {
    let mut builder = http
        .post(format!("{}/chat/completions", endpoint.base_url))
        .json(&body(request));
    if let Some(key) = &endpoint.api_key {
        builder = builder.bearer_auth(key);
    }
    let mut events = Box::pin(open_stream(builder).await?);
    let mut assembler = Assembler::default();
    while let Some(event) = events.next().await {
        let event = event?;
        if event.data.trim() == "[DONE]" {
            return Ok(assembler.finish());
        }
        let chunk: Value = serde_json::from_str(&event.data)
            .map_err(|e| ProviderError::Protocol(format!("a chunk is not JSON: {e}")))?;
        if let Some(error) = chunk.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
            return Err(ProviderError::Stream {
                kind: kind.into(),
                message: message.into(),
            });
        }
        assembler.chunk(&chunk, on_event);
    }
    Err(ProviderError::StreamCut(
        "the stream ended without `data: [DONE]`".into(),
    ))
}

/// The request body: system prompt first, then the conversation, the tools,
/// and streaming with usage.
pub fn body(request: &Request) -> Value {
    let mut messages = vec![json!({"role": "system", "content": request.system})];
    messages.extend(request.messages.iter().map(message));
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": request.max_tokens,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}))
            .collect();
        if request.require_tool {
            body["tool_choice"] = "required".into();
        }
    }
    body
}

fn message(message: &Message) -> Value {
    match message {
        Message::User(text) => json!({"role": "user", "content": text}),
        Message::Assistant { text, tool_calls } => {
            let mut value = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { Value::from(text.as_str()) }});
            if !tool_calls.is_empty() {
                value["tool_calls"] = tool_calls
                    .iter()
                    .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.raw_input}}))
                    .collect();
            }
            value
        }
        Message::ToolResult {
            id,
            content,
            is_error,
        } => {
            let content = if *is_error {
                format!("ERROR: {content}")
            } else {
                content.clone()
            };
            json!({"role": "tool", "tool_call_id": id, "content": content})
        }
    }
}

/// A tool call being assembled from fragments.
#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct Assembler {
    text: String,
    calls: BTreeMap<u64, PartialCall>,
    finish_reason: Option<String>,
    usage: Usage,
}

impl Assembler {
    fn chunk(&mut self, chunk: &Value, on_event: &mut (dyn FnMut(StreamEvent) + Send)) {
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Usage {
                input_tokens: usage
                    .get("prompt_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                output_tokens: usage
                    .get("completion_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            };
        }
        let Some(choice) = chunk.pointer("/choices/0") else {
            return;
        };
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_string());
        }
        let Some(delta) = choice.get("delta") else {
            return;
        };
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.text.push_str(text);
            on_event(StreamEvent::TextDelta(text.to_string()));
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
            let partial = self.calls.entry(index).or_default();
            if let Some(id) = call.get("id").and_then(Value::as_str) {
                partial.id = id.to_string();
            }
            if let Some(name) = call.pointer("/function/name").and_then(Value::as_str) {
                partial.name.push_str(name);
            }
            if let Some(arguments) = call.pointer("/function/arguments").and_then(Value::as_str) {
                partial.arguments.push_str(arguments);
            }
        }
    }

    fn finish(self) -> Reply {
        let tool_calls: Vec<_> = self
            .calls
            .into_iter()
            .map(|(index, c)| {
                let id = if c.id.is_empty() {
                    format!("call_{index}")
                } else {
                    c.id
                };
                tool_use(id, c.name, c.arguments)
            })
            .collect();
        let stop = match self.finish_reason.as_deref() {
            _ if !tool_calls.is_empty() => StopReason::ToolUse,
            Some("stop") | None => StopReason::EndTurn,
            Some("tool_calls") => StopReason::ToolUse,
            Some("length") => StopReason::MaxTokens,
            Some(other) => StopReason::Other(other.to_string()),
        };
        Reply {
            text: self.text,
            tool_calls,
            stop,
            usage: self.usage,
        }
    }
}
