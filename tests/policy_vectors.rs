//! Every case of `shared/reference/policy-test-vectors.md`, as a test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod policy_support;

use agent::policy::{Mode, Trust, Verdict};
use policy_support::{Fixture, expect_all, expect_never_allowed};
use serde_json::json;

fn allows(fixture: &Fixture, tool: &str) -> bool {
    fixture.decide(tool, json!({})).verdict() == Verdict::Allow
}

#[test]
fn allowed_tools_fs_star_and_at_git() {
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["fs_*", "@git"]}"#);
    let read = f.decide("read", json!({"path": "src/a.rs"}));
    assert_eq!(read.verdict(), Verdict::Allow, "{}", read.to_json());
    assert!(!allows(&f, "@x/fs_read"));
    assert!(allows(&f, "@git/status"));
    assert!(!allows(&f, "@x/git"));
    assert_ne!(f.shell("unknown"), Verdict::Allow);
}

#[test]
fn allowed_tools_server_globs() {
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["@*quip*", "@git/read_*"]}"#);
    assert!(allows(&f, "@quip-server/anything"));
    assert!(allows(&f, "@git/read_file"));
    assert!(!allows(&f, "@git/write_file"));
}

#[test]
fn builtin_namespace_and_aliases() {
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["@builtin"]}"#);
    assert_eq!(f.read("src/a"), Verdict::Allow);
    assert!(!allows(&f, "@s/t"));
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["@builtin/fs_read"]}"#);
    assert_eq!(f.read("src/a"), Verdict::Allow);
    assert_eq!(f.write("src/a"), Verdict::Ask);
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["@builtin/fs_*"]}"#);
    assert_eq!(f.write("src/a"), Verdict::Allow);
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["fs_?ead"]}"#);
    assert_eq!(f.read("src/a"), Verdict::Allow);
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["@mcp-server/*"]}"#);
    assert!(!allows(&f, "@other-server/tool"));
    let f = Fixture::new(r#"{"tools": ["*"], "allowedTools": ["fs_write"]}"#);
    assert_eq!(f.write("src/a"), Verdict::Allow);
}

const KIRO_SHELL: &str = r#"{"tools": ["shell"], "toolsSettings": {"shell": {
    "allowedCommands": ["allow_wild_card .*", "allow_exact"], "deniedCommands": ["git .*"]}}}"#;

#[test]
fn kiro_shell_semantics() {
    let f = Fixture::new(KIRO_SHELL);
    assert_eq!(f.shell("git status"), Verdict::Deny);
    assert_eq!(f.shell("unknown"), Verdict::Ask);
    assert_eq!(f.shell("allow_wild_card some_arg"), Verdict::Allow);
    assert_eq!(f.shell("allow_exact some_arg"), Verdict::Ask);
    assert_eq!(f.shell("allow_exact"), Verdict::Allow);
}

#[test]
fn kiro_shell_semantics_with_shell_in_allowed_tools() {
    let f = Fixture::new(
        r#"{"tools": ["shell"], "allowedTools": ["shell"], "toolsSettings": {"shell": {"deniedCommands": ["git .*"]}}}"#,
    );
    assert_eq!(f.shell("unknown"), Verdict::Allow);
    assert_eq!(f.shell("git status"), Verdict::Deny);
}

#[test]
fn deny_by_default() {
    let f = Fixture::new(
        r#"{"tools": ["shell"], "toolsSettings": {"shell": {"allowedCommands": ["ls"], "denyByDefault": true}}}"#,
    );
    assert_eq!(f.shell("ls"), Verdict::Allow);
    assert_eq!(f.shell("pwd"), Verdict::Deny);
}

#[test]
fn exact_commands_are_anchored() {
    let f = Fixture::new(
        r#"{"tools": ["shell"], "toolsSettings": {"shell": {"allowedCommands":
            ["git status", "root", "command subcommand a=[0-9]{10} b=[0-9]{10}"]}}}"#,
    );
    expect_all(
        &f,
        &[
            "root",
            "git status",
            "command subcommand a=0123456789 b=0123456789",
        ],
        Verdict::Allow,
    );
    expect_all(
        &f,
        &[
            "root subcommand",
            "git",
            "command subcommand a=0123456789 b=012345678",
            "git status --porcelain",
        ],
        Verdict::Ask,
    );
}

const FURTHER: &str = r#"{"tools": ["shell"], "toolsSettings": {"shell": {
    "allowedCommands": ["python .*", "ls.*", "git status"],
    "deniedCommands": ["rm .*", "git push.*", "curl.*"],
    "autoAllowReadonly": true}}}"#;

#[test]
fn a_denied_program_anywhere_is_denied() {
    let f = Fixture::new(FURTHER);
    expect_all(
        &f,
        &[
            "true && rm -rf build",
            "ls; rm -rf build",
            "ls | xargs rm -rf",
            "(rm -rf build)",
            "{ rm -rf build; }",
            "ls $(rm -rf build)",
            "ls `rm -rf build`",
            "cat <(rm -rf build)",
            "/bin/rm -rf build",
            "/usr/bin/rm -rf build",
            "command rm -rf build",
            "env rm -rf build",
            "FOO=1 rm -rf build",
            "nice -n 5 rm -rf build",
            "timeout 5 rm -rf build",
            "bash -c 'rm -rf build'",
            "sh -c \"git push origin main\"",
            "r''m -rf build",
            "\\rm -rf build",
            "\"rm\" -rf build",
            "python -m pytest -q && git push origin main",
            "ls\nls -la\nrm -rf build",
        ],
        Verdict::Deny,
    );
}

