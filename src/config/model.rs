//! The agent file as written on disk: serde and JSON-Schema types.
//!
//! These types mirror Kiro CLI's format field for field and reject unknown
//! keys, because a misspelt guardrail (`allowed_commands`) that is silently
//! ignored is a fence that is not there. Per-tool settings are kept as raw
//! JSON here and typed in [`super::validate`], because their key decides their
//! type (`fs_write` and `write` are one tool, `@server/tool` is passed through).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An agent file (`.kiro/agents/NAME.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Kiro-compatible agent file")]
pub struct AgentFile {
    /// A JSON-Schema reference for editors; ignored.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The agent's name; defaults to the file name without `.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the agent is for, shown in `agent agent list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The system prompt, inline or `file://PATH` (relative to the agent file's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The tools the model can see: built-in names, `@server`, `@server/tool`, `@builtin`, `*`.
    /// Absent means none, as in Kiro.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// New names for MCP tools: `{"@server/tool": "newname"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tool_aliases: BTreeMap<String, String>,
    /// Tools that run without asking, inside their fences: exact names, `*`/`?` globs,
    /// `@server`, `@server/tool_*`, `@builtin`, `@builtin/NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tools: Vec<String>,
    /// Per-tool settings keyed by tool name (see the `ToolsSettings` definition).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "super::schema::tools_settings_schema")]
    pub tools_settings: BTreeMap<String, Value>,
    /// Context: `file://PATH` or `file://GLOB` (loaded at start), `skill://PATH`
    /// or `skill://GLOB` (each `SKILL.md`'s name and description at start, its
    /// body on request), or a `{"type": "knowledgeBase", "source": …}` object.
    /// Relative paths are relative to the workspace root, as Kiro reads them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::resources_schema")]
    pub resources: Vec<Value>,
    /// Commands run at points of the agent's life.
    #[serde(default, skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
    /// MCP servers the agent starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// Also load `.kiro/settings/mcp.json` and `~/.kiro/settings/mcp.json`.
    #[serde(
        default,
        deserialize_with = "present_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_mcp_json: Option<bool>,
    /// The old name of `includeMcpJson` (Q CLI).
    #[serde(
        default,
        deserialize_with = "present_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_legacy_mcp_json: Option<bool>,
    /// The model id, such as `claude-sonnet-4` or `openai/gpt-4.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// A key binding that switches to this agent (accepted for compatibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard_shortcut: Option<String>,
    /// Shown when the agent starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<String>,
    /// Kiro 3's permission rules: a list of `{capability, match, exclude,
    /// effect}` (or `{"rules": [...]}`); see `agent agent schema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::permissions_schema")]
    pub permissions: Option<Value>,
}

/// A boolean that may be left out but not written as `null` (Kiro reads
/// these fields as plain booleans).
fn present_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    bool::deserialize(d).map(Some)
}

/// Hook lists by trigger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Hooks {
    /// Run once when the agent starts; stdout joins the context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_spawn: Vec<Hook>,
    /// Run for each user prompt; stdout joins the context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_prompt_submit: Vec<Hook>,
    /// Run before a tool call; exit code 2 blocks it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_tool_use: Vec<Hook>,
    /// Run after a tool call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_tool_use: Vec<Hook>,
    /// Run when the agent finishes its turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<Hook>,
}

impl Hooks {
    /// True when no hook is configured.
    pub fn is_empty(&self) -> bool {
        self.agent_spawn.is_empty()
            && self.user_prompt_submit.is_empty()
            && self.pre_tool_use.is_empty()
            && self.post_tool_use.is_empty()
            && self.stop.is_empty()
    }
}

/// One hook command. Field names are snake_case, as in Kiro CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    /// The shell command to run.
    pub command: String,
    /// Which tools it applies to (tool hooks only): a name, glob, `@server`, `@builtin`, `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Milliseconds before the hook is killed (default 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Seconds a result is reused for the same input (default 0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl_seconds: Option<u64>,
    /// Bytes of output kept (default 10240).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_size: Option<u64>,
    /// A `preToolUse` hook that times out or cannot start lets the call go
    /// on instead of blocking it (default false: fail closed). An `agent`
    /// addition to Kiro's format.
    #[serde(default, rename = "failOpen", skip_serializing_if = "Option::is_none")]
    pub fail_open: Option<bool>,
}

