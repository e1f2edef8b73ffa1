//! A chat from the command line's options: where it runs, the agent (with
//! the workspace's hooks and MCP servers only when the workspace is
//! trusted), the model, the saved session it continues or starts, its
//! audit log and checkpoints. The session itself is put together by
//! [`SessionSetup::assemble`], the one place that does it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Chat, ChatError};
use crate::checkpoint::CheckpointStore;
use crate::config::discover::workspace_root;
use crate::config::{AgentConfig, DEFAULT_AGENT, load, mcp_json};
use crate::engine::audit::AuditLog;
use crate::engine::store::{SavedSession, SessionStore};
use crate::engine::{Assembly, Session, SessionSetup};
use crate::hooks::trust::{self, TrustRequest, TrustStore};
use crate::mcp::McpServers;
use crate::mcp::pins::PinStore;
use crate::paths::{StatePaths, home_dir};
use crate::policy::{Mode, Trust};
use crate::provider::{Client, Endpoint};
use crate::settings::Settings;
use crate::tools::shell::scrubbed_env;

/// How a chat starts (the command line's flags).
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// `--agent`: the agent to run (else the resumed session's, the
    /// `chat.defaultAgent` setting, or `default`).
    pub agent: Option<String>,
    /// `--model` (else the resumed session's, the agent's, or
    /// `chat.defaultModel`).
    pub model: Option<String>,
    /// `--resume`: continue the workspace's last session.
    pub resume: bool,
    /// Continue this saved session of the workspace (ACP's `session/load`).
    pub resume_id: Option<String>,
    /// MCP servers the client brings (ACP's `session/new`), added to the
    /// agent's under the same policy; the agent's own entry of a name wins.
    pub mcp_servers: std::collections::BTreeMap<String, crate::config::model::McpServer>,
    /// `--trust-all-tools`.
    pub trust_all_tools: bool,
    /// `--trust-tools`.
    pub trust_tools: Vec<String>,
    /// `--trust-workspace`: run the hooks and servers the workspace brings.
    pub trust_workspace: bool,
    /// `--require-mcp-startup`: a server that fails ends the run.
    pub require_mcp_startup: bool,
    /// `--audit-log`: a copy of the audit log.
    pub audit_log: Option<PathBuf>,
    /// A person is there to be asked (interactive chat).
    pub interactive: bool,
}

/// What starting a chat may need from the person: to see warnings, and
/// (interactive only) to say whether the workspace's hooks and servers
/// may run.
pub trait Startup {
    /// Shows a warning.
    fn warn(&mut self, message: &str);
    /// Asks whether to trust what `request` would run; `false` when nobody
    /// can be asked.
    fn confirm(&mut self, request: &TrustRequest) -> bool;
}

/// Where the chat runs and what it remembers.
pub struct Place {
    /// The folder `agent` was started in.
    pub cwd: PathBuf,
    /// The data folder.
    pub data: PathBuf,
    /// The workspace root around `cwd`.
    pub workspace: PathBuf,
    /// The home folder.
    pub home: Option<PathBuf>,
    /// The user's settings.
    pub settings: Settings,
    /// The workspace's saved sessions.
    pub store: SessionStore,
}

impl Place {
    /// The place of this process: its folder, state folders and settings.
    pub fn here() -> Result<Place, ChatError> {
        let cwd = std::env::current_dir().map_err(|e| {
            ChatError::runtime(format!("error: cannot read the current folder: {e}"))
        })?;
        Place::at(cwd)
    }

    /// The place of a chat that works in `cwd` (an ACP client's folder).
    pub fn at(cwd: PathBuf) -> Result<Place, ChatError> {
        let paths = StatePaths::from_env().map_err(ChatError::runtime)?;
        let settings = Settings::load(&paths.settings_file()).map_err(ChatError::usage)?;
        let workspace = workspace_root(&cwd);
        Ok(Place {
            store: SessionStore::for_workspace(&paths.data, &workspace),
            data: paths.data.clone(),
            cwd,
            workspace,
            home: home_dir(),
            settings,
        })
    }
}

