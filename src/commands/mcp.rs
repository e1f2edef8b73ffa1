//! `agent mcp list|add|remove|trust`: the MCP servers an agent would
//! start, the shared `mcp.json` files (`.kiro/settings/mcp.json`,
//! `~/.kiro/settings/mcp.json`) that agents with `includeMcpJson` read,
//! and accepting a server's changed tool definitions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Failure, Outcome};
use crate::cli::{McpCommand, McpScope};
use crate::config::discover::workspace_root;
use crate::config::load;
use crate::config::mcp_json::{self, McpJson};
use crate::config::model::McpServer;
use crate::mcp::pins::PinStore;
use crate::paths::home_dir;

/// Runs one `agent mcp` command.
pub fn run(command: &McpCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let home = home_dir();
    let workspace = workspace_root(&cwd);
    let file = |scope: McpScope| -> Result<PathBuf, Failure> {
        match scope {
            McpScope::Workspace => Ok(mcp_json::workspace_file(&workspace)),
            McpScope::Global => mcp_json::user_file(home.as_deref())
                .ok_or_else(|| Failure::usage("error: there is no home folder for --scope global")),
        }
    };
    match command {
        McpCommand::List { agent } => {
            if let Some(agent) = agent {
                let (validated, _) = load(agent, &cwd, home.as_deref())?;
                let config = validated.config;
                print_servers(&format!("agent {}", config.name), &config.mcp_servers);
            }
            for scope in [McpScope::Workspace, McpScope::Global] {
                let Ok(path) = file(scope) else { continue };
                let servers = mcp_json::read(&path)?.mcp_servers;
                print_servers(&path.display().to_string(), &servers);
            }
            Ok(())
        }
        McpCommand::Add {
            name,
            command,
            args,
            url,
            env,
            timeout,
            scope,
            force,
        } => {
            if name.is_empty() || name.contains(['/', '@']) {
                return Err(Failure::usage(format!(
                    "error: MCP server name `{name}` may not be empty or contain `/` or `@`"
                )));
            }
            let path = file(*scope)?;
            let mut contents = mcp_json::read(&path)?;
            if contents.mcp_servers.contains_key(name) && !force {
                return Err(Failure::usage(format!(
                    "error: {} already has a server `{name}`; pass --force to replace it",
                    path.display()
                )));
            }
            let mut variables = BTreeMap::new();
            for pair in env {
                let Some((key, value)) = pair.split_once('=') else {
                    return Err(Failure::usage(format!(
                        "error: `--env {pair}` is not KEY=VALUE"
                    )));
                };
                variables.insert(key.to_string(), value.to_string());
            }
            let server = McpServer {
                command: command.clone(),
                args: args.clone(),
                env: variables,
                url: url.clone(),
                timeout: *timeout,
                ..McpServer::default()
            };
            contents.mcp_servers.insert(name.clone(), server);
            save(&path, &contents)?;
            println!("added `{name}` to {}", path.display());
            Ok(())
        }
        McpCommand::Trust { name } => {
            let paths = crate::paths::StatePaths::from_env().map_err(Failure::runtime)?;
            let pins = PinStore::for_workspace(&paths.data, &workspace);
            let forgotten = pins
                .forget(name)
                .map_err(|e| Failure::runtime(format!("error: cannot update the pins: {e}")))?;
            println!(
                "forgot {forgotten} pinned tool definition(s) of `{name}` in {}; the next use pins what it serves then",
                workspace.display()
            );
            Ok(())
        }
        McpCommand::Remove { name, scope } => {
            let path = file(*scope)?;
            let mut contents = mcp_json::read(&path)?;
            if contents.mcp_servers.remove(name).is_none() {
                return Err(Failure::usage(format!(
                    "error: {} has no server `{name}`",
                    path.display()
                )));
            }
            save(&path, &contents)?;
            println!("removed `{name}` from {}", path.display());
            Ok(())
        }
    }
}

fn save(path: &std::path::Path, contents: &McpJson) -> Outcome {
    mcp_json::write(path, contents)
        .map_err(|e| Failure::runtime(format!("error: cannot write {}: {e}", path.display())))
}

fn print_servers(source: &str, servers: &BTreeMap<String, McpServer>) {
    if servers.is_empty() {
        return;
    }
    println!("{source}:");
    for (name, server) in servers {
        let what = match (&server.command, &server.url) {
            (Some(command), _) => std::iter::once(command.as_str())
                .chain(server.args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            (None, Some(url)) => url.clone(),
            (None, None) => String::new(),
        };
        let disabled = match server.disabled {
            Some(true) => "  (disabled)",
            _ => "",
        };
        println!("  {name}  {what}{disabled}");
    }
}
