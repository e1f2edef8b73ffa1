//! `switch_to_execution {plan}`: Kiro's hand-off from a planning agent.
//! The planner calls it once a person agreed to the plan; the turn then
//! ends (the result is not sent back to the model), and the chat
//! controller swaps to the agent the chat ran before the planner (or the
//! default agent) and starts a turn with `Implement this plan:\nPLAN`, as
//! Kiro does. The tool itself only records the plan.
//!
//! As in Kiro it is offered only when the agent's `tools` names it
//! (`*` and `@builtin` leave it out), and it runs unasked.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, required_str};

/// The `switch_to_execution` tool.
pub struct SwitchToExecution;

/// The plan handed off in this turn, shared by the tool, the engine (which
/// ends the turn) and the controller (which swaps agents and sends it).
#[derive(Debug, Clone, Default)]
pub struct Handoff(Arc<Mutex<Option<String>>>);

impl Handoff {
    /// Records `plan`.
    fn set(&self, plan: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(plan.to_string());
        }
    }

    /// Whether a plan waits to be handed off.
    pub fn is_set(&self) -> bool {
        self.0.lock().is_ok_and(|slot| slot.is_some())
    }

    /// The plan, taken: it is handed off once.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

impl Tool for SwitchToExecution {
    fn name(&self) -> &'static str {
        "switch_to_execution"
    }

    fn description(&self) -> &'static str {
        "Signal that planning is complete and hand off the plan to the execution agent. Only call this after the user has confirmed the plan looks good."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "plan": {"type": "string", "description": "The complete implementation plan to pass to the execution agent."}
            },
            "required": ["plan"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        match required_str(input, "plan") {
            Ok(plan) => {
                context.session.handoff.set(plan);
                ToolOutput::ok(json!({"approved": true, "plan": plan}).to_string())
            }
            Err(error) => error,
        }
    }
}
