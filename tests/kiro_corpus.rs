//! The Kiro corpus: our own agent files reproducing what people commit to
//! public repositories (`tests/fixtures/kiro-agents/`, each listing where its
//! pattern occurs), each with the outcome Kiro's strict loader gives it.
//! Every file Kiro loads loads here (warnings allowed, each at a position);
//! every file Kiro rejects is rejected here with a positioned error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::{Env, repo};

fn corpus() -> PathBuf {
    repo().join("tests/fixtures/kiro-agents")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(corpus().join("manifest.json")).expect("manifest");
    serde_json::from_str::<Vec<Value>>(&text).expect("manifest is JSON")
}

/// Every `warning:`/`error:` block names its file, line and column.
fn assert_positioned(stderr: &str, file: &str) {
    for block in stderr
        .split("\n\n")
        .filter(|b| b.starts_with("warning:") || b.starts_with("error:"))
    {
        let positioned = block.lines().any(|l| {
            l.trim_start().starts_with("--> ") && l.contains(file) && l.matches(':').count() >= 2
        });
        assert!(positioned, "not positioned in {file}:\n{block}");
    }
}

#[test]
fn every_fixture_behaves_as_kiros_loader_says() {
    let env = Env::new();
    support::copy_tree(&corpus(), &env.workspace);
    for fixture in manifest() {
        let file = fixture["file"].as_str().expect("file");
        let root = env.workspace.join(file.split('/').next().expect("root"));
        let output = env
            .std_command(&root)
            .args(["agent", "validate"])
            .arg(env.workspace.join(file))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let loads = fixture["kiro"]
            .as_str()
            .is_some_and(|k| k.starts_with("loads"));
        assert_positioned(&stderr, file);
        if loads {
            assert!(
                output.status.success(),
                "Kiro loads {file}; we did not:\n{stderr}"
            );
            for warning in fixture["warnings"].as_array().into_iter().flatten() {
                let warning = warning.as_str().expect("warning text");
                assert!(
                    stderr.contains(warning),
                    "{file}: expected a warning with `{warning}`:\n{stderr}"
                );
            }
        } else {
            assert_eq!(
                output.status.code(),
                Some(2),
                "Kiro rejects {file}; we did not:\n{stderr}"
            );
            let error = fixture["error"].as_str().expect("expected error");
            assert!(
                stderr.contains(error),
                "{file}: expected `{error}`:\n{stderr}"
            );
            assert!(stderr.contains("error:"), "{file}:\n{stderr}");
        }
    }
}

#[test]
fn strict_validation_fails_on_what_kiro_skips() {
    let env = Env::new();
    support::copy_tree(&corpus(), &env.workspace);
    let file = env
        .workspace
        .join("workspace/.kiro/agents/knowledge-base.json");
    let output = env
        .std_command(&env.workspace.join("workspace"))
        .args(["agent", "validate", "--strict"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--strict"));
}

#[test]
fn the_survey_covers_at_least_sixty_repositories() {
    let readme = std::fs::read_to_string(corpus().join("README.md")).expect("README");
    let repos: std::collections::BTreeSet<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" | ").next())
        .filter(|r| r.contains('/') && !r.contains(' '))
        .collect();
    assert!(repos.len() >= 60, "{} repositories surveyed", repos.len());
    for fixture in manifest() {
        for repo in fixture["seen_in"].as_array().into_iter().flatten() {
            let repo = repo.as_str().expect("repo");
            assert!(
                repos.contains(repo),
                "{repo} is cited but not in the survey table"
            );
        }
    }
}
