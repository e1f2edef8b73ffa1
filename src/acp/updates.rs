//! The session's events as ACP `session/update` payloads: the model's text
//! as message chunks, each tool call as `tool_call` (with our decision and
//! the rule behind it under `_meta.agent`) and its result as
//! `tool_call_update`, `todo_list`'s list as a `plan`, and the rest
//! (progress, checkpoints, warnings) as thought or message chunks. The
//! payloads are written as the protocol's JSON and read back into the
//! crate's types, so a shape the schema does not accept never leaves.

use serde_json::{Value, json};

use crate::engine::Event;
use crate::policy::Verdict;
use crate::tools::todo::TodoList;

/// The update for `event`, as the JSON of a `SessionUpdate`; `None` for
/// events a client has no use for (the session's start, a turn's end).
pub fn update(event: &Event) -> Option<Value> {
    match event {
        Event::TextDelta { text } => Some(chunk("agent_message_chunk", text)),
        Event::ToolCall {
            id,
            tool,
            input,
            decision,
            reasons,
            ..
        } => Some(tool_call(id, tool, input, *decision, reasons)),
        Event::ToolResult {
            id,
            output,
            is_error,
            exit_code,
        } => Some(tool_result(id, output, *is_error, *exit_code)),
        Event::Todo { list } => Some(plan(list)),
        Event::GoalEnd { report } => Some(chunk("agent_message_chunk", &report.to_text())),
        Event::Warning { message } => Some(chunk(
            "agent_message_chunk",
            &format!("warning: {message}\n"),
        )),
        Event::Error { message } => {
            Some(chunk("agent_message_chunk", &format!("error: {message}\n")))
        }
        other => thought(other).map(|text| chunk("agent_thought_chunk", &text)),
    }
}

/// Progress people may want to see beside the answer, as one line.
fn thought(event: &Event) -> Option<String> {
    match event {
        Event::Retrying { attempt, reason } => {
            Some(format!("retrying (attempt {attempt}): {reason}\n"))
        }
        Event::Steered { text } => Some(format!("steered: {text}\n")),
        Event::Code { report, .. } => Some(format!("code: {}\n", report.summary())),
        Event::Review { files } => Some(format!(
            "{} file(s) changed in this turn wait for review\n",
            files.len()
        )),
        Event::AgentSwitched { agent, previous } => Some(format!(
            "plan handed off: `{agent}` now runs it, after `{previous}`\n"
        )),
        Event::GoalProgress {
            phase,
            iteration,
            max,
            detail,
        } => Some(format!("goal {phase} {iteration}/{max}: {detail}\n")),
        Event::Checkpoint {
            tag, description, ..
        } => Some(format!("checkpoint {tag}: {description}\n")),
        Event::ChildStart { child, agent, .. } => {
            Some(format!("sub-agent {child} started (agent `{agent}`)\n"))
        }
        Event::ChildEnd {
            child,
            status,
            refusals,
            ..
        } => Some(format!(
            "sub-agent {child}: {status}, {refusals} call(s) refused\n"
        )),
        _ => None,
    }
}

/// A text chunk of kind `kind`.
pub fn chunk(kind: &str, text: &str) -> Value {
    json!({"sessionUpdate": kind, "content": {"type": "text", "text": text}})
}

/// ACP's status for a call the policy judged: asked calls wait for the
/// client, allowed ones run, denied ones failed already.
fn status(decision: Verdict) -> &'static str {
    match decision {
        Verdict::Allow => "in_progress",
        Verdict::Ask => "pending",
        Verdict::Deny => "failed",
    }
}

/// ACP's kind of tool, for the client's icon.
pub fn kind(tool: &str) -> &'static str {
    match tool {
        "read" | "code" | "knowledge" => "read",
        "write" => "edit",
        "shell" => "execute",
        "glob" | "grep" => "search",
        "web_fetch" | "web_search" => "fetch",
        "thinking" | "todo_list" => "think",
        _ => "other",
    }
}

/// `tool ARG` for a title: the command, path or pattern the call is about.
pub fn title(tool: &str, input: &Value) -> String {
    let subject = ["command", "path", "pattern", "url", "query"]
        .iter()
        .find_map(|key| input.get(*key).and_then(Value::as_str));
    match subject {
        Some(subject) => format!("{tool} {subject}"),
        None => tool.to_string(),
    }
}

/// The files a call reads or writes, for the client to follow.
fn locations(input: &Value) -> Value {
    match input.get("path").and_then(Value::as_str) {
        Some(path) => json!([{"path": path}]),
        None => json!([]),
    }
}

/// Our decision and its reasons (each with its rule), for `_meta.agent`.
pub fn decision_meta(decision: Verdict, reasons: &[crate::policy::Reason]) -> Value {
    json!({"agent": {"decision": decision, "reasons": reasons}})
}

