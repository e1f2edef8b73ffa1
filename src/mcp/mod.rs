//! MCP servers, through the official `rmcp` client: stdio servers started
//! as child processes and streamable-HTTP servers, started together with a
//! time limit at the start of a session.
//!
//! Their tools reach the policy as `@server/tool`, exactly like `tools`,
//! `allowedTools`, hooks and `kiro.json` write them. The model sees each
//! under a name its API accepts (`server___tool`, or the agent's
//! `toolAliases` name), which [`McpServers::canonical`] maps back before
//! anything is judged. A call runs only with the policy's approval for that
//! exact call, as a built-in tool does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

use crate::config::AgentConfig;
use crate::config::model::{McpServer, McpTransport};
use crate::config::patterns::ToolId;
use crate::policy::{Approval, ToolCall};
use crate::provider::ToolDefinition;
use crate::tools::ToolOutput;

/// Milliseconds a server gets to start and to answer each call when its
/// entry does not say (Kiro's default).
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;

/// How one server's start went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Running, with this many tools.
    Running(usize),
    /// It did not start, or did not list its tools, in time; why.
    Failed(String),
    /// `"disabled": true`.
    Disabled,
}

/// One tool a server offers.
#[derive(Debug, Clone)]
struct ServedTool {
    /// The tool's own name.
    tool: String,
    /// What the model calls it.
    model_name: String,
    description: String,
    schema: Value,
}

struct Server {
    name: String,
    status: Status,
    tools: Vec<ServedTool>,
    timeout: Duration,
    client: Option<RunningService<RoleClient, ()>>,
}

/// The session's MCP servers.
#[derive(Clone, Default)]
pub struct McpServers {
    servers: Arc<Vec<Server>>,
}

impl std::fmt::Debug for McpServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.servers.iter().map(|s| (&s.name, &s.status)))
            .finish()
    }
}

impl McpServers {
    /// Starts every enabled server of `servers` at once, each within its
    /// time limit, in `cwd` with the environment `env` (plus the entry's
    /// own `env`); `aliases` are the agent's `toolAliases`.
    pub async fn start(
        servers: &BTreeMap<String, McpServer>,
        aliases: &BTreeMap<String, String>,
        cwd: &Path,
        env: &[(OsString, OsString)],
    ) -> McpServers {
        let starts = servers
            .iter()
            .map(|(name, entry)| start_one(name, entry, aliases, cwd, env));
        McpServers {
            servers: Arc::new(futures::future::join_all(starts).await),
        }
    }

    /// The servers that failed to start, with why.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.servers
            .iter()
            .filter_map(|s| match &s.status {
                Status::Failed(why) => Some((s.name.clone(), why.clone())),
                _ => None,
            })
            .collect()
    }

    /// The tool definitions the model is offered: the running servers'
    /// tools that the agent's `tools` makes visible.
    pub fn definitions(&self, config: &AgentConfig) -> Vec<ToolDefinition> {
        self.servers
            .iter()
            .flat_map(|server| {
                server.tools.iter().filter_map(move |t| {
                    let id = ToolId::Mcp {
                        server: &server.name,
                        tool: &t.tool,
                    };
                    crate::policy::tools::exists(config, id).then(|| ToolDefinition {
                        name: t.model_name.clone(),
                        description: t.description.clone(),
                        input_schema: t.schema.clone(),
                    })
                })
            })
            .collect()
    }

    /// The `@server/tool` name of the tool the model calls `name`; other
    /// names are returned as they are.
    pub fn canonical(&self, name: &str) -> String {
        self.servers
            .iter()
            .find_map(|s| {
                s.tools
                    .iter()
                    .find(|t| t.model_name == name)
                    .map(|t| format!("@{}/{}", s.name, t.tool))
            })
            .unwrap_or_else(|| name.to_string())
    }

    /// The input schema the server gave for its tool `tool`, if it serves
    /// one by that name.
    pub fn schema(&self, server: &str, tool: &str) -> Option<&Value> {
        self.servers
            .iter()
            .find(|s| s.name == server)?
            .tools
            .iter()
            .find(|t| t.tool == tool)
            .map(|t| &t.schema)
    }

    /// `/mcp`: each server, its state and its tools.
    pub fn describe(&self) -> String {
        if self.servers.is_empty() {
            return "no MCP servers are configured for this agent\n".into();
        }
        let mut text = String::new();
        for server in self.servers.iter() {
            let state = match &server.status {
                Status::Running(count) => format!("running, {count} tools"),
                Status::Failed(why) => format!("failed: {why}"),
                Status::Disabled => "disabled".into(),
            };
            text.push_str(&format!("@{}  {state}\n", server.name));
            for tool in &server.tools {
                text.push_str(&format!("  @{}/{}", server.name, tool.tool));
                if tool.model_name != format!("{}___{}", server.name, tool.tool) {
                    text.push_str(&format!(" (as `{}`)", tool.model_name));
                }
                text.push('\n');
            }
        }
        text
    }

    /// Calls the MCP tool `call` names (`@server/tool`), which `approval`
    /// must cover.
    pub async fn call(&self, call: &ToolCall, approval: &Approval) -> ToolOutput {
        if !approval.covers(call) {
            return ToolOutput::error("refused: the approval does not cover this call");
        }
        let Some(ToolId::Mcp { server, tool }) = crate::policy::tools::tool_id(&call.tool) else {
            return ToolOutput::error(format!("`{}` is not an MCP tool", call.tool));
        };
        let Some(entry) = self.servers.iter().find(|s| s.name == server) else {
            return ToolOutput::error(format!("there is no MCP server `{server}`"));
        };
        let Some(client) = &entry.client else {
            return ToolOutput::error(format!("the MCP server `{server}` is not running"));
        };
        let arguments = match &call.input {
            Value::Object(map) => Some(map.clone()),
            Value::Null => None,
            _ => return ToolOutput::error("the arguments must be a JSON object"),
        };
        let mut params = CallToolRequestParams::new(tool.to_string());
        params.arguments = arguments;
        match tokio::time::timeout(entry.timeout, client.call_tool(params)).await {
            Err(_) => ToolOutput::error(format!(
                "the MCP server `{server}` did not answer within {} ms",
                entry.timeout.as_millis()
            )),
            Ok(Err(e)) => ToolOutput::error(format!("the MCP server `{server}` failed: {e}")),
            Ok(Ok(result)) => {
                let value = serde_json::to_value(&result).unwrap_or_default();
                let is_error = value["isError"].as_bool().unwrap_or(false);
                ToolOutput {
                    text: result_text(&value),
                    is_error,
                    changed: Vec::new(),
                    exit_code: None,
                    writes: Vec::new(),
                }
            }
        }
    }
}

