//! `agent chat`: interactive (line mode, with slash commands and
//! approvals), or `--no-interactive`: one headless turn, printed as text or
//! JSON, saved with its session and audit log, with an exit code a CI
//! script can act on.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::slash::{self, Chat, Reply};
use super::slash_session;
use super::{Failure, Outcome};
use crate::checkpoint::CheckpointStore;
use crate::cli::ChatArgs;
use crate::config::discover::workspace_root;
use crate::config::{AgentConfig, DEFAULT_AGENT, load, mcp_json};
use crate::engine::audit::AuditLog;
use crate::engine::prompt::system_prompt;
use crate::engine::store::{SavedSession, SessionStore};
use crate::engine::{Session, SessionSetup};
use crate::goal::spec::goal_words;
use crate::goal::{GoalReport, GoalSpec, GoalStatus};
use crate::hooks::HookSet;
use crate::hooks::trust::{self, TrustStore};
use crate::mcp::McpServers;
use crate::paths::{StatePaths, home_dir};
use crate::policy::paths::Roots;
use crate::policy::tools::visible_builtins;
use crate::policy::{Mode, Policy, Trust};
use crate::provider::retry::RetryPolicy;
use crate::provider::{Client, Endpoint, ToolDefinition};
use crate::sandbox::Sandbox;
use crate::settings::Settings;
use crate::tools::ToolContext;
use crate::tools::registry::specs;
use crate::tools::shell::scrubbed_env;
use crate::ui::headless::{OutputFormat, Printer};
use crate::ui::line::{LineApprover, read_line};

/// Exit code for a run stopped by Ctrl-C.
pub const INTERRUPTED: u8 = 130;
/// Exit code for a goal that ended other than `met`.
pub const GOAL_NOT_MET: u8 = 4;

/// Where the run happens and what it remembers.
struct Place {
    cwd: PathBuf,
    data: PathBuf,
    workspace: PathBuf,
    home: Option<PathBuf>,
    settings: Settings,
    store: SessionStore,
}

impl Place {
    fn here() -> Result<Place, Failure> {
        let cwd = std::env::current_dir()
            .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
        let paths = StatePaths::from_env().map_err(Failure::runtime)?;
        let settings = Settings::load(&paths.settings_file()).map_err(Failure::usage)?;
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

/// Runs a chat: headless with `--no-interactive`, else interactive; or
/// lists sessions.
pub fn run(args: &ChatArgs) -> Outcome {
    let place = Place::here()?;
    if args.list_sessions {
        return list_sessions(&place);
    }
    match args.no_interactive {
        true => headless(args, &place),
        false => interactive(args, &place),
    }
}

/// The session to continue (`--resume`), or `None` for a new one.
fn resumed(args: &ChatArgs, place: &Place) -> Result<Option<SavedSession>, Failure> {
    match args.resume {
        true => Ok(Some(place.store.latest().ok_or_else(|| {
            Failure::usage("error: there is no saved session for this workspace to resume")
        })?)),
        false => Ok(None),
    }
}

/// The resumed session, or a new saved one for `setup`.
fn saved_session(
    resumed: Option<SavedSession>,
    setup: &SessionSetup,
    place: &Place,
) -> Result<SavedSession, Failure> {
    match resumed {
        Some(saved) => Ok(saved),
        None => place
            .store
            .create(
                &setup.policy.config().name,
                &setup.model_id,
                &place.workspace,
            )
            .map_err(|e| Failure::runtime(format!("error: cannot save the session: {e}"))),
    }
}

/// The session's audit log, plus `--audit-log`.
fn audit_log(args: &ChatArgs, saved: &SavedSession) -> Result<AuditLog, Failure> {
    let audit_paths: Vec<PathBuf> = std::iter::once(saved.audit_path())
        .chain(args.audit_log.clone())
        .collect();
    let audit_refs: Vec<&Path> = audit_paths.iter().map(PathBuf::as_path).collect();
    AuditLog::open(&saved.id, &audit_refs)
        .map_err(|e| Failure::runtime(format!("error: cannot open the audit log: {e}")))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("error: cannot start the async runtime: {e}")))
}

