//! Which tools exist (`tools`) and which are pre-approved (`allowedTools`,
//! or trusted for this session).

use crate::config::patterns::{ToolId, pattern_matches, wildcard};
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
    /// Plan mode (an ACP client's `plan` mode): only the tools that read
    /// ([`super::READ_ONLY_TOOLS`]) run; every other call is refused, as a
    /// deny rule would refuse it.
    pub read_only: bool,
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

/// True when the agent's `tools` makes `tool` visible (MCP references may
/// be globs, `@server/*`, as Kiro writes them) and, for an MCP tool, its
/// server does not list it in `disabledTools`.
pub fn exists(config: &AgentConfig, tool: ToolId<'_>) -> bool {
    if let ToolId::Mcp { server, tool } = tool
        && config
            .mcp_servers
            .get(server)
            .is_some_and(|s| s.disabled_tools.iter().any(|t| t == tool))
    {
        return false;
    }
    config.tools.iter().any(|entry| {
        let entry = entry.value.as_str();
        match (entry, tool) {
            ("*", ToolId::Builtin(name)) | ("@builtin", ToolId::Builtin(name)) => {
                !tools::NAMED_ONLY.contains(&name)
            }
            ("*", _) => true,
            (_, ToolId::Builtin(name)) => tools::canonical(entry) == Some(name),
            (_, ToolId::Mcp { server, tool }) => {
                let reference = entry.strip_prefix('@').unwrap_or_default();
                match reference.split_once('/') {
                    Some((s, t)) => wildcard(s, server) && wildcard(t, tool),
                    None => reference != "builtin" && wildcard(reference, server),
                }
            }
        }
    })
}

/// True when a hook with `matcher` runs for a call of `tool`: no matcher
/// or `*` selects every tool; otherwise the `allowedTools` grammar, so a
/// glob covers a built-in tool's every alias (`fs_*`, `execute_*`).
pub fn hook_selects(matcher: Option<&str>, tool: &str) -> bool {
    match matcher {
        None | Some("*") => true,
        Some(pattern) => tool_id(tool).is_some_and(|id| pattern_matches(pattern, id)),
    }
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
        let text = r#"{"name": "a", "tools": ["fs_read", "shell", "@git", "@fs/read_*"]}"#;
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
        let mcp = |server, tool| ToolId::Mcp { server, tool };
        assert!(exists(&config, mcp("fs", "read_file")));
        assert!(!exists(&config, mcp("fs", "write_file")));
        let all = r#"{"name": "a", "tools": ["*"]}"#;
        let all = crate::config::validate_text(std::path::Path::new("a.json"), all)
            .unwrap()
            .config;
        assert_eq!(
            visible_builtins(&all).len(),
            tools::BUILTIN_TOOLS.len() - tools::NAMED_ONLY.len(),
            "`*` leaves out the tools only a name gives"
        );
        let none = crate::config::validate_text(std::path::Path::new("a.json"), r#"{"name": "a"}"#)
            .unwrap()
            .config;
        assert!(
            visible_builtins(&none).is_empty(),
            "no `tools` means no tools, as in Kiro"
        );
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
