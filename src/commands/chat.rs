//! `agent chat --no-interactive`: one headless turn, printed as text or
//! JSON, saved with its session and audit log, with an exit code a CI
//! script can act on.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Failure, Outcome};
use crate::checkpoint::CheckpointStore;
use crate::cli::ChatArgs;
use crate::config::discover::workspace_root;
use crate::config::{DEFAULT_AGENT, load};
use crate::engine::audit::AuditLog;
use crate::engine::prompt::system_prompt;
use crate::engine::store::{SavedSession, SessionStore};
use crate::engine::{Session, SessionSetup};
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
use crate::ui::headless::Printer;

/// Exit code for a run stopped by Ctrl-C.
pub const INTERRUPTED: u8 = 130;

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

/// Runs one headless turn, or lists sessions.
pub fn run(args: &ChatArgs) -> Outcome {
    let place = Place::here()?;
    if args.list_sessions {
        return list_sessions(&place);
    }
    if !args.no_interactive {
        return Err(Failure::usage(
            "error: the interactive terminal UI is not built yet; run `agent chat --no-interactive \"PROMPT\"`",
        ));
    }
    let prompt = read_prompt(args.prompt.as_deref())?;
    let resumed = match args.resume {
        true => Some(place.store.latest().ok_or_else(|| {
            Failure::usage("error: there is no saved session for this workspace to resume")
        })?),
        false => None,
    };
    let setup = setup(args, &place, resumed.as_ref())?;
    let mut saved = match resumed {
        Some(saved) => saved,
        None => place
            .store
            .create(
                &setup.policy.config().name,
                &setup.model_id,
                &place.workspace,
            )
            .map_err(|e| Failure::runtime(format!("error: cannot save the session: {e}")))?,
    };
    let audit_paths: Vec<PathBuf> = std::iter::once(saved.audit_path())
        .chain(args.audit_log.clone())
        .collect();
    let audit_refs: Vec<&Path> = audit_paths.iter().map(PathBuf::as_path).collect();
    let mut audit = AuditLog::open(&saved.id, &audit_refs)
        .map_err(|e| Failure::runtime(format!("error: cannot open the audit log: {e}")))?;
    let cancel = setup.tools.cancel.clone();
    let mut printer = Printer::new(args.output_format);
    let mut session = Session::new(setup, saved.messages.clone());
    printer.event(&session.start_event());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("error: cannot start the async runtime: {e}")))?;
    let mut audit_failure = None;
    let result = runtime.block_on(async {
        let mut emit = |event: crate::engine::Event| {
            if let Err(e) = audit.record(&event) {
                audit_failure.get_or_insert(e);
            }
            printer.event(&event);
        };
        tokio::select! {
            result = session.run_turn(&prompt, &mut emit) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    if result.is_none() {
        cancel.store(true, Ordering::Relaxed);
    }
    save(&mut saved, &session);
    if let Some(e) = audit_failure {
        eprintln!("warning: the audit log could not be written: {e}");
    }
    match result {
        Some(Ok(_)) => {
            printer.finish(None);
            Ok(())
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

fn save(saved: &mut SavedSession, session: &Session) {
    saved.messages = session.messages().to_vec();
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
    let config = validated.config;
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
    let definitions: Vec<ToolDefinition> = specs(&visible)
        .into_iter()
        .map(|s| ToolDefinition {
            name: s.name.into(),
            description: s.description.into(),
            input_schema: s.input_schema,
        })
        .collect();
    let offered: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    let system = system_prompt(&config, &place.workspace, &offered);
    let pass_env = config.settings.shell.pass_env.clone();
    let sandbox = Sandbox::for_agent(&config);
    if offered.contains(&"shell")
        && let Some(warning) = sandbox.startup_warning()
    {
        eprintln!("warning: {warning}");
    }
    Ok(SessionSetup {
        policy: Policy::new(config, &place.workspace, place.home.as_deref()),
        client: Client::new(endpoint),
        model_id,
        tools: ToolContext {
            roots: Roots::new(&place.workspace, place.home.as_deref()),
            env_passthrough: pass_env,
            cancel: Arc::new(AtomicBool::new(false)),
            sandbox,
        },
        definitions,
        system,
        trust: Trust {
            all_tools: args.trust_all_tools,
            tools: args.trust_tools.clone(),
        },
        mode: Mode::Unattended,
        retry: RetryPolicy::default(),
        context_tokens: crate::engine::session::DEFAULT_CONTEXT_TOKENS,
        checkpoints: open_checkpoints(place),
    })
}

/// The workspace's checkpoint store, unless `chat.enableCheckpoint` is
/// false; a store that cannot be opened is a warning, not a failure.
fn open_checkpoints(place: &Place) -> Option<Arc<std::sync::Mutex<CheckpointStore>>> {
    if place.settings.get("chat.enableCheckpoint") == Some(&serde_json::Value::Bool(false)) {
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
