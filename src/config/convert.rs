//! `agent agent convert`: Kiro 3 Markdown agents to Kiro 2 JSON agents and
//! back.
//!
//! JSON to Markdown loses nothing: the fields become front matter (YAML,
//! written as JSON values, which YAML reads unchanged) and an inline prompt
//! becomes the body. `tools` entries that Kiro 3 reads as category tags are
//! respelt so they keep their V2 meaning (`read` becomes `fs_read`).
//!
//! Markdown to JSON writes the front matter as JSON, the body as `prompt`,
//! category tags as the tools they stand for, and `permissions` as the V2
//! fields that mean the same: allow rules as `allowedCommands`,
//! `allowedPaths` or `allowedTools` entries, deny rules as
//! `deniedCommands`/`deniedPaths`. What V2 cannot say is left out on the
//! safe side and listed: an ask rule, an `exclude`, a deny of MCP or
//! built-in tools. An allow rule with an `exclude` is left out whole,
//! since without it the rule would grant more.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::error::ConfigError;
use super::permissions::{Capability, Effect, OneOrMany, RawRule, glob_to_regex, rule_list};
use super::validate::{name_from_file, validate_text};

/// A converted agent file and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The new file's text.
    pub text: String,
    /// Rules or fields the other format cannot express, for the user.
    pub notes: Vec<String>,
}

/// Converts the agent file `file` (whose text is `text`): Markdown to
/// JSON, JSON to Markdown. The source must be a valid agent file.
pub fn convert(file: &Path, text: &str) -> Result<Converted, ConfigError> {
    validate_text(file, text).map_err(ConfigError::Invalid)?;
    let syntax = |e: super::json::SyntaxError| ConfigError::Invalid(vec![e.diagnostic(file, text)]);
    match file.extension().is_some_and(|e| e == "md") {
        true => {
            let front = super::frontmatter::parse(text).map_err(syntax)?;
            Ok(to_json(file, front.value, front.body.trim()))
        }
        false => {
            let value = super::json::parse(text).map_err(syntax)?.value;
            Ok(to_markdown(value))
        }
    }
}

fn to_markdown(value: Value) -> Converted {
    let Value::Object(mut object) = value else {
        return Converted {
            text: String::new(),
            notes: Vec::new(),
        };
    };
    if let Some(Value::Array(tools)) = object.get_mut("tools") {
        for tool in tools.iter_mut() {
            let respelt = match tool.as_str() {
                Some("read") => "fs_read",
                Some("write") => "fs_write",
                _ => continue,
            };
            *tool = Value::String(respelt.into());
        }
    }
    let body = match object.get("prompt").and_then(Value::as_str) {
        Some(prompt) if !prompt.starts_with("file://") => {
            let body = prompt.to_string();
            object.remove("prompt");
            body
        }
        _ => String::new(),
    };
    let mut text = String::from("---\n");
    for (key, value) in &object {
        text.push_str(&format!("{}: {}\n", Value::String(key.clone()), value));
    }
    text.push_str("---\n");
    text.push_str(&body);
    if !body.ends_with('\n') {
        text.push('\n');
    }
    Converted {
        text,
        notes: Vec::new(),
    }
}

