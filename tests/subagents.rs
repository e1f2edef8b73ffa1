//! Sub-agents against the scripted model server: a parent's `subagent`
//! call runs children whose requests get their own replies (`when`), and
//! no child gets more permission than its parent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::model_server::{ModelServer, Protocol, Scripted};
use support::{Env, stream_events};

const AI: Protocol = Protocol::OpenAi;

/// The parent `bot`: read, write, a shell that may never `rm`, and
/// sub-agents `writer`, `reader`, `sneaky`, `cleaner`, `sleeper` (and
/// `hooked`, `noter` and `nester`, which their tests write), trusted.
fn env() -> Env {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["read", "write", "shell", "subagent"],
            "allowedTools": ["read", "write"],
            "toolsSettings": {
                "shell": {"allowedCommands": ["ls.*", "sleep 32.3"], "deniedCommands": ["rm .*"]},
                "subagent": {"availableAgents": ["writer", "reader", "sneaky", "cleaner", "sleeper",
                                                 "hooked", "noter", "nester"],
                             "trustedAgents": ["*"]}
            }
        })
        .to_string(),
    );
    let child = |name: &str, body: Value| {
        let mut body = body;
        body["name"] = json!(name);
        env.write(&format!(".kiro/agents/{name}.json"), &body.to_string());
    };
    child(
        "writer",
        json!({"tools": ["write"], "allowedTools": ["write"]}),
    );
    child(
        "reader",
        json!({"tools": ["read"], "allowedTools": ["read"]}),
    );
    child(
        "sneaky",
        json!({"tools": ["read", "grep"], "allowedTools": ["read", "grep"]}),
    );
    child(
        "sleeper",
        json!({"tools": ["shell"], "allowedTools": ["shell"],
               "toolsSettings": {"shell": {"allowedCommands": ["sleep .*"]}}}),
    );
    child(
        "cleaner",
        json!({"tools": ["shell"], "allowedTools": ["shell"],
               "toolsSettings": {"shell": {"allowedCommands": ["rm .*"]}}}),
    );
    env
}

fn invoke(tasks: &[(&str, &str)]) -> Value {
    let subagents: Vec<Value> = tasks
        .iter()
        .map(|(agent, query)| json!({"query": query, "agent_name": agent}))
        .collect();
    json!({"command": "InvokeSubagents", "content": {"subagents": subagents}})
}

fn write(path: &str, content: &str) -> Value {
    json!({"command": "create", "path": path, "content": content})
}

/// The parent's call of `tasks`, then its final answer; each child's one
/// call (`child_calls`: needle, tool, input), then its answer.
fn script(tasks: &[(&str, &str)], child_calls: &[(&str, &str, Value)]) -> Vec<Scripted> {
    let mut script = vec![
        AI.tool_calls(&[("p1", "use_subagent", invoke(tasks))])
            .when("LEAD"),
    ];
    for (needle, tool, input) in child_calls {
        script.push(AI.tool_calls(&[("c1", tool, input.clone())]).when(needle));
        script.push(AI.text(&format!("{needle} finished")).when(needle));
    }
    script.push(AI.text("all done").when("LEAD"));
    script
}

async fn run(env: &Env, server: &ModelServer) -> (Vec<Value>, Value) {
    run_with(env, server, &[]).await
}

async fn run_with(env: &Env, server: &ModelServer, args: &[&str]) -> (Vec<Value>, Value) {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["LEAD: split the job"])
        .collect();
    let output = env.chat_stream(&server.url, &args).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = stream_events(&output);
    let result = events.last().cloned().unwrap();
    (events, result)
}

