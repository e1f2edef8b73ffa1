//! Spec mode, headless (`agent spec …`), on the pantry example against the
//! scripted model server: documents drafted and approved stage by stage,
//! tasks run as goals whose checks (real `mypy --strict` and `pytest`) the
//! program runs, a task ticked only when its checks pass, checks that pass
//! before any work refused, and a Kiro-written `tasks.md` given checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::{Output, Stdio};

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol, Scripted};
use support::{Env, repo};

const SPEC: &str = ".kiro/specs/typed-pantry";

/// A pantry workspace.
fn pantry() -> Env {
    let env = Env::new();
    support::copy_tree(&repo().join("examples/pantry"), &env.workspace);
    env
}

/// Runs `agent spec ARGS` with JSON output; its exit code and result.
async fn spec(env: &Env, server: &ModelServer, args: &[&str]) -> (Output, Value) {
    let mut command = env.std_command(&env.workspace);
    command
        .args([
            "spec",
            "--agent",
            "refactor-bot",
            "--model",
            "openai/scripted",
        ])
        .args(["--output-format", "json"])
        .args(args)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let result = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null);
    (output, result)
}

/// [`spec`], asserting the exit code.
async fn spec_ok(env: &Env, server: &ModelServer, args: &[&str], code: i32) -> Value {
    let (output, result) = spec(env, server, args).await;
    assert_eq!(
        output.status.code(),
        Some(code),
        "agent spec {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    result
}

/// The model writing `module` of the pantry from a fixture folder.
fn write_module(module: &str, fixture: &str) -> Scripted {
    let content = std::fs::read_to_string(
        repo().join(format!("tests/fixtures/{fixture}/src/pantry/{module}")),
    )
    .unwrap();
    Protocol::OpenAi.tool_calls(&[(
        "w",
        "write",
        json!({"command": "create", "path": format!("src/pantry/{module}"), "content": content}),
    )])
}

/// One task's goal, as the model plays it: a plan, the typed module, done.
fn task_turns(module: &str) -> Vec<Scripted> {
    vec![
        Protocol::OpenAi.text(&format!("Plan: annotate {module}.")),
        write_module(module, "pantry-typed"),
        Protocol::OpenAi.text("Typed."),
    ]
}

/// A task for `module` with the walkthrough's checks.
fn task(number: u32, module: &str) -> String {
    format!(
        "- [ ] {number}. Type src/pantry/{module}\n  - Annotate every function\n  - _Requirements: 1.{number}_\n  - check: `mypy --strict --follow-imports=silent src/pantry/{module}`\n  - check: `python -m pytest -q`\n\n"
    )
}

const REQUIREMENTS: &str = "# Requirements Document\n\n## Introduction\n\nType the pantry package.\n\n## Requirements\n\n### Requirement 1\n\n**User Story:** As a maintainer, I want typed modules, so that mypy finds mistakes.\n\n#### Acceptance Criteria\n\n1. WHEN mypy --strict checks a module THE SYSTEM SHALL report no errors\n";

const DESIGN: &str = "# Design Document\n\n## Overview\n\nAnnotate units, then items, then recipes: each imports the one before.\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_spec_goes_from_prompt_to_three_ticked_tasks_with_an_approval_at_each_stage() {
    let env = pantry();
    let tasks = format!(
        "# Implementation Plan\n\n{}{}{}",
        task(1, "units.py"),
        task(2, "items.py"),
        task(3, "recipes.py")
    )
    .trim_end()
    .to_string()
        + "\n";
    let mut script = vec![
        Protocol::OpenAi.text(&format!("Here is the document:\n\n{REQUIREMENTS}")),
        Protocol::OpenAi.text(&format!("```markdown\n{DESIGN}```\n")),
        Protocol::OpenAi.text(&tasks),
    ];
    for module in ["units.py", "items.py", "recipes.py"] {
        script.extend(task_turns(module));
    }
    let server = ModelServer::start(script).await;

    let new = spec_ok(
        &env,
        &server,
        &["new", "typed-pantry", "type", "the", "pantry"],
        0,
    )
    .await;
    assert!(
        new["result"]
            .as_str()
            .unwrap()
            .contains("spec approve typed-pantry")
    );
    assert_eq!(env.read(&format!("{SPEC}/requirements.md")), REQUIREMENTS);
    assert!(!env.workspace.join(SPEC).join("design.md").exists());
    let first = server.requests()[0].body.to_string();
    assert!(
        first.contains("type the pantry") && first.contains("SHALL"),
        "{first}"
    );

    spec_ok(&env, &server, &["approve", "typed-pantry"], 0).await;
    assert_eq!(env.read(&format!("{SPEC}/design.md")), DESIGN);
    assert!(!env.workspace.join(SPEC).join("tasks.md").exists());

    spec_ok(&env, &server, &["approve", "typed-pantry"], 0).await;
    assert_eq!(env.read(&format!("{SPEC}/tasks.md")), tasks);
    let requests = server.requests().len();

    let approved = spec_ok(&env, &server, &["approve", "typed-pantry"], 0).await;
    assert!(
        approved["result"]
            .as_str()
            .unwrap()
            .contains("3 open task(s)"),
        "{approved:#}"
    );
    assert_eq!(
        server.requests().len(),
        requests,
        "the program ran the checks itself"
    );

    let run = spec_ok(&env, &server, &["run", "typed-pantry"], 0).await;
    let report = &run["spec"];
    assert_eq!(report["status"], "done", "{report:#}");
    let ticked: Vec<bool> = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticked"].as_bool().unwrap())
        .collect();
    assert_eq!(ticked, [true, true, true]);
    assert_eq!(
        report["tasks"][0]["goal"]["baseline"][0]["exit_code"], 1,
        "mypy failed first"
    );
    assert_eq!(
        report["tasks"][0]["goal"]["baseline"][1]["exit_code"], 0,
        "pytest is a guard"
    );
    let third = &report["tasks"][2]["earlier_checks"];
    let commands: Vec<&str> = third
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "mypy --strict --follow-imports=silent src/pantry/units.py",
            "mypy --strict --follow-imports=silent src/pantry/items.py"
        ],
        "earlier tasks' checks ran again, each once"
    );
    let written = env.read(&format!("{SPEC}/tasks.md"));
    assert_eq!(written.matches("- [x]").count(), 3, "{written}");
    assert_eq!(
        written.replace("- [x]", "- [ ]"),
        tasks,
        "only the boxes changed"
    );

    let status = spec_ok(&env, &server, &["status", "typed-pantry"], 0).await;
    let status = status["result"].as_str().unwrap();
    assert!(status.contains("tasks approved"), "{status}");
    assert!(
        status.contains("[x] 3 Type src/pantry/recipes.py")
            && status.contains(
                "check `mypy --strict --follow-imports=silent src/pantry/recipes.py`: exit 0"
            ),
        "{status}"
    );
}

