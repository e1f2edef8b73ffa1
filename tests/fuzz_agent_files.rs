//! Thousands of mutated agent files thrown at the loader: it never panics,
//! and every rejection points at a real place in the file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;

use agent::config::{Severity, validate_text};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::shipped_agent_files;

/// Fragments a mutation may splice in: JSON punctuation, wrong types,
/// unknown keys, bad regexes and globs, odd Unicode.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "null",
    "true",
    "1e999",
    "-0",
    "\"x\"",
    "\"allowed_commands\": []",
    "\"toolsSettings\": {\"bash\": {}}",
    "\"(?!x)\"",
    "\"[a\"",
    "\"@\"",
    "\"*\"",
    "\"fs_wirte\"",
    "é",
    "\u{1F600}",
    "\u{0}",
    "\n",
    "{\"a\": 1, \"a\": 2}",
    "\"file://missing.md\"",
    "[[[[[[[[",
    "\"\\u12\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, fragment: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len);
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, fragment } => {
            let at = boundary(text, at);
            format!("{}{}{}", &text[..at], FRAGMENTS[fragment], &text[at..])
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len).max(start);
            format!("{}{}", &text[..end], &text[start..])
        }
        Mutation::Truncate { at } => text[..boundary(text, at)].to_string(),
    }
}

fn check(file: &Path, text: &str) -> Result<(), TestCaseError> {
    if let Err(diagnostics) = validate_text(file, text) {
        prop_assert!(diagnostics.iter().any(|d| d.severity == Severity::Error));
        let lines = text.split('\n').count();
        for d in &diagnostics {
            prop_assert!(d.position.line >= 1 && d.position.line <= lines, "{d:?}");
            prop_assert!(d.position.column >= 1, "{d:?}");
            prop_assert!(!d.message.is_empty());
        }
    }
    Ok(())
}

#[test]
fn mutated_agent_files_never_panic_and_errors_have_positions() {
    let originals: Vec<(std::path::PathBuf, String)> = shipped_agent_files()
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect();
    let mut runner = TestRunner::new(Config {
        cases: 4000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..originals.len(), prop::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(which, mutations)| {
            let (file, original) = &originals[which];
            let text = mutations.iter().fold(original.clone(), |t, m| apply(&t, m));
            check(file, &text)
        })
        .unwrap();
}

proptest! {
    #![proptest_config(Config { cases: 1000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(Path::new("any.json"), &text)?;
    }
}
