//! Warnings about rules that cannot do what they seem to: rules that can
//! never match, and fences that are moot. `agent agent validate` prints
//! them; they never stop an agent from loading.

use std::path::Path;

use crate::config::patterns::{ToolId, pattern_matches};
use crate::config::{AgentConfig, Origin};

use super::Trust;
use super::paths::{Roots, protected_reason};
use super::tools::{exists, pre_approval};

/// One warning, at the rule it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where the rule is (the agent itself for whole-file warnings).
    pub origin: Option<Origin>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Every warning for `config` in the workspace `workspace`.
pub fn lint(config: &AgentConfig, workspace: &Path) -> Vec<Warning> {
    let mut warnings = Vec::new();
    allowed_but_invisible(config, &mut warnings);
    moot_fences(config, &mut warnings);
    commands_that_never_match(config, &mut warnings);
    paths_that_never_match(config, workspace, &mut warnings);
    warnings
}

fn warn(warnings: &mut Vec<Warning>, origin: Option<&Origin>, message: String) {
    warnings.push(Warning {
        origin: origin.cloned(),
        message,
    });
}

/// An `allowedTools` entry for a tool the model cannot see does nothing.
fn allowed_but_invisible(config: &AgentConfig, warnings: &mut Vec<Warning>) {
    for rule in &config.allowed_tools {
        let builtins = crate::config::tools::BUILTIN_TOOLS
            .iter()
            .map(|t| ToolId::Builtin(t.name));
        let covers_builtin = builtins.clone().any(|t| pattern_matches(&rule.value, t));
        let covers_visible = builtins
            .filter(|t| pattern_matches(&rule.value, *t))
            .any(|t| exists(config, t));
        if covers_builtin && !covers_visible {
            warn(
                warnings,
                Some(&rule.origin),
                format!(
                    "`{}` is allowed but not in `tools`, so the model never sees it",
                    rule.value
                ),
            );
        }
    }
}

/// A pre-approved tool with no allow-list and no deny-list runs anything.
fn moot_fences(config: &AgentConfig, warnings: &mut Vec<Warning>) {
    let approved = |name| pre_approval(config, &Trust::default(), ToolId::Builtin(name));
    let shell = &config.settings.shell;
    if exists(config, ToolId::Builtin("shell"))
        && let Some(reason) = approved("shell")
        && shell.allowed.is_none()
        && shell.denied.is_empty()
    {
        warn(
            warnings,
            reason.rule.as_ref(),
            "`shell` is in `allowedTools` with neither `allowedCommands` nor `deniedCommands`: it runs any command unasked".into(),
        );
    }
    let write = &config.settings.write;
    if exists(config, ToolId::Builtin("write"))
        && let Some(reason) = approved("write")
        && write.allowed.is_none()
    {
        warn(
            warnings,
            reason.rule.as_ref(),
            "`write` is in `allowedTools` without `write.allowedPaths`: it writes anywhere (but protected paths) unasked".into(),
        );
    }
}

/// `allowedCommands` are matched against one simple command at a time, so
/// an entry with `&&`, `||`, `;` or `|` between commands never matches.
fn commands_that_never_match(config: &AgentConfig, warnings: &mut Vec<Warning>) {
    for rule in config.settings.shell.allowed.iter().flatten() {
        let source = &rule.value.source;
        if [" && ", " || ", "; ", " | "]
            .iter()
            .any(|op| source.contains(op))
        {
            warn(
                warnings,
                Some(&rule.origin),
                format!(
                    "`{source}` can never match: each simple command is judged on its own; list its commands separately"
                ),
            );
        } else if source.starts_with(' ') || source.ends_with(' ') {
            warn(
                warnings,
                Some(&rule.origin),
                format!(
                    "`{source}` can never match: commands are matched with single spaces and no leading or trailing space"
                ),
            );
        }
    }
}

/// Relative rules never reach outside the workspace, and protected paths
/// are never written unasked, whatever `allowedPaths` says.
fn paths_that_never_match(config: &AgentConfig, workspace: &Path, warnings: &mut Vec<Warning>) {
    let roots = Roots::new(workspace, None);
    let settings = &config.settings;
    let tools = [
        ("read", &settings.read),
        ("write", &settings.write),
        ("glob", &settings.glob),
        ("grep", &settings.grep),
    ];
    for (tool, rules) in tools {
        for rule in rules.allowed.iter().flatten() {
            let pattern = &rule.value;
            if pattern.starts_with("../") || pattern == ".." {
                warn(
                    warnings,
                    Some(&rule.origin),
                    format!(
                        "`{pattern}` can never match: a relative rule never covers paths outside the workspace; write it absolute or with `~/`"
                    ),
                );
            }
            let literal_prefix: String = pattern
                .chars()
                .take_while(|c| !"*?[{".contains(*c))
                .collect();
            if tool == "write"
                && let Some(what) = protected_reason(&roots.resolve(&literal_prefix), &roots)
            {
                warn(
                    warnings,
                    Some(&rule.origin),
                    format!("`{pattern}` covers {what}, which is never written unasked"),
                );
            }
        }
    }
}