/// A spec whose three documents are written and whose first two stages
/// are approved.
fn spec_with_tasks(env: &Env, tasks: &str) {
    env.write(&format!("{SPEC}/requirements.md"), REQUIREMENTS);
    env.write(&format!("{SPEC}/design.md"), DESIGN);
    env.write(&format!("{SPEC}/tasks.md"), tasks);
    env.write(
        &format!("{SPEC}/.agent-spec.json"),
        r#"{"approved": ["requirements", "design"]}"#,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_whose_checks_all_pass_before_any_work_is_refused() {
    let env = pantry();
    let tasks = format!(
        "# Implementation Plan\n\n{}- [ ] 2. Keep the tests green\n  - check: `python -m pytest -q`\n",
        task(1, "units.py")
    );
    spec_with_tasks(&env, &tasks);
    let server = ModelServer::start(vec![]).await;
    let (output, result) = spec(&env, &server, &["approve", "typed-pantry"]).await;
    assert_eq!(output.status.code(), Some(1));
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("task 2: every check already passes before any work")
            && !error.contains("task 1"),
        "{error}"
    );
    let state = env.read(&format!("{SPEC}/.agent-spec.json"));
    assert!(!state.contains("\"tasks\""), "not approved: {state}");
    let run = spec(&env, &server, &["run", "typed-pantry"]).await;
    assert_ne!(run.0.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_is_ticked_only_once_its_checks_pass() {
    let env = pantry();
    let tasks = format!("# Implementation Plan\n\n{}", task(1, "units.py"));
    spec_with_tasks(&env, &tasks);
    let untyped = std::fs::read_to_string(env.workspace.join("src/pantry/units.py")).unwrap();
    let half_typed = untyped.replacen("def ", "def _unused() -> None: ...\n\n\ndef ", 1);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: annotate units.py."),
        Protocol::OpenAi.tool_calls(&[(
            "w",
            "write",
            json!({"command": "create", "path": "src/pantry/units.py", "content": half_typed}),
        )]),
        Protocol::OpenAi.text("Done, I think."),
        Protocol::OpenAi.text("Plan: annotate units.py properly."),
        write_module("units.py", "pantry-typed"),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    spec_ok(&env, &server, &["approve", "typed-pantry"], 0).await;
    let failed = spec_ok(&env, &server, &["run", "typed-pantry", "--max", "1"], 4).await;
    assert_eq!(failed["spec"]["status"], "stopped", "{failed:#}");
    assert_eq!(failed["spec"]["tasks"][0]["goal"]["status"], "not_met");
    assert_eq!(env.read(&format!("{SPEC}/tasks.md")), tasks, "not ticked");

    let met = spec_ok(&env, &server, &["run", "typed-pantry", "1"], 0).await;
    assert_eq!(met["spec"]["tasks"][0]["ticked"], true, "{met:#}");
    assert!(
        env.read(&format!("{SPEC}/tasks.md"))
            .contains("- [x] 1. Type src/pantry/units.py")
    );
}

/// Kiro's own form: nested sub-tasks, requirement references, no checks.
const KIRO_TASKS: &str = "# Implementation Plan\n\n- [ ] 1. Type the foundations\n  - [ ] 1.1 Annotate units.py\n    - Every function and constant\n    - _Requirements: 1.1_\n  - [ ]* 1.2 Write property tests for conversions\n    - _Requirements: 1.1_\n\n## Notes\n\n- Tasks marked with `*` are optional\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_kiro_written_tasks_file_gets_its_checks_in_planning() {
    let env = pantry();
    spec_with_tasks(&env, KIRO_TASKS);
    let set_checks = |id: &str| {
        Protocol::OpenAi.tool_calls(&[(
            id,
            "set_checks",
            json!({"commands": ["mypy --strict --follow-imports=silent src/pantry/units.py", "python -m pytest -q"]}),
        )])
    };
    let mut script = vec![
        set_checks("c1"),
        Protocol::OpenAi.text("Those are the checks."),
    ];
    script.extend(task_turns("units.py"));
    let server = ModelServer::start(script).await;

    let approve = spec_ok(&env, &server, &["approve", "typed-pantry"], 0).await;
    assert!(
        approve["result"]
            .as_str()
            .unwrap()
            .contains("planned for task(s) 1.1"),
        "{approve:#}"
    );
    let planned = env.read(&format!("{SPEC}/tasks.md"));
    assert!(
        planned.contains(
            "    - _Requirements: 1.1_\n    - check: `mypy --strict --follow-imports=silent src/pantry/units.py`\n    - check: `python -m pytest -q`\n  - [ ]* 1.2"
        ),
        "{planned}"
    );
    let asked = server.requests()[0].body.to_string();
    assert!(asked.contains("task 1.1: Annotate units.py"), "{asked}");

    let run = spec_ok(&env, &server, &["run", "typed-pantry"], 0).await;
    assert_eq!(
        run["spec"]["tasks"].as_array().unwrap().len(),
        1,
        "the optional task is skipped"
    );
    let done = env.read(&format!("{SPEC}/tasks.md"));
    assert!(
        done.contains("- [x] 1. Type the foundations") && done.contains("- [x] 1.1 Annotate"),
        "the parent is ticked with its last required sub-task:\n{done}"
    );
    assert!(done.contains("- [ ]* 1.2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_commands_explain_their_mistakes() {
    let env = pantry();
    let server = ModelServer::start(vec![]).await;
    let (output, result) = spec(&env, &server, &["new", "../escape", "x"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("not a spec name")
    );
    let (output, result) = spec(&env, &server, &["run", "missing"]).await;
    assert_ne!(output.status.code(), Some(0));
    assert!(
        result["error"].as_str().unwrap().contains("no tasks.md"),
        "{result:#}"
    );
    spec_with_tasks(&env, "# Implementation Plan\n\nNothing yet.\n");
    let (output, result) = spec(&env, &server, &["approve", "typed-pantry"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        result["error"].as_str().unwrap().contains("has no task"),
        "{result:#}"
    );
    let (output, _) = spec(&env, &server, &["frobnicate"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("frobnicate"));
    assert!(server.requests().is_empty());
}

/// A `tasks.md` Kiro wrote for a real project (awslabs/osml-model-runner,
/// Apache-2.0; see tests/fixtures/README.md): 83 items in Kiro's flat
/// form, phases as headings, optional tasks, requirement references.
const KIRO_CORPUS: &str = "tests/fixtures/kiro-specs/capacity-based-throttling.tasks.md";

#[test]
fn a_real_kiro_tasks_file_is_read_and_changed_only_where_asked() {
    use agent::spec::tasks;
    let text = std::fs::read_to_string(repo().join(KIRO_CORPUS)).unwrap();
    let all = tasks::parse(&text);
    let boxes = text
        .lines()
        .filter(|l| l.trim_start().starts_with("- ["))
        .count();
    assert_eq!(all.len(), boxes, "every checkbox line is a task");
    for task in &all {
        assert!(!task.title.is_empty() && task.checks.is_empty(), "{task:?}");
        assert!(
            task.details.iter().all(|d| !d.starts_with('#')),
            "a heading never ends up among a task's details: {task:?}"
        );
    }
    let two = all.iter().find(|t| t.id == "2").unwrap();
    assert!(two.parent && !two.done, "2.1… belong to 2");
    let first = all.iter().find(|t| t.id == "1.1").unwrap();
    assert_eq!(
        first.requirements,
        ["5.1", "5.2", "5.3", "5.4", "5.5", "8.5"]
    );
    assert!(all.iter().any(|t| t.optional && t.id == "2.2"));

    let open = all
        .iter()
        .find(|t| t.runnable() && !t.done)
        .expect("an open task");
    assert!(
        all.iter()
            .filter(|t| t.runnable() && !t.done)
            .all(|t| t.optional),
        "every open task left in this file is optional; a run has nothing to do"
    );
    let ticked = tasks::tick(&text, &open.id);
    let changed: Vec<(&str, &str)> = text
        .lines()
        .zip(ticked.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert!(!changed.is_empty(), "task {} was ticked", open.id);
    for (before, after) in &changed {
        assert_eq!(
            before.replacen("- [ ]", "- [x]", 1),
            *after,
            "only a box changed"
        );
    }
    assert_eq!(text.lines().count(), ticked.lines().count());

    let with_check = tasks::add_checks(&text, &open.id, &["pytest -q test/x.py".to_string()]);
    let reread = tasks::parse(&with_check);
    assert_eq!(reread.len(), all.len());
    for (old, new) in all.iter().zip(&reread) {
        match old.id == open.id {
            true => assert_eq!(new.checks, ["pytest -q test/x.py"]),
            false => assert_eq!(
                (&old.id, &old.title, old.done, &old.details, &old.checks),
                (&new.id, &new.title, new.done, &new.details, &new.checks)
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_interactive_chat_planned_checks_wait_for_a_persons_approval() {
    let env = pantry();
    spec_with_tasks(&env, KIRO_TASKS);
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "c1",
            "set_checks",
            json!({"commands": ["mypy --strict --follow-imports=silent src/pantry/units.py"]}),
        )]),
        Protocol::OpenAi.text("Those are the checks."),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "refactor-bot"],
            &[
                "/spec run typed-pantry",
                "/spec status typed-pantry",
                "/quit",
            ],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("awaiting_approval") && stdout.contains("/spec approve typed-pantry"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tasks waiting for approval")
            && stdout.contains(
                "check `mypy --strict --follow-imports=silent src/pantry/units.py`: not run yet"
            ),
        "/spec status shows the planned check: {stdout}"
    );
    assert_eq!(
        server.requests().len(),
        2,
        "no task ran before the approval"
    );
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("src/pantry/units.py")).unwrap(),
        std::fs::read_to_string(repo().join("examples/pantry/src/pantry/units.py")).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readmes_pantry_spec_is_approved_stage_by_stage_and_its_first_task_runs() {
    let env = pantry();
    let server = ModelServer::start(task_turns("units.py")).await;
    let shipped = ".kiro/specs/typed-modules";
    let tasks = env.read(&format!("{shipped}/tasks.md"));
    let parsed = agent::spec::tasks::parse(&tasks);
    assert_eq!(parsed.len(), 5, "one task per module with functions");
    for (task, module) in parsed
        .iter()
        .zip(["units", "items", "recipes", "planner", "report"])
    {
        assert_eq!(
            task.checks,
            [
                format!("mypy --strict --follow-imports=silent src/pantry/{module}.py"),
                "python -m pytest -q".to_string()
            ]
        );
    }
    let first = spec_ok(&env, &server, &["approve", "typed-modules"], 0).await;
    assert!(
        first["result"]
            .as_str()
            .unwrap()
            .contains("design.md is next"),
        "{first:#}"
    );
    let second = spec_ok(&env, &server, &["approve", "typed-modules"], 0).await;
    assert!(
        second["result"]
            .as_str()
            .unwrap()
            .contains("tasks.md is next")
    );
    let third = spec_ok(&env, &server, &["approve", "typed-modules"], 0).await;
    assert!(
        third["result"].as_str().unwrap().contains("5 open task(s)"),
        "every module's check fails before any work: {third:#}"
    );
    assert!(server.requests().is_empty(), "approvals ask no model");
    let run = spec_ok(&env, &server, &["run", "typed-modules", "1"], 0).await;
    assert_eq!(run["spec"]["tasks"][0]["ticked"], true, "{run:#}");
    assert!(
        env.read(&format!("{shipped}/tasks.md"))
            .starts_with("# Implementation Plan\n\n- [x] 1. Type src/pantry/units.py\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_the_shell_policy_would_not_run_unasked_is_refused_before_anything_runs() {
    let env = pantry();
    let tasks = "# Implementation Plan\n\n- [ ] 1. Clean up\n  - check: `rm -rf src`\n  - check: `python -m pytest -q; curl -s http://127.0.0.1:9/x`\n";
    spec_with_tasks(&env, tasks);
    let server = ModelServer::start(vec![]).await;
    let (output, result) = spec(&env, &server, &["approve", "typed-pantry"]).await;
    assert_eq!(output.status.code(), Some(1));
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("check `rm -rf src`")
            && error.contains("check `python -m pytest -q; curl -s http://127.0.0.1:9/x`")
            && error.contains("allows unasked"),
        "both checks refused, the chained one included: {error}"
    );
    assert!(
        env.workspace.join("src/pantry/units.py").exists(),
        "nothing ran"
    );
    let state = env.read(&format!("{SPEC}/.agent-spec.json"));
    assert!(!state.contains("\"tasks\""), "not approved: {state}");
    let run = spec(&env, &server, &["run", "typed-pantry"]).await;
    assert_ne!(run.0.status.code(), Some(0), "the goal refuses them too");
    assert!(env.workspace.join("src/pantry/units.py").exists());
}
