//! A `code` result as data beside its text: the symbols an operation
//! listed, or the diagnostics a language server published for a file. The
//! dispatcher emits each as a typed event, so the terminal UI can show it
//! compactly and `stream-json` carries it, while the model reads the text.

use serde::Serialize;
use serde_json::Value;

use super::index::FileEntry;
use super::symbols::Symbol;

/// What a `code` call (or the diagnostics after a write) found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeReport {
    /// Symbols listed by `search_symbols`, `lookup_symbols` or
    /// `get_document_symbols`.
    Symbols {
        /// The operation.
        operation: String,
        /// The symbols shown to the model, in its order.
        symbols: Vec<SymbolHit>,
        /// How many matched (more than shown when the limit cut).
        total: usize,
    },
    /// A file's diagnostics from its language server, errors first.
    Diagnostics {
        /// The file, relative to the workspace.
        path: String,
        /// The server that published them.
        server: String,
        /// The diagnostics shown to the model.
        diagnostics: Vec<Diagnostic>,
        /// How many were published.
        total: usize,
        /// How many of those are errors.
        errors: usize,
    },
}

/// One symbol of a [`CodeReport::Symbols`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymbolHit {
    /// Its name.
    pub name: String,
    /// `class`, `function`, `method`, …
    pub kind: String,
    /// Its file, relative to the workspace.
    pub path: String,
    /// First line, 1-based.
    pub line: usize,
    /// Last line, 1-based.
    pub end_line: usize,
    /// The symbol it is declared in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl SymbolHit {
    /// `symbol`, defined in `path`.
    pub fn new(path: &str, symbol: &Symbol) -> SymbolHit {
        SymbolHit {
            name: symbol.name.clone(),
            kind: symbol.kind.clone(),
            path: path.to_string(),
            line: symbol.line,
            end_line: symbol.end_line,
            container: symbol.container.clone(),
        }
    }

    /// `symbol` of the indexed `file`.
    pub fn of(file: &FileEntry, symbol: &Symbol) -> SymbolHit {
        SymbolHit::new(&file.path, symbol)
    }
}

/// One diagnostic of a [`CodeReport::Diagnostics`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `error`, `warning`, `info` or `hint`.
    pub severity: String,
    /// Line, 1-based.
    pub line: u64,
    /// Column, 1-based.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// The checker that found it (`pyflakes`, `ts`, …), when named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Diagnostic {
    /// The diagnostics of an LSP `publishDiagnostics` list, errors first
    /// (the order is stable within a severity).
    pub fn sorted(found: &[Value]) -> Vec<Diagnostic> {
        let mut sorted: Vec<&Value> = found.iter().collect();
        sorted.sort_by_key(|d| d["severity"].as_u64().unwrap_or(1));
        sorted.into_iter().map(Diagnostic::from_lsp).collect()
    }

    fn from_lsp(value: &Value) -> Diagnostic {
        let start = &value["range"]["start"];
        Diagnostic {
            severity: match value["severity"].as_u64().unwrap_or(1) {
                1 => "error",
                2 => "warning",
                3 => "info",
                _ => "hint",
            }
            .to_string(),
            line: start["line"].as_u64().unwrap_or(0) + 1,
            column: start["character"].as_u64().unwrap_or(0) + 1,
            message: value["message"].as_str().unwrap_or_default().to_string(),
            source: value["source"].as_str().map(str::to_string),
        }
    }

    /// `path:line:col: severity: message [source]`, as the model reads it.
    pub fn line_for(&self, path: &str) -> String {
        let source = self
            .source
            .as_ref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        format!(
            "{path}:{}:{}: {}: {}{source}",
            self.line, self.column, self.severity, self.message
        )
    }
}

impl CodeReport {
    /// The line above the diagnostics `server` published after a change,
    /// in the result the model reads.
    pub fn heading(server: &str) -> String {
        format!("diagnostics from {server} after this change:")
    }

    /// One line for people: `3 symbols (search_symbols)`, or
    /// `bad.py: 1 error, 2 warnings (pylsp)`.
    pub fn summary(&self) -> String {
        match self {
            CodeReport::Symbols {
                operation, total, ..
            } => format!("{total} {} ({operation})", plural(*total, "symbol")),
            CodeReport::Diagnostics {
                path,
                server,
                total,
                errors,
                ..
            } => {
                let others = total.saturating_sub(*errors);
                let counts = match (*errors, others) {
                    (0, 0) => "no diagnostics".to_string(),
                    (e, 0) => format!("{e} {}", plural(e, "error")),
                    (0, o) => format!("{o} {}", plural(o, "warning")),
                    (e, o) => format!("{e} {}, {o} {}", plural(e, "error"), plural(o, "warning")),
                };
                format!("{path}: {counts} ({server})")
            }
        }
    }

    /// The report with `redact` applied to every text in it, as the
    /// dispatcher redacts the text the model reads.
    pub fn redacted(mut self, redact: impl Fn(&str) -> String) -> CodeReport {
        match &mut self {
            CodeReport::Symbols { symbols, .. } => {
                for symbol in symbols {
                    symbol.name = redact(&symbol.name);
                    symbol.path = redact(&symbol.path);
                    symbol.container = symbol.container.as_deref().map(&redact);
                }
            }
            CodeReport::Diagnostics {
                path, diagnostics, ..
            } => {
                *path = redact(path);
                for diagnostic in diagnostics {
                    diagnostic.message = redact(&diagnostic.message);
                    diagnostic.source = diagnostic.source.as_deref().map(&redact);
                }
            }
        }
        self
    }
}

/// `word` or `words`, for `count`.
fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
