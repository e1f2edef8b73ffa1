//! The OS sandbox, through the real `shell` tool under the tutorial's agent
//! file (`python .*` allowed, writes fenced to `src/**` and `tests/**`):
//! what a Python one-liner the policy lets through still cannot do.
//!
//! Every attack runs with `"sandbox": "auto"` and `"required"` and must
//! fail, and with `"off"` to show that it works without the sandbox (only
//! against throwaway targets). `required` runs only where every layer is
//! available (it says why it skips otherwise); `auto` checks what depends on
//! a layer only where that layer is on.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent::checkpoint::{CheckpointStore, JOURNAL_CAPACITY};
use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::egress::{Destination, EgressProxy, Enforcement};
use agent::sandbox::{Layers, Sandbox, Search, layer};
use agent::tools::{self, ToolContext, ToolOutput};
use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol};
use tempfile::TempDir;

/// The tutorial's agent file, as shipped.
const REFACTOR_BOT: &str = include_str!("../.kiro/agents/refactor-bot.json");

/// The `agent` binary, which is also the sandbox helper.
const HELPER: &str = env!("CARGO_BIN_EXE_agent");

const MODES: [&str; 3] = ["auto", "required", "off"];

/// The layers this machine has, detected once per test binary.
fn layers() -> &'static Layers {
    static LAYERS: std::sync::OnceLock<Layers> = std::sync::OnceLock::new();
    LAYERS.get_or_init(|| Layers::detect(Path::new(HELPER)))
}

/// A workspace laid out like the tutorial's, a home folder beside it, and
/// the tutorial's agent with `toolsSettings.shell` changed by `shell`.
struct Fixture {
    _root: TempDir,
    mode: String,
    home: PathBuf,
    workspace: PathBuf,
    policy: Policy,
    context: ToolContext,
}

impl Fixture {
    /// The tutorial's agent in `mode`, or `None` (with the reason printed)
    /// when `required` cannot be met on this machine.
    fn new(mode: &str) -> Option<Fixture> {
        Fixture::with(mode, json!({}))
    }

    fn with(mode: &str, shell: Value) -> Option<Fixture> {
        if mode == "required" {
            let missing = layers().missing(shell["network"] == json!(true));
            if !missing.is_empty() {
                eprintln!("skipping `required`: this machine lacks {missing:?}");
                return None;
            }
        }
        let root = tempfile::tempdir().unwrap();
        let base = root.path().canonicalize().unwrap();
        let home = base.join("home");
        let workspace = base.join("work");
        for folder in ["src", "tests", ".git/hooks", ".kiro/agents"] {
            std::fs::create_dir_all(workspace.join(folder)).unwrap();
        }
        std::fs::create_dir_all(&home).unwrap();
        let mut agent: Value = serde_json::from_str(REFACTOR_BOT).unwrap();
        let settings = &mut agent["toolsSettings"]["shell"];
        settings["sandbox"] = json!(mode);
        for (key, value) in shell.as_object().unwrap() {
            settings[key] = value.clone();
        }
        let text = serde_json::to_string_pretty(&agent).unwrap();
        let file = workspace.join(".kiro/agents/refactor-bot.json");
        std::fs::write(&file, &text).unwrap();
        std::fs::write(workspace.join("src/inventory.py"), "x = 1\n").unwrap();
        std::fs::write(workspace.join("README.md"), "readme\n").unwrap();
        let config = validate_text(&file, &text).unwrap().config;
        let context = ToolContext {
            roots: Roots::new(&workspace, Some(&home)),
            env_passthrough: Vec::new(),
            cancel: agent::tools::Cancel::default(),
            sandbox: Sandbox::for_agent(&config).with_helper(HELPER),
            session: Default::default(),
            hidden: Default::default(),
            code_index: None,
        };
        Some(Fixture {
            policy: Policy::new(config, &workspace, Some(&home)),
            _root: root,
            mode: mode.into(),
            home,
            workspace,
            context,
        })
    }

    fn sandboxed(&self) -> bool {
        self.mode != "off"
    }

    /// True when the sandbox is on and has every layer in `needed`, so a
    /// guarantee that rests on them can be checked (in `auto` on a machine
    /// without them, it is reported instead).
    fn guarantees(&self, needed: &[&str]) -> bool {
        if !self.sandboxed() {
            return false;
        }
        let off: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|name| layers().layers.iter().all(|l| l.name != *name || !l.on))
            .collect();
        if !off.is_empty() {
            eprintln!("not checked in `{}`: {off:?} off here", self.mode);
        }
        off.is_empty()
    }

    /// Runs `command` through the policy (it must be allowed unattended)
    /// and the real shell tool.
    fn run(&self, command: &str) -> ToolOutput {
        self.run_in(&self.context, command)
    }

    /// [`Fixture::run`] with another tool context.
    fn run_in(&self, context: &ToolContext, command: &str) -> ToolOutput {
        let call = ToolCall {
            tool: "shell".into(),
            input: json!({ "command": command }),
        };
        let approval = match self
            .policy
            .decide(&call, &Trust::default(), Mode::Unattended)
        {
            Decision::Allow { approval, .. } => approval,
            other => panic!("the policy refused {command}: {}", other.to_json()),
        };
        tools::run(&call, &approval, context)
    }

    /// Runs the Python script `code` as a one-liner the policy allows.
    fn python(&self, code: &str) -> ToolOutput {
        self.run(&python_one_liner(code))
    }
}