/// An MCP server: a local command (stdio) or a remote URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct McpServer {
    /// The program to start (stdio servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The endpoint (remote servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HTTP headers sent to a remote server.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `stdio` or `http`; inferred when absent.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub transport: Option<McpTransport>,
    /// Milliseconds allowed for start-up and each request (default 120000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Keep the entry but do not start it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Tools of this server the model is never shown (nor may call).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
    /// OAuth scopes of a remote server (accepted; OAuth is not supported here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_scopes: Option<Vec<String>>,
    /// OAuth settings of a remote server (accepted; OAuth is not supported here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<Value>,
}

/// How `agent` talks to an MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum McpTransport {
    /// A child process speaking JSON-RPC on stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    Http,
}

/// Settings of the `read` and `write` tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PathSettings {
    /// Globs (gitignore-style; `dir` covers `dir/**`) where the tool runs unasked.
    /// When present, it is a fence: outside it the tool asks, or is refused unattended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_paths: Option<Vec<String>>,
    /// Globs the tool may never touch; deny always wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_paths: Vec<String>,
}

/// Settings of the `glob` and `grep` tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SearchSettings {
    /// Globs where the tool runs unasked; when present, a fence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_paths: Option<Vec<String>>,
    /// Globs the tool may never search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_paths: Vec<String>,
    /// Run unasked anywhere not denied (the tool only reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_read_only: Option<bool>,
}

/// Settings of the `web_fetch` tool, as Kiro reads them: regular
/// expressions matched against the whole URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UrlSettings {
    /// URLs fetched unasked (when no `blocked` pattern matches).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted: Vec<String>,
    /// URLs never fetched; a pattern that does not compile blocks every URL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
}

/// Settings of the `subagent` tool (Kiro's `toolsSettings.subagent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubagentSettings {
    /// Agents that may run as sub-agents: names or globs (`review-*`).
    /// When present, any other agent is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available_agents: Vec<String>,
    /// Agents that run as sub-agents without asking: names or globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_agents: Vec<String>,
}

/// Settings of the `use_aws` tool, as Kiro reads them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsSettings {
    /// Services (`s3api`, `ec2`, …) whose every operation runs unasked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_services: Vec<String>,
    /// Services never called; deny wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_services: Vec<String>,
    /// Let read-only operations (`describe-*`, `list-*`, `get-*`, …) run
    /// unasked (default true, as in Kiro).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allow_readonly: Option<bool>,
}

/// Settings of the `code` tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CodeSettings {
    /// Append a language server's errors in the changed files to each
    /// write's result, and to a shell command's (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics_after_write: Option<bool>,
}

/// Settings of the `shell` tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShellSettings {
    /// Regular expressions, each matched against a whole simple command, that run unasked.
    /// When present, a fence: other commands ask, or are refused unattended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_commands: Option<Vec<String>>,
    /// Regular expressions that are always refused; deny always wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_commands: Vec<String>,
    /// Let known read-only commands (`ls`, `cat`, `git status`, …) run unasked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allow_readonly: Option<bool>,
    /// Refuse, rather than ask, what no rule allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_by_default: Option<bool>,
    /// Environment variables passed to commands although their names look
    /// like secrets (`*TOKEN*`, `*KEY*`, …), which are otherwise scrubbed.
    /// An `agent` addition to Kiro's format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pass_env: Vec<String>,
    /// The OS sandbox every command runs in: `auto` (default: every layer this
    /// machine has), `required` (refuse commands unless every layer can be set
    /// up) or `off`. An `agent` addition to Kiro's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// Let commands reach the network (default false: a loopback of their
    /// own only). An `agent` addition to Kiro's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
    /// Extra folders commands may write, beside the folders of
    /// `write.allowedPaths` (a cache, say): `~/x`, `/abs` or relative to the
    /// workspace. An `agent` addition to Kiro's format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_paths: Vec<String>,
}

/// How shell commands are sandboxed (`toolsSettings.shell.sandbox`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Every layer this machine has; a missing one is reported once.
    #[default]
    Auto,
    /// Shell commands are refused unless every layer can be set up.
    Required,
    /// No OS sandbox: the policy alone decides (a warning says so at start).
    Off,
}