#[test]
fn what_cannot_be_judged_is_never_allowed_unasked() {
    let f = Fixture::new(FURTHER);
    let opaque = [
        "eval \"r\"\"m -rf build\"",
        "X=rm; $X -rf build",
        "echo cm0gLXJmIGJ1aWxk | base64 -d | sh",
        "sh script.sh",
        "bash script.sh",
        "source script.sh",
        ". script.sh",
    ];
    expect_never_allowed(&f, &opaque);
    for command in opaque {
        assert_eq!(f.shell_unattended(command), Verdict::Deny, "{command}");
    }
}

#[test]
fn no_false_alarms() {
    let f = Fixture::new(FURTHER);
    expect_all(
        &f,
        &[
            "ls -la",
            "ls src | head -n 5",
            "python -m pytest -q",
            "python -m pytest -q 2>&1",
            "git status",
            "ls && python -m pytest -q",
        ],
        Verdict::Allow,
    );
}

const READONLY: &str = r#"{"tools": ["shell"], "toolsSettings": {"shell": {"autoAllowReadonly": true},
    "read": {"deniedPaths": ["~/.ssh", "~/.aws/credentials"]}}}"#;

#[test]
fn read_only_commands_run_unasked() {
    let f = Fixture::new(READONLY);
    expect_all(
        &f,
        &[
            "ls ~",
            "pwd",
            "echo 'Hello, world!'",
            "which aws",
            "find . -name '*.rs' | grep main",
            "cat file.txt | grep pattern | head -n 5",
        ],
        Verdict::Allow,
    );
}

#[test]
fn read_only_lookalikes_are_not_allowed_unasked() {
    let f = Fixture::new(READONLY);
    expect_never_allowed(
        &f,
        &[
            "echo hi > f",
            "ls -al >f",
            "cat <<< 's' > f",
            "echo f | xargs rm",
            "echo hello | sudo rm -rf /",
            "find . -exec rm {} +",
            "find . -delete",
            "find . -fls out",
            "find . -fprintf out x",
            "grep -P '(?{system(\"date\")})'",
            "grep -rP x",
            "which ls\ntouch asdf",
            "cat ~/.ssh/id_rsa",
            "cat ~/.aws/credentials",
            "git -c core.pager=sh log",
            "git -p log",
            "git --paginate log",
            "git diff --output=/tmp/x",
            "git diff --ext-diff",
            "git log --exec=x",
        ],
    );
    assert_eq!(f.shell("cat ~/.ssh/id_rsa"), Verdict::Deny);
    expect_never_allowed(
        &f,
        &[
            "cd ~ && cat .ssh/id_rsa",
            "cd /home && cat u/.aws/credentials",
            "pushd ~; head .ssh/id_rsa",
        ],
    );
}

const PATHS: &str = r#"{"tools": ["write", "read"], "allowedTools": ["write"], "toolsSettings": {"write": {
    "allowedPaths": ["src", "tests/**", "~/home_allow/", "denied_dir", "denied_dir/allowed"],
    "deniedPaths": ["denied_dir/**/*", "denied_dir"]}}}"#;

#[test]
fn path_rules() {
    let f = Fixture::new(PATHS);
    assert_eq!(f.write("src/main.rs"), Verdict::Allow);
    assert_eq!(f.write("tests/test_file"), Verdict::Allow);
    assert_eq!(f.write("~/home_allow/sub"), Verdict::Allow);
    assert_eq!(f.write("denied_dir/sub"), Verdict::Deny);
    assert_eq!(f.write("denied_dir"), Verdict::Deny);
    assert_eq!(f.write("denied_dir/allowed/hi"), Verdict::Deny);
}

#[test]
fn a_glob_deny_does_not_cover_its_folder_itself() {
    let f = Fixture::new(
        r#"{"tools": ["write"], "toolsSettings": {"write": {"deniedPaths": ["denied_dir/**/*"]}}}"#,
    );
    assert_eq!(f.write("denied_dir"), Verdict::Ask);
    assert_eq!(f.write("denied_dir/x"), Verdict::Deny);
}

const SRC_ONLY: &str = r#"{"tools": ["write"], "allowedTools": ["write"],
    "toolsSettings": {"write": {"allowedPaths": ["src/**", "**"]}}}"#;

#[test]
fn paths_are_resolved_before_matching() {
    let f = Fixture::new(
        r#"{"tools": ["write"], "allowedTools": ["write"], "toolsSettings": {"write": {"allowedPaths": ["src/**"]}}}"#,
    );
    assert_ne!(f.write("src/../.kiro/agents/a.json"), Verdict::Allow);
    assert_ne!(f.write("src/../../outside.txt"), Verdict::Allow);
    let absolute = f.workspace.join("src/x.py");
    assert_eq!(f.write(absolute.to_str().unwrap()), Verdict::Allow);
    let ssh = f.home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::os::unix::fs::symlink(&ssh, f.workspace.join("src/link")).unwrap();
    assert_ne!(f.write("src/link/authorized_keys"), Verdict::Allow);
}

#[test]
fn protected_paths_are_never_written_unasked() {
    let f = Fixture::new(SRC_ONLY);
    for path in [
        ".git/hooks/pre-commit",
        "vendor/lib/.git/config",
        ".kiro/agents/refactor-bot.json",
        ".vscode/tasks.json",
        "mcp.json",
        "x.code-workspace",
        ".kiroignore",
    ] {
        assert_eq!(f.write(path), Verdict::Ask, "{path}");
    }
    let unattended = f.decide_with(
        "write",
        json!({"command": "create", "path": ".git/hooks/pre-commit"}),
        &Trust {
            all_tools: true,
            tools: vec![],
            grants: vec![],
            read_only: false,
        },
        Mode::Unattended,
    );
    assert_eq!(unattended.verdict(), Verdict::Deny);
}
