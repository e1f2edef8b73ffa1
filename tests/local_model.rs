//! End to end against a real (small) model, over both protocols: it is
//! asked to run a named shell command; the call, its result and the turn's
//! end are checked, not the model's reasoning.
//!
//! Runs when `AGENT_LOCAL_MODEL_URL` is set to the OpenAI base URL that
//! `scripts/local-model.sh start` prints (`http://127.0.0.1:18080/v1`):
//! `AGENT_CI_LOCAL_MODEL=1 bash .ci/run` builds and starts the server and
//! sets `AGENT_REQUIRE_LOCAL_MODEL=1`, under which a missing URL is a
//! failure, never a skip. Otherwise it is skipped, saying why.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::Value;
use support::Env;

const AGENT: &str = r#"{"name": "echoer", "tools": ["shell"],
    "prompt": "You run shell commands with the shell tool when asked. After the tool result, reply with one short sentence.",
    "toolsSettings": {"shell": {"allowedCommands": ["echo .*"]}}}"#;

fn run(url: &str, model: &str, variable: &str, base: String) -> Value {
    let env = Env::new();
    env.write(".kiro/agents/echoer.json", AGENT);
    let output = env
        .agent()
        .args([
            "chat",
            "--no-interactive",
            "--agent",
            "echoer",
            "--model",
            model,
            "--output-format",
            "json",
        ])
        .arg("Use the shell tool to run exactly this command: echo hello-from-agent")
        .env(variable, base)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn check(report: &Value) {
    let calls = report["tool_calls"].as_array().unwrap();
    let echo = calls
        .iter()
        .find(|c| {
            c["tool"] == "shell"
                && c["input"]["command"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("hello-from-agent")
        })
        .unwrap_or_else(|| panic!("no shell call with the command: {report:#}"));
    assert_eq!(echo["decision"], "allow", "{report:#}");
    assert!(
        echo["output"]
            .as_str()
            .unwrap()
            .contains("hello-from-agent"),
        "{report:#}"
    );
    assert_eq!(report["is_error"], false);
}

#[test]
fn a_real_model_calls_a_named_shell_command_over_both_protocols() {
    let Ok(url) = std::env::var("AGENT_LOCAL_MODEL_URL") else {
        assert!(
            std::env::var_os("AGENT_REQUIRE_LOCAL_MODEL").is_none(),
            "AGENT_REQUIRE_LOCAL_MODEL is set but AGENT_LOCAL_MODEL_URL is not"
        );
        eprintln!("skipped: set AGENT_LOCAL_MODEL_URL (scripts/local-model.sh start prints it)");
        return;
    };
    let local = run(&url, "local/qwen", "AGENT_LOCAL_MODEL_URL", url.clone());
    check(&local);
    let openai = run(&url, "openai/local", "OPENAI_BASE_URL", url.clone());
    check(&openai);
    let root = url
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_string();
    let anthropic = run(&url, "anthropic/local", "ANTHROPIC_BASE_URL", root);
    check(&anthropic);
}
