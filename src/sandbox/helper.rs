//! `agent __sandbox PROGRAM [ARGS…]`: the small helper every sandboxed
//! command starts as.
//!
//! The shell tool runs its own binary again under this hidden name, with
//! the [`Plan`] on standard input. The helper is a fresh single-threaded
//! process, so it can safely unshare namespaces, mount, fork and restrict
//! itself, which the multithreaded agent could not do between `fork` and
//! `exec`. It then `exec`s the command, which inherits every layer. With a
//! PID namespace it stays as the command's parent, outside the namespace,
//! only to pass its exit status on.
//!
//! Order: `no_new_privs`; user and mount namespaces; read-only binds over
//! protected paths and empty mounts over hidden ones; a private
//! `/dev/shm`; network namespace (and the egress forwarder, see
//! [`egress`](super::egress)); PID namespace; fork (the command's side mounts
//! its own `/proc`); capabilities dropped; Landlock; seccomp; `exec`.
//! With `"required"` any layer that fails stops the helper (exit code
//! 125); with `"auto"` it is left out.

use std::ffi::{CString, OsString};
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

use super::egress::{self, NAMESPACE_PORT};
use super::linux::{self, LandlockRules};
use super::prepare::EgressPlan;
use super::{Layer, Layers, Plan, layer};
use super::{SandboxError, fail};

use crate::exit::SANDBOX_SETUP_FAILED as SETUP_FAILED;

/// Runs the helper with the arguments after
/// [`HELPER_SUBCOMMAND`](super::HELPER_SUBCOMMAND): the program
/// and its arguments. Returns only on failure, for a probe, or, with a PID
/// namespace, with the command's exit code.
pub fn main(args: Vec<OsString>) -> ExitCode {
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("agent sandbox: {message}");
            ExitCode::from(SETUP_FAILED)
        }
    }
}

fn run(args: Vec<OsString>) -> Result<u8, SandboxError> {
    let plan_text = read_plan_line().map_err(|e| SandboxError(format!("reading the plan: {e}")))?;
    let plan: Plan = serde_json::from_slice(&plan_text)
        .map_err(|e| SandboxError(format!("reading the plan: {e}")))?;
    if !plan.keep_stdin {
        stdin_from_dev_null()?;
    }
    let mut setup = Setup {
        required: plan.required,
        layers: Layers::default(),
    };
    linux::no_new_privileges()?;
    let mut writable = plan.writable.clone();
    let namespaces = setup.layer(layer::NAMESPACES, linux::enter_user_and_mount_namespaces)?;
    let mut network_namespace = false;
    let mut pid_namespace = false;
    if namespaces {
        for path in &plan.protect {
            setup.step(linux::bind_read_only(path), "cannot keep read-only")?;
        }
        for path in &plan.hide {
            setup.step(linux::hide(path), "cannot hide")?;
        }
        if let Ok(shm) = linux::private_shm() {
            writable.push(shm);
        }
        network_namespace = if plan.network {
            setup.skip(
                layer::NETWORK,
                "not used: `toolsSettings.shell.network` is true",
            );
            false
        } else {
            setup.layer(layer::NETWORK, linux::enter_network_namespace)?
        };
        if let (true, Some(egress)) = (network_namespace, &plan.egress) {
            setup.step(start_forwarder(egress), "cannot reach the egress proxy:")?;
        }
        pid_namespace = setup.layer(layer::PID, linux::enter_pid_namespace)?;
    } else {
        setup.skip(layer::NETWORK, "needs user namespaces");
        setup.skip(layer::PID, "needs user namespaces");
    }
    if pid_namespace {
        // SAFETY: this process is single-threaded (the helper starts no
        // thread), so the child may do anything after fork.
        match unsafe { fork() } {
            Err(e) => return fail(format!("fork: {e}")),
            Ok(ForkResult::Parent { child }) => return Ok(relay(child)),
            Ok(ForkResult::Child) => {
                // SAFETY: integers only; the command dies with its parent.
                unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
                setup.step(linux::mount_own_proc(), "cannot hide other processes")?;
            }
        }
    }
    if namespaces {
        setup.step(linux::drop_capabilities(), "cannot drop capabilities")?;
    }
    let rules = LandlockRules {
        writable: &writable,
        hidden: &plan.hide,
        deny_tcp: !plan.network && !network_namespace,
        required: plan.required,
    };
    setup.layer_with_detail(layer::LANDLOCK, || linux::landlock(&rules))?;
    let inet = plan.network || network_namespace;
    setup.layer(layer::SECCOMP, || linux::seccomp(inet))?;
    if plan.probe {
        let report = serde_json::to_string(&setup.layers).map_err(|e| e.to_string())?;
        println!("{report}");
        return Ok(0);
    }
    exec(&args)
}

/// The layers set up so far, and what to do when one fails.
struct Setup {
    required: bool,
    layers: Layers,
}

impl Setup {
    /// Sets up a layer; off (and recorded) when it fails, unless required.
    fn layer(
        &mut self,
        name: &str,
        apply: impl FnOnce() -> Result<(), SandboxError>,
    ) -> Result<bool, SandboxError> {
        self.layer_with_detail(name, || apply().map(|()| "on".to_string()))
    }

