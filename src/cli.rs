//! The command line, as clap definitions only. Each subcommand's behaviour
//! lives in `crate::commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A guardrailed terminal coding agent that reads Kiro CLI agent files.
#[derive(Debug, Parser)]
#[command(name = "agent", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with agent files: list, validate, create, print the schema.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Show or change settings (`agent settings chat.defaultModel openai/gpt-4.1`).
    Settings(SettingsArgs),
    /// Report what `agent` can use on this machine.
    Doctor,
}

/// `agent agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// List the agents visible from here, nearest definition first.
    List,
    /// Check agent files; errors name the file, line and column. Exit code 2 on any error.
    Validate {
        /// Agent files to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of agent files.
    Schema,
    /// Write a starter agent with safe defaults to `.kiro/agents/NAME.json` in the workspace root.
    Create {
        /// The new agent's name (letters, digits, `-`, `_`, `.`).
        name: String,
    },
}

/// `agent settings [KEY [VALUE]]`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The setting; without it every setting is listed.
    pub key: Option<String>,
    /// The new value; without it the current value is printed.
    pub value: Option<String>,
    /// Remove the setting instead.
    #[arg(long, requires = "key", conflicts_with = "value")]
    pub delete: bool,
}
