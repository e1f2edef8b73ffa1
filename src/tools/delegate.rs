//! `delegate {operation: launch | status | list, agent?, task?}`: Kiro's
//! background sub-agents. `launch` starts `agent` (default: the default
//! agent) on `task` and returns at once; `status` reports each delegated
//! agent (or the one named): still running, or its final answer, changed
//! files and refusals, its changes then applied as with `subagent`; `list`
//! lists the agents that may be delegated to. One task per agent at a
//! time, as in Kiro. This file reads the input; the engine, which owns
//! sessions, runs the children (see `engine::subagents::delegate`).

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput};
use crate::policy::subagent::DEFAULT_AGENT;

/// The `delegate` tool.
pub struct Delegate;

/// What a `delegate` call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Start `agent` on `task` in the background.
    Launch {
        /// The agent to run.
        agent: String,
        /// Its prompt.
        task: String,
    },
    /// Report on one delegated agent, or on all (`None`).
    Status(Option<String>),
    /// List the agents that may be delegated to.
    List,
}

impl Tool for Delegate {
    fn name(&self) -> &'static str {
        "delegate"
    }

    fn description(&self) -> &'static str {
        "Run a task with another agent in the background while you go on. `launch` (task, agent?) starts it and returns at once; `status` (agent?) says whether it is still running or gives its final answer, the files it changed (applied to the workspace when you ask, conflicts reported) and its refused calls; `list` shows the agents you may use. One task per agent at a time. A delegated agent never has more permission than you, and nobody can be asked for approval on its behalf."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "operation": {"type": "string", "enum": ["launch", "status", "list"]},
                "agent": {"type": "string", "description": "The agent (default: the default agent; for status: all)"},
                "task": {"type": "string", "description": "The task, self-contained (launch)"}
            },
            "required": ["operation"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Anything
    }

    fn run(&self, _input: &Value, _context: &ToolContext) -> ToolOutput {
        ToolOutput::error("delegated agents run only inside a session, which starts them")
    }
}

/// Reads a `delegate` input.
pub fn request(input: &Value) -> Result<Request, String> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    match input.get("operation").and_then(Value::as_str) {
        Some("launch") => Ok(Request::Launch {
            agent: text("agent").unwrap_or_else(|| DEFAULT_AGENT.to_string()),
            task: text("task")
                .filter(|t| !t.trim().is_empty())
                .ok_or("`launch` needs a `task`")?,
        }),
        Some("status") => Ok(Request::Status(text("agent").filter(|a| a != "all"))),
        Some("list") => Ok(Request::List),
        Some(other) => Err(format!(
            "unknown operation `{other}`: use launch, status or list"
        )),
        None => Err("`operation` is required: launch, status or list".into()),
    }
}
