//! The plain line mode of interactive chat, for when there is no terminal
//! to draw on (stdin not a TTY, `TERM=dumb`, `--classic`): each line goes
//! to the chat controller, events are printed as the headless text printer
//! prints them, and approvals (and, in supervised mode, the review of a
//! turn's changes) are asked on stderr and answered with a line.

use std::io::{BufRead, Write};

use super::headless::{OutputFormat, Printer};
use crate::chat::{Chat, Handled, PendingReview, ReviewDecision};
use crate::engine::{Answer, Approver, Event, Question};
use crate::out;
use crate::policy::Grant;
use crate::ui::escape_control;

/// Runs the line mode on `chat` until `/quit` or the end of input;
/// `prompt` is sent first. Ctrl-C cancels what is running.
pub fn run(mut chat: Chat, prompt: Option<String>, runtime: &tokio::runtime::Runtime) {
    let mut printer = Printer::new(OutputFormat::Text);
    printer.event(&chat.session.start_event());
    eprintln!(
        "type a prompt, `/help` for commands, `!COMMAND` for a shell command, `/quit` (or Ctrl-D) to leave"
    );
    let mut next = prompt;
    while let Some(line) = next.take().or_else(|| read_line("> ")) {
        if line.trim().is_empty() {
            continue;
        }
        let handled = runtime.block_on(async {
            let mut emit = |event: Event| printer.event(&event);
            chat.handle(&line, &mut emit, interrupted()).await
        });
        match handled {
            Handled::Quit => break,
            Handled::Shown(text) => out::print(&text),
            Handled::Refused(message) => eprint!("{message}"),
            Handled::Turn(Ok(_)) => out::line(""),
            Handled::Turn(Err(error)) => eprintln!("error: {error}"),
            Handled::Goal(_) | Handled::Spec(_) => {}
            Handled::Command(output) if output.text.ends_with('\n') => out::print(&output.text),
            Handled::Command(output) => out::line(&output.text),
            Handled::Cancelled => {
                eprintln!("interrupted: the turn was cancelled and left out of the conversation")
            }
        }
        if let Some(review) = chat.pending_review() {
            let decision = ask_review(review);
            let applied = runtime.block_on(async {
                let mut emit = |event: Event| printer.event(&event);
                chat.review(decision, &mut emit).await
            });
            match applied {
                Ok(text) => eprint!("{text}"),
                Err(error) => eprintln!("error: {error}"),
            }
        }
    }
}

/// Asks what to do with the changes held for review (the event showed
/// them): `a` accepts all, `r [REASON]` rejects all, `f` asks `y`/`n`
/// for each file, then a reason for the files rejected. The end of input
/// rejects all: nobody accepted them.
fn ask_review(review: &PendingReview) -> ReviewDecision {
    let ask =
        "  [a] accept all  [r] reject all (`r REASON` tells the model why)  [f] choose per file: ";
    loop {
        let Some(line) = read_line(ask) else {
            return ReviewDecision::reject_all(review, None);
        };
        let (word, rest) = split_word(&line);
        match word.as_str() {
            "a" | "accept" => return ReviewDecision::accept_all(),
            "r" | "reject" => return ReviewDecision::reject_all(review, rest),
            "f" | "file" => return per_file(review),
            _ => {}
        }
    }
}

/// `y` or `n` for each file of `review`, then the reason when any was
/// rejected.
fn per_file(review: &PendingReview) -> ReviewDecision {
    let mut decision = ReviewDecision::accept_all();
    for file in &review.files {
        let ask = format!("  keep {}? [y/n]: ", escape_control(&file.path));
        let keep = loop {
            let Some(line) = read_line(&ask) else {
                break false;
            };
            match split_word(&line).0.as_str() {
                "y" | "yes" => break true,
                "n" | "no" => break false,
                _ => {}
            }
        };
        if !keep {
            decision.rejected.push(file.path.clone());
        }
    }
    if !decision.rejected.is_empty() {
        decision.reason = read_line("  why, for the model (empty for no reason): ")
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
    }
    decision
}

/// The first word of `line`, lowercased, and the rest when there is any.
fn split_word(line: &str) -> (String, Option<String>) {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = Some(rest.trim().to_string()).filter(|r| !r.is_empty());
    (word.to_ascii_lowercase(), rest)
}

