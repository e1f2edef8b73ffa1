//! `session {operation, key?, value?}`: Kiro's tool for the session's
//! settings. `list` and `get` read the settings this session started with
//! (secrets are never shown). Kiro's `set` and `reset` change a setting
//! for the session only; here the settings a session runs with are fixed
//! when it starts (the policy, sandbox and checkpoints were built from
//! them), so both are answered with how to change a setting for good
//! (`agent settings KEY VALUE`) instead of pretending to take effect.
//! `sessions` lists the workspace's saved sessions (Kiro's session
//! management); `switch` is answered with how to resume one, since a
//! running session cannot become another.

use serde_json::{Value, json};

use crate::settings::{self, SETTINGS};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// The `session` tool.
pub struct SessionTool;

impl Tool for SessionTool {
    fn name(&self) -> &'static str {
        "session"
    }

    fn description(&self) -> &'static str {
        "Show this session's settings: `list` (every setting with its value and what it does) or `get` (one `key`); `sessions` lists the saved sessions of this workspace. Settings cannot be changed, nor the session switched, from inside a session."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "operation": {"type": "string", "enum": ["list", "get", "set", "reset", "sessions", "switch"]},
                "key": {"type": "string", "description": "A setting's dotted key, e.g. chat.defaultModel"},
                "value": {"description": "For set (not supported here)"}
            },
            "required": ["operation"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let current = &context.session.settings;
        match optional_str(input, "operation").unwrap_or_default() {
            "list" => ToolOutput::ok(
                SETTINGS
                    .iter()
                    .map(|spec| line(spec, current.get(spec.key)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            "get" => {
                let key = match required_str(input, "key") {
                    Ok(key) => key,
                    Err(error) => return error,
                };
                match settings::spec(key) {
                    Ok(spec) => ToolOutput::ok(line(spec, current.get(key))),
                    Err(e) => ToolOutput::error(e.0.trim_start_matches("error: ").to_string()),
                }
            }
            "sessions" | "list_sessions" => match context.session.saved_sessions.lines() {
                Some(lines) if lines.is_empty() => ToolOutput::ok("no saved sessions for this workspace"),
                Some(lines) => ToolOutput::ok(lines.join("\n")),
                None => ToolOutput::ok("this session keeps no saved sessions"),
            },
            "switch" | "switch_session" => ToolOutput::error(
                "a session cannot switch itself to another; the user can continue a saved one with `agent chat --resume ID` (`sessions` lists them)",
            ),
            "set" | "reset" => ToolOutput::error(
                "settings cannot change inside a running session here (its guardrails were built from them); the user can run `agent settings KEY VALUE` and start a new session",
            ),
            other => ToolOutput::error(format!(
                "unknown operation `{other}`: use list, get or sessions"
            )),
        }
    }
}

/// `key = value  (what it does)`, secrets masked.
fn line(spec: &settings::Spec, value: Option<&Value>) -> String {
    let shown = value.map_or_else(|| "(not set)".into(), |v| settings::display(spec, v));
    format!("{} = {shown}  ({})", spec.key, spec.doc)
}
