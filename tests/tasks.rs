//! The benchmark's tasks (`examples/tasks/`): each names its checks in its
//! `goal` file, and at least one of them fails before any work, so a goal
//! on it can only be met by real progress.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::process::Command;

use support::repo;

/// The `--check '…'` commands of a goal line.
fn checks(goal: &str) -> Vec<String> {
    goal.split("--check '")
        .skip(1)
        .filter_map(|rest| rest.split_once('\'').map(|(check, _)| check.to_string()))
        .collect()
}

fn python_tools_available() -> bool {
    let found = Command::new("python")
        .args(["-m", "pytest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var("CI").is_err(),
        "python with pytest and mypy is needed (.ci/run installs them)"
    );
    found
}

#[test]
fn there_are_ten_tasks_and_each_has_a_check_that_fails_first() {
    if !python_tools_available() {
        eprintln!("skipped: python with pytest is not installed");
        return;
    }
    let tasks_dir = repo().join("examples/tasks");
    let mut tasks: Vec<_> = std::fs::read_dir(&tasks_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    tasks.sort();
    assert!(tasks.len() >= 10, "{tasks:?}");
    for task in tasks {
        let goal = std::fs::read_to_string(task.join("goal")).unwrap();
        let commands = checks(&goal);
        assert!(!commands.is_empty(), "{}: no --check", task.display());
        let copy = tempfile::tempdir().unwrap();
        support::copy_tree(&task, copy.path());
        let failing = commands.iter().filter(|check| {
            !Command::new("bash")
                .args(["-c", check])
                .current_dir(copy.path())
                .output()
                .unwrap()
                .status
                .success()
        });
        assert!(
            failing.count() > 0,
            "{}: every check passes before any work",
            task.display()
        );
    }
}
