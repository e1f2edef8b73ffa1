//! `agent worktree list|clean`: the sub-agent worktrees of this workspace
//! that a killed process left behind, and their removal.

use super::{Failure, Outcome};
use crate::cli::WorktreeCommand;
use crate::config::discover::workspace_root;
use crate::engine::subagents::worktree;
use crate::paths::StatePaths;

/// Runs `command`.
pub fn run(command: &WorktreeCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let workspace = workspace_root(&cwd);
    let state = StatePaths::from_env().map_err(|e| Failure::runtime(format!("error: {e}")))?;
    let trees = worktree::leftovers(&workspace, &state.worktrees());
    match command {
        WorktreeCommand::List => {
            for tree in &trees {
                println!("{}", tree.display());
            }
        }
        WorktreeCommand::Clean => {
            let count = trees.len();
            worktree::clean(&workspace, trees);
            println!("removed {count} worktree(s)");
        }
    }
    Ok(())
}
