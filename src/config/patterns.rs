//! The tool-name patterns of `tools` and `allowedTools`.
//!
//! `allowedTools` entries are exact names or `*`/`?` wildcards (case
//! sensitive), `@server`, `@server/tool_*`, `@builtin` and `@builtin/NAME`.
//! Built-in names match in both spellings (`fs_write` is `write`). The
//! grammar lives here so that validation and the policy read it one way.

use std::fmt;

use super::tools::{self, BUILTIN_TOOLS};

/// A tool the model may call: a built-in one, or one served by an MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolId<'a> {
    /// A built-in tool, by its current name.
    Builtin(&'a str),
    /// An MCP tool: server name and tool name.
    Mcp {
        /// The server.
        server: &'a str,
        /// The tool.
        tool: &'a str,
    },
}

/// Why a `tools`/`allowedTools` entry is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolPatternError {
    /// Empty text.
    Empty,
    /// A bare `*` in `allowedTools`, which Kiro rejects too.
    BareStar,
    /// A name or wildcard that no built-in tool has.
    UnknownTool,
    /// `@`, `@/x`, `@server/` and the like.
    MalformedMcp,
    /// Wildcards where only exact names are accepted (`tools`).
    WildcardNotAllowed,
}

impl fmt::Display for ToolPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ToolPatternError::Empty => "an empty tool name matches nothing",
            ToolPatternError::BareStar => "a bare `*` is not accepted in `allowedTools`",
            ToolPatternError::UnknownTool => {
                "no built-in tool has this name (MCP tools are written `@server/tool`)"
            }
            ToolPatternError::MalformedMcp => "an MCP reference is `@server` or `@server/tool`",
            ToolPatternError::WildcardNotAllowed => {
                "`tools` takes exact built-in names, `@server`, `@server/tool`, `@builtin` or `*`"
            }
        })
    }
}

/// Checks a `tools` entry; returns it with built-in names in their current
/// spelling. MCP references may use `*`/`?` (`@server/*`), as Kiro's own
/// `tools` lists do; built-in names may not.
pub fn check_tool_ref(entry: &str) -> Result<String, ToolPatternError> {
    if entry == "*" || entry == "@builtin" {
        return Ok(entry.to_string());
    }
    if let Some(mcp) = entry.strip_prefix('@') {
        split_mcp(mcp)?;
        return Ok(entry.to_string());
    }
    if has_wildcard(entry) {
        return Err(ToolPatternError::WildcardNotAllowed);
    }
    check_nonempty(entry)?;
    tools::canonical(entry)
        .map(str::to_string)
        .ok_or(ToolPatternError::UnknownTool)
}

/// Checks an `allowedTools` entry (also a hook `matcher`).
pub fn check_tool_pattern(entry: &str) -> Result<(), ToolPatternError> {
    check_nonempty(entry)?;
    if entry == "*" {
        return Err(ToolPatternError::BareStar);
    }
    if let Some(mcp) = entry.strip_prefix('@') {
        let (server, tool) = split_mcp(mcp)?;
        if server == "builtin" {
            let matches_builtin = tool.is_none_or(any_builtin_matches);
            return matches_builtin
                .then_some(())
                .ok_or(ToolPatternError::UnknownTool);
        }
        return Ok(());
    }
    any_builtin_matches(entry)
        .then_some(())
        .ok_or(ToolPatternError::UnknownTool)
}

/// Whether `pattern` (an `allowedTools` entry) covers `tool`.
pub fn pattern_matches(pattern: &str, tool: ToolId<'_>) -> bool {
    match (pattern.strip_prefix('@'), tool) {
        (Some("builtin"), ToolId::Builtin(_)) => true,
        (Some(mcp), ToolId::Builtin(name)) => mcp
            .strip_prefix("builtin/")
            .is_some_and(|glob| builtin_matches(glob, name)),
        (Some(mcp), ToolId::Mcp { server, tool }) => match mcp.split_once('/') {
            _ if mcp == "builtin" || mcp.starts_with("builtin/") => false,
            Some((server_glob, tool_glob)) => {
                wildcard(server_glob, server) && wildcard(tool_glob, tool)
            }
            None => wildcard(mcp, server),
        },
        (None, ToolId::Builtin(name)) => builtin_matches(pattern, name),
        (None, ToolId::Mcp { .. }) => false,
    }
}

