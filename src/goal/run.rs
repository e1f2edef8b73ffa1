//! The loop: baseline, plan, checks that must fail first (see
//! [`super::baseline`]), then implement and verify until the checks pass,
//! the iterations run out, or the work stalls.
//!
//! The program, not the model, decides how a goal ended: it takes the
//! checkpoints, runs the checks, compares trees and failures between
//! iterations, and puts back any protected file that changed by a way the
//! policy could not see (a script writing it).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::checks::{self, ApprovedCheck};
use super::report::{CheckResult, GoalReport, GoalStatus, Iteration, Refusal};
use super::spec::GoalSpec;
use crate::checkpoint::CheckpointStore;
use crate::engine::{Caller, Event, Halt, Session, TurnError, TurnOptions};
use crate::policy::Verdict;
use crate::policy::protect::PathGlobs;

/// How a goal is bounded beyond its spec.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Model requests per iteration.
    pub requests: usize,
    /// Time per iteration.
    pub iteration_time: Duration,
}

impl Limits {
    /// The limits `spec` asks for.
    pub fn of(spec: &GoalSpec) -> Limits {
        Limits {
            requests: spec.max_requests,
            iteration_time: Duration::from_secs(spec.max_minutes.saturating_mul(60)),
        }
    }
}

/// Why the loop stopped before its natural end.
pub(super) enum Stop {
    /// The user cancelled.
    Cancelled,
    /// Something failed; the message says what.
    Failed(String),
    /// A run limit was reached, or the model looped.
    Halted(Halt),
}

/// Runs `spec` on `session`, emitting the session's events and the goal's
/// progress; `stop` turning true cancels it (files stay as they are).
pub async fn run(
    session: &mut Session,
    spec: &GoalSpec,
    stop: watch::Receiver<bool>,
    emit: &mut (dyn FnMut(Event) + Send),
) -> GoalReport {
    let started = Instant::now();
    let mut goal = Goal {
        report: GoalReport::new(spec.objective(), spec.max),
        spec,
        limits: Limits::of(spec),
        stop,
        store: session.checkpoints(),
    };
    let ended = goal.drive(session, emit).await;
    if let Err(stop) = ended {
        let (status, summary) = match stop {
            Stop::Cancelled => (
                GoalStatus::Cancelled,
                "cancelled by the user; the files stay as they are".to_string(),
            ),
            Stop::Failed(message) => (GoalStatus::Error, message),
            Stop::Halted(halt) => {
                goal.report.stop_reason = Some(halt);
                match halt {
                    Halt::Loop => (GoalStatus::Stalled, halt.to_string()),
                    _ => (GoalStatus::Error, halt.to_string()),
                }
            }
        };
        goal.report.status = status;
        goal.report.summary = summary;
    }
    session.protect_for_goal(None);
    goal.finish();
    goal.report.wall_ms = started.elapsed().as_millis() as u64;
    let report = goal.report;
    emit(Event::GoalEnd {
        report: Box::new(report.clone()),
    });
    report
}

/// A goal under way.
pub(super) struct Goal<'a> {
    pub(super) report: GoalReport,
    spec: &'a GoalSpec,
    pub(super) limits: Limits,
    stop: watch::Receiver<bool>,
    store: Option<Arc<Mutex<CheckpointStore>>>,
}

