//! The slash commands about the session itself: `/tools` (what each tool
//! may do, and session trust), `/model`, `/agent list|swap`, `/context`,
//! `/compact`, `/clear` and `/usage`. Parsing lives in [`super::slash`];
//! these act on the [`Chat`] and return text to show.

use clap::Subcommand;

use super::{Chat, ChatError};
use crate::config::patterns::ToolId;
use crate::engine::context::estimate_tokens;
use crate::engine::{Caller, Emit};
use crate::policy::tools::{pre_approval, tool_id};
use crate::policy::{Policy, Trust};
use crate::provider::{Client, Endpoint};
use crate::tools::registry;

/// `/tools …`: change what this session trusts (deny rules and fences
/// always hold).
#[derive(Debug, Subcommand)]
pub enum ToolsAction {
    /// Trust a tool for this session (`allowedTools` syntax: `shell`, `@git`).
    Trust {
        /// The tool.
        tool: String,
    },
    /// Drop this session's trust in a tool, and its grants.
    Untrust {
        /// The tool.
        tool: String,
    },
    /// Trust every tool for this session (as `--trust-all-tools`).
    TrustAll,
    /// Drop all session trust: back to the agent file's rules.
    Reset,
}

/// `/agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// The agents visible from here.
    List,
    /// Go on with another agent: its tools, rules, prompt and sandbox from the next turn
    /// (the conversation and model stay; trust given in this chat is dropped).
    Swap {
        /// The agent: a name found from here, or a path to an agent file.
        name: String,
    },
}

/// `/agent swap NAME`: the session's rules, tools, system prompt and
/// sandbox become the new agent's, assembled as at chat start. An agent
/// with hooks or MCP servers needs a new chat, where they are shown for
/// trust and started.
pub fn agent_swap(chat: &mut Chat, name: &str) -> Result<String, ChatError> {
    let home = crate::paths::home_dir();
    let (validated, _) = crate::config::load(name, &chat.cwd, home.as_deref())
        .map_err(|e| ChatError::usage(format!("{e}\n")))?;
    let config = validated.config;
    if !config.hooks.is_empty() || !config.mcp_servers.is_empty() {
        return Err(ChatError::usage(format!(
            "`{}` runs hooks or MCP servers, which are shown for trust and started with a new chat: `agent chat --agent {name} --resume`\n",
            config.name
        )));
    }
    let workspace = chat.saved.workspace.clone();
    let guardrails = crate::config::guardrails::load(&workspace, home.as_deref())
        .map_err(|e| ChatError::usage(format!("{e}\n")))?;
    let agent = config.name.clone();
    let setup = crate::engine::SessionSetup::assemble(crate::engine::Assembly {
        config,
        guardrails,
        workspace,
        home,
        client: chat.session.setup().client.clone(),
        model_id: chat.session.setup().model_id.clone(),
        mcp: Default::default(),
    });
    chat.session.swap_setup(setup);
    chat.previous_agent = Some(std::mem::replace(&mut chat.saved.agent, agent.clone()));
    Ok(format!(
        "this chat now runs `{agent}` (its tools, rules, prompt and sandbox); trust given earlier was dropped\n"
    ))
}

