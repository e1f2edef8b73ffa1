//! The closed-world policy against corpora nobody tuned it to: our own adversarial
//! bypass attempts (`tests/fixtures/policy/bypass.tsv`) and the public safe/unsafe command
//! cases of Codex, Gemini CLI and Amazon Q CLI (`tests/fixtures/policy/peers/`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod policy_support;

use agent::policy::Verdict;
use policy_support::Fixture;
use serde_json::json;

/// The tutorial's agent.
const TUTORIAL: &str = include_str!("../.kiro/agents/refactor-bot.json");

/// A permissive agent: the shell is trusted, a few commands are denied.
const PERMISSIVE: &str = r#"{
  "tools": ["read", "write", "shell", "glob", "grep"],
  "allowedTools": ["read", "write", "shell", "glob", "grep"],
  "toolsSettings": {
    "write": { "allowedPaths": ["**"] },
    "shell": { "deniedCommands": ["git push.*", "rm -rf /.*", "curl.*", "sudo .*"], "autoAllowReadonly": true }
  }
}"#;

/// The judge the peers' read-only cases are measured with: nothing trusted, no command
/// allowed by rule, read-only commands allowed unasked.
const READ_ONLY_JUDGE: &str =
    r#"{"tools": ["shell"], "toolsSettings": {"shell": {"autoAllowReadonly": true}}}"#;

/// A fixture whose workspace holds what the corpora's commands name.
fn fixture(agent: &str) -> Fixture {
    let f = Fixture::new(agent);
    for file in [
        "README.md",
        "src/a.py",
        "src/b.py",
        "src/x.py",
        "tests/test_a.py",
    ] {
        let path = f.workspace.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, "x = 1\n").expect("file");
    }
    f
}

/// A corpus line's command: `\n` and `\t` stand for a newline and a tab.
fn unescape(command: &str) -> String {
    command.replace("\\n", "\n").replace("\\t", "\t")
}

/// Whether `verdict` is what `expected` (allow, ask, deny, !allow) asks for.
fn meets(expected: &str, verdict: Verdict) -> bool {
    match expected {
        "allow" => verdict == Verdict::Allow,
        "ask" => verdict == Verdict::Ask,
        "deny" => verdict == Verdict::Deny,
        "!allow" => verdict != Verdict::Allow,
        other => panic!("unknown expected decision {other:?}"),
    }
}

/// The data lines of a corpus file, split at tabs.
fn rows(text: &str, columns: usize) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let row: Vec<&str> = line.splitn(columns, '\t').collect();
            assert_eq!(row.len(), columns, "malformed corpus line: {line:?}");
            row
        })
        .collect()
}

#[test]
fn every_bypass_attempt_gets_its_decision_under_both_agents() {
    let corpus = include_str!("fixtures/policy/bypass.tsv");
    let rows = rows(corpus, 4);
    let attacks = rows.iter().filter(|row| row[2] != "control-ok").count();
    assert!(attacks >= 150, "only {attacks} bypass attempts");
    let agents = [
        ("tutorial", fixture(TUTORIAL)),
        ("permissive", fixture(PERMISSIVE)),
    ];
    let mut misses = Vec::new();
    for row in &rows {
        let command = unescape(row[3]);
        for (column, (name, agent)) in agents.iter().enumerate() {
            let decision = agent.decide("shell", json!({ "command": command }));
            if !meets(row[column], decision.verdict()) {
                misses.push(format!(
                    "[{}] {name} expected {} got {}: {command:?}\n    {}",
                    row[2],
                    row[column],
                    decision.verdict(),
                    decision.to_json()
                ));
            }
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} decisions missed:\n{}",
        misses.len(),
        rows.len() * 2,
        misses.join("\n")
    );
}

/// How one peer's cases fared here.
#[derive(Default)]
struct PeerResult {
    safe: usize,
    safe_asked: Vec<String>,
    unsafe_allowed: Vec<String>,
}

/// Judges one peer's cases: every unsafe one must not be allowed (unless it is a listed,
/// explained difference); the safe ones asked about are counted.
fn judge_peer(name: &str, corpus: &str, judge: &Fixture, differences: &[&str]) -> PeerResult {
    let mut result = PeerResult::default();
    for row in rows(corpus, 3) {
        let command = unescape(row[2]).replace("\\r", "\r");
        let decision = judge.decide("shell", json!({ "command": command }));
        match (row[0], decision.verdict()) {
            ("unsafe", Verdict::Allow) if !differences.contains(&row[2]) => result
                .unsafe_allowed
                .push(format!("{name}: {command:?} ({})", row[1])),
            ("safe", verdict) => {
                result.safe += 1;
                if verdict != Verdict::Allow {
                    let reason = first_reason(&decision);
                    result
                        .safe_asked
                        .push(format!("{name}: {command:?}: {reason}"));
                }
            }
            ("unsafe", _) => {}
            (other, _) => panic!("unknown peer verdict {other:?}"),
        }
    }
    result
}

