//! The `code` tool's built-in (tree-sitter) layer: symbols, outlines,
//! definitions, pattern search and rewrite in every supported language,
//! files with syntax errors or bytes that are not UTF-8, the incremental
//! index; and, through the real binary and the scripted model server, that
//! a denied path is never indexed or shown and that a rewrite is written
//! only through the `write` tool's rules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::path::Path;

use agent::code::index::Index;
use agent::config::validate_text;
use agent::policy::paths::Roots;
use agent::policy::{Decision, Mode, Policy, ToolCall, Trust};
use agent::sandbox::Sandbox;
use agent::tools::{self, ToolContext, ToolOutput};
use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};
use tempfile::TempDir;

const AGENT: &str = r#"{"name": "a", "tools": ["code"], "allowedTools": ["code"]}"#;

/// One small project per language: a file, its text, a symbol it defines
/// with its kind and line, and a pattern with its match count.
const FIXTURES: &[(&str, &str, &str, &str, usize, &str)] = &[
    (
        "py/shop.py",
        "class Shop:\n    def add_item(self, name):\n        return name\n\ndef total(items):\n    return sum(items)\n",
        "add_item",
        "method",
        2,
        "def $F($$$A): $$$B",
    ),
    (
        "rs/lib.rs",
        "pub struct Cart;\nimpl Cart {\n    pub fn add_item(&self) -> u32 { 1 }\n}\nfn total() { x.unwrap(); }\n",
        "add_item",
        "method",
        3,
        "$X.unwrap()",
    ),
    (
        "js/app.js",
        "class Shop {\n  addItem(name) { console.log(name); }\n}\nconst total = (xs) => xs.length;\n",
        "addItem",
        "method",
        2,
        "console.log($$$A)",
    ),
    (
        "ts/app.ts",
        "interface Item { name: string }\nexport function addItem(item: Item): void {\n  console.log(item);\n}\n",
        "addItem",
        "function",
        2,
        "console.log($$$A)",
    ),
    (
        "ts/view.tsx",
        "export function addItem() {\n  return <div>{console.log(1)}</div>;\n}\n",
        "addItem",
        "function",
        1,
        "console.log($$$A)",
    ),
    (
        "go/shop.go",
        "package shop\n\ntype Shop struct{}\n\nfunc (s *Shop) AddItem(n int) int {\n\treturn n\n}\n",
        "AddItem",
        "method",
        5,
        "return $X",
    ),
    (
        "java/Shop.java",
        "class Shop {\n    int addItem(int n) {\n        return n;\n    }\n}\n",
        "addItem",
        "method",
        2,
        "return $X;",
    ),
    (
        "c/shop.c",
        "struct shop { int n; };\n\nint add_item(struct shop *s) {\n    return s->n;\n}\n",
        "add_item",
        "function",
        3,
        "return $X;",
    ),
    (
        "cpp/shop.cpp",
        "namespace store {\nclass Shop {\n public:\n  int count;\n};\nint add_item(int n) { return n; }\n}\n",
        "add_item",
        "function",
        6,
        "return $X;",
    ),
];

struct Workspace {
    dir: TempDir,
    policy: Policy,
    context: ToolContext,
}

impl Workspace {
    fn new(agent: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let config = validate_text(Path::new("a.json"), agent).unwrap().config;
        let policy = Policy::new(config, &root, None);
        let context = ToolContext {
            roots: Roots::new(&root, None),
            env_passthrough: Vec::new(),
            cancel: agent::tools::Cancel::default(),
            sandbox: Sandbox::off(),
            session: Default::default(),
            hidden: policy.hidden(),
            code_index: None,
        };
        Workspace {
            dir,
            policy,
            context,
        }
    }

    fn write(&self, relative: &str, bytes: &[u8]) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs `code` with `input`, as the policy approves it.
    fn code(&self, input: Value) -> ToolOutput {
        let call = ToolCall {
            tool: "code".into(),
            input,
        };
        match self
            .policy
            .decide(&call, &Trust::default(), Mode::Unattended)
        {
            Decision::Allow { approval, .. } => tools::run(&call, &approval, &self.context),
            other => panic!("not allowed: {}", other.to_json()),
        }
    }

    fn ok(&self, input: Value) -> String {
        let output = self.code(input.clone());
        assert!(!output.is_error, "{input}: {}", output.text);
        output.text
    }
}

