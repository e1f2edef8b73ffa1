//! The model-facing description of each built-in tool: its name, what it
//! does, and its input as JSON Schema.

use serde_json::{Value, json};

/// One tool as the model is shown it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The name the model calls it by.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// Its input, as JSON Schema.
    pub input_schema: Value,
}

/// The specs of the tools `agent` can run, among `visible` (the names the
/// agent's `tools` makes visible); tools `agent` cannot run are not shown.
pub fn specs(visible: &[&str]) -> Vec<ToolSpec> {
    all()
        .into_iter()
        .filter(|spec| visible.contains(&spec.name))
        .collect()
}

fn all() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "read",
            description: "Read a text file with line numbers (2000 lines a page; use start_line/end_line for more), or list a folder.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File or folder, relative to the workspace"},
                    "start_line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1}
                },
                "required": ["path"]
            }),
        },
        ToolSpec {
            name: "write",
            description: "Change a file: `create` (whole content), `str_replace` (old_str must occur exactly once), `insert` (content after insert_line; 0 is the top) or `append`. Returns a unified diff.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "enum": ["create", "str_replace", "insert", "append"]},
                    "path": {"type": "string"},
                    "content": {"type": "string"},
                    "old_str": {"type": "string"},
                    "new_str": {"type": "string"},
                    "insert_line": {"type": "integer", "minimum": 0}
                },
                "required": ["command", "path"]
            }),
        },
        ToolSpec {
            name: "shell",
            description: "Run a bash command line in the workspace (no stdin; 120 s limit unless timeout_secs says otherwise). Returns the exit code and output.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string"},
                    "timeout_secs": {"type": "integer", "minimum": 1}
                },
                "required": ["command"]
            }),
        },
        ToolSpec {
            name: "glob",
            description: "List files whose path matches a glob (`**/*.py`), skipping what .gitignore hides.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "path": {"type": "string", "description": "Folder to search (default: the workspace)"}
                },
                "required": ["pattern"]
            }),
        },
        ToolSpec {
            name: "grep",
            description: "Find lines matching a regular expression in files, skipping what .gitignore hides. Returns path:line:text.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "path": {"type": "string", "description": "Folder or file to search (default: the workspace)"},
                    "include": {"type": "string", "description": "Only files whose name matches this glob, e.g. *.rs"}
                },
                "required": ["pattern"]
            }),
        },
    ]
}
