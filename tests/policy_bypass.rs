//! Attempts to get around each rule, written as an attacker would.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod policy_support;

use agent::config::agent::CommandPattern;
use agent::config::{AgentSource, Origin, Rule};
use agent::policy::{Mode, Policy, ToolCall, Trust, Verdict};
use policy_support::{Fixture, expect_all, expect_never_allowed};
use proptest::prelude::*;
use serde_json::json;

/// The tutorial's agent.
const REFACTOR_BOT: &str = include_str!("../.kiro/agents/refactor-bot.json");

fn trust_all() -> Trust {
    Trust {
        all_tools: true,
        tools: vec![],
        grants: vec![],
        read_only: false,
    }
}

#[test]
fn deny_wins_over_allowed_tools_trust_and_allow_rules_in_every_mode() {
    let f = Fixture::new(
        r#"{"tools": ["shell"], "allowedTools": ["shell"], "toolsSettings": {"shell": {
            "allowedCommands": ["rm .*", "git .*"], "deniedCommands": ["rm .*"], "autoAllowReadonly": true}}}"#,
    );
    for mode in [Mode::Interactive, Mode::Unattended] {
        for trust in [
            Trust::default(),
            trust_all(),
            Trust {
                all_tools: false,
                tools: vec!["shell".into()],
                grants: vec![],
                read_only: false,
            },
        ] {
            let d = f.decide_with("shell", json!({"command": "rm -rf build"}), &trust, mode);
            assert_eq!(d.verdict(), Verdict::Deny, "{mode:?} {trust:?}");
        }
    }
}

#[test]
fn a_deny_rule_that_does_not_compile_denies_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = agent::config::discover::default_agent();
    config.allowed_tools.push(Rule {
        value: "shell".into(),
        origin: Origin {
            source: AgentSource::BuiltIn,
            position: None,
            path: Default::default(),
        },
    });
    config.settings.shell.denied.push(Rule {
        value: CommandPattern {
            source: "^(?!ls$).*".into(),
            regex: None,
        },
        origin: Origin {
            source: AgentSource::BuiltIn,
            position: None,
            path: Default::default(),
        },
    });
    let policy = Policy::new(config, dir.path(), None);
    for command in ["ls", "pwd", "true", ""] {
        let call = ToolCall {
            tool: "shell".into(),
            input: json!({"command": command}),
        };
        let d = policy.decide(&call, &trust_all(), Mode::Interactive);
        assert_eq!(d.verdict(), Verdict::Deny, "{command}: {}", d.to_json());
    }
}

#[test]
fn fences_hold_against_allowed_tools_and_trust() {
    let f = Fixture::new(REFACTOR_BOT);
    for trust in [Trust::default(), trust_all()] {
        for (tool, input) in [
            ("shell", json!({"command": "make install"})),
            ("shell", json!({"command": "node -e 'x'"})),
            ("write", json!({"command": "create", "path": "README.md"})),
            (
                "write",
                json!({"command": "create", "path": "../outside.txt"}),
            ),
            ("write", json!({"command": "create", "path": "~/.bashrc"})),
        ] {
            let d = f.decide_with(tool, input.clone(), &trust, Mode::Interactive);
            assert_eq!(d.verdict(), Verdict::Ask, "{input}: {}", d.to_json());
            let d = f.decide_with(tool, input.clone(), &trust, Mode::Unattended);
            assert_eq!(d.verdict(), Verdict::Deny, "{input}: {}", d.to_json());
        }
    }
}

#[test]
fn a_tool_not_in_tools_does_not_exist_even_when_trusted() {
    let f = Fixture::new(REFACTOR_BOT);
    for tool in ["glob", "web_fetch", "@evil/tool", "nope"] {
        let d = f.decide_with(tool, json!({"path": "."}), &trust_all(), Mode::Interactive);
        assert_eq!(d.verdict(), Verdict::Deny, "{tool}");
    }
}

