//! `Answer::Trust` through the engine: a person trusts a program from an
//! approval prompt, the next call of that program runs unasked, a denied
//! command is still refused, and nothing else is trusted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use agent::config::validate_text;
use agent::engine::{Answer, Approver, Assembly, Event, Question, Session, SessionSetup};
use agent::policy::{Breadth, Mode, ToolCall, Verdict};
use agent::provider::{Client, Endpoint, ProviderKind};
use agent::sandbox::Sandbox;
use serde_json::json;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{"name": "t", "tools": ["shell"],
    "toolsSettings": {"shell": {"deniedCommands": ["echo secret.*"]}}}"#;

/// Trusts the program of the first call it is asked about, and records
/// every question.
struct TrustProgram {
    asked: Arc<Mutex<Vec<ToolCall>>>,
}

impl Approver for TrustProgram {
    fn ask(&mut self, question: &Question) -> Answer {
        self.asked.lock().unwrap().push(question.call.clone());
        let options = &question.options;
        let program = options
            .iter()
            .find(|o| o.breadth == Breadth::Program)
            .expect("a program option");
        Answer::Trust(program.grants.clone())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_program_runs_unasked_and_deny_rules_hold() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "shell", json!({"command": "echo one"}))]),
        Protocol::OpenAi.tool_calls(&[("c2", "shell", json!({"command": "echo two"}))]),
        Protocol::OpenAi.tool_calls(&[("c3", "shell", json!({"command": "echo secret key"}))]),
        Protocol::OpenAi.tool_calls(&[("c4", "shell", json!({"command": "printf x"}))]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let config = validate_text(Path::new("t.json"), AGENT).unwrap().config;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let approver = TrustProgram {
        asked: asked.clone(),
    };
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
    setup.system = "test".into();
    setup.definitions = Vec::new();
    setup.tools.sandbox = Sandbox::off();
    setup.mode = Mode::Interactive;
    setup.approver = Some(Arc::new(Mutex::new(approver)));
    let mut session = Session::new(setup, Vec::new(), Default::default());
    let mut events = Vec::new();
    let mut emit = |event: Event| events.push(event);
    session.run_turn("go", &mut emit).await.unwrap();
    let decisions: Vec<(String, Verdict)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCall {
                input, decision, ..
            } => Some((input["command"].as_str().unwrap().to_string(), *decision)),
            _ => None,
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("echo one".into(), Verdict::Ask),
            ("echo two".into(), Verdict::Allow),
            ("echo secret key".into(), Verdict::Deny),
            ("printf x".into(), Verdict::Ask),
        ]
    );
    let asked: Vec<String> = asked
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.input["command"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(asked, vec!["echo one", "printf x"]);
    let outputs: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::ToolResult { output, .. } => Some(output.as_str()),
            _ => None,
        })
        .collect();
    assert!(outputs[1].contains("two"), "{}", outputs[1]);
    assert!(outputs[2].contains("deniedCommands"), "{}", outputs[2]);
}
