//! The goal loop's own share of a goal's wall time: everything but waiting
//! for the model and running the checks (checkpoints, policy, tools, event
//! plumbing, reports). The pantry example's two-iteration goal runs
//! in-process against the scripted model server answering at once, with the
//! real `python -m pytest` and `mypy --strict` as checks; the report's
//! clocks split the wall time. With instant replies the harness's share is
//! the largest it can be; a real model only adds model time.
//! `cargo bench --bench goal` (needs pytest and mypy).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

#[path = "../tests/support/model_server.rs"]
mod model_server;

use std::path::Path;
use std::sync::{Arc, Mutex};

use agent::checkpoint::CheckpointStore;
use agent::config::validate_text;
use agent::engine::{Assembly, Session, SessionSetup};
use agent::goal::GoalSpec;
use agent::provider::{Client, Endpoint, ProviderKind};
use agent::sandbox::Sandbox;
use model_server::{ModelServer, Protocol, Scripted};
use serde_json::json;

const RUNS: usize = 3;
const MODULES: [&str; 6] = [
    "__init__.py",
    "units.py",
    "items.py",
    "recipes.py",
    "planner.py",
    "report.py",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn write_of(module: &str, fixture: &str) -> serde_json::Value {
    let content = std::fs::read_to_string(
        repo().join(format!("tests/fixtures/{fixture}/src/pantry/{module}")),
    )
    .expect("fixture");
    json!({"command": "create", "path": format!("src/pantry/{module}"), "content": content})
}

fn script() -> Vec<Scripted> {
    let first: Vec<(String, serde_json::Value)> = MODULES
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let attempt = match *m {
                "planner.py" => "pantry-almost",
                _ => "pantry-typed",
            };
            (format!("w{i}"), write_of(m, attempt))
        })
        .collect();
    let first: Vec<(&str, &str, serde_json::Value)> = first
        .iter()
        .map(|(id, input)| (id.as_str(), "write", input.clone()))
        .collect();
    vec![
        Protocol::OpenAi
            .text("Plan: annotate every module.")
            .instant(),
        Protocol::OpenAi.tool_calls(&first).instant(),
        Protocol::OpenAi.text("Typed.").instant(),
        Protocol::OpenAi
            .tool_calls(&[("f", "write", write_of("planner.py", "pantry-typed"))])
            .instant(),
        Protocol::OpenAi.text("Fixed.").instant(),
    ]
}

fn session(workspace: &Path, data: &Path, server: &ModelServer) -> Session {
    let file = workspace.join(".kiro/agents/refactor-bot.json");
    let text = std::fs::read_to_string(&file).expect("agent");
    let config = validate_text(&file, &text).expect("valid").config;
    let store = CheckpointStore::open(data, workspace).expect("store");
    let mut setup = SessionSetup::assemble(Assembly {
        config,
        guardrails: Default::default(),
        workspace: workspace.to_path_buf(),
        home: None,
        client: Client::new(Endpoint {
            kind: ProviderKind::OpenAi,
            base_url: format!("{}/v1", server.url),
            api_key: None,
            model: "m".into(),
        }),
        model_id: "openai/m".into(),
        mcp: Default::default(),
    });
    setup.system = "bench".into();
    setup.tools.sandbox = Sandbox::off();
    setup.checkpoints = Some(Arc::new(Mutex::new(store)));
    Session::new(setup, Vec::new(), Default::default())
}

#[tokio::main]
async fn main() {
    let spec = GoalSpec::parse_line(
        "--max 3 --check 'python -m pytest -q' --check 'mypy --strict src' add type hints",
    )
    .expect("spec");
    let mut shares = Vec::new();
    println!("pantry goal, 2 iterations, instant scripted model ({RUNS} runs):");
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp");
        let workspace = dir.path().join("pantry");
        copy_tree(&repo().join("examples/pantry"), &workspace);
        std::fs::create_dir_all(workspace.join(".git")).expect("git");
        let server = ModelServer::start(script()).await;
        let mut session = session(&workspace, &dir.path().join("data"), &server);
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let report = agent::goal::run(&mut session, &spec, stopped, &mut |_| {}).await;
        assert_eq!(report.status.name(), "met", "{}", report.to_text());
        let harness = report
            .wall_ms
            .saturating_sub(report.checks_ms + report.usage.model_ms);
        let share = harness as f64 / report.wall_ms as f64 * 100.0;
        shares.push(share);
        println!(
            "  run {}: wall {} ms = checks {} ms + model {} ms + harness {harness} ms ({share:.1} %)",
            run + 1,
            report.wall_ms,
            report.checks_ms,
            report.usage.model_ms
        );
    }
    shares.sort_by(f64::total_cmp);
    println!(
        "harness share of wall time, median: {:.1} %",
        shares[RUNS / 2]
    );
}