/// `python -c "exec(…)"` running `code`, which may span lines and hold
/// any quote (hex-encoded, so the shell line stays one simple command).
fn python_one_liner(code: &str) -> String {
    let hex: String = code.bytes().map(|b| format!("{b:02x}")).collect();
    format!("python -c \"exec(bytes.fromhex('{hex}').decode())\"")
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Python that tries `(label, statement)` pairs and prints `label ok` or
/// `label blocked` for each.
fn attempts(pairs: &[(&str, String)]) -> String {
    let mut code = String::from("import os, shutil, subprocess\n");
    for (label, statement) in pairs {
        code.push_str(&format!(
            "try:\n    {statement}\n    print('{label} ok')\nexcept OSError as e:\n    print('{label} blocked', e.errno)\n"
        ));
    }
    code
}

#[test]
fn python_cannot_create_append_to_or_delete_files_outside_the_fence() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let (home, ws) = (&fx.home, &fx.workspace);
        std::fs::write(home.join(".bashrc"), "original\n").unwrap();
        std::fs::write(home.join("victim.txt"), "keep\n").unwrap();
        let outside_tmp =
            std::env::temp_dir().join(format!("agent-sandbox-test-{}-{mode}", std::process::id()));
        let _ = std::fs::remove_file(&outside_tmp);
        let targets = [
            (
                "home-create",
                format!("open('{}/new.txt', 'w').write('x')", home.display()),
            ),
            (
                "home-append",
                format!("open('{}/.bashrc', 'a').write('pwned')", home.display()),
            ),
            (
                "home-delete",
                format!("os.remove('{}/victim.txt')", home.display()),
            ),
            (
                "tmp-create",
                format!("open('{}', 'w').write('x')", outside_tmp.display()),
            ),
            (
                "root-create",
                "open('pwned.txt', 'w').write('x')".to_string(),
            ),
            (
                "root-append",
                "open('README.md', 'a').write('pwned')".to_string(),
            ),
            ("root-delete", "os.remove('README.md')".to_string()),
            (
                "hook-create",
                "open('.git/hooks/pre-commit', 'w').write('#!/bin/sh')".to_string(),
            ),
            (
                "agent-append",
                "open('.kiro/agents/refactor-bot.json', 'a').write(' ')".to_string(),
            ),
            (
                "agent-create",
                "open('.kiro/agents/evil.json', 'w').write('{}')".to_string(),
            ),
            (
                "dotdot-create",
                "open('src/../../escape.txt', 'w').write('x')".to_string(),
            ),
            (
                "fence-write",
                "open('src/new.py', 'w').write('y = 2')".to_string(),
            ),
        ];
        let output = fx.python(&attempts(&targets));
        let text = &output.text;
        let escape = ws.parent().unwrap().join("escape.txt");
        let changed = [
            ("home-create", home.join("new.txt").exists()),
            (
                "home-append",
                read(&home.join(".bashrc")).as_deref() != Some("original\n"),
            ),
            ("home-delete", !home.join("victim.txt").exists()),
            ("tmp-create", outside_tmp.exists()),
            ("root-create", ws.join("pwned.txt").exists()),
            (
                "root-append",
                read(&ws.join("README.md")).is_some_and(|t| t != "readme\n"),
            ),
            ("root-delete", !ws.join("README.md").exists()),
            ("hook-create", ws.join(".git/hooks/pre-commit").exists()),
            (
                "agent-append",
                read(&ws.join(".kiro/agents/refactor-bot.json")).is_some_and(|t| t.ends_with(' ')),
            ),
            ("agent-create", ws.join(".kiro/agents/evil.json").exists()),
            ("dotdot-create", escape.exists()),
        ];
        let _ = std::fs::remove_file(&outside_tmp);
        for (label, was_changed) in changed {
            if fx.guarantees(&[layer::LANDLOCK]) {
                assert!(!was_changed, "{mode}: {label} changed the file\n{text}");
                assert!(
                    text.contains(&format!("{label} blocked")),
                    "{mode}: {label}\n{text}"
                );
            } else if !fx.sandboxed() && label != "root-append" {
                assert!(
                    was_changed,
                    "off: {label} should work without the sandbox\n{text}"
                );
            }
        }
        assert_eq!(
            read(&ws.join("src/new.py")).as_deref(),
            Some("y = 2"),
            "{mode}: {text}"
        );
    }
}

#[test]
fn the_real_home_folder_is_outside_the_fence() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let Some(real_home) = dirs::home_dir() else {
            return;
        };
        let target = real_home.join(format!(".agent-sandbox-test-{}", std::process::id()));
        let output = fx.python(&attempts(&[(
            "write",
            format!("open('{}', 'w').write('x')", target.display()),
        )]));
        let created = target.exists();
        let _ = std::fs::remove_file(&target);
        if fx.guarantees(&[layer::LANDLOCK]) {
            assert!(!created, "{mode}: {}", output.text);
        }
    }
}

