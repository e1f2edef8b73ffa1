//! What a session is made of, and the one place that makes it from an
//! agent: chat start, `/agent swap`, tests and benches all call
//! [`SessionSetup::assemble`], so the tools offered, the system prompt,
//! the sandbox, the hooks and the compiled policy can only come out one
//! way.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::checkpoint::CheckpointStore;
use crate::config::AgentConfig;
use crate::config::guardrails::Guardrails;
use crate::hooks::HookSet;
use crate::mcp::McpServers;
use crate::policy::paths::Roots;
use crate::policy::{Grant, Mode, Policy, Reason, ToolCall, Trust, TrustOption};
use crate::provider::retry::RetryPolicy;
use crate::provider::{Client, ToolDefinition};
use crate::sandbox::Sandbox;
use crate::tools::registry::specs;
use crate::tools::shell::scrubbed_env;
use crate::tools::{Cancel, SessionInfo, ToolContext};

use super::audit::AuditLog;
use super::dispatch::Caller;
use super::profile::{COMPACT_CONTEXT_TOKENS, Profile, compact_system_prompt};
use super::prompt::system_prompt;

/// The context window assumed when the model's is not known (tokens).
pub const DEFAULT_CONTEXT_TOKENS: usize = 128_000;

/// Everything a session needs, fixed for its life unless a slash command
/// changes it between turns.
pub struct SessionSetup {
    /// The rules.
    pub policy: Policy,
    /// The model client.
    pub client: Client,
    /// The model id, for display.
    pub model_id: String,
    /// The tools' context.
    pub tools: ToolContext,
    /// The tool definitions offered to the model.
    pub definitions: Vec<ToolDefinition>,
    /// The system prompt.
    pub system: String,
    /// Trust granted for this session.
    pub trust: Trust,
    /// Whether someone can be asked.
    pub mode: Mode,
    /// How hard to retry model requests.
    pub retry: RetryPolicy,
    /// The model's context window, in tokens; old tool outputs are elided
    /// when the conversation passes three quarters of it.
    pub context_tokens: usize,
    /// How prompts and requests are shaped for the model.
    pub profile: Profile,
    /// The workspace's checkpoint store, when checkpoints are on.
    pub checkpoints: Option<Arc<Mutex<CheckpointStore>>>,
    /// Who answers when the policy asks (interactive chat); without one,
    /// what needs approval is refused.
    pub approver: Option<Arc<Mutex<dyn Approver>>>,
    /// Messages sent while a turn runs, folded in at its next tool boundary.
    pub steering: Steering,
    /// The agent's hooks (those the workspace's trust lets run).
    pub hooks: HookSet,
    /// The agent's MCP servers, started.
    pub mcp: McpServers,
    /// Where every tool call is recorded, when a log is open.
    pub audit: Option<AuditLog>,
    /// The person trusted the workspace's programs for this run
    /// (`--trust-workspace`): a repository's sub-agents may run their
    /// hooks and MCP servers too.
    pub trust_workspace: bool,
}

/// What a session is assembled from: an agent, where it works, and its
/// model.
pub struct Assembly {
    /// The validated agent, its hooks and servers already filtered by the
    /// workspace's trust.
    pub config: AgentConfig,
    /// The guardrails file's rules (`.kiro/kiro.json`).
    pub guardrails: Guardrails,
    /// The workspace.
    pub workspace: PathBuf,
    /// The home folder, for `~`.
    pub home: Option<PathBuf>,
    /// The model client.
    pub client: Client,
    /// The model id, for display.
    pub model_id: String,
    /// The agent's MCP servers, started (none for `Default`).
    pub mcp: McpServers,
}

impl SessionSetup {
    /// A session's parts for `assembly`: the built-in tools the agent's
    /// `tools` makes visible and its MCP servers' tools, the system prompt
    /// naming them, the agent's sandbox and hooks, and its policy with the
    /// guardrails. Nobody is asked (`Mode::Unattended`) and nothing is
    /// trusted until the caller says otherwise.
    pub fn assemble(assembly: Assembly) -> SessionSetup {
        let Assembly {
            config,
            guardrails,
            workspace,
            home,
            client,
            model_id,
            mcp,
        } = assembly;
        let profile = Profile::of(&model_id);
        let visible = crate::policy::tools::visible_builtins(&config);
        let mut definitions: Vec<ToolDefinition> = specs(&visible)
            .into_iter()
            .map(|spec| ToolDefinition {
                name: spec.name.into(),
                description: spec.description.into(),
                input_schema: spec.input_schema,
            })
            .collect();
        definitions.extend(mcp.definitions(&config));
        let definitions = profile.definitions(definitions);
        let offered: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
        let (system, context_tokens) = match profile {
            Profile::Standard => (
                system_prompt(&config, &workspace, home.as_deref(), &offered),
                DEFAULT_CONTEXT_TOKENS,
            ),
            Profile::Compact => (
                compact_system_prompt(&config, &workspace, &offered),
                COMPACT_CONTEXT_TOKENS,
            ),
        };
        let pass_env = config.settings.shell.pass_env.clone();
        let hooks = HookSet::new(&config.hooks, workspace.clone(), scrubbed_env(&pass_env));
        let session = SessionInfo {
            agent: config.name.clone(),
            model: model_id.clone(),
            urls: config.settings.web_fetch.clone(),
            knowledge_bases: config.knowledge_bases.clone().into(),
            ..SessionInfo::default()
        };
        let sandbox = Sandbox::for_agent(&config);
        let policy = Policy::new(config, &workspace, home.as_deref()).with_guardrails(guardrails);
        let mut tools = ToolContext {
            roots: Roots::new(&workspace, home.as_deref()),
            env_passthrough: pass_env,
            cancel: Cancel::default(),
            sandbox,
            session,
            hidden: policy.hidden(),
            code_index: crate::code::index::store_folder(&workspace),
        };
        tools.session.read_policy = Some(Arc::new(policy.clone()));
        tools.session.tool_index = definitions
            .iter()
            .map(|d| (d.name.clone(), d.description.clone()))
            .collect();
        tools.session.rules = policy
            .overview_text(&Trust::default(), &crate::tools::registry::names())
            .into();
        SessionSetup {
            policy,
            client,
            model_id,
            tools,
            definitions,
            system,
            trust: Trust::default(),
            mode: Mode::Unattended,
            retry: RetryPolicy::default(),
            context_tokens,
            profile,
            checkpoints: None,
            approver: None,
            steering: Steering::default(),
            hooks,
            mcp,
            audit: None,
            trust_workspace: false,
        }
    }

