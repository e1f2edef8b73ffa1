//! The closed-world policy against corpora nobody tuned it to: our own adversarial
//! bypass attempts (`tests/fixtures/policy/bypass.tsv`) and the public safe/unsafe command
//! cases of Codex, Gemini CLI and Amazon Q CLI (`tests/fixtures/policy/peers/`).

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
