//! Headless `agent chat --no-interactive`: one prompt or goal handed to the
//! chat controller, and its events printed as plain text (the answer on
//! stdout, progress on stderr), `stream-json` (one event per line), or
//! `json` (one object at the end).

use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::{Value, json};

use crate::chat::{Chat, Handled, ReviewDecision};
use crate::engine::events::UsageTotals;
use crate::engine::{Event, Halt, Steering, TurnError};
use crate::goal::{GoalSpec, GoalStatus};
use crate::out::{self, escape_control};
use crate::policy::Verdict;
use crate::spec::{SpecCommand, SpecStatus};

/// How headless output is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The answer on stdout, progress on stderr.
    Text,
    /// One JSON object at the end.
    Json,
    /// One JSON event per line as it happens.
    StreamJson,
}

/// Prints events in one format and keeps what the final report needs.
pub struct Printer {
    format: OutputFormat,
    tool_calls: Vec<Value>,
    denials: Vec<Value>,
    answer: String,
    usage: UsageTotals,
    goal: Option<Value>,
    spec: Option<Value>,
    /// Calls recovered from text, by id, until their `ToolCall` arrives.
    recovered: std::collections::HashMap<String, Value>,
    children: Vec<Value>,
    /// The changes supervised mode held for review.
    review: Option<Value>,
}

impl Printer {
    /// A printer for `format`.
    pub fn new(format: OutputFormat) -> Printer {
        Printer {
            format,
            tool_calls: Vec::new(),
            denials: Vec::new(),
            answer: String::new(),
            usage: UsageTotals::default(),
            goal: None,
            spec: None,
            recovered: Default::default(),
            children: Vec::new(),
            review: None,
        }
    }

    /// Handles one event.
    pub fn event(&mut self, event: &Event) {
        self.remember(event);
        match self.format {
            OutputFormat::Text => text(event),
            OutputFormat::StreamJson => line(&serde_json::to_value(event).unwrap_or(Value::Null)),
            OutputFormat::Json => {}
        }
    }

    fn remember(&mut self, event: &Event) {
        match event {
            Event::ToolCall {
                id,
                caller,
                tool,
                input,
                decision,
                reasons,
            } => {
                let mut call = json!({"id": id, "caller": caller, "tool": tool, "input": input, "decision": decision, "reasons": reasons});
                if let Some(form) = self.recovered.remove(id) {
                    call["recovered"] = form;
                }
                if *decision != Verdict::Allow {
                    self.denials.push(call.clone());
                }
                self.tool_calls.push(call);
            }
            Event::ToolResult {
                id,
                output,
                is_error,
                ..
            } => {
                if let Some(call) = self.tool_calls.iter_mut().rev().find(|c| c["id"] == *id) {
                    call["output"] = Value::from(output.as_str());
                    call["is_error"] = Value::from(*is_error);
                }
            }
            Event::Recovered { id, form, .. } => {
                self.recovered.insert(id.clone(), json!(form));
            }
            Event::Code { id, report } => {
                if let Some(call) = self.tool_calls.iter_mut().rev().find(|c| c["id"] == *id)
                    && let Some(found) = call
                        .as_object_mut()
                        .map(|c| c.entry("code").or_insert_with(|| json!([])))
                        .and_then(Value::as_array_mut)
                {
                    found.push(json!(report));
                }
            }
            Event::TurnEnd { text, usage } => {
                self.answer = text.clone();
                self.usage = *usage;
            }
            Event::GoalEnd { report } => {
                self.answer = report.summary.clone();
                self.usage = report.usage;
                self.goal = serde_json::to_value(report).ok();
            }
            Event::Review { files } => {
                self.review = Some(json!({ "files": files, "applied": false }));
            }
            Event::SpecEnd { report } => {
                self.answer = report.summary.clone();
                self.spec = serde_json::to_value(report).ok();
            }
            Event::ChildEnd { .. } => {
                let mut child = serde_json::to_value(event).unwrap_or(Value::Null);
                if let Some(fields) = child.as_object_mut() {
                    fields.remove("type");
                }
                self.children.push(child);
            }
            _ => {}
        }
    }

    /// A spec command's message: the run's answer, printed now in text.
    pub fn show(&mut self, text: &str) {
        self.answer = text.trim_end().to_string();
        if self.format == OutputFormat::Text {
            out::print(&escape_control_lines(text));
        }
    }

    /// Prints the end of the run: the result object (json, stream-json) or
    /// the error (all formats, on stderr for text).
    pub fn finish(self, error: Option<&str>, stop_reason: &str) {
        let mut result = json!({
            "type": "result",
            "stop_reason": stop_reason,
            "is_error": error.is_some(),
            "error": error,
            "result": self.answer,
            "usage": self.usage,
            "tool_calls": self.tool_calls,
            "permission_denials": self.denials,
        });
        if let Some(goal) = self.goal {
            result["goal"] = goal;
        }
        if let Some(spec) = self.spec {
            result["spec"] = spec;
        }
        if !self.children.is_empty() {
            result["children"] = Value::Array(self.children);
        }
        if let Some(review) = self.review {
            result["review"] = review;
        }
        match self.format {
            OutputFormat::Json | OutputFormat::StreamJson => line(&result),
            OutputFormat::Text => {}
        }
    }
}