fn fixtures() -> Workspace {
    let workspace = Workspace::new(AGENT);
    for (path, text, ..) in FIXTURES {
        workspace.write(path, text.as_bytes());
    }
    workspace
}

#[test]
fn symbols_outlines_and_definitions_in_every_language() {
    let workspace = fixtures();
    for (path, _, symbol, kind, line, _) in FIXTURES {
        let found = workspace.ok(json!({"operation": "search_symbols", "symbol_name": symbol, "path": Path::new(path).parent().unwrap()}));
        let expected = format!("{kind} {symbol}");
        assert!(found.contains(&expected), "{path}: {found}");
        assert!(
            found.contains(&format!("{path}:{line}-")),
            "{path}: {found}"
        );
        let outline = workspace.ok(json!({"operation": "get_document_symbols", "file_path": path}));
        assert!(
            outline.contains(&format!("{kind} {symbol} [{line}-")),
            "{path}: {outline}"
        );
        let looked = workspace.ok(json!({"operation": "lookup_symbols", "symbols": [symbol], "file_path": path, "include_source": true}));
        assert!(
            looked.contains(&format!("{:>6}\t", line)),
            "{path}: {looked}"
        );
    }
}

#[test]
fn fuzzy_search_ranks_the_exact_name_first() {
    let workspace = fixtures();
    let found = workspace.ok(json!({"operation": "search_symbols", "symbol_name": "add_item"}));
    let lines: Vec<&str> = found.lines().collect();
    assert_eq!(lines.len(), FIXTURES.len(), "{found}");
    assert!(
        lines[..4].iter().all(|l| l.contains(" add_item")),
        "exact names first: {found}"
    );
    assert!(
        lines[4..]
            .iter()
            .all(|l| l.to_lowercase().contains("additem")),
        "{found}"
    );
    let page =
        workspace.ok(json!({"operation": "search_symbols", "symbol_name": "additem", "limit": 3}));
    assert_eq!(page.lines().count(), 4, "three and a note: {page}");
    let none = workspace.ok(json!({"operation": "search_symbols", "symbol_name": "zzzq"}));
    assert!(none.contains("no symbol matches"), "{none}");
}

#[test]
fn goto_definition_from_the_index() {
    let workspace = fixtures();
    workspace.write(
        "py/main.py",
        b"from shop import total\n\nprint(total([1, 2]))\n",
    );
    let found = workspace.ok(
        json!({"operation": "goto_definition", "file_path": "py/main.py", "row": 3, "column": 8}),
    );
    assert!(found.contains("definitions of `total`"), "{found}");
    assert!(found.contains("py/shop.py:5-6"), "{found}");
}

#[test]
fn pattern_search_in_every_language() {
    let workspace = fixtures();
    for (path, _, _, _, _, pattern) in FIXTURES {
        let language = Path::new(path).components().next().unwrap();
        let language = language.as_os_str().to_str().unwrap();
        let input = json!({"operation": "pattern_search", "pattern": pattern, "language": language, "file_path": path});
        let found = workspace.ok(input);
        assert!(
            found.starts_with(&format!("{path}:")),
            "{path} `{pattern}`: {found}"
        );
    }
    let all = workspace.ok(json!({"operation": "pattern_search", "pattern": "console.log($$$A)", "language": "typescript"}));
    assert_eq!(
        all.lines().filter(|l| l.starts_with("ts/")).count(),
        2,
        "{all}"
    );
}

#[test]
fn a_dry_run_rewrite_shows_the_diff_and_writes_nothing() {
    let workspace = fixtures();
    let input = json!({"operation": "pattern_rewrite", "pattern": "$X.unwrap()", "replacement": "$X.expect(\"total\")", "language": "rust"});
    let output = workspace.code(input);
    assert!(output.writes.is_empty());
    assert!(
        output.text.contains("-fn total() { x.unwrap(); }"),
        "{}",
        output.text
    );
    assert!(
        output.text.contains("+fn total() { x.expect(\"total\"); }"),
        "{}",
        output.text
    );
    let text = std::fs::read_to_string(workspace.dir.path().join("rs/lib.rs")).unwrap();
    assert!(text.contains("x.unwrap()"));
    let input = json!({"operation": "pattern_rewrite", "pattern": "def $F($$$A): $$$B", "replacement": "async def $F($$$A): $$$B", "language": "python", "dry_run": false});
    let output = workspace.code(input);
    assert_eq!(output.writes.len(), 1, "{}", output.text);
    assert!(
        output.writes[0].content.contains("async def total(items):"),
        "{:?}",
        output.writes
    );
}

