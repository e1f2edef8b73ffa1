//! One child session: its agent loaded from the workspace with its own
//! hooks and MCP servers, its policy and sandbox inside its parent's,
//! nobody to ask, and what it did gathered for the parent.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{AgentConfig, guardrails};
use crate::engine::Session;
use crate::engine::events::Event;
use crate::engine::setup::{Assembly, SessionSetup};
use crate::hooks::trust;
use crate::mcp::McpServers;
use crate::mcp::pins::PinStore;
use crate::policy::{Mode, Trust, Verdict};
use crate::provider::{Client, Endpoint};
use crate::tools::registry::{self, Touches};
use crate::tools::shell::scrubbed_env;
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

/// A child's agent, loaded and ready to run: what [`Session::child_agent`]
/// gives [`Session::child_session`].
pub(super) struct ChildAgent {
    /// Its validated agent file, with the hooks and MCP servers it may
    /// run here.
    config: AgentConfig,
    /// Whether it may change files: a built-in tool that writes or runs,
    /// or an MCP server (which may do anything).
    pub(super) writes: bool,
}

impl Session {
    /// The agent `task` names, loaded from this session's workspace as
    /// `agent chat --agent` would load it, if this session may start it.
    /// Its hooks and MCP servers are its own (as Kiro's sub-agents have
    /// theirs); a repository's agent file keeps them only where the
    /// workspace is trusted as it is for the session itself
    /// (`--trust-workspace`, `trust.workspaces`, or trust given earlier
    /// to exactly that content), else they are dropped with a warning and
    /// the calls a `preToolUse` hook would have judged are refused.
    pub(super) fn child_agent(
        &self,
        task: &Task,
        warnings: &mut Vec<String>,
    ) -> Result<ChildAgent, String> {
        let roots = &self.setup.tools.roots;
        if !self.setup.policy.may_start(&task.agent) {
            return Err(format!(
                "agent `{}` is not in `toolsSettings.subagent.availableAgents`",
                task.agent
            ));
        }
        let (validated, _) =
            crate::config::load(&task.agent, &roots.workspace, roots.home.as_deref())
                .map_err(|e| format!("agent `{}` could not be loaded: {e}", task.agent))?;
        let mut config = validated.config;
        if !self.trusts_programs_of(&config) {
            warnings.push(format!(
                "the sub-agent `{}` would run programs this workspace brings (hooks, MCP servers), and the workspace is not trusted, so they are skipped",
                task.agent
            ));
            config.skip_programs();
        }
        let builtin_writes = crate::policy::tools::visible_builtins(&config)
            .iter()
            .any(|name| registry::find(name).is_none_or(|t| t.touches() != Touches::Nothing));
        let writes = builtin_writes || !config.mcp_servers.is_empty();
        Ok(ChildAgent { config, writes })
    }

    /// Whether `config`'s hooks and MCP servers may run: they are not the
    /// repository's, or the workspace is trusted for them.
    fn trusts_programs_of(&self, config: &AgentConfig) -> bool {
        let roots = &self.setup.tools.roots;
        let Some(request) = trust::request(config, &roots.workspace, roots.home.as_deref()) else {
            return true;
        };
        let session = &self.setup.tools.session;
        self.setup.trust_workspace
            || trust::listed_in_setting(session.settings.text("trust.workspaces"), &roots.workspace)
            || session
                .data
                .as_ref()
                .is_some_and(|data| trust::TrustStore::new(data).trusts(&request))
    }

    /// A child session for `task` with `agent`, working in `workspace`:
    /// its hooks and MCP servers started there, its policy judged together
    /// with this session's (with this session's trust only under
    /// `subagent.inheritTrust`), so an MCP tool runs only when this
    /// session's policy also allows it; its sandbox inside this one's,
    /// nobody to ask, sharing this session's model, settings and cancel
    /// switch, its calls in this session's audit log under its id. An MCP
    /// server that fails to start is a warning.
    pub(super) async fn child_session(
        &self,
        id: &str,
        task: &Task,
        agent: ChildAgent,
        workspace: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<Session, String> {
        let home = self.setup.tools.roots.home.clone();
        let parent = &self.setup.policy;
        let config = agent.config;
        let guardrails = guardrails::load(workspace, home.as_deref()).map_err(|e| e.to_string())?;
        let (client, model_id) = self.stage_model(task)?;
        let mcp = self.child_servers(&config, workspace).await;
        for (name, why) in mcp.failures() {
            warnings.push(format!(
                "the sub-agent `{}`'s MCP server `{name}` is not available: {why}",
                task.agent
            ));
        }
        let mut setup = SessionSetup::assemble(Assembly {
            config,
            guardrails,
            workspace: workspace.to_path_buf(),
            home,
            client,
            model_id,
            mcp,
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
        setup.tools.session.settings = self.setup.tools.session.settings.clone();
        setup.tools.session.data = self.setup.tools.session.data.clone();
        setup.hooks.session_id = self.setup.hooks.session_id.clone();
        setup.trust_workspace = self.setup.trust_workspace;
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

    /// A child agent's MCP servers, started in `workspace`, their tools
    /// pinned as this workspace's are.
    async fn child_servers(&self, config: &AgentConfig, workspace: &Path) -> McpServers {
        if config.mcp_servers.is_empty() {
            return McpServers::default();
        }
        let env = scrubbed_env(&config.settings.shell.pass_env);
        let servers =
            McpServers::start(&config.mcp_servers, &config.tool_aliases, workspace, &env).await;
        match &self.setup.tools.session.data {
            Some(data) => servers.with_pins(PinStore::for_workspace(
                data,
                &self.setup.tools.roots.workspace,
            )),
            None => servers,
        }
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