#[test]
fn redirections_and_writing_commands_are_held_to_the_write_fence() {
    let f = Fixture::new(REFACTOR_BOT);
    expect_all(
        &f,
        &[
            "python -m pytest -q > src/report.txt",
            "python x.py 2>/dev/null",
            "python -m pytest -q 2>&1",
        ],
        Verdict::Allow,
    );
    expect_never_allowed(
        &f,
        &[
            "python -m pytest -q > out.txt",
            "python x.py > ../outside.txt",
            "python x.py >> ~/.bashrc",
            "python x.py > .git/hooks/pre-commit",
            "python x.py > src/../.kiro/agents/refactor-bot.json",
            "python x.py &> /etc/passwd",
            "python x.py | tee ~/.bashrc",
            "python x.py > $HOME/.bashrc",
            "python x.py > \"$OUT\"",
            "cd .. && python x.py > src/a.py",
            "env -C .. python x.py > src/a.py",
        ],
    );
}

#[test]
fn symlinked_folders_do_not_lead_out_of_the_write_fence() {
    let f = Fixture::new(REFACTOR_BOT);
    std::os::unix::fs::symlink(&f.home, f.workspace.join("src/home")).unwrap();
    assert_ne!(f.write("src/home/.bashrc"), Verdict::Allow);
    assert_ne!(f.shell("python x.py > src/home/.bashrc"), Verdict::Allow);
}

#[test]
fn wrappers_and_environment_cannot_smuggle_a_command() {
    let f = Fixture::new(REFACTOR_BOT);
    expect_never_allowed(
        &f,
        &[
            "sudo python -m pytest -q",
            "doas python x.py",
            "PATH=/tmp/evil python -m pytest",
            "LD_PRELOAD=/tmp/evil.so python x.py",
            "env PATH=/tmp python x.py",
            "export PATH=/tmp/evil; python -m pytest",
            "declare -x LD_PRELOAD=/tmp/x.so; python x.py",
            "xargs -a list.txt node",
            "find . -exec node {} +",
            "timeout 5 node x.js",
            "python x.py; node y.js",
            "python x.py $(node y.js)",
            "git status && git stash",
        ],
    );
    expect_all(
        &f,
        &[
            "timeout 60 python -m pytest -q",
            "env FOO=1 python x.py",
            "nice python x.py",
        ],
        Verdict::Allow,
    );
}

#[test]
fn deny_rules_see_through_wrappers_to_both_layers() {
    let f = Fixture::new(
        r#"{"tools": ["shell"], "allowedTools": ["shell"], "toolsSettings": {"shell": {
            "deniedCommands": ["sudo .*", "xargs.*", "rm .*"]}}}"#,
    );
    expect_all(
        &f,
        &[
            "true && sudo ls",
            "ls | xargs echo",
            "env sudo ls",
            "rm\t-rf x",
            "$'\\x72m' -rf x; rm x",
        ],
        Verdict::Deny,
    );
    expect_never_allowed(&f, &["$'\\x72m' -rf x", "${CMD:-rm} -rf x", "a=rm; $a x"]);
}

#[test]
fn a_command_that_does_not_parse_is_denied_with_the_parsers_message() {
    let f = Fixture::new(REFACTOR_BOT);
    let d = f.decide("shell", json!({"command": "python x.py 'unterminated"}));
    assert_eq!(d.verdict(), Verdict::Deny);
    assert!(
        d.reasons()[0].message.contains("does not parse"),
        "{}",
        d.to_json()
    );
}

