//! The JSON-RPC side of an editor for tests/acp.rs: a client of one
//! `agent acp` process over stdio that checks every message the agent sends
//! against the protocol's JSON Schema from the `@agentclientprotocol/sdk`
//! package.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use super::support::Env;
use super::support::model_server::ModelServer;

/// The SDK package's folder, from `.ci/run`'s install.
pub fn sdk() -> PathBuf {
    std::env::var_os("AGENT_TEST_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::support::repo().join("target/npm"))
        .join("node_modules/@agentclientprotocol/sdk")
}

/// With `CI=true` a missing piece fails the test; elsewhere it is skipped.
pub fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {what} is missing; .ci/run installs @agentclientprotocol/sdk with npm");
    }
    eprintln!("skipping: {what} is missing (`bash .ci/run` installs it)");
}

/// The protocol's schema, from the SDK package.
fn schema() -> Option<Value> {
    let file = sdk().join("schema/v1/schema.json");
    match std::fs::read_to_string(&file) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(e) => {
            missing(&format!("the ACP schema ({}: {e})", file.display()));
            None
        }
    }
}

/// Checks `instance` against the schema's definition `name`.
fn validate(schema: &Value, name: &str, instance: &Value) {
    let mut root = schema.clone();
    let fields = root.as_object_mut().unwrap();
    fields.remove("anyOf");
    fields.insert("$ref".into(), json!(format!("#/$defs/{name}")));
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name} {instance:#}: {errors:#?}");
}

/// The schema definition of the result of `method`; `None` for
/// `session/set_model`, which Kiro and older clients send and the stable
/// schema no longer has.
fn response_definition(method: &str) -> Option<&'static str> {
    Some(match method {
        "initialize" => "InitializeResponse",
        "session/new" => "NewSessionResponse",
        "session/load" => "LoadSessionResponse",
        "session/prompt" => "PromptResponse",
        "session/set_mode" => "SetSessionModeResponse",
        "session/set_config_option" => "SetSessionConfigOptionResponse",
        "session/set_model" => return None,
        other => panic!("no response definition for {other}"),
    })
}

/// A client of one `agent acp` process.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: u64,
    pending: Vec<(u64, String)>,
    schema: Option<Value>,
}

impl Client {
    pub fn start(env: &Env, server: &ModelServer) -> Client {
        let mut command = env.std_command(&env.workspace);
        command
            .args(["acp", "--agent", "bot", "--model", "openai/scripted"])
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let message: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON from the agent: {line}: {e}"));
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
            pending: Vec::new(),
            schema: schema(),
        }
    }

    pub fn send(&mut self, message: Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.push((id, method.to_string()));
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// The agent's next message, checked against the schema.
    pub fn next(&mut self) -> Value {
        let message = self
            .incoming
            .recv_timeout(Duration::from_secs(60))
            .expect("a message from the agent within a minute");
        self.check(&message);
        message
    }

    fn check(&self, message: &Value) {
        let Some(schema) = &self.schema else { return };
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        match message["method"].as_str() {
            Some("session/update") => validate(schema, "SessionNotification", &message["params"]),
            Some("session/request_permission") => {
                validate(schema, "RequestPermissionRequest", &message["params"])
            }
            Some(other) => panic!("unexpected method from the agent: {other}"),
            None if message.get("error").is_some() => {}
            None => {
                let id = message["id"].as_u64().unwrap();
                let method = &self.pending.iter().find(|(p, _)| *p == id).unwrap().1;
                if let Some(definition) = response_definition(method) {
                    validate(schema, definition, &message["result"]);
                }
            }
        }
    }

    /// Reads until the response to `id`, answering the agent's permission
    /// requests with `answer`; returns the response and the updates seen.
    pub fn until(
        &mut self,
        id: u64,
        mut answer: impl FnMut(&Value) -> Value,
    ) -> (Value, Vec<Value>) {
        let mut updates = Vec::new();
        loop {
            let message = self.next();
            if message["id"].as_u64() == Some(id) && message.get("method").is_none() {
                return (message, updates);
            }
            if message["method"] == "session/request_permission" {
                let result = answer(&message["params"]);
                updates.push(message.clone());
                self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": result}));
            } else if message["method"] == "session/update" {
                updates.push(message["params"]["update"].clone());
            }
        }
    }

    pub fn call(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.request(method, params);
        self.until(id, |request| {
            panic!("unexpected permission request {request}")
        })
    }

    pub fn initialize(&mut self) -> Value {
        let (response, _) = self.call(
            "initialize",
            json!({"protocolVersion": 1, "clientCapabilities": {"fs": {"readTextFile": true, "writeTextFile": true}, "terminal": true}}),
        );
        response["result"].clone()
    }

    pub fn new_session(&mut self, env: &Env) -> String {
        let (response, _) = self.call(
            "session/new",
            json!({"cwd": env.workspace, "mcpServers": []}),
        );
        response["result"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_string()
    }

    pub fn prompt(&mut self, session: &str, text: &str) -> u64 {
        self.request(
            "session/prompt",
            json!({"sessionId": session, "prompt": [{"type": "text", "text": text}]}),
        )
    }

    /// Closes stdin and waits for the agent to end.
    pub fn close(mut self) -> std::process::ExitStatus {
        drop(self.stdin);
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("agent acp did not end when its stdin closed");
    }
}

/// The text of every chunk of `kind` among `updates`.
pub fn chunks(updates: &[Value], kind: &str) -> String {
    updates
        .iter()
        .filter(|u| u["sessionUpdate"] == kind)
        .map(|u| u["content"]["text"].as_str().unwrap_or_default())
        .collect()
}

pub fn selected(option: &str) -> Value {
    json!({"outcome": {"outcome": "selected", "optionId": option}})
}
