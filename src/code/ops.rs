//! The `code` tool's operations on the tree-sitter layer. Each takes
//! resolved paths and returns the text the model reads, or why it failed.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::Workspace;
use super::index::{FileEntry, Index};
use super::lang::{self, Lang};
use super::pattern;
use super::report::{CodeReport, SymbolHit};
use super::symbols::{self, Symbol};

/// Symbols listed when the call does not say how many.
pub const DEFAULT_LIMIT: usize = 20;
/// Pattern matches listed when the call does not say how many.
pub const DEFAULT_MATCHES: usize = 50;
/// Lines of source shown of one symbol.
const MAX_SOURCE_LINES: usize = 60;

/// What `search_symbols` looks for.
#[derive(Debug, Clone, Default)]
pub struct SymbolQuery<'a> {
    /// The name, fuzzily matched.
    pub name: &'a str,
    /// Only symbols under this folder or in this file.
    pub path: Option<PathBuf>,
    /// Only this kind (`function`, `class`, …).
    pub kind: Option<&'a str>,
    /// Only this language.
    pub lang: Option<Lang>,
    /// Only exact names.
    pub exact: bool,
    /// At most this many.
    pub limit: usize,
}

/// A file's new content, which the dispatcher writes through the `write`
/// tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWrite {
    /// The file.
    pub path: PathBuf,
    /// Its whole new content.
    pub content: String,
}

/// The symbols whose names best match the query, best first, as text and
/// as a report.
pub fn search_symbols(workspace: &Workspace, query: &SymbolQuery<'_>) -> (String, CodeReport) {
    let prefix = query.path.as_deref().and_then(|p| workspace.relative(p));
    workspace.with_index(|index, _| search_in(index, query, prefix.as_deref()))
}

/// [`search_symbols`] on `index` as it is, under `prefix` (relative).
pub fn search_in(
    index: &Index,
    query: &SymbolQuery<'_>,
    prefix: Option<&str>,
) -> (String, CodeReport) {
    let q = folded(query.name);
    let mut buffer = String::new();
    let mut scored: Vec<(u32, &FileEntry, &Symbol)> = index
        .symbols()
        .filter(|(file, symbol)| {
            under(&file.path, prefix)
                && query
                    .kind
                    .is_none_or(|k| symbol.kind.eq_ignore_ascii_case(k))
                && query.lang.is_none_or(|l| l.covers(file.lang))
        })
        .filter_map(|(file, symbol)| {
            let score = score_folded(query.name, &q, &symbol.name, &mut buffer)?;
            (!query.exact || score == 0).then_some((score, file, symbol))
        })
        .collect();
    scored.sort_by(|a, b| {
        (a.0, a.2.name.len(), &a.1.path, a.2.line).cmp(&(b.0, b.2.name.len(), &b.1.path, b.2.line))
    });
    let total = scored.len();
    let shown = &scored[..total.min(query.limit)];
    let lines: Vec<String> = shown
        .iter()
        .map(|(_, file, symbol)| symbol_line(file, symbol))
        .collect();
    let report = CodeReport::Symbols {
        operation: "search_symbols".into(),
        symbols: shown
            .iter()
            .map(|(_, file, symbol)| SymbolHit::of(file, symbol))
            .collect(),
        total,
    };
    let text = listing(lines, total, &format!("no symbol matches `{}`", query.name));
    (text, report)
}

/// The definitions named exactly `names`, optionally in one file, with
/// their source when asked; as text and as a report.
pub fn lookup_symbols(
    workspace: &Workspace,
    names: &[String],
    file: Option<&Path>,
    include_source: bool,
) -> (String, CodeReport) {
    let only = file.and_then(|f| workspace.relative(f));
    let found: Vec<(FileEntry, Symbol)> = workspace.with_index(|index, _| {
        index
            .symbols()
            .filter(|(entry, symbol)| {
                names.contains(&symbol.name) && only.as_ref().is_none_or(|o| *o == entry.path)
            })
            .map(|(entry, symbol)| (entry.clone(), symbol.clone()))
            .collect()
    });
    let mut out = Vec::new();
    let mut symbols = Vec::new();
    for name in names {
        let hits: Vec<&(FileEntry, Symbol)> =
            found.iter().filter(|(_, s)| s.name == *name).collect();
        if hits.is_empty() {
            out.push(format!("{name}: not found"));
        }
        for (entry, symbol) in hits {
            symbols.push(SymbolHit::of(entry, symbol));
            out.push(symbol_line(entry, symbol));
            if include_source {
                out.push(source_of(&workspace.root.join(&entry.path), symbol));
            }
        }
    }
    let report = CodeReport::Symbols {
        operation: "lookup_symbols".into(),
        total: symbols.len(),
        symbols,
    };
    (out.join("\n"), report)
}