#[test]
fn reasons_name_the_rule_file_line_and_column() {
    let f = Fixture::new(REFACTOR_BOT);
    let d = f.decide(
        "shell",
        json!({"command": "python -m pytest -q && git push origin main"}),
    );
    assert_eq!(d.verdict(), Verdict::Deny);
    let json = d.to_json();
    let deny = &json["reasons"][0];
    assert_eq!(deny["pattern"], "git push.*", "{json}");
    assert_eq!(deny["subject"], "git push origin main", "{json}");
    assert!(
        deny["rule"].as_str().unwrap().starts_with("agent.json:11:"),
        "{json}"
    );
    assert!(
        deny["rule"]
            .as_str()
            .unwrap()
            .ends_with("toolsSettings.shell.deniedCommands[0]"),
        "{json}"
    );
}

#[test]
fn unattended_mode_refuses_what_would_ask() {
    let f = Fixture::new(REFACTOR_BOT);
    assert_eq!(f.shell("make"), Verdict::Ask);
    assert_eq!(f.shell_unattended("make"), Verdict::Deny);
    assert_eq!(f.shell_unattended("python -m pytest -q"), Verdict::Allow);
}

#[test]
fn approvals_cover_exactly_the_call_they_were_made_for() {
    let f = Fixture::new(REFACTOR_BOT);
    let call = ToolCall {
        tool: "shell".into(),
        input: json!({"command": "python -m pytest -q"}),
    };
    let agent::policy::Decision::Allow { approval, .. } =
        f.policy.decide(&call, &Trust::default(), Mode::Interactive)
    else {
        panic!("expected allow");
    };
    assert!(approval.covers(&call));
    let other = ToolCall {
        tool: "shell".into(),
        input: json!({"command": "python -m pytest -q; rm -rf /"}),
    };
    assert!(!approval.covers(&other));
    assert!(!approval.by_person());
}

/// Ways to embed a command so that it still runs.
fn embed(inner: String, how: u8, wrapper: u8) -> String {
    let wrapped = match wrapper % 10 {
        0 => inner,
        1 => format!("env FOO=1 {inner}"),
        2 => format!("command {inner}"),
        3 => format!("timeout 5 {inner}"),
        4 => format!("nice -n 5 {inner}"),
        5 => format!("nohup {inner}"),
        6 => format!("stdbuf -oL {inner}"),
        7 => format!("setsid {inner}"),
        8 => format!("sudo -u root {inner}"),
        _ => format!("exec {inner}"),
    };
    match how % 14 {
        0 => format!("true && {wrapped}"),
        1 => format!("false || {wrapped}"),
        2 => format!("ls; {wrapped}"),
        3 => format!("ls | {wrapped}"),
        4 => format!("({wrapped})"),
        5 => format!("{{ {wrapped}; }}"),
        6 => format!("echo $({wrapped})"),
        7 => format!(
            "echo `{}`",
            wrapped.replace('\\', "\\\\").replace('`', "\\`")
        ),
        8 => format!("cat <({wrapped})"),
        9 => format!("bash -c '{}'", wrapped.replace('\'', "'\\''")),
        10 => format!("if true; then {wrapped}; fi"),
        11 => format!("for i in 1; do {wrapped}; done"),
        12 => format!("ls\n{wrapped}"),
        _ => format!("{wrapped} &"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_denied_command_composed_anywhere_is_never_allowed(
        layers in prop::collection::vec((any::<u8>(), any::<u8>()), 1..4),
        spelling in 0..5usize,
    ) {
        let f = Fixture::new(r#"{"tools": ["shell"], "allowedTools": ["shell"], "toolsSettings": {"shell": {
            "deniedCommands": ["rm .*"], "autoAllowReadonly": true}}}"#);
        let spellings = ["rm -rf build", "/bin/rm -rf build", "r''m -rf build", "\\rm -rf build", "\"rm\" -rf build"];
        let line = layers.iter().fold(spellings[spelling].to_string(), |inner, (how, wrapper)| embed(inner, *how, *wrapper));
        prop_assert_ne!(f.shell(&line), Verdict::Allow, "{}", line);
        prop_assert_eq!(f.shell_unattended(&line), Verdict::Deny, "{}", line);
    }
}