#[test]
fn shells_redirections_renames_and_links_are_fenced_too() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let home = fx.home.display().to_string();
        std::fs::write(fx.home.join(".profile"), "original\n").unwrap();
        let targets = [
            (
                "sh-redirect",
                "subprocess.run(['sh', '-c', 'echo pwned > ../sh-escape.txt'], cwd='src', check=True)"
                    .to_string(),
            ),
            (
                "bash-append",
                format!(
                    "subprocess.run(['bash', '-c', 'echo pwned >> {home}/.profile'], check=True)"
                ),
            ),
            ("rename-out", "os.rename('src/inventory.py', 'moved.py')".to_string()),
            ("link-in", format!("os.link('{home}/.profile', 'src/profile')")),
            ("truncate", "os.truncate('README.md', 0)".to_string()),
            ("mkdir", "os.mkdir('newdir')".to_string()),
        ];
        let output = fx.python(&attempts(&targets));
        let ws = &fx.workspace;
        let changed = [
            ("sh-redirect", ws.join("sh-escape.txt").exists()),
            (
                "bash-append",
                read(&fx.home.join(".profile")).as_deref() != Some("original\n"),
            ),
            ("rename-out", ws.join("moved.py").exists()),
            ("link-in", ws.join("src/profile").exists()),
            (
                "truncate",
                read(&ws.join("README.md")).as_deref() == Some(""),
            ),
            ("mkdir", ws.join("newdir").exists()),
        ];
        for (label, was_changed) in changed {
            if fx.guarantees(&[layer::LANDLOCK]) {
                assert!(!was_changed, "{mode}: {label}\n{}", output.text);
            } else if !fx.sandboxed() {
                assert!(was_changed, "off: {label}\n{}", output.text);
            }
        }
    }
}

#[test]
fn a_symlink_in_src_cannot_lead_out() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        std::fs::write(fx.home.join(".bashrc"), "original\n").unwrap();
        std::os::unix::fs::symlink(&fx.home, fx.workspace.join("src/planted")).unwrap();
        let home = fx.home.display();
        let output = fx.python(&attempts(&[
            (
                "planted",
                "open('src/planted/.bashrc', 'a').write('pwned')".to_string(),
            ),
            (
                "made",
                format!(
                    "os.symlink('{home}', 'src/made'); open('src/made/new.txt', 'w').write('x')"
                ),
            ),
        ]));
        let appended = read(&fx.home.join(".bashrc")).as_deref() != Some("original\n");
        let created = fx.home.join("new.txt").exists();
        if fx.guarantees(&[layer::LANDLOCK]) {
            assert!(!appended && !created, "{mode}: {}", output.text);
            assert!(output.text.contains("planted blocked"), "{}", output.text);
            assert!(output.text.contains("made blocked"), "{}", output.text);
        } else if !fx.sandboxed() {
            assert!(appended && created, "off: {}", output.text);
        }
    }
}

#[test]
fn a_writable_path_a_symlink_leads_out_of_stays_unwritable() {
    for mode in MODES {
        let Some(fx) = Fixture::with(mode, json!({"writablePaths": ["src/cache"]})) else {
            continue;
        };
        let home = fx.home.display();
        let planted = fx.python(&format!(
            "import os, shutil; shutil.rmtree('src/cache', ignore_errors=True); os.symlink('{home}', 'src/cache'); print('planted')"
        ));
        assert!(planted.text.contains("planted"), "{mode}: {}", planted.text);
        let output = fx.python(&attempts(&[(
            "through",
            "open('src/cache/.bashrc', 'w').write('pwned')".to_string(),
        )]));
        let written = fx.home.join(".bashrc").exists();
        if fx.guarantees(&[layer::LANDLOCK]) {
            assert!(
                !written,
                "{mode}: the next command's fence took in home: {}",
                output.text
            );
            assert!(output.text.contains("through blocked"), "{}", output.text);
        } else if !fx.sandboxed() {
            assert!(written, "off: {}", output.text);
        }
    }
}

#[test]
fn a_server_on_the_hosts_loopback_cannot_be_reached() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let (tcp_port, udp_port) = (
            tcp.local_addr().unwrap().port(),
            udp.local_addr().unwrap().port(),
        );
        let output = fx.python(&attempts(&[
            (
                "tcp",
                format!("import socket; socket.create_connection(('127.0.0.1', {tcp_port}), timeout=2).sendall(b'hi')"),
            ),
            (
                "udp",
                format!("import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hi', ('127.0.0.1', {udp_port}))"),
            ),
        ]));
        let connected = tcp.accept().is_ok();
        let datagram = udp.recv(&mut [0u8; 16]).is_ok();
        if fx.guarantees(&[layer::SECCOMP]) || fx.guarantees(&[layer::NETWORK]) {
            assert!(!connected && !datagram, "{mode}: {}", output.text);
        } else if !fx.sandboxed() {
            assert!(connected && datagram, "off: {}", output.text);
        }
    }
}

