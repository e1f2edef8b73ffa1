//! The command line, as clap definitions only. Each subcommand's behaviour
//! lives in `crate::commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::chat::checkpoint::CheckpointCommand;

/// A guardrailed terminal coding agent that reads Kiro CLI agent files.
#[derive(Debug, Parser)]
#[command(name = "agent", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `agent checkpoint [--session ID] …`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Whose checkpoints: a chat session's id as `list --all` shows it, or `shared` (default: the session whose newest checkpoint is the latest).
    #[arg(long, global = true, value_name = "ID")]
    pub session: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: CheckpointCommand,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with agent files: list, validate, create, print the schema.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Run the agent on a prompt (headless with --no-interactive).
    Chat(ChatArgs),
    /// Spec-driven work, headless: `new NAME PROMPT`, `approve NAME`, `run NAME [TASK] [--max N]`,
    /// `status [NAME]` (the same as `agent chat --no-interactive '/spec …'`).
    Spec(SpecArgs),
    /// Serve the Agent Client Protocol (v1) on stdin and stdout, for editors such as Zed.
    Acp(AcpArgs),
    /// Show or change settings (`agent settings chat.defaultModel openai/gpt-4.1`).
    Settings(SettingsArgs),
    /// Look at, compare and restore this workspace's checkpoints.
    Checkpoint(CheckpointArgs),
    /// Explain guardrail decisions.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Report what `agent` can use on this machine.
    Doctor,
    /// List MCP servers; add or remove them in `mcp.json` (used by agents with `includeMcpJson`).
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Show the skills (`skill://` resources) an agent sees.
    #[command(subcommand)]
    Skills(SkillsCommand),
    /// The git worktrees sub-agents left behind in this workspace.
    #[command(subcommand)]
    Worktree(WorktreeCommand),
    /// Language servers for the `code` tool: `init` writes `.kiro/settings/lsp.json`.
    #[command(subcommand)]
    Code(CodeCommand),
}

/// `agent worktree …`.
#[derive(Debug, Subcommand)]
pub enum WorktreeCommand {
    /// List this workspace's sub-agent worktrees still on disk (a process killed before it removed them).
    List,
    /// Remove them and their entries in `.git`.
    Clean,
}

/// `agent code …`.
#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Detect the workspace's languages and the servers on PATH; write `.kiro/settings/lsp.json`.
    Init,
    /// The configured servers, and the known servers found on PATH.
    Status,
    /// Build or bring up to date the workspace's symbol index and say how long it took;
    /// with `--query`, also time a symbol search on it.
    Index {
        /// A symbol name to search for.
        #[arg(long)]
        query: Option<String>,
        /// How many times to run the search (the median and 95th percentile are shown).
        #[arg(long, default_value_t = 20)]
        repeat: usize,
        /// Benchmark the in-session path: start a change journal, append a comment line to
        /// this many indexed files (this changes the workspace), and time the re-index from
        /// the journal's paths.
        #[arg(long, default_value_t = 0)]
        touch: usize,
    },
}

/// `agent skills …`.
#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// List an agent's skills: name, description, file.
    List {
        /// The agent: a name found from here, or a path (default: `default`).
        #[arg(long)]
        agent: Option<String>,
    },
}

/// `agent mcp …`.
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// List MCP servers: an agent's own (`--agent`), the workspace's and the user's `mcp.json`.
    List {
        /// Also list this agent's `mcpServers` (a name found from here, or a path).
        #[arg(long)]
        agent: Option<String>,
    },
    /// Add a server to `mcp.json`: `agent mcp add --name fs --command npx --args -y @modelcontextprotocol/server-filesystem .`
    Add {
        /// The server's name (its tools are `@NAME/TOOL`).
        #[arg(long)]
        name: String,
        /// The program to start (a stdio server).
        #[arg(long, required_unless_present = "url", conflicts_with = "url")]
        command: Option<String>,
        /// Its arguments.
        #[arg(long, num_args = 1.., allow_hyphen_values = true)]
        args: Vec<String>,
        /// The endpoint of a streamable-HTTP server.
        #[arg(long)]
        url: Option<String>,
        /// An environment variable for the server, `KEY=VALUE` (repeatable).
        #[arg(long, value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// Milliseconds for start-up and each call (default 120000).
        #[arg(long, value_name = "MS")]
        timeout: Option<u64>,
        /// `workspace` (`.kiro/settings/mcp.json`) or `global` (`~/.kiro/settings/mcp.json`).
        #[arg(long, value_enum, default_value = "workspace")]
        scope: McpScope,
        /// Replace a server of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Accept the tool definitions a server serves now: its pins in this workspace are
    /// forgotten, so the definitions served at their next use are pinned instead.
    Trust {
        /// The server's name.
        name: String,
    },
    /// Remove a server from `mcp.json`.
    Remove {
        /// The server's name.
        #[arg(long)]
        name: String,
        /// Which `mcp.json`.
        #[arg(long, value_enum, default_value = "workspace")]
        scope: McpScope,
    },
}

