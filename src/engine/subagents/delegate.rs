//! `delegate`: sub-agents that run in the background while the session
//! goes on, Kiro's `launch` / `status` / `list`.
//!
//! A delegated agent is a child session like a `subagent` task's (its
//! policy never wider than this session's, nobody to ask), with two
//! differences. It has its own cancel switch, so ending or cancelling a
//! turn does not stop it (ending the session does, and removes its
//! worktree). And it may write only in a worktree of its own: outside a
//! git repository an agent that can change files is not delegated, since
//! it would write beside the session with no checkpoint between them. Its
//! changes come back when `status` first finds it finished, as this
//! session's own `write` calls through the dispatcher, exactly as a
//! `subagent` child's do (conflicts reported, nothing overwritten). Its
//! events are not shown while it runs; `status` reports what it did.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::tools::ToolOutput;
use crate::tools::delegate::{self, Request};
use crate::tools::subagent::Task;

use super::super::Session;
use super::super::session::Emit;
use super::{ChildReport, end_event, start};

/// One delegated agent's task.
pub struct Delegated {
    task: String,
    started: Instant,
    /// The running child; `None` once it finished and was reported.
    running: Option<JoinHandle<ChildReport>>,
    /// Its report, once `status` collected it.
    report: Option<ChildReport>,
}

/// The session's delegated agents, by agent name (one task each).
pub type Delegates = BTreeMap<String, Delegated>;

impl Session {
    /// Runs one approved `delegate` call (`id` is the call's id).
    pub(in crate::engine) async fn run_delegate(
        &mut self,
        id: &str,
        input: &Value,
        emit: &mut Emit<'_>,
    ) -> ToolOutput {
        match delegate::request(input) {
            Ok(Request::Launch { agent, task }) => self.launch(id, agent, task, emit).await,
            Ok(Request::Status(agent)) => self.delegate_status(agent.as_deref(), emit).await,
            Ok(Request::List) => self.list_agents(),
            Err(problem) => ToolOutput::error(problem),
        }
    }

    async fn launch(
        &mut self,
        id: &str,
        agent: String,
        task: String,
        emit: &mut Emit<'_>,
    ) -> ToolOutput {
        if self
            .delegates
            .get(&agent)
            .is_some_and(|d| d.running.is_some())
        {
            return ToolOutput::error(format!(
                "`{agent}` is already running a delegated task; ask `status` for it first"
            ));
        }
        let task = Task {
            name: format!("delegate-{agent}"),
            agent: agent.clone(),
            prompt: task,
            depends_on: Vec::new(),
            model: None,
        };
        let isolate = super::worktree::usable(&self.setup.tools.roots.workspace);
        let mut child = match self.prepare(id, &task, &[], isolate, None, emit).await {
            Ok(child) => child,
            Err(report) => return ToolOutput::error(report.answer),
        };
        if child.writes && child.worktree.is_none() {
            return ToolOutput::error(format!(
                "`{agent}` can change files, and outside a git repository it would write beside this session; run it with `subagent` instead"
            ));
        }
        child.session.setup.tools.cancel = Default::default();
        let worktree = child
            .worktree
            .as_ref()
            .map(|w| w.path.display().to_string());
        emit(crate::engine::Event::ChildStart {
            child: child.id.clone(),
            agent: agent.clone(),
            task: task.prompt.clone(),
            worktree: worktree.clone(),
        });
        // Its events are dropped: the session may be busy with other turns.
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        let running = tokio::spawn(start(child, events));
        self.delegates.insert(
            agent.clone(),
            Delegated {
                task: task.prompt,
                started: Instant::now(),
                running: Some(running),
                report: None,
            },
        );
        ToolOutput::ok(format!(
            "`{agent}` started in the background{}; ask `status` for its result",
            worktree.map_or(String::new(), |w| format!(" in its own worktree ({w})"))
        ))
    }

    /// `status`: each delegated agent (or `agent`), running or with its
    /// report; a report seen for the first time has its changes applied.
    async fn delegate_status(&mut self, agent: Option<&str>, emit: &mut Emit<'_>) -> ToolOutput {
        let names: Vec<String> = self
            .delegates
            .keys()
            .filter(|name| agent.is_none_or(|a| a == name.as_str()))
            .cloned()
            .collect();
        if names.is_empty() {
            return ToolOutput::ok(match agent {
                Some(agent) => format!("nothing was delegated to `{agent}` in this session"),
                None => "nothing was delegated in this session".into(),
            });
        }
        let mut statuses = Vec::new();
        for name in names {
            statuses.push(self.collect(&name, emit).await);
        }
        ToolOutput::ok(json!({ "delegated": statuses }).to_string())
    }

    /// One delegated agent's status, collecting and applying its report
    /// when it just finished.
    async fn collect(&mut self, name: &str, emit: &mut Emit<'_>) -> Value {
        let Some(delegated) = self.delegates.get_mut(name) else {
            return Value::Null;
        };
        let finished = delegated
            .running
            .as_ref()
            .is_some_and(JoinHandle::is_finished);
        if let (true, Some(handle)) = (finished, delegated.running.take()) {
            let mut report = handle.await.unwrap_or_else(|e| ChildReport {
                agent: name.to_string(),
                status: "failed".into(),
                answer: format!("the delegated agent stopped: {e}"),
                ..ChildReport::default()
            });
            self.apply(&mut report, emit).await;
            emit(end_event(&report));
            if let Some(delegated) = self.delegates.get_mut(name) {
                delegated.report = Some(report);
            }
        }
        let Some(delegated) = self.delegates.get(name) else {
            return Value::Null;
        };
        match &delegated.report {
            Some(report) => json!(report),
            None => json!({
                "agent": name,
                "status": "running",
                "task": delegated.task,
                "seconds": delegated.started.elapsed().as_secs(),
            }),
        }
    }
}
