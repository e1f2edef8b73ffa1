//! One child session: its agent loaded from the workspace, its policy and
//! sandbox inside its parent's, nobody to ask, and what it did gathered
//! for the parent.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::guardrails;
use crate::engine::Session;
use crate::engine::events::Event;
use crate::engine::setup::{Assembly, SessionSetup};
use crate::mcp::McpServers;
use crate::policy::{Mode, Trust, Verdict};
use crate::provider::{Client, Endpoint};
use crate::tools::registry::{self, Touches};
use crate::tools::subagent::Task;
use tokio::sync::mpsc::UnboundedSender;

use super::worktree::{Change, Worktree};

/// What one child did, as its parent is told.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChildReport {
    /// The child's id (`CALL/TASK`), as its events carry it.
    pub child: String,
    /// The task's name.
    pub task: String,
    /// The agent that ran it.
    pub agent: String,
    /// `completed`, `failed` or `refused` (it could not start).
    pub status: String,
    /// Its final answer, or what went wrong.
    pub answer: String,
    /// Files it changed (workspace-relative).
    pub changed_files: Vec<String>,
    /// Its calls that were refused, each with the reasons that refused it.
    pub refusals: Vec<Value>,
    /// Its changes that could not be applied to the workspace, each with
    /// why (a conflict, a refusal).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_applied: Vec<Value>,
    /// What it changed in its worktree, for the parent to apply.
    #[serde(skip)]
    pub changes: Vec<Change>,
}

impl ChildReport {
    /// The report of a child that never started.
    pub fn refused(child: &str, task: &Task, why: String) -> ChildReport {
        ChildReport {
            child: child.to_string(),
            task: task.name.clone(),
            agent: task.agent.clone(),
            status: "refused".into(),
            answer: why,
            ..ChildReport::default()
        }
    }
}

/// A child ready to run.
pub struct Child {
    /// Its id.
    pub id: String,
    /// What it is to do.
    pub task: Task,
    /// Its session.
    pub session: Session,
    /// Whether it may change files (it has a tool that writes or runs).
    pub writes: bool,
    /// Its own worktree, when it writes inside a git workspace.
    pub worktree: Option<Worktree>,
}

impl Session {
    /// A child session for `task`, working in `workspace`: the agent is
    /// loaded as `agent chat --agent` would load it, without hooks or MCP
    /// servers (the calls a `preToolUse` hook would have judged are
    /// refused), its policy judged together with this session's (with this
    /// session's trust only under `subagent.inheritTrust`), its
    /// sandbox inside this one's, nobody to ask, sharing this session's
    /// model and cancel switch, its calls in this session's audit log
    /// under its id.
    pub(super) fn child_session(
        &self,
        id: &str,
        task: &Task,
        workspace: &Path,
    ) -> Result<Session, String> {
        let home = self.setup.tools.roots.home.clone();
        let parent = &self.setup.policy;
        if !parent.may_start(&task.agent) {
            return Err(format!(
                "agent `{}` is not in `toolsSettings.subagent.availableAgents`",
                task.agent
            ));
        }
        let (validated, _) = crate::config::load(&task.agent, workspace, home.as_deref())
            .map_err(|e| format!("agent `{}` could not be loaded: {e}", task.agent))?;
        let mut config = validated.config;
        config.skip_programs();
        let guardrails = guardrails::load(workspace, home.as_deref()).map_err(|e| e.to_string())?;
        let (client, model_id) = self.stage_model(task)?;
        let mut setup = SessionSetup::assemble(Assembly {
            config,
            guardrails,
            workspace: workspace.to_path_buf(),
            home,
            client,
            model_id,
            mcp: McpServers::default(),
        });
        let inherit = self
            .setup
            .tools
            .session
            .settings
            .get("subagent.inheritTrust")
            == Some(&Value::Bool(true));
        let parent_trust = match inherit {
            true => self.setup.trust.clone(),
            false => Trust::default(),
        };
        setup.policy = setup
            .policy
            .as_child_of(parent, parent_trust)
            .map_err(|e| e.to_string())?;
        setup.tools.sandbox = setup.tools.sandbox.within(&self.setup.tools.sandbox);
        setup.tools.cancel = self.setup.tools.cancel.clone();
        setup.mode = Mode::Unattended;
        setup.retry = self.setup.retry;
        setup.context_tokens = self.setup.context_tokens;
        setup.audit = match &self.setup.audit {
            Some(log) => Some(
                log.for_child(id)
                    .map_err(|e| format!("the audit log: {e}"))?,
            ),
            None => None,
        };
        Ok(Session::new(setup, Vec::new(), Default::default()))
    }

