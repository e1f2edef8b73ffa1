//! Narrow trust granted from approval prompts: each option offered lets
//! exactly the call asked about run unasked, nothing wider, and no grant
//! ever lifts a deny rule or what may never run unasked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod policy_support;

use agent::policy::{Breadth, Grant, Mode, ToolCall, Trust, TrustOption, Verdict};
use policy_support::Fixture;
use serde_json::{Value, json};

/// The tutorial's agent: a fenced shell with deny rules, a write fence.
const REFACTOR_BOT: &str = include_str!("../.kiro/agents/refactor-bot.json");

fn call(tool: &str, input: Value) -> ToolCall {
    ToolCall {
        tool: tool.into(),
        input,
    }
}

fn shell(command: &str) -> ToolCall {
    call("shell", json!({ "command": command }))
}

fn trusting(grants: &[Grant]) -> Trust {
    let mut trust = Trust::default();
    trust.grant(grants);
    trust
}

fn verdict(f: &Fixture, call: &ToolCall, trust: &Trust) -> Verdict {
    f.policy.decide(call, trust, Mode::Interactive).verdict()
}

fn option(options: &[TrustOption], breadth: Breadth) -> &TrustOption {
    options
        .iter()
        .find(|o| o.breadth == breadth)
        .unwrap_or_else(|| panic!("no {breadth:?} option in {options:#?}"))
}

#[test]
fn a_trusted_command_runs_unasked_and_nothing_else_does() {
    let f = Fixture::new(REFACTOR_BOT);
    let asked = shell("cargo build --release");
    assert_eq!(verdict(&f, &asked, &Trust::default()), Verdict::Ask);
    let options = f.policy.trust_options(&asked);
    let command = option(&options, Breadth::Command);
    assert_eq!(
        command.grants,
        vec![Grant::Command("cargo build --release".into())]
    );
    assert_eq!(command.label, "the command `cargo build --release`");
    let trust = trusting(&command.grants);
    assert_eq!(verdict(&f, &asked, &trust), Verdict::Allow);
    assert_eq!(verdict(&f, &shell("cargo build"), &trust), Verdict::Ask);
    assert_eq!(
        verdict(&f, &shell("cargo build --release; cargo publish"), &trust),
        Verdict::Ask
    );

    let program = option(&options, Breadth::Program);
    assert_eq!(program.grants, vec![Grant::Program("cargo".into())]);
    let trust = trusting(&program.grants);
    assert_eq!(verdict(&f, &shell("cargo test -q"), &trust), Verdict::Allow);
    assert_eq!(
        verdict(&f, &shell("./cargo test"), &trust),
        Verdict::Ask,
        "another file of the same name is another program"
    );
    assert_eq!(verdict(&f, &shell("make"), &trust), Verdict::Ask);
}

#[test]
fn a_denied_command_stays_denied_whatever_is_trusted() {
    let f = Fixture::new(REFACTOR_BOT);
    let denied = shell("git push origin main");
    assert_eq!(verdict(&f, &denied, &Trust::default()), Verdict::Deny);
    assert!(
        f.policy.trust_options(&denied).is_empty(),
        "a denied call offers no trust"
    );
    let mut everything = trusting(&[
        Grant::Command("git push origin main".into()),
        Grant::Program("git".into()),
        Grant::Tool("shell".into()),
    ]);
    everything.all_tools = true;
    for mode in [Mode::Interactive, Mode::Unattended] {
        for line in [
            "git push origin main",
            "git status && git push origin main",
            "/usr/bin/git push --force",
        ] {
            assert_eq!(
                f.policy.decide(&shell(line), &everything, mode).verdict(),
                Verdict::Deny,
                "{line} ({mode:?})"
            );
        }
    }
    assert_eq!(
        verdict(&f, &shell("git checkout -b topic"), &everything),
        Verdict::Allow,
        "the program grant still works where no deny rule matches"
    );
}

