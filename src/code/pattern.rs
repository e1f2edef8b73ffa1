//! Structural search and rewrite with ast-grep patterns: `$NAME` matches
//! one node, `$$$NAME` (or `$$$`) any number of them, and the same name
//! twice must match the same text (`def $F($$$A): $$$B`).

use ast_grep_core::tree_sitter::LanguageExt;
use ast_grep_core::{Pattern, source::Edit};

use super::lang::Lang;

/// Lines of a match shown.
const SHOWN_LINES: usize = 3;

/// One match of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Its first line, 1-based.
    pub line: usize,
    /// Its first column, 1-based.
    pub column: usize,
    /// Its first lines of text.
    pub text: String,
}

/// `pattern` compiled for `lang`, or why it is not a pattern.
pub fn compile(pattern: &str, lang: Lang) -> Result<Pattern, String> {
    Pattern::try_new(pattern, lang)
        .map_err(|e| format!("`{pattern}` is not a {} pattern: {e}", lang.name()))
}

/// The matches of `pattern` in `text`.
pub fn search(pattern: &Pattern, lang: Lang, text: &str) -> Vec<Match> {
    let root = lang.ast_grep(text);
    root.root()
        .find_all(pattern)
        .map(|found| {
            let start = found.get_node().start_pos();
            let text = found.text();
            let shown: Vec<&str> = text.lines().take(SHOWN_LINES).collect();
            let more = text.lines().count() > SHOWN_LINES;
            Match {
                line: start.line() + 1,
                column: start.column(found.get_node()) + 1,
                text: shown.join("\n") + if more { "\n…" } else { "" },
            }
        })
        .collect()
}

/// `text` with every match of `pattern` replaced by `replacement` (whose
/// metavariables take the matched text), and the number of matches.
pub fn rewrite(pattern: &Pattern, replacement: &str, lang: Lang, text: &str) -> (String, usize) {
    let root = lang.ast_grep(text);
    let edits: Vec<Edit<String>> = root.root().replace_all(pattern, replacement);
    let count = edits.len();
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits.into_iter().rev() {
        let end = (edit.position + edit.deleted_length).min(bytes.len());
        bytes.splice(edit.position..end, edit.inserted_text);
    }
    (String::from_utf8_lossy(&bytes).into_owned(), count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_functions_by_shape() {
        let text = "def area(w, h):\n    return w * h\n\nx = 1\n";
        let pattern = compile("def $F($$$A): $$$B", Lang::Python).unwrap();
        let found = search(&pattern, Lang::Python, text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].column), (1, 1));
    }

    #[test]
    fn rewrites_keep_what_metavariables_matched() {
        let pattern = compile("$X.unwrap()", Lang::Rust).unwrap();
        let (out, count) = rewrite(
            &pattern,
            "$X.expect(\"x\")",
            Lang::Rust,
            "fn f() { a.unwrap(); b(c).unwrap(); }",
        );
        assert_eq!(count, 2);
        assert_eq!(out, "fn f() { a.expect(\"x\"); b(c).expect(\"x\"); }");
    }
}