/// True when the full-screen terminal UI can run: stdin and stdout are
/// terminals, `TERM` is not `dumb`, and `--classic` was not given.
fn wants_tui(args: &ChatArgs) -> bool {
    !args.classic
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && std::env::var("TERM").is_ok_and(|term| !term.is_empty() && term != "dumb")
}

/// Interactive chat: the terminal UI on a terminal, else the plain line
/// mode. Either way approvals are asked, slash commands work, Ctrl-C
/// cancels the running turn, and Ctrl-D or `/quit` leaves.
fn interactive(args: &ChatArgs, place: &Place) -> Outcome {
    let resumed = resumed(args, place)?;
    let runtime = runtime()?;
    let mut setup = setup(args, place, resumed.as_ref(), &runtime)?;
    setup.mode = Mode::Interactive;
    let tui = wants_tui(args);
    let approvals = if tui {
        let (approver, requests) = crate::ui::tui::approval::channel(setup.policy.clone());
        setup.approver = Some(Arc::new(std::sync::Mutex::new(approver)));
        Some(requests)
    } else {
        setup.approver = Some(Arc::new(std::sync::Mutex::new(LineApprover)));
        None
    };
    let saved = saved_session(resumed, &setup, place)?;
    setup.hooks.session_id = saved.id.clone();
    let audit = audit_log(args, &saved)?;
    let session = Session::new(setup, saved.messages.clone(), saved.marks.clone());
    let chat = Chat {
        session,
        saved,
        sessions: place.store.clone(),
        cwd: place.cwd.clone(),
        data: place.data.clone(),
        settings: place.settings.clone(),
        usage: Default::default(),
        last_prompt_tokens: 0,
    };
    match approvals {
        Some(approvals) => {
            let colorfgbg = std::env::var("COLORFGBG").ok();
            let options = crate::ui::tui::Options {
                theme: args.theme.resolve(colorfgbg.as_deref()),
                prompt: args.prompt.clone(),
            };
            crate::ui::tui::run(chat, audit, approvals, options, &runtime)
                .map_err(|e| Failure::runtime(format!("error: the terminal UI failed: {e}")))
        }
        None => line_mode(chat, audit, args.prompt.clone(), &runtime),
    }
}

/// The plain line mode: prompts and slash commands a line at a time,
/// approvals asked on the terminal.
fn line_mode(
    mut chat: Chat,
    mut audit: AuditLog,
    prompt: Option<String>,
    runtime: &tokio::runtime::Runtime,
) -> Outcome {
    let mut printer = Printer::new(OutputFormat::Text);
    printer.event(&chat.session.start_event());
    eprintln!(
        "type a prompt, `/help` for commands, `!COMMAND` for a shell command, `/quit` (or Ctrl-D) to leave"
    );
    let mut next = prompt;
    let mut last_goal: Option<GoalReport> = None;
    while let Some(line) = next.take().or_else(|| read_line("> ")) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('/') {
            match slash::run(&mut chat, line) {
                Ok(Reply::Quit) => break,
                Ok(Reply::Show(text)) => print!("{text}"),
                Ok(Reply::Goal(words)) => {
                    let surface = Surface {
                        printer: &mut printer,
                        audit: &mut audit,
                    };
                    if let Some(report) =
                        goal_command(&words, &mut chat, runtime, surface, &last_goal)
                    {
                        last_goal = Some(report);
                    }
                }
                Err(message) => eprint!("{message}"),
            }
            continue;
        }
        if let Some(command) = line.strip_prefix('!') {
            let setup = chat.session.setup();
            let ran =
                slash_session::bang(&setup.policy, &setup.trust, &setup.tools, command.trim());
            eprintln!("[shell {}]", ran.verdict);
            print!("{}", ran.output.text);
            continue;
        }
        let before = chat.session.messages().len();
        let mut usage = Default::default();
        let result = runtime.block_on(async {
            let mut surface = Surface {
                printer: &mut printer,
                audit: &mut audit,
            };
            let mut emit = |event: crate::engine::Event| {
                if let crate::engine::Event::TurnEnd { usage: turn, .. } = &event {
                    usage = *turn;
                }
                surface.show(&event);
            };
            tokio::select! {
                result = chat.session.run_turn(line, &mut emit) => Some(result),
                _ = tokio::signal::ctrl_c() => None,
            }
        });
        chat.add_turn_usage(usage);
        match result {
            Some(Ok(_)) => println!(),
            Some(Err(error)) => eprintln!("error: {error}"),
            None => {
                chat.session.tool_context().cancel.cancel_running();
                chat.session.truncate(before);
                eprintln!("interrupted: the turn was cancelled and left out of the conversation");
            }
        }
        if let Some(warning) = chat.save() {
            eprintln!("{warning}");
        }
    }
    Ok(())
}