#[test]
fn a_denied_path_stays_denied_under_a_trusted_folder() {
    let f = Fixture::new(
        r#"{"tools": ["write"], "toolsSettings": {"write": {
            "allowedPaths": ["src/**"], "deniedPaths": ["secrets/**"]}}}"#,
    );
    let folder = Grant::Folder {
        tool: "write".into(),
        path: f.workspace.clone(),
    };
    let trust = trusting(&[folder, Grant::Tool("write".into())]);
    let secret = call(
        "write",
        json!({"command": "create", "path": "secrets/key", "content": ""}),
    );
    assert_eq!(verdict(&f, &secret, &trust), Verdict::Deny);
    let docs = call(
        "write",
        json!({"command": "create", "path": "docs/a.md", "content": ""}),
    );
    assert_eq!(verdict(&f, &docs, &trust), Verdict::Allow);
    let protected = call(
        "write",
        json!({"command": "create", "path": ".kiro/agents/x.json", "content": ""}),
    );
    assert_eq!(
        verdict(&f, &protected, &trust),
        Verdict::Ask,
        "protected paths are never written unasked"
    );
    assert!(f.policy.trust_options(&protected).is_empty());
}

#[test]
fn path_and_folder_options_cover_what_they_say() {
    let f = Fixture::new(REFACTOR_BOT);
    let outside = call(
        "write",
        json!({"command": "create", "path": "docs/guide/a.md", "content": "x"}),
    );
    assert_eq!(verdict(&f, &outside, &Trust::default()), Verdict::Ask);
    let options = f.policy.trust_options(&outside);
    let breadths: Vec<Breadth> = options.iter().map(|o| o.breadth).collect();
    assert_eq!(
        breadths,
        vec![Breadth::Path, Breadth::Folder],
        "the whole tool is not offered: the write fence would still ask"
    );
    let path = trusting(&option(&options, Breadth::Path).grants);
    assert_eq!(verdict(&f, &outside, &path), Verdict::Allow);
    let sibling = call(
        "write",
        json!({"command": "create", "path": "docs/guide/b.md", "content": "x"}),
    );
    assert_eq!(verdict(&f, &sibling, &path), Verdict::Ask);
    let folder = trusting(&option(&options, Breadth::Folder).grants);
    assert_eq!(verdict(&f, &sibling, &folder), Verdict::Allow);
    assert_eq!(
        verdict(
            &f,
            &call(
                "write",
                json!({"command": "create", "path": "docs/other.md", "content": "x"})
            ),
            &folder
        ),
        Verdict::Ask,
        "the folder's parent is not covered"
    );
    assert_eq!(
        verdict(&f, &shell("echo x > docs/guide/c.md"), &folder),
        Verdict::Ask,
        "a write grant does not reach the shell's redirections"
    );
}

#[test]
fn the_whole_tool_is_offered_when_trusting_it_would_help() {
    let f = Fixture::new(r#"{"tools": ["shell", "write"]}"#);
    let options = f.policy.trust_options(&shell("make test"));
    let tool = option(&options, Breadth::Tool);
    assert_eq!(tool.grants, vec![Grant::Tool("shell".into())]);
    let trust = trusting(&tool.grants);
    assert_eq!(trust.tools, vec!["shell".to_string()]);
    assert_eq!(verdict(&f, &shell("make install"), &trust), Verdict::Allow);
    assert!(
        f.policy.trust_options(&shell("eval \"$X\"")).is_empty(),
        "what cannot be judged statically is never trusted"
    );
    assert!(
        f.policy
            .trust_options(&shell("sudo make install"))
            .is_empty(),
        "sudo always asks"
    );
}

#[test]
fn a_line_of_several_commands_trusts_only_those_that_asked() {
    let f = Fixture::new(REFACTOR_BOT);
    let line = shell("python -m pytest -q && make lint");
    let options = f.policy.trust_options(&line);
    assert_eq!(
        option(&options, Breadth::Command).grants,
        vec![Grant::Command("make lint".into())],
        "python is already inside the fence"
    );
}
