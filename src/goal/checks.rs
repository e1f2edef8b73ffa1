//! Acceptance checks: a check may run only if the agent's shell policy
//! allows it unasked (judged before any work starts), and it runs exactly
//! as the shell tool runs a command (same environment, same limits, and
//! the same sandbox), with the policy's approval in hand.

use std::time::Instant;

use serde_json::json;

use super::report::{CheckResult, Refusal};
use crate::engine::Session;
use crate::policy::{Approval, Decision, ToolCall};
use crate::tools::{self, ToolContext};

/// Lines of a check's output kept in the report and sent to the model.
const TAIL_LINES: usize = 30;
/// Seconds one check may run.
const CHECK_TIMEOUT_SECS: u64 = 600;

/// A check the policy approved, ready to run.
pub struct ApprovedCheck {
    command: String,
    call: ToolCall,
    approval: Approval,
}

/// Judges every check as an unattended shell call: the approved ones, or
/// every refusal with its reasons.
pub fn approve(session: &Session, commands: &[String]) -> Result<Vec<ApprovedCheck>, Vec<Refusal>> {
    let mut approved = Vec::new();
    let mut refused = Vec::new();
    for command in commands {
        let call = ToolCall {
            tool: "shell".into(),
            input: json!({"command": command, "timeout_secs": CHECK_TIMEOUT_SECS}),
        };
        match session.decide_unattended(&call) {
            Decision::Allow { approval, .. } => approved.push(ApprovedCheck {
                command: command.clone(),
                call,
                approval,
            }),
            Decision::Ask { reasons, .. } | Decision::Deny { reasons } => refused.push(Refusal {
                what: format!("check `{command}`"),
                reason: format!(
                    "a check must be a command the shell policy allows unasked: {}",
                    reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }),
        }
    }
    match refused.is_empty() {
        true => Ok(approved),
        false => Err(refused),
    }
}

/// Runs the checks one after another, off the async executor.
pub async fn run_all(checks: &[ApprovedCheck], context: &ToolContext) -> Vec<CheckResult> {
    let mut results = Vec::with_capacity(checks.len());
    for check in checks {
        let call = check.call.clone();
        let approval = check.approval.clone();
        let context = context.for_call();
        let started = Instant::now();
        let output = tokio::task::spawn_blocking(move || tools::run(&call, &approval, &context))
            .await
            .unwrap_or_else(|e| tools::ToolOutput::error(format!("the check failed: {e}")));
        results.push(CheckResult {
            command: check.command.clone(),
            exit_code: output.exit_code,
            duration_ms: started.elapsed().as_millis() as u64,
            output_tail: tail(&output.text),
        });
    }
    results
}

/// The last [`TAIL_LINES`] lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
