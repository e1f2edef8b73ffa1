//! `/spec run NAME [TASK]`: the open tasks, in order, each run as a goal
//! whose checks are the task's `check:` lines. A task is ticked in
//! `tasks.md` only when its goal is met and every earlier ticked task's
//! checks still pass; anything else stops the run with the report.

use tokio::sync::watch;

use super::state::SpecState;
use super::tasks::{self, Task};
use super::{Spec, SpecReport, SpecStatus, Stage, TaskRun, draft};
use crate::engine::events::goal::CheckResult;
use crate::engine::{Emit, Event, Session};
use crate::goal::checks;
use crate::goal::{GoalSpec, GoalStatus};
use crate::policy::Mode;

/// What `/spec run` was asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only this task.
    pub task: Option<String>,
    /// Iterations per task's goal.
    pub max: u32,
}

/// Runs `spec`'s open tasks; the report is also emitted as
/// [`Event::SpecEnd`]. `stop` turning true cancels the running goal.
pub async fn run(
    session: &mut Session,
    spec: &Spec,
    options: &RunOptions,
    stop: watch::Receiver<bool>,
    emit: &mut Emit<'_>,
) -> SpecReport {
    let report = match run_tasks(session, spec, options, stop, emit).await {
        Ok(report) => report,
        Err(message) => SpecReport::without_tasks(&spec.name, SpecStatus::Error, message),
    };
    emit(Event::SpecEnd {
        report: Box::new(report.clone()),
    });
    report
}

async fn run_tasks(
    session: &mut Session,
    spec: &Spec,
    options: &RunOptions,
    stop: watch::Receiver<bool>,
    emit: &mut Emit<'_>,
) -> Result<SpecReport, String> {
    let mut state = SpecState::load(&spec.dir)?;
    if !spec.path(Stage::Tasks).exists() {
        return Err(format!(
            "spec `{}` has no tasks.md yet: `/spec approve {}` moves it on",
            spec.name, spec.name
        ));
    }
    let interactive = session.setup().mode == Mode::Interactive;
    let planned = draft::plan_missing_checks(session, spec, options.task.as_deref(), emit).await?;
    if !planned.is_empty() && interactive {
        state.approved.retain(|s| s != Stage::Tasks.name());
        state.save(&spec.dir)?;
        return Ok(SpecReport::without_tasks(
            &spec.name,
            SpecStatus::AwaitingApproval,
            format!(
                "checks were planned for task(s) {} and written into tasks.md: review them, then `/spec approve {}` and run again",
                planned.join(", "),
                spec.name
            ),
        ));
    }
    if interactive && !state.is_approved(Stage::Tasks.name()) {
        return Err(format!(
            "tasks.md of `{}` is not approved yet: `/spec approve {}`",
            spec.name, spec.name
        ));
    }
    let selected = selected_tasks(&tasks::parse(&spec.read(Stage::Tasks)?), options)?;
    let mut report = SpecReport::without_tasks(&spec.name, SpecStatus::Done, String::new());
    for task in selected {
        let ran = run_task(session, spec, &task, options.max, stop.clone(), emit).await?;
        state
            .results
            .insert(task.id.clone(), last_results(&ran.goal));
        state.save(&spec.dir)?;
        let ticked = ran.ticked;
        let cancelled = ran.goal.status == GoalStatus::Cancelled;
        report.tasks.push(ran);
        if !ticked {
            report.status = SpecStatus::Stopped;
            report.summary = match cancelled {
                true => format!("cancelled during task {}", task.id),
                false => format!("task {} was not ticked; the run stops there", task.id),
            };
            return Ok(report);
        }
    }
    report.summary = match report.tasks.len() {
        0 => "no open task to run".into(),
        n => format!("{n} task(s) ticked, each with its checks passing"),
    };
    Ok(report)
}

/// The task named, or every open, runnable, non-optional task in order.
fn selected_tasks(all: &[Task], options: &RunOptions) -> Result<Vec<Task>, String> {
    let Some(id) = &options.task else {
        return Ok(all
            .iter()
            .filter(|t| t.runnable() && !t.done && !t.optional)
            .cloned()
            .collect());
    };
    let task = all
        .iter()
        .find(|t| &t.id == id)
        .ok_or_else(|| format!("tasks.md has no task {id}"))?;
    if !task.runnable() {
        return Err(format!(
            "task {id} has sub-tasks: run them (it is ticked with its last one)"
        ));
    }
    Ok(vec![task.clone()])
}

