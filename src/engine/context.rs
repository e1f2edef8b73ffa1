//! Keeping the conversation inside the model's window: when it nears the
//! limit, the oldest tool outputs are elided first (they are the bulk, and
//! the model has already acted on them); the latest ones are always kept.

use crate::provider::Message;

/// Tool results never elided: the model is most likely still using them.
pub const KEEP_RECENT_RESULTS: usize = 4;

/// A rough token count: four bytes a token, the usual rule of thumb for
/// English and code. Cheap, and errs towards compacting early.
pub fn estimate_tokens(messages: &[Message]) -> usize {
    let bytes: usize = messages
        .iter()
        .map(|m| match m {
            Message::User(text) => text.len(),
            Message::Assistant { text, tool_calls } => {
                text.len()
                    + tool_calls
                        .iter()
                        .map(|c| c.raw_input.len() + c.name.len())
                        .sum::<usize>()
            }
            Message::ToolResult { content, .. } => content.len(),
        })
        .sum();
    bytes / 4
}

/// Elides the oldest tool outputs until the conversation fits in
/// `budget_tokens` (or only the most recent results are left); returns how
/// many were elided.
pub fn compact(messages: &mut [Message], budget_tokens: usize) -> usize {
    let results: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, Message::ToolResult { content, .. } if !is_elided(content)))
        .map(|(i, _)| i)
        .collect();
    let candidates = results.len().saturating_sub(KEEP_RECENT_RESULTS);
    let mut elided = 0;
    for &index in &results[..candidates] {
        if estimate_tokens(messages) <= budget_tokens {
            break;
        }
        if let Message::ToolResult { content, .. } = &mut messages[index] {
            *content = format!(
                "{ELIDED} ({} bytes); run the tool again if you need it]",
                content.len()
            );
            elided += 1;
        }
    }
    elided
}

const ELIDED: &str = "[output elided to keep the conversation within the model's window";

fn is_elided(content: &str) -> bool {
    content.starts_with(ELIDED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(size: usize) -> Message {
        Message::ToolResult {
            id: "x".into(),
            content: "a".repeat(size),
            is_error: false,
        }
    }

    #[test]
    fn the_oldest_outputs_go_first_and_the_recent_ones_stay() {
        let mut messages = vec![Message::User("go".into())];
        messages.extend((0..8).map(|_| result(4000)));
        assert_eq!(estimate_tokens(&messages), 8000);
        let elided = compact(&mut messages, 5500);
        assert_eq!(elided, 3);
        assert!(estimate_tokens(&messages) <= 5500);
        assert!(matches!(&messages[1], Message::ToolResult { content, .. } if is_elided(content)));
        assert!(
            matches!(&messages[4], Message::ToolResult { content, .. } if content.len() == 4000)
        );
    }

    #[test]
    fn nothing_changes_within_the_budget_or_below_the_recent_results() {
        let mut messages: Vec<Message> = (0..3).map(|_| result(4000)).collect();
        assert_eq!(
            compact(&mut messages, 100),
            0,
            "the last results are kept even over budget"
        );
        let mut small = vec![result(10)];
        assert_eq!(compact(&mut small, 1000), 0);
    }
}