#[test]
fn syntax_errors_and_bytes_that_are_not_utf8_still_yield_symbols() {
    let workspace = Workspace::new(AGENT);
    workspace.write(
        "broken.py",
        b"def good():\n    pass\n\ndef bad(:\n    pass\n\nclass Later:\n    pass\n",
    );
    workspace.write("latin.py", b"# caf\xe9\ndef price():\n    return '\xff'\n");
    workspace.write("data.bin.py", &[0xff, 0xfe, 0x00, 0x01]);
    let outline =
        workspace.ok(json!({"operation": "get_document_symbols", "file_path": "broken.py"}));
    assert!(outline.contains("function good [1-2]"), "{outline}");
    assert!(outline.contains("class Later"), "{outline}");
    let found = workspace.ok(json!({"operation": "search_symbols", "symbol_name": "price"}));
    assert!(found.contains("latin.py:2-3"), "{found}");
    let map = workspace.ok(json!({"operation": "search_codebase_map"}));
    assert!(map.contains("broken.py [python] (syntax errors)"), "{map}");
}

#[test]
fn overview_and_map_describe_each_folder() {
    let workspace = fixtures();
    let overview = workspace.ok(json!({"operation": "generate_codebase_overview"}));
    assert!(
        overview.starts_with("9 source file(s) in 8 folder(s)"),
        "{overview}"
    );
    assert!(overview.contains("ts/  tsx 1, typescript 1"), "{overview}");
    assert!(
        overview.contains("py/shop.py [python]: Shop, total"),
        "{overview}"
    );
    let map = workspace.ok(json!({"operation": "search_codebase_map", "file_path": "shop"}));
    assert_eq!(map.lines().count(), 4, "{map}");
}

#[test]
fn the_index_reparses_only_what_changed() {
    let workspace = fixtures();
    let root = workspace.dir.path().canonicalize().unwrap();
    let hidden = workspace.context.hidden.clone();
    let mut index = Index::default();
    let first = index.refresh(&root, &hidden);
    assert_eq!((first.parsed, first.dropped), (FIXTURES.len(), 0));
    let again = index.refresh(&root, &hidden);
    assert_eq!((again.parsed, again.dropped), (0, 0));
    workspace.write("py/shop.py", b"def renamed():\n    pass\n");
    std::fs::remove_file(root.join("go/shop.go")).unwrap();
    std::fs::write(root.join(".gitignore"), "java/\n").unwrap();
    let changed = index.refresh(&root, &hidden);
    assert_eq!((changed.parsed, changed.dropped), (1, 2));
    assert!(index.files["py/shop.py"].symbols[0].name == "renamed");
}

#[test]
fn server_operations_say_a_language_server_is_needed() {
    let workspace = fixtures();
    let output = workspace
        .code(json!({"operation": "get_hover", "file_path": "py/shop.py", "row": 1, "column": 1}));
    assert!(output.is_error);
    assert!(
        output.text.contains("no language server is configured"),
        "{}",
        output.text
    );
}

/// An agent with `code` and `write`, `read.deniedPaths` over `secret/`,
/// and writes fenced to `src/`.
fn fenced_agent() -> String {
    json!({
        "name": "bot",
        "tools": ["code", "write"],
        "allowedTools": ["code"],
        "toolsSettings": {
            "read": {"deniedPaths": ["secret/**"]},
            "write": {"allowedPaths": ["src/**"]}
        }
    })
    .to_string()
}