/// The summaries the parent model was sent after its `subagent` call.
fn summaries(server: &ModelServer) -> Vec<Value> {
    let requests = server.requests();
    let last = requests
        .iter()
        .rev()
        .find(|r| r.body.to_string().contains("LEAD"))
        .unwrap();
    let messages = last.body["messages"].as_array().unwrap();
    let result = messages.iter().rev().find(|m| m["role"] == "tool").unwrap();
    let text = result["content"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    parsed["summaries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_children_write_different_files_and_both_land() {
    let env = env();
    let tasks = [
        ("writer", "CHILD-A write a.txt"),
        ("writer", "CHILD-B write b.txt"),
    ];
    let calls = [
        ("CHILD-A", "write", write("a.txt", "from a\n")),
        ("CHILD-B", "write", write("b.txt", "from b\n")),
    ];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let (events, result) = run(&env, &server).await;
    assert_eq!(env.read("a.txt"), "from a\n");
    assert_eq!(env.read("b.txt"), "from b\n");
    let summaries = summaries(&server);
    assert_eq!(summaries.len(), 2);
    for summary in &summaries {
        assert_eq!(summary["status"], "completed", "{summary}");
    }
    assert_eq!(summaries[0]["changed_files"], json!(["a.txt"]));
    let starts = events.iter().filter(|e| e["type"] == "child_start").count();
    assert_eq!(starts, 2);
    let child_call = events
        .iter()
        .find(|e| e["type"] == "child" && e["event"]["type"] == "tool_call")
        .unwrap();
    assert_eq!(child_call["child"], "p1/task-1");
    assert_eq!(result["children"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_cannot_use_a_tool_its_parent_lacks() {
    let env = env();
    env.write("notes.md", "secret plans\n");
    let tasks = [("sneaky", "CHILD-S search the notes")];
    let calls = [("CHILD-S", "grep", json!({"pattern": "plans"}))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run(&env, &server).await;
    let summary = &summaries(&server)[0];
    let refusal = &summary["refusals"][0];
    assert_eq!(refusal["tool"], "grep");
    let reasons = refusal["reasons"].to_string();
    assert!(
        reasons.contains("parent agent `bot`: `grep` is not one of this agent's `tools`"),
        "{reasons}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_allowing_rm_under_a_parent_denying_it_is_refused() {
    let env = env();
    env.write("keep.txt", "keep me\n");
    let tasks = [("cleaner", "CHILD-C clean up")];
    let calls = [("CHILD-C", "shell", json!({"command": "rm -f keep.txt"}))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let log = env.home.join("audit.jsonl");
    run_with(&env, &server, &["--audit-log", log.to_str().unwrap()]).await;
    assert_eq!(env.read("keep.txt"), "keep me\n");
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rm = records.iter().find(|r| r["tool"] == "shell").unwrap();
    assert_eq!(rm["child"], "p1/task-1", "the audit record names the child");
    assert_eq!(rm["decision"], "deny");
    let call = records.iter().find(|r| r["tool"] == "subagent").unwrap();
    assert_eq!(call["child"], Value::Null);
    let summary = &summaries(&server)[0];
    let reasons = summary["refusals"][0]["reasons"].to_string();
    assert!(reasons.contains("deny: parent agent `bot`: "), "{reasons}");
    assert!(
        reasons.contains("rm .*"),
        "the parent's rule is cited: {reasons}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_not_available_does_not_start() {
    let env = env();
    env.write(
        ".kiro/agents/other.json",
        r#"{"name": "other", "tools": ["write"]}"#,
    );
    let tasks = [("other", "CHILD-O anything")];
    let server = ModelServer::start(script(&tasks, &[])).await;
    let (events, _) = run(&env, &server).await;
    let call = events.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!(call["decision"], "deny");
    assert_eq!(server.requests().len(), 2, "the parent's two requests only");
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_undoes_a_childs_work() {
    let env = env();
    env.write("a.txt", "before\n");
    let tasks = [("writer", "CHILD-A rewrite a.txt")];
    let calls = [("CHILD-A", "write", write("a.txt", "after\n"))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run(&env, &server).await;
    assert_eq!(env.read("a.txt"), "after\n");
    let restored = env
        .agent()
        .args(["checkpoint", "restore", "1"])
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(env.read("a.txt"), "before\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn rewind_with_files_undoes_a_childs_work_in_the_turn() {
    let env = env();
    env.write("a.txt", "before\n");
    let tasks = [("writer", "CHILD-A rewrite a.txt")];
    let calls = [("CHILD-A", "write", write("a.txt", "after\n"))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let output = env
        .chat_lines(
            &server.url,
            &["--agent", "bot"],
            &["LEAD: split the job", "/rewind --files", "/quit"],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("rewound to turn"), "{stdout}");
    assert_eq!(env.read("a.txt"), "before\n", "{stdout}");
}

fn git(env: &Env, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(&env.workspace)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// [`env`] in a real git repository with one commit.
fn git_env() -> Env {
    let env = env();
    std::fs::remove_dir_all(env.workspace.join(".git")).unwrap();
    env.write("shared.txt", "original\n");
    git(&env, &["init", "-q"]);
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "start"]);
    env
}

/// Every ref and object file of the repository, and its worktree entries.
fn git_state(env: &Env) -> Vec<String> {
    let dot_git = env.workspace.join(".git");
    let mut found = Vec::new();
    for folder in ["refs", "objects", "worktrees"] {
        let mut stack = vec![dot_git.join(folder)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                match path.is_dir() {
                    true => stack.push(path),
                    false => found.push(path.strip_prefix(&dot_git).unwrap().display().to_string()),
                }
            }
        }
    }
    if dot_git.join("packed-refs").exists() {
        found.push("packed-refs".into());
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn writers_in_git_get_their_own_worktrees_and_leave_no_trace() {
    let env = git_env();
    let before = git_state(&env);
    let tasks = [
        ("writer", "CHILD-A write a.txt"),
        ("writer", "CHILD-B write b.txt"),
    ];
    let calls = [
        ("CHILD-A", "write", write("a.txt", "from a\n")),
        ("CHILD-B", "write", write("b.txt", "from b\n")),
    ];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let started = std::time::Instant::now();
    let (events, _) = run(&env, &server).await;
    eprintln!(
        "two worktree children, spawned and applied: {:?}",
        started.elapsed()
    );
    assert_eq!(env.read("a.txt"), "from a\n");
    assert_eq!(env.read("b.txt"), "from b\n");
    let trees = env.agent_home.join("data-worktrees");
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "child_start")
        .collect();
    assert_eq!(starts.len(), 2);
    for start in &starts {
        let tree = start["worktree"].as_str().unwrap();
        assert!(tree.starts_with(trees.to_str().unwrap()), "{tree}");
        assert!(!std::path::Path::new(tree).exists(), "removed: {tree}");
    }
    let applied: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_call" && e["tool"] == "write")
        .collect();
    assert_eq!(
        applied.len(),
        2,
        "each change comes back as the parent's write"
    );
    assert_eq!(applied[0]["id"], "p1/task-1/apply-1");
    assert_eq!(
        git_state(&env),
        before,
        "no ref, object or worktree entry is left"
    );
    assert_eq!(git(&env, &["worktree", "list"]).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_children_changing_one_file_is_a_conflict_reported_to_the_parent() {
    let env = git_env();
    let tasks = [
        ("writer", "CHILD-A edit shared"),
        ("writer", "CHILD-B edit shared"),
    ];
    let calls = [
        ("CHILD-A", "write", write("shared.txt", "from a\n")),
        ("CHILD-B", "write", write("shared.txt", "from b\n")),
    ];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run(&env, &server).await;
    assert_eq!(
        env.read("shared.txt"),
        "from a\n",
        "the first child's change lands"
    );
    let summaries = summaries(&server);
    assert_eq!(summaries[0]["not_applied"], Value::Null);
    let conflict = &summaries[1]["not_applied"][0];
    assert_eq!(conflict["path"], "shared.txt");
    assert!(
        conflict["why"].as_str().unwrap().starts_with("conflict"),
        "{conflict}"
    );
    assert_eq!(git(&env, &["worktree", "list"]).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn crew_stages_run_in_dependency_order() {
    let env = env();
    let crew = json!({"task": "the notes", "mode": "blocking", "stages": [
        {"name": "review", "role": "reader", "prompt_template": "CHILD-R review {task}", "depends_on": ["draft"],
         "model": "openai/reviewer-model"},
        {"name": "draft", "role": "writer", "prompt_template": "CHILD-W draft {task}"}]});
    let script = vec![
        AI.tool_calls(&[("p1", "crew", crew)]).when("LEAD"),
        AI.tool_calls(&[("c1", "write", write("notes.md", "draft\n"))])
            .when("CHILD-W"),
        AI.text("CHILD-W finished").when("CHILD-W"),
        AI.text("looks good").when("CHILD-R"),
        AI.text("all done").when("LEAD"),
    ];
    let server = ModelServer::start(script).await;
    run(&env, &server).await;
    assert_eq!(env.read("notes.md"), "draft\n");
    let requests = server.requests();
    let review = requests
        .iter()
        .position(|r| r.body.to_string().contains("CHILD-R review the notes"))
        .unwrap();
    let drafted = requests
        .iter()
        .rposition(|r| r.body.to_string().contains("CHILD-W draft the notes"))
        .unwrap();
    assert!(drafted < review, "the review starts after the draft ended");
    assert_eq!(
        requests[review].body["model"], "reviewer-model",
        "a stage's `model` is the one its child asks"
    );
    assert_eq!(requests[drafted].body["model"], "scripted");
    let prompt = requests[review].body.to_string();
    assert!(
        prompt.contains("CHILD-W finished"),
        "the draft's answer reaches the review"
    );
    let summaries = summaries(&server);
    assert_eq!(summaries[0]["task"], "draft");
    assert_eq!(summaries[1]["task"], "review");
}

#[test]
fn worktree_clean_removes_what_a_killed_run_left() {
    let env = git_env();
    let before = git_state(&env);
    let leftover = env.agent_home.join("data-worktrees/key/p1-task-1-1");
    std::fs::create_dir_all(leftover.parent().unwrap()).unwrap();
    git(
        &env,
        &[
            "worktree",
            "add",
            "--detach",
            "-q",
            leftover.to_str().unwrap(),
            "HEAD",
        ],
    );
    let listed = env.agent().args(["worktree", "list"]).output().unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.trim_end().ends_with("p1-task-1-1"), "{listed}");
    let cleaned = env.agent().args(["worktree", "clean"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&cleaned.stdout),
        "removed 1 worktree(s)\n"
    );
    assert!(!leftover.exists());
    assert_eq!(git_state(&env), before);
    let again = env.agent().args(["worktree", "list"]).output().unwrap();
    assert!(again.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_children_and_their_commands() {
    let env = env();
    let tasks = [("sleeper", "CHILD-Z wait")];
    let calls = [("CHILD-Z", "shell", json!({"command": "sleep 32.3"}))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let mut command = env.std_command(&env.workspace);
    command
        .args([
            "chat",
            "--no-interactive",
            "--agent",
            "bot",
            "--model",
            "openai/scripted",
        ])
        .arg("LEAD: wait")
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    let requests = server.request_count();
    while requests() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pid = child.id().to_string();
    let running = std::process::Command::new("pgrep")
        .args(["-f", "sleep 32.3"])
        .output()
        .unwrap();
    assert!(!running.stdout.is_empty(), "the child's command runs");
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let survivors = std::process::Command::new("pgrep")
        .args(["-f", "sleep 32.3"])
        .output()
        .unwrap();
    assert!(
        survivors.stdout.is_empty(),
        "the child's command was killed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_worktree_runs_the_session_in_its_own_worktree() {
    let env = git_env();
    let before = git_state(&env);
    let server = ModelServer::start(vec![
        AI.tool_calls(&[("w1", "write", write("a.txt", "in the worktree\n"))]),
        AI.text("done"),
    ])
    .await;
    let output = env
        .chat_headless(&server.url, &["--worktree", "w1", "write a.txt"])
        .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !env.workspace.join("a.txt").exists(),
        "the workspace is untouched"
    );
    let listed = env.agent().args(["worktree", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).trim().to_string();
    assert!(listed.ends_with("/w1"), "{listed}");
    let tree = std::path::PathBuf::from(&listed);
    assert_eq!(
        std::fs::read_to_string(tree.join("a.txt")).unwrap(),
        "in the worktree\n"
    );
    env.agent().args(["worktree", "clean"]).assert().success();
    assert!(!tree.exists());
    assert_eq!(git_state(&env), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegated_agent_works_in_the_background_and_its_changes_land_on_status() {
    let env = git_env();
    with_delegate(&env);
    let launch = json!({"operation": "launch", "agent": "writer", "task": "CHILD-D write d.txt"});
    // The parent's next reply comes slowly: the child finishes meanwhile.
    let mut status = AI
        .tool_calls(&[("p2", "delegate", json!({"operation": "status"}))])
        .when("LEAD");
    status.chunk_delay = std::time::Duration::from_millis(1000);
    let server = ModelServer::start(vec![
        AI.tool_calls(&[("p1", "delegate", launch)]).when("LEAD"),
        status,
        AI.text("all done").when("LEAD"),
        AI.tool_calls(&[("c1", "write", write("d.txt", "from d\n"))])
            .when("CHILD-D"),
        AI.text("CHILD-D finished").when("CHILD-D"),
    ])
    .await;
    let (events, _) = run(&env, &server).await;
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_result" && e["id"].as_str().is_some_and(|id| id.len() == 2))
        .collect();
    assert!(
        results[0]["output"]
            .as_str()
            .unwrap()
            .contains("started in the background"),
        "the launch returns at once: {results:?}"
    );
    let status = results[1]["output"].as_str().unwrap();
    assert!(
        status.contains("\"status\":\"completed\"") && status.contains("d.txt"),
        "{status}"
    );
    assert_eq!(env.read("d.txt"), "from d\n", "its change came back");
    let applied = events
        .iter()
        .find(|e| e["type"] == "tool_call" && e["tool"] == "write")
        .unwrap();
    assert_eq!(applied["id"], "p1/delegate-writer/apply-1");
    assert_eq!(git(&env, &["worktree", "list"]).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_not_available_is_never_delegated_to() {
    let env = env();
    with_delegate(&env);
    let launch = json!({"operation": "launch", "agent": "stranger", "task": "do it"});
    let server = ModelServer::start(vec![
        AI.tool_calls(&[("p1", "delegate", launch)]).when("LEAD"),
        AI.text("all done").when("LEAD"),
    ])
    .await;
    let (events, _) = run(&env, &server).await;
    let result = events.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result["is_error"], true, "{result}");
    assert!(
        result["output"]
            .as_str()
            .unwrap()
            .contains("availableAgents"),
        "{result}"
    );
    assert!(!events.iter().any(|e| e["type"] == "child_start"));
}

/// The pantry example in a git repository, its agent able to start
/// `typist` children that may write only `src/**`.
fn pantry_env() -> Env {
    let env = Env::new();
    std::fs::remove_dir_all(env.workspace.join(".git")).unwrap();
    support::copy_tree(&support::repo().join("examples/pantry"), &env.workspace);
    let bot = env.read(".kiro/agents/refactor-bot.json");
    let mut bot: Value = serde_json::from_str(&bot).unwrap();
    bot["tools"].as_array_mut().unwrap().push(json!("subagent"));
    bot["toolsSettings"]["subagent"] =
        json!({"availableAgents": ["typist"], "trustedAgents": ["typist"]});
    env.write(".kiro/agents/refactor-bot.json", &bot.to_string());
    env.write(
        ".kiro/agents/typist.json",
        &json!({"name": "typist", "tools": ["read", "write"], "allowedTools": ["read", "write"],
                "toolsSettings": {"write": {"allowedPaths": ["src/**"]}}})
        .to_string(),
    );
    git(&env, &["init", "-q"]);
    git(&env, &["add", "-A"]);
    git(&env, &["commit", "-qm", "pantry"]);
    env
}

/// One child's reply: the typed version of each of `modules`.
fn typed_modules(needle: &str, modules: &[&str]) -> Scripted {
    let calls: Vec<(String, Value)> = modules
        .iter()
        .map(|module| {
            let fixture = support::repo()
                .join("tests/fixtures/pantry-typed/src/pantry")
                .join(module);
            let content = std::fs::read_to_string(fixture).unwrap();
            (
                format!("w-{module}"),
                write(&format!("src/pantry/{module}"), &content),
            )
        })
        .collect();
    let calls: Vec<(&str, &str, Value)> = calls
        .iter()
        .map(|(id, input)| (id.as_str(), "write", input.clone()))
        .collect();
    AI.tool_calls(&calls).when(needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_children_type_the_pantry_and_the_goal_checks_pass() {
    if !support::python3_available() {
        return;
    }
    let env = pantry_env();
    let goal = "You are starting a goal";
    let split = invoke(&[
        (
            "typist",
            "CHILD-A type src/pantry/units.py, items.py and recipes.py",
        ),
        ("typist", "CHILD-B type src/pantry/planner.py and report.py"),
    ]);
    let server = ModelServer::start(vec![
        AI.text("Plan:\n- one child types the first three modules\n- another the rest")
            .when(goal),
        AI.tool_calls(&[("p1", "subagent", split)]).when(goal),
        AI.text("Both halves are typed.").when(goal),
        typed_modules("CHILD-A", &["units.py", "items.py", "recipes.py"]),
        AI.text("CHILD-A finished").when("CHILD-A"),
        typed_modules("CHILD-B", &["planner.py", "report.py"]),
        AI.text("CHILD-B finished").when("CHILD-B"),
    ])
    .await;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--no-interactive", "--agent", "refactor-bot"])
        .args(["--model", "openai/scripted", "--output-format", "stream-json"])
        .arg("/goal --max 2 --check 'python -m pytest -q' --check 'mypy --strict src' add type hints to every function")
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .stdin(std::process::Stdio::null());
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    let events = stream_events(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = events.iter().rev().find_map(|e| e.get("goal")).unwrap();
    assert_eq!(report["status"], "met", "{report:#}");
    let last = &report["iterations"][0]["checks"];
    assert_eq!(last[1]["exit_code"], 0, "mypy --strict passes: {last:#}");
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "child_start")
        .collect();
    assert_eq!(starts.len(), 2);
    assert!(
        starts.iter().all(|s| s["worktree"].is_string()),
        "parallel writers get worktrees"
    );
    let applied = events
        .iter()
        .filter(|e| {
            e["type"] == "tool_call"
                && e["tool"] == "write"
                && e["id"].as_str().is_some_and(|id| id.contains("/apply-"))
        })
        .count();
    assert_eq!(
        applied, 5,
        "each typed module comes back as the parent's write"
    );
    eprintln!("pantry goal with two children, end to end: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_childs_summary_call_is_its_answer_to_the_parent() {
    let env = env();
    let mut bot: Value = serde_json::from_str(&env.read(".kiro/agents/bot.json")).unwrap();
    bot["tools"].as_array_mut().unwrap().push(json!("summary"));
    env.write(".kiro/agents/bot.json", &bot.to_string());
    env.write(
        ".kiro/agents/reporter.json",
        &json!({"name": "reporter", "tools": ["read", "summary"]}).to_string(),
    );
    bot["toolsSettings"]["subagent"]["availableAgents"] = json!(["reporter"]);
    env.write(".kiro/agents/bot.json", &bot.to_string());
    let handed = json!({"taskDescription": "count jars", "taskResult": "SEVEN JARS",
                        "contextSummary": "from restock.md"});
    let server = ModelServer::start(script(
        &[("reporter", "CHILD-S count the jars")],
        &[("CHILD-S", "summary", handed)],
    ))
    .await;
    run(&env, &server).await;
    let summaries = summaries(&server);
    assert_eq!(
        summaries[0]["answer"], "SEVEN JARS\n\nContext: from restock.md",
        "{summaries:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parents_session_trust_reaches_children_only_when_the_user_says_so() {
    for inherit in [false, true] {
        let env = env();
        // A parent whose shell has no fence: what it allows depends on trust.
        env.write(
            ".kiro/agents/bot.json",
            &json!({"name": "bot", "tools": ["shell", "subagent"],
                    "toolsSettings": {"subagent": {"availableAgents": ["sleeper"], "trustedAgents": ["*"]}}})
            .to_string(),
        );
        if inherit {
            let set = env
                .agent()
                .args(["settings", "subagent.inheritTrust", "true"])
                .output()
                .unwrap();
            assert!(set.status.success(), "{set:?}");
        }
        let tasks = [("sleeper", "CHILD-T sleep a moment")];
        let calls = [("CHILD-T", "shell", json!({"command": "sleep 0.1"}))];
        let server = ModelServer::start(script(&tasks, &calls)).await;
        run_with(&env, &server, &["--trust-tools", "shell"]).await;
        let summaries = summaries(&server);
        let refusals = summaries[0]["refusals"].as_array().unwrap().len();
        assert_eq!(
            refusals,
            usize::from(!inherit),
            "inherit {inherit}: {summaries:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_that_writes_is_not_delegated_outside_git() {
    let env = env();
    with_delegate(&env);
    let launch = json!({"operation": "launch", "agent": "writer", "task": "CHILD-D write d.txt"});
    let server = ModelServer::start(vec![
        AI.tool_calls(&[("p1", "delegate", launch)]).when("LEAD"),
        AI.text("all done").when("LEAD"),
        AI.tool_calls(&[("c1", "write", write("d.txt", "from d\n"))])
            .when("CHILD-D"),
    ])
    .await;
    let (events, _) = run(&env, &server).await;
    let result = events.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result["is_error"], true, "{result}");
    assert!(
        result["output"]
            .as_str()
            .unwrap()
            .contains("outside a git repository"),
        "{result}"
    );
    assert!(!events.iter().any(|e| e["type"] == "child_start"));
    assert!(
        !env.workspace.join("d.txt").exists(),
        "no child wrote beside the session"
    );
    assert_eq!(server.requests().len(), 2, "no child asked the model");
}

/// Gives the parent `bot` the `delegate` tool too.
fn with_delegate(env: &Env) {
    let mut bot: Value = serde_json::from_str(&env.read(".kiro/agents/bot.json")).unwrap();
    bot["tools"].as_array_mut().unwrap().push(json!("delegate"));
    env.write(".kiro/agents/bot.json", &bot.to_string());
}

/// The JSON lines of the file at `path`.
fn json_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What `agent checkpoint ARGS` printed; it must succeed.
fn checkpoint(env: &Env, args: &[&str]) -> String {
    let output = env.agent().arg("checkpoint").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    stdout
}

/// The first column of `agent checkpoint ARGS`'s rows.
fn checkpoint_tags(env: &Env, args: &[&str]) -> Vec<String> {
    checkpoint(env, args)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_childs_calls_are_checkpointed_under_its_parents_call() {
    let env = env();
    env.write("one.txt", "before\n");
    env.write("two.txt", "before\n");
    let tasks = [("writer", "CHILD-A rewrite both files")];
    let server = ModelServer::start(vec![
        AI.tool_calls(&[("p1", "use_subagent", invoke(&tasks))])
            .when("LEAD"),
        AI.tool_calls(&[("c1", "write", write("one.txt", "one\n"))])
            .when("CHILD-A"),
        AI.tool_calls(&[("c2", "write", write("two.txt", "two\n"))])
            .when("CHILD-A"),
        AI.text("CHILD-A finished").when("CHILD-A"),
        AI.text("all done").when("LEAD"),
    ])
    .await;
    let log = env.home.join("audit.jsonl");
    let (events, _) = run_with(&env, &server, &["--audit-log", log.to_str().unwrap()]).await;
    assert_eq!(env.read("two.txt"), "two\n");
    // Turn 1 is the baseline; the parent's turn is 2, its `subagent` call
    // 2.1, and the child's two writes 2.1.1 and 2.1.2 under it.
    assert_eq!(
        checkpoint_tags(&env, &["expand", "2"]),
        ["2.1.1", "2.1.2", "2.1"]
    );
    let child_checkpoints: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "child" && e["event"]["type"] == "checkpoint")
        .collect();
    assert_eq!(child_checkpoints.len(), 2, "{events:?}");
    assert_eq!(child_checkpoints[1]["event"]["tag"], "2.1.2");
    let description = child_checkpoints[0]["event"]["description"].to_string();
    assert!(description.contains("child p1/task-1"), "{description}");
    let writes: Vec<Value> = json_lines(&log)
        .into_iter()
        .filter(|r| r["tool"] == "write")
        .collect();
    assert_eq!(writes.len(), 2);
    for record in &writes {
        assert_eq!(record["child"], "p1/task-1", "every record names the child");
    }

    checkpoint(&env, &["restore", "2.1.1"]);
    assert_eq!(env.read("one.txt"), "one\n", "the first write stays");
    assert_eq!(env.read("two.txt"), "before\n", "the second is undone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worktree_childs_changes_are_checkpointed_under_its_parents_call() {
    let env = git_env();
    let tasks = [
        ("writer", "CHILD-A write a.txt"),
        ("writer", "CHILD-B write b.txt"),
    ];
    let calls = [
        ("CHILD-A", "write", write("a.txt", "from a\n")),
        ("CHILD-B", "write", write("b.txt", "from b\n")),
    ];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let log = env.home.join("audit.jsonl");
    run_with(&env, &server, &["--audit-log", log.to_str().unwrap()]).await;
    assert_eq!(env.read("b.txt"), "from b\n");
    let writes: Vec<Value> = json_lines(&log)
        .into_iter()
        .filter(|r| r["tool"] == "write")
        .collect();
    assert_eq!(
        writes.len(),
        4,
        "each child's write, and the parent's bringing it back"
    );
    for record in &writes {
        assert!(
            record["child"].is_string(),
            "every record names its child: {record}"
        );
    }
    assert_eq!(
        checkpoint_tags(&env, &["expand", "2"]),
        ["2.1.1", "2.1.2", "2.1"]
    );
    let rows = checkpoint(&env, &["expand", "2.1"]);
    assert!(rows.contains("child p1/task-2: write"), "{rows}");
    checkpoint(&env, &["restore", "2.1.1", "--hard"]);
    assert_eq!(env.read("a.txt"), "from a\n");
    assert!(
        !env.workspace.join("b.txt").exists(),
        "the second child's file is undone"
    );
}

/// `hooked`: `write`, with `preToolUse` and `postToolUse` hooks that log
/// each call they see under `$HOME`.
fn hooked(env: &Env) {
    env.write(
        ".kiro/agents/hooked.json",
        &json!({
            "name": "hooked",
            "tools": ["write"],
            "allowedTools": ["write"],
            "hooks": {
                "preToolUse": [{"command": "cat >> \"$HOME/child-pre.log\"; echo >> \"$HOME/child-pre.log\""}],
                "postToolUse": [{"command": "cat >> \"$HOME/child-post.log\"; echo >> \"$HOME/child-post.log\""}]
            }
        })
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_childs_own_hooks_run_on_its_calls() {
    let env = env();
    hooked(&env);
    let tasks = [("hooked", "CHILD-H write h.txt")];
    let calls = [("CHILD-H", "write", write("h.txt", "hooked\n"))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run_with(&env, &server, &["--trust-workspace"]).await;
    assert_eq!(env.read("h.txt"), "hooked\n");
    for log in ["child-pre.log", "child-post.log"] {
        let seen = json_lines(&env.home.join(log));
        assert_eq!(seen.len(), 1, "{log}: {seen:?}");
        assert_eq!(seen[0]["tool_name"], "write", "{log}: {seen:?}");
        assert_eq!(seen[0]["tool_input"]["path"], "h.txt", "{log}: {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_childs_hooks_from_an_untrusted_workspace_do_not_run_and_what_they_judge_is_refused() {
    let env = env();
    hooked(&env);
    let tasks = [("hooked", "CHILD-H write h.txt")];
    let calls = [("CHILD-H", "write", write("h.txt", "hooked\n"))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let (events, _) = run(&env, &server).await;
    assert!(!env.home.join("child-pre.log").exists());
    assert!(!env.workspace.join("h.txt").exists());
    let warned = events
        .iter()
        .any(|e| e["type"] == "warning" && e["message"].to_string().contains("`hooked`"));
    assert!(warned, "{events:?}");
    assert_eq!(summaries(&server)[0]["refusals"][0]["tool"], "write");
}

/// `noter`, whose own MCP server writes notes; the parent `bot` also has
/// the server's tools when `parent_allows`.
fn noter_env(parent_allows: bool) -> Env {
    let env = env();
    let script = support::repo().join("tests/fixtures/mcp/notes_server.py");
    env.write(
        ".kiro/agents/noter.json",
        &json!({
            "name": "noter",
            "tools": ["@notes"],
            "allowedTools": ["@notes"],
            "mcpServers": {"notes": {"command": "python3", "args": [script]}}
        })
        .to_string(),
    );
    if parent_allows {
        let mut bot: Value = serde_json::from_str(&env.read(".kiro/agents/bot.json")).unwrap();
        for list in ["tools", "allowedTools"] {
            bot[list].as_array_mut().unwrap().push(json!("@notes"));
        }
        env.write(".kiro/agents/bot.json", &bot.to_string());
    }
    env.write("secret.txt", "nothing secret\n");
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_calls_its_own_mcp_server_when_its_parent_allows_the_tool() {
    if !support::python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let env = noter_env(true);
    let tasks = [("noter", "CHILD-N take a note")];
    let calls = [("CHILD-N", "notes___write_note", json!({"name": "note.txt"}))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run_with(&env, &server, &["--trust-workspace"]).await;
    assert_eq!(env.read("note.txt"), "a note\n");
    let summary = &summaries(&server)[0];
    assert_eq!(summary["status"], "completed", "{summary}");
    assert_eq!(summary["refusals"], json!([]), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_childs_mcp_tool_its_parent_lacks_is_refused() {
    if !support::python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let env = noter_env(false);
    let tasks = [("noter", "CHILD-N take a note")];
    let calls = [("CHILD-N", "notes___write_note", json!({"name": "note.txt"}))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    run_with(&env, &server, &["--trust-workspace"]).await;
    assert!(!env.workspace.join("note.txt").exists());
    let refusal = &summaries(&server)[0]["refusals"][0];
    assert_eq!(refusal["tool"], "@notes/write_note", "{refusal}");
    let reasons = refusal["reasons"].to_string();
    assert!(
        reasons
            .contains("parent agent `bot`: `@notes/write_note` is not one of this agent's `tools`"),
        "{reasons}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_json_lists_the_children_with_their_outcome() {
    let env = env();
    let tasks = [("writer", "CHILD-A write a.txt")];
    let calls = [("CHILD-A", "write", write("a.txt", "from a\n"))];
    let server = ModelServer::start(script(&tasks, &calls)).await;
    let output = env
        .chat_headless(
            &server.url,
            &["--output-format", "json", "LEAD: split the job"],
        )
        .await;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let child = &result["children"][0];
    assert_eq!(child["child"], "p1/task-1", "{result}");
    assert_eq!(child["status"], "completed", "{result}");
    assert_eq!(child["changed_files"], json!(["a.txt"]), "{result}");
}

/// A child may run children of its own, whose changes are checkpointed
/// one level further down (`N.M.k.j`), but not below the depth limit.
#[tokio::test(flavor = "multi_thread")]
async fn grandchildren_run_checkpointed_under_their_parents_and_no_deeper_than_the_limit() {
    let env = env();
    env.write(
        ".kiro/agents/nester.json",
        &json!({
            "name": "nester",
            "tools": ["write", "subagent"],
            "allowedTools": ["write"],
            "toolsSettings": {"subagent": {"availableAgents": ["writer", "nester"],
                                           "trustedAgents": ["*"]}}
        })
        .to_string(),
    );
    let server = ModelServer::start(vec![
        AI.tool_calls(&[(
            "p1",
            "use_subagent",
            invoke(&[("nester", "CHILD-N split again")]),
        )])
        .when("LEAD"),
        AI.tool_calls(&[(
            "n1",
            "use_subagent",
            invoke(&[
                ("writer", "GRAND-W write g.txt"),
                ("nester", "GRAND-N go deeper"),
            ]),
        )])
        .when("CHILD-N"),
        AI.tool_calls(&[("w1", "write", write("g.txt", "grandchild\n"))])
            .when("GRAND-W"),
        AI.text("GRAND-W finished").when("GRAND-W"),
        AI.tool_calls(&[(
            "g1",
            "use_subagent",
            invoke(&[("writer", "GREAT-W write x.txt")]),
        )])
        .when("GRAND-N"),
        AI.text("GRAND-N finished").when("GRAND-N"),
        AI.tool_calls(&[("x1", "write", write("x.txt", "too deep\n"))])
            .when("GREAT-W"),
        AI.text("GREAT-W finished").when("GREAT-W"),
        AI.text("CHILD-N finished").when("CHILD-N"),
        AI.text("all done").when("LEAD"),
    ])
    .await;
    run(&env, &server).await;
    assert_eq!(env.read("g.txt"), "grandchild\n");
    assert!(!env.workspace.join("x.txt").exists());
    let refused = server
        .requests()
        .iter()
        .any(|r| r.body.to_string().contains("would run at depth 3"));
    assert!(
        refused,
        "the third level is refused and the grandchild is told"
    );
    assert_eq!(
        checkpoint_tags(&env, &["expand", "2"]),
        ["2.1.1.1", "2.1.1", "2.1"]
    );
}