#[test]
fn the_network_setting_lets_commands_out() {
    let Some(fx) = Fixture::with("auto", json!({"network": true})) else {
        return;
    };
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let output = fx.python(&format!(
        "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'hi')"
    ));
    let (mut stream, _) = tcp.accept().unwrap();
    let mut received = String::new();
    stream.read_to_string(&mut received).unwrap();
    assert_eq!(received, "hi", "{}", output.text);
}

/// A server on the host's loopback that answers every request with
/// `from NAME`; its port.
fn http_server(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let body = format!("from {name}");
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
        }
    });
    port
}

#[test]
fn egress_reaches_the_named_host_through_the_proxy_and_nothing_else() {
    let (named, other) = (http_server("named"), http_server("other"));
    let script = format!(
        "import socket, urllib.request\n\
         def get(port):\n\
         \x20   try:\n\
         \x20       return urllib.request.urlopen(f'http://127.0.0.1:{{port}}/', timeout=10).read().decode()\n\
         \x20   except Exception as e:\n\
         \x20       return 'refused ' + str(getattr(e, 'code', e))\n\
         print('proxy named:', get({named}))\n\
         print('proxy other:', get({other}))\n\
         for label, port in (('named', {named}), ('other', {other})):\n\
         \x20   try:\n\
         \x20       socket.create_connection(('127.0.0.1', port), timeout=2)\n\
         \x20       print('direct', label, 'connected')\n\
         \x20   except OSError:\n\
         \x20       print('direct', label, 'blocked')\n"
    );
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let proxy = EgressProxy::start(vec![Destination::exact("127.0.0.1", named)]).unwrap();
        let mut context = fx.context.clone();
        let (sandbox, enforcement) = context.sandbox.clone().through(&proxy);
        context.sandbox = sandbox;
        let output = fx.run_in(&context, &python_one_liner(&script)).text;
        assert!(
            output.contains("proxy named: from named"),
            "{mode}: {output}"
        );
        assert!(
            output.contains("proxy other: refused 403"),
            "{mode}: {output}"
        );
        assert_eq!(proxy.refused(), [format!("127.0.0.1:{other}")], "{mode}");
        if fx.guarantees(&[layer::NETWORK]) {
            assert_eq!(enforcement, Enforcement::Kernel, "{mode}");
            assert!(output.contains("direct named blocked"), "{mode}: {output}");
            assert!(output.contains("direct other blocked"), "{mode}: {output}");
        } else {
            assert_eq!(enforcement, Enforcement::ProxyVariables, "{mode}");
        }
    }
}

#[test]
fn a_loopback_of_its_own_still_works_inside() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let output = fx.python(
            "import socket; s = socket.create_server(('127.0.0.1', 0)); c = socket.create_connection(s.getsockname()); print('inside', s.accept()[0] is not None)",
        );
        if fx.guarantees(&[layer::NETWORK]) {
            assert!(
                output.text.contains("inside True"),
                "{mode}: {}",
                output.text
            );
        }
    }
}

#[test]
fn credentials_cannot_be_read() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let aws = fx.home.join(".aws/credentials");
        std::fs::create_dir_all(aws.parent().unwrap()).unwrap();
        std::fs::write(&aws, "aws_secret_access_key = AWS-SECRET-VALUE\n").unwrap();
        let ssh = fx.home.join(".ssh/id_ed25519");
        std::fs::create_dir_all(ssh.parent().unwrap()).unwrap();
        std::fs::write(&ssh, "SSH-PRIVATE-KEY\n").unwrap();
        let output = fx.python(&attempts(&[
            ("aws", format!("print(open('{}').read())", aws.display())),
            ("ssh", format!("print(open('{}').read())", ssh.display())),
            (
                "listed",
                format!("print(os.listdir('{}'))", fx.home.join(".ssh").display()),
            ),
        ]));
        let leaked =
            output.text.contains("AWS-SECRET-VALUE") || output.text.contains("SSH-PRIVATE-KEY");
        if fx.guarantees(&[layer::LANDLOCK]) || fx.guarantees(&[layer::NAMESPACES]) {
            assert!(!leaked, "{mode}: {}", output.text);
        } else if !fx.sandboxed() {
            assert!(leaked, "off: {}", output.text);
        }
    }
}