/// `text` with control characters escaped line by line, keeping its line
/// breaks.
fn escape_control_lines(text: &str) -> String {
    text.lines()
        .map(|line| escape_control(line) + "\n")
        .collect()
}

fn line(value: &Value) {
    out::line(&value.to_string());
}

fn text(event: &Event) {
    match event {
        Event::SessionStart { agent, model, .. } => eprintln!("agent `{agent}` on {model}"),
        Event::TextDelta { text } => out::print(text),
        Event::Retrying { attempt, reason } => {
            eprintln!("\n[retrying (attempt {attempt}): {reason}]")
        }
        Event::ToolCall {
            tool,
            input,
            decision,
            reasons,
            ..
        } => {
            let why = reasons
                .first()
                .map(|r| format!(" ({})", r.message))
                .unwrap_or_default();
            eprintln!(
                "\n[{tool} {}] {decision}{why}",
                escape_control(&input.to_string())
            );
        }
        Event::ToolResult {
            is_error: true,
            output,
            ..
        } => {
            eprintln!(
                "[tool error] {}",
                escape_control(output.lines().next().unwrap_or_default())
            );
        }
        Event::ToolResult { .. } => {}
        Event::TurnEnd { .. } => out::line(""),
        Event::Error { message } => eprintln!("\nerror: {}", escape_control(message)),
        Event::Warning { message } => eprintln!("warning: {}", escape_control(message)),
        Event::Steered { text } => eprintln!("[steered: {}]", escape_control(text)),
        Event::CheckpointSkipped { reason, .. } => {
            eprintln!("[no checkpoint: {}]", escape_control(reason));
        }
        Event::AgentSwitched { agent, previous } => eprintln!(
            "[plan handed off: `{}` now runs it, after `{}`]",
            escape_control(agent),
            escape_control(previous)
        ),
        Event::Recovered { tool, form, .. } => {
            eprintln!("[{tool} call recovered from the reply's text ({form:?})]")
        }
        Event::GoalProgress {
            phase,
            iteration,
            max,
            detail,
        } => eprintln!(
            "[goal {phase} {iteration}/{max}] {}",
            escape_control(detail)
        ),
        Event::GoalEnd { report } => out::print(&escape_control_lines(&report.to_text())),
        Event::SpecEnd { report } => out::print(&escape_control_lines(&report.to_text())),
        Event::Todo { list } => eprint!("{}", escape_control_lines(&list.render())),
        Event::Code { report, .. } => eprintln!("[code: {}]", escape_control(&report.summary())),
        Event::ChildStart { child, agent, .. } => {
            eprintln!(
                "[child {}: agent `{}` started]",
                escape_control(child),
                escape_control(agent)
            )
        }
        Event::Child { child, event } => {
            if let Event::ToolCall { .. } = **event {
                eprint!("[child {}]", escape_control(child));
                text(event);
            }
        }
        Event::ChildEnd {
            child,
            status,
            changed_files,
            refusals,
            ..
        } => eprintln!(
            "[child {}: {status}, {} file(s) changed, {refusals} call(s) refused]",
            escape_control(child),
            changed_files.len()
        ),
        Event::Review { files } => review_text(files),
        Event::Checkpoint {
            tag,
            description,
            added,
            modified,
            deleted,
            full_walk,
        } => {
            let walked = full_walk
                .as_ref()
                .map(|why| format!(" (full walk: {})", escape_control(why)))
                .unwrap_or_default();
            eprintln!(
                "[checkpoint {tag}: +{added} ~{modified} -{deleted} {}{walked}]",
                escape_control(description)
            );
        }
    }
}

/// The changes held for review, on stderr: each file with its line
/// counts, then the diff.
fn review_text(files: &[crate::engine::events::ReviewFile]) {
    eprintln!("[review] the turn changed {} file(s):", files.len());
    for file in files {
        eprintln!(
            "  {} {} +{} -{}",
            file.status,
            escape_control(&file.path),
            file.added,
            file.removed
        );
    }
    for file in files {
        eprint!("{}", escape_control_lines(&file.diff));
    }
}

/// How a headless run ended.
#[derive(Debug)]
pub enum Ending {
    /// The model ended its turn, or the goal was met.
    Done,
    /// The goal ended with this status (not `met`).
    Goal(GoalStatus),
    /// The turn failed; why.
    Failed(String),
    /// A run limit was reached, or the model looped.
    Stopped(Halt),
    /// A spec run ended with this status (not `done`).
    Spec(SpecStatus),
    /// Ctrl-C.
    Interrupted,
}

