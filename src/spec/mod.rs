//! Spec mode: Kiro's spec-driven workflow, with tasks the program
//! verifies. `/spec new NAME PROMPT` drafts `.kiro/specs/NAME/
//! requirements.md` (user stories, acceptance criteria in EARS form);
//! `/spec approve NAME` approves the stage waiting and drafts the next
//! (`design.md`, then `tasks.md`, a checklist whose tasks carry `check:`
//! lines); `/spec run NAME [TASK]` runs the open tasks in order, each as a
//! goal, and ticks a task only when its checks pass and every earlier
//! task's checks still do; `/spec status [NAME]` shows the checklist with
//! each task's last results.
//!
//! The model drafts each document in a read-only turn and replies with
//! it; the program writes the file, so a spec does not depend on the
//! agent's write fence. A person approves each stage (in headless mode the
//! `approve` command is that person). Checks follow the goal loop's
//! rules: the shell policy must allow them unasked, and a task needs one
//! that fails before any work (approving `tasks.md` runs them to see).
//!
//! - [`tasks`]: `tasks.md` read and changed in place (ticks, check lines).
//! - [`state`]: approvals and last results beside Kiro's files.
//! - [`draft`]: the model's drafting and check-planning turns.
//! - [`run`]: the tasks run as goals.

pub mod draft;
pub mod run;
pub mod state;
pub mod tasks;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::engine::{Emit, Session};
use state::SpecState;

pub use crate::engine::events::spec::{SpecReport, SpecStatus, TaskRun};
pub use run::run;

/// `/spec …` and `agent spec …`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SpecCommand {
    /// Draft `.kiro/specs/NAME/requirements.md` from PROMPT, then wait for `/spec approve NAME`.
    New {
        /// The spec's folder name under `.kiro/specs`.
        name: String,
        /// What the feature is.
        #[arg(required = true, num_args = 1.., trailing_var_arg = true)]
        prompt: Vec<String>,
    },
    /// Approve the stage waiting (requirements, design, tasks) and draft the next one.
    Approve {
        /// The spec.
        name: String,
    },
    /// Run the spec's open tasks in order (or only TASK), each as a goal.
    Run {
        /// The spec.
        name: String,
        /// One task's number (`2.1`); optional tasks run only when named.
        task: Option<String>,
        /// Iterations each task's goal may take.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
        max: u32,
    },
    /// The checklist with each task's last check results; without NAME, the specs here.
    Status {
        /// The spec.
        name: Option<String>,
    },
}

/// A `/spec` line, parsed with clap like the command line.
#[derive(Debug, Parser)]
#[command(
    name = "/spec",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
struct SpecLine {
    #[command(subcommand)]
    command: SpecCommand,
}

impl SpecCommand {
    /// Parses the words after `/spec`, split as a shell would; the error
    /// is clap's, for the user.
    pub fn parse_line(words: &str) -> Result<SpecCommand, String> {
        let words = shlex::split(words)
            .ok_or_else(|| "error: unbalanced quotes in the /spec line".to_string())?;
        SpecLine::try_parse_from(words)
            .map(|line| line.command)
            .map_err(|e| e.render().to_string())
    }
}

/// The words after `/spec` when `line` is a spec command; `None` for
/// anything else.
pub fn spec_words(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("/spec")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// The three documents, in the order they are drafted and approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `requirements.md`: user stories and EARS acceptance criteria.
    Requirements,
    /// `design.md`: how it will be built.
    Design,
    /// `tasks.md`: the checklist, with checks.
    Tasks,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 3] = [Stage::Requirements, Stage::Design, Stage::Tasks];

    /// Its name in approvals and messages.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Requirements => "requirements",
            Stage::Design => "design",
            Stage::Tasks => "tasks",
        }
    }

    /// Its file in the spec's folder.
    pub fn file(self) -> &'static str {
        match self {
            Stage::Requirements => "requirements.md",
            Stage::Design => "design.md",
            Stage::Tasks => "tasks.md",
        }
    }
}

/// A spec's folder, `.kiro/specs/NAME`.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Its name.
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
}