#[test]
fn read_denied_paths_are_hidden_from_commands() {
    let Some(fx) = Fixture::new("auto") else {
        return;
    };
    let text = read(&fx.workspace.join(".kiro/agents/refactor-bot.json")).unwrap();
    let mut agent: Value = serde_json::from_str(&text).unwrap();
    agent["toolsSettings"]["read"] = json!({"deniedPaths": ["secrets/**", "**/*.pem"]});
    let text = agent.to_string();
    let config = validate_text(Path::new("a.json"), &text).unwrap().config;
    let mut context = fx.context.clone();
    context.sandbox = Sandbox::for_agent(&config).with_helper(HELPER);
    std::fs::create_dir_all(fx.workspace.join("secrets")).unwrap();
    std::fs::write(fx.workspace.join("secrets/db.txt"), "DB-PASSWORD\n").unwrap();
    std::fs::write(fx.workspace.join("src/server.pem"), "PEM-KEY\n").unwrap();
    let call = ToolCall {
        tool: "shell".into(),
        input: json!({"command": "python -c \"print(open('secrets/db.txt').read(), open('src/server.pem').read())\""}),
    };
    let approval = match fx.policy.decide(&call, &Trust::default(), Mode::Unattended) {
        Decision::Allow { approval, .. } => approval,
        other => panic!("{}", other.to_json()),
    };
    let output = tools::run(&call, &approval, &context);
    if fx.guarantees(&[layer::NAMESPACES]) {
        assert!(!output.text.contains("DB-PASSWORD"), "{}", output.text);
        assert!(!output.text.contains("PEM-KEY"), "{}", output.text);
    }
}

#[test]
fn background_processes_are_gone_when_the_command_ends() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let marker = format!("77.{}{}", std::process::id(), mode.len());
        let output = fx.python(&format!(
            "import subprocess; [subprocess.Popen(['sleep', '{marker}'], start_new_session=session, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for session in (True, False)]; print('started')"
        ));
        assert!(output.text.contains("started"), "{mode}: {}", output.text);
        let mut survivors = processes_with(&marker);
        for _ in 0..100 {
            if survivors.len() <= 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            survivors = processes_with(&marker);
        }
        for pid in &survivors {
            // SAFETY: kill(2) on a pid this test started (found by its
            // unique argument); it touches no memory.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        if fx.guarantees(&[layer::PID]) {
            assert!(survivors.is_empty(), "{mode}: {survivors:?} survived");
        } else if !fx.sandboxed() {
            assert_eq!(
                survivors.len(),
                1,
                "off: the session leader escapes the group kill"
            );
        }
    }
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<libc::pid_t> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: libc::pid_t = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat.rsplit(") ").next().is_some_and(|s| s.starts_with('Z'));
            (!zombie && String::from_utf8_lossy(&cmdline).contains(marker)).then_some(pid)
        })
        .collect()
}

#[test]
fn protected_paths_inside_writable_folders_stay_read_only() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let ws = &fx.workspace;
        std::fs::create_dir_all(ws.join("src/vendor/.git/hooks")).unwrap();
        std::fs::create_dir_all(ws.join("tests/sub")).unwrap();
        std::fs::write(ws.join("tests/sub/.git"), "gitdir: /nowhere\n").unwrap();
        std::fs::create_dir_all(ws.join("src/.vscode")).unwrap();
        let output = fx.python(&attempts(&[
            (
                "nested-hook",
                "open('src/vendor/.git/hooks/pre-commit', 'w').write('x')".to_string(),
            ),
            (
                "gitfile",
                "open('tests/sub/.git', 'w').write('gitdir: /tmp/evil')".to_string(),
            ),
            ("remove-git", "shutil.rmtree('src/vendor/.git')".to_string()),
            (
                "rename-git",
                "os.rename('src/vendor/.git', 'src/vendor/old')".to_string(),
            ),
            (
                "vscode",
                "open('src/.vscode/tasks.json', 'w').write('{}')".to_string(),
            ),
        ]));
        if fx.guarantees(&[layer::NAMESPACES]) {
            for label in [
                "nested-hook",
                "gitfile",
                "remove-git",
                "rename-git",
                "vscode",
            ] {
                assert!(
                    output.text.contains(&format!("{label} blocked")),
                    "{mode}: {label}\n{}",
                    output.text
                );
            }
            assert!(ws.join("src/vendor/.git/hooks").is_dir());
            assert_eq!(
                read(&ws.join("tests/sub/.git")).as_deref(),
                Some("gitdir: /nowhere\n")
            );
        }
    }
}

#[test]
fn protected_paths_a_command_creates_are_removed_after_it() {
    for mode in MODES {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let output = fx.python(
            "import os; os.makedirs('src/.git/hooks'); open('src/.git/hooks/post-checkout', 'w').write('x'); os.makedirs('tests/a/.kiro/agents'); open('tests/mcp.json', 'w').write('{}'); print('created')",
        );
        assert!(output.text.contains("created"), "{mode}: {}", output.text);
        let ws = &fx.workspace;
        let left = [
            ws.join("src/.git"),
            ws.join("tests/a/.kiro"),
            ws.join("tests/mcp.json"),
        ]
        .map(|p| p.exists());
        if fx.sandboxed() {
            assert_eq!(left, [false; 3], "{mode}: {}", output.text);
            assert_eq!(
                output.text.matches("sandbox: removed").count(),
                3,
                "{}",
                output.text
            );
            assert!(ws.join("tests/a").is_dir(), "only the protected path goes");
        } else {
            assert_eq!(left, [true; 3]);
        }
    }
}

