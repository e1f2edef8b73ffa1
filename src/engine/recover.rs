//! Tool calls and edits that a small model wrote as text instead of as a
//! tool call. When a reply carries no tool call, its text is read for:
//!
//! - a call: a fenced JSON object with `name` and `arguments`, the same
//!   inside `<tool_call>` tags, or a line that is such an object;
//! - an edit: a whole file in a fenced block headed by its path (the line
//!   before the fence, or the fence's info string), or search/replace
//!   blocks (`<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE`) under a path.
//!
//! Each becomes an ordinary tool call (an edit a `write`), which the turn
//! hands to the one dispatcher like any other: the policy, the fence, the
//! checkpoint and the events apply unchanged. Only names of offered tools
//! are taken.

use serde::Serialize;
use serde_json::{Value, json};

/// The text form a call was recovered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// A fenced JSON object with `name` and `arguments`.
    FencedJson,
    /// `<tool_call>{…}</tool_call>`.
    ToolCallTag,
    /// A line that is a `{"name": …, "arguments": …}` object.
    JsonLine,
    /// A whole file in a fenced block headed by its path.
    WholeFile,
    /// Search/replace blocks under a path.
    SearchReplace,
}

/// A call read from a reply's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    /// The tool.
    pub name: String,
    /// Its arguments.
    pub input: Value,
    /// Where it came from.
    pub form: Form,
}

/// The calls written in `text`, for the tools named in `offered`: calls
/// first; edits only when no call was written and `write` is offered.
pub fn recover(text: &str, offered: &[String]) -> Vec<Recovered> {
    let offered = |name: &str| offered.iter().any(|o| o == name);
    let calls = written_calls(text, &offered);
    if !calls.is_empty() || !offered("write") {
        return calls;
    }
    written_edits(text)
}

fn written_calls(text: &str, offered: &dyn Fn(&str) -> bool) -> Vec<Recovered> {
    let mut calls = Vec::new();
    for body in tagged(text, "<tool_call>", "</tool_call>") {
        calls.extend(as_calls(body, offered, Form::ToolCallTag));
    }
    if calls.is_empty() {
        for block in fenced_blocks(text) {
            calls.extend(as_calls(&block.body, offered, Form::FencedJson));
        }
    }
    if calls.is_empty() {
        for line in text.lines().map(str::trim) {
            if line.starts_with("{\"name\"") {
                calls.extend(as_calls(line, offered, Form::JsonLine));
            }
        }
    }
    calls
}

/// The calls in a JSON text: one object, or a list of them.
fn as_calls(body: &str, offered: &dyn Fn(&str) -> bool, form: Form) -> Vec<Recovered> {
    let items = match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Array(items)) => items,
        Ok(value) => vec![value],
        Err(_) => return Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| as_call(item, offered, form))
        .collect()
}

fn as_call(item: &Value, offered: &dyn Fn(&str) -> bool, form: Form) -> Option<Recovered> {
    let name = item.get("name")?.as_str().filter(|name| offered(name))?;
    let arguments = ["arguments", "parameters", "input"]
        .iter()
        .find_map(|key| item.get(*key))?;
    let input = match arguments {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    input.is_object().then(|| Recovered {
        name: name.to_string(),
        input,
        form,
    })
}

/// The text between each `open` and the next `close`.
fn tagged<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(close) else {
            break;
        };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// A fenced block: the line before it, its info string, its body.
struct Block {
    before: String,
    info: String,
    body: String,
}

fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut before = "";
    let mut open: Option<Block> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                open = Some(Block {
                    before: before.to_string(),
                    info: line.trim().trim_start_matches('`').trim().to_string(),
                    body: String::new(),
                });
            }
            (Some(_), true) => blocks.extend(open.take()),
            (Some(block), false) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, false) => {}
        }
        if !line.trim().is_empty() {
            before = line;
        }
    }
    blocks
}

fn written_edits(text: &str) -> Vec<Recovered> {
    let replacements = search_replace(text);
    if !replacements.is_empty() {
        return replacements;
    }
    fenced_blocks(text)
        .into_iter()
        .filter(|block| !block.body.contains("<<<<<<< SEARCH"))
        .filter_map(|block| {
            let path = info_path(&block.info).or_else(|| heading_path(&block.before))?;
            Some(Recovered {
                name: "write".into(),
                input: json!({"command": "create", "path": path, "content": block.body}),
                form: Form::WholeFile,
            })
        })
        .collect()
}

/// `<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE` blocks, each under the
/// last path named before it.
fn search_replace(text: &str) -> Vec<Recovered> {
    let mut edits = Vec::new();
    let mut path: Option<String> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "<<<<<<< SEARCH" {
            if let Some(named) = heading_path(line) {
                path = Some(named);
            }
            continue;
        }
        let search = until(&mut lines, "=======");
        let replace = until(&mut lines, ">>>>>>> REPLACE");
        let (Some(path), Some(search), Some(replace)) = (path.clone(), search, replace) else {
            break;
        };
        edits.push(Recovered {
            name: "write".into(),
            input: json!({"command": "str_replace", "path": path, "old_str": search, "new_str": replace}),
            form: Form::SearchReplace,
        });
    }
    edits
}

