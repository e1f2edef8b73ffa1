//! Supervised mode through ACP: after a turn whose changes wait for
//! review, each changed file is shown as a `tool_call` whose content is
//! ACP's `diff` (path, oldText, newText), and the decision is asked with
//! `session/request_permission`: accept all, reject all, or per file (one
//! more request per file). A reason for the model may come back in the
//! response's `_meta.agent.reason`, as for approvals. The chat controller
//! applies the decision; no rule lives here.

use agent_client_protocol::v1::schema::{RequestPermissionRequest, RequestPermissionResponse};
use serde_json::{Value, json};

use super::session::Worker;
use crate::chat::{ReviewDecision, ReviewTexts};
use crate::engine::Event;

/// The option that keeps every change.
const ACCEPT: &str = "accept-all";
/// The option that puts every file back.
const REJECT: &str = "reject-all";
/// The option that asks about each file.
const PER_FILE: &str = "per-file";
/// Keep this file.
const KEEP: &str = "keep";
/// Put this file back.
const PUT_BACK: &str = "put-back";

/// What the client picked, and the reason it gave.
struct Picked {
    option: String,
    reason: Option<String>,
}

impl Worker {
    /// Shows the pending review to the client, asks for the decision and
    /// has the chat apply it; returns what was done, for the client.
    pub fn review_through_client(&mut self) -> String {
        let texts = match self.chat.review_texts() {
            Ok(texts) => texts,
            Err(error) => return format!("error: {error}\n"),
        };
        let turn = self.chat.pending_review().map(|r| r.after.clone());
        let prefix = format!("review-{}", turn.unwrap_or_default());
        for (index, file) in texts.iter().enumerate() {
            self.notify(self.diff_call(&format!("{prefix}-{}", index + 1), file));
        }
        let decision = self.decide(&prefix, &texts);
        let connection = self.connection.clone();
        let id = self.id();
        let mut emit = |event: Event| {
            if let Some(update) = super::updates::update(&event) {
                super::session::send(&connection, &id, update);
            }
        };
        match self
            .runtime
            .clone()
            .block_on(self.chat.review(decision, &mut emit))
        {
            Ok(text) => text,
            Err(error) => format!("error: {error}\n"),
        }
    }

    /// The decision: one question, and one per file when asked for.
    fn decide(&self, prefix: &str, texts: &[ReviewTexts]) -> ReviewDecision {
        let all: Vec<String> = texts.iter().map(|t| t.path.clone()).collect();
        let options = [
            (ACCEPT, "Accept all changes", "allow_once"),
            (REJECT, "Reject all: put the files back", "reject_once"),
            (PER_FILE, "Decide per file", "allow_once"),
        ];
        let title = format!("Review the turn's changes ({} file(s))", texts.len());
        let content: Vec<Value> = texts.iter().map(|t| self.diff(t)).collect();
        let picked = self.ask(prefix, &title, content, &options);
        match picked.option.as_str() {
            ACCEPT => ReviewDecision::accept_all(),
            PER_FILE => self.per_file(prefix, texts),
            _ => ReviewDecision {
                rejected: all,
                reason: picked.reason,
            },
        }
    }

    /// One question per file; the last reason given is the model's.
    fn per_file(&self, prefix: &str, texts: &[ReviewTexts]) -> ReviewDecision {
        let options = [
            (KEEP, "Keep", "allow_once"),
            (PUT_BACK, "Put back", "reject_once"),
        ];
        let mut decision = ReviewDecision::accept_all();
        for (index, file) in texts.iter().enumerate() {
            let id = format!("{prefix}-{}", index + 1);
            let title = format!("Keep the changes to {}?", file.path);
            let picked = self.ask(&id, &title, vec![self.diff(file)], &options);
            if picked.option != KEEP {
                decision.rejected.push(file.path.clone());
                decision.reason = picked.reason.or(decision.reason);
            }
        }
        decision
    }

    /// Asks the client; anything but a pick (a cancelled prompt, no
    /// answer) puts the files back: nobody accepted them.
    fn ask(
        &self,
        id: &str,
        title: &str,
        content: Vec<Value>,
        options: &[(&str, &str, &str)],
    ) -> Picked {
        let nothing = Picked {
            option: REJECT.into(),
            reason: None,
        };
        let options: Vec<Value> = options
            .iter()
            .map(|(id, name, kind)| json!({"optionId": id, "name": name, "kind": kind}))
            .collect();
        let request = json!({
            "sessionId": self.id(),
            "toolCall": {
                "toolCallId": id,
                "title": title,
                "kind": "edit",
                "status": "pending",
                "content": content,
            },
            "options": options,
        });
        let Ok(request) = serde_json::from_value::<RequestPermissionRequest>(request) else {
            return nothing;
        };
        let sent = self.connection.send_request(request).block_task();
        match futures::executor::block_on(sent) {
            Ok(response) => picked(&response).unwrap_or(nothing),
            Err(_) => nothing,
        }
    }

    /// A `tool_call` showing one file's change.
    fn diff_call(&self, id: &str, file: &ReviewTexts) -> Value {
        json!({
            "sessionUpdate": "tool_call",
            "toolCallId": id,
            "title": format!("review {}", file.path),
            "kind": "edit",
            "status": "completed",
            "content": [self.diff(file)],
            "locations": [{"path": self.absolute(&file.path)}],
        })
    }

    /// ACP's `diff` content for one file (a deleted file's new text is
    /// empty).
    fn diff(&self, file: &ReviewTexts) -> Value {
        json!({
            "type": "diff",
            "path": self.absolute(&file.path),
            "oldText": file.before,
            "newText": file.after.clone().unwrap_or_default(),
        })
    }

    fn absolute(&self, path: &str) -> String {
        self.chat.saved.workspace.join(path).display().to_string()
    }
}

/// The option picked and the reason given; `None` when nothing was picked.
fn picked(response: &RequestPermissionResponse) -> Option<Picked> {
    let value = serde_json::to_value(response).unwrap_or(Value::Null);
    let outcome = &value["outcome"];
    if outcome["outcome"] != "selected" {
        return None;
    }
    let reason = value["_meta"]["agent"]["reason"]
        .as_str()
        .or_else(|| outcome["_meta"]["agent"]["reason"].as_str())
        .map(str::to_string);
    Some(Picked {
        option: outcome["optionId"].as_str().unwrap_or_default().to_string(),
        reason,
    })
}
