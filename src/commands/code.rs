//! `agent code init|status|index`: the language servers of the `code`
//! tool, as `/code init` and `/code status` in chat, and its symbol index
//! with timings (what `scripts/bench-code-index.sh` measures).

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use super::{Failure, Outcome};
use crate::checkpoint::CheckpointStore;
use crate::cli::CodeCommand;
use crate::code::Workspace;
use crate::code::index;
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
        CodeCommand::Index {
            query,
            repeat,
            touch,
        } => {
            index(&workspace, query.as_deref(), *repeat, *touch);
            return Ok(());
        }
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let text = crate::code::command(action, &workspace, &path).map_err(Failure::runtime)?;
    println!("{text}");
    Ok(())
}

/// Loads and refreshes the index (timed); with `query`, refreshes it again
/// with nothing changed, and times `query` on it: right after a refresh, on a stale
/// index (the walk included), and, with `touch`, vouched for by a change
/// journal as in a session, before timing the re-index after `touch` files
/// changed.
fn index(root: &Path, query: Option<&str>, repeat: usize, touch: usize) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let workspace = Workspace {
        store: index::store_folder(&root),
        root,
        hidden: Default::default(),
    };
    let started = Instant::now();
    let (files, symbols, refresh) = workspace
        .with_index(|index, refresh| (index.files.len(), index.symbols().count(), refresh));
    println!(
        "index: {files} files, {symbols} symbols; {} in {:.1} ms",
        described(&refresh),
        ms(started)
    );
    let Some(name) = query else { return };
    index::mark_stale(&workspace.root);
    let started = Instant::now();
    let refresh = workspace.with_index(|_, refresh| refresh);
    println!(
        "walk with nothing changed: {} in {:.1} ms",
        described(&refresh),
        ms(started)
    );
    let query = SymbolQuery {
        name,
        limit: ops::DEFAULT_LIMIT,
        ..SymbolQuery::default()
    };
    let search = || {
        workspace.with_index(|index, _| ops::search_in(index, &query, None));
    };
    let repeat = repeat.max(1);
    timed("right after a refresh", repeat, search, || {});
    timed(
        "on a stale index (a walk first, as 2 s after a refresh without a change journal)",
        repeat,
        search,
        || index::mark_stale(&workspace.root),
    );
    if touch == 0 {
        return;
    }
    let Some(mut journal) = journal(&workspace.root) else {
        println!("no change journal: the in-session figures need one");
        return;
    };
    let mut feed = || match journal.code_changes() {
        Ok(paths) => index::vouch(&workspace.root, &paths),
        Err(_) => index::mark_stale(&workspace.root),
    };
    feed();
    search();
    timed(
        "vouched for by the change journal (any time after a refresh)",
        repeat,
        search,
        &mut feed,
    );
    let touched = touch_files(&workspace, touch);
    let started = Instant::now();
    feed();
    let refresh = workspace.with_index(|_, refresh| refresh);
    println!(
        "re-index after {touched} files changed, from the journal's paths: {} in {:.1} ms",
        described(&refresh),
        ms(started)
    );
}

/// Runs `search` `repeat` times, each after `before` (not timed), and
/// prints the median and the 95th percentile.
fn timed(what: &str, repeat: usize, search: impl Fn(), mut before: impl FnMut()) {
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            before();
            let started = Instant::now();
            search();
            ms(started)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |share: f64| times[((times.len() - 1) as f64 * share).round() as usize];
    println!(
        "search {what}: p50 {:.1} ms, p95 {:.1} ms over {} runs",
        at(0.5),
        at(0.95),
        times.len()
    );
}

/// The checkpoint store of `root`, with its change journal started: the
/// session's source of changed paths (no checkpoint is taken).
fn journal(root: &Path) -> Option<CheckpointStore> {
    let data = crate::paths::StatePaths::from_env().ok()?.data;
    let mut store = CheckpointStore::open(&data, root).ok()?;
    store.start_journal(crate::checkpoint::JOURNAL_CAPACITY);
    Some(store)
}

/// Appends a comment line to up to `count` indexed files, spread over the
/// workspace; how many it changed.
fn touch_files(workspace: &Workspace, count: usize) -> usize {
    let paths: Vec<String> = workspace.with_index(|index, _| {
        let step = (index.files.len() / count.max(1)).max(1);
        index
            .files
            .keys()
            .step_by(step)
            .take(count)
            .cloned()
            .collect()
    });
    paths
        .iter()
        .filter(|path| {
            std::fs::OpenOptions::new()
                .append(true)
                .open(workspace.root.join(path))
                .and_then(|mut file| file.write_all(b"\n// touched\n"))
                .is_ok()
        })
        .count()
}

/// What a refresh did, in words.
fn described(refresh: &index::Refresh) -> String {
    format!(
        "{} {} files, parsed {}, dropped {}",
        if refresh.full {
            "walked, looked at"
        } else {
            "looked at"
        },
        refresh.looked_at,
        refresh.parsed,
        refresh.dropped
    )
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