/// The text of a `tools/call` result: its text blocks, other blocks as
/// JSON, and the structured content when there is no text.
fn result_text(value: &Value) -> String {
    let mut parts: Vec<String> = value["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .map(|block| match block["text"].as_str() {
                    Some(text) => text.to_string(),
                    None => block.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if parts.is_empty()
        && let Some(structured) = value.get("structuredContent")
    {
        parts.push(structured.to_string());
    }
    parts.join("\n")
}

async fn start_one(
    name: &str,
    entry: &McpServer,
    aliases: &BTreeMap<String, String>,
    cwd: &Path,
    env: &[(OsString, OsString)],
) -> Server {
    let timeout = Duration::from_millis(entry.timeout.unwrap_or(DEFAULT_TIMEOUT_MS));
    let mut server = Server {
        name: name.to_string(),
        status: Status::Disabled,
        tools: Vec::new(),
        timeout,
        client: None,
    };
    if entry.disabled == Some(true) {
        return server;
    }
    let started = tokio::time::timeout(timeout, connect(entry, cwd, env)).await;
    let listed = match started {
        Err(_) => Err(format!("did not start within {} ms", timeout.as_millis())),
        Ok(Err(why)) => Err(why),
        Ok(Ok(client)) => match tokio::time::timeout(timeout, client.list_all_tools()).await {
            Err(_) => Err(format!(
                "did not list its tools within {} ms",
                timeout.as_millis()
            )),
            Ok(Err(e)) => Err(format!("could not list its tools: {e}")),
            Ok(Ok(tools)) => Ok((client, tools)),
        },
    };
    match listed {
        Ok((client, tools)) => {
            server.tools = tools
                .into_iter()
                .map(|tool| {
                    let full = format!("@{name}/{}", tool.name);
                    ServedTool {
                        model_name: aliases
                            .get(&full)
                            .cloned()
                            .unwrap_or_else(|| model_name(name, &tool.name)),
                        tool: tool.name.to_string(),
                        description: tool.description.map(|d| d.to_string()).unwrap_or_default(),
                        schema: Value::Object((*tool.input_schema).clone()),
                    }
                })
                .collect();
            server.status = Status::Running(server.tools.len());
            server.client = Some(client);
        }
        Err(why) => server.status = Status::Failed(why),
    }
    server
}

/// `server___tool`, with anything model APIs refuse in a function name
/// (they take letters, digits, `_` and `-`) replaced by `_`.
fn model_name(server: &str, tool: &str) -> String {
    format!("{server}___{tool}")
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                true => c,
                false => '_',
            },
        )
        .collect()
}

async fn connect(
    entry: &McpServer,
    cwd: &Path,
    env: &[(OsString, OsString)],
) -> Result<RunningService<RoleClient, ()>, String> {
    let remote = entry.transport == Some(McpTransport::Http)
        || (entry.transport.is_none() && entry.url.is_some());
    if remote {
        let url = entry.url.clone().unwrap_or_default();
        let mut headers = std::collections::HashMap::new();
        for (key, value) in &entry.headers {
            let name = reqwest::header::HeaderName::from_bytes(key.as_bytes())
                .map_err(|e| format!("header `{key}`: {e}"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|e| format!("header `{key}`: {e}"))?;
            headers.insert(name, value);
        }
        let config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers);
        let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
        return ().serve(transport).await.map_err(|e| e.to_string());
    }
    let program = entry.command.clone().unwrap_or_default();
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&entry.args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .envs(&entry.env)
        .kill_on_drop(true);
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    ().serve(transport).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_what_apis_accept() {
        assert_eq!(model_name("fs", "read_file"), "fs___read_file");
        assert_eq!(model_name("my.server", "a/b c"), "my_server___a_b_c");
    }

    #[test]
    fn result_text_joins_text_blocks() {
        let value = serde_json::json!({"content": [
            {"type": "text", "text": "one"}, {"type": "text", "text": "two"}
        ]});
        assert_eq!(result_text(&value), "one\ntwo");
        let structured = serde_json::json!({"content": [], "structuredContent": {"a": 1}});
        assert_eq!(result_text(&structured), "{\"a\":1}");
    }
}
