//! The `code` tool with a real language server (`pylsp`, installed by
//! `.ci/run`; under `CI=true` a missing one fails the test), run in the
//! agent's OS sandbox made read-only: references, definition, hover,
//! diagnostics, rename through the `write` tool's rules, diagnostics
//! appended to a write's result through the scripted model server,
//! `agent code init`, a server that dies or hangs, and a server that tries
//! to write the workspace and reach the network and cannot.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::{Layers, Sandbox};
use agent::tools::{self, ToolContext, ToolOutput};
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};
use tempfile::TempDir;

/// The `agent` binary, which is also the sandbox helper.
const HELPER: &str = env!("CARGO_BIN_EXE_agent");

const SHAPES: &str =
    "def area(width, height):\n    return width * height\n\n\ntotal = area(2, 3)\nprint(total)\n";

/// Whether `pylsp` is on PATH; under CI its absence is a failure.
fn pylsp_available() -> bool {
    let found = std::process::Command::new("pylsp")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var("CI").is_err(),
        "pylsp is needed: pip install 'python-lsp-server[pyflakes]==1.15.0'"
    );
    if !found {
        eprintln!("skipped: pylsp is not installed");
    }
    found
}

fn lsp_json(command: &str, args: &[&str], timeout: u64) -> String {
    json!({"languages": {"python": {
        "name": command, "command": command, "args": args,
        "file_extensions": ["py"], "request_timeout_secs": timeout
    }}})
    .to_string()
}

struct Workspace {
    dir: TempDir,
    policy: Policy,
    context: ToolContext,
}

impl Workspace {
    /// A workspace whose agent runs servers in the default sandbox (`auto`).
    fn new(lsp: &str) -> Workspace {
        Workspace::sandboxed(lsp, "auto")
    }

