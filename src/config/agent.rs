//! The validated agent: what the rest of `agent` works with.
//!
//! Every rule keeps its [`Origin`] (file, line, column, JSON path) so that a
//! policy decision can say exactly which line of which file made it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use regex::Regex;
use serde_json::Value;

use super::error::{JsonPath, Position};
use super::model::{Hooks, McpServer, SandboxMode};
use super::permissions::Permission;

/// Where an agent came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentSource {
    /// An agent file on disk.
    File(PathBuf),
    /// Compiled into `agent` (the `default` agent).
    BuiltIn,
}

impl fmt::Display for AgentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentSource::File(path) => write!(f, "{}", path.display()),
            AgentSource::BuiltIn => f.write_str("(built-in)"),
        }
    }
}

/// Where a rule was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The agent it belongs to.
    pub source: AgentSource,
    /// Its line and column in that file (`None` for built-in rules).
    pub position: Option<Position>,
    /// Its JSON path, e.g. `toolsSettings.shell.deniedCommands[1]`.
    pub path: JsonPath,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(Position { line, column }) => {
                write!(f, "{}:{line}:{column} {}", self.source, self.path)
            }
            None => write!(f, "{} {}", self.source, self.path),
        }
    }
}

/// A value from the agent file together with where it was written.
#[derive(Debug, Clone)]
pub struct Rule<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// `web_fetch`'s URL rules, compiled as Kiro compiles them.
#[derive(Debug, Clone, Default)]
pub struct UrlRules {
    /// URLs fetched unasked.
    pub trusted: Vec<Rule<CommandPattern>>,
    /// URLs never fetched; deny wins.
    pub blocked: Vec<Rule<CommandPattern>>,
}

/// A Kiro-style command regex, compiled anchored as a whole (`\A(?:…)\z`).
#[derive(Debug, Clone)]
pub struct CommandPattern {
    /// The expression as written.
    pub source: String,
    /// The compiled, anchored expression; `None` when it does not compile,
    /// which a deny list must treat as matching everything (fail closed).
    pub regex: Option<Regex>,
}

impl CommandPattern {
    /// Compiles `source` anchored at both ends, as Kiro CLI reads it.
    pub fn new(source: &str) -> Result<CommandPattern, regex::Error> {
        let regex = Regex::new(&format!(r"\A(?:{source})\z"))?;
        Ok(CommandPattern {
            source: source.to_string(),
            regex: Some(regex),
        })
    }
}

/// `allowedPaths` and `deniedPaths` of a file tool.
#[derive(Debug, Clone, Default)]
pub struct PathRules {
    /// Globs where the tool runs unasked; `None` when the file sets no fence.
    pub allowed: Option<Vec<Rule<String>>>,
    /// Globs the tool may never touch.
    pub denied: Vec<Rule<String>>,
    /// `allowReadOnly` (glob and grep only).
    pub allow_read_only: bool,
}

/// The `shell` tool's rules.
#[derive(Debug, Clone, Default)]
pub struct ShellRules {
    /// Commands that run unasked; `None` when the file sets no fence.
    pub allowed: Option<Vec<Rule<CommandPattern>>>,
    /// Commands that are always refused.
    pub denied: Vec<Rule<CommandPattern>>,
    /// Known read-only commands run unasked.
    pub auto_allow_readonly: bool,
    /// Refuse rather than ask when no rule allows.
    pub deny_by_default: bool,
    /// Secret-looking environment variables passed to commands anyway.
    pub pass_env: Vec<String>,
    /// How commands are sandboxed.
    pub sandbox: SandboxMode,
    /// Commands may reach the network.
    pub network: bool,
    /// Extra folders commands may write, as written (`~/x`, `/abs`, relative).
    pub writable_paths: Vec<Rule<String>>,
}

/// A tool whose settings `agent` does not fully understand: rather than
/// guess (and perhaps grant what the file meant to withhold), every call of
/// it asks, or is refused when the settings are broken the way Kiro refuses.
#[derive(Debug, Clone)]
pub struct Doubt {
    /// Refuse every call (a broken `shell` entry, as in Kiro) instead of asking.
    pub deny: bool,
    /// What was not understood, for the reason shown with each call.
    pub why: String,
    /// Where it is written.
    pub origin: Origin,
}

/// The `subagent` tool's rules: which agents may run as children, and
/// which run without asking.
#[derive(Debug, Clone, Default)]
pub struct SubagentRules {
    /// `availableAgents`: names or globs; empty allows any agent.
    pub available: Vec<Rule<String>>,
    /// `trustedAgents`: names or globs.
    pub trusted: Vec<Rule<String>>,
}