    /// The sandbox's warning for this machine, when the model is offered
    /// the shell tool and the sandbox is off or partial.
    pub fn sandbox_warning(&self) -> Option<String> {
        let shell = self.definitions.iter().any(|d| d.name == "shell");
        shell
            .then(|| self.tools.sandbox.startup_warning())
            .flatten()
    }

    /// Lets the sandbox keep the protected paths it finds between commands,
    /// kept current by the checkpoints' change journal (when checkpoints
    /// are on), instead of searching the writable tree at every command.
    pub fn follow_checkpoints(&mut self) {
        if let Some(store) = &self.checkpoints {
            self.tools.sandbox.follow(store.clone());
        }
    }

    /// Takes over what belongs to the chat rather than the agent from
    /// `old` (the model, checkpoints, approver, steering, audit log, mode,
    /// `--trust-workspace` and cancel handle), for `/agent swap`: the rest is this setup's, and
    /// the trust given to the old agent is not carried over.
    pub fn carry_over(&mut self, old: &mut SessionSetup) {
        use std::mem::swap;
        swap(&mut self.client, &mut old.client);
        swap(&mut self.model_id, &mut old.model_id);
        swap(&mut self.checkpoints, &mut old.checkpoints);
        self.follow_checkpoints();
        swap(&mut self.approver, &mut old.approver);
        swap(&mut self.steering, &mut old.steering);
        swap(&mut self.audit, &mut old.audit);
        self.trust_workspace = old.trust_workspace;
        swap(&mut self.tools.cancel, &mut old.tools.cancel);
        let (new, old_info) = (&mut self.tools.session, &mut old.tools.session);
        swap(&mut new.todo, &mut old_info.todo);
        swap(&mut new.settings, &mut old_info.settings);
        swap(&mut new.data, &mut old_info.data);
        swap(&mut new.last_error, &mut old_info.last_error);
        new.model = old_info.model.clone();
        swap(&mut self.hooks.session_id, &mut old.hooks.session_id);
        self.mode = old.mode;
        self.retry = old.retry;
        self.context_tokens = old.context_tokens;
        self.profile = old.profile;
    }
}

/// Messages a person sends while a turn runs (steer mode in chat, lines
/// appended to `--steer-file` headless). The turn folds them into the
/// conversation after its current tool calls, before asking the model
/// again, so the model sees them without the turn being cancelled.
#[derive(Debug, Clone, Default)]
pub struct Steering(Arc<Mutex<Vec<String>>>);

impl Steering {
    /// Queues a message for the next tool boundary.
    pub fn push(&self, text: String) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push(text);
        }
    }

    /// The messages still waiting, for display.
    pub fn pending(&self) -> Vec<String> {
        self.0.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// Takes the messages still waiting (the turn ended before a tool
    /// boundary could fold them in, so the surface sends them itself).
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }
}

/// A person's answer to a call the policy asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Run this one call.
    Once,
    /// Run it, and add these grants (one of the question's
    /// [`Question::options`]) to the session's trust; deny rules still
    /// hold.
    Trust(Vec<Grant>),
    /// Refuse it; the reason, if any, goes to the model.
    Refuse(Option<String>),
}

/// A call the policy asks about, as the person is shown it.
#[derive(Debug, Clone)]
pub struct Question {
    /// The call, under its canonical tool name.
    pub call: ToolCall,
    /// Why the policy asks, each with its rule.
    pub reasons: Vec<Reason>,
    /// What may be trusted for the rest of the session so that this very
    /// call would run unasked, narrowest first (from the session's policy
    /// as it is now); empty when nothing can be.
    pub options: Vec<TrustOption>,
    /// Who made the call.
    pub caller: Caller,
}

/// Someone who can be asked about a call (the terminal's user).
pub trait Approver: Send {
    /// Shows the question and returns the answer. Runs on a blocking
    /// thread, so it may wait for input.
    fn ask(&mut self, question: &Question) -> Answer;
}
