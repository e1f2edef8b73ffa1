//! The engine's own cost per tool call, and the peak memory of a long
//! session.
//!
//! Against the scripted model server (no delays), a 200-step turn where each
//! step is one `read` call runs (a) through the whole engine (policy,
//! events, request building, streaming, tool) and (b) as bare provider
//! requests for the same replies, side by side; the tools' own run time is
//! measured apart and subtracted. Then the real binary runs a 200-step
//! session under `/usr/bin/time` for its peak memory.
//!
//! `cargo bench --bench session`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

#[path = "../tests/support/model_server.rs"]
mod model_server;

use std::path::Path;
use std::time::{Duration, Instant};

use agent::config::validate_text;
use agent::engine::{Assembly, Session, SessionSetup};
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::provider::{Client, Endpoint, Message, ProviderKind, Request};
use agent::sandbox::Sandbox;
use agent::tools::{self, ToolContext};
use model_server::{ModelServer, Protocol, Scripted};
use serde_json::json;

const STEPS: usize = 200;
const AGENT: &str = r#"{"name": "bench", "tools": ["read"], "allowedTools": ["read"]}"#;

fn script() -> Vec<Scripted> {
    let mut script: Vec<Scripted> = (0..STEPS)
        .map(|i| {
            Protocol::OpenAi
                .tool_calls(&[(&format!("c{i}"), "read", json!({"path": "notes.txt"}))])
                .instant()
        })
        .collect();
    script.push(Protocol::OpenAi.text("done").instant());
    script
}

fn client(server: &ModelServer) -> Client {
    Client::new(Endpoint {
        kind: ProviderKind::OpenAi,
        base_url: format!("{}/v1", server.url),
        api_key: None,
        model: "m".into(),
    })
}

fn setup(workspace: &Path, client: Client) -> SessionSetup {
    let config = validate_text(Path::new("bench.json"), AGENT)
        .expect("agent")
        .config;
    let mut setup = SessionSetup::assemble(Assembly {
        config,
        guardrails: Default::default(),
        workspace: workspace.to_path_buf(),
        home: None,
        client,
        model_id: "openai/m".into(),
        mcp: Default::default(),
    });
    setup.system = "bench".into();
    setup.definitions = Vec::new();
    setup.tools.sandbox = Sandbox::off();
    setup
}

async fn engine_time(workspace: &Path) -> Duration {
    let server = ModelServer::start(script()).await;
    let mut session = Session::new(
        setup(workspace, client(&server)),
        Vec::new(),
        Default::default(),
    );
    let start = Instant::now();
    session.run_turn("go", &mut |_| {}).await.expect("turn");
    start.elapsed()
}

async fn bare_time() -> Duration {
    let server = ModelServer::start(script()).await;
    let client = client(&server);
    let request = Request {
        model: "m".into(),
        system: "bench".into(),
        messages: vec![Message::User("go".into())],
        tools: Vec::new(),
        max_tokens: 100,
        require_tool: false,
    };
    let start = Instant::now();
    for _ in 0..=STEPS {
        client
            .send_once(&request, &mut |_| {})
            .await
            .expect("reply");
    }
    start.elapsed()
}

fn tool_time(workspace: &Path) -> Duration {
    let config = validate_text(Path::new("bench.json"), AGENT)
        .expect("agent")
        .config;
    let policy = Policy::new(config, workspace, None);
    let context = ToolContext {
        roots: Roots::new(workspace, None),
        env_passthrough: Vec::new(),
        cancel: agent::tools::Cancel::default(),
        sandbox: Sandbox::off(),
        session: Default::default(),
        hidden: Default::default(),
        code_index: None,
    };
    let call = ToolCall {
        tool: "read".into(),
        input: json!({"path": "notes.txt"}),
    };
    let Decision::Allow { approval, .. } =
        policy.decide(&call, &Trust::default(), Mode::Unattended)
    else {
        panic!("allowed")
    };
    let start = Instant::now();
    for _ in 0..STEPS {
        std::hint::black_box(tools::run(&call, &approval, &context));
    }
    start.elapsed()
}

async fn peak_memory_kib(workspace: &Path) -> Option<u64> {
    let server = ModelServer::start(script()).await;
    std::fs::create_dir_all(workspace.join(".kiro/agents")).ok()?;
    std::fs::write(workspace.join(".kiro/agents/bench.json"), AGENT).ok()?;
    let url = format!("{}/v1", server.url);
    let workspace = workspace.to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(env!("CARGO_BIN_EXE_agent"))
            .args([
                "chat",
                "--no-interactive",
                "--agent",
                "bench",
                "--model",
                "openai/m",
                "--output-format",
                "json",
                "go",
            ])
            .current_dir(&workspace)
            .env("OPENAI_BASE_URL", url)
            .env("AGENT_HOME", workspace.join(".agent-home"))
            .output()
    })
    .await
    .ok()?
    .ok()?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let calls = report["tool_calls"].as_array().map_or(0, Vec::len);
    if !output.status.success() || calls != STEPS {
        return None;
    }
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "hello\n".repeat(20)).expect("notes");
    std::fs::create_dir(dir.path().join(".git")).expect("git root");
    runtime.block_on(async {
        engine_time(dir.path()).await;
        let engine = engine_time(dir.path()).await;
        let bare = bare_time().await;
        let tools = tool_time(dir.path());
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / STEPS as f64;
        let harness = per(engine.saturating_sub(tools)) - per(bare);
        println!("{STEPS}-step turn, per tool call:");
        println!("  whole engine (minus tool run time) {:.3} ms", per(engine.saturating_sub(tools)));
        println!("  bare provider request (same replies) {:.3} ms", per(bare));
        println!("  tool's own run time (read)         {:.3} ms", per(tools));
        println!("  harness overhead beyond the request {harness:.3} ms (ratio engine/bare {:.2}x)", per(engine.saturating_sub(tools)) / per(bare));
        match peak_memory_kib(dir.path()).await {
            Some(kib) => println!("peak memory of the binary over a {STEPS}-step session: {:.1} MB", kib as f64 / 1024.0),
            None => println!("peak memory: not measured (no /usr/bin/time, or the run did not make {STEPS} calls)"),
        }
    });
}
