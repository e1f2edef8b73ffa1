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
//!
//! A server stays connected: one that went away is started again (with a
//! short backoff) before the next call to it, and `/mcp reconnect NAME`
//! does it at once. A call that was in flight when the connection broke is
//! not sent again (it may have run); the model is told to call again. A
//! server that fails is shown as failed with the end of its stderr, never
//! as running. A tool whose definition changed since it was first used in
//! the workspace asks (see [`pins`]).

pub mod pins;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
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

use pins::{PinCheck, PinStore};

/// Bytes of a server's stderr kept to show why it failed.
const STDERR_TAIL_BYTES: usize = 2048;

/// Waits before each attempt to start a server again.
const RECONNECT_BACKOFF_MS: &[u64] = &[0, 250, 1000];

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

/// How to start a server again.
struct Launch {
    entry: McpServer,
    aliases: BTreeMap<String, String>,
    cwd: std::path::PathBuf,
    env: Vec<(OsString, OsString)>,
}

struct Server {
    name: String,
    status: Mutex<Status>,
    tools: RwLock<Vec<ServedTool>>,
    timeout: Duration,
    client: tokio::sync::Mutex<Option<RunningService<RoleClient, ()>>>,
    launch: Launch,
    /// The end of the server process's stderr (stdio servers).
    stderr: Arc<Mutex<String>>,
}

/// The session's MCP servers.
#[derive(Clone, Default)]
pub struct McpServers {
    servers: Arc<Vec<Server>>,
    pins: Option<PinStore>,
}

impl std::fmt::Debug for McpServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.servers.iter().map(|s| (&s.name, s.status())))
            .finish()
    }
}

impl Server {
    fn status(&self) -> Status {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or(Status::Failed("unknown".into()))
    }

    fn set_status(&self, status: Status) {
        if let Ok(mut current) = self.status.lock() {
            *current = status;
        }
    }

    fn tools(&self) -> Vec<ServedTool> {
        self.tools.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// `why`, with the end of the server's stderr when it said anything.
    fn failure(&self, why: String) -> String {
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        match stderr.trim() {
            "" => why,
            said => format!("{why}; its stderr ends with:\n{said}"),
        }
    }

    /// Starts the server (again), lists its tools, and keeps the client.
    async fn connect(
        &self,
        client: &mut Option<RunningService<RoleClient, ()>>,
    ) -> Result<(), String> {
        if let Some(old) = client.take() {
            old.cancel().await.ok();
        }
        if let Ok(mut stderr) = self.stderr.lock() {
            stderr.clear();
        }
        match start_and_list(&self.launch, self.timeout, &self.stderr).await {
            Ok((running, tools)) => {
                let count = tools.len();
                if let Ok(mut current) = self.tools.write() {
                    *current = served(&self.name, &self.launch.aliases, tools);
                }
                *client = Some(running);
                self.set_status(Status::Running(count));
                Ok(())
            }
            Err(why) => {
                // The process's last words reach the pipe a moment later.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let why = self.failure(why);
                self.set_status(Status::Failed(why.clone()));
                Err(why)
            }
        }
    }

    /// A client that is connected, starting the server again with backoff
    /// when it went away.
    async fn ensure_connected(
        &self,
        client: &mut Option<RunningService<RoleClient, ()>>,
    ) -> Result<(), String> {
        if client.as_ref().is_some_and(|c| !gone(c)) {
            return Ok(());
        }
        let mut last = String::new();
        for wait in RECONNECT_BACKOFF_MS {
            tokio::time::sleep(Duration::from_millis(*wait)).await;
            match self.connect(client).await {
                Ok(()) => return Ok(()),
                Err(why) => last = why,
            }
        }
        Err(last)
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
            pins: None,
        }
    }

    /// These servers, with their tools' definitions pinned in `pins`.
    pub fn with_pins(mut self, pins: PinStore) -> McpServers {
        self.pins = Some(pins);
        self
    }

