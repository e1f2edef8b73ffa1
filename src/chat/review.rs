//! Supervised mode: after each turn the files it changed (by any tool,
//! shell commands included: the checkpoints see them all) are listed with
//! their diffs, from the checkpoint taken when the turn started to the
//! files as the turn left them, and wait for the person. Accepted files
//! stay; a rejected file is put back as it was before the turn (a file the
//! turn created is removed), a checkpoint is taken, and the model is told
//! on its next prompt which changes were rejected and why.
//!
//! How the model is told: a note in brackets, `[review] …`, prepended to
//! the next prompt the person sends (shown to the person when the review
//! is applied). A prompt is the one message the person owns, so the note
//! reaches every provider the same way and is saved with the conversation.
//!
//! It is a review workflow, not a security control: the policy and the
//! write fence judge every call the same in both modes.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{Chat, ChatError};
use crate::checkpoint::CheckpointStore;
use crate::engine::events::ReviewFile;
use crate::engine::{Emit, Event};
use crate::settings::Settings;

/// How a chat treats a turn's changes (`chat.mode`, `/mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ChatMode {
    /// Changes stay as the turn made them.
    #[default]
    Autopilot,
    /// Changes wait for review after each turn.
    Supervised,
}

impl ChatMode {
    /// The mode's name, as the setting and `/mode` spell it.
    pub fn name(self) -> &'static str {
        match self {
            ChatMode::Autopilot => "autopilot",
            ChatMode::Supervised => "supervised",
        }
    }

    /// The mode `chat.mode` sets (autopilot when unset).
    pub fn from_settings(settings: &Settings) -> ChatMode {
        match settings.text("chat.mode") {
            Some("supervised") => ChatMode::Supervised,
            _ => ChatMode::Autopilot,
        }
    }

    /// The other mode (Shift+Tab in the terminal UI).
    pub fn toggled(self) -> ChatMode {
        match self {
            ChatMode::Autopilot => ChatMode::Supervised,
            ChatMode::Supervised => ChatMode::Autopilot,
        }
    }
}

/// A turn's changes waiting for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReview {
    /// The checkpoint of the files before the turn.
    pub before: String,
    /// The checkpoint of the files as the turn left them.
    pub after: String,
    /// Each changed file.
    pub files: Vec<ReviewFile>,
}

/// What the person decided about a pending review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewDecision {
    /// The files to put back as they were before the turn (paths as the
    /// review lists them); every other file is accepted.
    pub rejected: Vec<String>,
    /// Why, for the model.
    pub reason: Option<String>,
}

impl ReviewDecision {
    /// Keeps every change.
    pub fn accept_all() -> ReviewDecision {
        ReviewDecision::default()
    }

    /// Puts back every file of `review`.
    pub fn reject_all(review: &PendingReview, reason: Option<String>) -> ReviewDecision {
        ReviewDecision {
            rejected: review.files.iter().map(|f| f.path.clone()).collect(),
            reason,
        }
    }
}

/// One file under review as it was before the turn and as the turn left
/// it (`None`: no file there; content that is not UTF-8 is decoded
/// lossily), for surfaces that show both sides (ACP's diff content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTexts {
    /// The path, relative to the workspace.
    pub path: String,
    /// Before the turn.
    pub before: Option<String>,
    /// As the turn left it.
    pub after: Option<String>,
}

impl Chat {
    /// The mode this chat is in.
    pub fn mode(&self) -> ChatMode {
        self.mode
    }

    /// Switches the mode from the next turn (`/mode`, Shift+Tab).
    pub fn set_mode(&mut self, mode: ChatMode) {
        self.mode = mode;
    }

    /// The last turn's changes, while they wait for review.
    pub fn pending_review(&self) -> Option<&PendingReview> {
        self.pending.as_ref()
    }

    /// Both sides of each file under review (empty when none is pending).
    /// It reads the checkpoint store: call it off the async executor.
    pub fn review_texts(&self) -> Result<Vec<ReviewTexts>, ChatError> {
        let (Some(review), Some(store)) = (&self.pending, self.session.checkpoints()) else {
            return Ok(Vec::new());
        };
        let store = store
            .lock()
            .map_err(|_| ChatError::runtime("the checkpoint store is unusable"))?;
        let text = |tag: &str, path: &str| -> Result<Option<String>, ChatError> {
            let content = store
                .content_at(tag, std::path::Path::new(path))
                .map_err(ChatError::runtime)?;
            Ok(content.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        };
        review
            .files
            .iter()
            .map(|file| {
                Ok(ReviewTexts {
                    path: file.path.clone(),
                    before: text(&review.before, &file.path)?,
                    after: text(&review.after, &file.path)?,
                })
            })
            .collect()
    }

    /// After a turn in supervised mode: finds what changed since checkpoint
    /// `before` (the turn's base) and, when anything did, holds it for
    /// review and emits a `Review` event.
    pub(super) async fn hold_for_review(&mut self, before: Option<String>, emit: &mut Emit<'_>) {
        let (Some(store), Some(before)) = (self.session.checkpoints(), before) else {
            emit(Event::Warning {
                message: "supervised mode needs checkpoints: this turn's changes were not held for review".into(),
            });
            return;
        };
        let found = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable".to_string())?;
            pending(&mut store, before).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|found| found);
        match found {
            Ok(review) if review.files.is_empty() => {}
            Ok(review) => {
                emit(Event::Review {
                    files: review.files.clone(),
                });
                self.pending = Some(review);
            }
            Err(message) => emit(Event::Warning {
                message: format!("the turn's changes could not be listed for review: {message}"),
            }),
        }
    }

