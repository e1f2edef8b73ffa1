//! Acceptance checks: a check may run only if the agent's shell policy
//! allows it unasked (judged before any work starts), and it runs as a
//! shell call through the session's dispatcher, like any tool call: judged
//! again, hooks, the sandbox, a checkpoint and fence audit, redaction, the
//! events and the audit record.

use std::time::Instant;

use serde_json::{Value, json};

use super::report::{CheckResult, Refusal};
use crate::engine::{Caller, Emit, Session};
use crate::policy::{Decision, ToolCall};

/// Lines of a check's output kept in the report and sent to the model.
const TAIL_LINES: usize = 30;
/// Seconds one check may run.
const CHECK_TIMEOUT_SECS: u64 = 600;

/// A check the policy allows unasked, ready to run.
pub struct ApprovedCheck {
    command: String,
    input: Value,
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
            Decision::Allow { .. } => approved.push(ApprovedCheck {
                command: command.clone(),
                input: call.input,
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

/// Runs the checks one after another, each dispatched as the goal's shell
/// call.
pub async fn run_all(
    session: &mut Session,
    checks: &[ApprovedCheck],
    emit: &mut Emit<'_>,
) -> Vec<CheckResult> {
    let mut results = Vec::with_capacity(checks.len());
    for check in checks {
        let started = Instant::now();
        let dispatched = session
            .call(Caller::Goal, "shell", check.input.clone(), emit)
            .await;
        results.push(CheckResult {
            command: check.command.clone(),
            exit_code: dispatched.output.exit_code,
            duration_ms: started.elapsed().as_millis() as u64,
            output_tail: tail(&dispatched.output.text),
        });
    }
    results
}

/// The last [`TAIL_LINES`] lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