    fn layer_with_detail(
        &mut self,
        name: &str,
        apply: impl FnOnce() -> Result<String, SandboxError>,
    ) -> Result<bool, SandboxError> {
        let (on, detail) = match apply() {
            Ok(detail) => (true, detail),
            Err(why) if self.required => {
                return fail(format!(
                    "{name}: {why} (`toolsSettings.shell.sandbox` is \"required\")"
                ));
            }
            Err(why) => (false, why.to_string()),
        };
        self.layers.layers.push(Layer {
            name: name.to_string(),
            on,
            detail,
        });
        Ok(on)
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.layers.layers.push(Layer {
            name: name.to_string(),
            on: false,
            detail: why.to_string(),
        });
    }

    /// One step inside a layer: fatal when required, a warning otherwise.
    fn step(&mut self, result: Result<(), SandboxError>, what: &str) -> Result<(), SandboxError> {
        match result {
            Ok(()) => Ok(()),
            Err(why) if self.required => fail(format!(
                "{what} {why} (`toolsSettings.shell.sandbox` is \"required\")"
            )),
            Err(why) => {
                eprintln!("agent sandbox: warning: {what} {why}");
                Ok(())
            }
        }
    }
}

/// The plan's line from standard input, read a byte at a time so that
/// nothing after it (a language server's first requests) is taken from
/// the command; up to the end of input when no newline comes.
fn read_plan_line() -> std::io::Result<Vec<u8>> {
    // SAFETY: descriptor 0 is open for the whole process; `ManuallyDrop`
    // keeps this `File` from closing it.
    let mut stdin = std::mem::ManuallyDrop::new(unsafe {
        <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(0)
    });
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stdin.read(&mut byte) {
            Ok(0) => return Ok(line),
            Ok(_) if byte[0] == b'\n' => return Ok(line),
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Starts the egress forwarder: a process of its own inside the network
/// namespace (but outside the PID namespace still to come) that passes
/// connections on the namespace's proxy port to the proxy's socket, and
/// dies with this process or the command it becomes.
fn start_forwarder(egress: &EgressPlan) -> Result<(), SandboxError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, NAMESPACE_PORT))
        .map_err(|e| SandboxError(format!("listening on port {NAMESPACE_PORT}: {e}")))?;
    let parent = nix::unistd::getpid();
    // SAFETY: this process is single-threaded (the helper starts no
    // thread), so the child may do anything after fork.
    match unsafe { fork() } {
        Err(e) => fail(format!("fork: {e}")),
        Ok(ForkResult::Parent { .. }) => Ok(()),
        Ok(ForkResult::Child) => {
            // SAFETY: integers only.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
            if nix::unistd::getppid() != parent {
                std::process::exit(0);
            }
            let _ = stdout_and_stderr_to_dev_null();
            let _ = linux::drop_capabilities();
            egress::forward(listener, &egress.socket, &egress.secret)
        }
    }
}

/// Points standard output and error at `/dev/null`, so that a process
/// that outlives the command a moment does not hold its output open.
fn stdout_and_stderr_to_dev_null() -> Result<(), SandboxError> {
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(|e| SandboxError(format!("/dev/null: {e}")))?;
    for target in [1, 2] {
        // SAFETY: dup2 onto a standard descriptor with one we own.
        if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), target) } < 0 {
            return fail(format!("dup2: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// Replaces standard input (the plan, now read) with `/dev/null`.
fn stdin_from_dev_null() -> Result<(), SandboxError> {
    let null =
        std::fs::File::open("/dev/null").map_err(|e| SandboxError(format!("/dev/null: {e}")))?;
    // SAFETY: dup2 onto descriptor 0 with a descriptor we own; `null` is
    // closed when dropped and descriptor 0 stays open on /dev/null.
    let result = unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0) };
    if result < 0 {
        return fail(format!("stdin: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Waits for the command (PID 1 of its namespace: when it ends, whatever it
/// left behind is killed by the kernel) and passes its status on.
fn relay(child: nix::unistd::Pid) -> u8 {
    loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => return u8::try_from(code & 0xff).unwrap_or(1),
            Ok(WaitStatus::Signaled(_, signal, _)) => {
                let number = signal as libc::c_int;
                // SAFETY: integers only. No core file, the default action
                // for the signal, then the same signal to this process, so
                // the agent sees the command killed by it.
                unsafe {
                    let none = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    libc::setrlimit(libc::RLIMIT_CORE, &none);
                    libc::signal(number, libc::SIG_DFL);
                    libc::raise(number);
                }
                return 128u8.saturating_add(u8::try_from(number).unwrap_or(0));
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                eprintln!("agent sandbox: waiting for the command: {e}");
                return SETUP_FAILED;
            }
        }
    }
}

/// Replaces this process with the command.
fn exec(args: &[OsString]) -> Result<u8, SandboxError> {
    let argv = args
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "an argument holds a NUL byte".to_string())?;
    let Some(program) = argv.first() else {
        return Err("no command to run".into());
    };
    let Err(error) = nix::unistd::execvp(program, &argv);
    fail(format!("cannot run {}: {error}", program.to_string_lossy()))
}
