//! The OS sandbox every shell command runs in (and every language server,
//! read-only: [`Sandbox::read_only`]): the write fence and the network
//! rule enforced by the kernel, not only judged as strings.
//!
//! `python .*` in `allowedCommands` lets `python -c` do anything Python
//! can; the sandbox is what keeps it inside the fence. For each command
//! the shell tool asks [`Sandbox::prepare`] for a [`Prepared`] command: a
//! fresh private temporary folder, the fence's folders resolved now, the
//! protected paths inside them found, and the agent binary run again as
//! the helper (`agent __sandbox`, see `helper`) with that [`Plan`] on
//! standard input, as its first line. The helper builds the layers and
//! `exec`s `bash -c` (or, for a language server, its program, which then
//! reads the rest of that standard input).
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

pub mod egress;
pub mod fence;
#[cfg(target_os = "linux")]
pub mod helper;
#[cfg(target_os = "linux")]
mod linux;

mod known;
mod layers;
mod prepare;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::config::error::JsonPath;
pub use crate::config::model::SandboxMode;
use crate::config::{AgentConfig, AgentSource, Origin, Rule};
use crate::policy::paths::Roots;
use egress::{EgressProxy, Enforcement};
use fence::Fence;
use known::Known;
pub use known::{ChangeFeed, Changed, Search};
use layers::describe;
pub use layers::{Layer, Layers, layer};
pub(crate) use prepare::Plan;
pub use prepare::Prepared;

/// Why the sandbox could not be set up, or a command not made ready to
/// run in it: the sandbox layer's one error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SandboxError(pub String);

impl From<String> for SandboxError {
    fn from(message: String) -> SandboxError {
        SandboxError(message)
    }
}

/// The message, read as text.
impl std::ops::Deref for SandboxError {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SandboxError {
    fn from(message: &str) -> SandboxError {
        SandboxError(message.to_string())
    }
}

/// An error result saying `message`.
pub(crate) fn fail<T>(message: String) -> Result<T, SandboxError> {
    Err(SandboxError(message))
}

/// The stricter of two sandbox modes: `required` over `auto` over `off`.
fn stricter(a: SandboxMode, b: SandboxMode) -> SandboxMode {
    use SandboxMode::{Auto, Off, Required};
    match (a, b) {
        (Required, _) | (_, Required) => Required,
        (Auto, _) | (_, Auto) => Auto,
        (Off, Off) => Off,
    }
}

/// The hidden first argument that makes the `agent` binary the sandbox
/// helper: `agent __sandbox PROGRAM ARGS…`, with the plan on stdin.
pub const HELPER_SUBCOMMAND: &str = "__sandbox";

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
    /// Where the network goes when only some hosts may be reached.
    egress: Option<Egress>,
    helper: PathBuf,
    layers: Arc<OnceLock<Layers>>,
    /// The protected paths found inside the writable folders, kept
    /// between commands when a change feed keeps them current.
    known: Known,
}

/// The two ways to reach an [`EgressProxy`]: its Unix socket, from inside
/// a network namespace, and its loopback port, from outside one.
#[derive(Debug, Clone)]
struct Egress {
    socket: PathBuf,
    secret: String,
    tcp_port: u16,
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
            egress: None,
            helper: own_binary(),
            layers: Arc::default(),
            known: Known::default(),
        }
    }

    /// This sandbox keeping the protected paths it finds between commands,
    /// brought up to date from `feed` (the session's change journal)
    /// instead of searched for in the whole writable tree each time.
    pub fn follow(&mut self, feed: Arc<dyn ChangeFeed>) {
        self.known = Known::following(feed);
    }

    /// This (a child agent's) sandbox inside `parent`'s: the network only
    /// when both allow it, the stricter mode, every denied and hidden path
    /// of either, and the parent's `writablePaths` not added to the
    /// child's. The child's writable folders stay its own; the fence audit
    /// after each command checks its changes against both agents' fences
    /// (the child's policy judges with its parent's).
    pub fn within(mut self, parent: &Sandbox) -> Sandbox {
        self.network &= parent.network;
        self.mode = stricter(self.mode, parent.mode);
        self.write_denied
            .extend(parent.write_denied.iter().cloned());
        self.read_denied.extend(parent.read_denied.iter().cloned());
        self.hidden.extend(parent.hidden.iter().cloned());
        self
    }

    /// This sandbox with the network only through `proxy`, for a tool
    /// whose program must reach one remote service (`use_aws`): the files
    /// it may write and read stay fenced as for any command, and the
    /// program is pointed at the proxy, which admits only the service's
    /// hosts. Returns how that is enforced here (see [`egress`]).
    pub fn through(mut self, proxy: &EgressProxy) -> (Sandbox, Enforcement) {
        self.network = false;
        self.egress = Some(Egress {
            socket: proxy.socket().to_path_buf(),
            secret: proxy.secret().to_string(),
            tcp_port: proxy.tcp_port(),
        });
        let enforcement = if self.network_namespace_available() {
            Enforcement::Kernel
        } else {
            Enforcement::ProxyVariables
        };
        (self, enforcement)
    }

    /// Whether commands will run in a network namespace of their own.
    fn network_namespace_available(&self) -> bool {
        let unsandboxed = self.mode == SandboxMode::Off || !cfg!(target_os = "linux");
        !unsandboxed
            && !self
                .layers()
                .missing(false)
                .iter()
                .any(|l| l.name == layer::NETWORK)
    }

    /// This sandbox with nothing writable but the command's private
    /// temporary folder (where its caches go, see `prepare`) and no
    /// network whatever `toolsSettings.shell.network` says: how language
    /// servers run, which only read the workspace and answer over stdio.
    /// Hidden paths, the mode and the helper stay as they are.
    pub fn read_only(mut self) -> Sandbox {
        self.writable.clear();
        self.extra.clear();
        self.network = false;
        self.known = Known::default();
        self
    }

    /// This sandbox with nothing writable but the command's private
    /// temporary folder, network and the rest as they are: how a command
    /// the policy judged read-only runs when [`Sandbox::holds_read_only`],
    /// so nothing need look for what it changed.
    pub fn without_writes(mut self) -> Sandbox {
        self.writable.clear();
        self.extra.clear();
        self.known = Known::default();
        self
    }

    /// Whether [`Sandbox::without_writes`] really keeps a command from
    /// changing the workspace here: the sandbox is on with every layer
    /// (Landlock fences the writes, the PID namespace ends whatever the
    /// command left running); not when it is off or partial.
    pub fn holds_read_only(&self) -> bool {
        self.state() == "on"
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
            egress: None,
            helper: own_binary(),
            layers: Arc::default(),
            known: Known::default(),
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
