//! `code {operation, …}`: Kiro's code intelligence tool, on the built-in
//! tree-sitter layer ([`crate::code`]): `search_symbols`,
//! `lookup_symbols`, `get_document_symbols`, `goto_definition`,
//! `pattern_search`, `pattern_rewrite`, `generate_codebase_overview`,
//! `search_codebase_map`. It only reads; `pattern_rewrite` without
//! `dry_run: false` shows the diff, and with it hands the new contents to
//! the dispatcher, which writes each file through the `write` tool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, optional_u64, required_str};
use crate::code::Workspace;
use crate::code::lang::Lang;
use crate::code::lsp::{self, config::LspConfig, ops::At};
use crate::code::ops::{self, SymbolQuery};
use crate::code::overview;
use crate::code::report::CodeReport;

/// The operations without a language server.
const OPERATIONS: &[&str] = &[
    "search_symbols",
    "lookup_symbols",
    "get_document_symbols",
    "goto_definition",
    "pattern_search",
    "pattern_rewrite",
    "generate_codebase_overview",
    "search_codebase_map",
];

/// The operations that need a language server (`goto_definition` uses one
/// when there is one).
const SERVER_OPERATIONS: &[&str] = &[
    "find_references",
    "get_diagnostics",
    "get_hover",
    "get_completions",
    "rename_symbol",
    "format",
];

/// How long `get_diagnostics` waits for the server to publish them.
const DIAGNOSTICS_WAIT: Duration = Duration::from_secs(10);

/// The `code` tool.
pub struct Code;

