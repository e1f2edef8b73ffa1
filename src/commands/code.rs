//! `agent code init|status`: the language servers of the `code` tool, as
//! `/code init` and `/code status` in chat.

use super::{Failure, Outcome};
use crate::cli::CodeCommand;
use crate::config::discover::workspace_root;

/// Runs one `agent code` command in the workspace of the current folder.
pub fn run(command: &CodeCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let workspace = workspace_root(&cwd);
    let action = match command {
        CodeCommand::Init => "init",
        CodeCommand::Status => "status",
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let text = crate::code::command(action, &workspace, &path).map_err(Failure::runtime)?;
    println!("{text}");
    Ok(())
}
