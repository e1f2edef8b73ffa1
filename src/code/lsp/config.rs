//! Which language servers a workspace uses: `.kiro/settings/lsp.json`
//! (written by `agent code init` from what it detects, or by hand for a
//! custom server), in Kiro's shape: `{"languages": {NAME: {"name",
//! "command", "args", "file_extensions", "initialization_options",
//! "request_timeout_secs"}}}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::code::lang::Lang;

/// Where the workspace's language servers are configured.
pub const CONFIG_PATH: &str = ".kiro/settings/lsp.json";

/// One language server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// Its name, as messages show it.
    pub name: String,
    /// The program (looked up on `PATH`).
    pub command: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// The extensions (without the dot) of the files it serves.
    pub file_extensions: Vec<String>,
    /// The LSP `languageId` of its documents.
    #[serde(default)]
    pub language_id: String,
    /// Sent with `initialize`.
    #[serde(default)]
    pub initialization_options: Value,
    /// How long one request may take.
    #[serde(default = "default_timeout")]
    pub request_timeout_secs: u64,
}

fn default_timeout() -> u64 {
    20
}

/// The `lsp.json` file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LspConfig {
    /// Servers by language name.
    pub languages: BTreeMap<String, ServerConfig>,
}

impl LspConfig {
    /// The workspace's `lsp.json`: `Ok(None)` when there is none, `Err`
    /// when it cannot be read or is not in the expected shape.
    pub fn load(workspace: &Path) -> Result<Option<LspConfig>, String> {
        let path = workspace.join(CONFIG_PATH);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let mut config: LspConfig =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for (language, server) in &mut config.languages {
            if server.language_id.is_empty() {
                server.language_id = language.clone();
            }
        }
        Ok(Some(config))
    }

    /// The server for `path`, by its extension.
    pub fn server_for(&self, path: &Path) -> Option<&ServerConfig> {
        let extension = path.extension()?.to_str()?;
        self.languages
            .values()
            .find(|s| s.file_extensions.iter().any(|e| e == extension))
    }
}

/// A server `agent code init` knows: (language, languageId, program,
/// arguments, extensions).
type Known = (
    Lang,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The servers `agent code init` knows, by language, in order of
/// preference.
const KNOWN: &[Known] = &[
    (
        Lang::Python,
        "python",
        "basedpyright-langserver",
        &["--stdio"],
        &["py", "pyi"],
    ),
    (
        Lang::Python,
        "python",
        "pyright-langserver",
        &["--stdio"],
        &["py", "pyi"],
    ),
    (Lang::Python, "python", "pylsp", &[], &["py", "pyi"]),
    (
        Lang::TypeScript,
        "typescript",
        "typescript-language-server",
        &["--stdio"],
        &["ts", "tsx", "mts", "cts"],
    ),
    (
        Lang::JavaScript,
        "javascript",
        "typescript-language-server",
        &["--stdio"],
        &["js", "jsx", "mjs", "cjs"],
    ),
    (Lang::Rust, "rust", "rust-analyzer", &[], &["rs"]),
    (Lang::Go, "go", "gopls", &[], &["go"]),
    (Lang::C, "c", "clangd", &[], &["c", "h"]),
    (
        Lang::Cpp,
        "cpp",
        "clangd",
        &[],
        &["cc", "cpp", "cxx", "hpp", "hh", "hxx"],
    ),
    (Lang::Java, "java", "jdtls", &[], &["java"]),
];

/// The configuration for `languages` with the first known server of each
/// found on `path` (a `PATH`-style list of folders).
pub fn detect(languages: &[Lang], path: &str) -> LspConfig {
    let mut config = LspConfig::default();
    for lang in languages {
        let lang = if *lang == Lang::Tsx {
            Lang::TypeScript
        } else {
            *lang
        };
        let found = KNOWN
            .iter()
            .find(|(l, _, program, ..)| *l == lang && on_path(program, path).is_some());
        if let Some((_, id, program, args, extensions)) = found {
            config.languages.insert(
                lang.name().to_string(),
                ServerConfig {
                    name: program.to_string(),
                    command: program.to_string(),
                    args: args.iter().map(|a| a.to_string()).collect(),
                    file_extensions: extensions.iter().map(|e| e.to_string()).collect(),
                    language_id: id.to_string(),
                    initialization_options: initialization_options(program),
                    request_timeout_secs: default_timeout(),
                },
            );
        }
    }
    config
}

/// What `agent code init` sends a known server with `initialize`:
/// typescript-language-server is told not to answer from its syntax-only
/// server, which only knows the open files (a reference search from a
/// declaration would miss every file the agent has not opened).
fn initialization_options(program: &str) -> Value {
    match program {
        "typescript-language-server" => {
            serde_json::json!({"tsserver": {"useSyntaxServer": "never"}})
        }
        _ => Value::Null,
    }
}

/// Where `program` is on `path`.
pub fn on_path(program: &str, path: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

/// Every known server program, for `/code status`.
pub fn known_programs() -> Vec<&'static str> {
    let mut programs: Vec<&str> = KNOWN.iter().map(|k| k.2).collect();
    programs.dedup();
    programs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_takes_the_first_server_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pylsp"), "").unwrap();
        let path = dir.path().display().to_string();
        let config = detect(&[Lang::Python, Lang::Go], &path);
        assert_eq!(config.languages.len(), 1);
        let python = &config.languages["python"];
        assert_eq!(
            (python.command.as_str(), python.language_id.as_str()),
            ("pylsp", "python")
        );
        assert!(config.server_for(Path::new("a/b.py")).is_some());
        assert!(config.server_for(Path::new("a/b.go")).is_none());
        assert_eq!(python.initialization_options, Value::Null);
    }

    #[test]
    fn typescript_is_answered_by_the_semantic_server_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("typescript-language-server"), "").unwrap();
        let path = dir.path().display().to_string();
        let config = detect(&[Lang::Tsx], &path);
        assert_eq!(
            config.languages["typescript"].initialization_options,
            serde_json::json!({"tsserver": {"useSyntaxServer": "never"}})
        );
    }
}
