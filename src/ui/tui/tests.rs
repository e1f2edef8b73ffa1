//! Snapshot tests of the whole screen, rendered into ratatui's test
//! backend at 80×24 and at 40 columns: streaming text, tool cards with a
//! diff, an approval prompt, the `/tools` view and a goal in progress.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use tokio::sync::oneshot;

use super::app::{Action, App, GoalStatus, SendMode, Status};
use super::approval::ApprovalRequest;
use super::input::Editor;
use super::render;
use super::theme::Theme;
use super::transcript::Entry;
use crate::chat::overview_text;
use crate::engine::events::UsageTotals;
use crate::engine::{Answer, Caller, Event, Steering};
use crate::policy::{Grant, Mode, Policy, ToolCall, Trust, Verdict};

const REFACTOR_BOT: &str = include_str!("../../../.kiro/agents/refactor-bot.json");

fn app() -> App {
    let status = Status {
        agent: "refactor-bot".into(),
        model: "anthropic/claude-sonnet-4".into(),
        workspace: "~/kiro-autorun".into(),
        checkpoint: None,
        context_percent: Some(12),
        sandbox: "n/a".into(),
        goal: None,
        supervised: false,
    };
    let editor = Editor::new(
        crate::chat::slash::commands(),
        PathBuf::from("/nonexistent"),
        Vec::new(),
    );
    App::new(Theme::dark(), status, editor, Steering::default())
}

/// The screen as text, `width`×`height`, drawn as if 3 s into a turn.
fn screen(app: &mut App, width: u16, height: u16) -> String {
    let start = Instant::now();
    if app.working.is_some() {
        app.working = Some(start);
    }
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| render::draw_at(app, frame, start + Duration::from_secs(3)))
        .unwrap();
    terminal.backend().to_string()
}

fn policy() -> Policy {
    let config = crate::config::validate_text(Path::new("refactor-bot.json"), REFACTOR_BOT)
        .unwrap()
        .config;
    Policy::new(config, Path::new("/nonexistent/kiro-autorun"), None)
}

fn stream(app: &mut App, pieces: &[&str]) {
    for piece in pieces {
        app.apply(Event::TextDelta {
            text: piece.to_string(),
        });
    }
}

