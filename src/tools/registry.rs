//! The built-in tools `agent` can run, each one file implementing [`Tool`]:
//! its name, what the model is told, its input as JSON Schema, what it may
//! touch, and how it runs. Adding a tool is adding its file and one line to
//! the `builtin_tools!` list in `tools/mod.rs`, which fills [`TOOLS`]; the
//! dispatcher, the model's tool list, `/tools` and the planning filter all
//! read it from here.

use serde_json::Value;

use super::{ToolContext, ToolOutput};

/// What a tool may change, which decides what follows its run: a
/// checkpoint, and a fence audit of what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touches {
    /// Nothing: it only reads, so no checkpoint follows it (and a goal's
    /// planning turn may use it).
    Nothing,
    /// The files it reports in [`ToolOutput::changed`], and only those: the
    /// checkpoint updates just them.
    ReportedFiles,
    /// Anything its command does: the checkpoint walks the workspace and
    /// the fence audit checks every change.
    Anything,
}

/// One built-in tool. It knows nothing of the model or the UI, and runs
/// only once the dispatcher holds the policy's approval for the call.
pub trait Tool: Sync {
    /// The name the model calls it by (Kiro's current spelling).
    fn name(&self) -> &'static str;

    /// Older names that mean it (Kiro's renames: `fs_read` is `read`).
    fn aliases(&self) -> &'static [&'static str] {
        crate::config::tools::find(self.name()).map_or(&[], |tool| tool.aliases)
    }

    /// What it does, for the model.
    fn description(&self) -> &'static str;

    /// Its input, as JSON Schema; calls are checked against it first.
    fn input_schema(&self) -> Value;

    /// What it may change.
    fn touches(&self) -> Touches;

    /// Runs one approved call.
    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput;
}

pub use super::TOOLS;

/// The tool with this name or alias.
pub fn find(name: &str) -> Option<&'static dyn Tool> {
    TOOLS
        .iter()
        .copied()
        .find(|tool| tool.name() == name || tool.aliases().contains(&name))
}

/// The names of the tools `agent` can run, in order.
pub fn names() -> Vec<&'static str> {
    TOOLS.iter().map(|tool| tool.name()).collect()
}

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
    TOOLS
        .iter()
        .filter(|tool| visible.contains(&tool.name()))
        .map(|tool| ToolSpec {
            name: tool.name(),
            description: tool.description(),
            input_schema: tool.input_schema(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_found_by_name_and_old_name() {
        assert_eq!(find("fs_read").map(|t| t.name()), Some("read"));
        assert_eq!(find("execute_bash").map(|t| t.name()), Some("shell"));
        assert_eq!(find("grep").map(|t| t.touches()), Some(Touches::Nothing));
        assert!(find("web").is_none(), "a Kiro 3 category tag, not a tool");
        assert_eq!(find("aws").map(|t| t.name()), Some("use_aws"));
        assert_eq!(names()[..5], ["read", "write", "shell", "glob", "grep"]);
        assert_eq!(find("task").map(|t| t.name()), Some("todo_list"));
        assert_eq!(find("use_subagent").map(|t| t.name()), Some("subagent"));
        assert_eq!(find("code/read").map(|t| t.name()), Some("code"));
    }
}