/// One task as a goal; ticked in `tasks.md` when met and every earlier
/// ticked task's checks still pass.
async fn run_task(
    session: &mut Session,
    spec: &Spec,
    task: &Task,
    max: u32,
    stop: watch::Receiver<bool>,
    emit: &mut Emit<'_>,
) -> Result<TaskRun, String> {
    let text = spec.read(Stage::Tasks)?;
    let current = tasks::parse(&text)
        .into_iter()
        .find(|t| t.id == task.id)
        .unwrap_or_else(|| task.clone());
    let goal_spec = GoalSpec {
        max,
        checks: current.checks.clone(),
        protect: Vec::new(),
        max_requests: 60,
        max_minutes: 15,
        objective: vec![objective(spec, &current)],
    };
    let goal = crate::goal::run(session, &goal_spec, stop, emit).await;
    let met = matches!(
        goal.status,
        GoalStatus::Met | GoalStatus::MetWithChangedTests
    );
    let earlier_checks = match met {
        true => earlier_checks(session, &tasks::parse(&text), &current, emit).await,
        false => Vec::new(),
    };
    let ticked = met && earlier_checks.iter().all(CheckResult::passed);
    if ticked {
        spec.write(
            Stage::Tasks,
            &tasks::tick(&spec.read(Stage::Tasks)?, &current.id),
        )?;
    }
    Ok(TaskRun {
        id: current.id.clone(),
        title: current.title.clone(),
        ticked,
        goal,
        earlier_checks,
    })
}

/// The checks of the ticked tasks before `task` (each command once, and
/// none of `task`'s own, which just passed), run now.
async fn earlier_checks(
    session: &mut Session,
    all: &[Task],
    task: &Task,
    emit: &mut Emit<'_>,
) -> Vec<CheckResult> {
    let earlier = all
        .iter()
        .take_while(|t| t.id != task.id)
        .filter(|t| t.done);
    let mut commands = distinct_checks(earlier);
    commands.retain(|check| !task.checks.contains(check));
    match checks::approve(session, &commands) {
        Ok(approved) => checks::run_all(session, &approved, emit).await,
        Err(refused) => refused
            .into_iter()
            .map(|r| CheckResult {
                command: r.what,
                exit_code: None,
                duration_ms: 0,
                output_tail: r.reason,
            })
            .collect(),
    }
}

/// The checks of `tasks`, each command once, in order.
fn distinct_checks<'a>(tasks: impl Iterator<Item = &'a Task>) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    for check in tasks.flat_map(|t| &t.checks) {
        if !commands.contains(check) {
            commands.push(check.clone());
        }
    }
    commands
}

/// The checks of the goal's last round (its baseline when no iteration ran).
fn last_results(goal: &crate::goal::GoalReport) -> Vec<CheckResult> {
    goal.iterations
        .last()
        .map_or_else(|| goal.baseline.clone(), |i| i.checks.clone())
}

/// The goal's objective for a task: the task, its details, and where the
/// spec's documents are.
fn objective(spec: &Spec, task: &Task) -> String {
    let details: String = task
        .details
        .iter()
        .filter(|d| super::tasks::check_of(d).is_none())
        .map(|d| format!("\n- {d}"))
        .collect();
    format!(
        "Spec `{name}`, task {id}: {title}{details}\n\nThe spec's requirements and design are in .kiro/specs/{name}/requirements.md and design.md. Do this task only; the program ticks it in tasks.md when its checks pass.",
        name = spec.name,
        id = task.id,
        title = task.title
    )
}

/// Approving `tasks.md`: every open task's checks must be allowed unasked
/// by the shell policy, and at least one of each task's checks must fail
/// now, before any work (each distinct command runs once). A task whose
/// checks all pass already is refused, as `/goal` refuses such checks.
pub async fn red_first(
    session: &mut Session,
    all: &[Task],
    emit: &mut Emit<'_>,
) -> Result<(), String> {
    let open: Vec<&Task> = all.iter().filter(|t| t.runnable() && !t.done).collect();
    let commands = distinct_checks(open.iter().copied());
    let approved = checks::approve(session, &commands).map_err(|refused| {
        refused
            .iter()
            .map(|r| format!("{}: {}", r.what, r.reason))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let results = checks::run_all(session, &approved, emit).await;
    let passes = |command: &String| results.iter().any(|r| &r.command == command && r.passed());
    let refused: Vec<String> = open
        .iter()
        .filter(|t| !t.checks.is_empty() && t.checks.iter().all(passes))
        .map(|t| {
            format!(
                "task {}: every check already passes before any work ({}), so none can show the task done; give it one that fails now",
                t.id,
                t.checks.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    match refused.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "tasks.md was not approved:\n{}\n",
            refused.join("\n")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_takes_open_required_tasks_or_the_one_named() {
        let all = tasks::parse(
            "- [x] 1. Done\n  - check: `a`\n- [ ] 2. Models\n  - [ ] 2.1 User\n  - [ ]* 2.2 Optional\n- [ ] 3. Last\n",
        );
        let every = RunOptions { task: None, max: 5 };
        let ids: Vec<String> = selected_tasks(&all, &every)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, ["2.1", "3"]);
        let named = RunOptions {
            task: Some("2.2".into()),
            max: 5,
        };
        assert_eq!(selected_tasks(&all, &named).unwrap()[0].id, "2.2");
        let parent = RunOptions {
            task: Some("2".into()),
            max: 5,
        };
        assert!(
            selected_tasks(&all, &parent)
                .unwrap_err()
                .contains("sub-tasks")
        );
        let missing = RunOptions {
            task: Some("9".into()),
            max: 5,
        };
        assert!(
            selected_tasks(&all, &missing)
                .unwrap_err()
                .contains("no task 9")
        );
    }
}