#[test]
fn the_private_temporary_folder_is_writable_and_removed_after() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let output = fx.python(
            "import os, tempfile; f = tempfile.NamedTemporaryFile(delete=False); f.write(b'x'); f.close(); print('temp', os.environ['TMPDIR'], f.name)",
        );
        let line = output
            .text
            .lines()
            .find(|l| l.starts_with("temp "))
            .unwrap_or_else(|| panic!("{}", output.text));
        let parts: Vec<&str> = line.split(' ').collect();
        assert!(parts[2].starts_with(parts[1]), "{line}");
        assert_ne!(parts[1], "/tmp");
        assert!(!Path::new(parts[1]).exists(), "removed after the command");
    }
}

#[test]
fn writable_paths_add_folders_to_the_fence() {
    let Some(fx) = Fixture::with("auto", json!({"writablePaths": ["cache"]})) else {
        return;
    };
    std::fs::create_dir_all(fx.workspace.join("cache")).unwrap();
    let output = fx.python("open('cache/x', 'w').write('y'); print('wrote')");
    assert!(output.text.contains("wrote"), "{}", output.text);
    assert_eq!(read(&fx.workspace.join("cache/x")).as_deref(), Some("y"));
}

#[test]
fn pytest_mypy_and_git_work_inside() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let example = support::repo().join("examples/kiro-autorun");
        for file in ["src/inventory.py", "tests/test_inventory.py"] {
            std::fs::copy(example.join(file), fx.workspace.join(file)).unwrap();
        }
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(args)
                .current_dir(&fx.workspace)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .unwrap();
            assert!(status.status.success(), "git {args:?}: {status:?}");
        };
        std::fs::remove_dir_all(fx.workspace.join(".git")).unwrap();
        git(&["init", "-q"]);
        git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "start",
        ]);
        let marker = fx.workspace.join("src/fsmonitor-ran");
        git(&[
            "config",
            "core.fsmonitor",
            &format!("touch {} #", marker.display()),
        ]);
        let pytest = fx.run("python -m pytest -q");
        assert!(
            !pytest.is_error && pytest.text.contains("1 passed"),
            "{mode}: {}",
            pytest.text
        );
        assert!(
            !pytest.text.contains("PytestCacheWarning")
                && !fx.workspace.join(".pytest_cache").exists(),
            "{mode}: pytest's cache goes to the private temporary folder: {}",
            pytest.text
        );
        let mypy = fx.run("mypy src");
        assert!(
            !mypy.is_error && mypy.text.contains("Success"),
            "{mode}: {}",
            mypy.text
        );
        let status = fx.run("git status --short");
        assert!(
            !status.is_error && status.text.contains("?? src/"),
            "{mode}: {}",
            status.text
        );
        assert!(!marker.exists(), "{mode}: the repository's fsmonitor ran");
        for command in ["git log --oneline", "git diff"] {
            let output = fx.run(command);
            assert!(!output.is_error, "{mode}: {command}: {}", output.text);
        }
    }
}

/// Whether `program` runs here; the tests that need it say so and skip.
fn installed(program: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping: `{program}` is not installed");
    }
    found
}

