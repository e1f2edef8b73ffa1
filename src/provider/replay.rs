//! `replay/PATH`: a recorded model, for demos and for running the tutorial
//! on a machine with no model configured. The file holds the model's turns
//! in order, as JSON: `[{"text": "…", "tool_calls": [{"name": "write",
//! "input": {…}}]}, …]`. The reply to a request is the turn numbered by how
//! many replies the conversation already holds, so a replay needs no state
//! of its own and a resumed session picks up where it left off. Everything
//! else (policy, tools, checks, checkpoints) is real.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{Message, ProviderError, Reply, Request, StopReason, StreamEvent, ToolUse, Usage};

/// One recorded reply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    #[serde(default)]
    text: String,
    #[serde(default)]
    tool_calls: Vec<RecordedCall>,
}

/// One recorded tool call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedCall {
    name: String,
    input: Value,
}

/// Replies to `request` with the next recorded turn of `file`.
pub fn send(
    file: &Path,
    request: &Request,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<Reply, ProviderError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        ProviderError::Connection(format!("cannot read the replay {}: {e}", file.display()))
    })?;
    let turns: Vec<Turn> = serde_json::from_str(&text).map_err(|e| {
        ProviderError::Protocol(format!(
            "{}:{}:{}: {e}",
            file.display(),
            e.line(),
            e.column()
        ))
    })?;
    let given = request
        .messages
        .iter()
        .filter(|m| matches!(m, Message::Assistant { .. }))
        .count();
    let turn = turns.into_iter().nth(given).ok_or_else(|| {
        ProviderError::Protocol(format!(
            "the replay {} has no turn {} (it was recorded for a different conversation)",
            file.display(),
            given + 1
        ))
    })?;
    if !turn.text.is_empty() {
        on_event(StreamEvent::TextDelta(turn.text.clone()));
    }
    let tool_calls: Vec<ToolUse> = turn
        .tool_calls
        .into_iter()
        .enumerate()
        .map(|(index, call)| ToolUse {
            id: format!("replay-{given}-{index}"),
            raw_input: call.input.to_string(),
            name: call.name,
            input: call.input,
        })
        .collect();
    Ok(Reply {
        text: turn.text,
        stop: match tool_calls.is_empty() {
            true => StopReason::EndTurn,
            false => StopReason::ToolUse,
        },
        tool_calls,
        usage: Usage::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(replies_so_far: usize) -> Request {
        let mut messages = vec![Message::User("go".into())];
        for _ in 0..replies_so_far {
            messages.push(Message::Assistant {
                text: "earlier".into(),
                tool_calls: Vec::new(),
            });
        }
        Request {
            model: "replay".into(),
            require_tool: false,
            system: String::new(),
            messages,
            tools: Vec::new(),
            max_tokens: 100,
        }
    }

    #[test]
    fn the_conversation_picks_the_turn_and_text_streams() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("replay.json");
        std::fs::write(
            &file,
            r#"[{"tool_calls": [{"name": "read", "input": {"path": "a"}}]}, {"text": "done"}]"#,
        )
        .unwrap();
        let first = send(&file, &request(0), &mut |_| {}).unwrap();
        assert_eq!(first.stop, StopReason::ToolUse);
        assert_eq!(first.tool_calls[0].name, "read");
        assert_eq!(first.tool_calls[0].input["path"], "a");
        let mut streamed = String::new();
        let second = send(&file, &request(1), &mut |event| {
            if let StreamEvent::TextDelta(text) = event {
                streamed.push_str(&text);
            }
        })
        .unwrap();
        assert_eq!((second.text.as_str(), streamed.as_str()), ("done", "done"));
        let past = send(&file, &request(2), &mut |_| {}).unwrap_err();
        assert!(past.to_string().contains("no turn 3"), "{past}");
        std::fs::write(&file, r#"[{"txt": "typo"}]"#).unwrap();
        let typo = send(&file, &request(0), &mut |_| {}).unwrap_err();
        assert!(typo.to_string().contains("replay.json:1:"), "{typo}");
    }
}
