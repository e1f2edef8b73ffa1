//! The plain line mode of interactive chat, for when there is no terminal
//! to draw on (stdin not a TTY, `TERM=dumb`, `--classic`): prompts and
//! slash commands are read a line at a time, events are printed as the
//! headless text printer prints them, and approvals are asked on stderr and
//! answered with a line.

use std::io::{BufRead, Write};

use crate::engine::{Answer, Approver};
use crate::policy::{Reason, ToolCall};
use crate::ui::escape_control;

/// Reads one line from stdin after showing `prompt` on stderr; `None` at
/// the end of input.
pub fn read_line(prompt: &str) -> Option<String> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Asks on stderr and reads the answer from stdin.
pub struct LineApprover;

impl Approver for LineApprover {
    fn ask(&mut self, call: &ToolCall, reasons: &[Reason]) -> Answer {
        eprintln!(
            "? {} {} needs your approval:",
            call.tool,
            escape_control(&call.input.to_string())
        );
        for reason in reasons {
            eprintln!("  - {}", escape_control(&reason.to_string()));
        }
        let question = format!(
            "  [y] run it once  [n] refuse (`n REASON` tells the model why)  [t] trust `{}` for this session: ",
            call.tool
        );
        loop {
            let Some(answer) = read_line(&question) else {
                return Answer::Refuse(None);
            };
            if let Some(answer) = parse_answer(&answer) {
                return answer;
            }
        }
    }
}

/// `y`, `n [reason]` or `t` (also spelled out); `None` for anything else.
fn parse_answer(line: &str) -> Option<Answer> {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let reason = Some(rest.trim().to_string()).filter(|r| !r.is_empty());
    match word.to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(Answer::Once),
        "t" | "trust" => Some(Answer::TrustTool),
        "n" | "no" => Some(Answer::Refuse(reason)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("y"), Some(Answer::Once));
        assert_eq!(parse_answer(" T "), Some(Answer::TrustTool));
        assert_eq!(parse_answer("n"), Some(Answer::Refuse(None)));
        assert_eq!(
            parse_answer("n use src/ instead"),
            Some(Answer::Refuse(Some("use src/ instead".into())))
        );
        assert_eq!(parse_answer("maybe"), None);
        assert_eq!(parse_answer(""), None);
    }
}