/// Where line mode's events go: the screen and the audit log.
struct Surface<'a> {
    printer: &'a mut Printer,
    audit: &'a mut AuditLog,
}

impl Surface<'_> {
    fn show(&mut self, event: &crate::engine::Event) {
        if let Err(e) = self.audit.record(event) {
            eprintln!("warning: the audit log could not be written: {e}");
        }
        self.printer.event(event);
    }
}

/// `/goal …` in line mode: runs the goal (Ctrl-C cancels it, and it still
/// reports), shows the last report for `/goal` alone; returns the report of
/// a goal that ran.
fn goal_command(
    words: &str,
    chat: &mut Chat,
    runtime: &tokio::runtime::Runtime,
    mut surface: Surface<'_>,
    last: &Option<GoalReport>,
) -> Option<GoalReport> {
    match words {
        "" => {
            match last {
                Some(report) => print!("{}", report.to_text()),
                None => println!("no goal has run in this chat"),
            }
            return None;
        }
        "clear" => {
            println!("no goal is running (Ctrl-C cancels a running goal)");
            return None;
        }
        _ => {}
    }
    let spec = match GoalSpec::parse_line(words) {
        Ok(spec) => spec,
        Err(message) => {
            eprint!("{message}");
            return None;
        }
    };
    let report = runtime.block_on(async {
        let mut emit = |event: crate::engine::Event| surface.show(&event);
        run_goal(&mut chat.session, &spec, &mut emit).await
    });
    if let Some(warning) = chat.save() {
        eprintln!("{warning}");
    }
    Some(report)
}

