//! Sub-agents: the `subagent` tool's calls, run by the session that made
//! them.
//!
//! Each task runs as a child session ([`child`]) under a policy never wider
//! than this session's, unattended (what would need approval is refused
//! and reported back), sharing this session's model and cancel switch:
//! cancelling the turn stops the children and their commands (and removes
//! their worktrees). Tasks run in waves of the crew form's dependency
//! order. In a wave, children that only read share the workspace and run
//! in parallel. In a git workspace, children that may write run in
//! parallel too, each in its own [`worktree`]; when the wave ends, each
//! file a child changed comes back as this session's own `write` call,
//! through the dispatcher (policy, fence, checkpoint), and a file that
//! changed in the workspace since the child started (by this session or
//! an earlier child) is not applied but reported as a conflict. Outside
//! git, writing children run one at a time in the workspace.
//!
//! Checkpoints: the changes made under this session's `subagent` call
//! `N.M` are `N.M.1`, `N.M.2`, … in the same store, then `N.M` itself when
//! the children end, so restoring one (or rewinding the turn) undoes the
//! children's later work too. A child in the workspace checkpoints its own
//! calls so; a child in its own worktree does not (the store keeps the
//! workspace, and the worktree is thrown away when the child ends): each
//! file it changed is checkpointed as it lands through this session's
//! `write` call. Each child's calls are also in this session's audit log,
//! every record naming the child.
//!
//! The parent model gets `{"summaries": [...]}`: each child's final answer,
//! the files it changed, its refused calls and what was `not_applied`.

mod child;
pub mod delegate;
pub mod worktree;

use futures::future::{BoxFuture, join, join_all};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::tools::ToolOutput;
use crate::tools::subagent::{self, Plan, Task};

use super::Session;
use super::checkpoints::Tag;
use super::dispatch::{Caller, Request};
use super::events::Event;
use super::session::{Emit, Scope};
use child::Child;
pub use child::ChildReport;
use worktree::Change;

impl Session {
    /// Runs one approved `subagent` call (`id` is the call's id, which
    /// its children's ids start with).
    pub(super) async fn run_subagents(
        &mut self,
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
        let isolate = worktree::usable(&self.setup.tools.roots.workspace);
        let scope = self.next_call_tag().map(Scope::new);
        self.call_scope = scope.clone();
        let mut reports: Vec<ChildReport> = Vec::new();
        for wave in waves {
            let mut children = Vec::new();
            for &i in &wave {
                let child = self.prepare(id, &tasks[i], &reports, isolate, scope.as_ref(), emit);
                children.push(child.await);
            }
            let mut done = run_wave(children, emit).await;
            for report in &mut done {
                self.apply(report, emit).await;
            }
            reports.extend(done);
        }
        self.call_scope = None;
        self.close_scope(scope, emit).await;
        let failed = reports.iter().all(|r| r.status != "completed");
        let text = json!({ "summaries": reports }).to_string();
        match failed {
            true => ToolOutput::error(text),
            false => ToolOutput::ok(text),
        }
    }

    /// The `subagent` call's own checkpoint `N.M` after its children's
    /// `N.M.k` (when they took any), even if nothing changed since, so
    /// the tag is the call's and the next call's is `N.M+1`.
    async fn close_scope(&mut self, scope: Option<Scope>, emit: &mut Emit<'_>) {
        let Some(scope) = scope.filter(|scope| scope.taken() > 0) else {
            return;
        };
        let description = format!(
            "subagent: after its children's {} checkpoints",
            scope.taken()
        );
        let tag = Tag::Always(scope.tag);
        if self
            .checkpoint(tag, description, Vec::new(), emit)
            .await
            .is_some()
        {
            self.count_tool_checkpoint();
        }
    }

    /// A child for `task`, its prompt followed by the answers of the
    /// tasks it depends on; or the report of why it cannot start. A child
    /// that writes in a git workspace gets its own worktree; one in the
    /// workspace shares this session's checkpoint store, its calls
    /// checkpointed under `scope` (the running `subagent` call's `N.M`,
    /// as `N.M.k`; none for `delegate`, whose agents only write in
    /// worktrees). A worktree child's own calls are not checkpointed: the
    /// store keeps the workspace, and the worktree is thrown away when the
    /// child ends; what it changed reaches the workspace as this session's
    /// `write` calls, checkpointed under `scope` one by one.
    async fn prepare(
        &self,
        id: &str,
        task: &Task,
        done: &[ChildReport],
        isolate: bool,
        scope: Option<&Scope>,
        emit: &mut Emit<'_>,
    ) -> Result<Child, Box<ChildReport>> {
        let child_id = format!("{id}/{}", task.name);
        let mut task = task.clone();
        for report in done.iter().filter(|r| task.depends_on.contains(&r.task)) {
            task.prompt.push_str(&format!(
                "\n\n<stage name=\"{}\" status=\"{}\">\n{}\n</stage>",
                report.task, report.status, report.answer
            ));
        }
        let refused = |why| Box::new(ChildReport::refused(&child_id, &task, why));
        let mut warnings = Vec::new();
        let prepared = self.prepare_session(&child_id, &task, isolate, scope, &mut warnings);
        let prepared = prepared.await;
        for message in warnings {
            emit(Event::Warning { message });
        }
        let (session, writes, worktree) = prepared.map_err(refused)?;
        Ok(Child {
            id: child_id.clone(),
            task: task.clone(),
            session,
            writes,
            worktree,
        })
    }

