//! The OS sandbox every shell command runs in: the write fence and the
//! network rule enforced by the kernel, not only judged as strings.
//!
//! `python .*` in `allowedCommands` lets `python -c` do anything Python
//! can; the sandbox is what keeps it inside the fence. For each command
//! the shell tool asks [`Sandbox::prepare`] for a [`Prepared`] command: a
//! fresh private temporary folder, the fence's folders resolved now, the
//! protected paths inside them found, and the agent binary run again as
//! the helper (`agent __sandbox`, see `helper`) with that [`Plan`] on
//! standard input. The helper builds the layers and `exec`s `bash -c`.
//!
//! Layers (Linux), each used where the machine has it:
//! - user, mount, network and PID namespaces: read-only binds over
//!   protected paths inside writable folders, empty mounts over
//!   credentials, a loopback-only network, a `/proc` showing only the
//!   command's processes, and everything it started killed when it ends;
//! - Landlock: everything readable except what is hidden, writable only
//!   the fence's folders, the private temporary folder and `/dev/null`;
//! - seccomp: no sockets but `AF_UNIX` (and the internet families when the
//!   network is allowed or a network namespace holds the command in).
//!
//! Elsewhere (macOS, …) there is no kernel layer: commands are judged by
//! the policy, and [`fence::Fence::audit`] checks what they changed.

mod check;
pub mod fence;
#[cfg(target_os = "linux")]
pub mod helper;
#[cfg(target_os = "linux")]
mod linux;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::config::error::JsonPath;
pub use crate::config::model::SandboxMode;
use crate::config::{AgentConfig, AgentSource, Origin, Rule};
use crate::policy::paths::{Roots, SENSITIVE_HOME_PATHS, resolve_existing_prefix};
pub use check::check_agent;
use fence::{Fence, Found};

/// The hidden first argument that makes the `agent` binary the sandbox
/// helper: `agent __sandbox PROGRAM ARGS…`, with the plan on stdin.
pub const HELPER_SUBCOMMAND: &str = "__sandbox";

/// The names of the layers, as `agent doctor` and the warnings say them.
pub mod layer {
    /// Landlock: the file-system fence.
    pub const LANDLOCK: &str = "Landlock";
    /// User and mount namespaces: read-only binds and hidden credentials.
    pub const NAMESPACES: &str = "user and mount namespaces";
    /// A network namespace with only a loopback.
    pub const NETWORK: &str = "network namespace";
    /// A PID namespace: the command's processes end with it.
    pub const PID: &str = "PID namespace";
    /// The seccomp socket filter.
    pub const SECCOMP: &str = "seccomp";
    /// Every layer, in the order the helper sets them up.
    pub const ALL: [&str; 5] = [NAMESPACES, NETWORK, PID, LANDLOCK, SECCOMP];
}

/// What the helper is to set up, sent to it as JSON on its stdin.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// Fail rather than leave a layer out.
    pub required: bool,
    /// The command may use the network.
    pub network: bool,
    /// Report the layers as JSON instead of running the command.
    pub probe: bool,
    /// Existing folders and files the command may write.
    pub writable: Vec<PathBuf>,
    /// Existing paths inside them that stay read-only.
    pub protect: Vec<PathBuf>,
    /// Existing paths the command may not read.
    pub hide: Vec<PathBuf>,
}

/// One layer of the sandbox and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// One of [`layer::ALL`].
    pub name: String,
    /// Whether it could be set up.
    pub on: bool,
    /// How far it is enforced, or why it is off.
    pub detail: String,
}

/// The layers a sandbox was, or can be, built from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layers {
    /// In the order they are set up.
    pub layers: Vec<Layer>,
}

impl Layers {
    /// Which layers this machine has, found by running the helper once in
    /// probe mode (it sets every layer up in its own process, then reports
    /// instead of running a command). `helper` is the `agent` binary.
    pub fn detect(helper: &Path) -> Layers {
        if !cfg!(target_os = "linux") {
            return Layers::all_off("no OS sandbox on this platform");
        }
        let plan = Plan {
            probe: true,
            ..Plan::default()
        };
        let mut command = Command::new(helper);
        command
            .args([HELPER_SUBCOMMAND, "true"])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = spawn_with_plan(&mut command, &plan).and_then(|c| c.wait_with_output());
        match output {
            Ok(output) => serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
                Layers::all_off(&format!(
                    "the sandbox helper failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ))
            }),
            Err(e) => Layers::all_off(&format!("the sandbox helper did not start: {e}")),
        }
    }

