//! `agent code init|status|index`: the language servers of the `code`
//! tool, as `/code init` and `/code status` in chat, and its symbol index
//! with timings (what `scripts/bench-code-index.sh` measures).

use std::time::Instant;

use super::{Failure, Outcome};
use crate::cli::CodeCommand;
use crate::code::Workspace;
use crate::code::ops::{self, SymbolQuery};
use crate::config::discover::workspace_root;

/// Runs one `agent code` command in the workspace of the current folder.
pub fn run(command: &CodeCommand) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let workspace = workspace_root(&cwd);
    let action = match command {
        CodeCommand::Init => "init",
        CodeCommand::Status => "status",
        CodeCommand::Index { query, repeat } => {
            index(&workspace, query.as_deref(), *repeat);
            return Ok(());
        }
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let text = crate::code::command(action, &workspace, &path).map_err(Failure::runtime)?;
    println!("{text}");
    Ok(())
}

/// Loads and refreshes the index (timed), refreshes it again with nothing
/// changed, and times `query` on it.
fn index(root: &std::path::Path, query: Option<&str>, repeat: usize) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let workspace = Workspace {
        store: crate::code::index::store_folder(&root),
        root,
        hidden: Default::default(),
    };
    let started = Instant::now();
    let (files, symbols, refresh) = workspace
        .with_index(|index, refresh| (index.files.len(), index.symbols().count(), refresh));
    println!(
        "index: {files} files, {symbols} symbols; parsed {}, dropped {} in {:.1} ms",
        refresh.parsed,
        refresh.dropped,
        ms(started)
    );
    crate::code::index::mark_stale(&workspace.root);
    let started = Instant::now();
    workspace.with_index(|_, _| ());
    println!("walk with nothing changed: {:.1} ms", ms(started));
    let Some(name) = query else { return };
    let query = SymbolQuery {
        name,
        limit: ops::DEFAULT_LIMIT,
        ..SymbolQuery::default()
    };
    let mut times: Vec<f64> = (0..repeat.max(1))
        .map(|_| {
            let started = Instant::now();
            workspace.with_index(|index, _| ops::search_in(index, &query, None));
            ms(started)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "search `{name}`: median {:.1} ms, max {:.1} ms over {} runs",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
