//! What the program remembers about a spec beside Kiro's three files, in
//! `.kiro/specs/NAME/.agent-spec.json`: which stages a person approved,
//! and each task's last check results (for `/spec status`). Kiro's own
//! files stay as Kiro writes them; a spec without this file is one no
//! stage of which was approved here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::events::goal::CheckResult;

/// The file's name inside the spec's folder.
pub const STATE_FILE: &str = ".agent-spec.json";

/// A spec's approvals and last results.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SpecState {
    /// Approved stages, by name (`requirements`, `design`, `tasks`).
    #[serde(default)]
    pub approved: Vec<String>,
    /// Each task's last check results, by task id.
    #[serde(default)]
    pub results: BTreeMap<String, Vec<CheckResult>>,
}

impl SpecState {
    /// The state in `dir`, empty when there is none; a file that is not
    /// this state is an error naming it.
    pub fn load(dir: &Path) -> Result<SpecState, String> {
        let path = path_in(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SpecState::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the state into `dir`, whole or not at all.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let path = path_in(dir);
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        crate::atomic::write(&path, format!("{text}\n").as_bytes(), None)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether `stage` was approved.
    pub fn is_approved(&self, stage: &str) -> bool {
        self.approved.iter().any(|s| s == stage)
    }

    /// Records `stage` as approved.
    pub fn approve(&mut self, stage: &str) {
        if !self.is_approved(stage) {
            self.approved.push(stage.to_string());
        }
    }
}

fn path_in(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}
