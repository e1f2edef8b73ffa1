//! The agents visible from a folder, as a table: `agent agent list` prints
//! it and chat's `/agent list` shows it.

use std::path::Path;

use crate::config::discover::{self, Scope};
use crate::config::{DEFAULT_AGENT, Validated, load_file};
use crate::paths::home_dir;

/// The agents visible from `cwd` as a table (name, scope, status, file,
/// description), and the warnings about shadowed definitions; shared by
/// `agent agent list` and chat's `/agent list`.
pub fn list_text(cwd: &Path) -> (Vec<String>, String) {
    let discovery = discover::discover(cwd, home_dir().as_deref());
    let warnings = discovery.warnings();
    let mut rows = Vec::new();
    for found in discovery.agents.values() {
        let scope = match found.scope {
            Scope::Workspace => "workspace",
            Scope::Global => "global",
            Scope::Legacy => "legacy",
        };
        let (status, description, skipped) = match load_file(&found.file) {
            Ok(v) => (
                "ok",
                v.config.description.clone().unwrap_or_default(),
                skipped(&v),
            ),
            Err(_) => (
                "INVALID",
                format!("run `agent agent validate {}`", found.file.display()),
                String::new(),
            ),
        };
        rows.push([
            found.name.clone(),
            scope.into(),
            status.into(),
            found.file.display().to_string(),
            skipped,
            description,
        ]);
    }
    if !discovery.agents.contains_key(DEFAULT_AGENT) {
        let default = discover::default_agent();
        rows.push([
            DEFAULT_AGENT.into(),
            "built-in".into(),
            "ok".into(),
            "-".into(),
            String::new(),
            default.description.unwrap_or_default(),
        ]);
    }
    let header = ["NAME", "SCOPE", "STATUS", "FILE", "SKIPPED", "DESCRIPTION"];
    (warnings, table(header, &rows))
}

/// What of a loaded agent was skipped: Kiro tools not implemented here, by
/// name, and how many other warnings (`agent agent validate` shows them).
fn skipped(validated: &Validated) -> String {
    let mut parts = Vec::new();
    if !validated.config.not_implemented.is_empty() {
        parts.push(format!(
            "tools not implemented here: {}",
            validated.config.not_implemented.join(", ")
        ));
    }
    let others = validated
        .warnings
        .iter()
        .filter(|w| !w.message.contains("does not implement"))
        .count();
    if others > 0 {
        parts.push(format!("{others} warning(s)"));
    }
    parts.join("; ")
}

/// `rows` under `header`, each column as wide as its widest cell.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
