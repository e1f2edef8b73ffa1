//! `agent checkpoint init|save|list|expand|diff|restore|clean` on the current
//! workspace's store (the same commands as chat's `/checkpoint`).

use super::{Failure, Outcome};
use crate::chat::checkpoint::{CheckpointCommand, execute};
use crate::paths::StatePaths;

/// Runs one checkpoint command on the current workspace's store.
pub fn run(command: &CheckpointCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let data = StatePaths::from_env().map_err(Failure::runtime)?.data;
    crate::out::print(&execute(command, &cwd, &data)?);
    Ok(())
}