/// Starts a chat at `place` as `options` say.
pub fn start(
    options: &StartOptions,
    place: &Place,
    runtime: &tokio::runtime::Runtime,
    startup: &mut dyn Startup,
) -> Result<Chat, ChatError> {
    let resumed = match (&options.resume_id, options.resume) {
        (Some(id), _) => Some(place.store.find(id).ok_or_else(|| {
            ChatError::usage(format!("error: this workspace has no saved session `{id}`"))
        })?),
        (None, true) => Some(place.store.latest().ok_or_else(|| {
            ChatError::usage("error: there is no saved session for this workspace to resume")
        })?),
        (None, false) => None,
    };
    let mut setup = session_setup(options, place, resumed.as_ref(), runtime, startup)?;
    let saved = match resumed {
        Some(saved) => saved,
        None => place
            .store
            .create(
                &setup.policy.config().name,
                &setup.model_id,
                &place.workspace,
            )
            .map_err(|e| ChatError::runtime(format!("error: cannot save the session: {e}")))?,
    };
    setup.hooks.session_id = saved.id.clone();
    join_checkpoints(setup.checkpoints.as_ref(), &saved.id, startup);
    setup.follow_checkpoints();
    setup.audit = Some(audit_log(options, &saved)?);
    Ok(Chat {
        session: Session::new(setup, saved.messages.clone(), saved.marks.clone()),
        saved,
        sessions: place.store.clone(),
        cwd: place.cwd.clone(),
        data: place.data.clone(),
        settings: place.settings.clone(),
        usage: Default::default(),
        last_prompt_tokens: 0,
        last_goal: None,
        previous_agent: None,
        mode: super::ChatMode::from_settings(&place.settings),
        pending: None,
        review_note: None,
    })
}

/// The session's audit log, plus `--audit-log`.
fn audit_log(options: &StartOptions, saved: &SavedSession) -> Result<AuditLog, ChatError> {
    let paths: Vec<PathBuf> = std::iter::once(saved.audit_path())
        .chain(options.audit_log.clone())
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    AuditLog::open(&saved.id, &refs)
        .map_err(|e| ChatError::runtime(format!("error: cannot open the audit log: {e}")))
}

/// Loads the agent, picks the model, and assembles the session. A resumed
/// session keeps its agent and model unless the flags say otherwise.
fn session_setup(
    options: &StartOptions,
    place: &Place,
    resumed: Option<&SavedSession>,
    runtime: &tokio::runtime::Runtime,
    startup: &mut dyn Startup,
) -> Result<SessionSetup, ChatError> {
    let agent_name = options
        .agent
        .clone()
        .or_else(|| resumed.map(|s| s.agent.clone()))
        .or_else(|| place.settings.text("chat.defaultAgent").map(str::to_string))
        .unwrap_or_else(|| DEFAULT_AGENT.to_string());
    let (validated, discovery) = load(&agent_name, &place.cwd, place.home.as_deref())?;
    for warning in discovery.warnings() {
        startup.warn(&warning);
    }
    let config = workspace_trust(options, place, validated.config, startup);
    let mut config = with_mcp_json(options, place, config, startup)?;
    for (name, server) in &options.mcp_servers {
        config
            .mcp_servers
            .entry(name.clone())
            .or_insert_with(|| server.clone());
    }
    let guardrails = crate::config::guardrails::load(&place.workspace, place.home.as_deref())?;
    let model_id = options
        .model
        .clone()
        .or_else(|| resumed.map(|s| s.model.clone()))
        .or_else(|| config.model.clone())
        .or_else(|| place.settings.text("chat.defaultModel").map(str::to_string))
        .ok_or_else(|| {
            ChatError::usage(
                "error: no model: pass --model, set `model` in the agent file, or `agent settings chat.defaultModel ID`",
            )
        })?;
    let variable = |name: &str| place.settings.env_or_setting(name);
    let endpoint = Endpoint::resolve(&model_id, &variable)
        .map_err(|e| ChatError::usage(format!("error: {e}")))?;
    let mcp = start_mcp(options, place, &config, runtime, startup)?;
    let mut setup = SessionSetup::assemble(Assembly {
        config,
        guardrails,
        workspace: place.workspace.clone(),
        home: place.home.clone(),
        client: Client::new(endpoint),
        model_id,
        mcp,
    });
    setup.tools.session.settings = std::sync::Arc::new(place.settings.clone());
    setup.tools.session.data = Some(place.data.clone());
    setup.trust_workspace = options.trust_workspace;
    let (data, workspace) = (place.data.clone(), place.workspace.clone());
    setup.tools.session.saved_sessions = crate::tools::SavedSessions::new(move || {
        let store = crate::engine::store::SessionStore::for_workspace(&data, &workspace);
        store.list().iter().map(|s| s.summary_line()).collect()
    });
    if let Some(warning) = setup.sandbox_warning() {
        startup.warn(&format!("warning: {warning}"));
    }
    setup.trust = Trust {
        all_tools: options.trust_all_tools,
        tools: options.trust_tools.clone(),
        grants: Vec::new(),
        read_only: false,
    };
    setup.mode = match options.interactive {
        true => Mode::Interactive,
        false => Mode::Unattended,
    };
    setup.checkpoints = open_checkpoints(place, startup);
    Ok(setup)
}

