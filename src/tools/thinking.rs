//! `thinking {thought}`: Kiro's scratchpad. The model writes a reasoning
//! step down; nothing runs and nothing changes, and the thought is echoed
//! back so the conversation keeps it.

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, required_str};

/// The `thinking` tool.
pub struct Thinking;

impl Tool for Thinking {
    fn name(&self) -> &'static str {
        "thinking"
    }

    fn description(&self) -> &'static str {
        "A scratchpad for multi-step reasoning: write down a plan, constraints or a synthesis of earlier results before acting. Nothing runs."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "thought": {"type": "string", "description": "The reasoning step"}
            },
            "required": ["thought"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, _context: &ToolContext) -> ToolOutput {
        match required_str(input, "thought") {
            Ok(thought) => ToolOutput::ok(format!("noted: {thought}")),
            Err(error) => error,
        }
    }
}