    /// A workspace whose agent's `toolsSettings.shell.sandbox` is `mode`.
    fn sandboxed(lsp: &str, mode: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let agent = json!({
            "name": "a", "tools": ["code"], "allowedTools": ["code"],
            "toolsSettings": {"shell": {"sandbox": mode}}
        });
        let config = validate_text(Path::new("a.json"), &agent.to_string())
            .unwrap()
            .config;
        let sandbox = Sandbox::for_agent(&config).with_helper(HELPER);
        let policy = Policy::new(config, &root, None);
        let context = ToolContext {
            roots: Roots::new(&root, None),
            env_passthrough: Vec::new(),
            cancel: agent::tools::Cancel::default(),
            sandbox,
            session: Default::default(),
            hidden: policy.hidden(),
            code_index: None,
        };
        let workspace = Workspace {
            dir,
            policy,
            context,
        };
        workspace.write(".kiro/settings/lsp.json", lsp);
        workspace.write("shapes.py", SHAPES);
        workspace
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn code(&self, input: Value) -> ToolOutput {
        let call = ToolCall {
            tool: "code".into(),
            input,
        };
        match self
            .policy
            .decide(&call, &Trust::default(), Mode::Unattended)
        {
            Decision::Allow { approval, .. } => tools::run(&call, &approval, &self.context),
            other => panic!("not allowed: {}", other.to_json()),
        }
    }

    fn ok(&self, input: Value) -> String {
        let output = self.code(input.clone());
        assert!(!output.is_error, "{input}: {}", output.text);
        output.text
    }
}

#[test]
fn pylsp_answers_references_definition_hover_diagnostics_and_rename() {
    if !pylsp_available() {
        return;
    }
    let workspace = Workspace::new(&lsp_json("pylsp", &[], 30));
    let at = |operation: &str, row: u64, column: u64| json!({"operation": operation, "file_path": "shapes.py", "row": row, "column": column});
    let references = workspace.ok(at("find_references", 1, 5));
    assert!(
        references.contains("shapes.py:1:5: def area(width, height):"),
        "{references}"
    );
    assert!(
        references.contains("shapes.py:5:9: total = area(2, 3)"),
        "{references}"
    );
    let definition = workspace.ok(at("goto_definition", 5, 9));
    assert!(definition.starts_with("shapes.py:1:5:"), "{definition}");
    let hover = workspace.ok(at("get_hover", 5, 9));
    assert!(hover.contains("area(width, height)"), "{hover}");
    workspace.write("broken.py", "import os\n\nprint(undefined_thing)\n");
    let diagnostics =
        workspace.ok(json!({"operation": "get_diagnostics", "file_path": "broken.py"}));
    let lines: Vec<&str> = diagnostics.lines().collect();
    assert!(
        lines[0].contains("broken.py:3:7: error: undefined name 'undefined_thing'"),
        "errors first: {diagnostics}"
    );
    assert!(
        diagnostics.contains("'os' imported but unused"),
        "{diagnostics}"
    );
    let mut rename = at("rename_symbol", 1, 5);
    rename["new_name"] = json!("surface");
    let preview = workspace.code(rename.clone());
    assert!(preview.writes.is_empty(), "a dry run by default");
    assert!(
        preview.text.contains("+def surface(width, height):"),
        "{}",
        preview.text
    );
    assert!(
        preview.text.contains("+total = surface(2, 3)"),
        "{}",
        preview.text
    );
    rename["dry_run"] = json!(false);
    let applied = workspace.code(rename);
    assert_eq!(applied.writes.len(), 1, "{}", applied.text);
    assert!(applied.writes[0].content.starts_with("def surface("));
}

#[test]
fn a_server_that_dies_is_restarted_once_then_reported() {
    let workspace = Workspace::new(&lsp_json("false", &[], 5));
    let hover = json!({"operation": "get_hover", "file_path": "shapes.py", "row": 1, "column": 5});
    let first = workspace.code(hover.clone());
    let second = workspace.code(hover.clone());
    let third = workspace.code(hover);
    assert!(first.is_error && second.is_error && third.is_error);
    assert!(
        third.text.contains("failed again after a restart"),
        "{}",
        third.text
    );
    let definition = workspace.ok(
        json!({"operation": "goto_definition", "file_path": "shapes.py", "row": 5, "column": 9}),
    );
    assert!(
        definition.starts_with("(the language server failed: "),
        "{definition}"
    );
    assert!(
        definition.contains("function area  shapes.py:1-2"),
        "the index answers: {definition}"
    );
}

#[test]
fn a_server_that_hangs_never_blocks_past_its_timeout() {
    let workspace = Workspace::new(&lsp_json("sleep", &["60"], 1));
    let started = Instant::now();
    let output = workspace
        .code(json!({"operation": "get_hover", "file_path": "shapes.py", "row": 1, "column": 5}));
    assert!(output.is_error);
    assert!(
        output
            .text
            .contains("did not answer `initialize` within 1 s"),
        "{}",
        output.text
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// An agent with `write` and `code`; `settings` is its `toolsSettings.code`.
fn writer(settings: Value) -> String {
    json!({
        "name": "bot",
        "tools": ["write", "code"],
        "allowedTools": ["write", "code"],
        "toolsSettings": {"code": settings}
    })
    .to_string()
}

/// A turn in which the model writes `path` with `content`; the write's
/// result, as the model reads it.
async fn write_file_turn(env: &Env, path: &str, content: &str) -> String {
    write_events(env, path, content).await.0
}

/// A turn in which the model writes `path` with `content`: the write's
/// result, and the `code` events of its call.
async fn write_events(env: &Env, path: &str, content: &str) -> (String, Vec<Value>) {
    let call = json!({"command": "create", "path": path, "content": content});
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("w1", "write", call)]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["go"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = support::stream_events(&output);
    let result = events
        .iter()
        .find(|e| e["type"] == "tool_result" && e["id"] == "w1")
        .unwrap_or_else(|| panic!("{events:?}"));
    let reports = events
        .iter()
        .filter(|e| e["type"] == "code" && e["id"] == "w1")
        .map(|e| e["report"].clone())
        .collect();
    (result["output"].as_str().unwrap().to_string(), reports)
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnostics_after_a_write_reach_the_model_unless_turned_off() {
    if !pylsp_available() {
        return;
    }
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &writer(json!({})));
    env.write(".kiro/settings/lsp.json", &lsp_json("pylsp", &[], 30));
    let (result, reports) = write_events(&env, "bad.py", "print(undefined_thing)\n").await;
    assert!(
        result.contains("diagnostics from pylsp after this change:"),
        "{result}"
    );
    assert_eq!(
        reports,
        [json!({
            "kind": "diagnostics", "path": "bad.py", "server": "pylsp", "total": 1, "errors": 1,
            "diagnostics": [{"severity": "error", "line": 1, "column": 7,
                "message": "undefined name 'undefined_thing'", "source": "pyflakes"}]
        })],
        "the stream carries them typed"
    );
    assert!(
        result.contains("bad.py:1:7: error: undefined name 'undefined_thing'"),
        "{result}"
    );
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &writer(json!({"diagnosticsAfterWrite": false})),
    );
    env.write(".kiro/settings/lsp.json", &lsp_json("pylsp", &[], 30));
    let (result, reports) = write_events(&env, "bad.py", "print(undefined_thing)\n").await;
    assert!(!result.contains("diagnostics"), "{result}");
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn code_init_writes_lsp_json_from_what_it_detects() {
    if !pylsp_available() {
        return;
    }
    let env = Env::new();
    env.write("app/main.py", "print(1)\n");
    let output = env.agent().args(["code", "init"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("wrote .kiro/settings/lsp.json (python: "),
        "{stdout}"
    );
    let written = std::fs::read_to_string(env.workspace.join(".kiro/settings/lsp.json")).unwrap();
    let written: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        written["languages"]["python"]["file_extensions"],
        json!(["py", "pyi"])
    );
    let status = env.agent().args(["code", "status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("python: ") && status.contains("(not started)"),
        "{status}"
    );
    assert!(status.contains("pylsp"), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnostics_after_a_shell_command_that_changed_a_file_reach_the_model() {
    if !pylsp_available() {
        return;
    }
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &json!({"name": "bot", "tools": ["shell", "write", "code"], "allowedTools": ["shell", "write", "code"]})
            .to_string(),
    );
    env.write(".kiro/settings/lsp.json", &lsp_json("pylsp", &[], 30));
    let call = json!({"command": "printf 'print(undefined_thing)\\n' > bad.py"});
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("s1", "shell", call)]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["go"]).await;
    let results = support::tool_results(&output);
    assert_eq!(
        results.len(),
        1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        results[0]
            .0
            .contains("diagnostics from pylsp after this change:")
            && results[0].0.contains("undefined name 'undefined_thing'"),
        "{}",
        results[0].0
    );
}

/// A language server that, asked for hover, tries to write a file in the
/// workspace, to connect to `127.0.0.1:PORT` (its first argument), and to
/// write its temporary folder, and answers with how each went.
const FENCE_SERVER: &str = r#"
import json, os, socket, sys, tempfile

def read():
    length = None
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            sys.exit(0)
        line = line.strip()
        if not line:
            break
        name, value = line.split(b":", 1)
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(sys.stdin.buffer.read(length))

def send(message):
    body = json.dumps(message).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    sys.stdout.buffer.flush()

def attempt(action):
    try:
        action()
        return "ok"
    except Exception as error:
        return type(error).__name__

def write_workspace():
    with open("escaped.txt", "w") as f:
        f.write("written from the language server\n")

def connect():
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()

def write_temp():
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"x")

while True:
    message = read()
    method = message.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"capabilities": {"hoverProvider": True}}})
    elif method == "textDocument/hover":
        report = "write: %s; connect: %s; temp: %s" % (attempt(write_workspace), attempt(connect), attempt(write_temp))
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"contents": {"kind": "plaintext", "value": report}}})
    elif "id" in message:
        send({"jsonrpc": "2.0", "id": message["id"], "result": None})