    /// Applies the person's decision on the pending review: rejected files
    /// are put back as they were before the turn (created ones removed), a
    /// checkpoint is taken, and the model's next prompt will say what was
    /// rejected and why. Returns what was done, for the person.
    pub async fn review(
        &mut self,
        decision: ReviewDecision,
        emit: &mut Emit<'_>,
    ) -> Result<String, ChatError> {
        let Some(review) = self.pending.take() else {
            return Err(ChatError::usage("no changes are waiting for review"));
        };
        if let Some(unknown) = decision
            .rejected
            .iter()
            .find(|path| !review.files.iter().any(|f| &f.path == *path))
        {
            let message = format!("`{unknown}` is not among the changes under review");
            self.pending = Some(review);
            return Err(ChatError::usage(message));
        }
        if !decision.rejected.is_empty() {
            self.put_back(&review.before, &decision.rejected, emit)
                .await?;
        }
        let kept: Vec<&str> = review
            .files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| !decision.rejected.iter().any(|r| r.as_str() == *p))
            .collect();
        let mut out = match kept.is_empty() {
            true => String::new(),
            false => format!("accepted: {}\n", kept.join(", ")),
        };
        if !decision.rejected.is_empty() {
            let note = note(&decision, &kept);
            out.push_str(&format!(
                "rejected and put back as before the turn: {}\nthe model is told with your next prompt: {note}\n",
                decision.rejected.join(", ")
            ));
            self.review_note = Some(note);
        }
        Ok(out)
    }

    /// Puts `paths` back as checkpoint `before` had them and checkpoints
    /// the result.
    async fn put_back(
        &mut self,
        before: &str,
        paths: &[String],
        emit: &mut Emit<'_>,
    ) -> Result<(), ChatError> {
        let store = self
            .session
            .checkpoints()
            .ok_or_else(|| ChatError::runtime("checkpoints are off: nothing can be put back"))?;
        let before = before.to_string();
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let taken = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable".to_string())?;
            store.put_back(&before, &paths).map_err(|e| e.to_string())?;
            let tag = store.next_turn().map_err(|e| e.to_string())?.to_string();
            let description = format!("review: rejected {} file(s)", paths.len());
            store
                .snapshot(&tag, &description, true)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(ChatError::runtime)?
        .map_err(ChatError::runtime)?;
        if let Some(checkpoint) = taken {
            emit(Event::Checkpoint {
                tag: checkpoint.tag,
                description: checkpoint.description,
                added: checkpoint.added,
                modified: checkpoint.modified,
                deleted: checkpoint.deleted,
                full_walk: None,
            });
        }
        Ok(())
    }
}

/// The note for the model about a decision that rejected something.
fn note(decision: &ReviewDecision, kept: &[&str]) -> String {
    let mut note = format!(
        "[review] The user rejected your changes to {} in the last turn; those files are back as they were before it.",
        decision.rejected.join(", ")
    );
    if !kept.is_empty() {
        note.push_str(&format!(" Your changes to {} were kept.", kept.join(", ")));
    }
    if let Some(reason) = &decision.reason {
        note.push_str(&format!(" The user's reason: {reason}"));
    }
    note
}

/// What changed from checkpoint `before` to the files as they are now (a
/// checkpoint is taken when they differ from the newest one).
fn pending(
    store: &mut CheckpointStore,
    before: String,
) -> Result<PendingReview, crate::checkpoint::CheckpointError> {
    let tag = store.next_turn()?.to_string();
    let after = match store.snapshot(&tag, "turn end, for review", true)? {
        Some(checkpoint) => checkpoint.tag,
        None => store.latest()?.unwrap_or_else(|| before.clone()),
    };
    let mut files = Vec::new();
    for change in store.file_changes(&before, &after)? {
        let status = match (
            store.has_file_at(&before, &change.path)?,
            store.has_file_at(&after, &change.path)?,
        ) {
            (false, _) => "added",
            (true, false) => "deleted",
            (true, true) => "modified",
        };
        let diff = store.diff_of(&before, &after, std::slice::from_ref(&change.path))?;
        files.push(ReviewFile {
            path: change.path.display().to_string(),
            status: status.into(),
            added: change.added,
            removed: change.removed,
            diff,
        });
    }
    Ok(PendingReview {
        before,
        after,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_what_was_rejected_kept_and_why() {
        let decision = ReviewDecision {
            rejected: vec!["a.txt".into()],
            reason: Some("keep a.txt as it is".into()),
        };
        let note = note(&decision, &["b.txt"]);
        assert!(note.starts_with("[review] The user rejected your changes to a.txt"));
        assert!(note.contains("Your changes to b.txt were kept."));
        assert!(note.ends_with("The user's reason: keep a.txt as it is"));
    }

    #[test]
    fn modes_toggle_and_come_from_the_setting() {
        let mut settings = Settings::default();
        assert_eq!(ChatMode::from_settings(&settings), ChatMode::Autopilot);
        settings.set("chat.mode", "supervised").unwrap();
        assert_eq!(ChatMode::from_settings(&settings), ChatMode::Supervised);
        assert_eq!(ChatMode::Supervised.toggled(), ChatMode::Autopilot);
    }
}