/// Starts the agent's MCP servers; one that fails is a warning, or the end
/// of the run with `--require-mcp-startup`.
fn start_mcp(
    options: &StartOptions,
    place: &Place,
    config: &AgentConfig,
    runtime: &tokio::runtime::Runtime,
    startup: &mut dyn Startup,
) -> Result<McpServers, ChatError> {
    if config.mcp_servers.is_empty() {
        return Ok(McpServers::default());
    }
    let env = scrubbed_env(&config.settings.shell.pass_env);
    let servers = runtime
        .block_on(McpServers::start(
            &config.mcp_servers,
            &config.tool_aliases,
            &place.workspace,
            &env,
        ))
        .with_pins(PinStore::for_workspace(&place.data, &place.workspace));
    let failures = servers.failures();
    for (name, why) in &failures {
        startup.warn(&format!(
            "warning: the MCP server `{name}` is not available: {why}"
        ));
    }
    if options.require_mcp_startup && !failures.is_empty() {
        return Err(ChatError::McpStartup(
            "error: an MCP server failed to start (--require-mcp-startup)".into(),
        ));
    }
    Ok(servers)
}

/// `config` with the servers of the user's and the workspace's `mcp.json`
/// when it sets `includeMcpJson` (its own entries win, then the
/// workspace's); the workspace's file needs trust as its agent files do.
fn with_mcp_json(
    options: &StartOptions,
    place: &Place,
    mut config: AgentConfig,
    startup: &mut dyn Startup,
) -> Result<AgentConfig, ChatError> {
    if !config.include_mcp_json {
        return Ok(config);
    }
    let mut servers = match mcp_json::user_file(place.home.as_deref()) {
        Some(file) => mcp_json::read(&file)?.mcp_servers,
        None => Default::default(),
    };
    let file = mcp_json::workspace_file(&place.workspace);
    let workspace = mcp_json::read(&file)?.mcp_servers;
    match trust::request_for_servers(&file, &workspace) {
        Some(request) if !trusted(options, place, &request, startup) => startup.warn(&format!(
            "warning: {} would start MCP servers this workspace brings, and the workspace is not trusted, so they are skipped:\n  {}\nhelp: pass --trust-workspace (or answer yes in interactive chat) to start them",
            request.file.display(),
            request.summary.join("\n  ")
        )),
        _ => servers.extend(workspace),
    }
    servers.append(&mut config.mcp_servers);
    config.mcp_servers = servers;
    Ok(config)
}

