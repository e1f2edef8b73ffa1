//! The tutorial, end to end and headless, on a copy of its demo repository:
//! the scripted model tries what the guardrails forbid (all refused, nothing
//! changed, the run goes on), writes the typed module, runs pytest and mypy;
//! afterwards both pass in a plain shell. Once per wire protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol, Scripted};
use support::repo;

const TYPED_MODULE: &str =
    "def add_item(items: dict[str, int], name: str, qty: int) -> dict[str, int]:
    items[name] = items.get(name, 0) + qty
    return items


def remove_item(items: dict[str, int], name: str, qty: int) -> dict[str, int]:
    if items.get(name, 0) < qty:
        raise ValueError(\"not enough stock\")
    items[name] -= qty
    return items


def total_units(items: dict[str, int]) -> int:
    return sum(items.values())
";

fn script(protocol: Protocol) -> Vec<Scripted> {
    vec![
        protocol.tool_calls(&[("c1", "read", json!({"path": "src/inventory.py"}))]),
        protocol.tool_calls(&[
            ("c2", "shell", json!({"command": "rm -rf tests"})),
            ("c3", "shell", json!({"command": "python -m pytest -q && git push origin main"})),
        ]),
        protocol.tool_calls(&[
            ("c4", "write", json!({"command": "create", "path": ".kiro/agents/refactor-bot.json", "content": "{}"})),
            ("c5", "write", json!({"command": "create", "path": "../outside.txt", "content": "escaped"})),
        ]),
        protocol.tool_calls(&[("c6", "write", json!({"command": "create", "path": "src/inventory.py", "content": TYPED_MODULE}))]),
        protocol.tool_calls(&[("c7", "shell", json!({"command": "python -m pytest -q"}))]),
        protocol.tool_calls(&[("c8", "shell", json!({"command": "mypy src"}))]),
        protocol.text("Added type hints; pytest passes and mypy is clean."),
    ]
}

fn passes(workspace: &Path, program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(workspace)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The tutorial's checks need pytest and mypy (`.ci/run` installs them).
fn require_python_tools() {
    for (program, args) in [
        ("python", &["-m", "pytest", "--version"][..]),
        ("mypy", &["--version"][..]),
    ] {
        let found = Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{program}` with pytest and mypy is needed: python3 -m pip install pytest mypy"
        );
    }
}

async fn tutorial(protocol: Protocol) {
    require_python_tools();
    let root = tempfile::tempdir().unwrap();
    let workspace = root.path().join("kiro-autorun");
    support::copy_tree(&repo().join("examples/kiro-autorun"), &workspace);
    std::fs::create_dir(workspace.join(".git")).unwrap();
    let agent_file =
        std::fs::read_to_string(workspace.join(".kiro/agents/refactor-bot.json")).unwrap();

    let server = ModelServer::start(script(protocol)).await;
    let (model, variable, url) = protocol.model_and_env(&server);
    let agent_home = root.path().join("agent-home");
    let binary = assert_cmd::cargo::cargo_bin("agent");
    let cwd = workspace.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["chat", "--no-interactive", "--agent", "refactor-bot", "--model", model, "--output-format", "json"])
            .arg("add type hints to every function in src/inventory.py, then run python -m pytest -q and mypy src")
            .current_dir(&cwd)
            .env("AGENT_HOME", &agent_home)
            .env(variable, url)
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(report["is_error"], false);
    assert_eq!(
        report["result"],
        "Added type hints; pytest passes and mypy is clean."
    );
    let denied: Vec<&str> = report["permission_denials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(denied, vec!["c2", "c3", "c4", "c5"], "{report:#}");
    let calls = report["tool_calls"].as_array().unwrap();
    let output_of = |id: &str| {
        calls.iter().find(|c| c["id"] == id).unwrap()["output"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(output_of("c1").contains("def add_item(items, name, qty):"));
    assert!(
        output_of("c2").contains("rm .*"),
        "the refusal names the rule: {}",
        output_of("c2")
    );
    assert!(output_of("c3").contains("git push.*"));
    assert!(output_of("c7").contains("1 passed"), "{}", output_of("c7"));
    assert!(
        output_of("c8").contains("Success: no issues found"),
        "{}",
        output_of("c8")
    );

    assert!(
        workspace.join("tests/test_inventory.py").is_file(),
        "rm -rf tests was refused"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join(".kiro/agents/refactor-bot.json")).unwrap(),
        agent_file
    );
    assert!(!root.path().join("outside.txt").exists());
    assert_eq!(
        std::fs::read_to_string(workspace.join("src/inventory.py")).unwrap(),
        TYPED_MODULE
    );

    let (pytest_ok, pytest_out) = passes(&workspace, "python", &["-m", "pytest", "-q"]);
    assert!(pytest_ok && pytest_out.contains("1 passed"), "{pytest_out}");
    let (mypy_ok, mypy_out) = passes(&workspace, "mypy", &["src"]);
    assert!(mypy_ok, "{mypy_out}");

    let checkpoints = |args: &[&str]| {
        let output = Command::new(assert_cmd::cargo::cargo_bin("agent"))
            .arg("checkpoint")
            .args(args)
            .current_dir(&workspace)
            .env("AGENT_HOME", root.path().join("agent-home"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let list = checkpoints(&["list"]);
    let tags: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(tags, ["1", "2"], "{list}");
    assert!(list.lines().next().unwrap().ends_with("baseline"), "{list}");
    assert!(
        checkpoints(&["expand", "2"]).contains("2.1"),
        "the write got a tool checkpoint"
    );
    let diff = checkpoints(&["diff", "1", "2"]);
    assert!(
        diff.contains("+def total_units(items: dict[str, int]) -> int:"),
        "{diff}"
    );
    let touched: Vec<&str> = diff
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .collect();
    assert!(
        touched.iter().all(|p| p.starts_with("src/")
            || p.starts_with("tests/")
            || p.starts_with(".pytest_cache")
            || p.starts_with(".mypy_cache")),
        "{touched:?}"
    );
    checkpoints(&["restore", "1"]);
    let restored = std::fs::read_to_string(workspace.join("src/inventory.py")).unwrap();
    assert!(
        restored.starts_with("def add_item(items, name, qty):"),
        "{restored}"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 7, "one request per model step");
    let third = requests[2].body.to_string();
    assert!(
        third.contains("refused by the guardrail policy"),
        "denials go back to the model as errors"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tutorial_runs_headless_over_openai() {
    tutorial(Protocol::OpenAi).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tutorial_runs_headless_over_anthropic() {
    tutorial(Protocol::Anthropic).await;
}
