//! What a goal ends with: its status, every iteration's check results,
//! the checkpoints around it, the files it changed, what was refused, and
//! what it cost. Serialized as the `goal` field of the JSON result, and
//! rendered as text for people.
//!
//! It is part of the event vocabulary (the [`super::Event::GoalEnd`]
//! payload), so it lives with the events; the goal loop in
//! [`crate::goal`] fills it in.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::UsageTotals;
use crate::checkpoint::FileChange;
use crate::engine::limits::Halt;

/// How a goal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// Every check passed, and no watched file changed.
    Met,
    /// Every check passed, but only after tests or check configuration
    /// changed: a person should look at those changes.
    MetWithChangedTests,
    /// Checks still failed after the last iteration.
    NotMet,
    /// Two iterations in a row changed nothing or failed identically.
    Stalled,
    /// There were no checks, so nothing could say the goal was met.
    Unverified,
    /// Stopped by the user; files stay as they are.
    Cancelled,
    /// The goal could not run (a check refused, the model unreachable…).
    Error,
}

impl GoalStatus {
    /// Its name in reports (`met_with_changed_tests`).
    pub fn name(self) -> &'static str {
        match self {
            GoalStatus::Met => "met",
            GoalStatus::MetWithChangedTests => "met_with_changed_tests",
            GoalStatus::NotMet => "not_met",
            GoalStatus::Stalled => "stalled",
            GoalStatus::Unverified => "unverified",
            GoalStatus::Cancelled => "cancelled",
            GoalStatus::Error => "error",
        }
    }
}

/// One check's run after one iteration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The command.
    pub command: String,
    /// Its exit code; `None` when it was killed or could not start.
    pub exit_code: Option<i32>,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// The end of its output.
    pub output_tail: String,
}

impl CheckResult {
    /// True when it exited 0.
    pub fn passed(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// One implement-and-verify round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Iteration {
    /// 1, 2, …
    pub number: u32,
    /// Every check's result after it.
    pub checks: Vec<CheckResult>,
    /// Why the implementing turn ended early, if it did (time limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A call or check the guardrails refused during the goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// What was refused: a tool call (`write src/x.py`) or a check.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// Everything a goal ended with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalReport {
    /// The objective.
    pub objective: String,
    /// How it ended.
    pub status: GoalStatus,
    /// Why it ended so, in a sentence.
    pub summary: String,
    /// Iterations run.
    pub iterations_used: u32,
    /// Iterations allowed.
    pub max_iterations: u32,
    /// The acceptance checks.
    pub checks: Vec<String>,
    /// Each check's result at the baseline, before any work: a check that
    /// passed there is a guard (it must keep passing), not evidence of
    /// progress.
    pub baseline: Vec<CheckResult>,
    /// Each iteration's check results.
    pub iterations: Vec<Iteration>,
    /// The checkpoint taken before any work.
    pub baseline_checkpoint: Option<String>,
    /// The checkpoint taken at the end.
    pub final_checkpoint: Option<String>,
    /// Files changed from the baseline to the end.
    pub files_changed: Vec<FileChange>,
    /// Watched files (tests, check configuration) among them.
    pub changed_tests: Vec<String>,
    /// Their diff, for a person to review.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub changed_tests_diff: String,
    /// What the guardrails refused.
    pub refused: Vec<Refusal>,
    /// Tokens and requests used.
    pub usage: UsageTotals,
    /// Wall time, in milliseconds.
    pub wall_ms: u64,
    /// Of which the checks took this much.
    pub checks_ms: u64,
    /// The run limit or the loop that stopped the goal, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<Halt>,
}

impl GoalReport {
    /// The report of a goal about to start.
    pub fn new(objective: String, max_iterations: u32) -> GoalReport {
        GoalReport {
            objective,
            status: GoalStatus::Error,
            summary: String::new(),
            iterations_used: 0,
            max_iterations,
            checks: Vec::new(),
            baseline: Vec::new(),
            iterations: Vec::new(),
            baseline_checkpoint: None,
            final_checkpoint: None,
            files_changed: Vec::new(),
            changed_tests: Vec::new(),
            changed_tests_diff: String::new(),
            refused: Vec::new(),
            usage: UsageTotals::default(),
            wall_ms: 0,
            checks_ms: 0,
            stop_reason: None,
        }
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "goal {}: {} ({} of {} iterations, {:.1} s)",
            self.status.name(),
            self.summary,
            self.iterations_used,
            self.max_iterations,
            self.wall_ms as f64 / 1000.0
        );
        if !self.baseline.is_empty() {
            out.push_str("  baseline:");
            write_checks(&mut out, &self.baseline);
            out.push('\n');
        }
        for iteration in &self.iterations {
            let _ = write!(out, "  iteration {}:", iteration.number);
            write_checks(&mut out, &iteration.checks);
            if let Some(note) = &iteration.note {
                let _ = write!(out, "  ({note})");
            }
            out.push('\n');
        }
        if let (Some(baseline), Some(last)) = (&self.baseline_checkpoint, &self.final_checkpoint) {
            let _ = writeln!(
                out,
                "  checkpoints: baseline {baseline}, final {last} (`agent checkpoint diff {baseline} {last}`; `agent checkpoint restore {baseline}` undoes the goal)"
            );
        }
        for file in &self.files_changed {
            let _ = writeln!(
                out,
                "  changed {} +{} -{}",
                file.path.display(),
                file.added,
                file.removed
            );
        }
        if !self.changed_tests.is_empty() {
            let _ = writeln!(
                out,
                "  tests or check configuration changed: {}",
                self.changed_tests.join(", ")
            );
            out.push_str(&self.changed_tests_diff);
        }
        for refusal in &self.refused {
            let _ = writeln!(out, "  refused: {} ({})", refusal.what, refusal.reason);
        }
        let _ = writeln!(
            out,
            "  model: {} requests, {} tokens in, {} out",
            self.usage.requests, self.usage.input_tokens, self.usage.output_tokens
        );
        out
    }
}

/// `  [pass] COMMAND (exit 0)` for each check, on one line.
fn write_checks(out: &mut String, checks: &[CheckResult]) {
    for check in checks {
        let mark = if check.passed() { "pass" } else { "FAIL" };
        let code = check
            .exit_code
            .map_or("killed".to_string(), |c| format!("exit {c}"));
        let _ = write!(out, "  [{mark}] {} ({code})", check.command);
    }
}