/// One headless turn, printed as text or JSON, with an exit code.
fn headless(args: &ChatArgs, place: &Place) -> Outcome {
    let prompt = read_prompt(args.prompt.as_deref())?;
    let goal = parse_goal(&prompt)?;
    let resumed = resumed(args, place)?;
    let runtime = runtime()?;
    let mut setup = setup(args, place, resumed.as_ref(), &runtime)?;
    let mut saved = saved_session(resumed, &setup, place)?;
    setup.hooks.session_id = saved.id.clone();
    let mut audit = audit_log(args, &saved)?;
    let cancel = setup.tools.cancel.clone();
    let mut printer = Printer::new(args.output_format);
    let mut session = Session::new(setup, saved.messages.clone(), saved.marks.clone());
    printer.event(&session.start_event());
    let mut audit_failure = None;
    let steering = session.steering();
    let result = runtime.block_on(async {
        let _steer_file = args
            .steer_file
            .clone()
            .map(|path| tokio::spawn(follow_steer_file(path, steering)));
        let mut emit = |event: crate::engine::Event| {
            if let Err(e) = audit.record(&event) {
                audit_failure.get_or_insert(e);
            }
            printer.event(&event);
        };
        if let Some(spec) = &goal {
            return Some(Ok(run_goal(&mut session, spec, &mut emit).await.status));
        }
        tokio::select! {
            result = session.run_turn(&prompt, &mut emit) => Some(result.map(|_| GoalStatus::Met)),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    if result.is_none() {
        cancel.cancel_running();
    }
    save(&mut saved, &session);
    if let Some(e) = audit_failure {
        eprintln!("warning: the audit log could not be written: {e}");
    }
    match result {
        Some(Ok(GoalStatus::Met)) => {
            printer.finish(None);
            Ok(())
        }
        Some(Ok(status)) => {
            printer.finish(Some(&format!("the goal ended {}", status.name())));
            Err(Failure {
                message: String::new(),
                code: GOAL_NOT_MET,
            })
        }
        Some(Err(error)) => {
            let message = error.to_string();
            printer.event(&crate::engine::Event::Error {
                message: message.clone(),
            });
            printer.finish(Some(&message));
            Err(Failure::runtime(""))
        }
        None => {
            printer.event(&crate::engine::Event::Error {
                message: "interrupted".into(),
            });
            printer.finish(Some("interrupted"));
            Err(Failure {
                message: String::new(),
                code: INTERRUPTED,
            })
        }
    }
}

/// The goal of a `/goal …` prompt; `None` for any other prompt.
fn parse_goal(prompt: &str) -> Result<Option<GoalSpec>, Failure> {
    match goal_words(prompt) {
        None => Ok(None),
        Some("") | Some("clear") => Err(Failure::usage(
            "error: `/goal` needs an objective here; `/goal` alone and `/goal clear` are for interactive chat",
        )),
        Some(words) => GoalSpec::parse_line(words)
            .map(Some)
            .map_err(Failure::usage),
    }
}

/// Runs a goal; Ctrl-C cancels it, and it still ends with its report.
async fn run_goal(
    session: &mut Session,
    spec: &GoalSpec,
    emit: &mut (dyn FnMut(crate::engine::Event) + Send),
) -> GoalReport {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = crate::goal::run(session, spec, stopped, emit);
    tokio::pin!(running);
    tokio::select! {
        report = &mut running => report,
        _ = tokio::signal::ctrl_c() => {
            let _ = stop.send(true);
            running.await
        }
    }
}

/// Feeds lines appended to `path` into the steering queue (`--steer-file`),
/// from the end the file had when the run started.
async fn follow_steer_file(path: PathBuf, steering: crate::engine::Steering) {
    let mut offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut partial = String::new();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        partial.push_str(&String::from_utf8_lossy(&bytes[start..]));
        offset = bytes.len() as u64;
        while let Some(end) = partial.find('\n') {
            let line: String = partial.drain(..=end).collect();
            if !line.trim().is_empty() {
                steering.push(line.trim().to_string());
            }
        }
    }
}

fn save(saved: &mut SavedSession, session: &Session) {
    saved.messages = session.messages().to_vec();
    saved.marks = session.marks().clone();
    if let Err(e) = saved.save() {
        eprintln!("warning: the session could not be saved: {e}");
    }
}

fn list_sessions(place: &Place) -> Outcome {
    let sessions = place.store.list();
    if sessions.is_empty() {
        println!("no saved sessions for {}", place.workspace.display());
    }
    for session in sessions {
        println!(
            "{}  {}  {}  {} messages  {}",
            session.id,
            session.agent,
            session.model,
            session.messages.len(),
            session.title()
        );
    }
    Ok(())
}

/// The prompt from the argument or stdin; piped stdin alongside a prompt
/// argument is added as context.
fn read_prompt(argument: Option<&str>) -> Result<String, Failure> {
    let piped = || -> Result<String, Failure> {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("error: cannot read stdin: {e}")))?;
        Ok(text)
    };
    let prompt = match argument {
        Some("-") => piped()?,
        Some(prompt) if !std::io::stdin().is_terminal() => {
            let context = piped()?;
            if context.trim().is_empty() {
                prompt.to_string()
            } else {
                format!("{prompt}\n\n<stdin>\n{context}\n</stdin>")
            }
        }
        Some(prompt) => prompt.to_string(),
        None => {
            return Err(Failure::usage(
                "error: give a prompt (or `-` to read it from stdin)",
            ));
        }
    };
    if prompt.trim().is_empty() {
        return Err(Failure::usage("error: the prompt is empty"));
    }
    Ok(prompt)
}

