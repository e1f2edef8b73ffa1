//! The audit log: one JSON line per tool call (time, tool, input, decision,
//! reasons, result, exit code), appended as calls finish. It is a consumer
//! of the session's events like any surface, written to the session folder
//! and, with `--audit-log PATH`, to a copy CI can keep.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::events::Event;
use super::store::now_ms;

/// Appends audit lines to one or more files.
pub struct AuditLog {
    files: Vec<(PathBuf, File)>,
    pending: HashMap<String, Value>,
    session: String,
}

impl AuditLog {
    /// Opens (creating, appending) each of `paths` for `session`.
    pub fn open(session: &str, paths: &[&Path]) -> std::io::Result<AuditLog> {
        let mut files = Vec::new();
        for path in paths {
            if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder)?;
            }
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            files.push((path.to_path_buf(), file));
        }
        Ok(AuditLog {
            files,
            pending: HashMap::new(),
            session: session.into(),
        })
    }

    /// Records `event`; a line is written when a call's result arrives.
    pub fn record(&mut self, event: &Event) -> std::io::Result<()> {
        match event {
            Event::ToolCall {
                id,
                tool,
                input,
                decision,
                reasons,
            } => {
                let entry = json!({
                    "time_ms": now_ms(),
                    "session": self.session,
                    "id": id,
                    "tool": tool,
                    "input": input,
                    "decision": decision,
                    "reasons": reasons,
                });
                self.pending.insert(id.clone(), entry);
            }
            Event::ToolResult {
                id,
                is_error,
                exit_code,
                ..
            } => {
                if let Some(mut entry) = self.pending.remove(id) {
                    entry["is_error"] = Value::from(*is_error);
                    entry["exit_code"] = exit_code.map(Value::from).unwrap_or(Value::Null);
                    self.write(&entry)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn write(&mut self, entry: &Value) -> std::io::Result<()> {
        let line = format!("{entry}\n");
        for (_, file) in &mut self.files {
            file.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}