    fn all_off(why: &str) -> Layers {
        Layers {
            layers: layer::ALL
                .iter()
                .map(|name| Layer {
                    name: name.to_string(),
                    on: false,
                    detail: why.to_string(),
                })
                .collect(),
        }
    }

    /// The layers a command needs that are off (the network namespace is
    /// not needed when the network is allowed).
    pub fn missing(&self, network: bool) -> Vec<Layer> {
        layer::ALL
            .iter()
            .filter(|name| !(network && **name == layer::NETWORK))
            .filter_map(|name| match self.layers.iter().find(|l| l.name == *name) {
                Some(found) if found.on => None,
                Some(found) => Some(found.clone()),
                None => Some(Layer {
                    name: name.to_string(),
                    on: false,
                    detail: "not set up".into(),
                }),
            })
            .collect()
    }
}

/// The sandbox settings of one agent: how commands are sandboxed and what
/// their fence is. Cheap to clone; the layer detection is shared.
#[derive(Debug, Clone)]
pub struct Sandbox {
    mode: SandboxMode,
    network: bool,
    writable: Vec<Rule<String>>,
    /// `writablePaths` alone, whose missing folders are made before a
    /// command (see [`Sandbox::make_missing_folders`]).
    extra: Vec<Rule<String>>,
    write_denied: Vec<Rule<String>>,
    read_denied: Vec<Rule<String>>,
    hidden: Vec<PathBuf>,
    helper: PathBuf,
    layers: Arc<OnceLock<Layers>>,
}

impl Sandbox {
    /// The sandbox `config` asks for: its mode and network settings; the
    /// folders of `write.allowedPaths` (the workspace when the agent has no
    /// write fence) and `writablePaths` writable; `write.deniedPaths` kept
    /// read-only; credentials, `read.deniedPaths` and `agent`'s own state
    /// folders hidden. The helper is this process's own binary.
    pub fn for_agent(config: &AgentConfig) -> Sandbox {
        let settings = &config.settings;
        let mut writable = match &settings.write.allowed {
            Some(rules) => rules.clone(),
            None => vec![Rule {
                value: ".".into(),
                origin: Origin {
                    source: AgentSource::BuiltIn,
                    position: None,
                    path: JsonPath::root(),
                },
            }],
        };
        writable.extend(settings.shell.writable_paths.iter().cloned());
        Sandbox {
            mode: settings.shell.sandbox,
            network: settings.shell.network,
            writable,
            extra: settings.shell.writable_paths.clone(),
            write_denied: settings.write.denied.clone(),
            read_denied: settings.read.denied.clone(),
            hidden: always_hidden(),
            helper: own_binary(),
            layers: Arc::default(),
        }
    }

    /// No sandbox: commands run as they are (for tests of the shell tool's
    /// own plumbing, and for library users without the helper).
    pub fn off() -> Sandbox {
        Sandbox {
            mode: SandboxMode::Off,
            network: true,
            writable: Vec::new(),
            extra: Vec::new(),
            write_denied: Vec::new(),
            read_denied: Vec::new(),
            hidden: Vec::new(),
            helper: own_binary(),
            layers: Arc::default(),
        }
    }

    /// The same sandbox with `helper` as the binary that runs
    /// `agent __sandbox` (needed when this process is not `agent`, as in a
    /// test binary).
    pub fn with_helper(mut self, helper: impl Into<PathBuf>) -> Sandbox {
        self.helper = helper.into();
        self.layers = Arc::default();
        self
    }

    /// `auto`, `required` or `off`.
    pub fn mode(&self) -> SandboxMode {
        self.mode
    }

