//! Chat's slash commands, the same for every surface (the line mode and
//! the terminal UI). Each line is parsed with clap, like the command line,
//! so `/checkpoint restore 2 --hard` means what `agent checkpoint restore 2
//! --hard` means, and acts on the chat's state; what it has to say comes
//! back as text for the surface to show. The commands about the session
//! itself (`/tools`, `/model`, `/context`, …) are in `commands`;
//! `/goal` and `/context add` run work, so the controller runs them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{CommandFactory, Parser, Subcommand};

use super::checkpoint::{self, CheckpointCommand};
use super::commands::{self as slash_session, AgentAction, ContextAction, ToolsAction};
use super::{Chat, ChatError};
use crate::checkpoint::CheckpointStore;
use crate::engine::prompt::{context_files, describe_context};
use crate::goal::spec::goal_words;
use crate::spec::{SpecCommand, spec_words};

/// `/mcp` subcommands.
#[derive(Debug, Subcommand)]
enum McpAction {
    /// Start the server NAME again now (a server that went away is also started again before
    /// its next call).
    Reconnect {
        /// The server.
        name: String,
    },
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
    /// Spec-driven work: `new NAME PROMPT` drafts requirements, `approve NAME` approves a stage
    /// and drafts the next (design, tasks with checks), `run NAME [TASK]` runs the open tasks
    /// as goals, `status [NAME]` shows the checklist.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Each tool's state (trusted, per-request, denied) and fences; `trust TOOL`,
    /// `untrust TOOL`, `trust-all`, `reset` change this session's trust.
    Tools {
        /// What to change.
        #[command(subcommand)]
        action: Option<ToolsAction>,
    },
    /// `autopilot` or `supervised` (after each turn its changes wait for you to accept or
    /// reject them); `/mode` alone says which is on. Shift+Tab switches in the terminal UI.
    Mode {
        /// The mode to switch to.
        #[arg(value_enum)]
        mode: Option<super::ChatMode>,
    },
    /// The models to pick from; `/model ID` switches from the next turn.
    Model {
        /// The model id to switch to.
        id: Option<String>,
    },
    /// `list`: the agents visible from here; `swap NAME`: go on with another agent.
    #[command(subcommand)]
    Agent(AgentAction),
    /// `show`: how much of the model's window the conversation uses and what is loaded;
    /// `add PATH…` / `remove PATH…`: files in the system prompt for this session.
    #[command(subcommand)]
    Context(ContextAction),
    /// Elide old tool outputs now, to free context.
    Compact,
    /// Start an empty conversation in a new session (the old one is kept).
    Clear,
    /// Tokens used by this chat.
    Usage,
    /// The hooks this session runs: trigger, matcher, command, limits.
    Hooks,
    /// The MCP servers: whether each is running, and its tools; `reconnect NAME` starts one again.
    Mcp {
        #[command(subcommand)]
        action: Option<McpAction>,
    },
    /// Language servers: `init` writes `.kiro/settings/lsp.json` from what is detected,
    /// `status` says which run, `logs` shows their last output.
    Code {
        /// `init`, `status` or `logs`.
        #[command(subcommand)]
        action: CodeAction,
    },
    /// List the commands.
    Help,
    /// Leave the chat (also `/exit`).
    #[command(alias = "exit")]
    Quit,
}

/// `/code …`.
#[derive(Debug, Subcommand)]
enum CodeAction {
    /// Detect the workspace's languages and the servers on PATH; write `.kiro/settings/lsp.json`.
    Init,
    /// Each configured server: running, stopped, not started.
    Status,
    /// The language servers' last output.
    Logs,
}

/// What a slash command asks of the surface.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Show this text.
    Show(String),
    /// Run a goal: the words after `/goal`, still to be parsed.
    Goal(String),
    /// Run a spec command that works with the model (`/spec new|approve|run`).
    Spec(SpecCommand),
    /// Read these files into the system prompt (`/context add`).
    ContextAdd(Vec<PathBuf>),
    /// Start this MCP server again (`/mcp reconnect NAME`).
    McpReconnect(String),
    /// End the chat.
    Quit,
}

