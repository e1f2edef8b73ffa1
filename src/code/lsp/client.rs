//! One language server, spoken to over its stdin and stdout (JSON-RPC with
//! `Content-Length` frames). A reader thread routes responses to the
//! waiting request, keeps the diagnostics the server publishes, answers
//! the server's own requests with `null`, and keeps its last stderr lines
//! for `/code logs`. Every wait has a deadline: a server that hangs makes a
//! call fail, never block.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Launch;
use super::config::ServerConfig;
use crate::sandbox::Prepared;

/// Stderr lines kept of a server.
const LOG_LINES: usize = 200;

/// Diagnostics by document URI, each with how many times they were
/// published.
type Published = BTreeMap<String, (u64, Vec<Value>)>;

/// State the reader thread shares with callers.
#[derive(Default)]
struct Shared {
    pending: Mutex<BTreeMap<u64, Sender<Value>>>,
    diagnostics: Mutex<Published>,
    published: Condvar,
    log: Mutex<VecDeque<String>>,
}

/// A running language server.
pub struct Client {
    /// Its configuration.
    pub config: ServerConfig,
    child: Mutex<Child>,
    /// The sandbox's side of the process (its private temporary folder),
    /// removed after the process is killed.
    _sandbox: Prepared,
    stdin: Arc<Mutex<ChildStdin>>,
    next_id: AtomicU64,
    shared: Arc<Shared>,
    opened: Mutex<BTreeMap<String, i64>>,
    timeout: Duration,
}

impl Client {
    /// Starts `config`'s server as `launch` says (in the read-only
    /// sandbox, from the workspace) and initializes it.
    pub fn start(config: &ServerConfig, launch: &Launch) -> Result<Client, String> {
        let root = launch.roots.workspace.as_path();
        let cannot = |e: &dyn std::fmt::Display| format!("cannot start `{}`: {e}", config.command);
        let mut prepared = launch
            .sandbox
            .prepare_program(
                &config.command,
                &config.args,
                &launch.roots,
                launch.env.clone(),
            )
            .map_err(|e| cannot(&e))?;
        prepared
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = prepared.spawn_with_stdin().map_err(|e| cannot(&e))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("the server's streams could not be opened".into());
        };
        let shared = Arc::new(Shared::default());
        let stdin = Arc::new(Mutex::new(stdin));
        spawn_reader(stdout, shared.clone(), stdin.clone());
        spawn_logger(stderr, shared.clone());
        let client = Client {
            config: config.clone(),
            child: Mutex::new(child),
            _sandbox: prepared,
            stdin,
            next_id: AtomicU64::new(1),
            shared,
            opened: Mutex::new(BTreeMap::new()),
            timeout: Duration::from_secs(config.request_timeout_secs),
        };
        client.initialize(root)?;
        Ok(client)
    }

    /// `initialize`, without the agent's process id: inside the
    /// sandbox's PID namespace it names no process, and a server that
    /// watches it (typescript-language-server does) would exit at once.
    /// A server ends when its stdin closes, or with its sandbox helper.
    fn initialize(&self, root: &Path) -> Result<(), String> {
        let uri = file_uri(root);
        let params = json!({
            "processId": null,
            "rootUri": uri,
            "workspaceFolders": [{"uri": uri, "name": "workspace"}],
            "initializationOptions": self.config.initialization_options,
            "capabilities": {
                "textDocument": {
                    "synchronization": {"didSave": true},
                    "hover": {"contentFormat": ["plaintext", "markdown"]},
                    "definition": {}, "references": {}, "rename": {}, "formatting": {},
                    "completion": {"completionItem": {"snippetSupport": false}},
                    "publishDiagnostics": {}
                },
                "workspace": {"workspaceFolders": true, "configuration": true}
            }
        });
        self.request("initialize", params)?;
        self.notify("initialized", json!({}))
    }

    /// Whether the process is still running.
    pub fn alive(&self) -> bool {
        self.child
            .lock()
            .map(|mut child| matches!(child.try_wait(), Ok(None)))
            .unwrap_or(false)
    }

    /// The server's last stderr lines.
    pub fn log(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sends a request and waits, up to the timeout, for its result.
    pub fn request(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = channel();
        if let Ok(mut pending) = self.shared.pending.lock() {
            pending.insert(id, sender);
        }
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let answer = receiver.recv_timeout(self.timeout);
        if let Ok(mut pending) = self.shared.pending.lock() {
            pending.remove(&id);
        }
        let answer = answer.map_err(|_| {
            format!(
                "`{}` did not answer `{method}` within {} s",
                self.config.name,
                self.timeout.as_secs()
            )
        })?;
        match answer.get("error") {
            Some(error) => Err(format!(
                "`{}` refused `{method}`: {}",
                self.config.name, error["message"]
            )),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Sends a notification.
    pub fn notify(&self, method: &str, params: Value) -> Result<(), String> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn send(&self, message: &Value) -> Result<(), String> {
        write_message(&self.stdin, message)
            .map_err(|e| format!("`{}` is not running: {e}", self.config.name))
    }

    /// Tells the server the current text of `path` (open, or changed).
    pub fn sync(&self, path: &Path, text: &str) -> Result<(), String> {
        let uri = file_uri(path);
        let version = {
            let mut opened = self
                .opened
                .lock()
                .map_err(|_| "the server state is poisoned")?;
            let version = opened.entry(uri.clone()).or_insert(0);
            *version += 1;
            *version
        };
        if version == 1 {
            let language = self.config.language_id.clone();
            self.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": language, "version": version, "text": text}}))
        } else {
            self.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}))?;
            self.notify(
                "textDocument/didSave",
                json!({"textDocument": {"uri": uri}}),
            )
        }
    }

    /// The diagnostics of `path` after it is synced with `text`: waits up
    /// to `wait` for the server to publish them.
    pub fn diagnostics(
        &self,
        path: &Path,
        text: &str,
        wait: Duration,
    ) -> Result<Vec<Value>, String> {
        let uri = file_uri(path);
        let before = self.published_count(&uri);
        self.sync(path, text)?;
        let deadline = Instant::now() + wait;
        let mut published = self.shared.diagnostics.lock().map_err(|_| "poisoned")?;
        loop {
            if let Some((count, found)) = published.get(&uri)
                && *count > before
            {
                return Ok(found.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "`{}` published no diagnostics within {} s",
                    self.config.name,
                    wait.as_secs()
                ));
            }
            published = self
                .shared
                .published
                .wait_timeout(published, left)
                .map_err(|_| "poisoned")?
                .0;
        }
    }

    fn published_count(&self, uri: &str) -> u64 {
        self.shared
            .diagnostics
            .lock()
            .ok()
            .and_then(|p| p.get(uri).map(|(count, _)| *count))
            .unwrap_or(0)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_message(stdin: &Mutex<ChildStdin>, message: &Value) -> std::io::Result<()> {
    let body = message.to_string();
    let mut stdin = stdin
        .lock()
        .map_err(|_| std::io::Error::other("poisoned"))?;
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    stdin.flush()
}

fn spawn_reader(
    stdout: impl Read + Send + 'static,
    shared: Arc<Shared>,
    stdin: Arc<Mutex<ChildStdin>>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        while let Some(message) = read_message(&mut reader) {
            route(message, &shared, &stdin);
        }
        // The server is gone: nothing will answer what is pending.
        if let Ok(mut pending) = shared.pending.lock() {
            pending.clear();
        }
    });
}