impl Goal<'_> {
    /// Plans and iterates; `Ok` when the loop reached a status of its own.
    async fn drive(
        &mut self,
        session: &mut Session,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<(), Stop> {
        if self.store.is_none() {
            return Err(Stop::Failed(
                "the goal loop needs checkpoints, and they are off (`chat.enableCheckpoint`, or `agent checkpoint init` outside git)".into(),
            ));
        }
        PathGlobs::new(&self.spec.watched()).map_err(Stop::Failed)?;
        let protected = match self.spec.protect.is_empty() {
            true => None,
            false => Some(PathGlobs::new(&self.spec.protect).map_err(Stop::Failed)?),
        };
        let description = format!("goal baseline: {}", self.spec.objective());
        self.report.baseline_checkpoint = Some(
            self.with_store(move |store| {
                // The newest checkpoint is the baseline when nothing changed
                // since it (the tutorial's `/checkpoint init` just before).
                let tag = store.next_turn()?.to_string();
                match store.snapshot(&tag, &description, true)? {
                    Some(_) => Ok(tag),
                    None => Ok(store.latest()?.unwrap_or(tag)),
                }
            })
            .await?,
        );
        session.protect_for_goal(protected.clone());
        session.forget_repetitions();
        let plan = self.plan(session, emit).await?;
        let approved = self.approve(session, &self.report.checks.clone())?;
        let Some(approved) = self.red_first(session, approved, emit).await? else {
            return Ok(());
        };
        let mut prompt = implement_prompt(self.spec, &plan, &self.report);
        if let Some(note) = self.plan_as_todo(session, &plan, emit).await {
            prompt.push_str(&note);
        }
        let mut previous: Option<(Option<String>, Vec<CheckResult>)> = None;
        let mut unchanged_in_a_row = 0;
        let baseline_tree = self.latest_tree().await;
        let mut acted = false;
        for number in 1..=self.spec.max {
            self.report.iterations_used = number;
            let note = self
                .implement(session, number, &prompt, !acted, emit)
                .await?;
            self.put_back_protected(protected.as_ref(), emit).await?;
            acted = acted || self.latest_tree().await != baseline_tree;
            let results = self
                .verify(session, "verify", number, &approved, emit)
                .await?;
            self.report.iterations.push(Iteration {
                number,
                checks: results.clone(),
                note,
            });
            if results.iter().all(CheckResult::passed) {
                self.end(GoalStatus::Met, "every check passed");
                return Ok(());
            }
            let tree = self.latest_tree().await;
            if let Some((previous_tree, previous_results)) = &previous {
                unchanged_in_a_row = match *previous_tree == tree {
                    true => unchanged_in_a_row + 1,
                    false => 0,
                };
                if unchanged_in_a_row >= 2 || same_failures(previous_results, &results) {
                    self.end(
                        GoalStatus::Stalled,
                        "two iterations in a row changed nothing or failed identically",
                    );
                    return Ok(());
                }
            }
            prompt = verification_report(number, self.spec.max, &results);
            previous = Some((tree, results));
        }
        self.end(
            GoalStatus::NotMet,
            "checks still fail after the last iteration",
        );
        Ok(())
    }

    /// Asks the model for a plan and, without `--check`, the checks.
    async fn plan(
        &mut self,
        session: &mut Session,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, Stop> {
        emit(Event::GoalProgress {
            phase: "plan".into(),
            iteration: 0,
            max: self.spec.max,
            detail: self.spec.objective(),
        });
        let options = TurnOptions {
            max_requests: self.limits.requests,
            planning: true,
            keep_repetitions: true,
            must_act: self.spec.checks.is_empty(),
        };
        let prompt = planning_prompt(self.spec);
        let outcome = self
            .turn(session, &prompt, &options, emit)
            .await?
            .ok_or_else(|| Stop::Failed("the planning turn ran out of time".into()))?;
        self.report.checks = match self.spec.checks.is_empty() {
            true => outcome.checks.unwrap_or_default(),
            false => self.spec.checks.clone(),
        };
        Ok(outcome.text)
    }

    /// The plan's steps (its bullet or numbered lines) as the session's todo
    /// list, when the agent has `todo_list`: created through the dispatcher
    /// like any call (a `todo` event shows it live), and named in the
    /// implementing prompt so the model ticks the steps off as it goes. The
    /// note for that prompt, or `None` when no list was made.
    async fn plan_as_todo(
        &self,
        session: &mut Session,
        plan: &str,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Option<String> {
        let steps = plan_steps(plan);
        let listed = crate::policy::tools::exists(
            session.agent(),
            crate::config::patterns::ToolId::Builtin("todo_list"),
        );
        if steps.is_empty() || !listed {
            return None;
        }
        let tasks: Vec<_> = steps
            .iter()
            .map(|step| serde_json::json!({ "task_description": step }))
            .collect();
        let input = serde_json::json!({
            "command": "create",
            "todo_list_description": self.spec.objective(),
            "tasks": tasks,
        });
        let dispatched = session.call(Caller::Goal, "todo_list", input, emit).await;
        if dispatched.output.is_error {
            return None;
        }
        let list = session.tool_context().session.todo.current()?;
        Some(format!(
            "\nYour plan is now todo list {id}:\n{}Mark each step complete with `todo_list` (`complete`, `current_id` \"{id}\", `completed_indices`) as you finish it.\n",
            list.render(),
            id = list.id
        ))
    }

    /// One implementing turn (`must_act` until a file changed: a local
    /// model is asked for tool calls, not text); its note says if it was
    /// cut short.
    async fn implement(
        &mut self,
        session: &mut Session,
        number: u32,
        prompt: &str,
        must_act: bool,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Option<String>, Stop> {
        emit(Event::GoalProgress {
            phase: "implement".into(),
            iteration: number,
            max: self.spec.max,
            detail: format!("iteration {number} of {}", self.spec.max),
        });
        let options = TurnOptions {
            max_requests: self.limits.requests,
            planning: false,
            keep_repetitions: true,
            must_act,
        };
        match self.turn(session, prompt, &options, emit).await? {
            Some(_) => Ok(None),
            None => Ok(Some(format!(
                "the iteration was stopped at its time limit ({} min)",
                self.spec.max_minutes
            ))),
        }
    }

    /// Judges `commands` as checks: the approved ones, or the goal stops
    /// with every refusal recorded.
    pub(super) fn approve(
        &mut self,
        session: &Session,
        commands: &[String],
    ) -> Result<Vec<ApprovedCheck>, Stop> {
        checks::approve(session, commands).map_err(|refused| {
            self.report.refused.extend(refused);
            Stop::Failed("a check was refused by the shell policy before any work started".into())
        })
    }

    /// Runs the checks (`phase` is `baseline` or `verify`), counting their
    /// time apart from the harness's.
    pub(super) async fn verify(
        &mut self,
        session: &mut Session,
        phase: &str,
        number: u32,
        approved: &[ApprovedCheck],
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Vec<CheckResult>, Stop> {
        emit(Event::GoalProgress {
            phase: phase.into(),
            iteration: number,
            max: self.spec.max,
            detail: format!("running {} check(s)", approved.len()),
        });
        let cancel = session.tool_context().cancel;
        let started = Instant::now();
        let results = tokio::select! {
            results = checks::run_all(session, approved, emit) => results,
            _ = cancelled(self.stop.clone()) => {
                cancel.cancel_running();
                return Err(Stop::Cancelled);
            }
        };
        self.report.checks_ms += started.elapsed().as_millis() as u64;
        Ok(results)
    }

    /// Runs one turn within the iteration's time, watching for cancel;
    /// `None` when the time ran out (the turn is then dropped from the
    /// conversation, and its running command killed).
    pub(super) async fn turn(
        &mut self,
        session: &mut Session,
        prompt: &str,
        options: &TurnOptions,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Option<crate::engine::TurnOutcome>, Stop> {
        let before = session.messages().len();
        let context = session.tool_context();
        let mut refusals = Vec::new();
        let mut record = |event: Event| {
            if let Event::ToolCall {
                tool,
                input,
                decision,
                reasons,
                ..
            } = &event
                && *decision == Verdict::Deny
            {
                refusals.push(Refusal {
                    what: format!("{tool} {input}"),
                    reason: reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            emit(event);
        };
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(
                self.limits.iteration_time,
                session.run_turn_with(prompt, options, &mut record),
            ) => outcome,
            _ = cancelled(self.stop.clone()) => {
                context.cancel.cancel_running();
                session.truncate(before);
                self.report.refused.append(&mut refusals);
                return Err(Stop::Cancelled);
            }
        };
        self.report.refused.append(&mut refusals);
        match outcome {
            Ok(Ok(outcome)) => {
                self.report.usage.input_tokens += outcome.usage.input_tokens;
                self.report.usage.output_tokens += outcome.usage.output_tokens;
                self.report.usage.requests += outcome.usage.requests;
                self.report.usage.model_ms += outcome.usage.model_ms;
                Ok(Some(outcome))
            }
            Ok(Err(TurnError::Stopped(halt))) => Err(Stop::Halted(halt)),
            Ok(Err(error)) => Err(Stop::Failed(format!("the turn failed: {error}"))),
            Err(_) => {
                context.cancel.cancel_running();
                session.truncate(before);
                Ok(None)
            }
        }
    }

    /// Puts back protected files that changed since the baseline (a script
    /// can write where the write tool may not), and records each as a
    /// refused write.
    async fn put_back_protected(
        &mut self,
        protected: Option<&PathGlobs>,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<(), Stop> {
        let Some(protected) = protected else {
            return Ok(());
        };
        let tag = self.snapshot("goal: after an iteration").await?;
        let baseline = self.report.baseline_checkpoint.clone().unwrap_or_default();
        let changed: Vec<PathBuf> = self
            .with_store(move |store| store.changed_paths(&baseline, &tag))
            .await?
            .into_iter()
            .filter(|path| protected.matching(path).is_some())
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let baseline = self.report.baseline_checkpoint.clone().unwrap_or_default();
        let paths = changed.clone();
        self.with_store(move |store| store.put_back(&baseline, &paths))
            .await?;
        for path in changed {
            let what = format!("a change to {}", path.display());
            emit(Event::Warning {
                message: format!("{what} was put back: it is protected for the goal"),
            });
            self.report.refused.push(Refusal {
                what,
                reason: "protected for the goal (`--protect`); put back from the baseline".into(),
            });
        }
        Ok(())
    }

    /// Takes a checkpoint now (always, changed or not) and returns its tag.
    async fn snapshot(&self, description: &str) -> Result<String, Stop> {
        let description = description.to_string();
        self.with_store(move |store| {
            let tag = store.next_turn()?.to_string();
            store.snapshot(&tag, &description, false)?;
            Ok(tag)
        })
        .await
    }

    async fn latest_tree(&self) -> Option<String> {
        self.with_store(|store| store.latest_tree())
            .await
            .ok()
            .flatten()
    }

    /// Runs `work` on the store off the async executor.
    async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut CheckpointStore) -> Result<T, crate::checkpoint::CheckpointError>
        + Send
        + 'static,
    ) -> Result<T, Stop> {
        let store = self
            .store
            .clone()
            .ok_or_else(|| Stop::Failed("checkpoints are off".into()))?;
        tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable".to_string())?;
            work(&mut store).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?
        .map_err(Stop::Failed)
    }

    pub(super) fn end(&mut self, status: GoalStatus, summary: &str) {
        self.report.status = status;
        self.report.summary = summary.to_string();
    }

    /// The final checkpoint, the files changed, and whether watched files
    /// were among them (which turns `met` into `met_with_changed_tests`).
    fn finish(&mut self) {
        let Some(baseline) = self.report.baseline_checkpoint.clone() else {
            return;
        };
        let Some(store) = self.store.clone() else {
            return;
        };
        let Ok(mut store) = store.lock() else {
            return;
        };
        let status = self.report.status.name();
        let Ok(next) = store.next_turn().map(|t| t.to_string()) else {
            return;
        };
        // The last turn's checkpoint is the final one when nothing changed
        // after it.
        let tag = match store.snapshot(&next, &format!("goal end: {status}"), true) {
            Ok(Some(_)) => next,
            Ok(None) => match store.latest() {
                Ok(Some(latest)) => latest,
                _ => return,
            },
            Err(_) => return,
        };
        self.report.final_checkpoint = Some(tag.clone());
        self.report.files_changed = store.file_changes(&baseline, &tag).unwrap_or_default();
        let Ok(watched) = PathGlobs::new(&self.spec.watched()) else {
            return;
        };
        let changed: Vec<PathBuf> = self
            .report
            .files_changed
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| watched.matching(p).is_some())
            .collect();
        self.report.changed_tests = changed.iter().map(|p| p.display().to_string()).collect();
        if !changed.is_empty() {
            self.report.changed_tests_diff =
                store.diff_of(&baseline, &tag, &changed).unwrap_or_default();
            if self.report.status == GoalStatus::Met {
                self.report.status = GoalStatus::MetWithChangedTests;
                self.report.summary =
                    "every check passed, but only after tests or check configuration changed"
                        .into();
            }
        }
    }
}

/// Resolves once `stop` turns true (never, if its sender is gone).
async fn cancelled(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The same checks failed with the same exit codes and output.
fn same_failures(before: &[CheckResult], now: &[CheckResult]) -> bool {
    let failing = |results: &[CheckResult]| -> Vec<(String, Option<i32>, String)> {
        results
            .iter()
            .filter(|r| !r.passed())
            .map(|r| (r.command.clone(), r.exit_code, r.output_tail.clone()))
            .collect()
    };
    failing(before) == failing(now)
}

/// Steps a todo list holds at most.
const MAX_PLAN_STEPS: usize = 12;

/// The plan's bullet (`-`, `*`, `•`) and numbered (`1.`, `2)`) lines,
/// without their markers.
fn plan_steps(plan: &str) -> Vec<String> {
    plan.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = ["- ", "* ", "• "]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .or_else(|| {
                    let digits =
                        line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    let after = &line[digits..];
                    (digits > 0)
                        .then(|| {
                            after
                                .strip_prefix(". ")
                                .or_else(|| after.strip_prefix(") "))
                        })
                        .flatten()
                })?;
            let step = rest.trim();
            (!step.is_empty()).then(|| step.to_string())
        })
        .take(MAX_PLAN_STEPS)
        .collect()
}

fn planning_prompt(spec: &GoalSpec) -> String {
    let checks = match spec.checks.is_empty() {
        true => "Then state the acceptance checks by calling `set_checks`: shell commands that all exit 0 exactly when the objective is met (for example the test suite and a type checker). Each must be a command this agent's shell policy allows to run unasked; the program runs them itself after every iteration.".to_string(),
        false => format!(
            "The acceptance checks are fixed; the program runs them itself after every iteration:\n{}",
            bullet_list(&spec.checks)
        ),
    };
    format!(
        "You are starting a goal. Objective: {}\n\nFirst reply with a short plan (a few bullet points); read files if you need to, but change nothing yet. {checks}",
        spec.objective()
    )
}

fn implement_prompt(spec: &GoalSpec, plan: &str, report: &GoalReport) -> String {
    let mut prompt = format!(
        "Carry out the plan now. Objective: {}\n\nYour plan:\n{}\n",
        spec.objective(),
        plan.trim()
    );
    if !report.checks.is_empty() {
        prompt.push_str(&format!(
            "\nWhen you end your turn the program runs these checks; the goal is met when all exit 0:\n{}\n",
            bullet_list(&report.checks)
        ));
    }
    prompt.push_str(&super::baseline::guards_note(&report.baseline));
    prompt.push_str(
        "\nMake the checks pass by fixing the code, not by changing tests or check configuration: a pass that needs such changes is reported to the user as such.",
    );
    if !spec.protect.is_empty() {
        prompt.push_str(&format!(
            " These paths are read-only for this goal: {}.",
            spec.protect.join(", ")
        ));
    }
    prompt
}

/// The next iteration's user message: which checks failed and how.
fn verification_report(number: u32, max: u32, results: &[CheckResult]) -> String {
    let mut report =
        format!("Verification after iteration {number} of {max}: the goal is not met yet.\n");
    for result in results {
        match result.passed() {
            true => report.push_str(&format!("\n- passed: `{}`", result.command)),
            false => report.push_str(&format!(
                "\n- FAILED: `{}` ({}), output tail:\n```\n{}\n```",
                result.command,
                result
                    .exit_code
                    .map_or("killed".to_string(), |c| format!("exit code {c}")),
                result.output_tail
            )),
        }
    }
    report.push_str("\n\nFix the failures, then end your turn.");
    report
}

pub(super) fn bullet_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("- `{item}`"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::plan_steps;

    #[test]
    fn a_plans_bullets_and_numbers_become_its_steps() {
        let plan = "Plan:\n- Read **src/inventory.py**\n* Add hints\n1. Run mypy\n2) Fix what it finds\nThen done.\n-\n10. Tenth";
        assert_eq!(
            plan_steps(plan),
            [
                "Read **src/inventory.py**",
                "Add hints",
                "Run mypy",
                "Fix what it finds",
                "Tenth"
            ]
        );
    }
}