#[test]
fn streaming_text() {
    let mut app = app();
    app.push(Entry::User("explain the inventory module".into()));
    app.set_working(true);
    stream(
        &mut app,
        &[
            "## What it does\n\nThe module keeps **stock** per item:\n\n",
            "- `add_item` adds stock\n- `remove_item` takes it away, ",
            "and raises when there is not enough\n\n```python\ndef add_item(name, count):  # public\n    stock[name] = stock.get(name, 0) + count\n```\n\nNext I wi",
        ],
    );
    assert_snapshot!("streaming_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("streaming_40x24", screen(&mut app, 40, 24));
}

#[test]
fn a_tool_card_with_a_diff() {
    let mut app = app();
    app.push(Entry::User("add type hints".into()));
    let input = json!({"command": "str_replace", "path": "src/inventory.py",
        "old_str": "def add_item(name, count):", "new_str": "def add_item(name: str, count: int) -> None:"});
    let call = ToolCall {
        tool: "write".into(),
        input: input.clone(),
    };
    let decision = policy().decide(&call, &Trust::default(), Mode::Interactive);
    app.apply(Event::ToolCall {
        id: "c1".into(),
        caller: Caller::Model,
        tool: "write".into(),
        input,
        decision: decision.verdict(),
        reasons: decision.reasons().to_vec(),
    });
    app.apply(Event::ToolResult {
        id: "c1".into(),
        output: "changed /home/me/kiro-autorun/src/inventory.py\n--- a/src/inventory.py\n+++ b/src/inventory.py\n@@ -1,3 +1,3 @@\n stock = {}\n-def add_item(name, count):\n+def add_item(name: str, count: int) -> None:\n     stock[name] = stock.get(name, 0) + count\n".into(),
        is_error: false,
        exit_code: None,
    });
    let line = "python -m pytest -q && git push origin main";
    let call = ToolCall {
        tool: "shell".into(),
        input: json!({ "command": line }),
    };
    let decision = policy().decide(&call, &Trust::default(), Mode::Interactive);
    assert_eq!(decision.verdict(), Verdict::Deny);
    app.apply(Event::ToolCall {
        id: "c2".into(),
        caller: Caller::Model,
        tool: "shell".into(),
        input: call.input.clone(),
        decision: decision.verdict(),
        reasons: decision.reasons().to_vec(),
    });
    app.apply(Event::ToolResult {
        id: "c2".into(),
        output: "refused by the guardrail policy".into(),
        is_error: true,
        exit_code: None,
    });
    app.apply(Event::Checkpoint {
        tag: "2.1".into(),
        description: "write src/inventory.py".into(),
        added: 0,
        modified: 1,
        deleted: 0,
        full_walk: None,
    });
    assert_snapshot!("tool_cards_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("tool_cards_40x30", screen(&mut app, 40, 30));
}

fn approval(app: &mut App, command: &str) -> oneshot::Receiver<Answer> {
    let policy = policy();
    let call = ToolCall {
        tool: "shell".into(),
        input: json!({ "command": command }),
    };
    let decision = policy.decide(&call, &Trust::default(), Mode::Interactive);
    assert_eq!(decision.verdict(), Verdict::Ask);
    app.apply(Event::ToolCall {
        id: "c3".into(),
        caller: Caller::Model,
        tool: "shell".into(),
        input: call.input.clone(),
        decision: decision.verdict(),
        reasons: decision.reasons().to_vec(),
    });
    let (reply, answer) = oneshot::channel();
    app.ask(ApprovalRequest {
        options: policy.trust_options(&call),
        reasons: decision.reasons().to_vec(),
        call,
        reply,
    });
    answer
}

fn press(app: &mut App, code: KeyCode) -> Action {
    app.key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn an_approval_prompt() {
    let mut app = app();
    app.push(Entry::User("build it".into()));
    app.set_working(true);
    let mut answer = approval(&mut app, "cargo build --release");
    assert_snapshot!("approval_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("approval_40x24", screen(&mut app, 40, 24));
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Down);
    assert_snapshot!("approval_trust_80x24", screen(&mut app, 80, 24));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        answer.try_recv().unwrap(),
        Answer::Trust(vec![Grant::Program("cargo".into())]),
        "the second option, `cargo` with any arguments"
    );
    assert!(app.approval.is_none());
    assert_snapshot!("approval_answered_80x24", screen(&mut app, 80, 24));
}

#[test]
fn a_refusal_carries_its_reason() {
    let mut app = app();
    app.set_working(true);
    let mut answer = approval(&mut app, "make clean");
    press(&mut app, KeyCode::Char('n'));
    for c in "use git clean".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert_snapshot!("approval_reason_80x24", screen(&mut app, 80, 24));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        answer.try_recv().unwrap(),
        Answer::Refuse(Some("use git clean".into()))
    );
    let mut answer = approval(&mut app, "make clean");
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(answer.try_recv().unwrap(), Answer::Once);
}

#[test]
fn the_tools_view() {
    let mut app = app();
    let mut trust = Trust::default();
    trust.grant(&[Grant::Program("make".into())]);
    app.push(Entry::Panel {
        title: "/tools".into(),
        text: overview_text(&policy(), &trust),
    });
    assert_snapshot!("tools_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("tools_40x24", screen(&mut app, 40, 24));
}

#[test]
fn a_goal_in_progress() {
    let mut app = app();
    app.status.goal = Some(GoalStatus {
        iteration: 3,
        max: 8,
        checks: vec![("pytest".into(), Some(true)), ("mypy".into(), Some(false))],
    });
    app.status.checkpoint = Some("4".into());
    app.push(Entry::User(
        "/goal --max 8 pytest passes and mypy reports no errors".into(),
    ));
    app.set_working(true);
    app.mode = SendMode::Queue;
    app.queued.push_back("then update the README".into());
    app.steering.push("prefer typing.Optional".into());
    stream(
        &mut app,
        &["mypy still reports 2 errors in `src/inventory.py`; fixing them."],
    );
    app.apply(Event::TurnEnd {
        text: String::new(),
        usage: UsageTotals::default(),
    });
    assert_snapshot!("goal_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("goal_40x24", screen(&mut app, 40, 24));
}

#[test]
fn keys_cancel_steer_and_queue() {
    let mut app = app();
    assert_eq!(
        app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Action::Quit,
        "Ctrl+C on an empty editor while idle leaves"
    );
    app.set_working(true);
    assert_eq!(press(&mut app, KeyCode::Esc), Action::Cancel);
    app.key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    assert_eq!(app.mode, SendMode::Queue);
    for c in "later".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        Action::Submit("later".into())
    );
}

#[test]
fn long_outputs_fold_and_unfold() {
    let mut app = app();
    app.apply(Event::ToolCall {
        id: "c".into(),
        caller: Caller::Model,
        tool: "shell".into(),
        input: json!({"command": "seq 30"}),
        decision: Verdict::Allow,
        reasons: Vec::new(),
    });
    let output: Vec<String> = (1..=30).map(|n| n.to_string()).collect();
    app.apply(Event::ToolResult {
        id: "c".into(),
        output: output.join("\n"),
        is_error: false,
        exit_code: Some(0),
    });
    let folded = screen(&mut app, 60, 40);
    assert!(
        folded.contains("22 more lines (Ctrl+O unfolds)"),
        "{folded}"
    );
    app.key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL));
    let unfolded = screen(&mut app, 60, 40);
    assert!(unfolded.contains("30"), "{unfolded}");
    assert!(!unfolded.contains("more lines"), "{unfolded}");
}