fn spawn_logger(stderr: impl Read + Send + 'static, shared: Arc<Shared>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut log) = shared.log.lock() {
                if log.len() == LOG_LINES {
                    log.pop_front();
                }
                log.push_back(line);
            }
        }
    });
}

/// A response to its request, diagnostics to the store, and `null` to
/// the server's own requests.
fn route(message: Value, shared: &Shared, stdin: &Mutex<ChildStdin>) {
    let method = message["method"].as_str();
    match (message.get("id"), method) {
        (Some(id), None) => {
            let sender = id
                .as_u64()
                .and_then(|id| shared.pending.lock().ok()?.remove(&id));
            if let Some(sender) = sender {
                let _ = sender.send(message);
            }
        }
        (Some(id), Some(_)) => {
            let _ = write_message(stdin, &json!({"jsonrpc": "2.0", "id": id, "result": null}));
        }
        (None, Some("textDocument/publishDiagnostics")) => {
            let params = &message["params"];
            let uri = params["uri"].as_str().unwrap_or_default().to_string();
            let found = params["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if let Ok(mut published) = shared.diagnostics.lock() {
                let entry = published.entry(uri).or_insert((0, Vec::new()));
                *entry = (entry.0 + 1, found);
                shared.published.notify_all();
            }
        }
        _ => {}
    }
}

/// One framed message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let Some(length) = length else { continue };
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        if let Ok(message) = serde_json::from_slice(&body) {
            return Some(message);
        }
    }
}

/// `file://` URI of an absolute path.
pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri
}

/// The path of a `file://` URI.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    let raw = uri.strip_prefix("file://")?;
    let mut bytes = Vec::with_capacity(raw.len());
    let mut iter = raw.bytes();
    while let Some(byte) = iter.next() {
        if byte == b'%' {
            let hex: String = [iter.next()?, iter.next()?]
                .iter()
                .map(|b| *b as char)
                .collect();
            bytes.push(u8::from_str_radix(&hex, 16).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    Some(PathBuf::from(String::from_utf8(bytes).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        let path = Path::new("/w/a b/é.py");
        assert_eq!(file_uri(path), "file:///w/a%20b/%C3%A9.py");
        assert_eq!(uri_path(&file_uri(path)).as_deref(), Some(path));
    }

    #[test]
    fn frames_are_read_by_length() {
        let text =
            "Content-Length: 7\r\nContent-Type: x\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}";
        let mut reader = BufReader::new(text.as_bytes());
        assert_eq!(read_message(&mut reader), Some(json!({"a": 1})));
        assert_eq!(read_message(&mut reader), Some(json!({})));
        assert_eq!(read_message(&mut reader), None);
    }
}