impl Tool for Code {
    fn name(&self) -> &'static str {
        "code"
    }

    fn description(&self) -> &'static str {
        "Code intelligence from syntax trees (Python, Rust, JavaScript, TypeScript/TSX, Go, Java, C, C++). Operations: search_symbols {symbol_name, path?, symbol_type?, language?, exact_match?, limit?}; lookup_symbols {symbols, file_path?, include_source?}; get_document_symbols {file_path, top_level_only?}; goto_definition {file_path, row, column} (1-based); pattern_search {pattern, language, file_path?, limit?, offset?} with ast-grep metavariables ($X one node, $$$X many); pattern_rewrite {pattern, replacement, language, file_path?, dry_run? (default true: show the diff only), limit?}; generate_codebase_overview {path?}; search_codebase_map {path?, file_path?}. With a language server (`/code init`): find_references, get_hover, get_completions {filter?}, get_diagnostics {file_path}, rename_symbol {new_name, dry_run? (default true)}, format {file_path, dry_run?}; all take file_path, row, column (1-based) where a position is needed, and goto_definition uses the server."
    }

    fn input_schema(&self) -> Value {
        let text = json!({"type": "string"});
        let count = json!({"type": "integer", "minimum": 1});
        json!({
            "type": "object",
            "properties": {
                "operation": {"type": "string", "enum": OPERATIONS.iter().chain(SERVER_OPERATIONS).collect::<Vec<_>>()},
                "new_name": text, "filter": text, "trigger_character": text,
                "symbol_name": text, "symbols": {"type": "array", "items": text},
                "symbol_type": text, "exact_match": {"type": "boolean"},
                "include_source": {"type": "boolean"}, "top_level_only": {"type": "boolean"},
                "file_path": text, "path": text, "row": count, "column": count,
                "pattern": text, "replacement": text, "language": text,
                "limit": count, "offset": {"type": "integer", "minimum": 0},
                "dry_run": {"type": "boolean"}
            },
            "required": ["operation"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let workspace = Workspace {
            root: context.roots.workspace.clone(),
            hidden: context.hidden.clone(),
            store: context.code_index.clone(),
        };
        match run(input, context, &workspace) {
            Ok(output) => output,
            Err(error) => ToolOutput::error(error),
        }
    }
}

fn run(input: &Value, context: &ToolContext, workspace: &Workspace) -> Result<ToolOutput, String> {
    let operation = required_str(input, "operation").map_err(|e| e.text)?;
    let path = |key: &str| optional_str(input, key).map(|raw| context.roots.resolve(raw));
    let limit = |default: usize| optional_u64(input, "limit").map_or(default, |n| n as usize);
    let text = match operation {
        "search_symbols" => {
            let query = SymbolQuery {
                name: required_str(input, "symbol_name").map_err(|e| e.text)?,
                path: path("path"),
                kind: optional_str(input, "symbol_type"),
                lang: language(input, false)?,
                exact: flag(input, "exact_match", false),
                limit: limit(ops::DEFAULT_LIMIT),
            };
            return Ok(reported(ops::search_symbols(workspace, &query)));
        }
        "lookup_symbols" => {
            let names: Vec<String> = input["symbols"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if names.is_empty() {
                return Err("`lookup_symbols` needs `symbols`, a list of names".into());
            }
            let include = flag(input, "include_source", false);
            let file = path("file_path");
            return Ok(reported(ops::lookup_symbols(
                workspace,
                &names,
                file.as_deref(),
                include,
            )));
        }
        "get_document_symbols" => {
            let top = flag(input, "top_level_only", false);
            let file = file(input, context)?;
            return Ok(reported(ops::document_symbols(workspace, &file, top)?));
        }
        "goto_definition" => {
            let file = file(input, context)?;
            let (row, column) = position(input)?;
            let mut note = String::new();
            if has_server(workspace, &file) {
                match server(operation, input, context, workspace, &file) {
                    Ok(output) => return Ok(output),
                    Err(error) => {
                        note = format!(
                            "(the language server failed: {error}; from the index instead)\n"
                        )
                    }
                }
            }
            note + &ops::goto_definition(workspace, &file, row, column)?
        }
        "pattern_search" => ops::pattern_search(
            workspace,
            required_str(input, "pattern").map_err(|e| e.text)?,
            language(input, true)?.unwrap_or(Lang::Python),
            path("file_path").as_deref(),
            limit(ops::DEFAULT_MATCHES),
            optional_u64(input, "offset").unwrap_or(0) as usize,
        )?,
        "pattern_rewrite" => return rewrite(input, workspace, path("file_path"), limit(50)),
        "generate_codebase_overview" => {
            overview::overview(workspace, &prefix(workspace, path("path")))
        }
        "search_codebase_map" => overview::map(
            workspace,
            &prefix(workspace, path("path")),
            optional_str(input, "file_path"),
        ),
        other if SERVER_OPERATIONS.contains(&other) => {
            return server(other, input, context, workspace, &file(input, context)?);
        }
        other => {
            return Err(format!(
                "unknown operation `{other}`; use one of: {}",
                OPERATIONS.join(", ")
            ));
        }
    };
    Ok(ToolOutput::ok(text))
}

/// `pattern_rewrite`: the diff, and unless it is a dry run, the writes.
fn rewrite(
    input: &Value,
    workspace: &Workspace,
    file: Option<PathBuf>,
    limit: usize,
) -> Result<ToolOutput, String> {
    let pattern = required_str(input, "pattern").map_err(|e| e.text)?;
    let replacement = required_str(input, "replacement").map_err(|e| e.text)?;
    let lang = language(input, true)?.unwrap_or(Lang::Python);
    let (diff, writes) = ops::pattern_rewrite(
        workspace,
        pattern,
        replacement,
        lang,
        file.as_deref(),
        limit,
    )?;
    Ok(planned(diff, writes, flag(input, "dry_run", true)))
}

fn has_server(workspace: &Workspace, file: &Path) -> bool {
    LspConfig::load(&workspace.root)
        .ok()
        .flatten()
        .is_some_and(|c| c.server_for(file).is_some())
}

/// An operation answered by the language server for `file`.
fn server(
    operation: &str,
    input: &Value,
    context: &ToolContext,
    workspace: &Workspace,
    file: &Path,
) -> Result<ToolOutput, String> {
    let env = super::shell::scrubbed_env(&context.env_passthrough);
    let launch = lsp::Launch::new(&context.roots, &context.sandbox, env);
    let at = || position(input).map(|(row, column)| At { row, column });
    let limit = optional_u64(input, "limit").map_or(200, |n| n as usize);
    let mut report = None;
    let (text, writes, dry_run) = lsp::with_server(&launch, file, |client| {
        let read = |text: String| Ok((text, Vec::new(), true));
        match operation {
            "find_references" => read(lsp::ops::locations(
                client,
                workspace,
                "textDocument/references",
                file,
                at()?,
                limit,
            )?),
            "goto_definition" => read(lsp::ops::locations(
                client,
                workspace,
                "textDocument/definition",
                file,
                at()?,
                limit,
            )?),
            "get_hover" => read(lsp::ops::hover(client, workspace, file, at()?)?),
            "get_completions" => read(lsp::ops::completions(
                client,
                workspace,
                file,
                at()?,
                optional_str(input, "filter"),
                limit.min(50),
            )?),
            "get_diagnostics" => {
                let (text, found) =
                    lsp::ops::diagnostics(client, workspace, file, DIAGNOSTICS_WAIT)?;
                report = Some(found);
                read(text)
            }
            "rename_symbol" => {
                let new_name = required_str(input, "new_name").map_err(|e| e.text)?;
                let (diff, writes) = lsp::ops::rename(client, workspace, file, at()?, new_name)?;
                Ok((diff, writes, flag(input, "dry_run", true)))
            }
            _ => {
                let (diff, writes) = lsp::ops::format(client, workspace, file)?;
                Ok((diff, writes, flag(input, "dry_run", false)))
            }
        }
    })?;
    let mut output = planned(text, writes, dry_run);
    output.code.extend(report);
    Ok(output)
}

/// A result read from its text, with its report for the UIs.
fn reported((text, report): (String, CodeReport)) -> ToolOutput {
    let mut output = ToolOutput::ok(text);
    output.code.push(report);
    output
}

/// A diff: shown only on a dry run, else with its writes for the
/// dispatcher.
fn planned(diff: String, writes: Vec<crate::code::ops::PlannedWrite>, dry_run: bool) -> ToolOutput {
    if dry_run || writes.is_empty() {
        let note = match writes.is_empty() {
            true => "",
            false => "(dry run: nothing written; call again with dry_run: false to apply)\n",
        };
        return ToolOutput::ok(format!("{note}{diff}"));
    }
    let mut output = ToolOutput::ok(format!(
        "{diff}\neach file is written through the `write` tool, under its rules:"
    ));
    output.writes = writes;
    output
}

fn flag(input: &Value, key: &str, default: bool) -> bool {
    input.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn language(input: &Value, required: bool) -> Result<Option<Lang>, String> {
    match optional_str(input, "language") {
        Some(name) => Lang::named(name)
            .map(Some)
            .ok_or_else(|| format!("`{name}` is not a supported language")),
        None if required => Err("the operation needs a `language`".into()),
        None => Ok(None),
    }
}

fn file(input: &Value, context: &ToolContext) -> Result<PathBuf, String> {
    let raw = required_str(input, "file_path").map_err(|e| e.text)?;
    Ok(context.roots.resolve(raw))
}

fn position(input: &Value) -> Result<(usize, usize), String> {
    match (optional_u64(input, "row"), optional_u64(input, "column")) {
        (Some(row), Some(column)) if row >= 1 && column >= 1 => Ok((row as usize, column as usize)),
        _ => Err("the operation needs `row` and `column`, both from 1".into()),
    }
}

fn prefix(workspace: &Workspace, path: Option<PathBuf>) -> String {
    path.and_then(|p| workspace.relative(&p))
        .unwrap_or_default()
}