/// Resolves at Ctrl-C (never, if the signal cannot be watched).
pub async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

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

/// Asks on stderr and reads the answer from stdin: `y` runs the call
/// once, `n [REASON]` refuses it, `t` trusts the whole tool and `t N` the
/// N-th of the narrower options listed (the same the terminal UI offers).
pub struct LineApprover;

impl Approver for LineApprover {
    fn ask(&mut self, question: &Question) -> Answer {
        let call = &question.call;
        eprintln!(
            "? {} {} needs your approval:",
            call.tool,
            escape_control(&call.input.to_string())
        );
        for reason in &question.reasons {
            eprintln!("  - {}", escape_control(&reason.to_string()));
        }
        for (i, option) in question.options.iter().enumerate() {
            eprintln!("  [t {}] trust {}", i + 1, escape_control(&option.label));
        }
        let whole = whole_tool(question);
        let trust = match &whole {
            Some(_) => format!("  [t] trust `{}` for this session", call.tool),
            None => String::new(),
        };
        let ask =
            format!("  [y] run it once  [n] refuse (`n REASON` tells the model why){trust}: ");
        loop {
            let Some(line) = read_line(&ask) else {
                return Answer::Refuse(None);
            };
            if let Some(answer) = parse_answer(&line, question, whole.as_ref()) {
                return answer;
            }
        }
    }
}

/// The option that trusts the whole tool, when the question offers it.
fn whole_tool(question: &Question) -> Option<Vec<Grant>> {
    question
        .options
        .iter()
        .find(|option| option.grants.iter().any(|g| matches!(g, Grant::Tool(_))))
        .map(|option| option.grants.clone())
}

/// `y`, `n [reason]`, `t` or `t N` (also spelled out); `None` for anything
/// else, or for a trust the question does not offer.
fn parse_answer(line: &str, question: &Question, whole: Option<&Vec<Grant>>) -> Option<Answer> {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let reason = Some(rest.to_string()).filter(|r| !r.is_empty());
    match word.to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(Answer::Once),
        "t" | "trust" if rest.is_empty() => whole.cloned().map(Answer::Trust),
        "t" | "trust" => {
            let index = rest.parse::<usize>().ok()?.checked_sub(1)?;
            let option = question.options.get(index)?;
            Some(Answer::Trust(option.grants.clone()))
        }
        "n" | "no" => Some(Answer::Refuse(reason)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Caller;
    use crate::policy::{Breadth, ToolCall, TrustOption};

    fn question() -> Question {
        let option = |breadth, grant: Grant| TrustOption {
            breadth,
            label: grant.describe(),
            grants: vec![grant],
        };
        Question {
            call: ToolCall {
                tool: "shell".into(),
                input: serde_json::json!({"command": "make"}),
            },
            reasons: Vec::new(),
            options: vec![
                option(Breadth::Program, Grant::Program("make".into())),
                option(Breadth::Tool, Grant::Tool("shell".into())),
            ],
            caller: Caller::Model,
        }
    }

    fn answer(line: &str) -> Option<Answer> {
        let question = question();
        parse_answer(line, &question, whole_tool(&question).as_ref())
    }

    #[test]
    fn answers() {
        assert_eq!(answer("y"), Some(Answer::Once));
        assert_eq!(
            answer(" T "),
            Some(Answer::Trust(vec![Grant::Tool("shell".into())])),
            "`t` trusts the whole tool"
        );
        assert_eq!(answer("n"), Some(Answer::Refuse(None)));
        assert_eq!(
            answer("n use src/ instead"),
            Some(Answer::Refuse(Some("use src/ instead".into())))
        );
        assert_eq!(answer("maybe"), None);
        assert_eq!(answer(""), None);
    }

    #[test]
    fn narrower_trust_is_picked_by_number() {
        assert_eq!(
            answer("t 1"),
            Some(Answer::Trust(vec![Grant::Program("make".into())]))
        );
        assert_eq!(answer("t 3"), None, "no third option");
        let mut protected = question();
        protected.options.clear();
        assert_eq!(
            parse_answer("t", &protected, None),
            None,
            "nothing to trust when nothing would let the call run"
        );
    }
}
