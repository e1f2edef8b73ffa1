//! The leniency runs one way: an entry `agent` does not understand may only
//! take permission away. For random unknown tool names and keys, put
//! wherever Kiro tolerates them, the decision for every call is never more
//! permissive than with the entry removed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;

use agent::config::validate_text;
use agent::policy::{Mode, Policy, ToolCall, Trust, Verdict};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Agents the unknown entries are put into: fenced, trusting, V3.
fn bases() -> Vec<Value> {
    vec![
        json!({"name": "fenced", "tools": ["read", "write", "shell", "@notes"],
               "allowedTools": ["read", "shell", "@notes"],
               "toolsSettings": {"shell": {"allowedCommands": ["make .*"], "deniedCommands": ["rm .*"]},
                                 "write": {"allowedPaths": ["src/**"]}},
               "mcpServers": {"notes": {"command": "notes-mcp"}},
               "hooks": {"postToolUse": [{"matcher": "shell", "command": "true"}]}}),
        json!({"name": "trusting", "tools": ["*"], "allowedTools": ["*"],
               "toolsSettings": {"read": {"deniedPaths": ["secrets/**"]}}}),
        json!({"name": "v3", "tools": ["read", "shell"],
               "permissions": [{"capability": "shell", "match": ["npm *"], "effect": "allow"},
                               {"capability": "fs_read", "match": ["**/.env"], "effect": "deny"}]}),
    ]
}

fn calls() -> Vec<ToolCall> {
    let call = |tool: &str, input: Value| ToolCall {
        tool: tool.into(),
        input,
    };
    vec![
        call("shell", json!({"command": "make test"})),
        call("shell", json!({"command": "npm test"})),
        call("shell", json!({"command": "ls -la"})),
        call("shell", json!({"command": "rm -rf build"})),
        call(
            "write",
            json!({"path": "src/a.py", "command": "create", "content": "x"}),
        ),
        call(
            "write",
            json!({"path": "docs/a.md", "command": "create", "content": "x"}),
        ),
        call("read", json!({"path": "src/a.py"})),
        call("read", json!({"path": "secrets/key.txt"})),
        call("glob", json!({"pattern": "**/*.py"})),
        call("@notes/search", json!({"q": "x"})),
    ]
}