/// Whether the user trusts `request`: `--trust-workspace`, the
/// `trust.workspaces` setting, an earlier yes, or a yes now in interactive
/// chat (remembered for exactly this content).
fn trusted(
    options: &StartOptions,
    place: &Place,
    request: &TrustRequest,
    startup: &mut dyn Startup,
) -> bool {
    let store = TrustStore::new(&place.data);
    if options.trust_workspace
        || trust::listed_in_setting(place.settings.text("trust.workspaces"), &place.workspace)
        || store.trusts(request)
    {
        return true;
    }
    let yes = options.interactive && startup.confirm(request);
    if yes && let Err(e) = store.record(request) {
        startup.warn(&format!("warning: the trust could not be remembered: {e}"));
    }
    yes
}

/// `config` as it may run here: the hooks and MCP servers a repository's
/// agent file brings are kept only when the workspace is trusted for
/// exactly that content; otherwise they are dropped with a warning and the
/// run goes on without them; the calls a dropped `preToolUse` hook would
/// have judged ask instead.
fn workspace_trust(
    options: &StartOptions,
    place: &Place,
    mut config: AgentConfig,
    startup: &mut dyn Startup,
) -> AgentConfig {
    let Some(request) = trust::request(&config, &place.workspace, place.home.as_deref()) else {
        return config;
    };
    if !trusted(options, place, &request, startup) {
        startup.warn(&format!(
            "warning: {} would run programs this workspace brings, and the workspace is not trusted, so they are skipped:\n  {}\nhelp: pass --trust-workspace (or answer yes in interactive chat) to run them",
            request.file.display(),
            request.summary.join("\n  ")
        ));
        config.skip_programs();
    }
    config
}

/// Makes the session's checkpoints its own line in the store, marked as
/// running so a restore in another session leaves its work alone, and
/// starts the change journal its snapshots read.
pub fn join_checkpoints(
    store: Option<&Arc<Mutex<CheckpointStore>>>,
    id: &str,
    startup: &mut dyn Startup,
) {
    let Some(Ok(mut store)) = store.map(|s| s.lock()) else {
        return;
    };
    if let Err(e) = store.use_session(id).and_then(|()| store.announce()) {
        startup.warn(&format!("warning: checkpoints: {e}"));
    }
    store.start_journal(crate::checkpoint::JOURNAL_CAPACITY);
}

/// The workspace's checkpoint store, unless `chat.enableCheckpoint` is
/// false, or the workspace is a large tree outside git with no store yet
/// (then `agent checkpoint init` turns them on); a store that cannot be
/// opened is a warning, not a failure. Stores of workspaces unused for
/// `checkpoint.maxAgeDays` are pruned first.
fn open_checkpoints(
    place: &Place,
    startup: &mut dyn Startup,
) -> Option<Arc<Mutex<CheckpointStore>>> {
    if place.settings.get("chat.enableCheckpoint") == Some(&serde_json::Value::Bool(false)) {
        return None;
    }
    let max_age_days = place.settings.count("checkpoint.maxAgeDays", 30);
    if max_age_days > 0 {
        let max_age = std::time::Duration::from_secs(max_age_days.saturating_mul(86_400));
        CheckpointStore::prune(&place.data, max_age, &place.workspace);
    }
    let limit = place
        .settings
        .count("checkpoint.maxFilesOutsideGit", 20_000);
    if CheckpointStore::needs_init(&place.data, &place.workspace, limit) {
        startup.warn(&format!(
            "warning: checkpoints are off: {} is not in a git repository and has more than {limit} files; `agent checkpoint init` takes its baseline and turns them on",
            place.workspace.display()
        ));
        return None;
    }
    match CheckpointStore::open(&place.data, &place.workspace) {
        Ok(mut store) => {
            store.max_file_bytes = super::checkpoint::max_file_bytes(&place.settings);
            let cap = super::checkpoint::max_store_bytes(&place.settings);
            match store.enforce_cap(cap) {
                Ok(done) => done
                    .iter()
                    .for_each(|line| startup.warn(&format!("checkpoints: {line}"))),
                Err(e) => startup.warn(&format!("warning: checkpoints: {e}")),
            }
            Some(Arc::new(Mutex::new(store)))
        }
        Err(e) => {
            startup.warn(&format!("warning: checkpoints are off: {e}"));
            None
        }
    }
}