/// Loads the agent, picks the model, and builds the session's parts. A
/// resumed session keeps its agent and model unless the flags say otherwise.
fn setup(
    args: &ChatArgs,
    place: &Place,
    resumed: Option<&SavedSession>,
    runtime: &tokio::runtime::Runtime,
) -> Result<SessionSetup, Failure> {
    let agent_name = args
        .agent
        .clone()
        .or_else(|| resumed.map(|s| s.agent.clone()))
        .or_else(|| place.settings.text("chat.defaultAgent").map(str::to_string))
        .unwrap_or_else(|| DEFAULT_AGENT.to_string());
    let (validated, discovery) = load(&agent_name, &place.cwd, place.home.as_deref())?;
    for warning in discovery.warnings() {
        eprintln!("{warning}");
    }
    let config = workspace_trust(args, place, validated.config);
    let config = with_mcp_json(args, place, config)?;
    let guardrails = crate::config::guardrails::load(&place.workspace, place.home.as_deref())?;
    let model_id = args
        .model
        .clone()
        .or_else(|| resumed.map(|s| s.model.clone()))
        .or_else(|| config.model.clone())
        .or_else(|| place.settings.text("chat.defaultModel").map(str::to_string))
        .ok_or_else(|| {
            Failure::usage(
                "error: no model: pass --model, set `model` in the agent file, or `agent settings chat.defaultModel ID`",
            )
        })?;
    let variable = |name: &str| place.settings.env_or_setting(name);
    let endpoint = Endpoint::resolve(&model_id, &variable)
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    let visible = visible_builtins(&config);
    let mut definitions: Vec<ToolDefinition> = specs(&visible)
        .into_iter()
        .map(|s| ToolDefinition {
            name: s.name.into(),
            description: s.description.into(),
            input_schema: s.input_schema,
        })
        .collect();
    let mcp = start_mcp(args, place, &config, runtime)?;
    definitions.extend(mcp.definitions(&config));
    let offered: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    let system = system_prompt(&config, &place.workspace, place.home.as_deref(), &offered);
    let pass_env = config.settings.shell.pass_env.clone();
    let sandbox = Sandbox::for_agent(&config);
    if offered.contains(&"shell")
        && let Some(warning) = sandbox.startup_warning()
    {
        eprintln!("warning: {warning}");
    }
    let hooks = HookSet::new(
        &config.hooks,
        place.workspace.clone(),
        scrubbed_env(&pass_env),
    );
    Ok(SessionSetup {
        policy: Policy::new(config, &place.workspace, place.home.as_deref())
            .with_guardrails(guardrails),
        client: Client::new(endpoint),
        model_id,
        tools: ToolContext {
            roots: Roots::new(&place.workspace, place.home.as_deref()),
            env_passthrough: pass_env,
            cancel: crate::tools::Cancel::default(),
            sandbox,
        },
        definitions,
        system,
        trust: Trust {
            all_tools: args.trust_all_tools,
            tools: args.trust_tools.clone(),
            grants: Vec::new(),
        },
        mode: Mode::Unattended,
        retry: RetryPolicy::default(),
        context_tokens: crate::engine::session::DEFAULT_CONTEXT_TOKENS,
        checkpoints: open_checkpoints(place),
        approver: None,
        steering: Default::default(),
        hooks,
        mcp,
    })
}

/// Exit code when `--require-mcp-startup` is given and a server fails.
pub const MCP_STARTUP_FAILED: u8 = 3;

/// Starts the agent's MCP servers; one that fails is a warning, or the end
/// of the run (exit 3) with `--require-mcp-startup`.
fn start_mcp(
    args: &ChatArgs,
    place: &Place,
    config: &AgentConfig,
    runtime: &tokio::runtime::Runtime,
) -> Result<McpServers, Failure> {
    if config.mcp_servers.is_empty() {
        return Ok(McpServers::default());
    }
    let env = scrubbed_env(&config.settings.shell.pass_env);
    let servers = runtime.block_on(McpServers::start(
        &config.mcp_servers,
        &config.tool_aliases,
        &place.workspace,
        &env,
    ));
    let failures = servers.failures();
    for (name, why) in &failures {
        eprintln!("warning: the MCP server `{name}` is not available: {why}");
    }
    if args.require_mcp_startup && !failures.is_empty() {
        return Err(Failure {
            message: "error: an MCP server failed to start (--require-mcp-startup)".into(),
            code: MCP_STARTUP_FAILED,
        });
    }
    Ok(servers)
}

