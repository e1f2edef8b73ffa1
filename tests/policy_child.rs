//! A child agent's policy is never wider than its parent's: for random
//! parent and child agent files, no call the combined policy allows is
//! denied or asked by either of them alone, and `agent policy check
//! --as-child-of` says which side decided.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;

use agent::config::validate_text;
use agent::policy::{Mode, Policy, ToolCall, Trust, Verdict};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::Env;

const TOOLS: &[&str] = &[
    "read",
    "write",
    "shell",
    "glob",
    "grep",
    "*",
    "@builtin",
    "@notes",
    "@notes/search",
];
const COMMANDS: &[&str] = &["ls.*", "rm .*", "git .*", "make .*", "cat .*", ".*"];
const PATHS: &[&str] = &["src/**", "docs/**", "**/*.py", "secrets/**", "**", "."];

fn subset(items: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(items, 0..=items.len())
}

/// A random agent file over a small vocabulary, so that parents and
/// children overlap often.
fn agent_file(name: &'static str) -> impl Strategy<Value = Value> {
    (
        subset(TOOLS),
        subset(TOOLS),
        subset(COMMANDS),
        subset(COMMANDS),
        proptest::option::of(subset(PATHS)),
        subset(PATHS),
        any::<bool>(),
    )
        .prop_map(
            move |(tools, allowed, commands, denied, write_fence, read_denied, deny_default)| {
                let mut write = json!({});
                if let Some(fence) = write_fence {
                    write["allowedPaths"] = json!(fence);
                }
                json!({
                    "name": name,
                    "tools": tools,
                    "allowedTools": allowed,
                    "toolsSettings": {
                        "shell": {"allowedCommands": commands, "deniedCommands": denied,
                                  "denyByDefault": deny_default},
                        "write": write,
                        "read": {"deniedPaths": read_denied},
                    }
                })
            },
        )
}

fn calls() -> Vec<ToolCall> {
    let call = |tool: &str, input: Value| ToolCall {
        tool: tool.into(),
        input,
    };
    let write = |path: &str| {
        call(
            "write",
            json!({"path": path, "command": "create", "content": "x"}),
        )
    };
    vec![
        call("shell", json!({"command": "ls -la"})),
        call("shell", json!({"command": "rm -rf build"})),
        call("shell", json!({"command": "git status && make test"})),
        call("shell", json!({"command": "cat src/a.py > docs/b.md"})),
        write("src/a.py"),
        write("docs/a.md"),
        write("secrets/key.txt"),
        call("read", json!({"path": "src/a.py"})),
        call("read", json!({"path": "secrets/key.txt"})),
        call("glob", json!({"pattern": "**/*.py"})),
        call("grep", json!({"pattern": "x", "path": "docs"})),
        call("@notes/write_note", json!({"name": "a.txt"})),
        call("@notes/search", json!({"query": "x"})),
    ]
}

fn policy(file: &Value) -> Policy {
    let text = file.to_string();
    let config = validate_text(Path::new("/w/.kiro/agents/a.json"), &text)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
        .config;
    Policy::new(config, Path::new("/w"), Some(Path::new("/home/u")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_child_is_never_wider_than_its_parent(
        parent in agent_file("parent"),
        child in agent_file("child"),
        trusted in any::<bool>(),
        unattended in any::<bool>(),
    ) {
        let parent = policy(&parent);
        let child = policy(&child);
        let combined = child.clone().as_child_of(&parent, Trust::default()).unwrap();
        let trust = Trust { all_tools: trusted, ..Trust::default() };
        let mode = if unattended { Mode::Unattended } else { Mode::Interactive };
        for call in calls() {
            let both = combined.decide(&call, &trust, mode).verdict();
            let alone_child = child.decide(&call, &trust, mode).verdict();
            let alone_parent = parent.decide(&call, &Trust::default(), mode).verdict();
            prop_assert!(both >= alone_child, "{call:?}: child alone {alone_child}, combined {both}");
            prop_assert!(both >= alone_parent, "{call:?}: parent alone {alone_parent}, combined {both}");
            prop_assert_eq!(both, alone_child.max(alone_parent), "{:?}", call);
            if both == Verdict::Allow {
                let path = call.input.get("path").and_then(Value::as_str);
                if let (Some(path), "write") = (path, call.tool.as_str()) {
                    let full = Path::new("/w").join(path);
                    prop_assert!(combined.inside_write_fence(&full));
                    prop_assert!(parent.inside_write_fence(&full));
                }
            }
        }
    }
}

fn write_agents(env: &Env) {
    env.write(
        ".kiro/agents/lead.json",
        r#"{"name": "lead", "tools": ["read", "shell"], "allowedTools": ["read"],
            "toolsSettings": {"shell": {"allowedCommands": ["ls.*", "make .*"], "deniedCommands": ["rm .*"]}}}"#,
    );
    env.write(
        ".kiro/agents/helper.json",
        r#"{"name": "helper", "tools": ["read", "write", "shell"], "allowedTools": ["read", "write"],
            "toolsSettings": {"shell": {"allowedCommands": ["rm .*", "ls.*"]}}}"#,
    );
}

fn check(env: &Env, args: &[&str]) -> Value {
    let output = env
        .agent()
        .args([
            "policy",
            "check",
            "--as-child-of",
            "lead",
            "--agent",
            "helper",
        ])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn policy_check_says_which_side_decided() {
    let env = Env::new();
    write_agents(&env);
    let rm = check(&env, &["shell", "rm -rf build"]);
    assert_eq!(rm["decision"], "deny");
    assert_eq!(rm["decided_by"], "parent");
    assert_eq!(rm["child"], "allow");
    let first = rm["reasons"][0]["message"].as_str().unwrap();
    assert!(first.starts_with("parent agent `lead`"), "{first}");
    let ls = check(&env, &["shell", "ls -la"]);
    assert_eq!(ls["decision"], "allow");
    assert_eq!(ls["decided_by"], "both");
    let write = check(&env, &["write", "src/a.py"]);
    assert_eq!(write["decision"], "deny", "the parent has no write tool");
    assert_eq!(write["decided_by"], "parent");
    let make = check(&env, &["shell", "make test"]);
    assert_eq!(make["decision"], "ask");
    assert_eq!(make["decided_by"], "child");
}

#[test]
fn policy_check_explains_the_combined_decision() {
    let env = Env::new();
    write_agents(&env);
    env.agent()
        .args([
            "policy",
            "check",
            "--as-child-of",
            "lead",
            "--agent",
            "helper",
            "--explain",
        ])
        .args(["shell", "rm -rf build"])
        .assert()
        .success()
        .stdout(predicates::str::contains("parent agent `lead`: "))
        .stdout(predicates::str::contains("decided by: parent"));
}