/// Runs one headless turn in which the model makes `calls`, and returns
/// the stream's events.
async fn turn(env: &Env, calls: &[(&str, &str, Value)]) -> Vec<Value> {
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(calls),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let output = env.chat_stream(&server.url, &["go"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    support::stream_events(&output)
}

fn result_of<'a>(events: &'a [Value], id: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == "tool_result" && e["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}: {events:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_path_is_never_indexed_or_shown() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &fenced_agent());
    env.write("src/app.py", "def visible_fn():\n    pass\n");
    env.write("secret/keys.py", "def hidden_fn():\n    pass\n");
    let events = turn(
        &env,
        &[
            ("c1", "code", json!({"operation": "search_symbols", "symbol_name": "fn"})),
            ("c2", "code", json!({"operation": "get_document_symbols", "file_path": "secret/keys.py"})),
            ("c3", "code", json!({"operation": "pattern_search", "pattern": "def $F(): $$$B", "language": "python"})),
            ("c4", "code", json!({"operation": "generate_codebase_overview"})),
        ],
    )
    .await;
    let everything = serde_json::to_string(&events).unwrap();
    assert!(
        result_of(&events, "c1")["output"]
            .as_str()
            .unwrap()
            .contains("visible_fn"),
        "{everything}"
    );
    assert!(
        result_of(&events, "c2")["is_error"].as_bool().unwrap(),
        "{everything}"
    );
    assert!(!everything.contains("hidden_fn"), "{everything}");
    let stored = walk_text(&env.agent_home.join("data/code"));
    assert!(
        stored.contains("visible_fn"),
        "the index is stored under AGENT_HOME"
    );
    assert!(!stored.contains("hidden_fn") && !stored.contains("keys.py"));
    let in_workspace = walk_text(&env.workspace);
    assert!(
        !in_workspace.contains("\"symbols\""),
        "no index in the workspace"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn code_results_are_typed_events_in_stream_json() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &fenced_agent());
    env.write(
        "src/shapes.py",
        "class Square:\n    def area(self):\n        return 4\n\n\ndef area(w, h):\n    return w * h\n",
    );
    let events = turn(
        &env,
        &[
            (
                "s1",
                "code",
                json!({"operation": "search_symbols", "symbol_name": "area"}),
            ),
            (
                "s2",
                "code",
                json!({"operation": "get_document_symbols", "file_path": "src/shapes.py"}),
            ),
            (
                "s3",
                "code",
                json!({"operation": "generate_codebase_overview"}),
            ),
        ],
    )
    .await;
    let position = |kind: &str, id: &str| {
        events
            .iter()
            .position(|e| e["type"] == kind && e["id"] == id)
            .unwrap_or_else(|| panic!("no {kind} event for {id}: {events:?}"))
    };
    let search = &events[position("code", "s1")]["report"];
    assert!(position("code", "s1") < position("tool_result", "s1"));
    assert_eq!(search["kind"], "symbols", "{search}");
    assert_eq!(search["operation"], "search_symbols");
    assert_eq!(search["total"], 2);
    assert_eq!(
        search["symbols"],
        json!([
            {"name": "area", "kind": "method", "path": "src/shapes.py", "line": 2, "end_line": 3, "container": "Square"},
            {"name": "area", "kind": "function", "path": "src/shapes.py", "line": 6, "end_line": 7}
        ]),
        "in the order the model reads them: {search}"
    );
    let outline = &events[position("code", "s2")]["report"];
    let names: Vec<&str> = outline["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Square", "area", "area"], "{outline}");
    assert_eq!(outline["operation"], "get_document_symbols");
    assert!(
        !events
            .iter()
            .any(|e| e["type"] == "code" && e["id"] == "s3"),
        "an overview is text only: {events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rewrite_is_written_only_through_the_write_tools_rules() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", &fenced_agent());
    env.write("src/app.py", "def area(w):\n    return w\n");
    env.write("lib/util.py", "def size(w):\n    return w\n");
    let rewrite = json!({"operation": "pattern_rewrite", "pattern": "return $X", "replacement": "return $X * 2", "language": "python", "dry_run": false});
    let events = turn(&env, &[("r1", "code", rewrite)]).await;
    let result = result_of(&events, "r1")["output"]
        .as_str()
        .unwrap()
        .to_string();
    let src = std::fs::read_to_string(env.workspace.join("src/app.py")).unwrap();
    let lib = std::fs::read_to_string(env.workspace.join("lib/util.py")).unwrap();
    assert_eq!(src, "def area(w):\n    return w * 2\n", "{result}");
    assert_eq!(
        lib, "def size(w):\n    return w\n",
        "outside the fence: {result}"
    );
    assert!(result.contains("src/app.py: written"), "{result}");
    assert!(result.contains("lib/util.py: not written"), "{result}");
    let writes: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_call" && e["tool"] == "write")
        .collect();
    assert_eq!(
        writes.len(),
        2,
        "each file is its own write call: {events:?}"
    );
    let list = env
        .agent()
        .args(["checkpoint", "expand", "2"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("write"), "the write was checkpointed: {list}");
}

/// Every file's text under `root`, concatenated.
fn walk_text(root: &Path) -> String {
    let mut text = String::new();
    for entry in walk(root) {
        text.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry).unwrap_or_default(),
        ));
    }
    text
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_index_walks_again_once_marked_stale() {
    let workspace = fixtures();
    let root = workspace.dir.path().canonicalize().unwrap();
    let search =
        json!({"operation": "search_symbols", "symbol_name": "brand_new", "exact_match": true});
    assert!(workspace.ok(search.clone()).contains("no symbol matches"));
    workspace.write("py/new.py", b"def brand_new():\n    pass\n");
    let cached = workspace.ok(search.clone());
    assert!(
        cached.contains("no symbol matches"),
        "fresh for two seconds: {cached}"
    );
    agent::code::index::mark_stale(&root);
    let walked = workspace.ok(search);
    assert!(
        walked.contains("function brand_new  py/new.py:1-2"),
        "{walked}"
    );
}