/// Where an unknown entry goes, and the entry.
#[derive(Debug, Clone)]
enum Unknown {
    Tool(String),
    AllowedTool(String),
    SettingKey(&'static str, String, Value),
    SettingsTool(String, Value),
    HookKey(String, Value),
    ServerKey(String, Value),
    Capability(String, &'static str),
}

fn inject(base: &Value, unknown: &Unknown) -> Value {
    let mut agent = base.clone();
    let object = agent.as_object_mut().expect("object");
    let push = |object: &mut serde_json::Map<String, Value>, key: &str, value: Value| {
        let list = object.entry(key).or_insert_with(|| json!([]));
        list.as_array_mut().expect("list").push(value);
    };
    match unknown {
        Unknown::Tool(name) => push(object, "tools", json!(name)),
        Unknown::AllowedTool(name) => push(object, "allowedTools", json!(name)),
        Unknown::SettingKey(tool, key, value) => {
            let settings = object.entry("toolsSettings").or_insert_with(|| json!({}));
            let entry = settings
                .as_object_mut()
                .expect("map")
                .entry(*tool)
                .or_insert_with(|| json!({}));
            entry
                .as_object_mut()
                .expect("map")
                .insert(key.clone(), value.clone());
        }
        Unknown::SettingsTool(name, value) => {
            let settings = object.entry("toolsSettings").or_insert_with(|| json!({}));
            settings
                .as_object_mut()
                .expect("map")
                .insert(name.clone(), value.clone());
        }
        Unknown::HookKey(key, value) => {
            let mut hook = json!({"matcher": "*", "command": "true"});
            hook.as_object_mut()
                .expect("map")
                .insert(key.clone(), value.clone());
            object.insert("hooks".into(), json!({"postToolUse": [hook]}));
        }
        Unknown::ServerKey(key, value) => {
            let mut server = json!({"command": "notes-mcp"});
            server
                .as_object_mut()
                .expect("map")
                .insert(key.clone(), value.clone());
            object.insert("mcpServers".into(), json!({"notes": server}));
        }
        Unknown::Capability(name, effect) => {
            push(
                object,
                "permissions",
                json!({"capability": name, "effect": effect}),
            );
        }
    }
    agent
}

/// The base with the entry's container present but the entry left out, so
/// the two agents differ only by it.
fn without(base: &Value, unknown: &Unknown) -> Value {
    match unknown {
        Unknown::HookKey(..) => inject(base, &Unknown::HookKey("command".into(), json!("true"))),
        Unknown::ServerKey(..) => inject(
            base,
            &Unknown::ServerKey("command".into(), json!("notes-mcp")),
        ),
        _ => base.clone(),
    }
}

fn verdicts(agent: &Value, workspace: &Path) -> Option<Vec<Verdict>> {
    let file = workspace.join(".kiro/agents/a.json");
    let config = validate_text(&file, &agent.to_string()).ok()?.config;
    let policy = Policy::new(config, workspace, None);
    let mut out = Vec::new();
    for mode in [Mode::Interactive, Mode::Unattended] {
        for call in calls() {
            out.push(policy.decide(&call, &Trust::default(), mode).verdict());
        }
    }
    Some(out)
}

const KNOWN: &[&str] = &[
    "read",
    "write",
    "shell",
    "glob",
    "grep",
    "command",
    "matcher",
    "args",
    "env",
    "url",
    "allowedPaths",
    "deniedPaths",
    "allowedCommands",
    "deniedCommands",
    "autoAllowReadonly",
    "denyByDefault",
    "allowReadOnly",
    "passEnv",
    "sandbox",
    "network",
    "writablePaths",
    "headers",
    "type",
    "timeout",
    "disabled",
    "disabledTools",
    "oauthScopes",
    "oauth",
    "timeout_ms",
    "cache_ttl_seconds",
    "max_output_size",
    "failOpen",
    "fs_read",
    "fs_write",
    "fsRead",
    "fsWrite",
    "execute_bash",
    "executeBash",
    "execute_cmd",
    "executeCmd",
];

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_:*|]{0,11}"
        .prop_filter("unknown", |n| !KNOWN.contains(&n.as_str()) && n != "*")
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(true)),
        Just(json!(false)),
        Just(json!(null)),
        Just(json!([])),
        Just(json!(["*", ".*"])),
        Just(json!({"preset": "readOnly"})),
        "[a-z*. ]{0,8}".prop_map(Value::from),
    ]
}

fn unknown() -> impl Strategy<Value = Unknown> {
    prop_oneof![
        name().prop_map(Unknown::Tool),
        name().prop_map(Unknown::AllowedTool),
        (
            prop_oneof![Just("shell"), Just("write"), Just("read"), Just("glob")],
            name(),
            any_value()
        )
            .prop_map(|(tool, key, value)| Unknown::SettingKey(tool, key, value)),
        (name(), any_value()).prop_map(|(n, v)| Unknown::SettingsTool(n, v)),
        (name(), any_value()).prop_map(|(k, v)| Unknown::HookKey(k, v)),
        (name(), any_value()).prop_map(|(k, v)| Unknown::ServerKey(k, v)),
        (
            name(),
            prop_oneof![Just("allow"), Just("ask"), Just("deny")]
        )
            .prop_map(|(n, e)| Unknown::Capability(n, e)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn unknown_entries_never_add_permission(unknown in unknown(), which in 0usize..3) {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::create_dir_all(dir.path().join("src")).expect("src");
        let base = &bases()[which];
        let with = verdicts(&inject(base, &unknown), dir.path());
        let plain = verdicts(&without(base, &unknown), dir.path()).expect("base agents are valid");
        prop_assume!(with.is_some());
        let with = with.expect("checked");
        for (i, (a, b)) in with.iter().zip(&plain).enumerate() {
            prop_assert!(a >= b, "call {i}: {a:?} with {unknown:?}, {b:?} without");
        }
    }
}

#[test]
fn a_doubtful_shell_setting_asks_through_the_cli() {
    let env = support::Env::new();
    let file = env.write(
        ".kiro/agents/bot.json",
        r#"{"name": "bot", "tools": ["shell"], "allowedTools": ["shell"],
            "toolsSettings": {"shell": {"allowed_commands": ["make test"]}}}"#,
    );
    let output = env
        .agent()
        .args(["policy", "check", "--agent"])
        .arg(&file)
        .args(["shell", "make test"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ask"), "{stdout}");
    assert!(stdout.contains("allowed_commands"), "{stdout}");
}
