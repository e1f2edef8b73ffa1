//! `write {command, path, content?, old_str?, new_str?, insert_line?}`:
//! create, replace exactly one occurrence, insert after a line, or append.
//! The result is a unified diff of the change.
//!
//! Files are replaced atomically (a temporary file renamed over the old
//! one, keeping its permissions), so a failure never leaves half a file.

use std::path::Path;

use serde_json::{Value, json};
use similar::TextDiff;

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, optional_u64, required_str};

/// The `write` tool.
pub struct Write;

impl Tool for Write {
    fn name(&self) -> &'static str {
        "write"
    }

    fn description(&self) -> &'static str {
        "Change a file: `create` (whole content), `str_replace` (old_str must occur exactly once), `insert` (content after insert_line; 0 is the top) or `append`. Returns a unified diff."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["create", "str_replace", "insert", "append"]},
                "path": {"type": "string"},
                "content": {"type": "string"},
                "old_str": {"type": "string"},
                "new_str": {"type": "string"},
                "insert_line": {"type": "integer", "minimum": 0}
            },
            "required": ["command", "path"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::ReportedFiles
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        run(input, context)
    }
}

/// Applies the edit the input describes.
pub fn run(input: &Value, context: &ToolContext) -> ToolOutput {
    match apply(input, context) {
        Ok(output) => output,
        Err(error) => error,
    }
}

fn apply(input: &Value, context: &ToolContext) -> Result<ToolOutput, ToolOutput> {
    let command = required_str(input, "command")?;
    let raw = required_str(input, "path")?;
    let path = context.roots.resolve(raw);
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ToolOutput::error(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let new = match command {
        "create" => required_str(input, "content")?.to_string(),
        "append" => format!(
            "{}{}",
            old.as_deref().unwrap_or_default(),
            required_str(input, "content")?
        ),
        "str_replace" => replace_once(existing(&old, &path)?, input)?,
        "insert" => insert_after(existing(&old, &path)?, input)?,
        other => {
            return Err(ToolOutput::error(format!(
                "unknown command `{other}`: use create, str_replace, insert or append"
            )));
        }
    };
    write_atomically(&path, &new)?;
    let diff = TextDiff::from_lines(old.as_deref().unwrap_or_default(), new.as_str())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{raw}"), &format!("b/{raw}"))
        .to_string();
    let summary = if old.is_none() { "created" } else { "changed" };
    Ok(ToolOutput {
        text: format!("{summary} {}\n{diff}", path.display()),
        is_error: false,
        changed: vec![path],
        exit_code: None,
        writes: Vec::new(),
        code: Vec::new(),
    })
}

fn existing<'a>(old: &'a Option<String>, path: &Path) -> Result<&'a str, ToolOutput> {
    old.as_deref().ok_or_else(|| {
        ToolOutput::error(format!("{} does not exist; use `create`", path.display()))
    })
}

fn replace_once(old: &str, input: &Value) -> Result<String, ToolOutput> {
    let needle = required_str(input, "old_str")?;
    let replacement = optional_str(input, "new_str").unwrap_or_default();
    if needle.is_empty() {
        return Err(ToolOutput::error("`old_str` is empty"));
    }
    match old.matches(needle).count() {
        1 => Ok(old.replacen(needle, replacement, 1)),
        0 => Err(ToolOutput::error(
            "`old_str` was not found; read the file and copy the text exactly",
        )),
        n => Err(ToolOutput::error(format!(
            "`old_str` occurs {n} times; include more surrounding lines so it occurs once"
        ))),
    }
}

fn insert_after(old: &str, input: &Value) -> Result<String, ToolOutput> {
    let line = optional_u64(input, "insert_line")
        .ok_or_else(|| ToolOutput::error("`insert` needs `insert_line` (0 inserts at the top)"))?
        as usize;
    let content = required_str(input, "content")?;
    let lines: Vec<&str> = old.split_inclusive('\n').collect();
    if line > lines.len() {
        return Err(ToolOutput::error(format!(
            "the file has {} lines",
            lines.len()
        )));
    }
    let mut inserted = content.to_string();
    if !inserted.ends_with('\n') {
        inserted.push('\n');
    }
    let mut out: String = lines[..line].concat();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&inserted);
    out.push_str(&lines[line..].concat());
    Ok(out)
}

fn write_atomically(path: &Path, text: &str) -> Result<(), ToolOutput> {
    crate::atomic::write(path, text.as_bytes(), None)
        .map_err(|e| ToolOutput::error(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replace_needs_exactly_one_match() {
        let input = json!({"old_str": "a", "new_str": "b"});
        assert_eq!(replace_once("xay", &input).unwrap(), "xby");
        assert!(
            replace_once("aa", &input)
                .unwrap_err()
                .text
                .contains("2 times")
        );
        assert!(
            replace_once("x", &input)
                .unwrap_err()
                .text
                .contains("not found")
        );
    }

    #[test]
    fn insert_after_a_line() {
        let input = json!({"insert_line": 1, "content": "new"});
        assert_eq!(
            insert_after("one\ntwo\n", &input).unwrap(),
            "one\nnew\ntwo\n"
        );
        let top = json!({"insert_line": 0, "content": "new\n"});
        assert_eq!(insert_after("one", &top).unwrap(), "new\none");
        let end = json!({"insert_line": 1, "content": "new"});
        assert_eq!(insert_after("one", &end).unwrap(), "one\nnew\n");
        assert!(insert_after("one\n", &json!({"insert_line": 5, "content": "x"})).is_err());
    }
}
