//! `/checkpoint …` in chat and `agent checkpoint …` on the command line:
//! one command type and one implementation, returning what it has to say
//! as text.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::ChatError;
use crate::checkpoint::{Checkpoint, CheckpointStore};
use crate::config::discover::workspace_root;

/// `println!` into a `String`.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// `agent checkpoint …`, on the current workspace's store.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Take a checkpoint of the workspace now (the baseline, in a new store).
    Init,
    /// List the turn checkpoints: tag, time, files added/changed/deleted in the whole turn, session, description.
    List {
        /// Show only the last N.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Every session's checkpoints, not only the session's in use.
        #[arg(long)]
        all: bool,
    },
    /// List the tool checkpoints inside turn TAG (sub-agents' `N.M.k` under the call that ran them).
    Expand {
        /// A turn checkpoint, such as `2`.
        tag: String,
    },
    /// A unified diff from checkpoint FROM to checkpoint TO (default: the files as they are now).
    Diff {
        /// The older checkpoint.
        from: String,
        /// The newer checkpoint.
        to: Option<String>,
        /// Only the files changed and their line counts.
        #[arg(long)]
        stat: bool,
    },
    /// Take a checkpoint now, of the whole workspace or of the files named (faster: no walk).
    Save {
        /// What the checkpoint marks.
        #[arg(long, short, default_value = "saved by hand")]
        message: String,
        /// Look only at these files (changed, created or deleted), as the write tool does.
        paths: Vec<std::path::PathBuf>,
    },
    /// Put back every file checkpoint TAG had (files created since are kept); undoable.
    Restore {
        /// The checkpoint.
        tag: String,
        /// Also delete files created since TAG by the agent's tools (never files made by anyone else).
        #[arg(long)]
        hard: bool,
        /// Also undo what another running session changed since TAG (refused without it).
        #[arg(long)]
        force: bool,
    },
    /// Delete this workspace's checkpoint store.
    Clean,
    /// The store's size on disk and each session's checkpoints.
    Du,
    /// Bring the store under `chat.checkpointMaxBytes` (folding old sessions' tool checkpoints, then dropping old sessions) and run git's gc on it.
    Gc,
}

/// Which session's checkpoints a command works on, and the store's limits.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The session (`shared` for the line outside chat sessions); `None`:
    /// the one whose newest checkpoint is the latest.
    pub session: Option<String>,
    /// `chat.checkpointMaxFileBytes`.
    pub max_file_bytes: u64,
    /// `chat.checkpointMaxBytes`.
    pub max_store_bytes: u64,
}

impl Scope {
    /// The scope `settings` give, for `session`.
    pub fn new(settings: &crate::settings::Settings, session: Option<String>) -> Scope {
        Scope {
            session,
            max_file_bytes: max_file_bytes(settings),
            max_store_bytes: max_store_bytes(settings),
        }
    }
}

/// `chat.checkpointMaxFileBytes`: files larger are recorded by size and
/// time only.
pub fn max_file_bytes(settings: &crate::settings::Settings) -> u64 {
    settings.count(
        "chat.checkpointMaxFileBytes",
        crate::checkpoint::MAX_FILE_BYTES,
    )
}

/// `chat.checkpointMaxBytes`: the store's size cap.
pub fn max_store_bytes(settings: &crate::settings::Settings) -> u64 {
    settings.count(
        "chat.checkpointMaxBytes",
        crate::checkpoint::MAX_STORE_BYTES,
    )
}

/// Opens the workspace's store on the session `scope` names.
fn open(data: &Path, workspace: &Path, scope: &Scope) -> Result<CheckpointStore, ChatError> {
    let mut store = CheckpointStore::open(data, workspace).map_err(ChatError::runtime)?;
    store.max_file_bytes = scope.max_file_bytes;
    match &scope.session {
        Some(session) => store.use_session(session).map_err(ChatError::usage)?,
        None => store.use_newest_session().map_err(ChatError::runtime)?,
    }
    Ok(store)
}