    /// One word for status lines: `off`, `on` (every layer this
    /// configuration needs is there), or `partial`.
    pub fn state(&self) -> &'static str {
        match self.mode {
            SandboxMode::Off => "off",
            _ if self.layers().missing(self.network).is_empty() => "on",
            _ => "partial",
        }
    }

    /// The write fence for the workspace and home in `roots`, as it is on
    /// disk now; its [`Fence::audit`] checks a command's changes.
    pub fn fence(&self, roots: &Roots) -> Fence {
        Fence::new(&self.writable, &self.write_denied, roots)
    }

    /// The layers this machine has (detected once, then remembered).
    pub fn layers(&self) -> &Layers {
        self.layers.get_or_init(|| Layers::detect(&self.helper))
    }

    /// What to tell the user when a session starts: the sandbox is off,
    /// partial, or (with `required`) missing so commands will be refused.
    pub fn startup_warning(&self) -> Option<String> {
        let setting = "`toolsSettings.shell.sandbox`";
        if self.mode == SandboxMode::Off {
            return Some(format!(
                "the OS sandbox is off ({setting} is \"off\"): shell commands are only judged by the policy"
            ));
        }
        let missing = self.layers().missing(self.network);
        if missing.is_empty() {
            return None;
        }
        let list = describe(&missing);
        Some(match self.mode {
            SandboxMode::Required => {
                format!("shell commands will be refused: {setting} is \"required\" and {list}")
            }
            _ => format!("the OS sandbox is partial here: {list}; see `agent doctor`"),
        })
    }

    /// `bash -c command` in the workspace of `roots`, with the environment
    /// `env`, ready to run in a fresh sandbox (or as it is with `off`).
    /// Fails when `required` cannot be met, or the private temporary
    /// folder cannot be made.
    pub fn prepare(
        &self,
        command: &str,
        roots: &Roots,
        env: Vec<(OsString, OsString)>,
    ) -> Result<Prepared, String> {
        let unsandboxed = self.mode == SandboxMode::Off
            || (self.mode == SandboxMode::Auto && !cfg!(target_os = "linux"));
        if unsandboxed {
            let mut plain = Command::new("bash");
            plain
                .arg("-c")
                .arg(command)
                .current_dir(&roots.workspace)
                .env_clear()
                .envs(env)
                .stdin(Stdio::null());
            return Ok(Prepared {
                command: plain,
                plan: None,
                watch: None,
                temp: None,
            });
        }
        if self.mode == SandboxMode::Required {
            let missing = self.layers().missing(self.network);
            if !missing.is_empty() {
                return Err(format!(
                    "refused: `toolsSettings.shell.sandbox` is \"required\" and {}",
                    describe(&missing)
                ));
            }
        }
        let temp = PrivateTemp::create()
            .map_err(|e| format!("cannot make the sandbox's temporary folder: {e}"))?;
        self.make_missing_folders(roots);
        let fence = self.fence(roots);
        let folders: Vec<PathBuf> = fence
            .writable()
            .iter()
            .filter(|p| p.exists())
            .cloned()
            .collect();
        let before = fence::protected_inside(&folders);
        let mut protect: Vec<PathBuf> = before.iter().map(|f| f.path.clone()).collect();
        protect.extend(fence.denied_inside(&self.write_denied));
        let mut writable = folders.clone();
        writable.push(temp.path.clone());
        let plan = Plan {
            required: self.mode == SandboxMode::Required,
            network: self.network,
            probe: false,
            writable,
            protect,
            hide: self.hidden_paths(roots),
        };
        let mut sandboxed = Command::new(&self.helper);
        sandboxed
            .args([HELPER_SUBCOMMAND, "bash", "-c", command])
            .current_dir(&roots.workspace)
            .env_clear()
            .envs(sandbox_env(env, &temp.path, &fence, roots))
            .stdin(Stdio::piped());
        Ok(Prepared {
            command: sandboxed,
            plan: Some(plan),
            watch: Some(Watch {
                folders,
                before,
                workspace: roots.workspace.clone(),
            }),
            temp: Some(temp),
        })
    }

    /// Makes the `writablePaths` folders inside the workspace that do not
    /// exist yet, empty. The kernel layers can only open a folder that
    /// exists, and tools make their output folder themselves, in a way the
    /// fence would refuse: cargo creates `target` by renaming a temporary
    /// folder made in the workspace root. Folders outside the workspace,
    /// and any the fence drops (protected paths, credentials, a path that
    /// a symlink leads out of the workspace), are left alone; a folder that
    /// cannot be made stays unwritable, as before.
    fn make_missing_folders(&self, roots: &Roots) {
        let fence = Fence::new(&self.extra, &[], roots);
        for folder in fence.writable() {
            if folder.starts_with(&roots.workspace)
                && folder != &roots.workspace
                && folder.symlink_metadata().is_err()
            {
                let _ = std::fs::create_dir_all(folder);
            }
        }
    }

    /// Everything commands may not read that exists now: the credentials
    /// folders under home, `agent`'s state, `read.deniedPaths`.
    fn hidden_paths(&self, roots: &Roots) -> Vec<PathBuf> {
        let home = roots.home.iter().flat_map(|home| {
            SENSITIVE_HOME_PATHS
                .iter()
                .map(move |p| resolve_existing_prefix(&home.join(p)))
        });
        let fixed = self.hidden.iter().map(|p| resolve_existing_prefix(p));
        let mut hidden: Vec<PathBuf> = home
            .chain(fixed)
            .filter(|p| p.symlink_metadata().is_ok())
            .chain(
                self.read_denied
                    .iter()
                    .flat_map(|rule| fence::expand(rule, roots)),
            )
            .collect();
        hidden.sort();
        hidden.dedup();
        hidden
    }
}

