//! `read {path, start_line?, end_line?}`: a file with line numbers, paged, or
//! a folder listing.

use std::path::Path;

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::text::looks_binary;
use super::{ToolContext, ToolOutput, optional_u64, required_str};

/// Lines shown when the call does not say which.
pub const DEFAULT_PAGE_LINES: usize = 2000;
/// Characters kept of one very long line.
const MAX_LINE_CHARS: usize = 2000;
/// Entries shown of one folder.
const MAX_ENTRIES: usize = 1000;

/// The `read` tool.
pub struct Read;

impl Tool for Read {
    fn name(&self) -> &'static str {
        "read"
    }

    fn description(&self) -> &'static str {
        "Read a text file with line numbers (2000 lines a page; use start_line/end_line for more), or list a folder."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File or folder, relative to the workspace"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1}
            },
            "required": ["path"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        run(input, context)
    }
}

/// Reads the file or lists the folder the input names.
pub fn run(input: &Value, context: &ToolContext) -> ToolOutput {
    let raw = match required_str(input, "path") {
        Ok(raw) => raw,
        Err(error) => return error,
    };
    let path = context.roots.resolve(raw);
    if path.is_dir() {
        return list_folder(&path);
    }
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => return ToolOutput::error(format!("cannot read {}: {e}", path.display())),
    };
    if looks_binary(&bytes) {
        return ToolOutput::ok(format!(
            "{} is a binary file of {} bytes",
            path.display(),
            bytes.len()
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let start = optional_u64(input, "start_line").unwrap_or(1).max(1) as usize;
    let end = optional_u64(input, "end_line").map(|e| e as usize);
    ToolOutput::ok(numbered_page(&text, start, end))
}

/// Lines `start..=end` (1-based) with their numbers, and a note when more
/// of the file remains.
fn numbered_page(text: &str, start: usize, end: Option<usize>) -> String {
    let total = text.lines().count();
    let last = end.unwrap_or(start + DEFAULT_PAGE_LINES - 1).min(total);
    let mut out = String::new();
    for (index, line) in text
        .lines()
        .enumerate()
        .skip(start - 1)
        .take(last.saturating_sub(start - 1))
    {
        let shown: String = line.chars().take(MAX_LINE_CHARS).collect();
        let marker = if shown.len() < line.len() {
            " […]"
        } else {
            ""
        };
        out.push_str(&format!("{:>6}\t{shown}{marker}\n", index + 1));
    }
    if total == 0 {
        out.push_str("(empty file)\n");
    } else if start > total {
        out.push_str(&format!("(the file has {total} lines)\n"));
    } else if last < total {
        out.push_str(&format!(
            "(lines {start}-{last} of {total}; read again with start_line = {} for more)\n",
            last + 1
        ));
    }
    out
}

fn list_folder(path: &Path) -> ToolOutput {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return ToolOutput::error(format!("cannot list {}: {e}", path.display())),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                format!("{name}/")
            } else {
                name
            }
        })
        .collect();
    names.sort();
    let total = names.len();
    names.truncate(MAX_ENTRIES);
    let mut out = names.join("\n");
    if total > MAX_ENTRIES {
        out.push_str(&format!("\n(… {} more entries)", total - MAX_ENTRIES));
    }
    if total == 0 {
        out = "(empty folder)".into();
    }
    ToolOutput::ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_with_line_numbers() {
        let text = (1..=5)
            .map(|n| format!("line {n}"))
            .collect::<Vec<_>>()
            .join("\n");
        let page = numbered_page(&text, 2, Some(3));
        assert_eq!(
            page,
            "     2\tline 2\n     3\tline 3\n(lines 2-3 of 5; read again with start_line = 4 for more)\n"
        );
        assert!(numbered_page(&text, 9, None).contains("has 5 lines"));
        assert_eq!(numbered_page("", 1, None), "(empty file)\n");
    }
}
