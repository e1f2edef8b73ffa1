//! Which tools exist (`tools`) and which are pre-approved (`allowedTools`,
//! or trusted for this session).

use crate::config::patterns::{ToolId, pattern_matches};
use crate::config::{AgentConfig, tools};

use super::decision::{Reason, Verdict};

/// Trust granted for one session, on top of the agent file. It can only
/// add: deny rules and fences still hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// `--trust-all-tools`.
    pub all_tools: bool,
    /// `--trust-tools a,b`: patterns in `allowedTools` syntax.
    pub tools: Vec<String>,
    /// Narrower grants made from approval prompts (this command, this
    /// path, …); they lift fences for what they name, never deny rules.
    pub grants: Vec<super::grant::Grant>,
}

/// Resolves a model-facing tool name: a built-in tool in either spelling,
/// or `@server/tool`. Anything else is not a tool.
pub fn tool_id(name: &str) -> Option<ToolId<'_>> {
    if let Some(builtin) = tools::canonical(name) {
        return Some(ToolId::Builtin(builtin));
    }
    let (server, tool) = name.strip_prefix('@')?.split_once('/')?;
    (!server.is_empty() && !tool.is_empty()).then_some(ToolId::Mcp { server, tool })
}

/// True when the agent's `tools` makes `tool` visible.
pub fn exists(config: &AgentConfig, tool: ToolId<'_>) -> bool {
    config.tools.iter().any(|entry| {
        let entry = entry.value.as_str();
        match (entry, tool) {
            ("*", _) | ("@builtin", ToolId::Builtin(_)) => true,
            (_, ToolId::Builtin(name)) => tools::canonical(entry) == Some(name),
            (_, ToolId::Mcp { server, tool }) => {
                let reference = entry.strip_prefix('@').unwrap_or_default();
                match reference.split_once('/') {
                    Some((s, t)) => s == server && t == tool,
                    None => reference == server,
                }
            }
        }
    })
}

/// The built-in tools the model is shown: those `tools` makes visible.
/// The model never sees the rest, so it cannot waste turns on them.
pub fn visible_builtins(config: &AgentConfig) -> Vec<&'static str> {
    tools::BUILTIN_TOOLS
        .iter()
        .map(|t| t.name)
        .filter(|name| exists(config, ToolId::Builtin(name)))
        .collect()
}

/// Why `tool` runs without a prompt (inside its fences), if it does:
/// `allowedTools` or the session's trust.
pub fn pre_approval(config: &AgentConfig, trust: &Trust, tool: ToolId<'_>) -> Option<Reason> {
    if let Some(rule) = config
        .allowed_tools
        .iter()
        .find(|rule| pattern_matches(&rule.value, tool))
    {
        return Some(
            Reason::new(Verdict::Allow, "the tool is in `allowedTools`")
                .citing(&rule.value, &rule.origin),
        );
    }
    if trust.all_tools {
        return Some(Reason::new(
            Verdict::Allow,
            "all tools are trusted for this session (--trust-all-tools)",
        ));
    }
    trust
        .tools
        .iter()
        .find(|pattern| pattern_matches(pattern, tool))
        .map(|pattern| {
            Reason::new(
                Verdict::Allow,
                format!("trusted for this session (--trust-tools {pattern})"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_tools_are_visible() {
        let text = r#"{"tools": ["fs_read", "shell", "@git"]}"#;
        let config = crate::config::validate_text(std::path::Path::new("a.json"), text)
            .unwrap()
            .config;
        assert_eq!(visible_builtins(&config), vec!["read", "shell"]);
        assert!(exists(
            &config,
            ToolId::Mcp {
                server: "git",
                tool: "status"
            }
        ));
        assert!(!exists(
            &config,
            ToolId::Mcp {
                server: "gitx",
                tool: "status"
            }
        ));
        let all = crate::config::validate_text(std::path::Path::new("a.json"), "{}")
            .unwrap()
            .config;
        assert_eq!(visible_builtins(&all).len(), tools::BUILTIN_TOOLS.len());
    }

    #[test]
    fn tool_names_resolve() {
        assert_eq!(tool_id("fs_write"), Some(ToolId::Builtin("write")));
        assert_eq!(
            tool_id("@git/status"),
            Some(ToolId::Mcp {
                server: "git",
                tool: "status"
            })
        );
        assert_eq!(tool_id("@git"), None);
        assert_eq!(tool_id("rm"), None);
        assert_eq!(tool_id("@/x"), None);
    }
}
