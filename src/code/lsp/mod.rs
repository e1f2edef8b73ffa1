//! Language servers, when the workspace has them: configured in
//! `.kiro/settings/lsp.json` ([`config`]), started on first use, one per
//! workspace and language, kept for the process ([`client`]). A server
//! that crashes or stops answering is restarted once; after that each
//! call says so instead of starting it again. No call waits past the
//! server's timeout.
//!
//! Servers run with the shell tool's scrubbed environment, in the
//! workspace, through the agent's OS sandbox made read-only
//! ([`Sandbox::read_only`]): they read everything a shell command may
//! read, write nothing but their private temporary folder (which is also
//! their `TMPDIR`, and where `XDG_CACHE_HOME` and npm's cache point, as
//! for a shell command whose fence does not cover `~/.cache`), and have no
//! network. `HOME` is left as it is, so a server still reads the user's
//! configuration. With the sandbox off, or `auto` where there is none, a
//! server runs as it is, as shell commands do; with `required` and layers
//! missing it is refused. Their results are filtered by the policy's
//! [`Hidden`](crate::policy::Hidden) paths like everything else here.

pub mod client;
pub mod config;
pub mod ops;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use client::Client;
use config::LspConfig;

use crate::policy::paths::Roots;
use crate::sandbox::Sandbox;

/// How the servers of one workspace are started: where, with which
/// environment, and in which sandbox.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The workspace (the servers' root and working folder) and home.
    pub roots: Roots,
    /// The agent's sandbox, made read-only.
    pub sandbox: Sandbox,
    /// The servers' environment (the shell tool's scrubbed one).
    pub env: Vec<(OsString, OsString)>,
}

impl Launch {
    /// Servers for the workspace of `roots`, run in `sandbox` made
    /// read-only, with the environment `env`.
    pub fn new(roots: &Roots, sandbox: &Sandbox, env: Vec<(OsString, OsString)>) -> Launch {
        Launch {
            roots: roots.clone(),
            sandbox: sandbox.clone().read_only(),
            env,
        }
    }
}

/// One workspace language's server, and how often it was restarted.
#[derive(Default)]
struct Slot {
    client: Option<Arc<Client>>,
    started: u32,
    last_error: Option<String>,
}

/// The servers of this process, by workspace and server name.
static SERVERS: Mutex<BTreeMap<(PathBuf, String), Slot>> = Mutex::new(BTreeMap::new());

/// Runs `call` with the server for `file` in `launch`'s workspace,
/// starting it if needed; a server that failed the call by dying or
/// hanging is retired, to be restarted once by the next call.
pub fn with_server<T>(
    launch: &Launch,
    file: &Path,
    call: impl FnOnce(&Client) -> Result<T, String>,
) -> Result<T, String> {
    let workspace = launch.roots.workspace.as_path();
    let config = LspConfig::load(workspace)?.ok_or_else(|| {
        format!(
            "no language server is configured for this workspace; `agent code init` (or `/code init`) writes {}",
            config::CONFIG_PATH
        )
    })?;
    let server = config.server_for(file).ok_or_else(|| {
        format!(
            "{} configures no language server for {}",
            config::CONFIG_PATH,
            file.display()
        )
    })?;
    let key = (workspace.to_path_buf(), server.name.clone());
    let client = running(&key, server, launch)?;
    let result = call(&client);
    if let Err(error) = &result
        && (!client.alive() || error.contains("did not answer"))
        && let Ok(mut servers) = SERVERS.lock()
        && let Some(slot) = servers.get_mut(&key)
    {
        slot.client = None;
        slot.last_error = Some(error.clone());
    }
    result
}

