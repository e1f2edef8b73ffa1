//! `tool_search {query?, tool_id?, max_results?}`: Kiro's search over the
//! tools a session can call. Kiro defers some MCP tools until a search
//! loads them; here every tool the agent may use is offered from the
//! start, so the search only finds: it ranks the session's tools by how
//! many of the query's words their name and description contain, or looks
//! one up by `server::tool` (Kiro's id) or by name, and answers in Kiro's
//! shape (`{"tools": [{tool_name, server_name, description}]}`).

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, optional_u64};

/// Results unless the call says otherwise (Kiro's default).
const DEFAULT_RESULTS: usize = 5;

/// The `tool_search` tool.
pub struct ToolSearch;

impl Tool for ToolSearch {
    fn name(&self) -> &'static str {
        "tool_search"
    }

    fn description(&self) -> &'static str {
        "Find the tools you can call: `query` (keywords) ranks them by name and description; `tool_id` (`server::tool`, or a tool's name) looks one up. Every tool found is already available; call it by its `tool_name`."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "tool_id": {"type": "string", "description": "server_name::tool_name, or a tool's name"},
                "query": {"type": "string", "description": "Keywords"},
                "max_results": {"type": "integer", "minimum": 1}
            }
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let tools = &context.session.tool_index;
        let limit = optional_u64(input, "max_results").map_or(DEFAULT_RESULTS, |n| n as usize);
        let found: Vec<&(String, String)> = match (optional_str(input, "tool_id"), optional_str(input, "query")) {
            (Some(id), _) => tools.iter().filter(|(name, _)| named(name, id)).collect(),
            (None, Some(query)) => ranked(tools, query).into_iter().take(limit).collect(),
            (None, None) => return ToolOutput::error("give `query` or `tool_id`"),
        };
        let shown: Vec<Value> = found
            .iter()
            .map(|(name, description)| {
                let server = name.split_once("___").map_or("builtin", |(server, _)| server);
                json!({"tool_name": name, "server_name": server, "description": description})
            })
            .collect();
        ToolOutput::ok(json!({ "tools": shown }).to_string())
    }
}

/// Whether the offered tool `name` (`server___tool` for MCP tools) is the
/// one `id` names: `server::tool`, or the name itself.
fn named(name: &str, id: &str) -> bool {
    name == id || id.split_once("::").is_some_and(|(server, tool)| name == format!("{server}___{tool}"))
}

/// The tools containing at least one of `query`'s words, most words first.
fn ranked<'a>(tools: &'a [(String, String)], query: &str) -> Vec<&'a (String, String)> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut scored: Vec<(usize, &(String, String))> = tools
        .iter()
        .map(|tool| {
            let text = format!("{} {}", tool.0, tool.1).to_lowercase();
            (words.iter().filter(|w| text.contains(w.as_str())).count(), tool)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    scored.into_iter().map(|(_, tool)| tool).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Vec<(String, String)> {
        vec![
            ("read".into(), "Read a text file".into()),
            ("notes___write_note".into(), "Write a note to a file".into()),
            ("shell".into(), "Run a bash command".into()),
        ]
    }

    #[test]
    fn the_tool_with_most_query_words_comes_first() {
        let tools = index();
        let found: Vec<&str> = ranked(&tools, "write note").iter().map(|t| t.0.as_str()).collect();
        assert_eq!(found, ["notes___write_note"]);
        let found: Vec<&str> = ranked(&tools, "file note").iter().map(|t| t.0.as_str()).collect();
        assert_eq!(found, ["notes___write_note", "read"]);
        assert!(ranked(&tools, "deploy").is_empty());
    }

    #[test]
    fn kiros_ids_name_mcp_tools() {
        assert!(named("notes___write_note", "notes::write_note"));
        assert!(named("read", "read"));
        assert!(!named("notes___write_note", "other::write_note"));
    }
}
