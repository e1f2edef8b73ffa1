//! One command made ready to run in a fresh sandbox: the plan the helper
//! builds the layers from, a private temporary folder, the environment,
//! and after the command the check of protected paths it created.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::egress::NAMESPACE_PORT;
use super::fence::{self, Fence, Found};
use super::known::{Known, Search};
use super::{HELPER_SUBCOMMAND, Sandbox, SandboxMode, describe};
use super::{SandboxError, fail};
use crate::policy::paths::{Roots, SENSITIVE_HOME_PATHS, resolve_existing_prefix};

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
    /// The command reads the helper's standard input after the plan's
    /// line (a language server's requests), instead of `/dev/null`.
    #[serde(default)]
    pub keep_stdin: bool,
    /// The egress proxy's Unix socket and secret, when the command may
    /// reach some hosts through it: the helper forwards the namespace's
    /// `127.0.0.1:`[`NAMESPACE_PORT`] there.
    pub egress: Option<EgressPlan>,
}

/// Where the helper's forwarder reaches the egress proxy, and the secret
/// it opens each connection with (the command never sees the plan).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EgressPlan {
    pub socket: PathBuf,
    pub secret: String,
}

impl Sandbox {
    /// `bash -c command` in the workspace of `roots`, with the environment
    /// `env`, ready to run in a fresh sandbox (or as it is with `off`).
    /// Fails when `required` cannot be met, or the private temporary
    /// folder cannot be made.
    pub fn prepare(
        &self,
        command: &str,
        roots: &Roots,
        env: Vec<(OsString, OsString)>,
    ) -> Result<Prepared, SandboxError> {
        let argv = ["bash", "-c", command].map(OsString::from).to_vec();
        self.prepare_argv(argv, roots, env)
    }

    /// `program` with `args` in the workspace of `roots`, ready to run in
    /// a fresh sandbox as [`Sandbox::prepare`] makes a shell command
    /// ready, but with no shell between: how language servers start.
    pub fn prepare_program(
        &self,
        program: &str,
        args: &[String],
        roots: &Roots,
        env: Vec<(OsString, OsString)>,
    ) -> Result<Prepared, SandboxError> {
        let argv = std::iter::once(program)
            .chain(args.iter().map(String::as_str))
            .map(OsString::from)
            .collect();
        self.prepare_argv(argv, roots, env)
    }

    fn prepare_argv(
        &self,
        argv: Vec<OsString>,
        roots: &Roots,
        env: Vec<(OsString, OsString)>,
    ) -> Result<Prepared, SandboxError> {
        let Some((program, args)) = argv.split_first() else {
            return fail("no command to run".into());
        };
        let unsandboxed = self.mode == SandboxMode::Off
            || (self.mode == SandboxMode::Auto && !cfg!(target_os = "linux"));
        if unsandboxed {
            let env = match &self.egress {
                Some(egress) => with_proxy(env, egress.tcp_port),
                None => env,
            };
            let mut plain = Command::new(program);
            plain
                .args(args)
                .current_dir(&roots.workspace)
                .env_clear()
                .envs(env)
                .stdin(Stdio::null());
            return Ok(Prepared {
                command: plain,
                plan: None,
                watch: None,
                temp: None,
                search: None,
            });
        }
        if self.mode == SandboxMode::Required {
            let missing = self.layers().missing(self.network);
            if !missing.is_empty() {
                return fail(format!(
                    "refused: `toolsSettings.shell.sandbox` is \"required\" and {}",
                    describe(&missing)
                ));
            }
        }
        let temp = PrivateTemp::create().map_err(|e| {
            SandboxError(format!("cannot make the sandbox's temporary folder: {e}"))
        })?;
        self.make_missing_folders(roots);
        let fence = self.fence(roots);
        let folders: Vec<PathBuf> = fence
            .writable()
            .iter()
            .filter(|p| p.exists())
            .cloned()
            .collect();
        let (before, search) = self.known.protected(&folders);
        let mut protect: Vec<PathBuf> = before.iter().map(|f| f.path.clone()).collect();
        protect.extend(fence.denied_inside(&self.write_denied));
        let mut writable = folders.clone();
        writable.push(temp.path.clone());
        let (network, egress, env) = match &self.egress {
            None => (self.network, None, env),
            Some(egress) if self.network_namespace_available() => (
                false,
                Some(EgressPlan {
                    socket: egress.socket.clone(),
                    secret: egress.secret.clone(),
                }),
                with_proxy(env, NAMESPACE_PORT),
            ),
            Some(egress) => (true, None, with_proxy(env, egress.tcp_port)),
        };
        let plan = Plan {
            required: self.mode == SandboxMode::Required,
            network,
            probe: false,
            writable,
            protect,
            hide: self.hidden_paths(roots),
            egress,
            keep_stdin: false,
        };
        let mut sandboxed = Command::new(&self.helper);
        sandboxed
            .arg(HELPER_SUBCOMMAND)
            .args(&argv)
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
                known: self.known.clone(),
            }),
            search: Some(search),
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

/// The variables that point programs at a proxy, and that exempt hosts
/// from it.
const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `env` with every request sent to the egress proxy on the loopback's
/// `port`, and no host exempt from it.
fn with_proxy(env: Vec<(OsString, OsString)>, port: u16) -> Vec<(OsString, OsString)> {
    let mut env: Vec<_> = env
        .into_iter()
        .filter(|(name, _)| !PROXY_VARIABLES.iter().any(|p| name == p))
        .collect();
    let address = format!("http://127.0.0.1:{port}");
    for name in &PROXY_VARIABLES[..4] {
        env.push((name.into(), address.clone().into()));
    }
    env
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
    search: Option<Search>,
}

/// The protected paths that existed before the command, to find the ones
/// it created.
struct Watch {
    folders: Vec<PathBuf>,
    before: BTreeSet<Found>,
    workspace: PathBuf,
    known: Known,
}

impl Prepared {
    /// How the protected paths kept read-only for the command were found
    /// (`None`: no sandbox), for measurements and tests.
    pub fn search(&self) -> Option<&Search> {
        self.search.as_ref()
    }

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

    /// Starts the command with its standard input a pipe the caller keeps
    /// writing to (after the plan, which the helper reads first): for a
    /// language server, which reads its requests there.
    pub fn spawn_with_stdin(&mut self) -> std::io::Result<Child> {
        self.command.stdin(Stdio::piped());
        let Some(plan) = &mut self.plan else {
            return self.command.spawn();
        };
        plan.keep_stdin = true;
        let mut child = self.command.spawn()?;
        if let Some(stdin) = child.stdin.as_mut() {
            stdin.write_all(&plan_line(plan)?)?;
        }
        Ok(child)
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
        let (after, _) = watch.known.protected(&watch.folders);
        for found in after {
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

/// `plan` as the one line the helper reads first from its standard input
/// (JSON escapes every newline inside it).
fn plan_line(plan: &Plan) -> std::io::Result<Vec<u8>> {
    let mut text = serde_json::to_vec(plan).map_err(std::io::Error::other)?;
    text.push(b'\n');
    Ok(text)
}

/// Spawns `command` (whose stdin is a pipe), writes `plan` to it and
/// closes it.
pub(super) fn spawn_with_plan(command: &mut Command, plan: &Plan) -> std::io::Result<Child> {
    let text = plan_line(plan)?;
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