impl Spec {
    /// The spec `name` in `workspace`; a name that is not one plain folder
    /// name is refused.
    pub fn open(workspace: &Path, name: &str) -> Result<Spec, String> {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if name.is_empty() || !plain || name.starts_with('.') {
            return Err(format!(
                "`{name}` is not a spec name: use letters, digits, `-`, `_` and `.` (a folder under .kiro/specs)"
            ));
        }
        Ok(Spec {
            name: name.to_string(),
            dir: specs_dir(workspace).join(name),
        })
    }

    /// The file of `stage`.
    pub fn path(&self, stage: Stage) -> PathBuf {
        self.dir.join(stage.file())
    }

    /// The text of `stage`'s file.
    pub fn read(&self, stage: Stage) -> Result<String, String> {
        let path = self.path(stage);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes `stage`'s file, whole or not at all.
    pub fn write(&self, stage: Stage, text: &str) -> Result<(), String> {
        let path = self.path(stage);
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        crate::atomic::write(&path, text.as_bytes(), None)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The stage a person is asked to approve: the first written and not
    /// approved.
    pub fn pending(&self, state: &SpecState) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|stage| self.path(*stage).exists() && !state.is_approved(stage.name()))
    }

    /// The first stage not written yet.
    pub fn missing(&self) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|stage| !self.path(*stage).exists())
    }

    /// The spec's path relative to `workspace`, for messages.
    pub fn shown(&self, stage: Stage, workspace: &Path) -> String {
        let path = self.path(stage);
        path.strip_prefix(workspace)
            .unwrap_or(&path)
            .display()
            .to_string()
    }
}

/// `.kiro/specs` in `workspace`.
pub fn specs_dir(workspace: &Path) -> PathBuf {
    workspace.join(".kiro").join("specs")
}

/// `/spec new NAME PROMPT`: drafts `requirements.md`; what to do next.
pub async fn new(
    session: &mut Session,
    name: &str,
    prompt: &str,
    emit: &mut Emit<'_>,
) -> Result<String, String> {
    let workspace = session.setup().tools.roots.workspace.clone();
    let spec = Spec::open(&workspace, name)?;
    if spec.path(Stage::Requirements).exists() {
        return Err(format!(
            "spec `{name}` already exists ({}): `/spec status {name}` shows where it is",
            spec.shown(Stage::Requirements, &workspace)
        ));
    }
    draft::document(session, &spec, Stage::Requirements, prompt, emit).await?;
    Ok(format!(
        "wrote {}: review it (edit it if you like), then `/spec approve {name}` drafts the design\n",
        spec.shown(Stage::Requirements, &workspace)
    ))
}

/// `/spec approve NAME`: approves the stage waiting and drafts the next;
/// approving `tasks.md` first plans checks for tasks without any, and
/// refuses while a task's checks are not allowed or all pass already.
pub async fn approve(
    session: &mut Session,
    name: &str,
    emit: &mut Emit<'_>,
) -> Result<String, String> {
    let workspace = session.setup().tools.roots.workspace.clone();
    let spec = Spec::open(&workspace, name)?;
    if !spec.dir.is_dir() {
        return Err(format!(
            "no spec `{name}` in .kiro/specs: `/spec new {name} PROMPT` starts one"
        ));
    }
    let mut state = SpecState::load(&spec.dir)?;
    let approved = match spec.pending(&state) {
        Some(Stage::Tasks) => return approve_tasks(session, &spec, &mut state, emit).await,
        Some(stage) => {
            state.approve(stage.name());
            state.save(&spec.dir)?;
            format!("approved {}", spec.shown(stage, &workspace))
        }
        None => "nothing was waiting for approval".to_string(),
    };
    if let Some(waiting) = spec.pending(&state) {
        return Ok(format!(
            "{approved}; {} is next: review it, then `/spec approve {name}`\n",
            spec.shown(waiting, &workspace)
        ));
    }
    let Some(next) = spec.missing() else {
        return Ok(format!(
            "{approved}; every stage of `{name}` is approved: `/spec run {name}` runs its tasks\n"
        ));
    };
    let request = format!("the spec `{name}`");
    draft::document(session, &spec, next, &request, emit).await?;
    Ok(format!(
        "{approved}; wrote {}: review it, then `/spec approve {name}`\n",
        spec.shown(next, &workspace)
    ))
}

