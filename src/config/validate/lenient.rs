//! Keys Kiro ignores inside objects: taken out, with a warning, before the
//! typed pass (which rejects unknown keys, so that a key `agent` reads is
//! never silently misspelt).
//!
//! Kiro reads hooks and MCP servers without rejecting unknown keys, so
//! files carry `description`, `name` and `args` on hooks and `autoApprove`
//! on servers. None of those can restrict anything `agent` enforces, and the
//! ones that grant (`autoApprove`) are exactly what must not be honoured.

use schemars::JsonSchema;
use serde_json::Value;

use super::Checker;
use crate::config::error::JsonPath;
use crate::config::hint;
use crate::config::model::{Hook, McpServer, McpTransport};

impl Checker<'_> {
    /// Removes, with a warning each, the keys Kiro ignores in hooks and
    /// MCP servers, and an MCP transport `agent` does not speak.
    pub(super) fn strip_ignored_keys(&mut self, value: &mut Value) {
        let hook_fields = field_names::<Hook>();
        if let Some(hooks) = value.get_mut("hooks").and_then(Value::as_object_mut) {
            for (trigger, list) in hooks.iter_mut() {
                let Some(list) = list.as_array_mut() else {
                    continue;
                };
                for (i, hook) in list.iter_mut().enumerate() {
                    let path = JsonPath::root().key("hooks").key(trigger).index(i);
                    self.strip(hook, &path, &hook_fields, "hooks");
                }
            }
        }
        let server_fields = field_names::<McpServer>();
        if let Some(servers) = value.get_mut("mcpServers").and_then(Value::as_object_mut) {
            for (name, server) in servers.iter_mut() {
                let path = JsonPath::root().key("mcpServers").key(name);
                self.strip(server, &path, &server_fields, "MCP servers");
                self.strip_unknown_transport(server, &path);
            }
        }
    }

    fn strip(&mut self, object: &mut Value, path: &JsonPath, known: &[String], what: &str) {
        let Some(object) = object.as_object_mut() else {
            return;
        };
        let unknown: Vec<String> = object
            .keys()
            .filter(|k| !known.contains(k))
            .cloned()
            .collect();
        for key in unknown {
            object.remove(&key);
            let hint = hint::did_you_mean(&key, known.iter().map(String::as_str));
            let message =
                format!("`{key}` is not a key of {what}; it is ignored, as Kiro ignores it");
            self.warn_at_key(&path.key(&key), message, hint);
        }
    }

    fn strip_unknown_transport(&mut self, server: &mut Value, path: &JsonPath) {
        let Some(object) = server.as_object_mut() else {
            return;
        };
        let Some(Value::String(transport)) = object.get("type") else {
            return;
        };
        if serde_json::from_value::<McpTransport>(Value::String(transport.clone())).is_ok() {
            return;
        }
        let message = format!(
            "transport `{transport}` is not one `agent` speaks (`stdio`, `http`); it is inferred from `command` or `url`"
        );
        self.warn_at_value(&path.key("type"), message);
        object.remove("type");
    }
}

/// The keys a type's JSON Schema names: the fields the typed pass accepts.
pub(super) fn field_names<T: JsonSchema>() -> Vec<String> {
    let schema = serde_json::Value::from(schemars::schema_for!(T));
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}