#[test]
fn slash_commands_complete_in_a_popup() {
    let mut app = app();
    for c in "/ch".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert_snapshot!("completion_80x24", screen(&mut app, 80, 24));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.editor.text(), "/checkpoint init ");
}

#[test]
fn a_streamed_answer_renders_as_the_whole_would() {
    let text = "# Plan\n\nSome **bold** text that wraps around the narrow screen.\n```rust\nfn main() {}\n```\n- one\n- two\n\nend";
    let mut streamed = app();
    let mut terminal = Terminal::new(TestBackend::new(30, 30)).unwrap();
    for (i, c) in text.chars().enumerate() {
        stream(&mut streamed, &[&c.to_string()]);
        if i % 3 == 0 {
            terminal
                .draw(|frame| render::draw(&mut streamed, frame))
                .unwrap();
        }
    }
    let mut whole = app();
    stream(&mut whole, &[text]);
    assert_eq!(screen(&mut streamed, 30, 30), screen(&mut whole, 30, 30));
}

#[test]
fn tiny_screens_keep_the_footer_and_status() {
    let mut app = app();
    app.push(Entry::User("hello".into()));
    for height in 0..6 {
        let text = screen(&mut app, 20, height);
        if height >= 2 {
            assert!(text.contains("refactor-bot"), "{height}: {text}");
        }
    }
}

fn todo(done: usize) -> crate::tools::todo::TodoList {
    let tasks = [
        "Add hints to add_item",
        "Add hints to remove_item",
        "Run mypy --strict",
    ];
    crate::tools::todo::TodoList {
        id: "1".into(),
        description: "Type the inventory module".into(),
        tasks: tasks
            .iter()
            .enumerate()
            .map(|(i, task)| crate::tools::todo::Task {
                task_description: task.to_string(),
                details: None,
                completed: i < done,
            })
            .collect(),
        context: Vec::new(),
        modified_files: Vec::new(),
    }
}

#[test]
fn the_todo_list_stays_above_the_prompt_while_tasks_are_open() {
    let mut app = app();
    app.push(Entry::User("add type hints".into()));
    app.set_working(true);
    app.apply(Event::Todo { list: todo(1) });
    let open = screen(&mut app, 80, 24);
    assert_snapshot!("todo_panel_80x24", open);
    app.apply(Event::Todo { list: todo(3) });
    let done = screen(&mut app, 80, 24);
    assert!(!done.contains("todo 3/3"), "{done}");
    assert!(
        open.contains("todo 1/3 · Type the inventory module"),
        "{open}"
    );
}

#[test]
fn a_sub_agent_is_a_card_with_its_live_calls_and_how_it_ended() {
    let mut app = app();
    app.push(Entry::User("split the job".into()));
    app.set_working(true);
    app.apply(Event::ChildStart {
        child: "p1/task-1".into(),
        agent: "writer".into(),
        task: "CHILD-A write a.txt".into(),
        worktree: None,
    });
    for (tool, input, decision) in [
        ("read", json!({"path": "README.md"}), Verdict::Allow),
        ("shell", json!({"command": "rm -rf build"}), Verdict::Deny),
        ("write", json!({"path": "a.txt"}), Verdict::Allow),
        ("write", json!({"path": "b.txt"}), Verdict::Allow),
    ] {
        app.apply(Event::Child {
            child: "p1/task-1".into(),
            event: Box::new(Event::ToolCall {
                id: "c".into(),
                caller: Caller::Model,
                tool: tool.into(),
                input,
                decision,
                reasons: Vec::new(),
            }),
        });
    }
    let running = screen(&mut app, 80, 24);
    assert!(running.contains("running · 4 call(s)"), "{running}");
    assert!(
        running.contains("… 1 earlier call(s)") && running.contains("✗ shell rm -rf build"),
        "{running}"
    );
    app.apply(Event::ChildEnd {
        child: "p1/task-1".into(),
        agent: "writer".into(),
        status: "completed".into(),
        answer: "Wrote a.txt and b.txt.".into(),
        changed_files: vec!["a.txt".into(), "b.txt".into()],
        refusals: 1,
    });
    assert_snapshot!("child_card_80x24", screen(&mut app, 80, 24));
}