/// "A: why, B: why", for warnings and refusals.
fn describe(missing: &[Layer]) -> String {
    let parts: Vec<String> = missing
        .iter()
        .map(|l| format!("{} is unavailable ({})", l.name, l.detail))
        .collect();
    parts.join(", ")
}

/// Places no command reads whatever the agent file says: `agent`'s own
/// settings (which may hold provider keys) and sessions, the ssh agent's
/// socket, and the container engines' sockets (root on the host).
fn always_hidden() -> Vec<PathBuf> {
    let mut hidden = Vec::new();
    if let Ok(state) = crate::paths::StatePaths::from_env() {
        hidden.push(state.config);
        hidden.push(state.data);
    }
    if let Some(socket) = std::env::var_os("SSH_AUTH_SOCK") {
        hidden.push(PathBuf::from(socket));
    }
    hidden.extend(
        [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/run/podman/podman.sock",
        ]
        .map(PathBuf::from),
    );
    hidden
}

/// The binary this process runs, named so that it still works when the
/// file was replaced (a rebuild) during the session.
fn own_binary() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("agent"))
    }
}

/// Names whose values the sandbox sets itself.
const SANDBOX_VARIABLES: [&str; 3] = ["TMPDIR", "TMP", "TEMP"];

/// git settings that would run programs or daemons from a repository's
/// config, neutralised for commands (git reads `GIT_CONFIG_*` last).
const GIT_OVERRIDES: [(&str, &str); 3] = [
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
];

/// A cache a tool writes by default, moved to the private temporary folder
/// when its usual place is not writable and the user did not set its
/// variable: the tool then neither fails nor warns, and takes no longer
/// than outside (pytest's warning that it cannot write `.pytest_cache`
/// cost each run about 6 ms).
struct Cache {
    /// The variable that moves it.
    variable: &'static str,
    /// Its usual place, below home or the workspace.
    base: Base,
    usual: &'static str,
    /// What the variable is set to before the new place.
    prefix: &'static str,
    /// Its folder in the temporary folder.
    folder: &'static str,
}

const CACHES: [Cache; 4] = [
    Cache {
        variable: "XDG_CACHE_HOME",
        base: Base::Home,
        usual: ".cache",
        prefix: "",
        folder: "cache",
    },
    Cache {
        variable: "MYPY_CACHE_DIR",
        base: Base::Workspace,
        usual: ".mypy_cache",
        prefix: "",
        folder: "mypy_cache",
    },
    Cache {
        variable: "npm_config_cache",
        base: Base::Home,
        usual: ".npm",
        prefix: "",
        folder: "npm",
    },
    Cache {
        variable: "PYTEST_ADDOPTS",
        base: Base::Workspace,
        usual: ".pytest_cache",
        prefix: "-o cache_dir=",
        folder: "pytest_cache",
    },
];

#[derive(Clone, Copy)]
enum Base {
    Home,
    Workspace,
}

