//! The built-in tools the model calls (`read`, `write`, `shell`, `code`,
//! `subagent`, …), listed in [`registry`] (one file per tool).
//!
//! Each tool does one thing and knows nothing of the model or the UI. None
//! runs without an [`Approval`] from the policy that covers the exact call,
//! and each opens the path the policy judged (resolved the same way, through
//! [`Roots`]).

pub mod args;
mod cancel;
pub mod registry;
pub mod text;

/// Declares each built-in tool's module (`src/tools/NAME.rs`, whose type
/// implements [`registry::Tool`]) and registers it in [`TOOLS`].
macro_rules! builtin_tools {
    ($($module:ident :: $tool:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every built-in tool, in the order the model is shown them.
        pub const TOOLS: &[&dyn registry::Tool] = &[$(&$module::$tool),*];
    };
}

// Adding a built-in tool is adding its file and one line here.
builtin_tools! {
    read::Read,
    write::Write,
    shell::Shell,
    glob::Glob,
    grep::Grep,
    thinking::Thinking,
    todo::TodoTool,
    introspect::Introspect,
    report::Report,
    session::SessionTool,
    web_fetch::WebFetch,
    web_search::WebSearch,
    subagent::Subagent,
    knowledge::Knowledge,
    code::Code,
    use_aws::UseAws,
    delegate::Delegate,
    summary::Summary,
    tool_search::ToolSearch,
    switch_to_execution::SwitchToExecution,
}

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::policy::paths::Roots;
use crate::policy::{Approval, ToolCall};

use crate::sandbox::Sandbox;
pub use cancel::Cancel;

/// What a tool needs from the session.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The workspace and home folder, as the policy resolves paths.
    pub roots: Roots,
    /// Environment variables the agent file lets through the shell tool's
    /// scrubbing, by exact name.
    pub env_passthrough: Vec<String>,
    /// Cancels running shell commands (their process groups are killed).
    pub cancel: Cancel,
    /// The OS sandbox every shell command runs in.
    pub sandbox: Sandbox,
    /// What the session's own tools read (todo lists, settings, rules).
    pub session: SessionInfo,
    /// What the policy never lets the code index read.
    pub hidden: crate::policy::Hidden,
    /// The folder the code index is stored in (`None`: memory only).
    pub code_index: Option<PathBuf>,
}

/// What the tools that work on the session rather than the workspace
/// read: `todo_list`, `introspect`, `report_issue`, `session`, and the web
/// tools' settings. Filled in when the session is assembled and started.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    /// The session's todo lists.
    pub todo: todo::TodoBoard,
    /// The user's settings, as the session started with them.
    pub settings: Arc<crate::settings::Settings>,
    /// The data folder (where reports are written); `None` in tests that
    /// keep no state.
    pub data: Option<PathBuf>,
    /// The agent's name and model, for reports.
    pub agent: String,
    /// The model id.
    pub model: String,
    /// The agent's rules, as the policy explains them (for `introspect`).
    pub rules: Arc<str>,
    /// `web_fetch`'s URL rules (the fetch re-checks redirects and the
    /// addresses a name resolves to against them).
    pub urls: crate::config::agent::UrlRules,
    /// The last tool failure of the session, for reports.
    pub last_error: Arc<Mutex<Option<String>>>,
    /// The agent's policy, for tools that find files themselves
    /// (`knowledge`) to judge each one as a read.
    pub read_policy: Option<Arc<crate::policy::Policy>>,
    /// The agent file's `knowledgeBase` resources.
    pub knowledge_bases: Arc<[crate::config::agent::KnowledgeBase]>,
    /// The workspace's saved sessions (for `session`).
    pub saved_sessions: SavedSessions,
    /// The tools offered to the model, name and description (for
    /// `tool_search`).
    pub tool_index: Arc<[(String, String)]>,
    /// Set once `knowledge` has brought those into its index this session.
    pub knowledge_synced: Arc<std::sync::atomic::AtomicBool>,
    /// A plan `switch_to_execution` hands off at the end of the turn.
    pub handoff: switch_to_execution::Handoff,
}

/// Lists the workspace's saved sessions, one line each, newest first.
/// The chat controller, which owns the session store, fills it in; tools
/// sit below it and only call it.
#[derive(Clone, Default)]
pub struct SavedSessions(Option<Arc<dyn Fn() -> Vec<String> + Send + Sync>>);

impl SavedSessions {
    /// Sessions listed by `list`.
    pub fn new(list: impl Fn() -> Vec<String> + Send + Sync + 'static) -> SavedSessions {
        SavedSessions(Some(Arc::new(list)))
    }

    /// The lines, or `None` when this session keeps no saved sessions.
    pub fn lines(&self) -> Option<Vec<String>> {
        self.0.as_ref().map(|list| list())
    }
}

impl std::fmt::Debug for SavedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SavedSessions(..)"
        } else {
            "SavedSessions(none)"
        })
    }
}

/// A tool's result, as the model will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The text sent back to the model.
    pub text: String,
    /// True when the tool failed; the model is told so.
    pub is_error: bool,
    /// Files the tool changed, when it knows (write); checkpoints use it.
    pub changed: Vec<PathBuf>,
    /// The command's exit code (shell), for the audit log.
    pub exit_code: Option<i32>,
    /// Files the tool asks the dispatcher to write, each through the
    /// `write` tool and its rules (a `code` rewrite).
    pub writes: Vec<crate::code::ops::PlannedWrite>,
    /// What a `code` call (or the diagnostics after a write) found, as
    /// data: the dispatcher emits each as a `code` event.
    pub code: Vec<crate::code::report::CodeReport>,
}

impl ToolOutput {
    /// A successful result.
    pub fn ok(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            is_error: false,
            changed: Vec::new(),
            exit_code: None,
            writes: Vec::new(),
            code: Vec::new(),
        }
    }

    /// A failed result.
    pub fn error(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            is_error: true,
            changed: Vec::new(),
            exit_code: None,
            writes: Vec::new(),
            code: Vec::new(),
        }
    }
}

impl ToolContext {
    /// The context of one call about to be handed to a thread: a
    /// [`Cancel::cancel_running`] from now on stops it, even if it starts
    /// after.
    pub fn for_call(&self) -> ToolContext {
        ToolContext {
            cancel: self.cancel.for_call(),
            ..self.clone()
        }
    }
}

/// Runs `call`, which `approval` must cover exactly; a call without its
/// approval does not run. `call.tool` names a built-in tool in either
/// spelling.
pub fn run(call: &ToolCall, approval: &Approval, context: &ToolContext) -> ToolOutput {
    if !approval.covers(call) {
        return ToolOutput::error("refused: this call was not approved by the policy");
    }
    match registry::find(&call.tool) {
        Some(tool) => tool.run(&call.input, &context.for_call()),
        None => ToolOutput::error(format!(
            "`{}` is not a built-in tool `agent` can run",
            call.tool
        )),
    }
}

/// A required string field of a tool's input.
pub(crate) fn required_str<'a>(input: &'a Value, key: &str) -> Result<&'a str, ToolOutput> {
    input
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ToolOutput::error(format!("the input needs a `{key}` string")))
}

/// An optional string field.
pub(crate) fn optional_str<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// An optional non-negative integer field.
pub(crate) fn optional_u64(input: &Value, key: &str) -> Option<u64> {
    input.get(key).and_then(Value::as_u64)
}
