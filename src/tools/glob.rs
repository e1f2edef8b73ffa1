//! `glob {pattern, path?}`: files whose path (relative to `path`, default
//! the workspace) matches a glob, honouring `.gitignore` (also outside git
//! repositories) like ripgrep does.

use std::path::Path;

use globset::GlobBuilder;
use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// Paths listed at most.
const MAX_RESULTS: usize = 1000;

/// The `glob` tool.
pub struct Glob;

impl Tool for Glob {
    fn name(&self) -> &'static str {
        "glob"
    }

    fn description(&self) -> &'static str {
        "List files whose path matches a glob (`**/*.py`), skipping what .gitignore hides."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "path": {"type": "string", "description": "Folder to search (default: the workspace)"}
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

/// Lists the matching files, sorted.
pub fn run(input: &Value, context: &ToolContext) -> ToolOutput {
    let pattern = match required_str(input, "pattern") {
        Ok(pattern) => pattern,
        Err(error) => return error,
    };
    let root = context
        .roots
        .resolve(optional_str(input, "path").unwrap_or("."));
    let matcher = match GlobBuilder::new(pattern).literal_separator(true).build() {
        Ok(glob) => glob.compile_matcher(),
        Err(e) => {
            return ToolOutput::error(format!("`{pattern}` is not a valid glob: {}", e.kind()));
        }
    };
    let mut found: Vec<String> = walk(&root)
        .filter_map(|path| {
            let relative = path.strip_prefix(&root).ok()?;
            matcher
                .is_match(relative)
                .then(|| relative.display().to_string())
        })
        .collect();
    found.sort();
    let total = found.len();
    found.truncate(MAX_RESULTS);
    let mut out = found.join("\n");
    if total == 0 {
        out = format!("no files match `{pattern}` under {}", root.display());
    } else if total > MAX_RESULTS {
        out.push_str(&format!(
            "\n(… {} more; narrow the pattern)",
            total - MAX_RESULTS
        ));
    }
    ToolOutput::ok(out)
}

/// Every file under `root` that `.gitignore`, `.ignore` and git's excludes
/// do not hide; hidden files are included, `.git` folders never.
pub(crate) fn walk(root: &Path) -> impl Iterator<Item = std::path::PathBuf> + use<> {
    crate::config::skills::files_under(root)
}
