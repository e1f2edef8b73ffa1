//! Runs one `shell` tool call the way a session does: judged (unattended)
//! by the policy of an agent file, then run by the real tool in the sandbox
//! mode given, in the current folder. `scripts/bench-sandbox.sh` times it
//! with the sandbox on and off to measure what the sandbox costs a command.
//!
//! `shell_once AGENT_FILE auto|required|off COMMAND` prints the tool's
//! output; exit code 1 when the tool reports an error, 2 when the call is
//! refused or the arguments are wrong. The sandbox helper is the `agent`
//! binary built beside this example (`target/PROFILE/agent`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::Sandbox;
use agent::tools::{self, ToolContext};
use serde_json::{Value, json};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("shell_once: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, agent_file, mode, command] = args.as_slice() else {
        return Err("usage: shell_once AGENT_FILE auto|required|off COMMAND".into());
    };
    let text = std::fs::read_to_string(agent_file).map_err(|e| format!("{agent_file}: {e}"))?;
    let mut agent: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    agent["toolsSettings"]["shell"]["sandbox"] = json!(mode);
    let config = validate_text(Path::new(agent_file), &agent.to_string())
        .map_err(|diagnostics| format!("{} problem(s) in {agent_file}", diagnostics.len()))?
        .config;
    let workspace = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = dirs::home_dir();
    let context = ToolContext {
        roots: Roots::new(&workspace, home.as_deref()),
        env_passthrough: config.settings.shell.pass_env.clone(),
        cancel: agent::tools::Cancel::default(),
        sandbox: Sandbox::for_agent(&config).with_helper(helper()?),
        session: Default::default(),
        hidden: Default::default(),
        code_index: None,
    };
    let policy = Policy::new(config, &workspace, home.as_deref());
    let call = ToolCall {
        tool: "shell".into(),
        input: json!({ "command": command }),
    };
    match policy.decide(&call, &Trust::default(), Mode::Unattended) {
        Decision::Allow { approval, .. } => {
            let output = tools::run(&call, &approval, &context);
            println!("{}", output.text);
            Ok(if output.is_error {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        other => Err(format!("refused: {}", other.to_json())),
    }
}

/// `target/PROFILE/agent`, beside `target/PROFILE/examples/shell_once`.
fn helper() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    me.parent()
        .and_then(Path::parent)
        .map(|profile| profile.join("agent"))
        .ok_or_else(|| format!("cannot find the agent binary beside {}", me.display()))
}