/// `/context …`.
#[derive(Debug, Subcommand)]
pub enum ContextAction {
    /// How much of the model's window the conversation uses, and what is in it.
    Show,
    /// Put files into the system prompt for the rest of the session (read as the read tool
    /// would: a path the policy denies is refused).
    Add {
        /// The files, relative to the workspace or absolute.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Take files added with `/context add` out of the system prompt.
    Remove {
        /// The files, as they were added.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
}

/// The system prompt block of a file added with `/context add`.
fn context_block_start(path: &std::path::Path) -> String {
    format!("\n\n<context file=\"{}\">\n", path.display())
}

const CONTEXT_BLOCK_END: &str = "\n</context>";

/// `/context add PATH…`: each file is read as the person's own `read`
/// call, through the dispatcher (judged, hooked, redacted, audited), and
/// what that call returned goes into the system prompt (once; adding it
/// again refreshes it).
pub async fn context_add(
    chat: &mut Chat,
    paths: &[std::path::PathBuf],
    emit: &mut Emit<'_>,
) -> String {
    let mut out = String::new();
    for path in paths {
        let input = serde_json::json!({ "path": path });
        let read = chat.session.call(Caller::User, "read", input, emit).await;
        if !read.ran {
            let why = read.output.text.replace('\n', " ");
            out.push_str(&format!("refused {}: {}\n", path.display(), why.trim()));
            continue;
        }
        if read.output.is_error {
            out.push_str(&format!("{}\n", read.output.text.trim_end()));
            continue;
        }
        let system = &mut chat.session.setup_mut().system;
        remove_block(system, path);
        system.push_str(&context_block_start(path));
        system.push_str(&read.output.text);
        system.push_str(CONTEXT_BLOCK_END);
        out.push_str(&format!(
            "added {} ({} bytes) to the context\n",
            path.display(),
            read.output.text.len()
        ));
    }
    out
}

/// `/context remove PATH…`.
pub fn context_remove(chat: &mut Chat, paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(
            |path| match remove_block(&mut chat.session.setup_mut().system, path) {
                true => format!("removed {} from the context\n", path.display()),
                false => format!("{} was not added with /context add\n", path.display()),
            },
        )
        .collect()
}

/// Cuts the block of `path` out of `system`; true when there was one.
fn remove_block(system: &mut String, path: &std::path::Path) -> bool {
    let start_marker = context_block_start(path);
    let Some(start) = system.find(&start_marker) else {
        return false;
    };
    let end = system[start + start_marker.len()..]
        .find(CONTEXT_BLOCK_END)
        .map_or(system.len(), |i| {
            start + start_marker.len() + i + CONTEXT_BLOCK_END.len()
        });
    system.replace_range(start..end, "");
    true
}

/// `/tools [ACTION]`: the overview, after the change if one was asked.
pub fn tools(chat: &mut Chat, action: Option<ToolsAction>) -> Result<String, ChatError> {
    let mut out = String::new();
    if let Some(action) = action {
        out.push_str(&change_trust(chat, action)?);
        out.push('\n');
    }
    out.push_str(&tools_overview(chat));
    Ok(out)
}

fn change_trust(chat: &mut Chat, action: ToolsAction) -> Result<String, ChatError> {
    let setup = chat.session.setup_mut();
    let trust = &mut setup.trust;
    Ok(match action {
        ToolsAction::Trust { tool } => {
            let tool = known_tool(&tool)?;
            if !trust.tools.contains(&tool) {
                trust.tools.push(tool.clone());
            }
            format!("`{tool}` is trusted for this session (deny rules and fences still hold)")
        }
        ToolsAction::Untrust { tool } => {
            let tool = known_tool(&tool)?;
            trust.tools.retain(|t| *t != tool);
            trust.grants.retain(|g| g.tool() != tool);
            let mut said = format!("`{tool}` is no longer trusted by this session");
            if let Some(id) = tool_id(&tool)
                && let Some(reason) = pre_approval(setup.policy.config(), trust, id)
            {
                said.push_str(&format!("; it still runs unasked: {}", reason.message));
            }
            said
        }
        ToolsAction::TrustAll => {
            trust.all_tools = true;
            "every tool is trusted for this session (deny rules and fences still hold)".into()
        }
        ToolsAction::Reset => {
            *trust = Trust::default();
            "session trust is cleared: the agent file's rules alone decide".into()
        }
    })
}

/// A tool name as trust takes it: a built-in in its current spelling, or
/// an MCP pattern.
fn known_tool(name: &str) -> Result<String, ChatError> {
    match tool_id(name) {
        Some(ToolId::Builtin(builtin)) => Ok(builtin.to_string()),
        Some(ToolId::Mcp { .. }) => Ok(name.to_string()),
        None if name.starts_with('@') && name.len() > 1 => Ok(name.to_string()),
        None => Err(ChatError::usage(format!(
            "there is no tool named `{name}` (the tools: {})\n",
            registry::names().join(", ")
        ))),
    }
}

/// Each tool's state, fences and grants in this chat.
pub fn tools_overview(chat: &Chat) -> String {
    let setup = chat.session.setup();
    overview_text(&setup.policy, &setup.trust)
}

/// Each tool's state under `policy` and `trust`, as `/tools` shows it.
pub fn overview_text(policy: &Policy, trust: &Trust) -> String {
    policy.overview_text(trust, &registry::names())
}

/// `/model [ID]`: the models to pick from, or a switch for the next turn.
pub fn model(chat: &mut Chat, id: Option<String>) -> Result<String, ChatError> {
    let Some(id) = id else {
        let setup = chat.session.setup();
        let mut out = format!("current: {}\n", setup.model_id);
        if let Some(agent_model) = &setup.policy.config().model {
            out.push_str(&format!("the agent's model: {agent_model}\n"));
        }
        if let Some(default) = chat.settings.text("chat.defaultModel") {
            out.push_str(&format!("chat.defaultModel: {default}\n"));
        }
        out.push_str(
            "`/model ID` switches from the next turn: openai/NAME, anthropic/NAME, ollama/NAME, or a Kiro id (claude-*, gpt-*)\n",
        );
        return Ok(out);
    };
    let variable = |name: &str| chat.settings.env_or_setting(name);
    let endpoint =
        Endpoint::resolve(&id, &variable).map_err(|e| ChatError::usage(format!("{e}\n")))?;
    let setup = chat.session.setup_mut();
    setup.client = Client::new(endpoint);
    setup.model_id = id.clone();
    chat.saved.model = id.clone();
    let mut out = format!("the next turn goes to {id}\n");
    if let Some(warning) = chat.save() {
        out.push_str(&warning);
    }
    Ok(out)
}

/// `/agent list`.
pub fn agents(chat: &Chat) -> String {
    let (warnings, table) = super::agents::list_text(&chat.cwd);
    let mut out = String::new();
    for warning in warnings {
        out.push_str(&warning);
        out.push('\n');
    }
    out.push_str(&table);
    out.push_str(&format!(
        "this chat runs `{}`; `/agent swap NAME` goes on with another\n",
        chat.session.setup().policy.config().name
    ));
    out
}

/// The conversation's size in tokens and the model's window: the larger of
/// the byte estimate and the last turn's average prompt as the model
/// reported it.
pub fn context_use(chat: &Chat) -> (usize, usize) {
    let estimated =
        estimate_tokens(chat.session.messages()) + chat.session.setup().system.len() / 4;
    let reported = chat.last_prompt_tokens as usize;
    (estimated.max(reported), chat.session.setup().context_tokens)
}

/// `/context show`.
pub fn context(chat: &Chat) -> String {
    let (used, window) = context_use(chat);
    let setup = chat.session.setup();
    let mut out = format!(
        "context: ~{used} of {window} tokens ({}%), {} messages\n",
        percent(used, window),
        chat.session.messages().len()
    );
    out.push_str(&format!(
        "system prompt: ~{} tokens\n",
        setup.system.len() / 4
    ));
    let added: Vec<&str> = setup
        .system
        .match_indices("\n\n<context file=\"")
        .filter_map(|(i, marker)| {
            let rest = &setup.system[i + marker.len()..];
            rest.find("\">").map(|end| &rest[..end])
        })
        .collect();
    if !added.is_empty() {
        out.push_str(&format!("added with /context add: {}\n", added.join(", ")));
    }
    let resources = &setup.policy.config().resources;
    if !resources.is_empty() {
        let list: Vec<&str> = resources.iter().map(|r| r.value.as_str()).collect();
        out.push_str(&format!("resources: {}\n", list.join(", ")));
    }
    out.push_str(
        "past three quarters of the window the oldest tool outputs are elided; `/compact` does it now\n",
    );
    out
}

/// `/compact`: elide every tool output but the most recent.
pub fn compact(chat: &mut Chat) -> String {
    let elided = chat.session.compact(0);
    let (used, window) = context_use(chat);
    let mut out = format!(
        "elided {elided} old tool output(s); the context is now ~{used} tokens ({}%)\n",
        percent(used, window)
    );
    if let Some(warning) = chat.save() {
        out.push_str(&warning);
    }
    out
}

/// `/clear`: an empty conversation in a new saved session; the old one is
/// kept.
pub fn clear(chat: &mut Chat) -> Result<String, ChatError> {
    if let Some(warning) = chat.save() {
        return Err(ChatError::Runtime(warning));
    }
    let old = chat.saved.id.clone();
    let mut fresh = chat
        .sessions
        .create(&chat.saved.agent, &chat.saved.model, &chat.saved.workspace)
        .map_err(|e| ChatError::runtime(format!("cannot save the new session: {e}\n")))?;
    chat.session.rewind_to("0");
    std::mem::swap(&mut chat.saved, &mut fresh);
    chat.last_prompt_tokens = 0;
    let mut out = format!(
        "the conversation is cleared: new session {}; session {old} is kept\n",
        chat.saved.id
    );
    if let Some(warning) = chat.save() {
        out.push_str(&warning);
    }
    Ok(out)
}

/// `/usage`: tokens this chat has used.
pub fn usage(chat: &Chat) -> String {
    let usage = chat.usage;
    let (used, window) = context_use(chat);
    format!(
        "this chat: {} model request(s), {} input tokens, {} output tokens\ncontext: ~{used} of {window} tokens ({}%)\n",
        usage.requests,
        usage.input_tokens,
        usage.output_tokens,
        percent(used, window)
    )
}

/// `used` as a whole percentage of `window`.
pub fn percent(used: usize, window: usize) -> usize {
    (used * 100).checked_div(window).unwrap_or(0)
}
