//! The built-in tool names, old and new.
//!
//! Kiro CLI renamed its tools (`fs_write` became `write`, …); agent files in
//! the wild use both spellings, so every lookup goes through [`canonical`].

/// A built-in tool: its current name and the older names that mean it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinTool {
    /// The current name, used everywhere inside `agent`.
    pub name: &'static str,
    /// Older names accepted as aliases.
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
    /// `allowedServices`, `deniedServices`, … (`aws`).
    Aws,
    /// No settings: only `{}`.
    None,
}

/// Every built-in tool name Kiro CLI knows, so that its agent files load.
pub const BUILTIN_TOOLS: &[BuiltinTool] = &[
    tool("read", &["fs_read"], SettingsKind::Paths),
    tool("write", &["fs_write"], SettingsKind::Paths),
    tool(
        "shell",
        &["execute_bash", "execute_cmd"],
        SettingsKind::Shell,
    ),
    tool("glob", &[], SettingsKind::Search),
    tool("grep", &[], SettingsKind::Search),
    tool("aws", &["use_aws"], SettingsKind::Aws),
    tool("web_fetch", &[], SettingsKind::None),
    tool("todo", &["todo_list"], SettingsKind::None),
    tool("thinking", &[], SettingsKind::None),
    tool("introspect", &[], SettingsKind::None),
];

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

/// The built-in tool with this name or old alias.
pub fn find(name: &str) -> Option<&'static BuiltinTool> {
    BUILTIN_TOOLS
        .iter()
        .find(|t| t.name == name || t.aliases.contains(&name))
}

/// The current name of a built-in tool given either spelling, or `None` when
/// `name` is not a built-in tool.
pub fn canonical(name: &str) -> Option<&'static str> {
    find(name).map(|t| t.name)
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
    fn old_names_are_aliases_of_new_ones() {
        assert_eq!(canonical("fs_write"), Some("write"));
        assert_eq!(canonical("execute_bash"), Some("shell"));
        assert_eq!(canonical("write"), Some("write"));
        assert_eq!(canonical("Write"), None);
        assert_eq!(canonical("rm"), None);
    }
}
