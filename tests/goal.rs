//! The goal loop, headless, on the tutorial's example and the pantry
//! package, against the scripted model server: the program runs the checks
//! (real `python -m pytest` and `mypy`), and the status is its verdict, not
//! the model's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::{Output, Stdio};

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol, Scripted};
use support::{Env, repo};

/// Copies an example repository into the workspace.
fn copy_example(env: &Env, example: &str) {
    support::copy_tree(&repo().join("examples").join(example), &env.workspace);
}

/// A write of `path` with the content of a fixture file.
fn write_call(id: &str, path: &str, fixture: &str) -> (String, Value) {
    let content = std::fs::read_to_string(repo().join("tests/fixtures").join(fixture)).unwrap();
    (
        id.to_string(),
        json!({"command": "create", "path": path, "content": content}),
    )
}

fn writes(calls: &[(String, Value)]) -> Scripted {
    let calls: Vec<(&str, &str, Value)> = calls
        .iter()
        .map(|(id, input)| (id.as_str(), "write", input.clone()))
        .collect();
    Protocol::OpenAi.tool_calls(&calls)
}

/// Runs `agent chat --no-interactive --output-format json PROMPT`.
async fn goal(env: &Env, server: &ModelServer, prompt: &str, extra: &[&str]) -> (Output, Value) {
    let mut command = env.std_command(&env.workspace);
    command
        .args([
            "chat",
            "--no-interactive",
            "--agent",
            "refactor-bot",
            "--model",
            "openai/scripted",
            "--output-format",
            "json",
        ])
        .args(extra)
        .arg(prompt)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null);
    (output, result)
}

/// Runs the goal, checks its exit code, and returns its report.
async fn goal_report(
    env: &Env,
    server: &ModelServer,
    prompt: &str,
    extra: &[&str],
    code: i32,
) -> Value {
    let (output, result) = goal(env, server, prompt, extra).await;
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        failure_context(&output)
    );
    result["goal"].clone()
}