/// The outline of one file, as text and as a report.
pub fn document_symbols(
    workspace: &Workspace,
    file: &Path,
    top_level_only: bool,
) -> Result<(String, CodeReport), String> {
    let (lang, text) = read_source(workspace, file)?;
    let symbols = symbols::extract(lang, &text);
    let shown = workspace
        .relative(file)
        .unwrap_or_else(|| file.display().to_string());
    let listed: Vec<&Symbol> = symbols
        .iter()
        .filter(|s| !top_level_only || s.container.is_none())
        .collect();
    let lines: Vec<String> = listed
        .iter()
        .map(|s| {
            let indent = if s.container.is_some() { "  " } else { "" };
            format!(
                "{indent}{} {} [{}-{}] {}",
                s.kind, s.name, s.line, s.end_line, s.signature
            )
        })
        .collect();
    let report = CodeReport::Symbols {
        operation: "get_document_symbols".into(),
        symbols: listed.iter().map(|s| SymbolHit::new(&shown, s)).collect(),
        total: listed.len(),
    };
    let text = listing(lines, symbols.len(), &format!("{shown} defines no symbols"));
    Ok((text, report))
}

/// The definitions of the identifier at `row`:`column` (1-based), from the
/// index.
pub fn goto_definition(
    workspace: &Workspace,
    file: &Path,
    row: usize,
    column: usize,
) -> Result<String, String> {
    let (lang, text) = read_source(workspace, file)?;
    let tree = symbols::parse(lang, &text).ok_or("the file could not be parsed")?;
    let point = tree_sitter::Point::new(row.saturating_sub(1), column.saturating_sub(1));
    let node = tree
        .root_node()
        .named_descendant_for_point_range(point, point)
        .ok_or("nothing at that position")?;
    let name = node.utf8_text(text.as_bytes()).map_err(|e| e.to_string())?;
    if node.child_count() > 0 || name.trim().is_empty() {
        return Err(format!("no identifier at line {row}, column {column}"));
    }
    let names = [name.to_string()];
    let (found, _) = lookup_symbols(workspace, &names, None, false);
    Ok(format!("definitions of `{name}`:\n{found}"))
}

/// The matches of `pattern` in the workspace's `lang` files (or one file).
pub fn pattern_search(
    workspace: &Workspace,
    pattern: &str,
    lang: Lang,
    file: Option<&Path>,
    limit: usize,
    offset: usize,
) -> Result<String, String> {
    let mut compiled = Compiled::new(pattern, lang)?;
    let mut lines = Vec::new();
    for path in files_of(workspace, lang, file)? {
        let Ok((file_lang, text)) = read_source(workspace, &workspace.root.join(&path)) else {
            continue;
        };
        for found in pattern::search(compiled.for_lang(file_lang)?, file_lang, &text) {
            let indented = found.text.replace('\n', "\n    ");
            lines.push(format!(
                "{path}:{}:{}: {indented}",
                found.line, found.column
            ));
        }
    }
    let total = lines.len();
    let page: Vec<String> = lines.into_iter().skip(offset).take(limit).collect();
    Ok(listing(
        page,
        total.saturating_sub(offset),
        &format!("no match for `{pattern}`"),
    ))
}

/// The diff of rewriting every match of `pattern` with `replacement`, and
/// the new contents of the files it changes (at most `limit` files).
pub fn pattern_rewrite(
    workspace: &Workspace,
    pattern: &str,
    replacement: &str,
    lang: Lang,
    file: Option<&Path>,
    limit: usize,
) -> Result<(String, Vec<PlannedWrite>), String> {
    let mut compiled = Compiled::new(pattern, lang)?;
    let mut diffs = String::new();
    let mut writes = Vec::new();
    let mut replaced = 0;
    for path in files_of(workspace, lang, file)? {
        if writes.len() >= limit {
            break;
        }
        let absolute = workspace.root.join(&path);
        let Ok((file_lang, text)) = read_source(workspace, &absolute) else {
            continue;
        };
        let (new, count) =
            pattern::rewrite(compiled.for_lang(file_lang)?, replacement, file_lang, &text);
        if count == 0 || new == text {
            continue;
        }
        replaced += count;
        let diff = TextDiff::from_lines(text.as_str(), new.as_str());
        diffs.push_str(
            &diff
                .unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
        writes.push(PlannedWrite {
            path: absolute,
            content: new,
        });
    }
    let summary = format!("{replaced} match(es) in {} file(s)\n", writes.len());
    Ok((summary + &diffs, writes))
}

/// A pattern compiled for each language of the files it searches (a
/// TypeScript pattern searches `.tsx` files with the TSX grammar).
struct Compiled<'a> {
    source: &'a str,
    by_lang: Vec<(Lang, ast_grep_core::Pattern)>,
}