/// `config` with the servers of the user's and the workspace's `mcp.json`
/// when it sets `includeMcpJson` (its own entries win, then the
/// workspace's); the workspace's file needs trust as its agent files do.
fn with_mcp_json(
    args: &ChatArgs,
    place: &Place,
    mut config: AgentConfig,
) -> Result<AgentConfig, Failure> {
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
        Some(request) if !trusted(args, place, &request) => eprintln!(
            "warning: {} would start MCP servers this workspace brings, and the workspace is not trusted, so they are skipped:\n  {}\nhelp: pass --trust-workspace (or answer yes in interactive chat) to start them",
            request.file.display(),
            request.summary.join("\n  ")
        ),
        _ => servers.extend(workspace),
    }
    servers.append(&mut config.mcp_servers);
    config.mcp_servers = servers;
    Ok(config)
}

/// Whether the user trusts `request`: `--trust-workspace`, the
/// `trust.workspaces` setting, an earlier yes, or a yes now in interactive
/// chat.
fn trusted(args: &ChatArgs, place: &Place, request: &trust::TrustRequest) -> bool {
    let store = TrustStore::new(&place.data);
    args.trust_workspace
        || trust::listed_in_setting(place.settings.text("trust.workspaces"), &place.workspace)
        || store.trusts(request)
        || (!args.no_interactive && ask_trust(request, &store))
}

/// `config` as it may run here: the hooks and MCP servers a repository's
/// agent file brings are kept only when the workspace is trusted for
/// exactly that content (`--trust-workspace`, the `trust.workspaces`
/// setting, an earlier yes, or a yes now in interactive chat); otherwise
/// they are dropped with a warning and the run goes on without them; the
/// calls a dropped `preToolUse` hook would have judged ask instead.
fn workspace_trust(args: &ChatArgs, place: &Place, mut config: AgentConfig) -> AgentConfig {
    let Some(request) = trust::request(&config, &place.workspace, place.home.as_deref()) else {
        return config;
    };
    if !trusted(args, place, &request) {
        eprintln!(
            "warning: {} would run programs this workspace brings, and the workspace is not trusted, so they are skipped:\n  {}\nhelp: pass --trust-workspace (or answer yes in interactive chat) to run them",
            request.file.display(),
            request.summary.join("\n  ")
        );
        config.unrun_pre_tool_hooks = config
            .hooks
            .pre_tool_use
            .iter()
            .map(|h| h.matcher.clone())
            .collect();
        config.hooks = Default::default();
        config.mcp_servers.clear();
    }
    config
}

/// Shows what a repository's agent file would run and asks once; a yes is
/// remembered for exactly this content.
fn ask_trust(request: &trust::TrustRequest, store: &TrustStore) -> bool {
    eprintln!(
        "{} (from this workspace) would run:\n  {}",
        request.file.display(),
        request.summary.join("\n  ")
    );
    let answer = read_line("trust this workspace's hooks and servers and run them? [y/N] ");
    let yes = answer.is_some_and(|a| matches!(a.trim(), "y" | "Y" | "yes"));
    if yes && let Err(e) = store.record(request) {
        eprintln!("warning: the trust could not be remembered: {e}");
    }
    yes
}

/// The workspace's checkpoint store, unless `chat.enableCheckpoint` is
/// false, or the workspace is a large tree outside git with no store yet
/// (then `agent checkpoint init` turns them on); a store that cannot be
/// opened is a warning, not a failure. Stores of workspaces unused for
/// `checkpoint.maxAgeDays` are pruned first.
fn open_checkpoints(place: &Place) -> Option<Arc<std::sync::Mutex<CheckpointStore>>> {
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
        eprintln!(
            "warning: checkpoints are off: {} is not in a git repository and has more than {limit} files; `agent checkpoint init` takes its baseline and turns them on",
            place.workspace.display()
        );
        return None;
    }
    match CheckpointStore::open(&place.data, &place.workspace) {
        Ok(store) => Some(Arc::new(std::sync::Mutex::new(store))),
        Err(e) => {
            eprintln!("warning: checkpoints are off: {e}");
            None
        }
    }
}
