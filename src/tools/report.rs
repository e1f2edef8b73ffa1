//! `report_issue` (aliases `report`, `gh_issue`): writes a bug-report
//! draft (title, what was expected and what happened, steps, the
//! program's version, the agent, the model and the session's last tool
//! failure) to a file in the data folder and says where. Unlike Kiro's,
//! it opens nothing and sends nothing: the person reads the draft and
//! decides.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// The `report_issue` tool.
pub struct Report;

impl Tool for Report {
    fn name(&self) -> &'static str {
        "report_issue"
    }

    fn description(&self) -> &'static str {
        "Write a bug-report draft about this assistant (title, expected and actual behaviour, steps) to a local file for the user to review; nothing is sent."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "expected_behavior": {"type": "string"},
                "actual_behavior": {"type": "string"},
                "steps_to_reproduce": {"type": "string"}
            },
            "required": ["title"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let title = match required_str(input, "title") {
            Ok(title) => title,
            Err(error) => return error,
        };
        let Some(data) = &context.session.data else {
            return ToolOutput::error("this session keeps no data folder to write a report to");
        };
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let file = data.join("reports").join(format!("report-{stamp}.md"));
        let text = draft(title, input, context);
        match crate::atomic::write(&file, text.as_bytes(), Some(0o600)) {
            Ok(()) => ToolOutput::ok(format!(
                "wrote a report draft to {}; nothing was sent. Tell the user to review it before filing it.",
                file.display()
            )),
            Err(e) => ToolOutput::error(format!("cannot write {}: {e}", file.display())),
        }
    }
}

/// The report's Markdown.
fn draft(title: &str, input: &Value, context: &ToolContext) -> String {
    let field = |key: &str| optional_str(input, key).unwrap_or("(not given)").to_string();
    let last_error = context
        .session
        .last_error
        .lock()
        .ok()
        .and_then(|e| e.clone())
        .unwrap_or_else(|| "(none)".into());
    format!(
        "# {title}\n\n## Expected behaviour\n{}\n\n## Actual behaviour\n{}\n\n## Steps to reproduce\n{}\n\n## Environment\n- agent {} ({} {})\n- agent file: {}\n- model: {}\n\n## Last tool failure in the session\n```\n{last_error}\n```\n",
        field("expected_behavior"),
        field("actual_behavior"),
        field("steps_to_reproduce"),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        context.session.agent,
        context.session.model,
    )
}
