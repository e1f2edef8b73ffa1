//! `knowledge` through the real binary: a folder is indexed except what
//! the agent may not read, the file holding the phrase ranks first, an
//! update sees a change, the index is still there in a new session, and
//! the agent file's `knowledgeBase` resources are indexed on first use and
//! again when their files change (`autoUpdate`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

fn agent(env: &Env) {
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["knowledge"],
            "allowedTools": ["knowledge"],
            "toolsSettings": {"read": {"deniedPaths": ["private"]}}
        })
        .to_string(),
    );
    env.write(
        "docs/restock.md",
        "# Restock\nThe pantry restock threshold is seven jars.\n",
    );
    env.write(
        "docs/recipes.md",
        "# Recipes\nBake bread with flour, water and salt.\n",
    );
    env.write("docs/notes.txt", "Unrelated notes about gardening.\n");
    env.write(
        "private/plan.md",
        "The secret restock threshold is ninety.\n",
    );
    env.write("logo.bin", "\u{0}\u{1}\u{2}binary");
}

async fn run(env: &Env, calls: &[Value]) -> Vec<(String, bool)> {
    let mut script: Vec<_> = calls
        .iter()
        .enumerate()
        .map(|(i, input)| {
            Protocol::OpenAi.tool_calls(&[(&format!("k{i}"), "knowledge", input.clone())])
        })
        .collect();
    script.push(Protocol::OpenAi.text("done"));
    let server = ModelServer::start(script).await;
    let output = env
        .chat_stream(&server.url, &["use the knowledge base"])
        .await;
    let results: Vec<(String, bool)> = support::tool_results(&output);
    assert_eq!(
        results.len(),
        calls.len(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    results
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_is_indexed_searched_updated_and_kept() {
    let env = Env::new();
    agent(&env);
    let first = run(
        &env,
        &[
            json!({"command": "add", "name": "docs", "value": "."}),
            json!({"command": "search", "query": "restock threshold"}),
            json!({"command": "search", "query": "gardening", "limit": 1}),
        ],
    )
    .await;
    assert!(!first[0].1, "{:?}", first[0]);
    assert!(first[0].0.contains("indexed `docs`"), "{}", first[0].0);
    let (found, _) = &first[1];
    let first_hit = found.lines().next().unwrap();
    assert!(
        first_hit.contains("docs/restock.md"),
        "the file with the phrase ranks first: {found}"
    );
    assert!(found.contains("seven"), "{found}");
    assert!(
        !found.contains("ninety") && !found.contains("private/plan.md"),
        "a denied file is never indexed: {found}"
    );
    assert!(
        first[2].0.contains("notes.txt") && first[2].0.lines().count() == 2,
        "{}",
        first[2].0
    );

    env.write(
        "docs/recipes.md",
        "# Recipes\nThe sourdough starter needs feeding daily.\n",
    );
    let second = run(
        &env,
        &[
            json!({"command": "show"}),
            json!({"command": "search", "query": "sourdough"}),
            json!({"command": "update", "name": "docs", "path": "docs"}),
            json!({"command": "search", "query": "sourdough"}),
            json!({"command": "remove", "name": "docs"}),
            json!({"command": "search", "query": "restock"}),
        ],
    )
    .await;
    assert!(
        second[0].0.starts_with("docs ("),
        "kept across sessions: {}",
        second[0].0
    );
    assert!(
        second[1]
            .0
            .contains("nothing in the knowledge bases matches"),
        "not yet re-indexed: {}",
        second[1].0
    );
    assert!(second[2].0.contains("re-indexed `docs`"), "{}", second[2].0);
    assert!(second[3].0.contains("docs/recipes.md"), "{}", second[3].0);
    assert!(
        second[5]
            .0
            .contains("nothing in the knowledge bases matches"),
        "{}",
        second[5].0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_denied_folder_is_refused() {
    let env = Env::new();
    agent(&env);
    let got = run(
        &env,
        &[json!({"command": "add", "name": "p", "value": "private"})],
    )
    .await;
    assert!(got[0].1 && got[0].0.contains("deniedPaths"), "{:?}", got[0]);
}

/// The agent file with `bases` as its `knowledgeBase` resources.
fn agent_with_bases(env: &Env, bases: Value) {
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["knowledge"],
            "allowedTools": ["knowledge"],
            "toolsSettings": {"read": {"deniedPaths": ["docs/private.md"]}},
            "resources": bases
        })
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn knowledge_base_resources_are_indexed_on_first_use_and_kept_fresh() {
    let env = Env::new();
    env.write(
        "docs/restock.md",
        "The pantry restock threshold is seven jars.\n",
    );
    env.write("docs/draft.txt", "A draft about the restock threshold.\n");
    env.write(
        "docs/private.md",
        "The secret restock threshold is ninety.\n",
    );
    let base = |auto_update: bool| {
        json!([{"type": "knowledgeBase", "source": "file://docs", "name": "pantry-docs",
                "include": ["**/*.md"], "autoUpdate": auto_update}])
    };
    agent_with_bases(&env, base(true));
    let first = run(
        &env,
        &[
            json!({"command": "search", "query": "restock threshold"}),
            json!({"command": "show"}),
        ],
    )
    .await;
    let (found, failed) = &first[0];
    assert!(!failed, "{found}");
    assert!(
        found.starts_with("indexed knowledge base `pantry-docs` from the agent file: 1 item(s)"),
        "indexed on first use, `include` and `deniedPaths` applied: {found}"
    );
    assert!(found.contains("docs/restock.md"), "{found}");
    assert!(
        !found.contains("draft.txt") && !found.contains("ninety"),
        "{found}"
    );
    assert!(
        !first[1].0.contains("indexed knowledge base"),
        "once a session: {}",
        first[1].0
    );

    let unchanged = run(&env, &[json!({"command": "search", "query": "restock"})]).await;
    assert!(
        !unchanged[0].0.contains("indexed knowledge base"),
        "nothing changed, nothing re-indexed: {}",
        unchanged[0].0
    );

    env.write(
        "docs/rotation.md",
        "Rotate the oldest sourdough jars first.\n",
    );
    let changed = run(&env, &[json!({"command": "search", "query": "sourdough"})]).await;
    assert!(
        changed[0]
            .0
            .starts_with("indexed knowledge base `pantry-docs` from the agent file: 2 item(s)")
            && changed[0].0.contains("docs/rotation.md"),
        "autoUpdate re-indexes changed files: {}",
        changed[0].0
    );

    agent_with_bases(&env, json!([]));
    let removed = run(&env, &[json!({"command": "show"})]).await;
    assert!(
        removed[0]
            .0
            .contains("removed 1 knowledge base(s) the agent file no longer has")
            && removed[0].0.contains("no knowledge contexts yet"),
        "{}",
        removed[0].0
    );
}