/// A built-in tool matches by its current name or any alias.
fn builtin_matches(glob: &str, name: &str) -> bool {
    tools::spellings(name).any(|spelling| wildcard(glob, spelling))
}

fn any_builtin_matches(glob: &str) -> bool {
    BUILTIN_TOOLS.iter().any(|t| builtin_matches(glob, t.name))
}

fn split_mcp(reference: &str) -> Result<(&str, Option<&str>), ToolPatternError> {
    let (server, tool) = match reference.split_once('/') {
        Some((server, tool)) => (server, Some(tool)),
        None => (reference, None),
    };
    let bad = server.is_empty() || tool.is_some_and(|t| t.is_empty() || t.contains('/'));
    if bad {
        return Err(ToolPatternError::MalformedMcp);
    }
    Ok((server, tool))
}

fn check_nonempty(entry: &str) -> Result<(), ToolPatternError> {
    if entry.trim().is_empty() {
        Err(ToolPatternError::Empty)
    } else {
        Ok(())
    }
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// `*` matches any run of characters, `?` exactly one; nothing else is
/// special. Iterative with one backtrack point, so it is linear in practice.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mcp<'a>(server: &'a str, tool: &'a str) -> ToolId<'a> {
        ToolId::Mcp { server, tool }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("fs_*", "fs_read"));
        assert!(wildcard("fs_?ead", "fs_read"));
        assert!(wildcard("*quip*", "quip-server"));
        assert!(!wildcard("fs_?ead", "fs_rread"));
        assert!(!wildcard("Fs_*", "fs_read"));
        assert!(wildcard("a*b*c", "aXbYbc"));
        assert!(!wildcard("a*b", "a"));
    }

    #[test]
    fn kiro_vectors_fs_star_and_at_git() {
        let allowed = ["fs_*", "@git"];
        let allows = |tool| allowed.iter().any(|p| pattern_matches(p, tool));
        assert!(allows(ToolId::Builtin("read")));
        assert!(!allows(mcp("x", "fs_read")));
        assert!(allows(mcp("git", "status")));
        assert!(!allows(ToolId::Builtin("shell")));
    }

    #[test]
    fn kiro_vectors_server_globs() {
        let allowed = ["@*quip*", "@git/read_*"];
        let allows = |tool| allowed.iter().any(|p| pattern_matches(p, tool));
        assert!(allows(mcp("quip-server", "anything")));
        assert!(allows(mcp("git", "read_file")));
        assert!(!allows(mcp("git", "write_file")));
        assert!(!pattern_matches(
            "@mcp-server/*",
            mcp("other-server", "tool")
        ));
    }

    #[test]
    fn builtin_namespace() {
        assert!(pattern_matches("@builtin", ToolId::Builtin("shell")));
        assert!(!pattern_matches("@builtin", mcp("s", "t")));
        assert!(pattern_matches("@builtin/fs_read", ToolId::Builtin("read")));
        assert!(!pattern_matches(
            "@builtin/fs_read",
            ToolId::Builtin("write")
        ));
        assert!(pattern_matches("@builtin/fs_*", ToolId::Builtin("write")));
        assert!(!pattern_matches("@builtin/read", mcp("builtin", "read")));
    }

    #[test]
    fn old_and_new_names_are_one_tool() {
        assert!(pattern_matches("fs_write", ToolId::Builtin("write")));
        assert!(pattern_matches("write", ToolId::Builtin("write")));
        assert!(!pattern_matches("write", ToolId::Builtin("read")));
    }

    #[test]
    fn entries_are_checked() {
        assert_eq!(check_tool_pattern("*"), Err(ToolPatternError::BareStar));
        assert_eq!(
            check_tool_pattern("shel"),
            Err(ToolPatternError::UnknownTool)
        );
        assert_eq!(
            check_tool_pattern("x_*"),
            Err(ToolPatternError::UnknownTool)
        );
        assert_eq!(check_tool_pattern("@"), Err(ToolPatternError::MalformedMcp));
        assert_eq!(
            check_tool_pattern("@s/"),
            Err(ToolPatternError::MalformedMcp)
        );
        assert_eq!(
            check_tool_pattern("@builtin/nope"),
            Err(ToolPatternError::UnknownTool)
        );
        assert!(check_tool_pattern("@git/read_*").is_ok());
        assert_eq!(check_tool_ref("fs_read").as_deref(), Ok("read"));
        assert_eq!(
            check_tool_ref("fs_*"),
            Err(ToolPatternError::WildcardNotAllowed)
        );
    }
}