/// Which `mcp.json` an `agent mcp` command edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum McpScope {
    /// The workspace's `.kiro/settings/mcp.json`.
    Workspace,
    /// The user's `~/.kiro/settings/mcp.json`.
    Global,
}

/// `agent policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Decide one tool call as the agent would, and say why.
    ///
    /// Prints `{"decision": "allow"|"ask"|"deny", "reasons": [...]}` and exits 0
    /// whenever it could decide. Examples:
    ///   agent policy check --agent refactor-bot shell 'python -m pytest -q && git push'
    ///   agent policy check --agent refactor-bot write src/inventory.py
    ///   agent policy check --agent refactor-bot --input '{"path": "README.md"}' read
    ///   agent policy check --as-child-of refactor-bot --agent helper shell 'rm -rf build'
    Check(PolicyCheckArgs),
}

/// `agent policy check`.
#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// The agent: a name found from here, or a path to an agent file.
    #[arg(long, default_value = "default")]
    pub agent: String,
    /// Decide as `--agent` would when run as a sub-agent of this agent:
    /// the stricter of the two decides, and the output says which side did.
    #[arg(long, value_name = "PARENT")]
    pub as_child_of: Option<String>,
    /// With --as-child-of: the parent side is judged with the --trust-*
    /// flags too (by default a parent's session trust does not reach its
    /// children).
    #[arg(long, requires = "as_child_of")]
    pub inherit_trust: bool,
    /// Decide as when nobody can be asked (`--no-interactive`): ask becomes deny.
    #[arg(long)]
    pub unattended: bool,
    /// Trust every tool for this session (deny rules and fences still hold).
    #[arg(long)]
    pub trust_all_tools: bool,
    /// Trust these tools for this session (comma-separated, `allowedTools` syntax).
    #[arg(long, value_delimiter = ',', value_name = "TOOLS")]
    pub trust_tools: Vec<String>,
    /// Print a readable tree of the simple commands found and the rule each met.
    #[arg(long)]
    pub explain: bool,
    /// The tool's whole input as JSON (for any tool), instead of ARG.
    #[arg(long, value_name = "JSON")]
    pub input: Option<String>,
    /// The workspace paths are judged in (default: the git root above the current folder, else the current folder).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The tool: shell, read, write, glob, grep, or any other tool name with --input.
    pub tool: String,
    /// The shell command (for shell) or the path (for read, write, glob, grep).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub arg: Vec<String>,
}

/// `agent agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// List the agents visible from here, nearest definition first.
    List,
    /// Check agent files; errors name the file, line and column. Exit code 2 on any error.
    Validate {
        /// Agent files to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Treat every warning as an error (what Kiro skips silently fails here).
        #[arg(long)]
        strict: bool,
    },
    /// Convert between Kiro 3's Markdown agents and Kiro 2's JSON agents; prints the result.
    Convert {
        /// The agent file: `.md` becomes JSON (its `permissions` written as V2 fields), `.json` becomes Markdown.
        path: PathBuf,
        /// Write here instead of printing; never overwrites an existing file.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print the JSON Schema of agent files.
    Schema,
    /// Write a starter agent with safe defaults to `.kiro/agents/NAME.json` in the workspace root.
    Create {
        /// The new agent's name (letters, digits, `-`, `_`, `.`).
        name: String,
    },
}

/// `agent settings [KEY [VALUE]]`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The setting; without it every setting is listed.
    pub key: Option<String>,
    /// The new value; without it the current value is printed.
    pub value: Option<String>,
    /// Remove the setting instead.
    #[arg(long, requires = "key", conflicts_with = "value")]
    pub delete: bool,
}

/// `agent acp`.
#[derive(Debug, Args)]
pub struct AcpArgs {
    /// The agent every session runs: a name found from the session's folder, or a path to an
    /// agent file (default: the `chat.defaultAgent` setting, else the built-in `default`).
    #[arg(long)]
    pub agent: Option<String>,
    /// The model (default: the agent's, else `chat.defaultModel`).
    #[arg(long)]
    pub model: Option<String>,
    /// Run the hooks and MCP servers the workspace's agent file and `mcp.json` bring.
    #[arg(long)]
    pub trust_workspace: bool,
}

/// `agent spec`: a `/spec` command run as a headless chat.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The agent (as for `agent chat`).
    #[arg(long)]
    pub agent: Option<String>,
    /// The model (as for `agent chat`).
    #[arg(long)]
    pub model: Option<String>,
    /// How to print the run.
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: crate::ui::headless::OutputFormat,
    /// Run the hooks and MCP servers the workspace's agent file brings.
    #[arg(long)]
    pub trust_workspace: bool,
    /// The spec command and its words: `new NAME PROMPT…`, `approve NAME`,
    /// `run NAME [TASK] [--max N]`, `status [NAME]`.
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

