//! `agent checkpoint init|list|expand|diff|restore|clean` on the current
//! workspace's store.

use super::{Failure, Outcome};
use crate::checkpoint::{Checkpoint, CheckpointStore};
use crate::cli::CheckpointCommand;
use crate::config::discover::workspace_root;
use crate::paths::StatePaths;

/// Runs one checkpoint command.
pub fn run(command: &CheckpointCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let workspace = workspace_root(&cwd);
    let data = StatePaths::from_env().map_err(Failure::runtime)?.data;
    if let CheckpointCommand::Clean = command {
        let removed = CheckpointStore::clean(&data, &workspace).map_err(Failure::runtime)?;
        println!(
            "{}",
            if removed {
                "checkpoint store removed"
            } else {
                "no checkpoint store for this workspace"
            }
        );
        return Ok(());
    }
    let mut store = CheckpointStore::open(&data, &workspace).map_err(Failure::runtime)?;
    match command {
        CheckpointCommand::Init => {
            let tag = store.next_turn().map_err(Failure::runtime)?.to_string();
            match store
                .snapshot(&tag, "baseline", !store.is_empty())
                .map_err(Failure::runtime)?
            {
                Some(checkpoint) => println!("{}", row(&checkpoint)),
                None => println!("nothing changed since the last checkpoint"),
            }
            warn_skipped(&store);
        }
        CheckpointCommand::List { limit } => {
            let turns: Vec<Checkpoint> = store
                .list()
                .map_err(Failure::runtime)?
                .into_iter()
                .filter(|c| !c.tag.contains('.'))
                .collect();
            let skip = limit.map_or(0, |n| turns.len().saturating_sub(n));
            if turns.is_empty() {
                println!("no checkpoints yet (`agent checkpoint init` takes one)");
            }
            for checkpoint in &turns[skip..] {
                println!("{}", row(checkpoint));
            }
        }
        CheckpointCommand::Expand { tag } => {
            let prefix = format!("{tag}.");
            let tools: Vec<Checkpoint> = store
                .list()
                .map_err(Failure::runtime)?
                .into_iter()
                .filter(|c| c.tag.starts_with(&prefix))
                .collect();
            if tools.is_empty() {
                println!("turn {tag} has no tool checkpoints");
            }
            for checkpoint in &tools {
                println!("{}", row(checkpoint));
            }
        }
        CheckpointCommand::Diff { from, to, stat } => {
            print!(
                "{}",
                store
                    .diff(from, to.as_deref(), *stat)
                    .map_err(Failure::usage)?
            );
        }
        CheckpointCommand::Restore { tag } => {
            let safety = store.restore(tag).map_err(Failure::usage)?;
            println!("restored the files of checkpoint {tag} (files created since are kept)");
            if let Some(safety) = safety {
                println!(
                    "the state before the restore is checkpoint {}; `agent checkpoint restore {}` undoes it",
                    safety.tag, safety.tag
                );
            }
        }
        CheckpointCommand::Clean => {}
    }
    Ok(())
}

fn warn_skipped(store: &CheckpointStore) {
    for path in &store.skipped {
        eprintln!(
            "warning: {} is larger than 10 MiB and was left out of the checkpoint",
            path.display()
        );
    }
}

/// `TAG  YYYY-MM-DD HH:MM:SS  +A ~M -D  description`.
pub fn row(checkpoint: &Checkpoint) -> String {
    format!(
        "{:<6} {}  +{} ~{} -{}  {}",
        checkpoint.tag,
        utc(checkpoint.time),
        checkpoint.added,
        checkpoint.modified,
        checkpoint.deleted,
        checkpoint.description
    )
}

/// Seconds since the epoch as a UTC date and time (Howard Hinnant's
/// civil-from-days algorithm).
fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_763_751_600), "2025-11-21 19:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
    }
}
