//! `grep {pattern, path?, include?}`: lines matching a regular expression
//! in the files under `path` (default the workspace) that `.gitignore` does
//! not hide, optionally only in files whose name matches `include`.

use globset::GlobBuilder;
use regex::Regex;
use serde_json::{Value, json};

use super::glob::walk;
use super::registry::{Tool, Touches};
use super::text::looks_binary;
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// Matching lines listed at most.
const MAX_MATCHES: usize = 500;
/// Characters kept of one matching line.
const MAX_LINE_CHARS: usize = 300;

/// The `grep` tool.
pub struct Grep;

impl Tool for Grep {
    fn name(&self) -> &'static str {
        "grep"
    }

    fn description(&self) -> &'static str {
        "Find lines matching a regular expression in files, skipping what .gitignore hides. Returns path:line:text."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "path": {"type": "string", "description": "Folder or file to search (default: the workspace)"},
                "include": {"type": "string", "description": "Only files whose name matches this glob, e.g. *.rs"}
            },
            "required": ["pattern"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        run(input, context)
    }
}

/// Lists `path:line:text` for each matching line.
pub fn run(input: &Value, context: &ToolContext) -> ToolOutput {
    let pattern = match required_str(input, "pattern") {
        Ok(pattern) => pattern,
        Err(error) => return error,
    };
    let regex = match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(e) => {
            return ToolOutput::error(format!(
                "`{pattern}` is not a valid regular expression: {e}"
            ));
        }
    };
    let include = match optional_str(input, "include").map(|g| GlobBuilder::new(g).build()) {
        Some(Ok(glob)) => Some(glob.compile_matcher()),
        Some(Err(e)) => {
            return ToolOutput::error(format!("`include` is not a valid glob: {}", e.kind()));
        }
        None => None,
    };
    let root = context
        .roots
        .resolve(optional_str(input, "path").unwrap_or("."));
    let mut files: Vec<_> = walk(&root)
        .filter(|p| {
            include
                .as_ref()
                .is_none_or(|g| p.file_name().is_some_and(|n| g.is_match(n)))
        })
        .collect();
    files.sort();
    let mut matches = Vec::new();
    let mut total = 0;
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if looks_binary(&bytes) {
            continue;
        }
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (number, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            if regex.is_match(line) {
                total += 1;
                if matches.len() < MAX_MATCHES {
                    let text: String = line.chars().take(MAX_LINE_CHARS).collect();
                    matches.push(format!("{shown}:{}:{text}", number + 1));
                }
            }
        }
    }
    let mut out = matches.join("\n");
    if total == 0 {
        out = format!("no lines match `{pattern}`");
    } else if total > MAX_MATCHES {
        out.push_str(&format!(
            "\n(… {} more matches; narrow the pattern or path)",
            total - MAX_MATCHES
        ));
    }
    ToolOutput::ok(out)
}