#[test]
fn shift_tab_switches_the_mode_and_the_status_line_shows_supervised() {
    let mut app = app();
    assert_eq!(
        app.key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Action::Submit("/mode supervised".into())
    );
    assert!(!screen(&mut app, 80, 24).contains("supervised"));
    app.status.supervised = true;
    assert!(screen(&mut app, 80, 24).contains("supervised"));
    assert_eq!(
        app.key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Action::Submit("/mode autopilot".into())
    );
}

#[test]
fn a_review_shows_the_diff_and_asks_per_file() {
    let mut app = app();
    let file = |path: &str, diff: &str| crate::engine::events::ReviewFile {
        path: path.into(),
        status: "modified".into(),
        added: 1,
        removed: 1,
        diff: diff.into(),
    };
    app.apply(Event::Review {
        files: vec![
            file("a.txt", "--- a/a.txt\n+++ b/a.txt\n-old a\n+new a\n"),
            file("b.txt", "--- a/b.txt\n+++ b/b.txt\n-old b\n+new b\n"),
        ],
    });
    let shown = screen(&mut app, 80, 24);
    for expected in [
        "+new a",
        "the turn changed 2 file(s)",
        "y accept all",
        "f per file",
    ] {
        assert!(shown.contains(expected), "{expected:?} in:\n{shown}");
    }
    press(&mut app, KeyCode::Char('f'));
    assert!(screen(&mut app, 80, 24).contains("keep a.txt?"));
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Enter);
    assert!(app.review.is_none());
    assert_eq!(
        app.reviewed,
        Some(crate::chat::ReviewDecision {
            rejected: vec!["a.txt".into()],
            reason: None,
        })
    );
}

#[test]
fn code_results_show_symbols_and_diagnostics_compactly() {
    use crate::code::report::{CodeReport, Diagnostic, SymbolHit};
    let mut app = app();
    let call = |app: &mut App, id: &str, tool: &str, input: serde_json::Value| {
        app.apply(Event::ToolCall {
            id: id.into(),
            caller: Caller::Model,
            tool: tool.into(),
            input,
            decision: Verdict::Allow,
            reasons: Vec::new(),
        });
    };
    call(
        &mut app,
        "s",
        "code",
        json!({"operation": "search_symbols", "symbol_name": "area"}),
    );
    let hit = |name: &str, kind: &str, container: Option<&str>, line| SymbolHit {
        name: name.into(),
        kind: kind.into(),
        path: "src/shapes.py".into(),
        line,
        end_line: line + 2,
        container: container.map(str::to_string),
    };
    app.apply(Event::Code {
        id: "s".into(),
        report: CodeReport::Symbols {
            operation: "search_symbols".into(),
            symbols: vec![
                hit("area", "function", None, 1),
                hit("area", "method", Some("Square"), 12),
            ],
            total: 2,
        },
    });
    app.apply(Event::ToolResult {
        id: "s".into(),
        output: "function area  src/shapes.py:1-3  def area(w, h):\nmethod area (in Square)  src/shapes.py:12-14  def area(self):".into(),
        is_error: false,
        exit_code: None,
    });
    call(
        &mut app,
        "w",
        "write",
        json!({"command": "create", "path": "bad.py", "content": "import os\nprint(x)\n"}),
    );
    let found = |severity: &str, line, column, message: &str| Diagnostic {
        severity: severity.into(),
        line,
        column,
        message: message.into(),
        source: Some("pyflakes".into()),
    };
    app.apply(Event::Code {
        id: "w".into(),
        report: CodeReport::Diagnostics {
            path: "bad.py".into(),
            server: "pylsp".into(),
            diagnostics: vec![
                found("error", 2, 7, "undefined name 'x'"),
                found("warning", 1, 1, "'os' imported but unused"),
            ],
            total: 2,
            errors: 1,
        },
    });
    app.apply(Event::ToolResult {
        id: "w".into(),
        output: "created /w/bad.py\n\ndiagnostics from pylsp after this change:\nbad.py:2:7: error: undefined name 'x' [pyflakes]".into(),
        is_error: false,
        exit_code: None,
    });
    assert_snapshot!("code_reports_80x24", screen(&mut app, 80, 24));
    assert_snapshot!("code_reports_40x30", screen(&mut app, 40, 30));
    app.key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL));
    let unfolded = screen(&mut app, 80, 30);
    assert!(
        unfolded.contains("def area(self)") && !unfolded.contains("◇"),
        "Ctrl+O shows the text the model read: {unfolded}"
    );
}
