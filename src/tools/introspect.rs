//! `introspect {query?, doc_path?}`: answers questions about `agent`
//! itself from the README shipped inside the binary (the sections that
//! best match the question's words), and about the running agent's rules
//! from the policy's own explanation of them, so the model never has to
//! guess what this program or this agent allows.

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str};

/// The README, as built into the binary.
const README: &str = include_str!("../../README.md");

/// Sections returned for one question.
const SECTIONS_SHOWN: usize = 3;

/// The `introspect` tool.
pub struct Introspect;

impl Tool for Introspect {
    fn name(&self) -> &'static str {
        "introspect"
    }

    fn description(&self) -> &'static str {
        "Answers questions about this program (`agent`): its commands, slash commands, settings, tools and this agent's rules (what runs unasked, what asks, what is denied). Use only for questions about the assistant itself; state only what it returns."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "The question about this assistant"},
                "doc_path": {"type": "string", "description": "A README section title to return whole"}
            }
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let sections = sections(README);
        let chosen: Vec<&Section> = match optional_str(input, "doc_path") {
            Some(title) => sections
                .iter()
                .filter(|s| s.title.eq_ignore_ascii_case(title.trim_start_matches('#').trim()))
                .collect(),
            None => best(&sections, optional_str(input, "query").unwrap_or_default()),
        };
        let mut out = format!("This agent's rules:\n{}\n", context.session.rules);
        if chosen.is_empty() {
            out.push_str("\nThe documentation has nothing on this; say that it is not documented.");
        }
        for section in chosen {
            out.push_str(&format!("\n## {}\n{}\n", section.title, section.body.trim()));
        }
        ToolOutput::ok(out)
    }
}

/// One `#`-headed part of a Markdown text.
struct Section<'a> {
    title: &'a str,
    body: &'a str,
}

/// The text's sections, each under its heading (fenced code is kept with
/// its section, so a `#` comment inside it starts nothing).
fn sections(text: &str) -> Vec<Section<'_>> {
    let mut found: Vec<Section<'_>> = Vec::new();
    let mut in_code = false;
    let mut title = "";
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            found.push(Section {
                title,
                body: &text[start..offset],
            });
            title = line.trim_start_matches('#').trim();
            start = offset + line.len();
        }
        offset += line.len();
    }
    found.push(Section {
        title,
        body: &text[start..],
    });
    found.retain(|s| !s.body.trim().is_empty());
    found
}

/// The sections sharing the most words with `query`, best first.
fn best<'s, 'a>(sections: &'s [Section<'a>], query: &str) -> Vec<&'s Section<'a>> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '/')
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect();
    let mut scored: Vec<(usize, &Section<'a>)> = sections
        .iter()
        .map(|section| {
            let title = section.title.to_lowercase();
            let body = section.body.to_lowercase();
            let score = words
                .iter()
                .map(|w| 3 * title.matches(w.as_str()).count() + body.matches(w.as_str()).count())
                .sum();
            (score, section)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    scored
        .into_iter()
        .take(SECTIONS_SHOWN)
        .map(|(_, s)| s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_about_the_question_comes_first() {
        let text = "# A\nintro\n## Checkpoints\nrestore puts files back\n```sh\n# not a heading\n```\n## Hooks\nrun commands\n";
        let all = sections(text);
        assert_eq!(
            all.iter().map(|s| s.title).collect::<Vec<_>>(),
            ["A", "Checkpoints", "Hooks"]
        );
        let found = best(&all, "how do I restore checkpoints?");
        assert_eq!(found[0].title, "Checkpoints");
        assert!(found[0].body.contains("# not a heading"));
        assert!(best(&all, "zzz").is_empty());
    }
}