/// Approving `tasks.md`: checks planned for tasks without any (then a
/// person looks again), else every check judged and run at the baseline.
async fn approve_tasks(
    session: &mut Session,
    spec: &Spec,
    state: &mut SpecState,
    emit: &mut Emit<'_>,
) -> Result<String, String> {
    let workspace = session.setup().tools.roots.workspace.clone();
    let planned = draft::plan_missing_checks(session, spec, None, emit).await?;
    if !planned.is_empty() {
        return Ok(format!(
            "checks were planned for task(s) {} and written into {}: review them, then `/spec approve {}`\n",
            planned.join(", "),
            spec.shown(Stage::Tasks, &workspace),
            spec.name
        ));
    }
    let all = tasks::parse(&spec.read(Stage::Tasks)?);
    if all.is_empty() {
        return Err(format!(
            "{} has no task (`- [ ] 1. Title`): edit it, then `/spec approve {}`",
            spec.shown(Stage::Tasks, &workspace),
            spec.name
        ));
    }
    run::red_first(session, &all, emit).await?;
    state.approve(Stage::Tasks.name());
    state.save(&spec.dir)?;
    let open = all
        .iter()
        .filter(|t| t.runnable() && !t.done && !t.optional)
        .count();
    Ok(format!(
        "approved {}: every task has a check that fails now; `/spec run {}` runs its {open} open task(s)\n",
        spec.shown(Stage::Tasks, &workspace),
        spec.name
    ))
}

/// `/spec status [NAME]`: the specs here, or one spec's stages and tasks
/// with each task's last check results.
pub fn status(workspace: &Path, name: Option<&str>) -> Result<String, String> {
    let Some(name) = name else {
        return Ok(list(workspace));
    };
    let spec = Spec::open(workspace, name)?;
    if !spec.dir.is_dir() {
        return Err(format!("no spec `{name}` in .kiro/specs"));
    }
    let state = SpecState::load(&spec.dir)?;
    let mut text = format!("spec {name}: {}\n", stages_line(&spec, &state));
    let Ok(tasks_text) = spec.read(Stage::Tasks) else {
        return Ok(text);
    };
    for task in tasks::parse(&tasks_text) {
        let mark = if task.done { "[x]" } else { "[ ]" };
        let optional = if task.optional { " (optional)" } else { "" };
        text.push_str(&format!("{mark} {} {}{optional}\n", task.id, task.title));
        let results = state.results.get(&task.id);
        for check in &task.checks {
            let last = results
                .and_then(|r| r.iter().find(|c| &c.command == check))
                .map_or("not run yet".to_string(), |c| match c.exit_code {
                    Some(code) => format!("exit {code}"),
                    None => "killed".to_string(),
                });
            text.push_str(&format!("      check `{check}`: {last}\n"));
        }
    }
    Ok(text)
}

/// Each stage: approved, written (waiting), or not yet written.
fn stages_line(spec: &Spec, state: &SpecState) -> String {
    Stage::ALL
        .iter()
        .map(|stage| {
            let how = match (state.is_approved(stage.name()), spec.path(*stage).exists()) {
                (true, _) => "approved",
                (false, true) => "waiting for approval",
                (false, false) => "not written",
            };
            format!("{} {how}", stage.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The specs in `workspace`, one line each.
fn list(workspace: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(specs_dir(workspace))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    if names.is_empty() {
        return "no specs in .kiro/specs: `/spec new NAME PROMPT` starts one\n".into();
    }
    names
        .iter()
        .filter_map(|name| {
            let spec = Spec::open(workspace, name).ok()?;
            let state = SpecState::load(&spec.dir).unwrap_or_default();
            Some(format!("{name}: {}\n", stages_line(&spec, &state)))
        })
        .collect()
}
