//! Sub-agents: the `subagent` tool's calls, run by the session that made
//! them.
//!
//! Each task runs as a child session ([`child`]) under a policy never wider
//! than this session's, unattended (what would need approval is refused
//! and reported back), sharing this session's model and cancel switch:
//! cancelling the turn stops the children and their commands. Tasks run
//! in waves of the crew form's dependency order; in a wave, children that
//! only read share the workspace and run in parallel, and children that
//! may write run one at a time in it. The call as a whole is one tool call
//! of the parent: its checkpoint and fence audit cover whatever the
//! children changed, so restoring it undoes their work.
//!
//! The parent model gets `{"summaries": [...]}`: each child's final answer,
//! the files it changed and its refused calls.

mod child;

use futures::future::{BoxFuture, join, join_all};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::tools::ToolOutput;
use crate::tools::subagent::{self, Plan, Task};

use super::Session;
use super::events::Event;
use super::session::Emit;
pub use child::ChildReport;
use child::{Child, prepared};

impl Session {
    /// Runs one approved `subagent` call (`id` is the call's id, which
    /// its children's ids start with).
    pub(super) async fn run_subagents(
        &self,
        id: &str,
        input: &Value,
        emit: &mut Emit<'_>,
    ) -> ToolOutput {
        let tasks = match subagent::plan(input) {
            Ok(Plan::List) => return self.list_agents(),
            Ok(Plan::Run(tasks)) => tasks,
            Err(problem) => return ToolOutput::error(problem),
        };
        let waves = match subagent::order(&tasks) {
            Ok(waves) => waves,
            Err(problem) => return ToolOutput::error(problem),
        };
        let mut reports: Vec<ChildReport> = Vec::new();
        for wave in waves {
            let children = wave
                .iter()
                .map(|&i| self.prepare(id, &tasks[i], &reports))
                .collect();
            let done = run_wave(children, emit).await;
            reports.extend(done);
        }
        let failed = reports.iter().all(|r| r.status != "completed");
        let text = json!({ "summaries": reports }).to_string();
        match failed {
            true => ToolOutput::error(text),
            false => ToolOutput::ok(text),
        }
    }

    /// A child for `task`, its prompt followed by the answers of the
    /// tasks it depends on; or the report of why it cannot start.
    fn prepare(
        &self,
        id: &str,
        task: &Task,
        done: &[ChildReport],
    ) -> Result<Child, Box<ChildReport>> {
        let child_id = format!("{id}/{}", task.name);
        let mut task = task.clone();
        for report in done.iter().filter(|r| task.depends_on.contains(&r.task)) {
            task.prompt.push_str(&format!(
                "\n\n<stage name=\"{}\" status=\"{}\">\n{}\n</stage>",
                report.task, report.status, report.answer
            ));
        }
        let workspace = self.setup.tools.roots.workspace.clone();
        match self.child_session(&task, &workspace) {
            Ok(session) => Ok(prepared(child_id, task, session)),
            Err(why) => Err(Box::new(ChildReport::refused(&child_id, &task, why))),
        }
    }

    /// `ListAgents`: the agents visible from the workspace that may run as
    /// children, with their descriptions.
    fn list_agents(&self) -> ToolOutput {
        let roots = &self.setup.tools.roots;
        let discovery = crate::config::discover(&roots.workspace, roots.home.as_deref());
        let mut agents = serde_json::Map::new();
        for (name, found) in &discovery.agents {
            if !self.setup.policy.may_start(name) {
                continue;
            }
            let description = crate::config::load_file(&found.file)
                .ok()
                .and_then(|v| v.config.description)
                .unwrap_or_else(|| "No description provided".into());
            agents.insert(name.clone(), Value::String(description));
        }
        ToolOutput::ok(Value::Object(agents).to_string())
    }
}

/// Runs one wave: the children that only read in parallel, beside the
/// ones that may write, one at a time; their events reach `emit` as they
/// happen.
async fn run_wave(
    children: Vec<Result<Child, Box<ChildReport>>>,
    emit: &mut Emit<'_>,
) -> Vec<ChildReport> {
    let mut reports = Vec::new();
    let (mut readers, mut writers) = (Vec::new(), Vec::new());
    for child in children {
        match child {
            Ok(child) => {
                emit(Event::ChildStart {
                    child: child.id.clone(),
                    agent: child.task.agent.clone(),
                    task: child.task.prompt.clone(),
                });
                match child.writes {
                    true => writers.push(child),
                    false => readers.push(child),
                }
            }
            Err(report) => {
                emit(end_event(&report));
                reports.push(*report);
            }
        }
    }
    let (events, mut received) = unbounded_channel();
    let parallel = join_all(readers.into_iter().map(|c| start(c, events.clone())));
    let serial = one_at_a_time(writers, events.clone());
    drop(events);
    let mut both = std::pin::pin!(join(parallel, serial));
    let (read, written) = loop {
        tokio::select! {
            Some(event) = received.recv() => emit(event),
            done = &mut both => break done,
        }
    };
    while let Ok(event) = received.try_recv() {
        emit(event);
    }
    for report in read.into_iter().chain(written) {
        emit(end_event(&report));
        reports.push(report);
    }
    reports
}

async fn one_at_a_time(children: Vec<Child>, events: UnboundedSender<Event>) -> Vec<ChildReport> {
    let mut reports = Vec::new();
    for child in children {
        reports.push(start(child, events.clone()).await);
    }
    reports
}

/// A child's run, boxed: a child's session may itself run children.
fn start(child: Child, events: UnboundedSender<Event>) -> BoxFuture<'static, ChildReport> {
    Box::pin(child.run(events))
}

fn end_event(report: &ChildReport) -> Event {
    Event::ChildEnd {
        child: report.child.clone(),
        agent: report.agent.clone(),
        status: report.status.clone(),
        answer: report.answer.clone(),
        changed_files: report.changed_files.clone(),
        refusals: report.refusals.len(),
    }
}
