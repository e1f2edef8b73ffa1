//! Frame time of the terminal UI, the part of a token's way to the screen
//! that the UI controls: the event loop wakes on the token at once, draws
//! when at least `MIN_FRAME` (4 ms) has passed since the last frame, and a
//! frame costs what is measured here. The screen is an 80×24 (and 40×24)
//! test backend behind a long transcript (a hundred turns of Markdown,
//! tool cards and diffs).
//!
//! `cargo bench --bench tui` prints criterion's figures and, at the end,
//! the median of each case.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::PathBuf;
use std::time::{Duration, Instant};

use agent::engine::{Caller, Event, Steering};
use agent::policy::Verdict;
use agent::ui::tui::app::{App, Status};
use agent::ui::tui::input::Editor;
use agent::ui::tui::render;
use agent::ui::tui::theme::Theme;
use agent::ui::tui::transcript::Entry;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const ANSWER: &str = "## Plan\n\nThe module keeps **stock** per item; `add_item` adds and `remove_item` takes away.\n\n- add type hints to every function\n- run `python -m pytest -q` and `mypy src`\n\n```python\ndef add_item(name: str, count: int) -> None:  # public\n    stock[name] = stock.get(name, 0) + count\n```\n";

const DIFF: &str = "changed src/inventory.py\n--- a/src/inventory.py\n+++ b/src/inventory.py\n@@ -1,3 +1,3 @@\n stock = {}\n-def add_item(name, count):\n+def add_item(name: str, count: int) -> None:\n     stock[name] = stock.get(name, 0) + count\n";

/// An app with a hundred finished turns.
fn long_session() -> App {
    let status = Status {
        agent: "refactor-bot".into(),
        model: "anthropic/claude-sonnet-4".into(),
        workspace: "~/kiro-autorun".into(),
        checkpoint: Some("100".into()),
        context_percent: Some(40),
        sandbox: "n/a".into(),
        goal: None,
        supervised: false,
    };
    let editor = Editor::new(Vec::new(), PathBuf::from("/nonexistent"), Vec::new());
    let mut app = App::new(Theme::dark(), status, editor, Steering::default());
    for turn in 0..100 {
        app.push(Entry::User(format!("turn {turn}: add type hints")));
        app.apply(Event::TextDelta {
            text: ANSWER.into(),
        });
        let id = format!("c{turn}");
        app.apply(Event::ToolCall {
            id: id.clone(),
            caller: Caller::Model,
            tool: "write".into(),
            input: json!({"command": "str_replace", "path": "src/inventory.py"}),
            decision: Verdict::Allow,
            reasons: Vec::new(),
        });
        app.apply(Event::ToolResult {
            id,
            output: DIFF.into(),
            is_error: false,
            exit_code: None,
        });
    }
    app.push(Entry::User("and now the README".into()));
    app.set_working(true);
    app
}

/// The `n`th streamed token: a word, and a line break every twelfth, as
/// a paragraph or a list item ends.
fn token(n: u64) -> String {
    if n.is_multiple_of(12) {
        "token\n".into()
    } else {
        "token ".into()
    }
}

fn bench(c: &mut Criterion) {
    let mut results = Vec::new();
    for (name, width) in [("80x24", 80), ("40x24", 40)] {
        let mut app = long_session();
        let mut terminal = Terminal::new(TestBackend::new(width, 24)).unwrap();
        terminal.draw(|f| render::draw(&mut app, f)).unwrap();
        let mut tokens = 0u64;
        let mut stream_one = || {
            tokens += 1;
            if tokens.is_multiple_of(2_000) {
                app.push(Entry::User("go on".into()));
            }
            app.apply(Event::TextDelta {
                text: token(tokens),
            });
            terminal.draw(|f| render::draw(&mut app, f)).unwrap();
        };
        let id = format!("token_to_frame_{name}");
        c.bench_function(&id, |b| b.iter(&mut stream_one));
        results.push((id, median(&mut stream_one)));
    }
    let mut app = long_session();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut unchanged = || {
        terminal.draw(|f| render::draw(&mut app, f)).unwrap();
    };
    c.bench_function("frame_unchanged_80x24", |b| b.iter(&mut unchanged));
    results.push(("frame_unchanged_80x24".into(), median(&mut unchanged)));
    let mut narrow = Terminal::new(TestBackend::new(79, 24)).unwrap();
    let mut wide = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut flip = false;
    let mut resize = || {
        flip = !flip;
        let terminal = if flip { &mut narrow } else { &mut wide };
        terminal.draw(|f| render::draw(&mut app, f)).unwrap();
    };
    c.bench_function("frame_after_resize_80x24", |b| b.iter(&mut resize));
    results.push(("frame_after_resize_80x24".into(), median(&mut resize)));
    println!("\nmedian frame times:");
    for (name, time) in results {
        println!("  {name:<28} {time:?}");
    }
}

/// The median of 201 timed runs of `work`.
fn median(mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..201)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