fn first_reason(decision: &agent::policy::Decision) -> String {
    let json = decision.to_json();
    let reasons = json["reasons"].as_array().cloned().unwrap_or_default();
    reasons
        .iter()
        .find(|reason| reason["verdict"] != "allow")
        .map(|reason| reason["message"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[test]
fn peers_unsafe_cases_are_never_allowed_and_few_safe_ones_are_asked() {
    let judge = fixture(READ_ONLY_JUDGE);
    let differences = include_str!("fixtures/policy/peers/differences.tsv");
    let differences: Vec<&str> = rows(differences, 3).iter().map(|row| row[1]).collect();
    let peers = [
        ("codex", include_str!("fixtures/policy/peers/codex.tsv")),
        ("gemini", include_str!("fixtures/policy/peers/gemini.tsv")),
        ("amazonq", include_str!("fixtures/policy/peers/amazonq.tsv")),
    ];
    let mut all = PeerResult::default();
    for (name, corpus) in peers {
        let mut result = judge_peer(name, corpus, &judge, &differences);
        all.safe += result.safe;
        all.safe_asked.append(&mut result.safe_asked);
        all.unsafe_allowed.append(&mut result.unsafe_allowed);
    }
    println!(
        "peers' safe cases asked about: {} of {}\n{}",
        all.safe_asked.len(),
        all.safe,
        all.safe_asked.join("\n")
    );
    assert!(
        all.unsafe_allowed.is_empty(),
        "cases a peer calls unsafe are allowed here:\n{}",
        all.unsafe_allowed.join("\n")
    );
    assert!(
        all.safe_asked.len() * 20 <= all.safe,
        "{} of {} safe cases asked (more than 5%):\n{}",
        all.safe_asked.len(),
        all.safe,
        all.safe_asked.join("\n")
    );
}

/// Long options that write or change the system, with the programs that take them and the
/// shortest prefix GNU getopt_long resolves to them.
const WRITING_LONG_OPTIONS: &[(&str, &str, usize)] = &[
    ("sort", "output", 2),
    ("sort", "compress-program", 2),
    ("date", "set", 2),
    ("git diff", "output", 1),
    ("git log", "output", 1),
    ("sed", "in-place", 1),
    ("tail", "follow", 1),
    ("diff", "paginate", 2),
];

/// Names a closed-world judge treats as harmless before a read-only command.
fn is_harmless_name(name: &str) -> bool {
    name.starts_with("LC_")
        || [
            "LANG",
            "LANGUAGE",
            "TZ",
            "NO_COLOR",
            "CLICOLOR",
            "CLICOLOR_FORCE",
            "FORCE_COLOR",
            "TERM",
            "COLUMNS",
            "LINES",
            "POSIXLY_CORRECT",
            "TIME_STYLE",
            "QUOTING_STYLE",
            "BLOCK_SIZE",
            "BLOCKSIZE",
            "DF_BLOCK_SIZE",
            "DU_BLOCK_SIZE",
            "LS_BLOCK_SIZE",
        ]
        .contains(&name)
}

/// Places where bash evaluates text as arithmetic; `{}` is the expression.
const ARITHMETIC_CONTEXTS: &[&str] = &[
    "(( {} ))",
    "echo $(( {} ))",
    "[[ {} -eq 1 ]]",
    "[[ 1 -lt {} ]]",
    "[ '{}' -eq 1 ]",
    "test 1 -ge '{}'",
    "let '{}'",
    "echo ${x:{}}",
    "echo ${x:0:{}}",
    "echo ${a[{}]}",
    "a[{}]=1",
    "[ -v 'a[{}]' ]",
    "[[ -v a[{}] ]]",
    "x='{}'; (( x ))",
    "x='{}'; echo $(( x + 1 ))",
    "declare -i n; n='{}'",
    "read 'a[{}]' <<< 1",
    "printf -v 'a[{}]' %s x",
    "unset 'a[{}]'",
    "for ((i={}; i<1; i++)); do :; done",
];

/// Arithmetic expressions that run the denied `rm`.
const RM_EXPRESSIONS: &[&str] = &[
    "a[$(rm -rf tests)]",
    "$(rm -rf tests)",
    "`rm -rf tests`",
    "b[`rm -rf tests`]+1",
    "1+c[$(rm -rf tests)]",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, failure_persistence: None, ..Default::default() })]

    #[test]
    fn an_abbreviated_writing_option_never_keeps_a_command_read_only(
        option in proptest::sample::select(WRITING_LONG_OPTIONS),
        extra in 0usize..16,
        attached in proptest::bool::ANY,
    ) {
        let (program, name, shortest) = option;
        let prefix = &name[..(shortest + extra).min(name.len())];
        let value = if attached { format!("--{prefix}=README.md") } else { format!("--{prefix} README.md") };
        let line = format!("{program} {value} src/a.py");
        let judge = fixture(READ_ONLY_JUDGE);
        proptest::prop_assert_ne!(judge.shell(&line), Verdict::Allow, "{}", line);
    }

    #[test]
    fn an_assignment_prefix_keeps_a_command_read_only_only_when_harmless(
        name in "[A-Z][A-Z_]{0,11}",
        command in proptest::sample::select(&["git diff", "ls -la", "cat README.md", "git log -n 1", "sort src/a.py"][..]),
    ) {
        let line = format!("{name}=x {command}");
        let verdict = fixture(READ_ONLY_JUDGE).shell(&line);
        if is_harmless_name(&name) {
            proptest::prop_assert_eq!(verdict, Verdict::Allow, "{}", line);
        } else {
            proptest::prop_assert_ne!(verdict, Verdict::Allow, "{}", line);
        }
    }

    #[test]
    fn a_denied_command_in_an_arithmetic_context_is_never_allowed(
        context in proptest::sample::select(ARITHMETIC_CONTEXTS),
        expression in proptest::sample::select(RM_EXPRESSIONS),
    ) {
        let line = context.replace("{}", expression);
        let tutorial = fixture(TUTORIAL);
        proptest::prop_assert_ne!(tutorial.shell(&line), Verdict::Allow, "{}", line);
        proptest::prop_assert_eq!(tutorial.shell_unattended(&line), Verdict::Deny, "{}", line);
        let permissive = fixture(PERMISSIVE);
        proptest::prop_assert_ne!(permissive.shell(&line), Verdict::Allow, "{}", line);
    }
}