/// Runs one checkpoint command on the store of the workspace around `cwd`
/// and returns what it has to say (`agent checkpoint` prints it; chat's
/// `/checkpoint` shows it in the session).
pub fn execute(
    command: &CheckpointCommand,
    cwd: &Path,
    data: &Path,
    scope: &Scope,
) -> Result<String, ChatError> {
    let workspace = workspace_root(cwd);
    let mut out = String::new();
    if let CheckpointCommand::Clean = command {
        let removed = CheckpointStore::clean(data, &workspace).map_err(ChatError::runtime)?;
        out.push_str(match removed {
            true => "checkpoint store removed\n",
            false => "no checkpoint store for this workspace\n",
        });
        return Ok(out);
    }
    let mut store = open(data, &workspace, scope)?;
    match command {
        CheckpointCommand::Init => {
            let tag = store.next_turn().map_err(ChatError::runtime)?.to_string();
            match store
                .snapshot(&tag, "baseline", !store.is_empty())
                .map_err(ChatError::runtime)?
            {
                Some(checkpoint) => say!(out, "{}", row(&checkpoint)),
                None => say!(out, "nothing changed since the last checkpoint"),
            }
            warn_skipped(&store, &mut out);
        }
        CheckpointCommand::Save { message, paths } => {
            let tag = store.next_turn().map_err(ChatError::runtime)?.to_string();
            let taken = match paths.is_empty() {
                true => store.snapshot(&tag, message, true),
                false => {
                    let paths: Vec<PathBuf> = paths.iter().map(|p| cwd.join(p)).collect();
                    store.snapshot_paths(&tag, message, &paths)
                }
            };
            match taken.map_err(ChatError::runtime)? {
                Some(checkpoint) => say!(out, "{}", row(&checkpoint)),
                None => say!(out, "nothing changed since the last checkpoint"),
            }
            warn_skipped(&store, &mut out);
        }
        CheckpointCommand::List { limit, all } => list(&mut store, *limit, *all, &mut out)?,
        CheckpointCommand::Expand { tag } => {
            let prefix = format!("{tag}.");
            let tools: Vec<Checkpoint> = store
                .list()
                .map_err(ChatError::runtime)?
                .into_iter()
                .filter(|c| c.tag.starts_with(&prefix))
                .collect();
            if tools.is_empty() {
                say!(out, "turn {tag} has no tool checkpoints");
            }
            for checkpoint in &tools {
                say!(out, "{}", row(checkpoint));
            }
        }
        CheckpointCommand::Diff { from, to, stat } => {
            out.push_str(
                &store
                    .diff(from, to.as_deref(), *stat)
                    .map_err(ChatError::usage)?,
            );
        }
        CheckpointCommand::Restore { tag, hard, force } => {
            let restored = store
                .restore_forced(tag, *hard, *force)
                .map_err(ChatError::usage)?;
            match hard {
                true => say!(
                    out,
                    "restored the files of checkpoint {tag} and removed {} file(s) the agent created since",
                    restored.removed.len()
                ),
                false => say!(
                    out,
                    "restored the files of checkpoint {tag} (files created since are kept)"
                ),
            }
            for path in &restored.kept {
                say!(out, "kept {} (not created by the agent)", path.display());
            }
            for path in &restored.not_stored {
                say!(
                    out,
                    "cannot bring back {}: it was larger than the checkpoint limit and recorded by size and time only",
                    path.display()
                );
            }
            let safety = restored.safety;
            if let Some(safety) = safety {
                say!(
                    out,
                    "the state before the restore is checkpoint {}; `agent checkpoint restore {}` undoes it",
                    safety.tag,
                    safety.tag
                );
            }
        }
        CheckpointCommand::Du => du(&store, &mut out)?,
        CheckpointCommand::Gc => {
            let before = store.size();
            for line in store
                .enforce_cap(scope.max_store_bytes)
                .map_err(ChatError::runtime)?
            {
                say!(out, "{line}");
            }
            let after = store.gc().map_err(ChatError::runtime)?;
            say!(
                out,
                "checkpoint store: {before} bytes before, {after} bytes after"
            );
        }
        CheckpointCommand::Clean => {}
    }
    Ok(out)
}

/// The turn checkpoints of the session in use, or of every session.
fn list(
    store: &mut CheckpointStore,
    limit: Option<usize>,
    all: bool,
    out: &mut String,
) -> Result<(), ChatError> {
    let mut sessions = match all {
        true => store.sessions().map_err(ChatError::runtime)?,
        false => Vec::new(),
    };
    sessions.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    let mut ids: Vec<String> = sessions.into_iter().map(|s| s.id).collect();
    if ids.is_empty() {
        ids.push(store.session().to_string());
    }
    let mut turns: Vec<Checkpoint> = Vec::new();
    for id in ids {
        store.use_session(&id).map_err(ChatError::runtime)?;
        let listed = store.list().map_err(ChatError::runtime)?;
        turns.extend(listed.into_iter().filter(|c| !c.tag.contains('.')));
    }
    let skip = limit.map_or(0, |n| turns.len().saturating_sub(n));
    if turns.is_empty() {
        say!(
            out,
            "no checkpoints yet (`agent checkpoint init` takes one)"
        );
    }
    for checkpoint in &turns[skip..] {
        say!(out, "{}", row(checkpoint));
    }
    Ok(())
}

/// `du`: the store's size and each session's checkpoints.
fn du(store: &CheckpointStore, out: &mut String) -> Result<(), ChatError> {
    say!(out, "{} bytes", store.size());
    for usage in store.usage().map_err(ChatError::runtime)? {
        say!(
            out,
            "session {}  {}  {} turn and {} tool checkpoint(s){}",
            usage.session.label(),
            utc(usage.session.time),
            usage.turns,
            usage.tools,
            if usage.session.running {
                "  running"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn warn_skipped(store: &CheckpointStore, out: &mut String) {
    for path in &store.skipped {
        say!(
            out,
            "warning: {} is larger than {} bytes (`chat.checkpointMaxFileBytes`): recorded by size and time only; a restore cannot bring it back",
            path.display(),
            store.max_file_bytes
        );
    }
}

/// `TAG  YYYY-MM-DD HH:MM:SS  SESSION  +A ~M -D  description`.
pub fn row(checkpoint: &Checkpoint) -> String {
    format!(
        "{:<6} {}  {}  +{} ~{} -{}  {}",
        checkpoint.tag,
        utc(checkpoint.time),
        crate::checkpoint::sessions::label(&checkpoint.session),
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
