//! Which tool calls a `preToolUse`/`postToolUse` hook's `matcher` selects.
//!
//! The grammar is `allowedTools`' (so validation and the policy read it one
//! way): a built-in name in either spelling (`shell`, `execute_bash`), a
//! `*`/`?` glob, `@server`, `@server/tool`, `@builtin`, `@builtin/NAME`;
//! plus a bare `*` or no matcher at all, which select every tool.

use crate::config::patterns::pattern_matches;
use crate::policy::tools::tool_id;

/// True when a hook with `matcher` runs for a call of `tool`.
pub fn selects(matcher: Option<&str>, tool: &str) -> bool {
    match matcher {
        None | Some("*") => true,
        Some(pattern) => tool_id(tool).is_some_and(|id| pattern_matches(pattern, id)),
    }
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn matchers() {
        assert!(selects(None, "write"));
        assert!(selects(Some("*"), "@git/status"));
        assert!(selects(Some("shell"), "shell"));
        assert!(selects(Some("execute_bash"), "shell"));
        assert!(!selects(Some("shell"), "write"));
        assert!(selects(Some("fs_*"), "write"));
        assert!(selects(Some("@builtin"), "read"));
        assert!(!selects(Some("@builtin"), "@git/status"));
        assert!(selects(Some("@git"), "@git/status"));
        assert!(selects(Some("@git/sta*"), "@git/status"));
        assert!(!selects(Some("@git/log"), "@git/status"));
        assert!(!selects(Some("@git"), "shell"));
    }
}
