//! Chat's slash commands, shared by every interactive surface (the line
//! mode now, the terminal UI later). Each line is parsed with clap, like the
//! command line, so `/checkpoint restore 2 --hard` means what
//! `agent checkpoint restore 2 --hard` means, and acts on the chat's state;
//! what it has to say comes back as text for the surface to show.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{CommandFactory, Parser, Subcommand};

use super::checkpoint;
use crate::checkpoint::CheckpointStore;
use crate::cli::CheckpointCommand;
use crate::engine::Session;
use crate::engine::prompt::{context_files, describe_context};
use crate::engine::store::{SavedSession, SessionStore};
use crate::goal::spec::goal_words;

/// What an interactive chat is working on.
pub struct Chat {
    /// The conversation and its engine.
    pub session: Session,
    /// Where it is saved.
    pub saved: SavedSession,
    /// The workspace's saved sessions.
    pub sessions: SessionStore,
    /// The folder chat started in.
    pub cwd: PathBuf,
    /// The data folder (checkpoint stores).
    pub data: PathBuf,
}

impl Chat {
    /// Saves the conversation; a failure is returned as a warning to show.
    pub fn save(&mut self) -> Option<String> {
        self.saved.messages = self.session.messages().to_vec();
        self.saved.marks = self.session.marks().clone();
        self.saved
            .save()
            .err()
            .map(|e| format!("warning: the session could not be saved: {e}"))
    }
}

/// A parsed slash command line.
#[derive(Debug, Parser)]
#[command(
    name = "/",
    no_binary_name = true,
    disable_help_flag = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
struct Line {
    #[command(subcommand)]
    command: SlashCommand,
}

/// The slash commands.
#[derive(Debug, Subcommand)]
enum SlashCommand {
    /// The workspace's checkpoints: init, save, list, expand, diff, restore [--hard], clean.
    /// A restore also cuts the conversation back to the checkpoint.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// Fork the conversation at turn N (default: before the last turn) into a new session;
    /// the old one is kept.
    Rewind {
        /// The turn checkpoint to go back to.
        turn: Option<u64>,
        /// Also restore the files of that turn.
        #[arg(long)]
        files: bool,
    },
    /// Work toward OBJECTIVE until acceptance checks the program runs pass:
    /// `/goal [--max N] [--check CMD]... [--protect GLOB]... OBJECTIVE`; `/goal` alone shows
    /// the last goal's report. Ctrl-C cancels a running goal.
    Goal {
        /// The goal's options and objective.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
    /// The hooks this session runs: trigger, matcher, command, limits.
    Hooks,
    /// The MCP servers: whether each started, and its tools.
    Mcp,
    /// What is loaded into the system prompt (`/context show`): steering files, AGENTS.md,
    /// the agent's resources, and their sizes.
    #[command(subcommand)]
    Context(ContextCommand),
    /// List the commands.
    Help,
    /// Leave the chat (also `/exit`).
    #[command(alias = "exit")]
    Quit,
}

/// `/context …`.
#[derive(Debug, Subcommand)]
enum ContextCommand {
    /// List the files in the system prompt and their sizes.
    Show,
}

/// What a slash command asks of the surface.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Show this text.
    Show(String),
    /// Run a goal: the words after `/goal`, still to be parsed.
    Goal(String),
    /// End the chat.
    Quit,
}

/// Runs one slash command line (`/checkpoint list`); an error is text to
/// show, and the chat goes on.
pub fn run(chat: &mut Chat, line: &str) -> Result<Reply, String> {
    if let Some(words) = goal_words(line) {
        return Ok(Reply::Goal(words.to_string()));
    }
    let words = line.trim_start_matches('/').split_whitespace();
    let parsed = Line::try_parse_from(words).map_err(|e| e.render().to_string())?;
    match parsed.command {
        SlashCommand::Goal { words } => Ok(Reply::Goal(words.join(" "))),
        SlashCommand::Checkpoint(command) => checkpoint_command(chat, &command).map(Reply::Show),
        SlashCommand::Rewind { turn, files } => rewind(chat, turn, files).map(Reply::Show),
        SlashCommand::Hooks => Ok(Reply::Show(chat.session.hooks().describe())),
        SlashCommand::Mcp => Ok(Reply::Show(chat.session.mcp().describe())),
        SlashCommand::Context(ContextCommand::Show) => {
            let files = context_files(
                chat.session.agent(),
                &chat.saved.workspace,
                crate::paths::home_dir().as_deref(),
            );
            Ok(Reply::Show(describe_context(&files)))
        }
        SlashCommand::Help => Ok(Reply::Show(Line::command().render_long_help().to_string())),
        SlashCommand::Quit => Ok(Reply::Quit),
    }
}

/// `/checkpoint …`: the same as `agent checkpoint …`, and a restore also
/// cuts the conversation back; `init` turns checkpoints on when they were
/// waiting for it.
fn checkpoint_command(chat: &mut Chat, command: &CheckpointCommand) -> Result<String, String> {
    let mut out =
        checkpoint::execute(command, &chat.cwd, &chat.data).map_err(|failure| failure.message)?;
    match command {
        CheckpointCommand::Init if chat.session.checkpoints().is_none() => {
            let workspace = chat.saved.workspace.clone();
            let store = CheckpointStore::open(&chat.data, &workspace).map_err(|e| e.to_string())?;
            chat.session.enable_checkpoints(Arc::new(Mutex::new(store)));
            out.push_str("checkpoints are on for this session\n");
        }
        CheckpointCommand::Restore { tag, .. } => {
            let kept = chat.session.rewind_to(tag);
            out.push_str(&format!(
                "the conversation is back at checkpoint {tag} ({kept} messages)\n"
            ));
            if let Some(warning) = chat.save() {
                out.push_str(&warning);
            }
        }
        _ => {}
    }
    Ok(out)
}

/// `/rewind [N] [--files]`: the conversation as it was at turn checkpoint
/// `N` goes on in a new saved session, and the old session stays as it was
/// (Kiro's semantics); `--files` also restores that checkpoint's files.
fn rewind(chat: &mut Chat, turn: Option<u64>, files: bool) -> Result<String, String> {
    let marks: Vec<u64> = chat.session.marks().keys().copied().collect();
    let turn = match turn {
        Some(turn) if marks.contains(&turn) => turn,
        Some(turn) => {
            return Err(format!(
                "turn {turn} is not a checkpoint of this conversation (its turns: {marks:?})"
            ));
        }
        None => match marks.as_slice() {
            [.., before, _last] => *before,
            _ => return Err("there is no earlier turn to rewind to".into()),
        },
    };
    if let Some(warning) = chat.save() {
        return Err(warning);
    }
    let old = chat.saved.id.clone();
    let mut fork = chat
        .sessions
        .create(&chat.saved.agent, &chat.saved.model, &chat.saved.workspace)
        .map_err(|e| format!("cannot save the new session: {e}"))?;
    chat.session.rewind_to(&turn.to_string());
    std::mem::swap(&mut chat.saved, &mut fork);
    let mut out = format!(
        "rewound to turn {turn} in the new session {}; session {old} is kept as it was\n",
        chat.saved.id
    );
    if let Some(warning) = chat.save() {
        out.push_str(&warning);
    }
    if files {
        let restore = CheckpointCommand::Restore {
            tag: turn.to_string(),
            hard: false,
        };
        out.push_str(
            &checkpoint::execute(&restore, &chat.cwd, &chat.data)
                .map_err(|failure| failure.message)?,
        );
    }
    Ok(out)
}
