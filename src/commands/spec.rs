//! `agent spec …`: a `/spec` command run headless. `status` only reads
//! the spec's files, so it answers without starting a chat (and needs no
//! model; `--output-format json` prints it as the `result` of one JSON
//! object); the rest runs as `agent chat --no-interactive '/spec …'`.

use super::{Failure, Outcome};
use crate::chat::start::Place;
use crate::cli::SpecArgs;
use crate::out;
use crate::spec::SpecCommand;
use crate::ui::headless::OutputFormat;

/// Runs `args`.
pub fn run(args: &SpecArgs) -> Outcome {
    let words = shlex::try_join(args.words.iter().map(String::as_str))
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    if let SpecCommand::Status { name } = SpecCommand::parse_line(&words).map_err(Failure::usage)? {
        let place = Place::here().map_err(|e| Failure::runtime(e.to_string()))?;
        let text = crate::spec::status(&place.workspace, name.as_deref())
            .map_err(|e| Failure::usage(format!("error: {e}")))?;
        match args.output_format {
            OutputFormat::Text => out::print(&text),
            _ => out::line(
                &serde_json::json!({"type": "result", "is_error": false, "result": text})
                    .to_string(),
            ),
        }
        return Ok(());
    }
    let chat = args
        .as_chat(&words)
        .map_err(|e| Failure::usage(e.render()))?;
    super::chat::run(&chat)
}
