//! The JSON Schema of agent files, generated from the same types that load
//! them, so the published schema cannot drift from what `agent` accepts.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

use super::error::JsonPath;
use super::model::{
    AgentFile, PathSettings, SearchSettings, ShellSettings, SubagentSettings, UrlSettings,
};
use super::model::{AwsSettings, CodeSettings};
use super::tools::{BUILTIN_TOOLS, SettingsKind};

/// The JSON Schema (draft 2020-12) of an agent file.
pub fn agent_file_schema() -> Value {
    Value::from(schemars::schema_for!(AgentFile))
}

/// The schema of `toolsSettings`: one typed property per spelling of a
/// built-in tool `agent` runs, anything under an `@server/tool` key; other
/// keys (Kiro tools `agent` does not run) are accepted and ignored.
pub fn tools_settings_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut properties = Map::new();
    for tool in BUILTIN_TOOLS {
        let schema = Value::from(settings_schema(tool.settings, generator));
        for name in std::iter::once(tool.name).chain(tool.aliases.iter().copied()) {
            properties.insert(name.to_string(), schema.clone());
        }
    }
    json_schema!({
        "description": "Per-tool settings keyed by tool name (old names such as fs_write are aliases). MCP tool keys (@server/tool) are passed through; settings of other tools are ignored.",
        "type": "object",
        "properties": properties,
        "patternProperties": { "^@": {} },
        "additionalProperties": true,
    })
}

/// The schema of `resources`: `file://` and `skill://` strings, or
/// knowledge-base objects.
pub fn resources_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {
            "anyOf": [
                { "type": "string", "pattern": "^(file|skill)://" },
                {
                    "type": "object",
                    "properties": {
                        "type": { "const": "knowledgeBase" },
                        "source": { "type": "string", "pattern": "^file://" }
                    },
                    "required": ["type", "source"]
                }
            ]
        }
    })
}

/// The schema of Kiro 3's `permissions`: a rule list, or `{"rules": [...]}`.
pub fn permissions_schema(_: &mut SchemaGenerator) -> Schema {
    let rule = json!({
        "type": "object",
        "properties": {
            "capability": { "type": "string", "description": "shell, fs_read, fs_write, mcp, builtin or all" },
            "match": { "type": ["string", "array"], "items": { "type": "string" } },
            "exclude": { "type": ["string", "array"], "items": { "type": "string" } },
            "effect": { "enum": ["allow", "ask", "deny"] }
        },
        "required": ["capability", "effect"],
        "additionalProperties": false
    });
    json_schema!({
        "anyOf": [
            { "type": "array", "items": rule.clone() },
            { "type": "object", "properties": { "rules": { "type": "array", "items": rule } } }
        ]
    })
}

fn settings_schema(kind: SettingsKind, generator: &mut SchemaGenerator) -> Schema {
    match kind {
        SettingsKind::Paths => generator.subschema_for::<PathSettings>(),
        SettingsKind::Search => generator.subschema_for::<SearchSettings>(),
        SettingsKind::Shell => generator.subschema_for::<ShellSettings>(),
        SettingsKind::Urls => generator.subschema_for::<UrlSettings>(),
        SettingsKind::Nothing => generator.subschema_for::<Map<String, Value>>(),
        SettingsKind::Subagent => generator.subschema_for::<SubagentSettings>(),
        SettingsKind::Code => generator.subschema_for::<CodeSettings>(),
        SettingsKind::Aws => generator.subschema_for::<AwsSettings>(),
    }
}

/// The first place in `value` where the agent-file schema expects an object
/// and finds something else.
///
/// serde reads a JSON array into a struct field by field (`"shell":
/// [["rm .*"]]` would become `allowedCommands`), which Kiro CLI would
/// reject and no reader would expect. Walking the schema finds every such
/// place without a hand-kept list that could drift from the types.
///
/// `toolsSettings` entries are not walked: Kiro accepts any value there and
/// judges it when the tool runs, and so does `agent` (see `validate`).
pub fn first_non_object(value: &Value) -> Option<JsonPath> {
    let mut value = value.clone();
    if let Some(settings) = value.get_mut("toolsSettings").filter(|s| s.is_object()) {
        *settings = Value::Object(Map::new());
    }
    let value = &value;
    let schema = agent_file_schema();
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    walk(&schema, &defs, value, JsonPath::root())
}

fn walk(schema: &Value, defs: &Value, value: &Value, path: JsonPath) -> Option<JsonPath> {
    let schema = resolve(schema, defs, value);
    if wants_object(schema) && !value.is_object() && !value.is_null() {
        return Some(path);
    }
    match value {
        Value::Object(members) => members.iter().find_map(|(key, member)| {
            let child = member_schema(schema, key)?;
            walk(child, defs, member, path.key(key))
        }),
        Value::Array(items) => {
            let item_schema = schema.get("items")?;
            items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item_schema, defs, item, path.index(i)))
        }
        _ => None,
    }
}

/// Follows `$ref` and, for `Option<T>` (`anyOf: [T, null]`), picks `T`.
fn resolve<'a>(schema: &'a Value, defs: &'a Value, value: &Value) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        && let Some(target) = defs.get(name)
    {
        return resolve(target, defs, value);
    }
    if !value.is_null()
        && let Some(branch) = schema
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|branches| {
                branches
                    .iter()
                    .find(|b| b.get("type") != Some(&Value::from("null")))
            })
    {
        return resolve(branch, defs, value);
    }
    schema
}

fn wants_object(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
        _ => false,
    }
}

fn member_schema<'a>(schema: &'a Value, key: &str) -> Option<&'a Value> {
    if let Some(property) = schema.get("properties").and_then(|p| p.get(key)) {
        return Some(property);
    }
    let matches_pattern = schema
        .get("patternProperties")
        .and_then(Value::as_object)
        .and_then(|patterns| {
            patterns
                .iter()
                .find(|(pattern, _)| regex::Regex::new(pattern).is_ok_and(|r| r.is_match(key)))
        });
    if let Some((_, property)) = matches_pattern {
        return Some(property);
    }
    schema.get("additionalProperties").filter(|a| a.is_object())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_where_objects_belong_are_found() {
        let cases = [
            (json!([1]), "(top level)"),
            (json!({"toolsSettings": []}), "toolsSettings"),
            (json!({"hooks": {"stop": [["echo"]]}}), "hooks.stop[0]"),
            (json!({"mcpServers": {"x": ["node"]}}), "mcpServers.x"),
            (json!({"hooks": []}), "hooks"),
        ];
        for (value, expected) in cases {
            let found = first_non_object(&value).map(|p| p.to_string());
            assert_eq!(found.as_deref(), Some(expected), "{value}");
        }
    }

    #[test]
    fn well_formed_values_pass() {
        let value = json!({
            "tools": ["read"],
            "toolsSettings": {"shell": {"allowedCommands": ["ls"]}, "@git/x": [1]},
            "hooks": {"stop": [{"command": "echo"}]},
            "mcpServers": {"x": {"command": "node", "env": {"A": "b"}}},
            "model": null
        });
        assert_eq!(first_non_object(&value), None);
        let kiro_judges_later = json!({"toolsSettings": {"shell": [["rm .*"]]}});
        assert_eq!(first_non_object(&kiro_judges_later), None);
    }
}