impl<'a> Compiled<'a> {
    /// `source` compiled for `lang`, or why it is not a pattern.
    fn new(source: &'a str, lang: Lang) -> Result<Compiled<'a>, String> {
        let first = pattern::compile(source, lang)?;
        Ok(Compiled {
            source,
            by_lang: vec![(lang, first)],
        })
    }

    /// The pattern for files of `lang`.
    fn for_lang(&mut self, lang: Lang) -> Result<&ast_grep_core::Pattern, String> {
        let at = match self.by_lang.iter().position(|(l, _)| *l == lang) {
            Some(at) => at,
            None => {
                let compiled = pattern::compile(self.source, lang)?;
                self.by_lang.push((lang, compiled));
                self.by_lang.len() - 1
            }
        };
        Ok(&self.by_lang[at].1)
    }
}

/// The language and text of a source file the policy does not hide.
pub fn read_source(workspace: &Workspace, file: &Path) -> Result<(Lang, String), String> {
    if workspace.hidden.hides(file) {
        return Err(format!("{} is hidden by the policy", file.display()));
    }
    let lang = Lang::of_path(file).ok_or_else(|| {
        let known: Vec<&str> = lang::ALL.iter().map(|l| l.name()).collect();
        format!(
            "{} is not in a supported language ({})",
            file.display(),
            known.join(", ")
        )
    })?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok((lang, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The indexed files a pattern in `lang` searches: one file, or every
/// file of the language.
fn files_of(workspace: &Workspace, lang: Lang, file: Option<&Path>) -> Result<Vec<String>, String> {
    if let Some(file) = file {
        let relative = workspace
            .relative(file)
            .ok_or_else(|| format!("{} is outside the workspace", file.display()))?;
        return Ok(vec![relative]);
    }
    Ok(workspace.with_index(|index, _| {
        index
            .files
            .values()
            .filter(|entry| lang.covers(entry.lang))
            .map(|entry| entry.path.clone())
            .collect()
    }))
}

/// `name` lowercased without `_` and `-`, so `add_item` finds `addItem`.
fn folded(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    fold_into(name, &mut out);
    out
}

/// [`folded`] into `out`, which is cleared first (a search reuses one
/// buffer for every name).
fn fold_into(name: &str, out: &mut String) {
    out.clear();
    out.extend(
        name.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase),
    );
}

/// How well `name` matches `query`: 0 exact, 1 exact but for case and
/// separators, 2 prefix, 3 substring, 4 and more the letters in order;
/// `None`: no match.
pub fn score(query: &str, name: &str) -> Option<u32> {
    score_folded(query, &folded(query), name, &mut String::new())
}

/// [`score`] with the query already folded, folding `name` into `buffer`.
fn score_folded(query: &str, q: &str, name: &str, buffer: &mut String) -> Option<u32> {
    if name == query {
        return Some(0);
    }
    fold_into(name, buffer);
    let n = buffer.as_str();
    if n == q {
        return Some(1);
    }
    if n.starts_with(q) {
        return Some(2);
    }
    if n.contains(q) {
        return Some(3);
    }
    let mut letters = n.chars();
    let mut gaps = 0;
    for wanted in q.chars() {
        let mut skipped = 0;
        loop {
            match letters.next() {
                Some(c) if c == wanted => break,
                Some(_) => skipped += 1,
                None => return None,
            }
        }
        gaps += skipped.min(1);
    }
    Some(4 + gaps)
}

fn under(path: &str, prefix: Option<&str>) -> bool {
    match prefix {
        None | Some("") => true,
        Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
    }
}

fn symbol_line(file: &FileEntry, symbol: &Symbol) -> String {
    let container = symbol
        .container
        .as_ref()
        .map(|c| format!(" (in {c})"))
        .unwrap_or_default();
    format!(
        "{} {}{container}  {}:{}-{}  {}",
        symbol.kind, symbol.name, file.path, symbol.line, symbol.end_line, symbol.signature
    )
}

fn source_of(path: &Path, symbol: &Symbol) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return "    (the file can no longer be read)".into();
    };
    let text = String::from_utf8_lossy(&bytes);
    let count = (symbol.end_line + 1 - symbol.line).min(MAX_SOURCE_LINES);
    let mut lines: Vec<String> = text
        .lines()
        .enumerate()
        .skip(symbol.line - 1)
        .take(count)
        .map(|(n, line)| format!("{:>6}\t{line}", n + 1))
        .collect();
    if symbol.end_line + 1 - symbol.line > count {
        lines.push(format!("    (… to line {})", symbol.end_line));
    }
    lines.join("\n")
}

/// `lines`, with a note when `total` is more, or `empty` when there are
/// none.
pub fn listing(lines: Vec<String>, total: usize, empty: &str) -> String {
    if lines.is_empty() {
        return empty.to_string();
    }
    let shown = lines.len();
    let mut out = lines.join("\n");
    if total > shown {
        out.push_str(&format!(
            "\n(… {} more; narrow the query or raise `limit`)",
            total - shown
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_rank_exact_prefix_substring_then_letters() {
        assert_eq!(score("area", "area"), Some(0));
        assert_eq!(score("area", "Area"), Some(1));
        assert_eq!(score("are", "area_of"), Some(2));
        assert_eq!(score("rea", "area"), Some(3));
        assert_eq!(score("af", "area_of"), Some(5));
        assert_eq!(score("zz", "area"), None);
    }
}
