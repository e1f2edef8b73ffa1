//! Diagnostics after a change: when the workspace has a language server
//! for a file the `write` tool just changed (a `code` rewrite's writes
//! too), or that a shell command changed (as its checkpoint saw it), the
//! server's errors and warnings in it are appended to the result the model
//! reads, errors first, so it can fix a type error before it runs the
//! checks. `toolsSettings.code.diagnosticsAfterWrite: false` turns it
//! off. The wait is bounded; a server that does not answer adds a note,
//! never a hang.

use std::path::PathBuf;
use std::time::Duration;

use crate::code::Workspace;
use crate::code::lsp::ops::{diagnostics_report, format_diagnostics};
use crate::code::lsp::{self, config::LspConfig};
use crate::code::report::CodeReport;
use crate::tools::ToolOutput;
use crate::tools::registry::Tool;

use super::session::Session;

/// How long to wait for a server's diagnostics of one file.
const WAIT: Duration = Duration::from_secs(8);
/// Diagnostic lines appended per file.
const MAX_LINES: usize = 20;

impl Session {
    /// Appends the language server's diagnostics of the files a call
    /// changed to its result: a successful `write`'s own files, or
    /// `command_changed`, what a command's checkpoint found it changed.
    pub(super) async fn diagnostics_after_write(
        &self,
        tool: &dyn Tool,
        command_changed: &[PathBuf],
        output: &mut ToolOutput,
    ) {
        let changed = match tool.name() {
            "write" if !output.is_error => output.changed.clone(),
            "write" => Vec::new(),
            _ => command_changed.to_vec(),
        };
        if changed.is_empty() {
            return;
        }
        let settings = &self.setup.policy.config().settings.code;
        if settings.diagnostics_after_write == Some(false) {
            return;
        }
        let context = &self.setup.tools;
        let Ok(Some(config)) = LspConfig::load(&context.roots.workspace) else {
            return;
        };
        let files: Vec<PathBuf> = changed
            .into_iter()
            .filter(|f| config.server_for(f).is_some() && f.is_file())
            .collect();
        if files.is_empty() {
            return;
        }
        let workspace = Workspace {
            root: context.roots.workspace.clone(),
            hidden: context.hidden.clone(),
            store: None,
        };
        let env = crate::tools::shell::scrubbed_env(&context.env_passthrough);
        let launch = lsp::Launch::new(&context.roots, &context.sandbox, env);
        let (text, reports) =
            tokio::task::spawn_blocking(move || collect(&workspace, &files, &launch))
                .await
                .unwrap_or_default();
        output.text.push_str(&text);
        output.code.extend(reports);
    }
}

/// The diagnostics of each file, as text to append and as reports (of the
/// files that have some).
fn collect(
    workspace: &Workspace,
    files: &[PathBuf],
    launch: &lsp::Launch,
) -> (String, Vec<CodeReport>) {
    let mut out = String::new();
    let mut reports = Vec::new();
    for file in files {
        let shown = workspace
            .relative(file)
            .unwrap_or_else(|| file.display().to_string());
        let found = lsp::with_server(launch, file, |client| {
            let (_, text) = crate::code::ops::read_source(workspace, file)?;
            let found = client.diagnostics(file, &text, WAIT)?;
            Ok(diagnostics_report(
                &shown,
                &client.config.name,
                &found,
                MAX_LINES,
            ))
        });
        match found {
            Ok(report) => {
                if let (Some(lines), CodeReport::Diagnostics { server, .. }) =
                    (format_diagnostics(&report), &report)
                {
                    let heading = CodeReport::heading(server);
                    out.push_str(&format!("\n\n{heading}\n{lines}"));
                    reports.push(report);
                }
            }
            Err(error) => out.push_str(&format!("\n\n(no diagnostics for {shown}: {error})")),
        }
    }
    (out, reports)
}
