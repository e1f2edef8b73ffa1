//! The `code` tool's operations that need a language server: references,
//! definitions, hover, completions, diagnostics, rename and format. Paths
//! the policy hides are left out of every answer; rename and format only
//! compute new contents, which the dispatcher writes through `write`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use similar::TextDiff;

use super::client::{Client, file_uri, uri_path};
use crate::code::Workspace;
use crate::code::ops::{PlannedWrite, listing};
use crate::code::report::{CodeReport, Diagnostic};

/// Diagnostic lines shown at most.
pub const MAX_DIAGNOSTICS: usize = 30;

/// A position in a file, 1-based, as the model gives it.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// Line.
    pub row: usize,
    /// Column, in characters.
    pub column: usize,
}

/// The text of `file`, synced to the server, and the LSP position of `at`.
fn open(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
    at: Option<At>,
) -> Result<(String, Value), String> {
    let (_, text) = crate::code::ops::read_source(workspace, file)?;
    client.sync(file, &text)?;
    let position = at.map_or(Value::Null, |at| {
        let line = text
            .lines()
            .nth(at.row.saturating_sub(1))
            .unwrap_or_default();
        let character: usize = line
            .chars()
            .take(at.column.saturating_sub(1))
            .map(char::len_utf16)
            .sum();
        json!({"line": at.row.saturating_sub(1), "character": character})
    });
    let params = json!({"textDocument": {"uri": file_uri(file)}, "position": position});
    Ok((text, params))
}

/// `find_references` and `goto_definition`: the locations the server
/// gives, each with its line.
pub fn locations(
    client: &Client,
    workspace: &Workspace,
    method: &str,
    file: &Path,
    at: At,
    limit: usize,
) -> Result<String, String> {
    let (_, mut params) = open(client, workspace, file, Some(at))?;
    if method == "textDocument/references" {
        params["context"] = json!({"includeDeclaration": true});
    }
    let result = client.request(method, params)?;
    let found: Vec<Value> = match result {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        single => vec![single],
    };
    let mut lines = Vec::new();
    for location in &found {
        let uri = location["uri"]
            .as_str()
            .or(location["targetUri"].as_str())
            .unwrap_or_default();
        let range = if location["range"].is_object() {
            &location["range"]
        } else {
            &location["targetSelectionRange"]
        };
        let Some(path) = uri_path(uri) else { continue };
        if workspace.hidden.hides(&path) {
            continue;
        }
        let line = range["start"]["line"].as_u64().unwrap_or(0) as usize;
        let column = range["start"]["character"].as_u64().unwrap_or(0) as usize;
        let shown = workspace
            .relative(&path)
            .unwrap_or_else(|| path.display().to_string());
        let text = std::fs::read(&path)
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .nth(line)
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        lines.push(format!("{shown}:{}:{}: {text}", line + 1, column + 1));
    }
    let total = lines.len();
    let shown = lines.into_iter().take(limit).collect();
    Ok(listing(
        shown,
        total,
        "the server found nothing at that position",
    ))
}

/// `get_hover`: the type and documentation at a position, as text.
pub fn hover(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
    at: At,
) -> Result<String, String> {
    let (_, params) = open(client, workspace, file, Some(at))?;
    let result = client.request("textDocument/hover", params)?;
    let text = match &result["contents"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts.iter().map(markup).collect::<Vec<_>>().join("\n"),
        other => markup(other),
    };
    Ok(if text.trim().is_empty() {
        "no hover information at that position".into()
    } else {
        text
    })
}

fn markup(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other["value"].as_str().unwrap_or_default().to_string(),
    }
}

/// `get_completions`: labels (with their detail), those containing
/// `filter` when given.
pub fn completions(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
    at: At,
    filter: Option<&str>,
    limit: usize,
) -> Result<String, String> {
    let (_, params) = open(client, workspace, file, Some(at))?;
    let result = client.request("textDocument/completion", params)?;
    let items = result
        .as_array()
        .cloned()
        .or_else(|| result["items"].as_array().cloned())
        .unwrap_or_default();
    let lines: Vec<String> = items
        .iter()
        .filter_map(|item| {
            let label = item["label"].as_str()?;
            if filter.is_some_and(|f| !label.to_lowercase().contains(&f.to_lowercase())) {
                return None;
            }
            let detail = item["detail"]
                .as_str()
                .map(|d| format!("  {d}"))
                .unwrap_or_default();
            Some(format!("{label}{detail}"))
        })
        .collect();
    let total = lines.len();
    Ok(listing(
        lines.into_iter().take(limit).collect(),
        total,
        "no completions",
    ))
}

/// `get_diagnostics`: the server's diagnostics of `file`, errors first,
/// as text and as a report.
pub fn diagnostics(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
    wait: Duration,
) -> Result<(String, CodeReport), String> {
    let (_, text) = crate::code::ops::read_source(workspace, file)?;
    let found = client.diagnostics(file, &text, wait)?;
    let shown = workspace
        .relative(file)
        .unwrap_or_else(|| file.display().to_string());
    let report = diagnostics_report(&shown, &client.config.name, &found, MAX_DIAGNOSTICS);
    let text = format_diagnostics(&report).unwrap_or_else(|| format!("{shown}: no diagnostics"));
    Ok((text, report))
}