/// Every slash command and subcommand with its one-line help, for
/// completion in the terminal UI.
pub fn commands() -> Vec<(String, String)> {
    let about = |c: &clap::Command| c.get_about().map(|s| s.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    for command in Line::command().get_subcommands() {
        let name = format!("/{}", command.get_name());
        out.push((name.clone(), about(command)));
        for sub in command.get_subcommands() {
            out.push((format!("{name} {}", sub.get_name()), about(sub)));
        }
    }
    out
}

/// Runs one slash command line (`/checkpoint list`); an error is text to
/// show, and the chat goes on.
pub fn run(chat: &mut Chat, line: &str) -> Result<Reply, ChatError> {
    if let Some(words) = goal_words(line) {
        return Ok(Reply::Goal(words.to_string()));
    }
    if let Some(words) = spec_words(line) {
        return SpecCommand::parse_line(words)
            .map_err(ChatError::usage)
            .and_then(|command| spec_reply(chat, command));
    }
    let words = line.trim_start_matches('/').split_whitespace();
    let parsed = Line::try_parse_from(words).map_err(|e| ChatError::usage(e.render()))?;
    match parsed.command {
        SlashCommand::Goal { words } => Ok(Reply::Goal(words.join(" "))),
        SlashCommand::Spec(command) => spec_reply(chat, command),
        SlashCommand::Checkpoint(command) => checkpoint_command(chat, &command).map(Reply::Show),
        SlashCommand::Rewind { turn, files } => rewind(chat, turn, files).map(Reply::Show),
        SlashCommand::Tools { action } => slash_session::tools(chat, action).map(Reply::Show),
        SlashCommand::Model { id } => slash_session::model(chat, id).map(Reply::Show),
        SlashCommand::Mode { mode } => Ok(Reply::Show(mode_command(chat, mode))),
        SlashCommand::Agent(AgentAction::List) => Ok(Reply::Show(slash_session::agents(chat))),
        SlashCommand::Agent(AgentAction::Swap { name }) => {
            slash_session::agent_swap(chat, &name).map(Reply::Show)
        }
        SlashCommand::Context(ContextAction::Add { paths }) => Ok(Reply::ContextAdd(paths)),
        SlashCommand::Context(ContextAction::Remove { paths }) => {
            Ok(Reply::Show(slash_session::context_remove(chat, &paths)))
        }
        SlashCommand::Context(ContextAction::Show) => {
            let files = context_files(
                chat.session.agent(),
                &chat.saved.workspace,
                crate::paths::home_dir().as_deref(),
            );
            Ok(Reply::Show(format!(
                "{}{}",
                slash_session::context(chat),
                describe_context(&files)
            )))
        }
        SlashCommand::Compact => Ok(Reply::Show(slash_session::compact(chat))),
        SlashCommand::Clear => slash_session::clear(chat).map(Reply::Show),
        SlashCommand::Usage => Ok(Reply::Show(slash_session::usage(chat))),
        SlashCommand::Hooks => Ok(Reply::Show(chat.session.hooks().describe())),
        SlashCommand::Mcp { action: None } => Ok(Reply::Show(chat.session.mcp().describe())),
        SlashCommand::Mcp {
            action: Some(McpAction::Reconnect { name }),
        } => Ok(Reply::McpReconnect(name)),
        SlashCommand::Code { action } => {
            let action = match action {
                CodeAction::Init => "init",
                CodeAction::Status => "status",
                CodeAction::Logs => "logs",
            };
            let path = std::env::var("PATH").unwrap_or_default();
            crate::code::command(action, &chat.saved.workspace, &path)
                .map(Reply::Show)
                .map_err(ChatError::usage)
        }
        SlashCommand::Help => Ok(Reply::Show(Line::command().render_long_help().to_string())),
        SlashCommand::Quit => Ok(Reply::Quit),
    }
}

/// `/mode [MODE]`: switches the chat's mode for the session, or says
/// which is on.
fn mode_command(chat: &mut Chat, mode: Option<super::ChatMode>) -> String {
    if let Some(mode) = mode {
        chat.set_mode(mode);
    }
    let what = match chat.mode() {
        super::ChatMode::Autopilot => "a turn's changes stay as made",
        super::ChatMode::Supervised => {
            "after each turn, its changes wait for you to accept or reject them"
        }
    };
    format!("mode: {} ({what})\n", chat.mode().name())
}

/// `/spec status` is answered here; the rest works with the model, so
/// the controller runs it.
fn spec_reply(chat: &Chat, command: SpecCommand) -> Result<Reply, ChatError> {
    match command {
        SpecCommand::Status { name } => crate::spec::status(&chat.saved.workspace, name.as_deref())
            .map(Reply::Show)
            .map_err(ChatError::usage),
        command => Ok(Reply::Spec(command)),
    }
}

/// `/checkpoint …`: the same as `agent checkpoint …`, and a restore also
/// cuts the conversation back; `init` turns checkpoints on when they were
/// waiting for it.
fn checkpoint_command(chat: &mut Chat, command: &CheckpointCommand) -> Result<String, ChatError> {
    let mut out = checkpoint::execute(command, &chat.cwd, &chat.data, &checkpoint_scope(chat))?;
    match command {
        CheckpointCommand::Init if chat.session.checkpoints().is_none() => {
            let workspace = chat.saved.workspace.clone();
            let mut store =
                CheckpointStore::open(&chat.data, &workspace).map_err(ChatError::runtime)?;
            store.max_file_bytes = checkpoint::max_file_bytes(&chat.settings);
            store
                .use_session(&chat.saved.id)
                .and_then(|()| store.announce())
                .map_err(ChatError::runtime)?;
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

/// The chat's own checkpoints: its session's line in the store.
fn checkpoint_scope(chat: &Chat) -> checkpoint::Scope {
    let session = chat
        .session
        .checkpoints()
        .and_then(|store| store.lock().ok().map(|s| s.session().to_string()))
        .unwrap_or_else(|| chat.saved.id.clone());
    checkpoint::Scope::new(&chat.settings, Some(session))
}

/// `/rewind [N] [--files]`: the conversation as it was at turn checkpoint
/// `N` goes on in a new saved session, and the old session stays as it was
/// (Kiro's semantics); `--files` also restores that checkpoint's files.
fn rewind(chat: &mut Chat, turn: Option<u64>, files: bool) -> Result<String, ChatError> {
    let marks: Vec<u64> = chat.session.marks().keys().copied().collect();
    let turn = match turn {
        Some(turn) if marks.contains(&turn) => turn,
        Some(turn) => {
            return Err(ChatError::usage(format!(
                "turn {turn} is not a checkpoint of this conversation (its turns: {marks:?})"
            )));
        }
        None => match marks.as_slice() {
            [.., before, _last] => *before,
            _ => return Err(ChatError::usage("there is no earlier turn to rewind to")),
        },
    };
    if let Some(warning) = chat.save() {
        return Err(ChatError::Runtime(warning));
    }
    let old = chat.saved.id.clone();
    let mut fork = chat
        .sessions
        .create(&chat.saved.agent, &chat.saved.model, &chat.saved.workspace)
        .map_err(|e| ChatError::runtime(format!("cannot save the new session: {e}")))?;
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
            force: false,
        };
        let scope = checkpoint_scope(chat);
        out.push_str(&checkpoint::execute(
            &restore, &chat.cwd, &chat.data, &scope,
        )?);
    }
    Ok(out)
}