#[test]
fn cargo_test_and_npm_test_work_inside() {
    if !installed("cargo") || !installed("npm") {
        return;
    }
    for mode in ["auto", "required"] {
        let shell = json!({
            "allowedCommands": ["cargo test --offline", "npm test"],
            "writablePaths": ["target"],
        });
        let Some(fx) = Fixture::with(mode, shell) else {
            continue;
        };
        let w = &fx.workspace;
        std::fs::write(
            w.join("Cargo.toml"),
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(
            w.join("src/lib.rs"),
            "#[test]\nfn adds() { assert_eq!(1 + 2, 3); }\n",
        )
        .unwrap();
        let lock = std::process::Command::new("cargo")
            .args(["generate-lockfile", "--offline"])
            .current_dir(w)
            .output()
            .unwrap();
        assert!(lock.status.success(), "{lock:?}");
        assert!(!w.join("target").exists());
        let cargo = fx.run("cargo test --offline");
        assert!(
            !cargo.is_error && cargo.text.contains("1 passed"),
            "{mode}: the `target` folder of writablePaths is made for cargo: {}",
            cargo.text
        );
        std::fs::write(
            w.join("package.json"),
            r#"{"name": "tiny", "version": "1.0.0", "scripts": {"test": "node --test tests/"}}"#,
        )
        .unwrap();
        std::fs::write(
            w.join("tests/add.test.js"),
            "require('node:test')('adds', () => require('node:assert').strictEqual(1 + 2, 3));\n",
        )
        .unwrap();
        let npm = fx.run("npm test");
        assert!(
            !npm.is_error && npm.text.contains("# pass 1"),
            "{mode}: {}",
            npm.text
        );
    }
}

#[test]
fn required_refuses_commands_when_a_layer_is_missing_and_off_warns() {
    let root = tempfile::tempdir().unwrap();
    let roots = Roots::new(root.path(), None);
    let config = |mode: &str| {
        let text =
            format!(r#"{{"name": "a", "toolsSettings": {{"shell": {{"sandbox": "{mode}"}}}}}}"#);
        validate_text(Path::new("a.json"), &text).unwrap().config
    };
    let broken = Sandbox::for_agent(&config("required")).with_helper("/nonexistent/agent");
    let refusal = broken.prepare("true", &roots, Vec::new()).err().unwrap();
    assert!(
        refusal.starts_with("refused:") && refusal.contains("\"required\""),
        "{refusal}"
    );
    assert!(
        broken
            .startup_warning()
            .unwrap()
            .contains("will be refused")
    );
    let partial = Sandbox::for_agent(&config("auto")).with_helper("/nonexistent/agent");
    assert!(partial.startup_warning().unwrap().contains("partial"));
    let off = Sandbox::for_agent(&config("off"));
    assert!(off.startup_warning().unwrap().contains("off"));
    if layers().missing(false).is_empty() {
        let full = Sandbox::for_agent(&config("required")).with_helper(HELPER);
        assert_eq!(full.startup_warning(), None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_are_not_visible_to_commands() {
    let check = "import os, glob\n\
        found = False\n\
        for path in glob.glob('/proc/*/environ'):\n\
        \x20   try:\n\
        \x20       found = found or b'sk-sandbox-secret' in open(path, 'rb').read()\n\
        \x20   except OSError:\n\
        \x20       pass\n\
        print('env', 'sk-sandbox-secret' in str(dict(os.environ)), 'proc', found)\n";
    for mode in MODES {
        if mode == "required" && !layers().missing(false).is_empty() {
            eprintln!("skipping `required`: layers missing");
            continue;
        }
        let env = support::Env::new();
        let mut agent: Value = serde_json::from_str(REFACTOR_BOT).unwrap();
        agent["toolsSettings"]["shell"]["sandbox"] = json!(mode);
        env.write(".kiro/agents/refactor-bot.json", &agent.to_string());
        let server = ModelServer::start(vec![
            Protocol::OpenAi.tool_calls(&[(
                "c1",
                "shell",
                json!({"command": python_one_liner(check)}),
            )]),
            Protocol::OpenAi.text("done"),
        ])
        .await;
        let mut command = env.std_command(&env.workspace);
        command
            .args([
                "chat",
                "--no-interactive",
                "--agent",
                "refactor-bot",
                "--model",
                "openai/scripted",
            ])
            .args(["--output-format", "json", "go"])
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
            .env("OPENAI_API_KEY", "sk-sandbox-secret");
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        let shown = report["tool_calls"][0]["output"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(shown.contains("env False"), "{mode}: {shown}");
        let sandboxed = mode != "off";
        let layers_on = layers().missing(false).is_empty();
        if sandboxed && (layers_on || mode == "required") {
            assert!(shown.contains("proc False"), "{mode}: {shown}");
        } else if !sandboxed {
            assert!(
                shown.contains("proc True"),
                "off: the agent's environment is readable: {shown}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fence_audit_puts_back_what_the_folder_fence_let_through() {
    // `src/**/*.py` is a glob the kernel layer cannot express: it opens all of
    // `src/`, and the audit after the command does the rest, in every mode.
    for mode in MODES {
        let env = support::Env::new();
        let mut agent: Value = serde_json::from_str(REFACTOR_BOT).unwrap();
        agent["toolsSettings"]["shell"]["sandbox"] = json!(mode);
        agent["toolsSettings"]["write"]["allowedPaths"] = json!(["src/**/*.py"]);
        env.write(".kiro/agents/refactor-bot.json", &agent.to_string());
        env.write("src/keep.txt", "as it was\n");
        let script = "open('src/notes.txt', 'w').write('x')\n\
            open('src/keep.txt', 'w').write('changed')\n\
            open('src/ok.py', 'w').write('x = 1')\n";
        let server = ModelServer::start(vec![
            Protocol::OpenAi.tool_calls(&[(
                "c1",
                "shell",
                json!({"command": python_one_liner(script)}),
            )]),
            Protocol::OpenAi.text("done"),
        ])
        .await;
        let mut command = env.std_command(&env.workspace);
        command
            .args(["chat", "--no-interactive", "--agent", "refactor-bot"])
            .args([
                "--model",
                "openai/scripted",
                "--output-format",
                "json",
                "go",
            ])
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url));
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        assert_eq!(report["is_error"], false, "{mode}: {report}");
        let told = server.requests()[1].body.to_string();
        assert!(
            told.contains("refused write") && told.contains("src/notes.txt"),
            "{mode}: the model is told: {told}"
        );
        assert!(!env.workspace.join("src/notes.txt").exists(), "{mode}");
        assert_eq!(
            std::fs::read_to_string(env.workspace.join("src/keep.txt")).unwrap(),
            "as it was\n",
            "{mode}"
        );
        assert_eq!(
            std::fs::read_to_string(env.workspace.join("src/ok.py")).unwrap(),
            "x = 1",
            "{mode}: inside the glob, the change stays"
        );
    }
}

/// How the sandbox found the protected paths before `command` (prepared
/// and run as the shell tool would, its notes returned).
fn search_before(fx: &Fixture, command: &str) -> (Search, Vec<String>) {
    let mut prepared = fx
        .context
        .sandbox
        .prepare(command, &fx.context.roots, Vec::new())
        .unwrap();
    let search = prepared.search().cloned().unwrap();
    prepared.spawn().unwrap().wait().unwrap();
    (search, prepared.finish())
}

#[test]
fn with_the_change_journal_protected_paths_are_kept_current_not_searched_again() {
    for mode in ["auto", "required"] {
        let Some(mut fx) = Fixture::new(mode) else {
            continue;
        };
        let ws = fx.workspace.clone();
        std::fs::create_dir_all(ws.join("src/vendor/.git/hooks")).unwrap();
        std::fs::create_dir_all(ws.join("src/gen")).unwrap();
        std::fs::write(ws.join(".gitignore"), "src/gen/\n").unwrap();
        let data = fx._root.path().join("data");
        let mut store = CheckpointStore::open(&data, &ws).unwrap();
        store.start_journal(JOURNAL_CAPACITY);
        fx.context
            .sandbox
            .follow(Arc::new(std::sync::Mutex::new(store)));
        let (first, _) = search_before(&fx, "true");
        assert!(matches!(first, Search::Walked(_)), "{first:?}");

        // A command's protected paths still go, found from the journal.
        let (search, notes) = search_before(
            &fx,
            "mkdir -p src/.git/hooks tests/a/.kiro src/gen/x/.git src/moved && touch tests/mcp.json && mkdir src/moved/.vscode && mv src/moved src/in",
        );
        assert_eq!(search, Search::Updated, "{mode}");
        for gone in [
            "src/.git",
            "tests/a/.kiro",
            "tests/mcp.json",
            "src/gen/x/.git",
            "src/in/.vscode",
        ] {
            assert!(
                !ws.join(gone).exists(),
                "{mode}: {gone} is removed: {notes:?}"
            );
        }
        assert_eq!(notes.len(), 5, "{mode}: {notes:?}");
        assert!(ws.join("tests/a").is_dir() && ws.join("src/in").is_dir());

        // Protected paths made between commands (not by one) are kept, and
        // the next command cannot write them: in a watched folder, in one
        // moved in, and in an ignored one the journal does not watch.
        for made in ["src/lib/.git/hooks", "src/gen/y/.kiro", "tests/b/.vscode"] {
            std::fs::create_dir_all(ws.join(made)).unwrap();
        }
        let output = fx.python(&attempts(&[
            (
                "old",
                "open('src/vendor/.git/hooks/pre-commit', 'w').write('x')".into(),
            ),
            (
                "new",
                "open('src/lib/.git/hooks/pre-commit', 'w').write('x')".into(),
            ),
            (
                "ignored",
                "open('src/gen/y/.kiro/a.json', 'w').write('x')".into(),
            ),
            (
                "moved",
                "open('tests/b/.vscode/tasks.json', 'w').write('x')".into(),
            ),
        ]));
        if fx.guarantees(&[layer::NAMESPACES]) {
            for label in ["old", "new", "ignored", "moved"] {
                assert!(
                    output.text.contains(&format!("{label} blocked")),
                    "{mode}: {label}\n{}",
                    output.text
                );
            }
        }
        for kept in [
            "src/lib/.git/hooks",
            "src/gen/y/.kiro",
            "tests/b/.vscode",
            "src/vendor/.git",
        ] {
            assert!(
                ws.join(kept).is_dir(),
                "{mode}: {kept} stays\n{}",
                output.text
            );
        }
        // One deleted between commands and made again by one goes too.
        std::fs::remove_dir_all(ws.join("src/lib")).unwrap();
        let (search, notes) = search_before(&fx, "mkdir -p src/lib/.git");
        assert_eq!(search, Search::Updated, "{mode}");
        assert_eq!(notes.len(), 1, "{mode}: {notes:?}");
        assert!(!ws.join("src/lib/.git").exists());
    }
}

#[test]
fn without_writes_a_command_can_write_nothing_but_its_temporary_folder() {
    for mode in ["auto", "required"] {
        let Some(fx) = Fixture::new(mode) else {
            continue;
        };
        let mut context = fx.context.clone();
        context.sandbox = context.sandbox.without_writes();
        let output = fx.run_in(
            &context,
            &python_one_liner(&attempts(&[
                ("src", "open('src/x.py', 'w').write('x')".into()),
                ("tests", "os.makedirs('tests/new')".into()),
                (
                    "temp",
                    "open(os.environ['TMPDIR'] + '/t', 'w').write('x')".into(),
                ),
            ])),
        );
        if fx.guarantees(&[layer::LANDLOCK]) {
            for label in ["src", "tests"] {
                assert!(
                    output.text.contains(&format!("{label} blocked")),
                    "{mode}: {label}\n{}",
                    output.text
                );
            }
            assert!(!fx.workspace.join("src/x.py").exists());
        }
        assert!(output.text.contains("temp ok"), "{mode}: {}", output.text);
    }
}