/// The diagnostics `server` published for `shown` (`found`), errors
/// before warnings, at most `max` of them.
pub fn diagnostics_report(shown: &str, server: &str, found: &[Value], max: usize) -> CodeReport {
    let mut diagnostics = Diagnostic::sorted(found);
    let total = diagnostics.len();
    let errors = diagnostics.iter().filter(|d| d.severity == "error").count();
    diagnostics.truncate(max);
    CodeReport::Diagnostics {
        path: shown.to_string(),
        server: server.to_string(),
        diagnostics,
        total,
        errors,
    }
}

/// A diagnostics report as `path:line:col: severity: message [source]`
/// lines, as the model reads them; `None` when there are none (or it is
/// not a diagnostics report).
pub fn format_diagnostics(report: &CodeReport) -> Option<String> {
    let CodeReport::Diagnostics {
        path,
        diagnostics,
        total,
        ..
    } = report
    else {
        return None;
    };
    if diagnostics.is_empty() {
        return None;
    }
    let lines = diagnostics.iter().map(|d| d.line_for(path)).collect();
    Some(listing(lines, *total, ""))
}

/// `rename_symbol`: the diff of the server's rename, and the new contents
/// of the files it changes.
pub fn rename(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
    at: At,
    new_name: &str,
) -> Result<(String, Vec<PlannedWrite>), String> {
    let (_, mut params) = open(client, workspace, file, Some(at))?;
    params["newName"] = json!(new_name);
    let edit = client.request("textDocument/rename", params)?;
    let mut by_file: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    if let Some(changes) = edit["changes"].as_object() {
        for (uri, edits) in changes {
            if let Some(path) = uri_path(uri) {
                by_file
                    .entry(path)
                    .or_default()
                    .extend(edits.as_array().cloned().unwrap_or_default());
            }
        }
    }
    for change in edit["documentChanges"].as_array().into_iter().flatten() {
        if let Some(path) = change["textDocument"]["uri"].as_str().and_then(uri_path) {
            by_file
                .entry(path)
                .or_default()
                .extend(change["edits"].as_array().cloned().unwrap_or_default());
        }
    }
    planned(workspace, by_file)
}

/// `format`: the diff of the server's formatting of `file`.
pub fn format(
    client: &Client,
    workspace: &Workspace,
    file: &Path,
) -> Result<(String, Vec<PlannedWrite>), String> {
    let (_, params) = open(client, workspace, file, None)?;
    let params = json!({"textDocument": params["textDocument"], "options": {"tabSize": 4, "insertSpaces": true}});
    let edits = client.request("textDocument/formatting", params)?;
    let edits = edits.as_array().cloned().unwrap_or_default();
    planned(workspace, BTreeMap::from([(file.to_path_buf(), edits)]))
}

/// The files `edits` change, each with its new content and diff; a hidden
/// or unreadable file refuses the whole change.
fn planned(
    workspace: &Workspace,
    edits: BTreeMap<PathBuf, Vec<Value>>,
) -> Result<(String, Vec<PlannedWrite>), String> {
    let mut diffs = String::new();
    let mut writes = Vec::new();
    for (path, edits) in edits {
        let (_, text) = crate::code::ops::read_source(workspace, &path)?;
        let new = apply_edits(&text, &edits);
        if new == text {
            continue;
        }
        let shown = workspace
            .relative(&path)
            .unwrap_or_else(|| path.display().to_string());
        let diff = TextDiff::from_lines(text.as_str(), new.as_str());
        diffs.push_str(
            &diff
                .unified_diff()
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
                .to_string(),
        );
        writes.push(PlannedWrite { path, content: new });
    }
    let summary = format!("{} file(s) change\n", writes.len());
    Ok((summary + &diffs, writes))
}

/// `text` with LSP text edits applied (ranges in UTF-16 units).
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |position: &Value| -> usize {
        let line = position["line"].as_u64().unwrap_or(0) as usize;
        let Some(&start) = starts.get(line) else {
            return text.len();
        };
        let end = starts.get(line + 1).map_or(text.len(), |next| next - 1);
        let mut units = position["character"].as_u64().unwrap_or(0) as usize;
        let mut at = start;
        for c in text[start..end].chars() {
            if units == 0 {
                break;
            }
            units = units.saturating_sub(c.len_utf16());
            at += c.len_utf8();
        }
        at
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        if start <= end && end <= out.len() {
            out.replace_range(start..end, new);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_from_the_end_in_utf16_units() {
        let text = "é = 1\nprint(é)\n";
        let edit = |l1, c1, l2, c2, new: &str| json!({"range": {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}, "newText": new});
        let out = apply_edits(text, &[edit(0, 0, 0, 1, "x"), edit(1, 6, 1, 7, "x")]);
        assert_eq!(out, "x = 1\nprint(x)\n");
    }

    #[test]
    fn diagnostics_list_errors_first() {
        let found = vec![
            json!({"severity": 2, "message": "unused", "range": {"start": {"line": 0, "character": 0}}}),
            json!({"severity": 1, "message": "undefined name", "source": "pyflakes", "range": {"start": {"line": 4, "character": 2}}}),
        ];
        let report = diagnostics_report("a.py", "pylsp", &found, 1);
        assert_eq!(report.summary(), "a.py: 1 error, 1 warning (pylsp)");
        let text = format_diagnostics(&report).unwrap();
        assert!(
            text.starts_with("a.py:5:3: error: undefined name [pyflakes]\n(… 1 more"),
            "{text}"
        );
    }
}
