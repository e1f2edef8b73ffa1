//! `agent acp`: an Agent Client Protocol (v1) agent on stdio, for editors
//! such as Zed. It is one more driver of the chat controller: each ACP
//! session is a [`crate::chat::Chat`] started as `agent chat` starts one
//! (the agent file, the workspace's trust, the model, saved sessions,
//! checkpoints, the audit log), its prompts handled as typed lines are,
//! its events streamed as `session/update` notifications, and the calls
//! its policy asks about sent to the client as `session/request_permission`
//! ([`permission`]). In supervised mode a turn's changes are shown as
//! diffs and accepted or rejected through the client too ([`review`]).
//! No rule lives here.
//!
//! The client's `fs/*` and `terminal/*` capabilities are not used: our own
//! tools read, write and run commands, so every call passes the policy,
//! the sandbox and the checkpoints.
//!
//! Built for v1 with ACP v2's drafts in mind: a session is a worker fed a
//! queue of commands, and everything it says comes from the engine's typed
//! events, so acknowledging a prompt before it runs and sending state
//! updates (v2) change only this module's edges, not the controller.

mod modes;
mod permission;
mod review;
mod session;
mod updates;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

use agent_client_protocol::v1::schema::{
    AuthenticateRequest, CancelNotification, InitializeRequest, InitializeResponse,
    LoadSessionRequest, LoadSessionResponse, NewSessionRequest, NewSessionResponse, PromptRequest,
    SetSessionConfigOptionRequest, SetSessionModeRequest,
};
use agent_client_protocol::v1::{ConnectionTo, Dispatch, Responder};
use agent_client_protocol::{Agent, Client, Error, Handled, Stdio};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::chat::ChatError;
use crate::chat::start::{Place, StartOptions, Startup, start};
use crate::config::model::McpServer;
use crate::hooks::trust::TrustRequest;
use session::{CancelSlot, Command, Handle, ModelReply, Worker};

/// How `agent acp` was started.
#[derive(Debug, Clone, Default)]
pub struct AcpOptions {
    /// `--agent`: the agent every session runs.
    pub agent: Option<String>,
    /// `--model`.
    pub model: Option<String>,
    /// `--trust-workspace`: run the hooks and MCP servers the workspace brings.
    pub trust_workspace: bool,
}

/// The sessions of one connection.
struct Server {
    options: AcpOptions,
    runtime: Arc<tokio::runtime::Runtime>,
    sessions: Mutex<HashMap<String, Handle>>,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Serves ACP on stdin and stdout until the client closes the connection;
/// then a prompt still running is cancelled, and every session is saved and
/// its servers stopped.
pub fn serve(options: AcpOptions) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start the async runtime: {e}"))?;
    let server = Arc::new(Server {
        options,
        runtime: Arc::new(runtime),
        sessions: Mutex::new(HashMap::new()),
        workers: Mutex::new(Vec::new()),
    });
    let connection = connection(server.clone());
    let ended = server.runtime.block_on(connection);
    if let Ok(mut sessions) = server.sessions.lock() {
        for handle in sessions.values() {
            handle.cancel.cancel();
        }
        sessions.clear();
    }
    let workers = server
        .workers
        .lock()
        .map(|mut w| std::mem::take(&mut *w))
        .unwrap_or_default();
    for worker in workers {
        let _ = worker.join();
    }
    ended.map_err(|e| format!("error: the ACP connection failed: {e}"))
}