"#;

/// The layers this machine has, detected once per test binary.
fn layers() -> &'static Layers {
    static LAYERS: std::sync::OnceLock<Layers> = std::sync::OnceLock::new();
    LAYERS.get_or_init(|| Layers::detect(Path::new(HELPER)))
}

/// What the fence server reports in `mode`, whether a file appeared in the
/// workspace, and whether a connection reached the listener.
fn fence_server_in(mode: &str) -> (String, bool, bool) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let lsp = lsp_json("python3", &["fence_server.py", &port], 30);
    let workspace = Workspace::sandboxed(&lsp, mode);
    workspace.write("fence_server.py", FENCE_SERVER);
    let report = workspace
        .ok(json!({"operation": "get_hover", "file_path": "shapes.py", "row": 1, "column": 5}));
    listener.set_nonblocking(true).unwrap();
    let connected = listener.accept().is_ok();
    let escaped = workspace.dir.path().join("escaped.txt").exists();
    (report, escaped, connected)
}

#[test]
fn a_language_server_cannot_write_the_workspace_or_reach_the_network() {
    let missing = layers().missing(false);
    if !missing.is_empty() {
        eprintln!("skipped: this machine's sandbox lacks {missing:?}");
        return;
    }
    for mode in ["auto", "required"] {
        let (report, escaped, connected) = fence_server_in(mode);
        assert!(
            report.starts_with("write: PermissionError; connect: ")
                && !report.contains("connect: ok")
                && report.ends_with("temp: ok"),
            "{mode}: {report}"
        );
        assert!(!escaped, "{mode}: the server wrote the workspace");
        assert!(!connected, "{mode}: the server reached the network");
    }
    let (report, escaped, connected) = fence_server_in("off");
    assert_eq!(report, "write: ok; connect: ok; temp: ok", "off");
    assert!(
        escaped && connected,
        "without the sandbox the same server can"
    );
}

