//! `agent`: a guardrailed terminal coding agent that reads Kiro CLI agent
//! files.
//!
//! The crate is laid out along the path every tool call takes: [`config`]
//! turns agent files into validated rules, [`policy`] decides every tool
//! call against them, and the command-line surface in
//! [`cli`] and [`commands`] sits on top. State folders are in [`paths`],
//! user settings in [`settings`]. Shell commands run inside [`sandbox`].

pub mod atomic;
pub mod chat;
pub mod checkpoint;
pub mod cli;
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
pub mod provider;
pub mod sandbox;
pub mod settings;
pub mod tools;
pub mod ui;
