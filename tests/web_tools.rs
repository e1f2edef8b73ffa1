//! `web_fetch` and `web_search` through the real binary, against HTTP
//! servers the test starts on 127.0.0.1: trusted and blocked URLs, a
//! redirect to a blocked URL and one to another site, internal addresses
//! (written, and behind a name), an oversized body, a slow server, and a
//! scripted SearXNG backend; with no backend configured the model is told
//! so and the turn goes on.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::net::ToSocketAddrs;
use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

/// A small web site: pages, redirects, a big body, a slow answer, and a
/// SearXNG-style search API.
async fn site() -> String {
    let app = Router::new()
        .route(
            "/page",
            get(|| async {
                Html("<html><head><script>alert(1)</script></head><body><h1>Pantry docs</h1><p>The <b>pricing</b> table.</p></body></html>")
            }),
        )
        .route("/secret/key", get(|| async { "SECRET-BODY" }))
        .route("/to-secret", get(|| async { Redirect::temporary("/secret/key") }))
        .route("/to-page", get(|| async { Redirect::temporary("/page") }))
        .route(
            "/to-metadata",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        )
        .route(
            "/big",
            get(|| async { "x".repeat(5 * 1024 * 1024) }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/search",
            get(|Query(q): Query<std::collections::HashMap<String, String>>| async move {
                let query = q.get("q").cloned().unwrap_or_default();
                axum::Json(json!({"results": [
                    {"title": format!("About {query}"), "url": "https://example.org/a", "content": "first hit"},
                    {"title": "Other", "url": "https://example.org/b", "content": "second hit"}
                ]}))
                .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn agent(env: &Env, site: &str, allowed: bool) {
    let port = site.rsplit(':').next().unwrap();
    let allowed_tools: Vec<&str> = if allowed {
        vec!["web_fetch", "web_search"]
    } else {
        vec![]
    };
    env.write(
        ".kiro/agents/bot.json",
        &json!({
            "name": "bot",
            "tools": ["web_fetch", "web_search"],
            "allowedTools": allowed_tools,
            "toolsSettings": {"web_fetch": {
                "trusted": [format!(r"http://127\.0\.0\.1:{port}/.*")],
                "blocked": [r".*/secret/.*"]
            }}
        })
        .to_string(),
    );
}

/// The results of `calls` made one per turn step, as the model got them.
async fn run(env: &Env, calls: Vec<(&str, Value)>) -> Vec<(String, bool)> {
    let count = calls.len();
    let mut script: Vec<_> = calls
        .iter()
        .enumerate()
        .map(|(i, (tool, input))| {
            Protocol::OpenAi.tool_calls(&[(&format!("c{i}"), tool, input.clone())])
        })
        .collect();
    script.push(Protocol::OpenAi.text("done"));
    let server = ModelServer::start(script).await;
    let output = env.chat_stream(&server.url, &["fetch things"]).await;
    let results = support::tool_results(&output);
    assert_eq!(
        results.len(),
        count,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    results
}

#[tokio::test(flavor = "multi_thread")]
async fn fetches_follow_the_url_rules() {
    let site = site().await;
    let env = Env::new();
    agent(&env, &site, false);
    let port = site.rsplit(':').next().unwrap();
    let results = run(
        &env,
        vec![
            (
                "web_fetch",
                json!({"url": format!("{site}/page"), "mode": "full"}),
            ),
            ("web_fetch", json!({"url": format!("{site}/secret/key")})),
            ("web_fetch", json!({"url": format!("{site}/to-secret")})),
            (
                "web_fetch",
                json!({"url": format!("{site}/to-page"), "search_terms": "pricing"}),
            ),
            (
                "web_fetch",
                json!({"url": format!("http://localhost:{port}/page")}),
            ),
            ("web_fetch", json!({"url": "https://example.com/"})),
            (
                "web_fetch",
                json!({"url": format!("{site}/big"), "mode": "full"}),
            ),
            ("web_fetch", json!({"url": "file:///etc/passwd"})),
            ("web_fetch", json!({"url": format!("{site}/to-metadata")})),
        ],
    )
    .await;
    let (page, failed) = &results[0];
    assert!(
        !failed && page.contains("# Pantry docs") && page.contains("**pricing**"),
        "{page}"
    );
    assert!(!page.contains("alert(1)"), "scripts are dropped: {page}");
    assert!(
        results[1].1 && results[1].0.contains("web_fetch.blocked"),
        "{:?}",
        results[1]
    );
    assert!(
        results[2].1
            && results[2]
                .0
                .contains("matches `web_fetch.blocked`; not followed"),
        "{:?}",
        results[2]
    );
    assert!(!results[2].0.contains("SECRET-BODY"));
    assert!(
        !results[3].1 && results[3].0.contains("pricing"),
        "same-site redirect: {:?}",
        results[3]
    );
    assert!(
        results[4].1 && results[4].0.contains("is this machine"),
        "localhost needs a trusted pattern naming it: {:?}",
        results[4]
    );
    assert!(
        results[5].1 && results[5].0.contains("nobody can be asked"),
        "untrusted and unattended: {:?}",
        results[5]
    );
    let (big, failed) = &results[6];
    assert!(
        !failed && big.contains("cut at 4 MiB"),
        "{}",
        &big[big.len().saturating_sub(200)..]
    );
    assert!(
        results[7].1 && results[7].0.contains("only http and https"),
        "{:?}",
        results[7]
    );
    let (metadata, failed) = &results[8];
    assert!(
        *failed && metadata.contains("169.254.169.254") && metadata.contains("not followed"),
        "a trusted site cannot redirect to the metadata address: {metadata}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_resolves_inside_is_refused_even_when_the_tool_is_allowed() {
    let site = site().await;
    let env = Env::new();
    agent(&env, &site, true);
    let port = site.rsplit(':').next().unwrap();
    let host = String::from_utf8(
        std::process::Command::new("hostname")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let internal = (host.as_str(), 80).to_socket_addrs().is_ok_and(|mut a| {
        a.any(|a| {
            a.ip().is_loopback() || matches!(a.ip(), std::net::IpAddr::V4(v4) if v4.is_private())
        })
    });
    let results = run(
        &env,
        vec![(
            "web_fetch",
            json!({"url": format!("http://{host}:{port}/page")}),
        )],
    )
    .await;
    let (text, failed) = &results[0];
    assert!(*failed, "{text}");
    if internal {
        assert!(text.contains("internal address"), "{text}");
    } else {
        eprintln!("note: `{host}` does not resolve to an internal address here: {text}");
    }
    assert!(!text.contains("Pantry docs"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_times_out_as_the_settings_say() {
    let site = site().await;
    let env = Env::new();
    agent(&env, &site, false);
    let set = env
        .agent()
        .args(["settings", "web.fetchTimeoutSecs", "1"])
        .output()
        .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let started = std::time::Instant::now();
    let results = run(
        &env,
        vec![("web_fetch", json!({"url": format!("{site}/slow")}))],
    )
    .await;
    assert!(
        results[0].1 && results[0].0.contains("fetching"),
        "{:?}",
        results[0]
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait for the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_goes_to_the_configured_backend_or_says_there_is_none() {
    let site = site().await;
    let env = Env::new();
    agent(&env, &site, true);
    let none = run(&env, vec![("web_search", json!({"query": "pantry"}))]).await;
    assert!(
        !none[0].1 && none[0].0.contains("not configured"),
        "{:?}",
        none[0]
    );
    let provider = format!("searxng:{site}");
    let set = env
        .agent()
        .args(["settings", "web.searchProvider", &provider])
        .output()
        .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let found = run(&env, vec![("web_search", json!({"query": "pantry"}))]).await;
    assert_eq!(
        found[0].0,
        "1. About pantry\n   https://example.org/a\n   first hit\n2. Other\n   https://example.org/b\n   second hit"
    );
}