fn failure_context(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The tutorial's module with type hints: it passes `mypy --strict src`.
const TYPED: &str = "def add_item(items: dict[str, int], name: str, qty: int) -> dict[str, int]:\n    items[name] = items.get(name, 0) + qty\n    return items\n\n\ndef remove_item(items: dict[str, int], name: str, qty: int) -> dict[str, int]:\n    if items.get(name, 0) < qty:\n        raise ValueError(\"not enough stock\")\n    items[name] -= qty\n    return items\n\n\ndef total_units(items: dict[str, int]) -> int:\n    return sum(items.values())\n";

/// A write of the typed module.
fn typed_write(id: &str) -> (&str, &'static str, Value) {
    (
        id,
        "write",
        json!({"command": "create", "path": "src/inventory.py", "content": TYPED}),
    )
}

const PANTRY_MODULES: [&str; 6] = [
    "__init__.py",
    "units.py",
    "items.py",
    "recipes.py",
    "planner.py",
    "report.py",
];

const PANTRY_GOAL: &str = "/goal --max 3 --check 'python -m pytest -q' --check 'mypy --strict src' add type hints to every function";

#[tokio::test(flavor = "multi_thread")]
async fn a_mypy_error_left_by_the_first_iteration_is_fixed_by_the_second() {
    let env = Env::new();
    copy_example(&env, "pantry");
    let first_attempt: Vec<(String, Value)> = PANTRY_MODULES
        .iter()
        .enumerate()
        .map(|(i, module)| {
            let attempt = match *module {
                "planner.py" => "pantry-almost",
                _ => "pantry-typed",
            };
            write_call(
                &format!("w{i}"),
                &format!("src/pantry/{module}"),
                &format!("{attempt}/src/pantry/{module}"),
            )
        })
        .collect();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: annotate each module, then run the checks."),
        writes(&first_attempt),
        Protocol::OpenAi.text("Every module is typed."),
        writes(&[write_call(
            "fix",
            "src/pantry/planner.py",
            "pantry-typed/src/pantry/planner.py",
        )]),
        Protocol::OpenAi.text("Added the missing return type."),
    ])
    .await;
    let report = &goal_report(&env, &server, PANTRY_GOAL, &[], 0).await;
    assert_eq!(report["status"], "met", "{report:#}");
    assert_eq!(report["iterations_used"], 2);
    let first = &report["iterations"][0]["checks"];
    assert_eq!(first[0]["exit_code"], 0, "pytest passed already");
    assert_eq!(first[1]["exit_code"], 1);
    assert!(
        first[1]["output_tail"]
            .as_str()
            .unwrap()
            .contains("planner.py:40"),
        "{first:#}"
    );
    assert_eq!(report["iterations"][1]["checks"][1]["exit_code"], 0);
    assert_eq!(report["baseline_checkpoint"], "1");
    assert!(report["final_checkpoint"].is_string());
    assert!(report["changed_tests"].as_array().unwrap().is_empty());
    assert!(
        report["files_changed"].as_array().unwrap().len() >= 5,
        "{report:#}"
    );
    let requests = server.requests();
    let fourth = requests[3].body.to_string();
    assert!(
        fourth.contains("planner.py:40") && fourth.contains("Verification after iteration 1"),
        "the verification report went to the model"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_that_pass_only_after_a_test_changed_are_not_plainly_met() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let weakened_test = "from src.inventory import add_item, total_units\n\n\ndef test_flow() -> None:\n    inv: dict[str, int] = {}\n    add_item(inv, \"bolt\", 10)\n    assert total_units(inv) == 10\n";
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: type the module."),
        Protocol::OpenAi.tool_calls(&[
            (
                "a",
                "write",
                json!({"command": "create", "path": "src/inventory.py", "content": TYPED}),
            ),
            (
                "b",
                "write",
                json!({"command": "create", "path": "tests/test_inventory.py", "content": weakened_test}),
            ),
        ]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let report = &goal_report(
        &env,
        &server,
        "/goal --check 'python -m pytest -q' --check 'mypy --strict src' add type hints",
        &[],
        4,
    )
    .await;
    assert_eq!(report["status"], "met_with_changed_tests", "{report:#}");
    assert_eq!(report["changed_tests"], json!(["tests/test_inventory.py"]));
    assert!(
        report["changed_tests_diff"]
            .as_str()
            .unwrap()
            .contains("-    remove_item(inv, \"bolt\", 3)"),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goal_that_never_converges_ends_not_met_at_its_maximum() {
    let env = Env::new();
    copy_example(&env, "pantry");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: one module at a time."),
        writes(&[write_call(
            "u",
            "src/pantry/units.py",
            "pantry-typed/src/pantry/units.py",
        )]),
        Protocol::OpenAi.text("Typed units."),
        writes(&[write_call(
            "i",
            "src/pantry/items.py",
            "pantry-typed/src/pantry/items.py",
        )]),
        Protocol::OpenAi.text("Typed items."),
    ])
    .await;
    let report = &goal_report(
        &env,
        &server,
        "/goal --max 2 --check 'mypy --strict src' add type hints",
        &[],
        4,
    )
    .await;
    assert_eq!(report["status"], "not_met", "{report:#}");
    assert_eq!(report["iterations_used"], 2);
    assert_eq!(report["max_iterations"], 2);
    assert_eq!(server.requests().len(), 5, "no third iteration");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_the_policy_refuses_stops_the_goal_before_any_work() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let server = ModelServer::start(vec![Protocol::OpenAi.text("Plan: fetch and compare.")]).await;
    let report = &goal_report(&env, &server, "/goal --check 'python -m pytest -q' --check 'curl -s http://127.0.0.1:9/health' keep it healthy", &[], 4).await;
    assert_eq!(report["status"], "error");
    assert_eq!(report["iterations_used"], 0);
    let refused = report["refused"].to_string();
    assert!(
        refused.contains("curl -s http://127.0.0.1:9/health") && refused.contains("curl.*"),
        "{refused}"
    );
    assert_eq!(server.requests().len(), 1, "only the plan was asked for");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_states_checks_while_planning_and_the_program_runs_them() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "s",
            "set_checks",
            json!({"commands": ["python -m pytest -q", "mypy --strict src"]}),
        )]),
        Protocol::OpenAi.text("Plan: annotate the module."),
        Protocol::OpenAi.tool_calls(&[typed_write("w")]),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let report = &goal_report(&env, &server, "/goal add type hints", &[], 0).await;
    assert_eq!(report["status"], "met", "{report:#}");
    assert_eq!(
        report["checks"],
        json!(["python -m pytest -q", "mypy --strict src"])
    );
    let plan_tools: Vec<String> = server.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(plan_tools.contains(&"set_checks".to_string()));
    assert!(
        !plan_tools.contains(&"write".to_string()),
        "planning offers read-only tools: {plan_tools:?}"
    );
    let work_tools = server.requests()[2].body["tools"].to_string();
    assert!(!work_tools.contains("set_checks"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_checks_a_goal_is_unverified_and_an_idle_one_stalls() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: look around."),
        Protocol::OpenAi.text("I think it is done."),
    ])
    .await;
    let (output, result) = goal(&env, &server, "/goal make it better", &[]).await;
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        failure_context(&output)
    );
    assert_eq!(result["goal"]["status"], "unverified");
    assert_eq!(
        result["goal"]["iterations_used"], 0,
        "no work without checks"
    );
    assert!(
        server.requests()[1]
            .body
            .to_string()
            .contains("You stated no acceptance checks"),
        "planning was asked once more for checks"
    );

    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan."),
        Protocol::OpenAi.text("Thinking."),
        Protocol::OpenAi.text("Still thinking."),
        Protocol::OpenAi.text("Never reached."),
    ])
    .await;
    let (output, result) = goal(
        &env,
        &server,
        "/goal --max 5 --check 'python -c \"import sys; sys.exit(3)\"' fix the exit code",
        &[],
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        failure_context(&output)
    );
    assert_eq!(result["goal"]["status"], "stalled", "{:#}", result["goal"]);
    assert_eq!(result["goal"]["iterations_used"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn protected_paths_cannot_be_written_by_the_tool_nor_by_a_script() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let test_file = env.workspace.join("tests/test_inventory.py");
    let original = std::fs::read_to_string(&test_file).unwrap();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan."),
        Protocol::OpenAi.tool_calls(&[
            (
                "w",
                "write",
                json!({"command": "create", "path": "tests/test_inventory.py", "content": "def test_flow(): pass\n"}),
            ),
            (
                "s",
                "shell",
                json!({"command": "python -c \"open('tests/test_inventory.py', 'a').write('# sneaked in')\""}),
            ),
            (
                "r",
                "shell",
                json!({"command": "echo x > tests/new_test.py"}),
            ),
            typed_write("t"),
        ]),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let (output, result) = goal(
        &env,
        &server,
        "/goal --protect tests/** --check 'python -m pytest -q' --check 'mypy --strict src' add type hints",
        &[],
    )
    .await;
    let report = &result["goal"];
    assert_eq!(
        std::fs::read_to_string(&test_file).unwrap(),
        original,
        "{}",
        failure_context(&output)
    );
    assert!(!env.workspace.join("tests/new_test.py").exists());
    let refused = report["refused"].to_string();
    assert!(
        refused.contains("protected for the goal (`--protect tests/**`)"),
        "the write tool and the redirection were denied: {refused}"
    );
    assert!(
        refused.contains("put back from the baseline"),
        "the script's change was put back: {refused}"
    );
    assert_eq!(report["status"], "met", "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_appended_to_the_steer_file_reach_the_model_at_the_next_tool_boundary() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let steer = env.workspace.join("../steer.txt");
    std::fs::write(&steer, "").unwrap();
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[(
            "slow",
            "shell",
            json!({"command": "python -c \"import time; time.sleep(3)\""}),
        )]),
        Protocol::OpenAi.text("Understood."),
    ])
    .await;
    let steering = {
        let steer = steer.clone();
        let requests = server.request_count();
        tokio::spawn(async move {
            while requests() == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(steer)
                .unwrap();
            writeln!(file, "also keep the docstrings").unwrap();
        })
    };
    let (output, _) = goal(
        &env,
        &server,
        "wait a moment",
        &["--steer-file", steer.to_str().unwrap()],
    )
    .await;
    steering.await.unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        failure_context(&output)
    );
    let second = server.requests()[1].body.to_string();
    assert!(second.contains("also keep the docstrings"), "{second}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goal_whose_checks_all_pass_at_baseline_is_unverified_never_met() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: annotate the module."),
        Protocol::OpenAi.text("The test suite is the right check."),
    ])
    .await;
    let report = &goal_report(
        &env,
        &server,
        "/goal --check 'python -m pytest -q' --check 'mypy src' add type hints",
        &[],
        4,
    )
    .await;
    assert_eq!(report["status"], "unverified", "{report:#}");
    assert!(
        report["summary"].as_str().unwrap().contains("baseline"),
        "{report:#}"
    );
    assert_eq!(report["iterations_used"], 0, "no work started");
    let baseline = report["baseline"].as_array().unwrap();
    assert_eq!(baseline.len(), 2);
    assert!(baseline.iter().all(|check| check["exit_code"] == 0));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one extra planning turn, no iteration");
    let asked = requests[1].body.to_string();
    assert!(
        asked.contains("already passes now") && asked.contains("set_checks"),
        "{asked}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_added_because_all_passed_must_fail_first_and_then_the_goal_is_met() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan: annotate the module."),
        Protocol::OpenAi.tool_calls(&[(
            "s",
            "set_checks",
            json!({"commands": ["mypy --strict src"]}),
        )]),
        Protocol::OpenAi.text("mypy --strict fails on untyped functions."),
        Protocol::OpenAi.tool_calls(&[typed_write("w")]),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let report = &goal_report(
        &env,
        &server,
        "/goal --check 'python -m pytest -q' --check 'mypy src' add type hints",
        &[],
        0,
    )
    .await;
    assert_eq!(report["status"], "met", "{report:#}");
    assert_eq!(
        report["checks"],
        json!(["python -m pytest -q", "mypy src", "mypy --strict src"])
    );
    let baseline = &report["baseline"];
    assert_eq!(baseline[0]["exit_code"], 0, "{baseline:#}");
    assert_eq!(baseline[2]["command"], "mypy --strict src");
    assert_eq!(baseline[2]["exit_code"], 1, "the added check failed first");
    assert_eq!(report["iterations"][0]["checks"][2]["exit_code"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_becomes_the_todo_list_the_model_ticks_off() {
    let env = Env::new();
    copy_example(&env, "kiro-autorun");
    let agent = env.read(".kiro/agents/refactor-bot.json");
    let mut agent: Value = serde_json::from_str(&agent).unwrap();
    agent["tools"]
        .as_array_mut()
        .unwrap()
        .push(json!("todo_list"));
    env.write(".kiro/agents/refactor-bot.json", &agent.to_string());
    let server = ModelServer::start(vec![
        Protocol::OpenAi.text("Plan:\n- Type add_item and remove_item\n- Type total_units\n"),
        Protocol::OpenAi.tool_calls(&[
            typed_write("w"),
            (
                "t",
                "todo_list",
                json!({"command": "complete", "current_id": "1", "completed_indices": [0, 1]}),
            ),
        ]),
        Protocol::OpenAi.text("Typed."),
    ])
    .await;
    let goal = "/goal --check 'python -m pytest -q' --check 'mypy --strict src' add type hints";
    let report = &goal_report(&env, &server, goal, &[], 0).await;
    assert_eq!(report["status"], "met", "{report:#}");
    let implement = server.requests()[1].body.to_string();
    assert!(
        implement.contains("Your plan is now todo list 1")
            && implement.contains("[ ] Type add_item and remove_item")
            && implement.contains("[ ] Type total_units"),
        "{implement}"
    );
    let ticked = server.requests()[2].body.to_string();
    assert!(ticked.contains("[x] Type total_units"), "{ticked}");
}
