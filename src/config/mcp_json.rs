//! `mcp.json`: MCP servers shared by agents that set `includeMcpJson`, in
//! the workspace (`.kiro/settings/mcp.json`) and for the user
//! (`~/.kiro/settings/mcp.json`), as Kiro keeps them. Read with the agent
//! files' strictness (unknown keys are errors at their line and column);
//! written by `agent mcp add|remove`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, Diagnostic, JsonPath, Severity};
use super::json;
use super::model::McpServer;

/// The file's contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct McpJson {
    /// The servers, by name.
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, McpServer>,
}

/// The workspace's `mcp.json`.
pub fn workspace_file(workspace: &Path) -> PathBuf {
    workspace.join(".kiro/settings/mcp.json")
}

/// The user's `mcp.json`, when there is a home folder.
pub fn user_file(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".kiro/settings/mcp.json"))
}

/// Reads `file`; a missing file is an empty one.
pub fn read(file: &Path) -> Result<McpJson, ConfigError> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(McpJson::default()),
        Err(source) => {
            return Err(ConfigError::Io {
                file: file.to_path_buf(),
                source,
            });
        }
    };
    let document =
        json::parse(&text).map_err(|e| ConfigError::Invalid(vec![e.diagnostic(file, &text)]))?;
    if !document.value.is_object() {
        return Err(ConfigError::Invalid(vec![Diagnostic::at(
            Severity::Error,
            file,
            &text,
            0,
            JsonPath::root(),
            "mcp.json must hold a JSON object",
        )]));
    }
    super::validate::typed_document(file, &text, &document.spans, document.value)
        .map_err(ConfigError::Invalid)
}

/// Writes `contents` to `file` atomically, creating its folder.
pub fn write(file: &Path, contents: &McpJson) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(contents).unwrap_or_default();
    text.push('\n');
    crate::atomic::write(file, text.as_bytes(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_reports_typos_with_positions() {
        let dir = tempfile::tempdir().unwrap();
        let file = workspace_file(dir.path());
        assert_eq!(read(&file).unwrap(), McpJson::default());
        let mut contents = McpJson::default();
        contents.mcp_servers.insert(
            "fs".into(),
            serde_json::from_value(serde_json::json!({"command": "npx", "args": ["-y", "x"]}))
                .unwrap(),
        );
        write(&file, &contents).unwrap();
        assert_eq!(read(&file).unwrap(), contents);
        std::fs::write(&file, "{\"mcpServers\": {\"fs\": {\"comand\": \"x\"}}}").unwrap();
        let shown = read(&file).unwrap_err().to_string();
        assert!(shown.contains("unknown field `comand`"), "{shown}");
        assert!(shown.contains("mcp.json:1:24"), "{shown}");
    }
}