#[test]
fn the_index_looks_only_at_the_paths_named_changed() {
    let workspace = fixtures();
    workspace.write(".gitignore", b"build/\n");
    let root = workspace.dir.path().canonicalize().unwrap();
    let hidden = workspace.context.hidden.clone();
    let mut index = Index::default();
    index.refresh(&root, &hidden);
    workspace.write("py/shop.py", b"def renamed():\n    pass\n");
    workspace.write("py/deep/new.py", b"def brand_new():\n    pass\n");
    workspace.write("build/gen.py", b"def generated():\n    pass\n");
    std::fs::remove_file(root.join("go/shop.go")).unwrap();
    let named: std::collections::BTreeSet<std::path::PathBuf> =
        ["py/shop.py", "py/deep", "build/gen.py", "go/shop.go"]
            .iter()
            .map(std::path::PathBuf::from)
            .collect();
    let partial = index.refresh_paths(&root, &hidden, &named).unwrap();
    assert!(!partial.full);
    assert_eq!(
        (partial.looked_at, partial.parsed, partial.dropped),
        (2, 2, 1),
        "the two source files named and kept, nothing else: {partial:?}"
    );
    let mut walked = Index::default();
    walked.refresh(&root, &hidden);
    let names = |index: &Index| -> Vec<(String, Vec<String>)> {
        let files = index.files.values();
        files
            .map(|f| {
                (
                    f.path.clone(),
                    f.symbols.iter().map(|s| s.name.clone()).collect(),
                )
            })
            .collect()
    };
    assert_eq!(names(&index), names(&walked), "as a full walk finds it");
    let ignore_rules: std::collections::BTreeSet<std::path::PathBuf> =
        [std::path::PathBuf::from(".gitignore")].into();
    assert!(
        index.refresh_paths(&root, &hidden, &ignore_rules).is_none(),
        "a changed .gitignore needs a walk"
    );
}

#[test]
fn the_change_journal_feeds_the_index_or_says_it_cannot() {
    use agent::checkpoint::CheckpointStore;
    use agent::code::index;
    let workspace = fixtures();
    let root = workspace.dir.path().canonicalize().unwrap();
    let hidden = workspace.context.hidden.clone();
    let data = tempfile::tempdir().unwrap();
    let mut store = CheckpointStore::open(data.path(), &root).unwrap();
    store.use_session("code-index-test").unwrap();
    store.start_journal(3);
    // What the dispatcher does before each `code` call.
    let feed = |store: &mut CheckpointStore| match store.code_changes() {
        Ok(paths) => {
            index::vouch(&root, &paths);
            Ok(paths)
        }
        Err(why) => {
            index::mark_stale(&root);
            Err(why)
        }
    };
    let refresh = || index::with_index(&root, &hidden, None, |_, refresh| refresh);
    assert!(feed(&mut store).is_err(), "what came before it is unknown");
    assert!(refresh().full);
    workspace.write("py/one.py", b"def one():\n    pass\n");
    assert_eq!(feed(&mut store).unwrap(), vec![root.join("py/one.py")]);
    let vouched = refresh();
    assert!(
        !vouched.full && vouched.looked_at == 1 && vouched.parsed == 1,
        "{vouched:?}"
    );
    for n in 0..5 {
        workspace.write(&format!("py/many{n}.py"), b"def many():\n    pass\n");
    }
    let lost = feed(&mut store).unwrap_err();
    assert!(lost.contains("more changes"), "{lost}");
    let walked = refresh();
    assert!(walked.full && walked.parsed == 5, "{walked:?}");
    workspace.write("py/two.py", b"def two():\n    pass\n");
    assert!(
        feed(&mut store).is_err(),
        "lost until a snapshot starts the journal afresh"
    );
    assert!(refresh().full);
    store.snapshot("1", "baseline", false).unwrap();
    assert!(
        feed(&mut store).is_err(),
        "a fresh journal cannot vouch yet"
    );
    refresh();
    workspace.write("py/three.py", b"def three():\n    pass\n");
    assert_eq!(feed(&mut store).unwrap(), vec![root.join("py/three.py")]);
    let vouched = refresh();
    assert!(!vouched.full && vouched.parsed == 1, "{vouched:?}");
    assert!(
        workspace
            .ok(json!({"operation": "search_symbols", "symbol_name": "three", "exact_match": true}))
            .contains("py/three.py")
    );
}