/// What a week of real work reads, which a closed-world judge must still let run unasked.
const EVERYDAY_READS: &[&str] = &[
    "printenv",
    "printenv HOME",
    "echo aGVsbG8= | base64 -d",
    "base64 src/a.py",
    "numfmt --to=iec 123456789",
    "od -c README.md | head",
    "ps aux",
    "ps -ef | grep python",
    "free -h",
    "sed -n -e 1,5p src/a.py",
    "sed -n '$p' README.md",
    "cd .",
    "cd src && ls -la",
    "cd tests && cat test_a.py",
    "git status",
    "git status --short --branch",
    "git status -sb",
    "git log --oneline -n 20",
    "git log --oneline --graph --decorate --all -n 30",
    "git log -p -n 2 -- src/a.py",
    "git log --since=2.weeks --author=me --stat",
    "git diff",
    "git diff --stat",
    "git diff --cached --name-only",
    "git diff HEAD~1 -- src",
    "git diff --word-diff=color",
    "git show HEAD --stat",
    "git show HEAD:src/a.py",
    "git -C . branch --show-current",
    "git branch -a",
    "git rev-parse --abbrev-ref HEAD",
    "git ls-files | wc -l",
    "git blame -L 1,5 src/a.py",
    "git reflog -n 5",
    "PAGER= git log -n 1",
    "LC_ALL=C sort src/a.py | uniq -c",
    "TZ=UTC date +%F",
    "ls -la src/",
    "ls -d */",
    "wc -l src/*.py",
    "cat src/*.py | head -n 40",
    "head -n 20 README.md",
    "tail -n 50 README.md",
    "grep -rn TODO src",
    "grep -rn --include='*.py' import .",
    "rg -n 'def ' src",
    "find . -name '*.py' -not -path './.git/*'",
    "find src -type f -newer README.md",
    "du -sh src",
    "df -h .",
    "stat README.md",
    "file src/a.py",
    "diff -u src/a.py src/b.py",
    "cmp src/a.py src/b.py",
    "sha256sum src/*.py",
    "tree -L 2",
    "jq . package.json",
    "cut -d: -f1 README.md",
    "sort -u src/a.py",
    "tr a-z A-Z < README.md",
    "xargs -0 echo < /dev/null",
    "set -o pipefail; git log --oneline | head -n 3",
    "for f in src/*.py; do wc -l \"$f\"; done",
    "for ((i=0; i<3; i++)); do echo $i; done",
    "[ -f README.md ] && cat README.md",
    "[[ -d src ]] && ls src",
    "test -n \"$HOME\" && echo yes",
    "which python3",
    "command -v mypy",
    "type -a python",
    "uname -a",
    "whoami",
    "id -u",
    "nproc",
    "date +%s",
    "hostname",
    "echo $((1 + 2))",
    "printf '%s\\n' a b",
    "expr 1 + 2",
    "basename src/a.py .py",
    "dirname src/a.py",
    "realpath src",
    "readlink -f src",
    "seq 1 5",
    "true",
];

#[test]
fn everyday_reads_stay_read_only() {
    let judge = fixture(READ_ONLY_JUDGE);
    std::fs::write(judge.workspace.join("package.json"), "{}").expect("package.json");
    let asked: Vec<String> = EVERYDAY_READS
        .iter()
        .map(|command| {
            (
                command,
                judge.decide("shell", json!({ "command": command })),
            )
        })
        .filter(|(_, decision)| decision.verdict() != Verdict::Allow)
        .map(|(command, decision)| format!("{command:?}: {}", first_reason(&decision)))
        .collect();
    assert!(asked.is_empty(), "asked about:\n{}", asked.join("\n"));
}
