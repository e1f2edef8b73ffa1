//! `agent checkpoint init|save|list|expand|diff|restore|clean` on the current
//! workspace's store (the same commands as chat's `/checkpoint`).

use super::{Failure, Outcome};
use crate::chat::checkpoint::{Scope, execute};
use crate::cli::CheckpointArgs;
use crate::paths::StatePaths;
use crate::settings::Settings;

/// Runs one checkpoint command on the current workspace's store.
pub fn run(args: &CheckpointArgs) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let paths = StatePaths::from_env().map_err(Failure::runtime)?;
    let settings = Settings::load(&paths.settings_file()).map_err(Failure::usage)?;
    let scope = Scope::new(&settings, args.session.clone());
    crate::out::print(&execute(&args.command, &cwd, &paths.data, &scope)?);
    Ok(())
}
