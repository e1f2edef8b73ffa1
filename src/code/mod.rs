//! Code intelligence without a language server: tree-sitter grammars for
//! the common languages ([`lang`]), the symbols of a file ([`symbols`]),
//! the workspace's incremental symbol index ([`index`]), structural
//! pattern search and rewrite ([`pattern`]), the operations of the
//! `code` tool over them ([`ops`], [`overview`]), and their results as
//! data for the UIs ([`report`]).
//!
//! Everything here reads; a rewrite only computes new file contents, which
//! the dispatcher writes through the `write` tool's policy. Files the
//! policy hides ([`Hidden`]) are never indexed, parsed or shown.

pub mod index;
pub mod lang;
pub mod lsp;
pub mod ops;
pub mod overview;
pub mod pattern;
pub mod report;
pub mod symbols;

use std::path::{Path, PathBuf};

use crate::policy::Hidden;

/// The workspace the operations run on.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Its root, canonical.
    pub root: PathBuf,
    /// What the policy never lets the index read.
    pub hidden: Hidden,
    /// Where its index is stored (`None`: memory only).
    pub store: Option<PathBuf>,
}

impl Workspace {
    /// Runs `query` on the up-to-date index.
    pub fn with_index<T>(&self, query: impl FnOnce(&index::Index, index::Refresh) -> T) -> T {
        index::with_index(&self.root, &self.hidden, self.store.as_deref(), query)
    }

    /// `path` (absolute) relative to the root, if it is inside.
    pub fn relative(&self, path: &Path) -> Option<String> {
        index::relative_path(&self.root, path)
    }
}

/// The languages of the source files under `root` that `.gitignore` does
/// not hide (only their names are looked at).
pub fn languages_in(root: &Path) -> Vec<lang::Lang> {
    let mut found: Vec<lang::Lang> = crate::config::skills::files_under(root)
        .filter_map(|path| lang::Lang::of_path(&path))
        .collect();
    found.sort_by_key(|l| lang::ALL.iter().position(|a| a == l));
    found.dedup();
    found
}

/// `/code init`, `/code status`, `/code logs` (and `agent code …`) for the
/// workspace at `root`, with `path` the `PATH` to look for servers on.
pub fn command(action: &str, root: &Path, path: &str) -> Result<String, String> {
    match action {
        "init" => lsp::init(root, &languages_in(root), path),
        "status" => Ok(lsp::status(root, path)),
        "logs" => Ok(lsp::logs(root)),
        other => Err(format!(
            "unknown `/code` action `{other}`: init, status or logs"
        )),
    }
}