    /// The model a child talks to: its crew stage's `model` (resolved as
    /// `--model` is, with this session's settings for keys and endpoints),
    /// else this session's.
    fn stage_model(&self, task: &Task) -> Result<(Client, String), String> {
        let Some(id) = &task.model else {
            return Ok((self.setup.client.clone(), self.setup.model_id.clone()));
        };
        let settings = &self.setup.tools.session.settings;
        let endpoint = Endpoint::resolve(id, &|name: &str| settings.env_or_setting(name))
            .map_err(|e| format!("stage `{}`: model `{id}`: {e}", task.name))?;
        Ok((Client::new(endpoint), id.clone()))
    }

    /// Whether this session's tools can change files.
    pub(super) fn can_write(&self) -> bool {
        self.setup
            .definitions
            .iter()
            .any(|d| registry::find(&d.name).is_none_or(|t| t.touches() != Touches::Nothing))
    }
}

/// A child with its session; whether it writes is read from the tools
/// its session offers.
pub(super) fn prepared(
    id: String,
    task: Task,
    session: Session,
    worktree: Option<Worktree>,
) -> Child {
    let writes = session.can_write();
    Child {
        id,
        task,
        session,
        writes,
        worktree,
    }
}

impl Child {
    /// Runs the child's one turn, sending its events (wrapped, with its
    /// id) to `events`; returns its report.
    pub async fn run(mut self, events: UnboundedSender<Event>) -> ChildReport {
        let record = Arc::new(Mutex::new(Record::default()));
        let id = self.id.clone();
        let seen = record.clone();
        let mut forward = |event: Event| {
            if let Ok(mut record) = seen.lock() {
                record.note(&event);
            }
            // The parent stopped listening only when it was cancelled.
            let _ = events.send(Event::Child {
                child: id.clone(),
                event: Box::new(event),
            });
        };
        let outcome = self.session.run_turn(&self.task.prompt, &mut forward).await;
        let record = record.lock().map(|r| r.clone()).unwrap_or_default();
        let (status, mut answer) = match outcome {
            Ok(text) => ("completed", record.summary.clone().unwrap_or(text)),
            Err(e) => ("failed", e.to_string()),
        };
        let changes = match self.worktree.as_ref().map(Worktree::changes) {
            Some(Ok(changes)) => changes,
            Some(Err(e)) => {
                answer.push_str(&format!("\n(its changes could not be read: {e})"));
                Vec::new()
            }
            None => Vec::new(),
        };
        let changed_files = match self.worktree {
            Some(_) => changes.iter().map(|c| c.path.clone()).collect(),
            None => record.written,
        };
        ChildReport {
            child: self.id,
            task: self.task.name,
            agent: self.task.agent,
            status: status.into(),
            answer,
            changed_files,
            refusals: record.refusals,
            not_applied: Vec::new(),
            changes,
        }
    }
}

/// What a child's events showed: the files its `write` calls changed and
/// its refused calls.
#[derive(Debug, Clone, Default)]
struct Record {
    written: Vec<String>,
    refusals: Vec<Value>,
    /// What its last `summary` call handed over (Kiro's way for a child
    /// to give its result).
    summary: Option<String>,
}

impl Record {
    fn note(&mut self, event: &Event) {
        let Event::ToolCall {
            tool,
            input,
            decision,
            reasons,
            ..
        } = event
        else {
            return;
        };
        if *decision != Verdict::Allow {
            let why: Vec<String> = reasons
                .iter()
                .filter(|r| r.verdict == *decision)
                .map(|r| r.to_string())
                .collect();
            self.refusals
                .push(json!({"tool": tool, "input": input, "reasons": why}));
        } else if tool == "summary" {
            self.summary = crate::tools::summary::handed_over(input).ok();
        } else if let ("write", Some(path)) = (tool.as_str(), input["path"].as_str())
            && !self.written.iter().any(|p| p == path)
        {
            self.written.push(path.to_string());
        }
    }
}