/// A `knowledgeBase` resource: a folder or file the `knowledge` tool
/// indexes the first time it is used in a session, and indexes again then
/// when `auto_update` is set and its files changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeBase {
    /// The context's name (Kiro: `unnamed` when the file gives none).
    pub name: String,
    /// What it holds, for the model.
    pub description: Option<String>,
    /// The folder or file, resolved against the workspace (`~/` expanded).
    pub source: std::path::PathBuf,
    /// Globs of files to index, relative to `source` (empty: every file).
    pub include: Vec<String>,
    /// Globs of files never indexed, relative to `source`.
    pub exclude: Vec<String>,
    /// Index again when the files changed since the last indexing.
    pub auto_update: bool,
}

/// The `use_aws` tool's rules.
#[derive(Debug, Clone)]
pub struct AwsRules {
    /// `allowedServices`: every operation of these runs unasked.
    pub allowed: Vec<Rule<String>>,
    /// `deniedServices`: never called.
    pub denied: Vec<Rule<String>>,
    /// `autoAllowReadonly` (default true).
    pub auto_allow_readonly: bool,
}

impl Default for AwsRules {
    fn default() -> AwsRules {
        AwsRules {
            allowed: Vec::new(),
            denied: Vec::new(),
            auto_allow_readonly: true,
        }
    }
}

/// Typed `toolsSettings`, keyed by the tools' current names.
#[derive(Debug, Clone, Default)]
pub struct ToolSettings {
    /// `read`.
    pub read: PathRules,
    /// `write`.
    pub write: PathRules,
    /// `glob`.
    pub glob: PathRules,
    /// `grep`.
    pub grep: PathRules,
    /// `shell`.
    pub shell: ShellRules,
    /// `web_fetch`.
    pub web_fetch: UrlRules,
    /// `subagent`.
    pub subagent: SubagentRules,
    /// `use_aws`.
    pub aws: AwsRules,
    /// `code`.
    pub code: super::model::CodeSettings,
    /// Settings of MCP tools (`@server/tool`), passed through untouched.
    pub mcp: BTreeMap<String, Value>,
    /// Tools (current names) whose settings were not fully understood.
    pub doubts: BTreeMap<&'static str, Doubt>,
}

/// A validated agent, ready for the policy and the engine.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The agent's name.
    pub name: String,
    /// Where it came from.
    pub source: AgentSource,
    /// What it is for.
    pub description: Option<String>,
    /// The system prompt, with a `file://` reference already read.
    pub prompt: Option<String>,
    /// Tools the model can see, built-in names in their current spelling.
    pub tools: Vec<Rule<String>>,
    /// New names for MCP tools.
    pub tool_aliases: BTreeMap<String, String>,
    /// Tools that run unasked inside their fences, as written.
    pub allowed_tools: Vec<Rule<String>>,
    /// Per-tool rules.
    pub settings: ToolSettings,
    /// Absolute paths or globs of files loaded into the context.
    pub resources: Vec<Rule<String>>,
    /// Absolute paths or globs of `SKILL.md` files (`skill://` resources).
    pub skills: Vec<Rule<String>>,
    /// `knowledgeBase` resources, indexed by the `knowledge` tool on first
    /// use.
    pub knowledge_bases: Vec<KnowledgeBase>,
    /// Kiro 3 permission rules, in file order.
    pub permissions: Vec<Rule<Permission>>,
    /// Kiro tools named in `tools` that `agent` does not run (skipped).
    pub not_implemented: Vec<String>,
    /// Matchers of `preToolUse` hooks that will not run (the workspace is
    /// not trusted): the calls they would have judged ask instead.
    pub unrun_pre_tool_hooks: Vec<Option<String>>,
    /// Hook commands.
    pub hooks: Hooks,
    /// MCP servers.
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// Also load the workspace's and the user's `mcp.json`.
    pub include_mcp_json: bool,
    /// The model id, if the file names one.
    pub model: Option<String>,
    /// Shown when the agent starts.
    pub welcome_message: Option<String>,
}

impl AgentConfig {
    /// Drops the programs this agent would start (hooks and MCP servers),
    /// for when they may not run (a repository's agent, the session's or a
    /// sub-agent's, in an untrusted workspace). The calls its `preToolUse`
    /// hooks would have judged ask instead, so dropping a hook never
    /// loosens anything.
    pub fn skip_programs(&mut self) {
        self.unrun_pre_tool_hooks = self
            .hooks
            .pre_tool_use
            .iter()
            .map(|h| h.matcher.clone())
            .collect();
        self.hooks = Default::default();
        self.mcp_servers.clear();
    }
}
