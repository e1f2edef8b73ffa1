//! Headless output for `agent chat --no-interactive`: plain text (the answer
//! on stdout, progress on stderr), `stream-json` (one event per line), or
//! `json` (one object at the end).

use std::io::Write;

use crate::ui::escape_control;
use clap::ValueEnum;
use serde_json::{Value, json};

use crate::engine::Event;
use crate::engine::events::UsageTotals;
use crate::policy::Verdict;

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
                tool,
                input,
                decision,
                reasons,
            } => {
                let call = json!({"id": id, "tool": tool, "input": input, "decision": decision, "reasons": reasons});
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
            Event::TurnEnd { text, usage } => {
                self.answer = text.clone();
                self.usage = *usage;
            }
            Event::GoalEnd { report } => {
                self.answer = report.summary.clone();
                self.usage = report.usage;
                self.goal = serde_json::to_value(report).ok();
            }
            _ => {}
        }
    }

    /// Prints the end of the run: the result object (json, stream-json) or
    /// the error (all formats, on stderr for text).
    pub fn finish(self, error: Option<&str>) {
        let mut result = json!({
            "type": "result",
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
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn text(event: &Event) {
    match event {
        Event::SessionStart { agent, model, .. } => eprintln!("agent `{agent}` on {model}"),
        Event::TextDelta { text } => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
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
        Event::TurnEnd { .. } => println!(),
        Event::Error { message } => eprintln!("\nerror: {}", escape_control(message)),
        Event::Warning { message } => eprintln!("warning: {}", escape_control(message)),
        Event::Steered { text } => eprintln!("[steered: {}]", escape_control(text)),
        Event::GoalProgress {
            phase,
            iteration,
            max,
            detail,
        } => eprintln!(
            "[goal {phase} {iteration}/{max}] {}",
            escape_control(detail)
        ),
        Event::GoalEnd { report } => print!("{}", escape_control_lines(&report.to_text())),
        Event::Checkpoint {
            tag,
            description,
            added,
            modified,
            deleted,
        } => {
            eprintln!(
                "[checkpoint {tag}: +{added} ~{modified} -{deleted} {}]",
                escape_control(description)
            );
        }
    }
}
