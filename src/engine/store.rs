//! Saved sessions, one folder per session under the data folder, grouped by
//! workspace, so `agent chat --resume` can continue the last one.
//!
//! Layout: `DATA/sessions/WORKSPACE-KEY/SESSION-ID/session.json` (the
//! conversation, rewritten atomically after every turn) and `audit.jsonl`
//! beside it. The workspace key is the workspace's path made safe for a
//! file name plus a hash of it, so two paths never share a folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::{now_ms, workspace_key};
use crate::provider::Message;

/// The sessions of one workspace.
#[derive(Debug, Clone)]
pub struct SessionStore {
    folder: PathBuf,
}

/// One saved session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSession {
    /// Its id (creation time and process id; sorts by time).
    pub id: String,
    /// The agent's name.
    pub agent: String,
    /// The model id.
    pub model: String,
    /// The workspace.
    pub workspace: PathBuf,
    /// When it was created.
    pub created_ms: u64,
    /// When it last changed.
    pub updated_ms: u64,
    /// The conversation.
    pub messages: Vec<Message>,
    /// The conversation's length at each of its turn checkpoints.
    #[serde(default)]
    pub marks: crate::engine::ConversationMarks,
    #[serde(skip)]
    folder: PathBuf,
}

impl SessionStore {
    /// The store for `workspace` under the data folder `data`.
    pub fn for_workspace(data: &Path, workspace: &Path) -> SessionStore {
        SessionStore {
            folder: data.join("sessions").join(workspace_key(workspace)),
        }
    }

    /// A new, empty session (saved at once, so it is listed).
    pub fn create(
        &self,
        agent: &str,
        model: &str,
        workspace: &Path,
    ) -> std::io::Result<SavedSession> {
        let created = now_ms();
        let id = format!("{created:013}-{}", std::process::id());
        let mut session = SavedSession {
            folder: self.folder.join(&id),
            id,
            agent: agent.into(),
            model: model.into(),
            workspace: workspace.into(),
            created_ms: created,
            updated_ms: created,
            messages: Vec::new(),
            marks: Default::default(),
        };
        session.save()?;
        Ok(session)
    }

    /// Every session of this workspace, oldest first; unreadable ones are skipped.
    pub fn list(&self) -> Vec<SavedSession> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return Vec::new();
        };
        let mut sessions: Vec<SavedSession> = entries
            .filter_map(Result::ok)
            .filter_map(|e| load(&e.path()))
            .collect();
        sessions.sort_by(|a, b| (a.updated_ms, &a.id).cmp(&(b.updated_ms, &b.id)));
        sessions
    }

    /// The session with this id.
    pub fn find(&self, id: &str) -> Option<SavedSession> {
        let plain = !id.is_empty() && !id.contains(['/', '\\']) && !id.starts_with('.');
        plain.then(|| load(&self.folder.join(id))).flatten()
    }

    /// The session that changed last.
    pub fn latest(&self) -> Option<SavedSession> {
        self.list().pop()
    }
}

fn load(folder: &Path) -> Option<SavedSession> {
    let text = std::fs::read_to_string(folder.join("session.json")).ok()?;
    let mut session: SavedSession = serde_json::from_str(&text).ok()?;
    session.folder = folder.to_path_buf();
    Some(session)
}

impl SavedSession {
    /// Writes the session atomically.
    pub fn save(&mut self) -> std::io::Result<()> {
        self.updated_ms = now_ms();
        let bytes = serde_json::to_vec_pretty(self)?;
        crate::atomic::write(&self.folder.join("session.json"), &bytes, Some(0o600))
    }

    /// The session's audit log.
    pub fn audit_path(&self) -> PathBuf {
        self.folder.join("audit.jsonl")
    }

    /// One line for listings: id, agent, model, length and title.
    pub fn summary_line(&self) -> String {
        format!(
            "{}  {}  {}  {} messages  {}",
            self.id,
            self.agent,
            self.model,
            self.messages.len(),
            self.title()
        )
    }

    /// The first line of the first user message, for listings.
    pub fn title(&self) -> String {
        self.messages
            .iter()
            .find_map(|m| match m {
                Message::User(text) => text.lines().next().map(|l| l.chars().take(60).collect()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_the_latest_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::for_workspace(dir.path(), Path::new("/w"));
        let mut first = store.create("bot", "openai/m", Path::new("/w")).unwrap();
        first
            .messages
            .push(Message::User("fix the tests\nplease".into()));
        first.save().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut second = store.create("bot", "openai/m", Path::new("/w")).unwrap();
        second.messages.push(Message::User("second".into()));
        second.save().unwrap();
        let listed = store.list();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].title(), "fix the tests");
        assert_eq!(store.latest().unwrap().messages, second.messages);
    }
}
