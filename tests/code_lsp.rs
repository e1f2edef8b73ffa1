//! The `code` tool with a real language server (`pylsp`, installed by
//! `.ci/run`; under `CI=true` a missing one fails the test): references,
//! definition, hover, diagnostics, rename through the `write` tool's rules,
//! diagnostics appended to a write's result through the scripted model
//! server, `agent code init`, and a server that dies or hangs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::Sandbox;
use agent::tools::{self, ToolContext, ToolOutput};
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};
use tempfile::TempDir;

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
    fn new(lsp: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let agent = r#"{"name": "a", "tools": ["code"], "allowedTools": ["code"]}"#;
        let config = validate_text(Path::new("a.json"), agent).unwrap().config;
        let policy = Policy::new(config, &root, None);
        let context = ToolContext {
            roots: Roots::new(&root, None),
            env_passthrough: Vec::new(),
            cancel: agent::tools::Cancel::default(),
            sandbox: Sandbox::off(),
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

async fn write_turn(env: &Env) -> String {
    let call =
        json!({"command": "create", "path": "bad.py", "content": "print(undefined_thing)\n"});
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
    result["output"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnostics_after_a_write_reach_the_model_unless_turned_off() {
    if !pylsp_available() {
        return;
    }
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &writer(json!({})));
    env.write(".kiro/settings/lsp.json", &lsp_json("pylsp", &[], 30));
    let result = write_turn(&env).await;
    assert!(
        result.contains("diagnostics from pylsp after this change:"),
        "{result}"
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
    let result = write_turn(&env).await;
    assert!(!result.contains("diagnostics"), "{result}");
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
