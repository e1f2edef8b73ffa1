//! The audit log: one JSON line per tool call (time, session, who made
//! the call, tool, input, decision, reasons, the result exactly as the
//! model received it, exit code), appended by the dispatcher as each call
//! finishes, whoever made it. It is written to the session folder and,
//! with `--audit-log PATH`, to a copy CI can keep.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::dispatch::Caller;
use crate::paths::now_ms;
use crate::policy::{Reason, Verdict};

/// Appends audit lines to one or more files.
pub struct AuditLog {
    files: Vec<(PathBuf, File)>,
    session: String,
    /// The sub-agent whose calls this log records (`None`: the session's
    /// own).
    child: Option<String>,
}

/// One finished tool call.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord<'a> {
    /// The call's id.
    pub id: &'a str,
    /// Who made it.
    pub caller: Caller,
    /// The tool, by its canonical name.
    pub tool: &'a str,
    /// Its input.
    pub input: &'a Value,
    /// What the policy (and hooks) decided.
    pub decision: Verdict,
    /// Why.
    pub reasons: &'a [Reason],
    /// True for a failure or a refusal.
    pub is_error: bool,
    /// The shell command's exit code.
    pub exit_code: Option<i32>,
    /// The result, as the model (or the person) received it.
    pub output: &'a str,
    /// The sub-agent whose change this call of the session's own brings
    /// back from its worktree, named as the child's own calls are.
    #[serde(skip)]
    pub for_child: Option<&'a str>,
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
            session: session.into(),
            child: None,
        })
    }

    /// The same files, for the sub-agent `child` of this session: each of
    /// its records names it.
    pub fn for_child(&self, child: &str) -> std::io::Result<AuditLog> {
        let paths: Vec<&Path> = self.files.iter().map(|(path, _)| path.as_path()).collect();
        let mut log = AuditLog::open(&self.session, &paths)?;
        log.child = Some(child.into());
        Ok(log)
    }

    /// Writes one line for `record`.
    pub fn record(&mut self, record: &AuditRecord<'_>) -> std::io::Result<()> {
        let mut entry = serde_json::to_value(record)?;
        entry["time_ms"] = Value::from(now_ms());
        entry["session"] = Value::from(self.session.as_str());
        if let Some(child) = self.child.as_deref().or(record.for_child) {
            entry["child"] = Value::from(child);
        }
        let line = format!("{entry}\n");
        for (_, file) in &mut self.files {
            file.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}