/// `typescript-language-server`, as `.ci/run` installs it under
/// `target/npm` (or where `AGENT_TEST_NPM` says) with `typescript`; `None`
/// (a failure under `CI=true`) when it or node is missing.
fn typescript_server() -> Option<String> {
    let npm = std::env::var_os("AGENT_TEST_NPM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| support::repo().join("target/npm"));
    let server = npm.join("node_modules/.bin/typescript-language-server");
    let node = std::process::Command::new("node").arg("--version").output();
    let why = if !node.is_ok_and(|o| o.status.success()) {
        "node is not installed".to_string()
    } else if !server.is_file() {
        format!(
            "{} is missing; `bash .ci/run` installs it (npm install --prefix target/npm typescript-language-server typescript)",
            server.display()
        )
    } else {
        return Some(server.display().to_string());
    };
    assert!(std::env::var("CI").is_err(), "{why}");
    eprintln!("skipped: {why}");
    None
}

/// `lsp.json` for `server`, as `agent code init` writes it (the semantic
/// server only, which sees the files not opened).
fn typescript_lsp_json(server: &str) -> String {
    json!({"languages": {"typescript": {
        "name": "typescript-language-server", "command": server, "args": ["--stdio"],
        "file_extensions": ["ts"], "request_timeout_secs": 60,
        "initialization_options": {"tsserver": {"useSyntaxServer": "never"}}
    }}})
    .to_string()
}

const GEOMETRY_TS: &str =
    "export function area(width: number, height: number): number {\n  return width * height;\n}\n";
const MAIN_TS: &str = "import { area } from \"./geometry\";\n\nconst total: number = area(2, 3);\nconsole.log(total);\n";
const TSCONFIG: &str =
    r#"{"compilerOptions": {"strict": true, "noEmit": true}, "files": ["geometry.ts", "main.ts"]}"#;

#[test]
fn typescript_language_server_answers_references_hover_and_diagnostics() {
    let Some(server) = typescript_server() else {
        return;
    };
    let workspace = Workspace::new(&typescript_lsp_json(&server));
    workspace.write("tsconfig.json", TSCONFIG);
    workspace.write("geometry.ts", GEOMETRY_TS);
    workspace.write("main.ts", MAIN_TS);
    let at = |file: &str, row: u64, column: u64| json!({"file_path": file, "row": row, "column": column});
    let mut references = at("geometry.ts", 1, 17);
    references["operation"] = json!("find_references");
    let references = workspace.ok(references);
    assert!(
        references.contains("geometry.ts:1:17: export function area("),
        "{references}"
    );
    assert!(
        references.contains("main.ts:3:23: const total: number = area(2, 3);"),
        "{references}"
    );
    let mut hover = at("main.ts", 3, 23);
    hover["operation"] = json!("get_hover");
    let hover = workspace.ok(hover);
    assert!(
        hover.contains("area(width: number, height: number): number"),
        "{hover}"
    );
    workspace.write("broken.ts", "const count: number = \"three\";\n");
    let diagnostics =
        workspace.ok(json!({"operation": "get_diagnostics", "file_path": "broken.ts"}));
    assert!(
        diagnostics
            .contains("broken.ts:1:7: error: Type 'string' is not assignable to type 'number'."),
        "{diagnostics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_diagnostics_after_a_write_reach_the_model() {
    let Some(server) = typescript_server() else {
        return;
    };
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &writer(json!({})));
    env.write(".kiro/settings/lsp.json", &typescript_lsp_json(&server));
    env.write("tsconfig.json", TSCONFIG);
    env.write("geometry.ts", GEOMETRY_TS);
    let result = write_file_turn(
        &env,
        "main.ts",
        "import { area } from \"./geometry\";\nconst label: string = area(2, 3);\n",
    )
    .await;
    assert!(
        result.contains("diagnostics from typescript-language-server after this change:"),
        "{result}"
    );
    assert!(
        result.contains("main.ts:2:7: error: Type 'number' is not assignable to type 'string'."),
        "{result}"
    );
}