    /// The servers that failed to start, with why.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.servers
            .iter()
            .filter_map(|s| match s.status() {
                Status::Failed(why) => Some((s.name.clone(), why)),
                _ => None,
            })
            .collect()
    }

    /// `/mcp reconnect NAME`: starts the server again now.
    pub async fn reconnect(&self, name: &str) -> Result<String, String> {
        let server = self
            .servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("there is no MCP server `{name}`"))?;
        if server.status() == Status::Disabled {
            return Err(format!("the MCP server `{name}` is disabled"));
        }
        let mut client = server.client.lock().await;
        server.connect(&mut client).await?;
        Ok(format!(
            "@{name} reconnected: {} tools",
            server.tools().len()
        ))
    }

    /// Whether `@server/tool`'s definition, as served now, is the one
    /// first used in this workspace (pinning it when it was never used).
    pub fn check_pin(&self, server: &str, tool: &str) -> PinCheck {
        let Some(pins) = &self.pins else {
            return PinCheck::Same;
        };
        let served = self
            .servers
            .iter()
            .find(|s| s.name == server)
            .and_then(|s| s.tools().into_iter().find(|t| t.tool == tool));
        match served {
            Some(t) => pins.check(server, tool, &t.description, &t.schema),
            None => PinCheck::Same,
        }
    }

    /// The tool definitions the model is offered: the running servers'
    /// tools that the agent's `tools` makes visible.
    pub fn definitions(&self, config: &AgentConfig) -> Vec<ToolDefinition> {
        self.servers
            .iter()
            .flat_map(|server| {
                server.tools().into_iter().filter_map(move |t| {
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
                s.tools()
                    .iter()
                    .find(|t| t.model_name == name)
                    .map(|t| format!("@{}/{}", s.name, t.tool))
            })
            .unwrap_or_else(|| name.to_string())
    }

    /// The input schema the server gave for its tool `tool`, if it serves
    /// one by that name.
    pub fn schema(&self, server: &str, tool: &str) -> Option<Value> {
        self.servers
            .iter()
            .find(|s| s.name == server)?
            .tools()
            .into_iter()
            .find(|t| t.tool == tool)
            .map(|t| t.schema)
    }

    /// `/mcp`: each server, its state and its tools.
    pub fn describe(&self) -> String {
        if self.servers.is_empty() {
            return "no MCP servers are configured for this agent\n".into();
        }
        let mut text = String::new();
        for server in self.servers.iter() {
            let connected = server
                .client
                .try_lock()
                .map_or(true, |c| c.as_ref().is_some_and(|c| !gone(c)));
            let state = match server.status() {
                Status::Running(_) if !connected => {
                    "disconnected: started again before its next call (or `/mcp reconnect`)".into()
                }
                Status::Running(count) => format!("running, {count} tools"),
                Status::Failed(why) => format!("failed: {why}"),
                Status::Disabled => "disabled".into(),
            };
            text.push_str(&format!("@{}  {state}\n", server.name));
            for tool in &server.tools() {
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
        if entry.status() == Status::Disabled {
            return ToolOutput::error(format!("the MCP server `{server}` is disabled"));
        }
        let mut guard = entry.client.lock().await;
        if let Err(why) = entry.ensure_connected(&mut guard).await {
            return ToolOutput::error(format!("the MCP server `{server}` is not running: {why}"));
        }
        let Some(client) = guard.as_ref() else {
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
            Ok(Err(e)) if gone(client) => ToolOutput::error(format!(
                "the MCP server `{server}` went away during the call ({e}); it is started again before the next call, so call again if the work is still needed"
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
                    code: Vec::new(),
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
    let server = Server {
        name: name.to_string(),
        status: Mutex::new(Status::Disabled),
        tools: RwLock::new(Vec::new()),
        timeout: Duration::from_millis(entry.timeout.unwrap_or(DEFAULT_TIMEOUT_MS)),
        client: tokio::sync::Mutex::new(None),
        launch: Launch {
            entry: entry.clone(),
            aliases: aliases.clone(),
            cwd: cwd.to_path_buf(),
            env: env.to_vec(),
        },
        stderr: Arc::default(),
    };
    if entry.disabled != Some(true) {
        let mut client = server.client.lock().await;
        // A failure is kept in the status, which says why.
        let _ = server.connect(&mut client).await;
        drop(client);
    }
    server
}

/// Starts the server and lists its tools, each within `timeout`.
async fn start_and_list(
    launch: &Launch,
    timeout: Duration,
    stderr: &Arc<Mutex<String>>,
) -> Result<(RunningService<RoleClient, ()>, Vec<rmcp::model::Tool>), String> {
    let started = tokio::time::timeout(
        timeout,
        connect(&launch.entry, &launch.cwd, &launch.env, stderr),
    )
    .await;
    match started {
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
    }
}

/// The tools as the session keeps them, under the names the model sees.
fn served(
    name: &str,
    aliases: &BTreeMap<String, String>,
    tools: Vec<rmcp::model::Tool>,
) -> Vec<ServedTool> {
    tools
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
        .collect()
}

/// Keeps the last [`STDERR_TAIL_BYTES`] of `stream` in `tail`.
fn keep_tail(stream: tokio::process::ChildStderr, tail: Arc<Mutex<String>>) {
    use tokio::io::AsyncReadExt;
    tokio::spawn(async move {
        let mut stream = stream;
        let mut buffer = [0u8; 1024];
        while let Ok(read) = stream.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            if let Ok(mut tail) = tail.lock() {
                tail.push_str(&String::from_utf8_lossy(&buffer[..read]));
                if tail.len() > STDERR_TAIL_BYTES {
                    let mut cut = tail.len() - STDERR_TAIL_BYTES;
                    while !tail.is_char_boundary(cut) {
                        cut += 1;
                    }
                    tail.drain(..cut);
                }
            }
        }
    });
}

/// Whether the connection to a server is over: closed by us, or its
/// service loop ended because the transport did (the process exited).
fn gone(client: &RunningService<RoleClient, ()>) -> bool {
    client.is_closed() || client.is_transport_closed()
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
    stderr: &Arc<Mutex<String>>,
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
    let (transport, child_stderr) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if let Some(child_stderr) = child_stderr {
        keep_tail(child_stderr, stderr.clone());
    }
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