/// The command's environment: `env` with the private temporary folder as
/// `TMPDIR`/`TMP`/`TEMP`, git's hooks, fsmonitor and pager off, and caches
/// that could not be written moved to the temporary folder.
fn sandbox_env(
    env: Vec<(OsString, OsString)>,
    temp: &Path,
    fence: &Fence,
    roots: &Roots,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = env
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_string_lossy();
            !SANDBOX_VARIABLES.contains(&name.as_ref()) && !name.starts_with("GIT_CONFIG_")
        })
        .collect();
    for cache in &CACHES {
        let usual = match cache.base {
            Base::Home => roots.home.as_ref().map(|h| h.join(cache.usual)),
            Base::Workspace => Some(roots.workspace.join(cache.usual)),
        };
        let chosen = env.iter().any(|(n, _)| n == cache.variable);
        let writable = usual.is_some_and(|p| fence.is_writable(&p));
        if !chosen && !writable {
            let mut value = OsString::from(cache.prefix);
            value.push(temp.join(cache.folder));
            env.push((cache.variable.into(), value));
        }
    }
    for name in SANDBOX_VARIABLES {
        env.push((name.into(), temp.into()));
    }
    env.push((
        "GIT_CONFIG_COUNT".into(),
        GIT_OVERRIDES.len().to_string().into(),
    ));
    for (i, (key, value)) in GIT_OVERRIDES.iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{i}").into(), (*key).into()));
        env.push((format!("GIT_CONFIG_VALUE_{i}").into(), (*value).into()));
    }
    env
}

/// A command ready to run in its sandbox, and what to do after it.
pub struct Prepared {
    command: Command,
    plan: Option<Plan>,
    watch: Option<Watch>,
    temp: Option<PrivateTemp>,
}

/// The protected paths that existed before the command, to find the ones
/// it created.
struct Watch {
    folders: Vec<PathBuf>,
    before: BTreeSet<Found>,
    workspace: PathBuf,
}

impl Prepared {
    /// The command, to set its output streams and process group.
    pub fn command(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Starts the command (the helper, which is handed its plan).
    pub fn spawn(&mut self) -> std::io::Result<Child> {
        match &self.plan {
            Some(plan) => spawn_with_plan(&mut self.command, plan),
            None => self.command.spawn(),
        }
    }

    /// Cleans up after the command has ended: removes the private
    /// temporary folder, and any protected path (`.git`, `.kiro`, …) the
    /// command created inside a writable folder, which no kernel layer can
    /// forbid before it exists. Returns a note for each, for the output.
    pub fn finish(self) -> Vec<String> {
        drop(self.temp);
        let Some(watch) = self.watch else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        for found in fence::protected_inside(&watch.folders) {
            let shown = found
                .path
                .strip_prefix(&watch.workspace)
                .unwrap_or(&found.path)
                .display()
                .to_string();
            match watch.before.iter().find(|b| b.path == found.path) {
                None => {
                    let removed = match found.path.symlink_metadata() {
                        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&found.path),
                        _ => std::fs::remove_file(&found.path),
                    };
                    notes.push(match removed {
                        Ok(()) => format!(
                            "sandbox: removed `{shown}`, which the command created: shell commands may not create protected paths"
                        ),
                        Err(e) => format!(
                            "sandbox: the command created the protected path `{shown}`, which could not be removed: {e}"
                        ),
                    });
                }
                Some(before) if before.id != found.id => notes.push(format!(
                    "sandbox: the command replaced the protected path `{shown}`"
                )),
                Some(_) => {}
            }
        }
        notes
    }
}

/// Spawns `command` (whose stdin is a pipe) and writes `plan` to it.
fn spawn_with_plan(command: &mut Command, plan: &Plan) -> std::io::Result<Child> {
    let text = serde_json::to_vec(plan).map_err(std::io::Error::other)?;
    let mut child = command.spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that died before reading says why on stderr, and its
        // exit status tells the caller; the broken pipe adds nothing.
        let _ = stdin.write_all(&text);
    }
    Ok(child)
}

/// A fresh folder under the system's temporary folder, readable by its
/// owner only, removed when dropped: the command's `TMPDIR`.
struct PrivateTemp {
    path: PathBuf,
}

impl PrivateTemp {
    fn create() -> std::io::Result<PrivateTemp> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = format!(
                "agent-sandbox-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let path = base.join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    let mut temp = PrivateTemp { path };
                    temp.path = temp.path.canonicalize()?;
                    return Ok(temp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for PrivateTemp {
    fn drop(&mut self) {
        // What cannot be removed (a process that escaped still writing)
        // is left to the system's temporary-folder cleaning.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
