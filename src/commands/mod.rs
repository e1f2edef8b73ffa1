//! What each subcommand does. Commands print results to stdout and
//! diagnostics to stderr, and report failure as a [`Failure`] whose exit
//! code says what kind it was.

pub mod acp;
pub mod agent;
pub mod chat;
pub mod checkpoint;
pub mod code;
pub mod doctor;
pub mod mcp;
pub mod policy;
pub mod settings;
pub mod spec;
pub mod worktree;

use std::fmt;

use crate::exit;

/// A command that did not succeed: the message (already formatted for the
/// user, possibly empty when diagnostics were printed) and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// What to print to stderr.
    pub message: String,
    /// The process exit code.
    pub code: u8,
}

impl Failure {
    /// A usage or configuration error (exit code 2).
    pub fn usage(message: impl fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: exit::USAGE,
        }
    }

    /// A run-time failure (exit code 1).
    pub fn runtime(message: impl fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: exit::RUNTIME,
        }
    }
}

/// Every agent-file problem, an unreadable file included, is bad input.
impl From<crate::config::ConfigError> for Failure {
    fn from(error: crate::config::ConfigError) -> Failure {
        Failure::usage(error)
    }
}

/// The result of a command.
pub type Outcome = Result<(), Failure>;