/// The running client for `key`, started (or restarted, once) if needed.
fn running(
    key: &(PathBuf, String),
    server: &config::ServerConfig,
    launch: &Launch,
) -> Result<Arc<Client>, String> {
    let mut servers = SERVERS.lock().map_err(|_| "the server table is poisoned")?;
    let slot = servers.entry(key.clone()).or_default();
    if let Some(client) = &slot.client {
        if client.alive() {
            return Ok(client.clone());
        }
        slot.last_error = Some(format!("`{}` exited", server.name));
        slot.client = None;
    }
    if slot.started >= 2 {
        let why = slot.last_error.clone().unwrap_or_default();
        return Err(format!(
            "`{}` failed again after a restart ({why}); it is not started again in this session (see `/code logs`)",
            server.name
        ));
    }
    slot.started += 1;
    match Client::start(server, launch) {
        Ok(client) => {
            let client = Arc::new(client);
            slot.client = Some(client.clone());
            Ok(client)
        }
        Err(error) => {
            slot.last_error = Some(error.clone());
            Err(error)
        }
    }
}

/// One line per configured server of `workspace`: running or not, how
/// often started, its last error; then the known servers on `path`.
pub fn status(workspace: &Path, path: &str) -> String {
    let mut out = Vec::new();
    match LspConfig::load(workspace) {
        Ok(Some(config)) => {
            let servers = SERVERS.lock().ok();
            for (language, server) in &config.languages {
                let key = (workspace.to_path_buf(), server.name.clone());
                let slot = servers.as_ref().and_then(|s| s.get(&key));
                let state = match slot {
                    Some(Slot {
                        client: Some(c), ..
                    }) if c.alive() => "running".to_string(),
                    Some(Slot {
                        last_error: Some(e),
                        ..
                    }) => format!("stopped: {e}"),
                    _ => "not started".to_string(),
                };
                out.push(format!("{language}: {} ({state})", server.name));
            }
        }
        Ok(None) => out.push(format!("no {}: run `/code init`", config::CONFIG_PATH)),
        Err(error) => out.push(error),
    }
    let found: Vec<&str> = config::known_programs()
        .into_iter()
        .filter(|p| config::on_path(p, path).is_some())
        .collect();
    out.push(format!(
        "servers on PATH: {}",
        if found.is_empty() {
            "none".into()
        } else {
            found.join(", ")
        }
    ));
    out.join("\n")
}

/// The last stderr lines of the workspace's running servers.
pub fn logs(workspace: &Path) -> String {
    let Ok(servers) = SERVERS.lock() else {
        return String::new();
    };
    let mut out = Vec::new();
    for ((root, name), slot) in servers.iter() {
        if root != workspace {
            continue;
        }
        out.push(format!("── {name}"));
        if let Some(client) = &slot.client {
            out.extend(client.log());
        }
        if let Some(error) = &slot.last_error {
            out.push(format!("last error: {error}"));
        }
    }
    if out.is_empty() {
        return "no language server has run in this session".into();
    }
    out.join("\n")
}

/// Writes `lsp.json` for the workspace's languages and the servers found
/// on `path`, unless one exists; says what it did.
pub fn init(
    workspace: &Path,
    languages: &[crate::code::lang::Lang],
    path: &str,
) -> Result<String, String> {
    if let Some(existing) = LspConfig::load(workspace)? {
        let names: Vec<String> = existing
            .languages
            .iter()
            .map(|(l, s)| format!("{l}: {}", s.name))
            .collect();
        return Ok(format!(
            "{} exists and is kept ({})",
            config::CONFIG_PATH,
            names.join(", ")
        ));
    }
    let detected = config::detect(languages, path);
    if detected.languages.is_empty() {
        let shown: Vec<&str> = languages.iter().map(|l| l.name()).collect();
        return Err(format!(
            "no known language server on PATH for this workspace's languages ({}); install one (pylsp, pyright, typescript-language-server, rust-analyzer, gopls, clangd, jdtls) or write {} by hand",
            shown.join(", "),
            config::CONFIG_PATH
        ));
    }
    let target = workspace.join(config::CONFIG_PATH);
    if let Some(folder) = target.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let text = serde_json::to_string_pretty(&detected).map_err(|e| e.to_string())?;
    crate::atomic::write(&target, format!("{text}\n").as_bytes(), None)
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let names: Vec<String> = detected
        .languages
        .iter()
        .map(|(l, s)| format!("{l}: {}", s.name))
        .collect();
    Ok(format!(
        "wrote {} ({})",
        config::CONFIG_PATH,
        names.join(", ")
    ))
}
