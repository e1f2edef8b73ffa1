//! The shell tool's environment scrubbing. Its own test binary, with one
//! test, because it sets process environment variables.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::Path;

use agent::policy::paths::Roots;
use agent::sandbox::Sandbox;
use agent::tools::{ToolContext, shell};
use serde_json::json;

#[test]
fn secrets_are_not_passed_unless_the_agent_names_them() {
    // SAFETY: this test binary runs this single test, so no other thread
    // reads the environment while it is changed.
    unsafe {
        std::env::set_var("AGENT_TEST_API_TOKEN", "sk-secret");
        std::env::set_var("AGENT_TEST_PLAIN", "visible");
    }
    let context = |passthrough: Vec<String>| ToolContext {
        roots: Roots::new(Path::new("/"), None),
        env_passthrough: passthrough,
        cancel: agent::tools::Cancel::default(),
        sandbox: Sandbox::off(),
        session: Default::default(),
        hidden: Default::default(),
        code_index: None,
    };
    let input = json!({"command": "env"});
    let scrubbed = shell::run(&input, &context(Vec::new()));
    assert!(
        scrubbed.text.contains("AGENT_TEST_PLAIN=visible"),
        "{}",
        scrubbed.text
    );
    assert!(!scrubbed.text.contains("sk-secret"), "{}", scrubbed.text);
    let named = shell::run(&input, &context(vec!["AGENT_TEST_API_TOKEN".into()]));
    assert!(named.text.contains("AGENT_TEST_API_TOKEN=sk-secret"));
}
