//! What a spec run ends with: each task it took on, how its goal ended,
//! and why the run stopped. Serialized as the `spec` field of the JSON
//! result; the spec workflow in [`crate::spec`] fills it in.

use std::fmt::Write;

use serde::Serialize;

use super::goal::{CheckResult, GoalReport};

/// How a spec run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecStatus {
    /// Every task it ran was ticked (or none was open).
    Done,
    /// A task's goal was not met, or it broke an earlier task's checks.
    Stopped,
    /// Checks were planned for tasks without any; a person approves them
    /// first (`/spec approve`).
    AwaitingApproval,
    /// The spec could not run (no tasks file, a refused check…).
    Error,
}

impl SpecStatus {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            SpecStatus::Done => "done",
            SpecStatus::Stopped => "stopped",
            SpecStatus::AwaitingApproval => "awaiting_approval",
            SpecStatus::Error => "error",
        }
    }
}

/// One task a run took on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRun {
    /// Its number in `tasks.md`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Ticked by this run.
    pub ticked: bool,
    /// Its goal's report.
    pub goal: GoalReport,
    /// Earlier tasks' checks run after it, when its own passed.
    pub earlier_checks: Vec<CheckResult>,
}

/// A spec run's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecReport {
    /// The spec's name (its folder under `.kiro/specs`).
    pub name: String,
    /// How it ended.
    pub status: SpecStatus,
    /// Why, for people.
    pub summary: String,
    /// The tasks run, in order.
    pub tasks: Vec<TaskRun>,
}

impl SpecReport {
    /// A report that ran no task.
    pub fn without_tasks(name: &str, status: SpecStatus, summary: String) -> SpecReport {
        SpecReport {
            name: name.to_string(),
            status,
            summary,
            tasks: Vec::new(),
        }
    }

    /// The report as text for people.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "spec {}: {} ({})\n",
            self.name,
            self.status.name(),
            self.summary
        );
        for task in &self.tasks {
            let mark = if task.ticked { "[x]" } else { "[ ]" };
            let _ = writeln!(
                text,
                "  {mark} {} {}: goal {} ({})",
                task.id,
                task.title,
                task.goal.status.name(),
                task.goal.summary
            );
            for check in task.earlier_checks.iter().filter(|c| !c.passed()) {
                let _ = writeln!(text, "      earlier check failed: `{}`", check.command);
            }
        }
        text
    }
}