/// The connection's handlers, run until the client goes away.
async fn connection(server: Arc<Server>) -> Result<(), Error> {
    let (new, load, prompt) = (server.clone(), server.clone(), server.clone());
    let (mode, config, cancel) = (server.clone(), server.clone(), server.clone());
    let set_model = server.clone();
    Agent
        .v1()
        .name("agent")
        .on_receive_request(
            async move |request: InitializeRequest, responder, _cx| {
                responder.respond(initialize(&request))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: AuthenticateRequest, responder, _cx| {
                responder.respond_with_result(authenticate(&request))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: NewSessionRequest, responder, cx| {
                new.open(Opening::New(request, responder), cx);
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: LoadSessionRequest, responder, cx| {
                load.open(Opening::Load(request, responder), cx);
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: PromptRequest, responder, _cx| {
                let fields = to_json(&request);
                let text = prompt_text(&fields["prompt"]);
                prompt.command(&fields, Command::Prompt { text, responder });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: SetSessionModeRequest, responder, _cx| {
                let fields = to_json(&request);
                let mode_id = fields["modeId"].as_str().unwrap_or_default().to_string();
                let command = Command::SetMode {
                    mode: mode_id,
                    responder,
                };
                mode.command(&fields, command);
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: SetSessionConfigOptionRequest, responder, _cx| {
                let fields = to_json(&request);
                if fields["configId"] != "model" {
                    return responder.respond_with_error(
                        Error::invalid_params().data("the only config option is `model`"),
                    );
                }
                let model = fields["value"].as_str().unwrap_or_default().to_string();
                let reply = ModelReply::ConfigOption(responder);
                config.command(&fields, Command::SetModel { model, reply });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_dispatch(
            async move |dispatch: Dispatch, _cx| match dispatch {
                Dispatch::Request(request, responder) if request.method == "session/set_model" => {
                    let model = request.params["modelId"].as_str().unwrap_or_default();
                    let command = Command::SetModel {
                        model: model.to_string(),
                        reply: ModelReply::SetModel(responder),
                    };
                    set_model.command(&request.params, command);
                    Ok(Handled::Yes)
                }
                other => Ok(Handled::No {
                    message: other,
                    retry: false,
                }),
            },
            agent_client_protocol::on_receive_dispatch!(),
        )
        .on_receive_notification(
            async move |notification: CancelNotification, _cx| {
                let fields = to_json(&notification);
                cancel.cancel(fields["sessionId"].as_str().unwrap_or_default());
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .connect_to(Stdio::new())
        .await
}

/// What the client asked to open.
enum Opening {
    New(NewSessionRequest, Responder<NewSessionResponse>),
    Load(LoadSessionRequest, Responder<LoadSessionResponse>),
}

impl Server {
    /// Starts a session on its own thread; it answers the request itself
    /// when it is ready (starting MCP servers may take a while).
    fn open(self: &Arc<Self>, opening: Opening, connection: ConnectionTo<Client>) {
        let server = self.clone();
        let worker = std::thread::spawn(move || server.run_session(opening, connection));
        if let Ok(mut workers) = self.workers.lock() {
            workers.push(worker);
        }
    }

    fn run_session(self: Arc<Self>, opening: Opening, connection: ConnectionTo<Client>) {
        let fields = match &opening {
            Opening::New(request, _) => to_json(request),
            Opening::Load(request, _) => to_json(request),
        };
        let mut notes = Notes::default();
        let started = self.start_chat(&fields, &mut notes);
        let chat = match (started, opening) {
            (Ok(chat), opening) => (chat, opening),
            (Err(error), Opening::New(_, responder)) => {
                let _ = responder.respond_with_error(failure(&error));
                return;
            }
            (Err(error), Opening::Load(_, responder)) => {
                let _ = responder.respond_with_error(failure(&error));
                return;
            }
        };
        let (chat, opening) = chat;
        let trust = chat.session.setup().trust.clone();
        let mut worker = Worker {
            chat,
            connection,
            runtime: self.runtime.clone(),
            modes: modes::Modes::new(trust),
        };
        let asked = permission::AskedCall::default();
        worker.approve_through_client(asked.clone());
        let (commands, receiver) = mpsc::channel();
        let cancel = CancelSlot::default();
        let id = worker.id();
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(
                id.clone(),
                Handle {
                    commands,
                    cancel: cancel.clone(),
                },
            );
        }
        let options = modes::config_options(&worker.chat).ok();
        match opening {
            Opening::New(_, responder) => {
                let response =
                    json!({"sessionId": id, "modes": modes::state(), "configOptions": options});
                respond(responder, response);
            }
            Opening::Load(_, responder) => {
                replay(&worker);
                respond(
                    responder,
                    json!({"modes": modes::state(), "configOptions": options}),
                );
            }
        }
        worker.notify(updates::available_commands());
        for note in notes.0 {
            worker.notify(updates::chunk("agent_message_chunk", &format!("{note}\n")));
        }
        worker.run(receiver, cancel, asked);
    }

    /// The chat of a `session/new` or `session/load` request.
    fn start_chat(
        &self,
        fields: &Value,
        notes: &mut Notes,
    ) -> Result<crate::chat::Chat, ChatError> {
        let cwd = PathBuf::from(fields["cwd"].as_str().unwrap_or_default());
        if !cwd.is_absolute() {
            return Err(ChatError::usage("error: `cwd` must be an absolute path"));
        }
        let place = Place::at(cwd)?;
        let options = StartOptions {
            agent: self.options.agent.clone(),
            model: self.options.model.clone(),
            trust_workspace: self.options.trust_workspace,
            resume_id: fields["sessionId"].as_str().map(str::to_string),
            mcp_servers: client_servers(&fields["mcpServers"]),
            interactive: true,
            ..StartOptions::default()
        };
        start(&options, &place, &self.runtime, notes)
    }

    /// Hands `command` to the session `fields["sessionId"]` names; a
    /// session that does not exist answers with an error.
    fn command(&self, fields: &Value, command: Command) {
        let id = fields["sessionId"].as_str().unwrap_or_default();
        let handle = self.sessions.lock().ok().and_then(|s| s.get(id).cloned());
        let unsent = match handle {
            Some(handle) => match handle.commands.send(command) {
                Ok(()) => return,
                Err(mpsc::SendError(command)) => command,
            },
            None => command,
        };
        let error = Error::invalid_params().data(format!("there is no session `{id}`"));
        let _ = match unsent {
            Command::Prompt { responder, .. } => responder.respond_with_error(error),
            Command::SetMode { responder, .. } => responder.respond_with_error(error),
            Command::SetModel { reply, .. } => reply.fail(error),
        };
    }

    /// `session/cancel`: stops the session's running prompt.
    fn cancel(&self, id: &str) {
        let handle = self.sessions.lock().ok().and_then(|s| s.get(id).cloned());
        if let Some(handle) = handle {
            handle.cancel.cancel();
        }
    }
}

/// Start-up messages, shown in the session once it is open; nobody is
/// asked about the workspace's hooks and servers (`--trust-workspace` or
/// the `trust.workspaces` setting runs them).
#[derive(Default)]
struct Notes(Vec<String>);

impl Startup for Notes {
    fn warn(&mut self, message: &str) {
        self.0.push(message.to_string());
    }

    fn confirm(&mut self, _request: &TrustRequest) -> bool {
        false
    }
}

/// The replies to `initialize`: protocol v1, sessions that load, prompts
/// with embedded files, MCP servers over stdio and HTTP, and the
/// environment keys the model providers read.
fn initialize(request: &InitializeRequest) -> InitializeResponse {
    let version = to_json(request)["protocolVersion"]
        .as_u64()
        .unwrap_or(1)
        .min(1);
    let response = json!({
        "protocolVersion": version,
        "agentCapabilities": {
            "loadSession": true,
            "promptCapabilities": {"image": false, "audio": false, "embeddedContext": true},
            "mcpCapabilities": {"http": true, "sse": false},
        },
        "authMethods": [
            {"id": "openai-api-key", "name": "OPENAI_API_KEY", "description": "an OpenAI-compatible model: set OPENAI_API_KEY (and OPENAI_BASE_URL) in the agent's environment, or `agent settings provider.openai.apiKey`"},
            {"id": "anthropic-api-key", "name": "ANTHROPIC_API_KEY", "description": "an Anthropic model: set ANTHROPIC_API_KEY in the agent's environment, or `agent settings provider.anthropic.apiKey`"},
        ],
        "agentInfo": {"name": "agent", "version": env!("CARGO_PKG_VERSION")},
    });
    serde_json::from_value(response).unwrap_or_else(|_| {
        InitializeResponse::new(agent_client_protocol::schema::ProtocolVersion::V1)
    })
}

/// `authenticate`: the keys live in the environment or the settings, so
/// there is nothing to do but say so when the chosen one is missing.
fn authenticate(
    request: &AuthenticateRequest,
) -> Result<agent_client_protocol::v1::schema::AuthenticateResponse, Error> {
    let method = to_json(request)["methodId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let variable = match method.as_str() {
        "openai-api-key" => "OPENAI_API_KEY",
        "anthropic-api-key" => "ANTHROPIC_API_KEY",
        _ => return Err(Error::invalid_params().data(format!("no auth method `{method}`"))),
    };
    if std::env::var_os(variable).is_none() {
        return Err(
            Error::auth_required().data(format!("set {variable} in the agent's environment"))
        );
    }
    from_json(json!({}))
}

/// Responds with `response`, read into the protocol's type.
fn respond<T: DeserializeOwned + agent_client_protocol::JsonRpcResponse>(
    responder: Responder<T>,
    response: Value,
) {
    let _ = match from_json::<T>(response) {
        Ok(typed) => responder.respond(typed),
        Err(error) => responder.respond_with_error(error),
    };
}

/// A chat that could not start, as a JSON-RPC error.
fn failure(error: &ChatError) -> Error {
    let message = error.to_string();
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    match error {
        ChatError::Usage(_) => Error::invalid_params().data(message),
        _ => Error::internal_error().data(message),
    }
}

/// Replays a loaded session's conversation as message chunks.
fn replay(worker: &Worker) {
    for message in worker.chat.session.messages() {
        let update = match message {
            crate::provider::Message::User(text) => updates::chunk("user_message_chunk", text),
            crate::provider::Message::Assistant { text, .. } if !text.is_empty() => {
                updates::chunk("agent_message_chunk", text)
            }
            _ => continue,
        };
        worker.notify(update);
    }
}

/// The text of a prompt's content blocks: text as it is, an embedded file
/// in a `<file>` element, a link to a file as its path.
fn prompt_text(blocks: &Value) -> String {
    let mut text = String::new();
    for block in blocks.as_array().into_iter().flatten() {
        match block["type"].as_str() {
            Some("text") => text.push_str(block["text"].as_str().unwrap_or_default()),
            Some("resource") => {
                let resource = &block["resource"];
                let uri = resource["uri"].as_str().unwrap_or_default();
                let body = resource["text"].as_str().unwrap_or_default();
                text.push_str(&format!("\n<file uri=\"{uri}\">\n{body}\n</file>\n"));
            }
            Some("resource_link") => {
                let uri = block["uri"].as_str().unwrap_or_default();
                text.push_str(&format!(" {} ", uri.trim_start_matches("file://")));
            }
            _ => {}
        }
    }
    text
}

/// The client's MCP servers, as entries of an agent file's `mcpServers`.
fn client_servers(servers: &Value) -> BTreeMap<String, McpServer> {
    let pairs = |list: &Value| -> BTreeMap<String, String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| {
                Some((
                    pair["name"].as_str()?.to_string(),
                    pair["value"].as_str()?.to_string(),
                ))
            })
            .collect()
    };
    let mut out = BTreeMap::new();
    for server in servers.as_array().into_iter().flatten() {
        let Some(name) = server["name"].as_str() else {
            continue;
        };
        let entry = McpServer {
            command: server["command"].as_str().map(str::to_string),
            args: server["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            env: pairs(&server["env"]),
            url: server["url"].as_str().map(str::to_string),
            headers: pairs(&server["headers"]),
            ..McpServer::default()
        };
        out.insert(name.to_string(), entry);
    }
    out
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn from_json<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| Error::internal_error().data(e.to_string()))
}
