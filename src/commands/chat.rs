//! `agent chat --no-interactive`: one headless turn, printed as text or
//! JSON, with an exit code a CI script can act on.

use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::{Failure, Outcome};
use crate::cli::ChatArgs;
use crate::config::discover::workspace_root;
use crate::config::{DEFAULT_AGENT, load};
use crate::engine::prompt::system_prompt;
use crate::engine::{Session, SessionSetup};
use crate::paths::{StatePaths, home_dir};
use crate::policy::paths::Roots;
use crate::policy::tools::visible_builtins;
use crate::policy::{Mode, Policy, Trust};
use crate::provider::retry::RetryPolicy;
use crate::provider::{Client, Endpoint, ToolDefinition};
use crate::settings::Settings;
use crate::tools::ToolContext;
use crate::tools::registry::specs;
use crate::ui::headless::Printer;

/// Runs one headless turn.
pub fn run(args: &ChatArgs) -> Outcome {
    if !args.no_interactive {
        return Err(Failure::usage(
            "error: the interactive terminal UI is not built yet; run `agent chat --no-interactive \"PROMPT\"`",
        ));
    }
    let prompt = read_prompt(args.prompt.as_deref())?;
    let setup = setup(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("error: cannot start the async runtime: {e}")))?;
    let mut printer = Printer::new(args.output_format);
    let mut session = Session::new(setup);
    printer.event(&session.start_event());
    let result = runtime.block_on(session.run_turn(&prompt, &mut |event| printer.event(&event)));
    match result {
        Ok(_) => {
            printer.finish(None);
            Ok(())
        }
        Err(error) => {
            printer.finish(Some(&error.to_string()));
            Err(Failure::runtime(""))
        }
    }
}

/// The prompt from the argument or stdin; piped stdin alongside a prompt
/// argument is added as context.
fn read_prompt(argument: Option<&str>) -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let piped = || -> Result<String, Failure> {
        let mut text = String::new();
        stdin
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

/// Loads the agent, picks the model, and builds the session's parts.
fn setup(args: &ChatArgs) -> Result<SessionSetup, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let home = home_dir();
    let settings = StatePaths::from_env()
        .map_err(Failure::runtime)
        .and_then(|paths| Settings::load(&paths.settings_file()).map_err(Failure::usage))?;
    let agent_name = args
        .agent
        .clone()
        .or_else(|| settings.text("chat.defaultAgent").map(str::to_string))
        .unwrap_or_else(|| DEFAULT_AGENT.to_string());
    let (validated, discovery) = load(&agent_name, &cwd, home.as_deref())?;
    for warning in discovery.warnings() {
        eprintln!("{warning}");
    }
    let config = validated.config;
    let model_id = args
        .model
        .clone()
        .or_else(|| config.model.clone())
        .or_else(|| settings.text("chat.defaultModel").map(str::to_string))
        .ok_or_else(|| Failure::usage("error: no model: pass --model, set `model` in the agent file, or `agent settings chat.defaultModel ID`"))?;
    let endpoint = Endpoint::resolve(&model_id, &|name| std::env::var(name).ok())
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    let workspace = workspace_root(&cwd);
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
    let system = system_prompt(&config, &workspace, &offered);
    Ok(SessionSetup {
        policy: Policy::new(config, &workspace, home.as_deref()),
        client: Client::new(endpoint),
        model_id,
        tools: ToolContext {
            roots: Roots::new(&workspace, home.as_deref()),
            env_passthrough: Vec::new(),
            cancel: Arc::new(AtomicBool::new(false)),
        },
        definitions,
        system,
        trust: Trust {
            all_tools: args.trust_all_tools,
            tools: args.trust_tools.clone(),
        },
        mode: Mode::Unattended,
        retry: RetryPolicy::default(),
    })
}
