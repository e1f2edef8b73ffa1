//! How long a streamed token takes from the model server's socket to the
//! screen of the real binary running in tmux. It measures and prints; it
//! asserts nothing about time, so it is ignored by default:
//! `cargo test --release --test tui_latency -- --ignored --nocapture`
//! (`scripts/bench-tui.sh` runs it). The figure is an upper bound: it also
//! holds tmux's own handling of the output and one `capture-pane` call.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::json;
use support::Env;
use support::model_server::{openai_delta, openai_stream};

/// Tokens streamed, and the pause before each.
const TOKENS: usize = 40;
const GAP: Duration = Duration::from_millis(150);

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Serves one reply whose tokens arrive `GAP` apart, noting when each is
/// handed to the connection.
async fn serve(sent: Arc<Mutex<Vec<Instant>>>) -> String {
    let handler = move || {
        let sent = sent.clone();
        async move {
            let mut deltas: Vec<_> = (0..TOKENS)
                .map(|i| openai_delta(json!({"content": format!("tok{i:02} ")}), None))
                .collect();
            deltas.push(openai_delta(json!({}), Some("stop")));
            let chunks = openai_stream(&deltas);
            let stream = futures::stream::unfold(
                (chunks.into_iter(), 0usize),
                move |(mut chunks, index)| {
                    let sent = sent.clone();
                    async move {
                        let chunk = chunks.next()?;
                        if index < TOKENS {
                            tokio::time::sleep(GAP).await;
                            sent.lock().unwrap().push(Instant::now());
                        }
                        Some((
                            Ok::<_, std::io::Error>(Bytes::from(chunk)),
                            (chunks, index + 1),
                        ))
                    }
                },
            );
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    };
    let app = Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a test: run with --ignored --nocapture"]
async fn token_to_screen_latency() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("skipped: tmux is not installed");
        return;
    }
    let env = Env::new();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let url = serve(sent.clone()).await;
    let socket = format!("agent-tui-latency-{}", std::process::id());
    let command = format!(
        "cd {} && exec env -i HOME={} AGENT_HOME={} PATH={} TERM=xterm-256color OPENAI_BASE_URL={url}/v1 {} chat --model openai/scripted",
        quoted(&env.workspace),
        quoted(&env.home),
        quoted(&env.agent_home),
        quoted(Path::new(&std::env::var("PATH").unwrap_or_default())),
        quoted(&assert_cmd::cargo::cargo_bin("agent")),
    );
    let seen = tokio::task::spawn_blocking(move || {
        let tmux = |args: &[&str]| {
            let out = Command::new("tmux")
                .args(["-L", &socket])
                .args(args)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            &command,
        ]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !tmux(&["capture-pane", "-p", "-t", "t"]).contains("lists commands") {
            assert!(Instant::now() < deadline, "the UI did not start");
        }
        tmux(&["send-keys", "-t", "t", "-l", "stream please"]);
        tmux(&["send-keys", "-t", "t", "Enter"]);
        let mut seen = Vec::new();
        let deadline = Instant::now() + GAP * (TOKENS as u32 + 20);
        while seen.len() < TOKENS && Instant::now() < deadline {
            let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
            while seen.len() < TOKENS && screen.contains(&format!("tok{:02}", seen.len())) {
                seen.push(Instant::now());
            }
        }
        tmux(&["kill-server"]);
        seen
    })
    .await
    .unwrap();
    let sent = sent.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .zip(&seen)
        .map(|(sent, seen)| seen.saturating_duration_since(*sent))
        .collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "{} tokens: socket to screen min {:?}, median {:?}, 90th percentile {:?}, max {:?}",
        latencies.len(),
        at(0.0),
        at(0.5),
        at(0.9),
        at(1.0)
    );
}
