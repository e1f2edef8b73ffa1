//! Which tool calls a `preToolUse`/`postToolUse` hook's `matcher` selects.
//!
//! The grammar is `allowedTools`' (so validation and the policy read it one
//! way): a built-in name in either spelling (`shell`, `execute_bash`), a
//! `*`/`?` glob, `@server`, `@server/tool`, `@builtin`, `@builtin/NAME`;
//! plus a bare `*` or no matcher at all, which select every tool.

/// True when a hook with `matcher` runs for a call of `tool` (the policy
/// owns the rule, since a hook that cannot run makes its calls ask).
pub fn selects(matcher: Option<&str>, tool: &str) -> bool {
    crate::policy::tools::hook_selects(matcher, tool)
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
        assert!(selects(Some("executeBash"), "shell"));
        assert!(selects(Some("fsWrite"), "write"));
        assert!(!selects(Some("Bash"), "shell"));
        assert!(!selects(Some("Write|Edit"), "write"));
    }
}
