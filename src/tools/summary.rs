//! `summary {taskDescription, contextSummary?, taskResult}`: Kiro's tool
//! with which a sub-agent hands its result to the agent that started it.
//! Nothing runs. In a child session (`subagent`, `delegate`) the result
//! becomes the child's answer to its parent, in place of its last reply
//! (see `engine::subagents`); in a session of its own it is only echoed.

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// The `summary` tool.
pub struct Summary;

impl Tool for Summary {
    fn name(&self) -> &'static str {
        "summary"
    }

    fn description(&self) -> &'static str {
        "As a sub-agent, hand your result to the agent that started you when your task is done: the task you were given, the result, and any context that helps it act on the result."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "taskDescription": {"type": "string", "description": "The task you were given"},
                "contextSummary": {"type": "string", "description": "Context gathered that helps use the result"},
                "taskResult": {"type": "string", "description": "The result of the task"}
            },
            "required": ["taskDescription", "taskResult"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, _context: &ToolContext) -> ToolOutput {
        match handed_over(input) {
            Ok(result) => ToolOutput::ok(format!("summary recorded:\n{result}")),
            Err(error) => error,
        }
    }
}

/// The text a `summary` input hands to the parent: the result, then the
/// context when given.
pub fn handed_over(input: &Value) -> Result<String, ToolOutput> {
    required_str(input, "taskDescription")?;
    let result = required_str(input, "taskResult")?;
    Ok(match optional_str(input, "contextSummary") {
        Some(context) if !context.trim().is_empty() => format!("{result}\n\nContext: {context}"),
        _ => result.to_string(),
    })
}