impl SpecArgs {
    /// The `agent chat --no-interactive '/spec WORDS'` this stands for
    /// (`words` are [`SpecArgs::words`] joined as a shell would quote them).
    pub fn as_chat(&self, words: &str) -> Result<ChatArgs, clap::Error> {
        let line = format!("/spec {words}");
        let mut argv = vec![
            "agent".to_string(),
            "chat".into(),
            "--no-interactive".into(),
        ];
        for (flag, value) in [("--agent", &self.agent), ("--model", &self.model)] {
            if let Some(value) = value {
                argv.extend([flag.to_string(), value.clone()]);
            }
        }
        let format = clap::ValueEnum::to_possible_value(&self.output_format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_else(|| "text".into());
        argv.extend(["--output-format".to_string(), format]);
        if self.trust_workspace {
            argv.push("--trust-workspace".into());
        }
        argv.extend(["--".to_string(), line]);
        match Cli::try_parse_from(argv)?.command {
            Command::Chat(args) => Ok(args),
            _ => Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand)),
        }
    }
}

/// `agent chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Run without asking anyone: what needs approval is refused, output goes to stdout.
    #[arg(long)]
    pub no_interactive: bool,
    /// Work in a new git worktree of this repository (beside the state folder, detached at
    /// HEAD, your uncommitted files copied in), so two sessions on one repository do not step
    /// on each other; NAME defaults to the time. `agent worktree list|clean` finds and removes it.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub worktree: Option<String>,
    /// The agent: a name found from here, or a path to an agent file (default: the
    /// `chat.defaultAgent` setting, else the built-in `default`).
    #[arg(long)]
    pub agent: Option<String>,
    /// The model, e.g. `anthropic/claude-sonnet-4`, `openai/gpt-4.1`, `ollama/qwen2.5-coder`, or
    /// `replay/PATH` for recorded model turns (default: the agent's `model`, else the
    /// `chat.defaultModel` setting).
    #[arg(long)]
    pub model: Option<String>,
    /// Trust every tool for this session (deny rules and fences still hold).
    #[arg(long, conflicts_with = "trust_tools")]
    pub trust_all_tools: bool,
    /// Trust these tools for this session (comma-separated, `allowedTools` syntax).
    #[arg(long, value_delimiter = ',', value_name = "TOOLS")]
    pub trust_tools: Vec<String>,
    /// How to print the run.
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: crate::ui::headless::OutputFormat,
    /// Continue this workspace's last session (its agent and model, unless given).
    #[arg(long)]
    pub resume: bool,
    /// List this workspace's saved sessions and exit.
    #[arg(long)]
    pub list_sessions: bool,
    /// Run the hooks (and MCP servers) this repository's agent file brings, without asking
    /// (interactive chat asks once per content; headless runs skip them without this flag or
    /// the `trust.workspaces` setting).
    #[arg(long)]
    pub trust_workspace: bool,
    /// Stop with exit code 3 when an MCP server fails to start (otherwise it is a warning).
    #[arg(long)]
    pub require_mcp_startup: bool,
    /// Also append the audit log (one JSON line per tool call) to this file.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<std::path::PathBuf>,
    /// Lines appended to this file while the run goes on are sent to the model at the next
    /// tool boundary (steering a headless run or goal).
    #[arg(long, value_name = "PATH", requires = "no_interactive")]
    pub steer_file: Option<std::path::PathBuf>,
    /// Stop after this many turns (headless default: 100; a goal's planning and each
    /// iteration are one turn each). Reaching any `--max-*` bound exits with code 5.
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u64>,
    /// Stop after this many model requests over the run (headless default: 500).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Stop once the run's model requests used this many tokens, prompt and reply
    /// (headless default: 5000000).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Stop after this many minutes from the first turn (headless default: 60).
    #[arg(long, value_name = "N")]
    pub max_minutes: Option<u64>,
    /// Supervised mode for this chat (instead of the `chat.mode` setting): after each turn the
    /// files it changed wait for you to accept or reject them. With --no-interactive it is a
    /// dry run: the pending diff goes into the result (`review`) and the files are left as
    /// they were before the turn.
    #[arg(long)]
    pub supervised: bool,
    /// Use the plain line mode even on a terminal (it is the default when stdin or stdout
    /// is not a terminal, or TERM is `dumb`).
    #[arg(long, conflicts_with = "no_interactive")]
    pub classic: bool,
    /// The terminal UI's colours: `dark`, `light`, or `auto` (light when COLORFGBG says
    /// the background is light).
    #[arg(long, value_enum, env = "AGENT_THEME", default_value = "auto")]
    pub theme: crate::ui::tui::theme::ThemeChoice,
    /// The prompt; `-` reads it from stdin. Piped stdin with a prompt is added as context.
    pub prompt: Option<String>,
}
