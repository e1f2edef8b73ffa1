//! A Kiro user's `.kiro/` folder works unchanged in a session: the agent
//! is found by its `name` (spaces and all), its prompt file, resources,
//! steering and skills reach the model, the tools Kiro has and `agent` does
//! not are skipped, and a skill's body is read only when the model asks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::json;
use support::Env;
use support::model_server::{ModelServer, Protocol};

const AGENT: &str = r#"{
  "name": "Project Dev",
  "prompt": "file://../prompts/dev.md",
  "tools": ["fs_read", "execute_bash", "code", "web_search", "use_subagent"],
  "allowedTools": ["fs_read", "code"],
  "resources": ["file://README.md", "skill://.kiro/skills/**/SKILL.md"],
  "toolsSettings": {"subagent": {"trustedAgents": ["reviewer"]}},
  "hooks": {"agentSpawn": [{"command": "true", "description": "Kiro ignores this key"}]}
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_kiro_folder_runs_unchanged() {
    let env = Env::new();
    env.write(".kiro/agents/dev.json", AGENT);
    env.write(".kiro/prompts/dev.md", "You develop the demo service.\n");
    env.write(".kiro/steering/style.md", "Indent with four spaces.\n");
    env.write("README.md", "# Demo service\n");
    env.write(
        ".kiro/skills/release-notes/SKILL.md",
        "---\nname: release-notes\ndescription: Write release notes from the git log\n---\nStep one: run git log.\n",
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "fs_read",
            json!({"path": ".kiro/skills/release-notes/SKILL.md"}),
        )]),
        Protocol::OpenAi.text("Notes written."),
    ])
    .await;
    let mut command = env.std_command(&env.workspace);
    command
        .args([
            "chat",
            "--no-interactive",
            "--trust-workspace",
            "--agent",
            "Project Dev",
        ])
        .args(["--model", "openai/scripted", "write the release notes"])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().expect("output"))
        .await
        .expect("join");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let first = server.requests()[0].body.to_string();
    for expected in [
        "You develop the demo service.",
        "Indent with four spaces.",
        "# Demo service",
        "release-notes: Write release notes from the git log",
    ] {
        assert!(
            first.contains(expected),
            "the system prompt lacks `{expected}`: {first}"
        );
    }
    assert!(
        !first.contains("Step one"),
        "a skill's body waits until it is read"
    );
    assert!(first.contains("\"name\":\"code\""), "`code` is offered");
    for skipped in ["web_search", "use_subagent"] {
        assert!(
            !first.contains(&format!("\"name\":{skipped}")),
            "{skipped} was offered"
        );
    }
    assert!(stderr.contains("allow"), "{stderr}");
    let second = server.requests()[1].body.to_string();
    assert!(
        second.contains("Step one"),
        "the skill's body reached the model once read"
    );
}
