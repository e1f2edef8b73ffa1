//! Kiro 3's permission rules: `{capability, match, exclude, effect}`.
//!
//! Kiro documents them loosely (effects resolve deny > ask > allow; `match`
//! defaults to everything; `exclude` exempts), so this is what `agent`
//! reads them as, written down once (the README says the same):
//!
//! - `shell` matches each simple command of a line (and the whole line)
//!   with `*`/`?` globs; `fs_read` (`read`) and `fs_write` (`write`) match
//!   paths with the path globs of `allowedPaths`; `mcp` matches
//!   `server/tool`; `builtin` matches a built-in tool's name; `all` matches
//!   every call.
//! - `deny` and `ask` rules are judged on every call, beside the V2 fields:
//!   deny wins over everything, ask over every allow.
//! - `allow` rules become V2 allowances (an `allowedCommands` or
//!   `allowedPaths` entry, or an `allowedTools` entry when the rule has no
//!   `match`), so a call no rule covers follows the V2 fields, fences
//!   included. What an allow rule's `exclude` names asks.
//! - A capability `agent` does not know is skipped when it allows, and
//!   makes every call ask when it denies or asks: it might have covered any.

use serde::Deserialize;
use serde_json::Value;

/// What kind of operation a rule governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// Shell commands.
    Shell,
    /// Reading files (`read`, `glob`, `grep`).
    FsRead,
    /// Writing files.
    FsWrite,
    /// MCP tools, matched as `server/tool`.
    Mcp,
    /// Built-in tools, matched by name.
    Builtin,
    /// Every call.
    All,
    /// A capability `agent` does not know, as written.
    Other(String),
}

impl Capability {
    /// Reads a capability name as Kiro writes it.
    pub fn parse(name: &str) -> Capability {
        match name {
            "shell" | "execute_bash" | "execute_cmd" => Capability::Shell,
            "fs_read" | "read" => Capability::FsRead,
            "fs_write" | "write" => Capability::FsWrite,
            "mcp" => Capability::Mcp,
            "builtin" => Capability::Builtin,
            "all" | "*" => Capability::All,
            other => Capability::Other(other.to_string()),
        }
    }

    /// The name written in files.
    pub fn name(&self) -> &str {
        match self {
            Capability::Shell => "shell",
            Capability::FsRead => "fs_read",
            Capability::FsWrite => "fs_write",
            Capability::Mcp => "mcp",
            Capability::Builtin => "builtin",
            Capability::All => "all",
            Capability::Other(name) => name,
        }
    }
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Runs unasked.
    Allow,
    /// Needs a person's approval.
    Ask,
    /// Refused.
    Deny,
}

/// One permission rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// What it governs.
    pub capability: Capability,
    /// Globs a resource must match; empty means every resource.
    pub matches: Vec<String>,
    /// Globs that exempt a resource from the rule.
    pub excludes: Vec<String>,
    /// What it does.
    pub effect: Effect,
}

/// A rule as written, before its capability is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub capability: String,
    #[serde(default, rename = "match")]
    pub matches: OneOrMany,
    #[serde(default)]
    pub exclude: OneOrMany,
    pub effect: Effect,
}

/// A glob list that may also be written as one string.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    /// No value.
    #[default]
    None,
    /// One glob.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(glob) => vec![glob],
            OneOrMany::Many(globs) => globs,
        }
    }
}

/// The rule list of a `permissions` value: a list, or `{"rules": [...]}`
/// (both are written); `None` when it is neither.
pub(super) fn rule_list(value: &Value) -> Option<(&Vec<Value>, bool)> {
    match value {
        Value::Array(rules) => Some((rules, false)),
        Value::Object(object) => object
            .get("rules")
            .and_then(Value::as_array)
            .map(|rules| (rules, true)),
        _ => None,
    }
}

/// A `shell` rule's glob as an anchored regular expression for
/// `allowedCommands`/`deniedCommands`: `*` is any run of characters, `?`
/// one, everything else literal.
pub fn glob_to_regex(glob: &str) -> String {
    let mut regex = String::new();
    for c in glob.chars() {
        match c {
            '*' => regex.push_str(".*"),
            '?' => regex.push('.'),
            c => regex.push_str(&regex::escape(&c.to_string())),
        }
    }
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_globs_become_literal_regexes() {
        assert_eq!(glob_to_regex("npm *"), "npm .*");
        assert_eq!(glob_to_regex("a.b?"), r"a\.b.");
        let compiled =
            crate::config::agent::CommandPattern::new(&glob_to_regex("git log*")).unwrap();
        assert!(compiled.regex.unwrap().is_match("git log --oneline"));
    }

    #[test]
    fn capabilities_read_by_name() {
        assert_eq!(Capability::parse("read"), Capability::FsRead);
        assert_eq!(
            Capability::parse("filesystem"),
            Capability::Other("filesystem".into())
        );
    }
}