    /// The child's session, whether it writes, and its worktree if it
    /// has one (see [`Self::prepare`]).
    async fn prepare_session(
        &self,
        child_id: &str,
        task: &Task,
        isolate: bool,
        scope: Option<&Scope>,
        warnings: &mut Vec<String>,
    ) -> Result<(Session, bool, Option<worktree::Worktree>), String> {
        let agent = self.child_agent(task, warnings)?;
        let writes = agent.writes;
        if isolate && writes {
            let tree = self.worktree_for(child_id)?;
            let session = self.child_session(child_id, task, agent, &tree.path, warnings);
            return Ok((session.await?, writes, Some(tree)));
        }
        let workspace = self.setup.tools.roots.workspace.clone();
        let mut session = self
            .child_session(child_id, task, agent, &workspace, warnings)
            .await?;
        if let Some(scope) = scope {
            session.setup.checkpoints = self.setup.checkpoints.clone();
            session.child_scope = Some(scope.for_child(child_id));
        }
        Ok((session, writes, None))
    }

    /// A new worktree of the workspace for the child `child_id`.
    fn worktree_for(&self, child_id: &str) -> Result<worktree::Worktree, String> {
        let state = crate::paths::StatePaths::from_env()?;
        let workspace = &self.setup.tools.roots.workspace;
        let name: String = child_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let folder = state
            .worktrees()
            .join(crate::paths::workspace_key(workspace))
            .join(format!("{name}-{}", crate::paths::now_ms()));
        worktree::Worktree::create(workspace, folder)
    }

    /// Brings a worktree child's changes back as this session's own
    /// `write` calls; what cannot be applied is added to its report.
    /// Boxed: the writes go through the dispatcher, which runs children.
    fn apply<'a>(
        &'a mut self,
        report: &'a mut ChildReport,
        emit: &'a mut Emit<'_>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let changes = std::mem::take(&mut report.changes);
            // The writes' checkpoints name the child they bring back.
            let scope = self.call_scope.clone();
            self.call_scope = scope.as_ref().map(|s| s.for_child(&report.child));
            for (n, change) in changes.into_iter().enumerate() {
                let id = format!("{}/apply-{}", report.child, n + 1);
                if let Some(why) = self.apply_one(id, &change, emit).await {
                    report
                        .not_applied
                        .push(json!({"path": change.path, "why": why}));
                }
            }
            self.call_scope = scope;
        })
    }

    /// Applies one change as the `write` call `id`; returns why not, when
    /// it was not.
    async fn apply_one(
        &mut self,
        id: String,
        change: &Change,
        emit: &mut Emit<'_>,
    ) -> Option<String> {
        let current = std::fs::read(self.setup.tools.roots.workspace.join(&change.path)).ok();
        if current != change.base {
            return Some("conflict: the file changed in the workspace since the child started (by you or another child)".into());
        }
        let text = match change.now.as_deref().map(std::str::from_utf8) {
            None => return Some("the child deleted it; deletions are not applied".into()),
            Some(Err(_)) => return Some("not text; only text files are applied".into()),
            Some(Ok(text)) => text,
        };
        let input = json!({"command": "create", "path": change.path, "content": text});
        let request = Request {
            id,
            name: "write".into(),
            raw_input: input.to_string(),
            input,
            caller: Caller::Model,
        };
        let done = self.dispatch(request, emit).await;
        (!done.ran || done.output.is_error).then_some(done.output.text)
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

/// Runs one wave: the children that only read or have their own worktree
/// in parallel, beside the ones that write in the workspace, one at a
/// time; their events reach `emit` as they happen.
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
                    worktree: child
                        .worktree
                        .as_ref()
                        .map(|w| w.path.display().to_string()),
                });
                match child.writes && child.worktree.is_none() {
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
