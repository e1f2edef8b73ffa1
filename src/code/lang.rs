//! The languages the code index parses, each with its tree-sitter grammar,
//! the file names that select it, and what ast-grep patterns need of it.

use std::borrow::Cow;
use std::path::Path;

use ast_grep_core::Language;
use ast_grep_core::matcher::PatternBuilder;
use ast_grep_core::tree_sitter::{LanguageExt, StrDoc, TSLanguage};
use ast_grep_core::{Pattern, PatternError};
use serde::{Deserialize, Serialize};

/// A language with a built-in grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Python (`.py`, `.pyi`).
    Python,
    /// Rust (`.rs`).
    Rust,
    /// JavaScript (`.js`, `.jsx`, `.mjs`, `.cjs`).
    JavaScript,
    /// TypeScript (`.ts`, `.mts`, `.cts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// Go (`.go`).
    Go,
    /// Java (`.java`).
    Java,
    /// C (`.c`, `.h`).
    C,
    /// C++ (`.cc`, `.cpp`, `.cxx`, `.hpp`, `.hh`, `.hxx`).
    Cpp,
}

/// Every language, in the order listings show them.
pub const ALL: &[Lang] = &[
    Lang::Python,
    Lang::Rust,
    Lang::JavaScript,
    Lang::TypeScript,
    Lang::Tsx,
    Lang::Go,
    Lang::Java,
    Lang::C,
    Lang::Cpp,
];

impl Lang {
    /// The language of a file, by its extension.
    pub fn of_path(path: &Path) -> Option<Lang> {
        let extension = path.extension()?.to_str()?;
        Some(match extension {
            "py" | "pyi" => Lang::Python,
            "rs" => Lang::Rust,
            "js" | "jsx" | "mjs" | "cjs" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "java" => Lang::Java,
            "c" | "h" => Lang::C,
            "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => Lang::Cpp,
            _ => return None,
        })
    }

    /// The language a model names (`python`, `py`, `ts`, `c++`, …).
    pub fn named(name: &str) -> Option<Lang> {
        Some(match name.to_ascii_lowercase().as_str() {
            "python" | "py" => Lang::Python,
            "rust" | "rs" => Lang::Rust,
            "javascript" | "js" | "jsx" => Lang::JavaScript,
            "typescript" | "ts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" | "golang" => Lang::Go,
            "java" => Lang::Java,
            "c" => Lang::C,
            "cpp" | "c++" | "cxx" | "cc" => Lang::Cpp,
            _ => return None,
        })
    }

    /// Its name as listings show it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Rust => "rust",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::C => "c",
            Lang::Cpp => "cpp",
        }
    }

    /// Whether a file of language `other` is searched by a pattern written
    /// in this one (a TypeScript pattern also searches `.tsx` files).
    pub fn covers(self, other: Lang) -> bool {
        self == other || (self == Lang::TypeScript && other == Lang::Tsx)
    }

    /// Its tree-sitter grammar.
    pub fn grammar(self) -> TSLanguage {
        match self {
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
            Lang::Java => tree_sitter_java::LANGUAGE.into(),
            Lang::C => tree_sitter_c::LANGUAGE.into(),
            Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        }
    }
}

impl Language for Lang {
    fn pre_process_pattern<'q>(&self, query: &'q str) -> Cow<'q, str> {
        match self.expando_char() {
            '$' => Cow::Borrowed(query),
            expando => Cow::Owned(with_expando(query, expando)),
        }
    }

    /// Where `$` cannot start an identifier, metavariables are spelled
    /// with `µ` for the parser, as ast-grep does.
    fn expando_char(&self) -> char {
        match self {
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx | Lang::Java => '$',
            Lang::Python | Lang::Rust | Lang::Go | Lang::C | Lang::Cpp => 'µ',
        }
    }

    fn kind_to_id(&self, kind: &str) -> u16 {
        self.grammar().id_for_node_kind(kind, true)
    }

    fn field_to_id(&self, field: &str) -> Option<u16> {
        self.grammar().field_id_for_name(field).map(|f| f.get())
    }

    fn build_pattern(&self, builder: &PatternBuilder) -> Result<Pattern, PatternError> {
        builder.build(|src| StrDoc::try_new(src, *self))
    }
}

impl LanguageExt for Lang {
    fn get_ts_language(&self) -> TSLanguage {
        self.grammar()
    }
}

/// `query` with the `$` of each metavariable (`$A`, `$$$ARGS`, `$$$`)
/// replaced by `expando`; other dollars are kept.
fn with_expando(query: &str, expando: char) -> String {
    let mut out = String::with_capacity(query.len());
    let mut dollars = 0;
    for c in query.chars() {
        if c == '$' {
            dollars += 1;
            continue;
        }
        let sigil = match c.is_ascii_uppercase() || c == '_' || dollars == 3 {
            true => expando,
            false => '$',
        };
        out.extend(std::iter::repeat_n(sigil, dollars));
        dollars = 0;
        out.push(c);
    }
    let sigil = if dollars == 3 { expando } else { '$' };
    out.extend(std::iter::repeat_n(sigil, dollars));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metavariables_get_the_expando() {
        assert_eq!(with_expando("def $F($$$A): $$$", 'µ'), "def µF(µµµA): µµµ");
        assert_eq!(with_expando("x = '$5'", 'µ'), "x = '$5'");
    }

    #[test]
    fn languages_by_extension_and_name() {
        assert_eq!(Lang::of_path(Path::new("a/b.tsx")), Some(Lang::Tsx));
        assert_eq!(Lang::of_path(Path::new("a/b.txt")), None);
        assert_eq!(Lang::named("C++"), Some(Lang::Cpp));
        assert!(Lang::TypeScript.covers(Lang::Tsx));
    }
}
