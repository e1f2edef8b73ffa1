//! Agent files: Kiro-compatible types (V2 JSON, V3 Markdown and
//! `permissions`), validation with positions (errors where Kiro's strict
//! loader has them, warnings where Kiro skips), discovery, skills, and the
//! JSON Schema.
//!
//! Nothing else in `agent` parses agent files: everything downstream gets an
//! [`AgentConfig`], whose rules remember the file, line and column they came
//! from.

pub mod agent;
pub mod convert;
pub mod discover;
pub mod error;
pub mod frontmatter;
pub mod guardrails;
pub mod hint;
pub mod json;
pub mod mcp_json;
pub mod model;
pub mod patterns;
pub mod permissions;
pub mod schema;
pub mod skills;
pub mod starter;
pub mod tools;
pub mod validate;

pub use agent::{AgentConfig, AgentSource, Origin, Rule};
pub use discover::{DEFAULT_AGENT, Discovery, discover, load, load_file};
pub use error::{ConfigError, Diagnostic, Severity};
pub use validate::{Validated, validate_text};