fn to_json(file: &Path, front: Value, body: &str) -> Converted {
    let mut object = match front {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object
        .entry("name")
        .or_insert_with(|| Value::String(name_from_file(file)));
    if !body.is_empty() {
        object
            .entry("prompt")
            .or_insert_with(|| Value::String(body.to_string()));
    }
    let servers: Vec<String> = object
        .get("mcpServers")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    let mut notes = Vec::new();
    expand_tags(&mut object, &servers, &mut notes);
    if let Some(permissions) = object.remove("permissions") {
        let rules = rule_list(&permissions)
            .map(|(rules, _)| rules.clone())
            .unwrap_or_default();
        for rule in rules {
            match serde_json::from_value::<RawRule>(rule) {
                Ok(raw) => write_rule(&mut object, raw, &servers, &mut notes),
                Err(e) => notes.push(format!(
                    "a permission rule could not be read ({e}); left out"
                )),
            }
        }
    }
    let text =
        serde_json::to_string_pretty(&Value::Object(ordered(object))).unwrap_or_default() + "\n";
    Converted { text, notes }
}

/// Kiro 3 category tags as the V2 tools they stand for.
fn expand_tags(object: &mut Map<String, Value>, servers: &[String], notes: &mut Vec<String>) {
    let Some(Value::Array(tools)) = object.get("tools") else {
        return;
    };
    let mut expanded: Vec<Value> = Vec::new();
    for tool in tools {
        let names: Vec<String> = match tool.as_str() {
            Some("read") => vec!["read".into(), "glob".into(), "grep".into()],
            Some("web") => vec!["web_fetch".into(), "web_search".into()],
            Some("@mcp") => servers.iter().map(|s| format!("@{s}")).collect(),
            Some("context") => {
                notes.push("the `context` tag has no V2 tool; left out".into());
                Vec::new()
            }
            Some(other) => vec![other.to_string()],
            None => continue,
        };
        for name in names {
            if !expanded.iter().any(|t| t.as_str() == Some(name.as_str())) {
                expanded.push(Value::String(name));
            }
        }
    }
    object.insert("tools".into(), Value::Array(expanded));
}

/// One permission rule as V2 fields, or a note saying why it is left out.
fn write_rule(
    object: &mut Map<String, Value>,
    raw: RawRule,
    servers: &[String],
    notes: &mut Vec<String>,
) {
    let capability = Capability::parse(&raw.capability);
    let matches = raw.matches.into_vec();
    let has_exclude = !matches!(raw.exclude, OneOrMany::None);
    let shown = format!(
        "{} {} ({:?})",
        capability.name(),
        matches.join(" "),
        raw.effect
    );
    match (raw.effect, has_exclude) {
        (Effect::Ask, _) => return notes.push(format!("ask rule `{shown}`: V2 has no ask rules; left out")),
        (Effect::Allow, true) => return notes.push(format!("allow rule `{shown}`: V2 cannot exclude from an allowance; left out")),
        (Effect::Deny, true) => notes.push(format!("deny rule `{shown}`: its `exclude` cannot be written in V2, so it now denies everything it matches")),
        _ => {}
    }
    let allow = raw.effect == Effect::Allow;
    match (&capability, matches.is_empty()) {
        (Capability::Shell, false) => {
            let key = if allow {
                "allowedCommands"
            } else {
                "deniedCommands"
            };
            let regexes = matches.iter().map(|m| glob_to_regex(m)).collect();
            push_setting(object, "shell", key, regexes);
        }
        (Capability::FsRead, false) => {
            for tool in ["read", "glob", "grep"] {
                push_setting(object, tool, path_key(allow), matches.clone());
            }
        }
        (Capability::FsWrite, false) => push_setting(object, "write", path_key(allow), matches),
        (Capability::Shell, true) if allow => push_allowed(object, &["shell"]),
        (Capability::FsRead, true) if allow => push_allowed(object, &["read", "glob", "grep"]),
        (Capability::FsWrite, true) if allow => push_allowed(object, &["write"]),
        (Capability::Mcp, _) if allow => {
            let entries: Vec<String> = match matches.is_empty() {
                true => servers.iter().map(|s| format!("@{s}")).collect(),
                false => matches.iter().map(|m| format!("@{m}")).collect(),
            };
            push_allowed(
                object,
                &entries.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        }
        (Capability::Builtin | Capability::All, true) if allow => {
            push_allowed(object, &["@builtin"])
        }
        (Capability::Builtin, false) if allow => {
            let entries: Vec<String> = matches.iter().map(|m| format!("@builtin/{m}")).collect();
            push_allowed(
                object,
                &entries.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        }
        (Capability::All | Capability::Shell | Capability::FsRead | Capability::FsWrite, true) => {
            notes.push(format!(
                "deny rule `{shown}`: written by leaving the tools out of `tools`"
            ));
            remove_tools(object, &capability_tools(&capability));
        }
        _ => notes.push(format!("rule `{shown}`: V2 cannot express it; left out")),
    }
}

fn path_key(allow: bool) -> &'static str {
    if allow { "allowedPaths" } else { "deniedPaths" }
}

/// The `tools` entries a whole-capability deny takes away (`*`: all).
fn capability_tools(capability: &Capability) -> Vec<&'static str> {
    match capability {
        Capability::Shell => vec!["shell", "execute_bash"],
        Capability::FsRead => vec!["read", "fs_read", "glob", "grep"],
        Capability::FsWrite => vec!["write", "fs_write"],
        _ => vec!["*"],
    }
}

fn remove_tools(object: &mut Map<String, Value>, names: &[&str]) {
    if names.contains(&"*") {
        object.insert("tools".into(), json!([]));
        return;
    }
    if let Some(Value::Array(tools)) = object.get_mut("tools") {
        tools.retain(|t| t.as_str().is_none_or(|t| !names.contains(&t)));
    }
}

fn push_setting(object: &mut Map<String, Value>, tool: &str, key: &str, values: Vec<String>) {
    let settings = object.entry("toolsSettings").or_insert_with(|| json!({}));
    let Some(settings) = settings.as_object_mut() else {
        return;
    };
    let entry = settings.entry(tool).or_insert_with(|| json!({}));
    let Some(entry) = entry.as_object_mut() else {
        return;
    };
    let list = entry.entry(key).or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        list.extend(values.into_iter().map(Value::String));
    }
}

fn push_allowed(object: &mut Map<String, Value>, names: &[&str]) {
    let list = object.entry("allowedTools").or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        for name in names {
            if !list.iter().any(|t| t.as_str() == Some(name)) {
                list.push(Value::String(name.to_string()));
            }
        }
    }
}

/// `name`, `description` and `prompt` first, as people write them.
fn ordered(mut object: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["$schema", "name", "description", "prompt"] {
        if let Some(value) = object.remove(key) {
            out.insert(key.into(), value);
        }
    }
    out.extend(object);
    out
}
