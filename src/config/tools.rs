//! The built-in tool names, old and new, and Kiro's tools `agent` does not
//! run.
//!
//! Kiro CLI renamed its tools (`fs_write` became `write`, …) and its two
//! loaders accept different spellings (`fs_read`, `fsRead`, `read`); agent
//! files in the wild use all of them, so every lookup goes through
//! [`canonical`]. Kiro's other tools (`web_search`, `code`, `subagent`, …)
//! are known by name too, so that a file naming them is told they are not
//! implemented here rather than that they do not exist.

/// A built-in tool: its current name and the older names that mean it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinTool {
    /// The current name, used everywhere inside `agent`.
    pub name: &'static str,
    /// Other spellings accepted as aliases, Kiro's model-facing name first.
    pub aliases: &'static [&'static str],
    /// The shape of its `toolsSettings` entry.
    pub settings: SettingsKind,
}

/// Which settings type a built-in tool's `toolsSettings` entry has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsKind {
    /// `allowedPaths`, `deniedPaths` (`read`, `write`).
    Paths,
    /// `allowedPaths`, `deniedPaths`, `allowReadOnly` (`glob`, `grep`).
    Search,
    /// `allowedCommands`, `deniedCommands`, … (`shell`).
    Shell,
    /// `trusted`, `blocked`: URL patterns (`web_fetch`).
    Urls,
    /// None: the tool has no settings of its own (its rules are
    /// `allowedTools` and, for what it reads, the `read` tool's).
    Nothing,
    /// `availableAgents`, `trustedAgents` (`subagent`).
    Subagent,
    /// `diagnosticsAfterWrite` (`code`).
    Code,
    /// `allowedServices`, `deniedServices`, `autoAllowReadonly` (`use_aws`).
    Aws,
}

/// The built-in tools `agent` runs.
pub const BUILTIN_TOOLS: &[BuiltinTool] = &[
    tool("read", &["fs_read", "fsRead"], SettingsKind::Paths),
    tool("write", &["fs_write", "fsWrite"], SettingsKind::Paths),
    tool(
        "shell",
        &["execute_bash", "executeBash", "execute_cmd", "executeCmd"],
        SettingsKind::Shell,
    ),
    tool("glob", &[], SettingsKind::Search),
    tool("grep", &[], SettingsKind::Search),
    tool("thinking", &[], SettingsKind::Nothing),
    tool("todo_list", &["todo", "task"], SettingsKind::Nothing),
    tool("introspect", &[], SettingsKind::Nothing),
    tool(
        "report_issue",
        &["report", "gh_issue"],
        SettingsKind::Nothing,
    ),
    tool(
        "session",
        &["session_management", "sessions"],
        SettingsKind::Nothing,
    ),
    tool("web_fetch", &[], SettingsKind::Urls),
    tool("web_search", &[], SettingsKind::Nothing),
    tool(
        "subagent",
        &["use_subagent", "agent_crew", "agentCrew", "crew"],
        SettingsKind::Subagent,
    ),
    tool("knowledge", &[], SettingsKind::Nothing),
    tool("code", &["code/read", "code/write"], SettingsKind::Code),
    tool("use_aws", &["aws", "useAws"], SettingsKind::Aws),
    tool("delegate", &[], SettingsKind::Nothing),
    tool("summary", &[], SettingsKind::Nothing),
    tool("tool_search", &[], SettingsKind::Nothing),
    tool("switch_to_execution", &[], SettingsKind::Nothing),
];

/// Built-in tools an agent has only when its `tools` names them: `*` and
/// `@builtin` leave them out (Kiro's planner hand-off).
pub const NAMED_ONLY: &[&str] = &["switch_to_execution"];

/// Kiro's tools that `agent` does not run, each with every spelling Kiro
/// accepts (the first is the name shown), and Kiro 3's category tags for
/// them (`web`, `context`). Naming one is not an error: the
/// tool is skipped, with a warning, as Kiro skips names it does not know.
pub const NOT_IMPLEMENTED: &[&[&str]] = &[&["web"], &["context"]];

const fn tool(
    name: &'static str,
    aliases: &'static [&'static str],
    settings: SettingsKind,
) -> BuiltinTool {
    BuiltinTool {
        name,
        aliases,
        settings,
    }
}

/// The built-in tool with this name or alias.
pub fn find(name: &str) -> Option<&'static BuiltinTool> {
    BUILTIN_TOOLS
        .iter()
        .find(|t| t.name == name || t.aliases.contains(&name))
}

/// The current name of a built-in tool given any spelling, or `None` when
/// `name` is not a tool `agent` runs.
pub fn canonical(name: &str) -> Option<&'static str> {
    find(name).map(|t| t.name)
}

/// The name shown for a Kiro tool `agent` does not run, given any of its
/// spellings.
pub fn not_implemented(name: &str) -> Option<&'static str> {
    NOT_IMPLEMENTED
        .iter()
        .find(|spellings| spellings.contains(&name))
        .map(|spellings| spellings[0])
}

/// Every spelling of `tool` (a current name): the name, then its aliases.
pub fn spellings(tool: &str) -> impl Iterator<Item = &'static str> + '_ {
    BUILTIN_TOOLS
        .iter()
        .filter(move |t| t.name == tool)
        .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
}

/// Every accepted spelling of every built-in tool, new names first.
pub fn all_spellings() -> impl Iterator<Item = &'static str> {
    BUILTIN_TOOLS
        .iter()
        .map(|t| t.name)
        .chain(BUILTIN_TOOLS.iter().flat_map(|t| t.aliases.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_kiro_accepts_is_one_tool() {
        for (alias, name) in [
            ("fs_write", "write"),
            ("fsRead", "read"),
            ("execute_bash", "shell"),
            ("executeBash", "shell"),
            ("execute_cmd", "shell"),
            ("write", "write"),
        ] {
            assert_eq!(canonical(alias), Some(name), "{alias}");
        }
        assert_eq!(canonical("Write"), None);
        assert_eq!(canonical("rm"), None);
    }

    #[test]
    fn kiro_tools_not_run_here_are_known_by_every_name() {
        assert_eq!(canonical("task"), Some("todo_list"));
        assert_eq!(canonical("gh_issue"), Some("report_issue"));
        assert_eq!(not_implemented("use_subagent"), None, "runs here now");
        assert_eq!(canonical("crew"), Some("subagent"));
        assert_eq!(canonical("aws"), Some("use_aws"));
        assert_eq!(canonical("delegate"), Some("delegate"));
        assert_eq!(
            canonical("switch_to_execution"),
            Some("switch_to_execution")
        );
        assert_eq!(not_implemented("web"), Some("web"));
        assert_eq!(not_implemented("bash"), None);
        assert_eq!(not_implemented("shell"), None);
    }
}