/// The lines up to the marker line (not included), or `None` without one.
fn until<'a>(lines: &mut impl Iterator<Item = &'a str>, marker: &str) -> Option<String> {
    let mut taken = String::new();
    for line in lines.by_ref() {
        if line.trim() == marker {
            return Some(taken);
        }
        taken.push_str(line);
        taken.push('\n');
    }
    None
}

/// The file path a heading line names: the line is the path and nothing
/// else, perhaps decorated (`src/a.py`, `**src/a.py**`, `# File: src/a.py`),
/// so a sentence that merely mentions a file heads no edit.
fn heading_path(line: &str) -> Option<String> {
    let bare = line.trim().trim_start_matches('#').trim();
    let bare = bare
        .strip_prefix("File:")
        .or_else(|| bare.strip_prefix("file:"))
        .unwrap_or(bare)
        .trim();
    match bare.split_whitespace().count() {
        1 => plausible_path(bare),
        _ => None,
    }
}

/// The path in a fence's info string (`src/a.py`, `python src/a.py`).
fn info_path(info: &str) -> Option<String> {
    match info.split_whitespace().collect::<Vec<_>>().as_slice() {
        [one] | [_, one] => plausible_path(one),
        _ => None,
    }
}

/// `word`, stripped of markdown decoration, when it looks like a relative
/// file path (it has an extension, and no characters a path rarely has).
fn plausible_path(word: &str) -> Option<String> {
    let path = word.trim_matches(|c: char| matches!(c, '*' | '`' | ':' | '"' | '\''));
    let plausible = path.contains('.')
        && !path.starts_with('.')
        && !path.ends_with('.')
        && path
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    plausible.then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> Vec<String> {
        vec!["shell".into(), "write".into(), "read".into()]
    }

    #[test]
    fn calls_in_each_text_form_are_recovered() {
        let fenced = "I will run it.\n```json\n{\"name\": \"shell\", \"arguments\": {\"command\": \"ls\"}}\n```";
        let tagged = "<tool_call>\n{\"name\": \"read\", \"arguments\": \"{\\\"path\\\": \\\"a.py\\\"}\"}\n</tool_call>";
        let line = "Calling:\n{\"name\": \"shell\", \"arguments\": {\"command\": \"pwd\"}}";
        let found: Vec<(Form, Value)> = [fenced, tagged, line]
            .iter()
            .flat_map(|text| recover(text, &tools()))
            .map(|r| (r.form, r.input))
            .collect();
        assert_eq!(
            found,
            [
                (Form::FencedJson, json!({"command": "ls"})),
                (Form::ToolCallTag, json!({"path": "a.py"})),
                (Form::JsonLine, json!({"command": "pwd"})),
            ]
        );
    }

    #[test]
    fn only_offered_tools_and_object_arguments_count() {
        let text = "```json\n{\"name\": \"delete_everything\", \"arguments\": {}}\n```\n{\"name\": \"shell\", \"arguments\": 3}";
        assert!(recover(text, &tools()).is_empty());
    }

    #[test]
    fn a_whole_file_under_its_path_becomes_a_create() {
        let text = "Here is the file.\n\n**src/inventory.py**\n```python\ndef f() -> int:\n    return 1\n```\nAnd a plain snippet:\n```python\nprint(1)\n```";
        let found = recover(text, &tools());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].form, Form::WholeFile);
        assert_eq!(
            found[0].input,
            json!({"command": "create", "path": "src/inventory.py", "content": "def f() -> int:\n    return 1\n"})
        );
        let info = recover("```python src/a.py\nx = 1\n```", &tools());
        assert_eq!(info[0].input["path"], "src/a.py");
        let mention = "I changed src/inventory.py:\n```python\ndef f() -> int: ...\n```";
        assert!(
            recover(mention, &tools()).is_empty(),
            "a sentence heads no edit"
        );
    }

    #[test]
    fn search_replace_blocks_become_replacements() {
        let text = "src/inventory.py\n```python\n<<<<<<< SEARCH\ndef total_units(items):\n=======\ndef total_units(items: dict[str, int]) -> int:\n>>>>>>> REPLACE\n```";
        let found = recover(text, &tools());
        assert_eq!(
            found,
            [Recovered {
                name: "write".into(),
                input: json!({"command": "str_replace", "path": "src/inventory.py", "old_str": "def total_units(items):\n", "new_str": "def total_units(items: dict[str, int]) -> int:\n"}),
                form: Form::SearchReplace,
            }]
        );
    }

    #[test]
    fn without_write_offered_edits_are_not_taken() {
        let text = "src/a.py\n```python\nx = 1\n```";
        assert!(recover(text, &["read".to_string()]).is_empty());
    }
}
