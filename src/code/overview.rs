//! The codebase overview (per folder: its languages, its main files and
//! their top-level symbols) and the codebase map (files whose path matches,
//! with their top-level symbols).

use std::collections::BTreeMap;

use super::Workspace;
use super::index::FileEntry;
use super::ops::listing;

/// Folders described at most.
const MAX_FOLDERS: usize = 60;
/// Files named per folder.
const FILES_PER_FOLDER: usize = 5;
/// Symbols named per file.
const SYMBOLS_PER_FILE: usize = 8;
/// Files listed by the map.
const MAX_MAP_FILES: usize = 100;

/// Per folder under `prefix` (relative, `""` for all): languages and
/// counts, then its files with the most top-level symbols and those
/// symbols.
pub fn overview(workspace: &Workspace, prefix: &str) -> String {
    workspace.with_index(|index, _| {
        let mut folders: BTreeMap<&str, Vec<&FileEntry>> = BTreeMap::new();
        for file in index.files.values().filter(|f| under(&f.path, prefix)) {
            let folder = file.path.rsplit_once('/').map_or(".", |(folder, _)| folder);
            folders.entry(folder).or_default().push(file);
        }
        let total_files: usize = folders.values().map(Vec::len).sum();
        let mut out = vec![format!(
            "{total_files} source file(s) in {} folder(s)",
            folders.len()
        )];
        for (folder, files) in folders.iter().take(MAX_FOLDERS) {
            out.push(format!("\n{folder}/  {}", languages(files)));
            let mut ranked = files.clone();
            ranked.sort_by_key(|f| std::cmp::Reverse(top_level(f).len()));
            for file in ranked.iter().take(FILES_PER_FOLDER) {
                out.push(format!("  {}", file_line(file)));
            }
            if files.len() > FILES_PER_FOLDER {
                out.push(format!(
                    "  (… {} more files)",
                    files.len() - FILES_PER_FOLDER
                ));
            }
        }
        if folders.len() > MAX_FOLDERS {
            out.push(format!(
                "\n(… {} more folders; pass a `path`)",
                folders.len() - MAX_FOLDERS
            ));
        }
        out.join("\n")
    })
}

/// The files under `prefix` whose path contains `needle` (any, when
/// `None`), each with its top-level symbols.
pub fn map(workspace: &Workspace, prefix: &str, needle: Option<&str>) -> String {
    workspace.with_index(|index, _| {
        let lines: Vec<String> = index
            .files
            .values()
            .filter(|f| under(&f.path, prefix) && needle.is_none_or(|n| f.path.contains(n)))
            .map(file_line)
            .collect();
        let total = lines.len();
        let shown = lines.into_iter().take(MAX_MAP_FILES).collect();
        listing(shown, total, "no indexed file matches")
    })
}

fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/"))
}

fn top_level(file: &FileEntry) -> Vec<&str> {
    file.symbols
        .iter()
        .filter(|s| s.container.is_none())
        .map(|s| s.name.as_str())
        .collect()
}

fn file_line(file: &FileEntry) -> String {
    let symbols = top_level(file);
    let mut named = symbols
        .iter()
        .take(SYMBOLS_PER_FILE)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if symbols.len() > SYMBOLS_PER_FILE {
        named.push_str(&format!(", … {} more", symbols.len() - SYMBOLS_PER_FILE));
    }
    let errors = if file.has_errors {
        " (syntax errors)"
    } else {
        ""
    };
    format!("{} [{}]{errors}: {named}", file.path, file.lang.name())
}

fn languages(files: &[&FileEntry]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for file in files {
        *counts.entry(file.lang.name()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(lang, n)| format!("{lang} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