fn tool_call(
    id: &str,
    tool: &str,
    input: &Value,
    decision: Verdict,
    reasons: &[crate::policy::Reason],
) -> Value {
    let mut call = json!({
        "sessionUpdate": "tool_call",
        "toolCallId": id,
        "title": title(tool, input),
        "kind": kind(tool),
        "status": status(decision),
        "rawInput": input,
        "locations": locations(input),
        "_meta": decision_meta(decision, reasons),
    });
    if decision == Verdict::Deny {
        let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        call["content"] = text_content(&format!("refused: {}", why.join("; ")));
    }
    call
}

fn tool_result(id: &str, output: &str, is_error: bool, exit_code: Option<i32>) -> Value {
    json!({
        "sessionUpdate": "tool_call_update",
        "toolCallId": id,
        "status": if is_error { "failed" } else { "completed" },
        "content": text_content(output),
        "rawOutput": {"output": output, "is_error": is_error, "exit_code": exit_code},
    })
}

/// Tool call content holding one text block.
fn text_content(text: &str) -> Value {
    json!([{"type": "content", "content": {"type": "text", "text": text}}])
}

/// The todo list as an ACP plan: done tasks completed, the first open one
/// in progress, the rest pending.
fn plan(list: &TodoList) -> Value {
    let first_open = list.tasks.iter().position(|task| !task.completed);
    let entries: Vec<Value> = list
        .tasks
        .iter()
        .enumerate()
        .map(|(index, task)| {
            let status = match (task.completed, Some(index) == first_open) {
                (true, _) => "completed",
                (false, true) => "in_progress",
                (false, false) => "pending",
            };
            json!({"content": task.task_description, "priority": "medium", "status": status})
        })
        .collect();
    json!({"sessionUpdate": "plan", "entries": entries})
}

/// The slash commands a client may offer, without `/quit` (the client ends
/// a session by closing it).
pub fn available_commands() -> Value {
    let commands: Vec<Value> = crate::chat::slash::commands()
        .into_iter()
        .filter(|(name, _)| !name.contains(' ') && name != "/quit")
        .map(|(name, about)| {
            let name = name.trim_start_matches('/');
            json!({
                "name": name,
                "description": about,
                "input": {"hint": hint(name)},
            })
        })
        .collect();
    json!({"sessionUpdate": "available_commands_update", "availableCommands": commands})
}

/// What follows a command's name.
fn hint(name: &str) -> &'static str {
    match name {
        "goal" => "[--max N] [--check CMD]... OBJECTIVE",
        "checkpoint" => "init|save|list|expand|diff|restore|clean",
        "rewind" => "[N] [--files]",
        "model" => "[ID]",
        "agent" => "list|swap NAME",
        "context" => "show|add PATH|remove PATH",
        "tools" => "[trust TOOL|untrust TOOL|trust-all|reset]",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_client_protocol::v1::schema::SessionUpdate;

    fn typed(value: Value) -> SessionUpdate {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn every_update_is_a_session_update() {
        let reason = crate::policy::Reason::new(Verdict::Ask, "the tool is not in `allowedTools`");
        let events = [
            Event::TextDelta { text: "hi".into() },
            Event::ToolCall {
                id: "c1".into(),
                caller: crate::engine::Caller::Model,
                tool: "shell".into(),
                input: json!({"command": "make"}),
                decision: Verdict::Deny,
                reasons: vec![reason],
            },
            Event::ToolResult {
                id: "c1".into(),
                output: "done".into(),
                is_error: false,
                exit_code: Some(0),
            },
            Event::Warning {
                message: "careful".into(),
            },
        ];
        for event in &events {
            typed(update(event).unwrap());
        }
        typed(available_commands());
    }

    #[test]
    fn a_denied_call_says_why_and_carries_our_decision() {
        let reason = crate::policy::Reason::new(Verdict::Deny, "`rm` is denied");
        let call = tool_call(
            "c",
            "shell",
            &json!({"command": "rm x"}),
            Verdict::Deny,
            &[reason],
        );
        assert_eq!(call["status"], "failed");
        assert_eq!(call["title"], "shell rm x");
        assert_eq!(call["_meta"]["agent"]["decision"], "deny");
        assert!(
            call["content"][0]["content"]["text"]
                .as_str()
                .unwrap()
                .contains("`rm` is denied")
        );
    }

    #[test]
    fn commands_include_goal_and_checkpoint_but_not_quit() {
        let update = available_commands();
        let names: Vec<&str> = update["availableCommands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"goal") && names.contains(&"checkpoint"));
        assert!(!names.contains(&"quit"));
    }
}