/// An agent with `code`, `write` and `shell`, all allowed.
const EDITING_AGENT: &str = r#"{"name": "bot", "tools": ["code", "write", "shell"], "allowedTools": ["code", "write", "shell"]}"#;

/// Runs one headless turn with `calls` and the index's refresh log on;
/// returns the stream's events and the log's lines.
async fn logged_turn(env: &Env, calls: &[(&str, &str, Value)]) -> (Vec<Value>, Vec<Value>) {
    let log = env.home.join("index.log");
    let server = ModelServer::start(vec![
        Protocol::OpenAi.tool_calls(calls),
        Protocol::OpenAi.text("Done."),
    ])
    .await;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--no-interactive", "--agent", "bot"])
        .args([
            "--model",
            "openai/scripted",
            "--output-format",
            "stream-json",
            "go",
        ])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .env(agent::code::index::LOG_VARIABLE, &log)
        .stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let refreshes = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (support::stream_events(&output), refreshes)
}

fn search(name: &str) -> Value {
    json!({"operation": "search_symbols", "symbol_name": name, "exact_match": true})
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_by_the_write_tool_and_a_command_are_indexed_without_a_walk() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", EDITING_AGENT);
    env.write("src/app.py", "def first():\n    pass\n");
    let written = json!({"command": "create", "path": "src/written.py", "content": "def by_write():\n    pass\n"});
    let command = json!({"command": "mkdir -p src/made && printf 'def by_shell():\\n    pass\\n' > src/made/cmd.py"});
    let (events, refreshes) = logged_turn(
        &env,
        &[
            ("c1", "code", search("first")),
            ("w1", "write", written),
            ("c2", "code", search("by_write")),
            ("s1", "shell", command),
            ("c3", "code", search("by_shell")),
        ],
    )
    .await;
    let everything = serde_json::to_string(&events).unwrap();
    for (id, file) in [
        ("c1", "src/app.py"),
        ("c2", "src/written.py"),
        ("c3", "src/made/cmd.py"),
    ] {
        let output = result_of(&events, id)["output"].as_str().unwrap();
        assert!(output.contains(file), "{id}: {output}\n{everything}");
    }
    assert_eq!(refreshes.len(), 3, "one refresh per call: {refreshes:?}");
    assert_eq!(refreshes[0]["full"], true, "the first use walks");
    for later in &refreshes[1..] {
        assert_eq!(later["full"], false, "{refreshes:?}");
        assert_eq!(later["parsed"], 1, "{refreshes:?}");
        assert!(later["looked_at"].as_u64().unwrap() <= 2, "{refreshes:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_change_journal_a_commands_changes_are_found_by_a_walk() {
    let env = Env::new();
    env.write(".kiro/agents/bot.json", EDITING_AGENT);
    env.write("src/app.py", "def first():\n    pass\n");
    let off = env
        .agent()
        .args(["settings", "chat.enableCheckpoint", "false"])
        .output()
        .unwrap();
    assert!(off.status.success(), "{off:?}");
    let command = json!({"command": "printf 'def outside():\\n    pass\\n' > src/other.py"});
    let (events, refreshes) = logged_turn(
        &env,
        &[
            ("c1", "code", search("first")),
            ("s1", "shell", command),
            ("c2", "code", search("outside")),
        ],
    )
    .await;
    let output = result_of(&events, "c2")["output"].as_str().unwrap();
    assert!(output.contains("src/other.py"), "{output}");
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    assert!(
        refreshes.iter().all(|r| r["full"] == true),
        "nothing vouches, so each walks: {refreshes:?}"
    );
}