impl Ending {
    /// The `stop_reason` of the result: `end_turn` (the model ended its
    /// turn, or the goal was met), `goal_not_met`, `error`, `interrupted`,
    /// or the [`Halt`]'s name (`max_turns`, …, `loop`).
    pub fn stop_reason(&self) -> &'static str {
        match self {
            Ending::Done => "end_turn",
            Ending::Goal(_) => "goal_not_met",
            Ending::Failed(_) => "error",
            Ending::Stopped(halt) => halt.name(),
            Ending::Spec(_) => "spec_not_done",
            Ending::Interrupted => "interrupted",
        }
    }
}

/// What a headless run does.
pub struct Run {
    /// The prompt.
    pub prompt: String,
    /// The goal, when the prompt was `/goal …`.
    pub goal: Option<GoalSpec>,
    /// The spec command, when the prompt was `/spec …`.
    pub spec: Option<SpecCommand>,
    /// How to print.
    pub format: OutputFormat,
    /// `--steer-file`: lines appended to it are steered into the turn.
    pub steer_file: Option<PathBuf>,
}

/// Runs `run` on `chat`, printing as it goes and the result at the end.
pub fn drive(chat: &mut Chat, run: Run, runtime: &tokio::runtime::Runtime) -> Ending {
    let mut printer = Printer::new(run.format);
    printer.event(&chat.session.start_event());
    let steering = chat.session.steering();
    let (ending, shown) = runtime.block_on(async {
        let _follow = run
            .steer_file
            .map(|path| tokio::spawn(follow_steer_file(path, steering)));
        let mut emit = |event: Event| printer.event(&event);
        let cancel = super::line::interrupted();
        if let Some(command) = &run.spec {
            return spec_ending(chat.spec(command, &mut emit, cancel).await);
        }
        let ending = match &run.goal {
            Some(spec) => {
                let report = chat.goal(spec, &mut emit, cancel).await;
                match (report.status, report.stop_reason) {
                    (_, Some(halt)) => Ending::Stopped(halt),
                    (GoalStatus::Met, None) => Ending::Done,
                    (status, None) => Ending::Goal(status),
                }
            }
            None => {
                let handled = chat.turn(&run.prompt, &mut emit, cancel).await;
                dry_run(chat, &mut emit).await;
                match handled {
                    Handled::Turn(Ok(_)) => Ending::Done,
                    Handled::Turn(Err(TurnError::Stopped(halt))) => Ending::Stopped(halt),
                    Handled::Turn(Err(error)) => Ending::Failed(error.to_string()),
                    _ => Ending::Interrupted,
                }
            }
        };
        (ending, None)
    });
    if let Some(text) = shown {
        printer.show(&text);
    }
    let error = match &ending {
        Ending::Done => None,
        Ending::Goal(status) => Some(format!("the goal ended {}", status.name())),
        Ending::Spec(status) => Some(format!("the spec run ended {}", status.name())),
        Ending::Failed(message) => Some(message.clone()),
        Ending::Stopped(halt) => Some(halt.to_string()),
        Ending::Interrupted => Some("interrupted".to_string()),
    };
    if let (Ending::Failed(_) | Ending::Stopped(_) | Ending::Interrupted, Some(message)) =
        (&ending, &error)
    {
        printer.event(&Event::Error {
            message: message.clone(),
        });
    }
    printer.finish(error.as_deref(), ending.stop_reason());
    ending
}

/// Supervised mode without anyone to ask: the changes held for review
/// (already in the result) are all put back, so the files are as they
/// were before the turn.
async fn dry_run(chat: &mut Chat, emit: &mut crate::engine::Emit<'_>) {
    let Some(review) = chat.pending_review() else {
        return;
    };
    let decision = ReviewDecision::reject_all(review, None);
    if let Err(error) = chat.review(decision, emit).await {
        emit(Event::Warning {
            message: format!("the dry run could not put the files back: {error}"),
        });
    }
}

/// How a headless `/spec` command ended, and the text it has to show.
fn spec_ending(handled: Handled) -> (Ending, Option<String>) {
    match handled {
        Handled::Spec(report) => match report.status {
            SpecStatus::Done => (Ending::Done, None),
            SpecStatus::Error => (Ending::Failed(report.summary.clone()), None),
            status => (Ending::Spec(status), None),
        },
        Handled::Shown(text) => (Ending::Done, Some(text)),
        Handled::Refused(text) => (Ending::Failed(text.trim_end().to_string()), None),
        _ => (Ending::Interrupted, None),
    }
}

/// Feeds lines appended to `path` into the steering queue (`--steer-file`),
/// from the end the file had when the run started.
async fn follow_steer_file(path: PathBuf, steering: Steering) {
    let mut offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut partial = String::new();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        partial.push_str(&String::from_utf8_lossy(&bytes[start..]));
        offset = bytes.len() as u64;
        while let Some(end) = partial.find('\n') {
            let line: String = partial.drain(..=end).collect();
            if !line.trim().is_empty() {
                steering.push(line.trim().to_string());
            }
        }
    }
}
