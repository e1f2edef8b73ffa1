//! Every tool call takes the dispatcher's one path, whoever makes it: the
//! model (a built-in tool and an MCP tool), the person's `!command` and
//! `/context add`, and a goal's check each fire the same hooks, get the
//! same kind of checkpoint, the same audit record and the same redaction.
//! And what the event stream says a tool returned is exactly what the
//! next request sends the model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

/// A token the built-in secret patterns recognise.
const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
const REDACTED: &str = "[REDACTED: a GitHub token]";

/// An agent whose hooks log every call's input and result outside the
/// workspace, with a shell, `read`, `write` and an MCP server of notes.
fn agent(server_script: &str) -> String {
    json!({
        "name": "bot",
        "tools": ["shell", "read", "write", "@notes"],
        "allowedTools": ["shell", "read", "write", "@notes"],
        "mcpServers": {"notes": {"command": "python3", "args": [server_script]}},
        "hooks": {
            "preToolUse": [{"command": "cat >> \"$HOME/pre.log\"; echo >> \"$HOME/pre.log\""}],
            "postToolUse": [{"command": "cat >> \"$HOME/post.log\"; echo >> \"$HOME/post.log\""}]
        }
    })
    .to_string()
}

/// The JSON lines of `text`.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_entry_point_leaves_the_same_trace() {
    if !support::python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let env = Env::new();
    let notes_server = support::repo().join("tests/fixtures/mcp/notes_server.py");
    env.write(
        ".kiro/agents/bot.json",
        &agent(&notes_server.display().to_string()),
    );
    env.write("secret.txt", &format!("token = {TOKEN}\n"));
    let audit = env.workspace.join("../audit-copy.jsonl");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[
            (
                "m1",
                "shell",
                json!({"command": "echo model > by-model.txt; cat secret.txt"}),
            ),
            ("m2", "notes___write_note", json!({"name": "by-mcp.txt"})),
        ]),
        Protocol::OpenAi.text("Done."),
        Protocol::OpenAi.text("Plan: nothing to change."),
        Protocol::OpenAi.text("Nothing to do."),
    ])
    .await;
    let output = env
        .chat_lines(
            &server.url,
            &[
                "--agent",
                "bot",
                "--trust-workspace",
                "--audit-log",
                &audit.display().to_string(),
            ],
            &[
                "go",
                "!echo user > by-user.txt; cat secret.txt",
                "/context add secret.txt",
                "/goal --max 1 --check 'echo goal > by-goal.txt; cat secret.txt; test -f done.txt' finish it",
                "/quit",
            ],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The check fails at the baseline and after the one iteration (nobody
    // writes done.txt): it ran twice, through the same path each time.
    assert!(stdout.contains("goal not_met"), "{stdout}\n{stderr}");
    for made in ["by-model.txt", "by-mcp.txt", "by-user.txt", "by-goal.txt"] {
        assert!(env.workspace.join(made).exists(), "{made} ran: {stderr}");
    }

    // The same audit record for each, with the caller, and redacted.
    let records = json_lines(&std::fs::read_to_string(&audit).unwrap());
    let trace: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r["caller"].as_str().unwrap(), r["tool"].as_str().unwrap()))
        .collect();
    assert_eq!(
        trace,
        [
            ("model", "shell"),
            ("model", "@notes/write_note"),
            ("user", "shell"),
            ("user", "read"),
            ("goal", "shell"),
            ("goal", "shell"),
        ]
    );
    for record in &records {
        assert_eq!(record["decision"], "allow", "{record}");
        let told = record["output"].as_str().unwrap();
        assert!(
            told.contains(REDACTED),
            "redacted for each caller: {record}"
        );
        assert!(record["session"].is_string() && record["time_ms"].is_u64());
    }

    // The same hooks, before and after each call, with the redacted result.
    let pre = json_lines(&std::fs::read_to_string(env.home.join("pre.log")).unwrap());
    let post = json_lines(&std::fs::read_to_string(env.home.join("post.log")).unwrap());
    let tools = |log: &[Value]| -> Vec<String> {
        log.iter()
            .map(|h| h["tool_name"].as_str().unwrap().to_string())
            .collect()
    };
    let expected = [
        "shell",
        "@notes/write_note",
        "shell",
        "read",
        "shell",
        "shell",
    ];
    assert_eq!(tools(&pre), expected);
    assert_eq!(tools(&post), expected);
    for hook in &post {
        let result = hook["tool_response"]["result"].as_str().unwrap();
        assert!(result.contains(REDACTED), "{hook}");
    }

    // The same checkpoints: one for each call that changed the workspace.
    let list = checkpoints(&env, &["list"]);
    assert!(list.contains("typed by you: shell"), "{list}");
    assert!(list.contains("goal check: shell"), "{list}");
    let turn = list
        .lines()
        .find(|l| l.ends_with("turn: go"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("the model's turn: {list}"));
    let tools_of_turn = checkpoints(&env, &["expand", turn]);
    assert!(
        tools_of_turn.contains(&format!("{turn}.1"))
            && tools_of_turn.contains(&format!("{turn}.2"))
            && tools_of_turn.contains("@notes/write_note"),
        "the model's shell and MCP calls got tool checkpoints: {tools_of_turn}"
    );

    // The token reached nobody: not the model, the screen, the logs.
    let requests = server.requests();
    for request in &requests {
        assert!(
            !request.body.to_string().contains(TOKEN),
            "{}",
            request.body
        );
    }
    assert!(
        requests[2].body["messages"][0]["content"]
            .as_str()
            .is_some_and(|system| system.contains(REDACTED)),
        "`/context add` put the redacted file into the system prompt: {}",
        requests[2].body
    );
    for text in [
        stdout.to_string(),
        stderr.to_string(),
        std::fs::read_to_string(&audit).unwrap(),
        std::fs::read_to_string(env.home.join("post.log")).unwrap(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

fn checkpoints(env: &Env, args: &[&str]) -> String {
    let output = env.agent().arg("checkpoint").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A Python line that runs `code` (the policy sees a `python` command; the
/// writes happen inside the sandbox).
fn python_one_liner(code: &str) -> String {
    let hex: String = code.bytes().map(|b| format!("{b:02x}")).collect();
    format!("python3 -c \"exec(bytes.fromhex('{hex}').decode())\"")
}

/// Each `tool_result` event's text next to what the next request carried
/// for the same call, for `protocol`.
async fn results_and_requests(protocol: Protocol) -> Vec<(Value, Value)> {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["shell", "read"],
            "allowedTools": ["shell", "read"],
            "toolsSettings": {
                "write": {"allowedPaths": ["src/**/*.py"]},
                "shell": {"allowedCommands": ["python3 .*", "cat .*", "head .*"], "deniedCommands": ["rm .*"]}
            }
        })
        .to_string(),
    );
    env.write("secret.txt", &format!("token = {TOKEN}\n"));
    env.write("big.txt", &"line of text\n".repeat(4000));
    env.write("src/keep.py", "x = 1\n");
    let calls = [
        ("c1", "shell", json!({"command": "cat secret.txt"})),
        ("c2", "shell", json!({"command": "cat big.txt"})),
        (
            "c3",
            "shell",
            json!({"command": python_one_liner("open('src/notes.txt', 'w').write('x')\n")}),
        ),
        ("c4", "shell", json!({"command": "rm -rf src"})),
        ("c5", "read", json!({"start_line": 1})),
        ("c6", "shell", json!({"command": 42})),
    ];
    let server = ModelServer::start(vec![protocol.tool_calls(&calls), protocol.text("done")]).await;
    let (model, variable, url) = protocol.model_and_env(&server);
    let output = env
        .chat_headless_with(
            model,
            variable,
            &url,
            &["--output-format", "stream-json", "go"],
        )
        .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = support::stream_events(&output);
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_result")
        .collect();
    assert_eq!(results.len(), calls.len(), "{events:?}");
    let next = &server.requests()[1].body;
    results
        .into_iter()
        .map(|result| (result.clone(), sent_result(protocol, next, &result["id"])))
        .collect()
}

/// The tool result for call `id` in a request body, as `{content,
/// is_error}`.
fn sent_result(protocol: Protocol, body: &Value, id: &Value) -> Value {
    let messages = body["messages"].as_array().unwrap();
    match protocol {
        Protocol::OpenAi => {
            let message = messages
                .iter()
                .find(|m| m["role"] == "tool" && m["tool_call_id"] == *id)
                .unwrap_or_else(|| panic!("no result for {id} in {body}"));
            let content = message["content"].as_str().unwrap();
            match content.strip_prefix("ERROR: ") {
                Some(error) => json!({"content": error, "is_error": true}),
                None => json!({"content": content, "is_error": false}),
            }
        }
        Protocol::Anthropic => {
            let block = messages
                .iter()
                .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
                .find(|b| b["type"] == "tool_result" && b["tool_use_id"] == *id)
                .unwrap_or_else(|| panic!("no result for {id} in {body}"));
            json!({"content": block["content"], "is_error": block["is_error"]})
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_results_in_the_event_stream_are_what_the_model_receives() {
    if !support::python3_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    for protocol in [Protocol::OpenAi, Protocol::Anthropic] {
        let pairs = results_and_requests(protocol).await;
        for (event, sent) in &pairs {
            assert_eq!(event["output"], sent["content"], "{event}");
            assert_eq!(event["is_error"], sent["is_error"], "{event}");
        }
        let output = |id: &str| {
            pairs
                .iter()
                .find(|(e, _)| e["id"] == id)
                .map(|(e, _)| e["output"].as_str().unwrap().to_string())
                .unwrap()
        };
        assert!(output("c1").contains(REDACTED) && !output("c1").contains(TOKEN));
        assert!(
            output("c2").matches("bytes cut from the middle").count() == 1
                && output("c2").len() <= agent::engine::MAX_TOOL_RESULT_BYTES + 100,
            "one cap, once: {} bytes",
            output("c2").len()
        );
        assert!(
            output("c3").contains("refused write") && output("c3").contains("src/notes.txt"),
            "the fence audit's words are in the event too: {}",
            output("c3")
        );
        assert!(output("c4").contains("refused by the guardrail policy"));
        assert!(
            output("c5").contains("`input.path` is required"),
            "{}",
            output("c5")
        );
        assert!(
            output("c6").contains("`input.command` must be a string"),
            "{}",
            output("c6")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn arguments_that_do_not_fit_are_refused_before_policy_and_hooks() {
    let env = Env::new();
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["shell"],
            "allowedTools": ["shell"],
            "hooks": {"preToolUse": [{"command": "cat >> \"$HOME/pre.log\""}]}
        })
        .to_string(),
    );
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(&[("c1", "shell", json!({"cmd": "ls"}))]),
        Protocol::OpenAi.text("done"),
    ])
    .await;
    let output = env
        .chat_stream(&server.url, &["--trust-workspace", "go"])
        .await;
    assert_eq!(output.status.code(), Some(0));
    let events = support::stream_events(&output);
    let call = events.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!(call["decision"], "deny");
    assert!(
        call["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`input.command` is required and missing"),
        "{call}"
    );
    assert!(
        !env.home.join("pre.log").exists(),
        "no hook ran for a call that could not be read"
    );
}
