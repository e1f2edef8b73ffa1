//! The session's checkpoints, taken off the executor's threads: at the
//! start of a turn (the baseline, or what changed outside the agent), after
//! a call that changed something, and at the end of a turn; and the fence
//! audit of what a command changed.

use std::path::{Path, PathBuf};

use crate::checkpoint::{BASELINE, Checkpoint, CheckpointStore, OUTSIDE};
use crate::sandbox::fence::Violation;

use super::events::Event;
use super::session::{Emit, Scope, Session};

/// Where a call's checkpoint goes.
pub(super) enum Tag {
    /// A tool checkpoint inside the running turn (`N.M`); always taken when
    /// the tree changed.
    Fixed(String),
    /// A checkpoint of its own after the newest one (a call outside a
    /// turn: `!command`, a goal's check), taken only if the tree changed.
    Next,
    /// A tool checkpoint taken even when nothing changed: a `subagent`
    /// call's `N.M` after its children's `N.M.k`, so the tag is its own.
    Always(String),
}

impl Session {
    /// Runs `work` on the checkpoint store off the executor; `None` when
    /// checkpoints are off.
    async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut CheckpointStore) -> Result<T, String> + Send + 'static,
    ) -> Option<Result<T, String>> {
        let store = self.setup.checkpoints.clone()?;
        let done = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .map_err(|_| "the checkpoint store is unusable".to_string())?;
            work(&mut store)
        })
        .await;
        Some(done.map_err(|e| e.to_string()).and_then(|r| r))
    }

    /// Before a `code` call: hands the code index what the change journal
    /// saw touched since it last asked, so it looks only at those paths,
    /// or makes it walk when the journal cannot vouch. With checkpoints
    /// off the index relies on the calls' own reports and its walk.
    pub(super) async fn feed_code_index(&self) {
        let workspace = self.setup.tools.roots.workspace.clone();
        match self.with_store(|store| Ok(store.code_changes())).await {
            Some(Ok(Ok(paths))) => crate::code::index::vouch(&workspace, &paths),
            Some(_) => crate::code::index::mark_stale(&workspace),
            None => {}
        }
    }

    /// The turn number of the next checkpoints, taking the baseline (or a
    /// checkpoint of changes made outside the agent) first, and noting the
    /// newest checkpoint then as the turn's base; `None` when checkpoints
    /// are off or failed (a warning says why).
    pub(super) async fn start_checkpoints(&mut self, emit: &mut Emit<'_>) -> Option<u64> {
        self.turn_base = None;
        let prepared = self
            .with_store(|store| {
                let next = store.next_turn().map_err(|e| e.to_string())?;
                let (description, only_if_changed) = match store.is_empty() {
                    true => (BASELINE, false),
                    false => (OUTSIDE, true),
                };
                let taken = store
                    .snapshot(&next.to_string(), description, only_if_changed)
                    .map_err(|e| e.to_string())?;
                let turn = if taken.is_some() { next + 1 } else { next };
                let walked = store.full_walk().map(str::to_string);
                let base = store.latest().map_err(|e| e.to_string())?;
                Ok((turn, taken, walked, base))
            })
            .await?;
        match prepared {
            Ok((turn, taken, walked, base)) => {
                self.turn_base = base;
                if let Some(checkpoint) = taken {
                    self.marks.insert(turn - 1, self.messages.len());
                    emit(checkpoint_event(checkpoint, walked));
                }
                Some(turn)
            }
            Err(message) => {
                emit(Event::Warning {
                    message: format!("checkpoints are off for this turn: {message}"),
                });
                None
            }
        }
    }

    /// The scope the model's calls are checkpointed under, if any: this
    /// session's running `subagent` call's, else (for a child) its
    /// parent's call's.
    pub(super) fn scope(&self) -> Option<&Scope> {
        self.call_scope.as_ref().or(self.child_scope.as_ref())
    }

    /// The tag the model's next tool checkpoint would get (`N.M`, or
    /// `N.M.k` under a scope); `None` outside a turn or with checkpoints
    /// off.
    pub(super) fn next_call_tag(&self) -> Option<String> {
        match self.scope() {
            Some(scope) => Some(scope.next_tag()),
            None => self.turn.map(|turn| turn.next_tool_tag()),
        }
    }

    /// Counts a tool checkpoint of the model's call, under its scope or
    /// in the turn.
    pub(super) fn count_tool_checkpoint(&mut self) {
        if let Some(scope) = self.scope() {
            scope
                .taken
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        } else if let Some(turn) = &mut self.turn {
            turn.tool_checkpoints += 1;
        }
    }

    /// The newest checkpoint's tag, if checkpoints are on.
    pub(super) async fn latest_checkpoint(&self) -> Option<String> {
        self.with_store(|store| store.latest().map_err(|e| e.to_string()))
            .await?
            .ok()
            .flatten()
    }

    /// Takes a checkpoint (see [`Tag`]); its tag when taken. With
    /// `changed` paths (the write tool knows them) only those entries are
    /// updated; without, the workspace is walked. A turn checkpoint (`N`)
    /// is taken even when nothing changed.
    pub(super) async fn checkpoint(
        &self,
        tag: Tag,
        description: String,
        changed: Vec<PathBuf>,
        emit: &mut Emit<'_>,
    ) -> Option<String> {
        let taken = self
            .with_store(move |store| {
                let (tag, only_if_changed) = match tag {
                    Tag::Fixed(tag) => {
                        let is_turn = !tag.contains('.');
                        (tag, !is_turn)
                    }
                    Tag::Next => (
                        store.next_turn().map_err(|e| e.to_string())?.to_string(),
                        true,
                    ),
                    Tag::Always(tag) => (tag, false),
                };
                let taken = match changed.is_empty() {
                    true => store.snapshot(&tag, &description, only_if_changed),
                    false => store.snapshot_paths(&tag, &description, &changed),
                };
                let walked = store.full_walk().map(str::to_string);
                taken
                    .map(|t| t.map(|t| (t, walked)))
                    .map_err(|e| e.to_string())
            })
            .await?;
        match taken {
            Ok(Some((checkpoint, walked))) => {
                let tag = checkpoint.tag.clone();
                emit(checkpoint_event(checkpoint, walked));
                Some(tag)
            }
            Ok(None) => None,
            Err(message) => {
                emit(Event::Warning {
                    message: format!("a checkpoint could not be taken: {message}"),
                });
                None
            }
        }
    }

    /// The fence audit after a command: every file its checkpoint `tag`
    /// changed since `before` must lie where the agent may write (the
    /// sandbox's folders, and `write.allowedPaths` to the glob, which the
    /// kernel layer cannot express). A change outside is put back as it was
    /// at `before` and reported as a refused write; the returned text says
    /// so to the model. Also returns the changes that stay (absolute
    /// paths), for the diagnostics after a command.
    pub(super) async fn audit_fence(
        &self,
        before: String,
        tag: String,
        emit: &mut Emit<'_>,
    ) -> (String, Vec<PathBuf>) {
        let policy = self.setup.policy.clone();
        let tools = self.setup.tools.clone();
        let audited = self
            .with_store(move |store| {
                let changed = store
                    .changed_paths(&before, &tag)
                    .map_err(|e| e.to_string())?;
                let mut violations = tools.sandbox.fence(&tools.roots).audit(&changed);
                for path in &changed {
                    let full = tools.roots.workspace.join(path);
                    if !policy.inside_write_fence(&full)
                        && !violations.iter().any(|v| v.path == full)
                    {
                        violations.push(Violation {
                            path: full,
                            reason: "outside `write.allowedPaths`".into(),
                        });
                    }
                }
                let relative: Vec<PathBuf> = violations
                    .iter()
                    .filter_map(|v| v.path.strip_prefix(&tools.roots.workspace).ok())
                    .map(Path::to_path_buf)
                    .collect();
                if !relative.is_empty() {
                    store
                        .put_back(&before, &relative)
                        .map_err(|e| e.to_string())?;
                }
                let kept = changed
                    .iter()
                    .map(|path| tools.roots.workspace.join(path))
                    .filter(|full| !violations.iter().any(|v| &v.path == full))
                    .collect();
                Ok((violations, kept))
            })
            .await;
        match audited {
            None => (String::new(), Vec::new()),
            Some(Ok((violations, kept))) => (refusals(&violations, emit), kept),
            Some(Err(message)) => {
                emit(Event::Warning {
                    message: format!("the fence audit could not run: {message}"),
                });
                (String::new(), Vec::new())
            }
        }
    }
}

/// Each refused write of the fence audit, as a warning event and as text
/// for the model.
fn refusals(violations: &[Violation], emit: &mut Emit<'_>) -> String {
    violations
        .iter()
        .map(|violation| {
            let message = format!(
                "refused write: {} ({}); it was put back as it was before the command",
                violation.path.display(),
                violation.reason
            );
            emit(Event::Warning {
                message: message.clone(),
            });
            format!("\n{message}")
        })
        .collect()
}

/// The event for a checkpoint just taken (`full_walk`: why it walked).
pub(super) fn checkpoint_event(checkpoint: Checkpoint, full_walk: Option<String>) -> Event {
    Event::Checkpoint {
        tag: checkpoint.tag,
        description: checkpoint.description,
        added: checkpoint.added,
        modified: checkpoint.modified,
        deleted: checkpoint.deleted,
        full_walk,
    }
}

/// The first line of `text`, at most 72 characters, for descriptions.
pub(super) fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(72).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}
