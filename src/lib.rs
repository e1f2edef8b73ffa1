//! `agent`: a guardrailed terminal coding agent that reads Kiro CLI agent
//! files.
//!
//! The crate is laid out along the path every tool call takes, each module
//! using only those before it: [`config`] turns agent files into validated
//! rules, [`policy`] decides every tool call against them, [`sandbox`] is
//! where commands run, [`code`] is the code
//! index the `code` tool reads, [`tools`] are the built-in tools (one file each, in
//! [`tools::registry`]), [`checkpoint`] snapshots the workspace, and the
//! [`engine`] runs a session, handing every call, whoever makes it, to its
//! one dispatcher ([`engine::dispatch`]). The [`goal`] loop drives the
//! engine, and [`spec`] runs a spec's tasks as goals; [`chat`] is the one controller that the surfaces in [`ui`]
//! drive, and [`acp`] serves to editors; [`cli`] and [`commands`] sit on top. State folders are in
//! [`paths`], user settings in [`settings`], exit codes in [`exit`].
//! `tests/architecture.rs` checks the direction.

pub mod acp;
pub mod atomic;
pub mod chat;
pub mod checkpoint;
pub mod cli;
pub mod code;
pub mod commands;
pub mod config;
pub mod engine;
pub mod exit;
pub mod goal;
pub mod hooks;
pub mod mcp;
pub mod out;
pub mod paths;
pub mod policy;
pub mod protected;
pub mod provider;
pub mod sandbox;
pub mod settings;
pub mod spec;
pub mod tools;
pub mod ui;
