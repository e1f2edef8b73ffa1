//! Decision time per shell command over the policy test-vector corpus,
//! parse included, beside the obvious alternative: Kiro CLI's whole-string
//! regex match (fast, and blind to `true && rm -rf x`).
//!
//! `cargo bench --bench policy` prints criterion's figures and, at the end,
//! the median time per decision of each and their ratio.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::Path;
use std::time::{Duration, Instant};

use agent::config::validate_text;
use agent::policy::{Mode, Policy, ToolCall, Trust};
use criterion::{Criterion, criterion_group, criterion_main};
use regex::Regex;
use serde_json::json;

const AGENT: &str = r#"{"name": "bench", "tools": ["shell", "write"], "toolsSettings": {
  "write": {"allowedPaths": ["src/**", "tests/**"]},
  "shell": {"allowedCommands": ["python .*", "ls.*", "git status", "mypy .*"],
            "deniedCommands": ["rm .*", "git push.*", "curl.*"], "autoAllowReadonly": true}}}"#;

const CORPUS: &[&str] = &[
    "git status",
    "ls -la",
    "ls src | head -n 5",
    "python -m pytest -q",
    "python -m pytest -q 2>&1",
    "ls && python -m pytest -q",
    "true && rm -rf build",
    "ls; rm -rf build",
    "ls | xargs rm -rf",
    "(rm -rf build)",
    "{ rm -rf build; }",
    "ls $(rm -rf build)",
    "ls `rm -rf build`",
    "cat <(rm -rf build)",
    "/bin/rm -rf build",
    "command rm -rf build",
    "env rm -rf build",
    "FOO=1 rm -rf build",
    "nice -n 5 rm -rf build",
    "timeout 5 rm -rf build",
    "bash -c 'rm -rf build'",
    "sh -c \"git push origin main\"",
    "r''m -rf build",
    "\\rm -rf build",
    "python -m pytest -q && git push origin main",
    "eval \"r\"\"m -rf build\"",
    "X=rm; $X -rf build",
    "echo cm0gLXJmIGJ1aWxk | base64 -d | sh",
    "echo 'Hello, world!'",
    "which aws",
    "find . -name '*.rs' | grep main",
    "cat file.txt | grep pattern | head -n 5",
    "echo hi > f",
    "find . -exec rm {} +",
    "grep -rP x",
    "mypy src",
    "python x.py > src/out.txt",
    "cat ~/.a?s/credentials",
    "cd src && cat a.py",
    "sort --out=README.md src/x.py",
    "[ -v 'a[$(rm -rf tests)]' ]",
    "for ((i=0; i<3; i++)); do echo $i; done",
    "git -C . log --oneline -n 5",
    "BASH_CMDS[ls]=/bin/rm; ls -rf tests",
    "echo pwned > /dev/fd/../cwd/README.md",
];

fn policy() -> Policy {
    let config = validate_text(Path::new("bench.json"), AGENT)
        .expect("valid bench agent")
        .config;
    Policy::new(
        config,
        Path::new("/tmp/bench-workspace"),
        Some(Path::new("/tmp/bench-home")),
    )
}

fn calls() -> Vec<ToolCall> {
    CORPUS
        .iter()
        .map(|c| ToolCall {
            tool: "shell".into(),
            input: json!({ "command": c }),
        })
        .collect()
}

/// Kiro CLI's check: each regex, anchored, against the raw string.
fn whole_string(allow: &[Regex], deny: &[Regex], line: &str) -> u8 {
    if deny.iter().any(|r| r.is_match(line)) {
        2
    } else if allow.iter().any(|r| r.is_match(line)) {
        0
    } else {
        1
    }
}

fn regexes(list: &[&str]) -> Vec<Regex> {
    list.iter()
        .map(|p| Regex::new(&format!(r"\A(?:{p})\z")).expect("regex"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let policy = policy();
    let calls = calls();
    let trust = Trust::default();
    let allow = regexes(&["python .*", "ls.*", "git status", "mypy .*"]);
    let deny = regexes(&["rm .*", "git push.*", "curl.*"]);
    let mut group = c.benchmark_group("shell decision (whole corpus)");
    group.bench_function("agent policy", |b| {
        b.iter(|| {
            calls
                .iter()
                .map(|call| policy.decide(call, &trust, Mode::Unattended).verdict() as u8)
                .sum::<u8>()
        })
    });
    group.bench_function("whole-string regex (Kiro)", |b| {
        b.iter(|| {
            CORPUS
                .iter()
                .map(|line| whole_string(&allow, &deny, line))
                .sum::<u8>()
        })
    });
    group.finish();
    let ours = median_per_decision(|| {
        for call in &calls {
            std::hint::black_box(policy.decide(call, &trust, Mode::Unattended));
        }
    });
    let theirs = median_per_decision(|| {
        for line in CORPUS {
            std::hint::black_box(whole_string(&allow, &deny, line));
        }
    });
    println!(
        "\nmedian per shell decision: agent policy {:.2} µs, whole-string regex {:.3} µs, ratio {:.0}x ({} commands)",
        ours.as_secs_f64() * 1e6,
        theirs.as_secs_f64() * 1e6,
        ours.as_secs_f64() / theirs.as_secs_f64(),
        CORPUS.len()
    );
}

/// The median, over 200 passes, of one pass over the corpus divided by its size.
fn median_per_decision(mut pass: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| {
            let start = Instant::now();
            pass();
            start.elapsed() / CORPUS.len() as u32
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

criterion_group!(benches, bench);
criterion_main!(benches);
