//! The JSON Schema of agent files, generated from the same types that load
//! them, so the published schema cannot drift from what `agent` accepts.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use super::model::{
    AgentFile, AwsSettings, NoSettings, PathSettings, SearchSettings, ShellSettings,
};
use super::tools::{BUILTIN_TOOLS, SettingsKind};

/// The JSON Schema (draft 2020-12) of an agent file.
pub fn agent_file_schema() -> Value {
    Value::from(schemars::schema_for!(AgentFile))
}

/// The schema of `toolsSettings`: one typed property per built-in tool
/// spelling, anything under an `@server/tool` key, and nothing else.
pub fn tools_settings_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut properties = Map::new();
    for tool in BUILTIN_TOOLS {
        let schema = Value::from(settings_schema(tool.settings, generator));
        for name in std::iter::once(tool.name).chain(tool.aliases.iter().copied()) {
            properties.insert(name.to_string(), schema.clone());
        }
    }
    json_schema!({
        "description": "Per-tool settings keyed by tool name (old names such as fs_write are aliases). MCP tool keys (@server/tool) are passed through.",
        "type": "object",
        "properties": properties,
        "patternProperties": { "^@": {} },
        "additionalProperties": false,
    })
}

fn settings_schema(kind: SettingsKind, generator: &mut SchemaGenerator) -> Schema {
    match kind {
        SettingsKind::Paths => generator.subschema_for::<PathSettings>(),
        SettingsKind::Search => generator.subschema_for::<SearchSettings>(),
        SettingsKind::Shell => generator.subschema_for::<ShellSettings>(),
        SettingsKind::Aws => generator.subschema_for::<AwsSettings>(),
        SettingsKind::None => generator.subschema_for::<NoSettings>(),
    }
}
