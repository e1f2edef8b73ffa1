//! `knowledge`: Kiro's knowledge bases, with Kiro's commands (`show`,
//! `add`, `search`, `update`, `remove`, `clear`, `status`, `cancel`). A
//! context is a folder, a file or a piece of text, indexed in a full-text
//! index (tantivy, BM25 ranking) under the data folder, one per agent, so
//! it survives the session. Indexing is done in the call (no background
//! operations: `status` and `cancel` say so). `indexType: "best"`
//! (Kiro's embeddings) is indexed the same way here.
//!
//! What goes in is what the agent may read: the policy judged the folder
//! or file named in the call as a `read`, and every file found under it is
//! judged again as a read of its own, so a file under `deniedPaths`, a
//! credential or a key is never indexed, and so never found. Walks honour
//! `.gitignore`, skip binary files and files over [`MAX_FILE_BYTES`].
//!
//! The agent file's `knowledgeBase` resources are indexed the first time
//! the tool is used in a session, as Kiro syncs them: a base not indexed
//! yet is added, one whose `include`/`exclude` changed is indexed again,
//! one with `autoUpdate` is indexed again when its files changed (their
//! paths, sizes and modification times), and a context that came from a
//! resource the file no longer has is removed. Contexts added with `add`
//! are never touched by this.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, STORED, STRING, Schema, TEXT, Value as _};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexWriter, TantivyDocument, Term, doc};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, optional_u64, required_str};

/// Files larger than this are not indexed.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Files indexed per context at most.
const MAX_FILES: usize = 20_000;
/// Results shown unless the call says otherwise.
const DEFAULT_LIMIT: usize = 5;
/// Snippet length unless the call says otherwise.
const DEFAULT_SNIPPET: usize = 300;

/// The `knowledge` tool.
pub struct Knowledge;

/// One knowledge context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Context {
    id: String,
    name: String,
    /// The folder or file indexed, or `None` for text.
    path: Option<PathBuf>,
    files: usize,
    /// Came from a `knowledgeBase` resource of the agent file.
    #[serde(default)]
    from_resource: bool,
    /// Globs of the files indexed, relative to `path` (empty: all).
    #[serde(default)]
    include: Vec<String>,
    /// Globs of files not indexed, relative to `path`.
    #[serde(default)]
    exclude: Vec<String>,
    /// The files' paths, sizes and times when they were indexed.
    #[serde(default)]
    stamp: String,
}

/// An agent's knowledge: its contexts and their index.
struct Store {
    folder: PathBuf,
    contexts: Vec<Context>,
}

/// The index's fields.
struct Fields {
    context: Field,
    path: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        context: builder.add_text_field("context", STRING | STORED),
        path: builder.add_text_field("path", STRING | STORED),
        body: builder.add_text_field("body", TEXT | STORED),
    };
    (builder.build(), fields)
}

impl Store {
    fn open(context: &ToolContext) -> Result<Store, String> {
        let data = context
            .session
            .data
            .as_ref()
            .ok_or("this session keeps no data folder for knowledge bases")?;
        let folder = data.join("knowledge").join(safe_name(&context.session.agent));
        let contexts = std::fs::read_to_string(folder.join("contexts.json"))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Ok(Store { folder, contexts })
    }

    fn save(&self) -> Result<(), String> {
        let text = serde_json::to_string_pretty(&self.contexts).unwrap_or_default();
        crate::atomic::write(&self.folder.join("contexts.json"), text.as_bytes(), Some(0o600))
            .map_err(|e| format!("cannot save the knowledge contexts: {e}"))
    }

    fn index(&self) -> Result<(Index, Fields), String> {
        let (schema, fields) = schema();
        let dir = self.folder.join("index");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let directory = tantivy::directory::MmapDirectory::open(&dir)
            .map_err(|e| format!("cannot open the knowledge index: {e}"))?;
        let index = Index::open_or_create(directory, schema)
            .map_err(|e| format!("cannot open the knowledge index: {e}"))?;
        Ok((index, fields))
    }

    fn find(&self, input: &Value) -> Option<usize> {
        let by = |key: &str| optional_str(input, key);
        self.contexts.iter().position(|c| {
            by("context_id") == Some(c.id.as_str())
                || by("name") == Some(c.name.as_str())
                || by("path").is_some_and(|p| c.path.as_deref() == Some(Path::new(p)))
        })
    }

    /// Indexes `source` (a path the policy allowed, or text) as `context`,
    /// replacing what the context held.
    fn fill(&mut self, context: Context, text: Option<&str>, tool: &ToolContext) -> Result<Context, String> {
        let (index, fields) = self.index()?;
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .map_err(|e| format!("cannot write the knowledge index: {e}"))?;
        writer.delete_term(Term::from_field_text(fields.context, &context.id));
        let mut files = 0;
        let selection = Selection::new(&context.include, &context.exclude)?;
        let (documents, stamp) = match (&context.path, text) {
            (Some(path), _) => readable_files(path, &selection, tool),
            (None, Some(text)) => (vec![(String::new(), text.to_string())], String::new()),
            (None, None) => (Vec::new(), String::new()),
        };
        for (path, body) in documents {
            files += 1;
            writer
                .add_document(doc!(fields.context => context.id.clone(), fields.path => path, fields.body => body))
                .map_err(|e| format!("cannot index: {e}"))?;
        }
        writer.commit().map_err(|e| format!("cannot save the knowledge index: {e}"))?;
        let filled = Context { files, stamp, ..context };
        self.contexts.retain(|c| c.id != filled.id);
        self.contexts.push(filled.clone());
        self.save()?;
        Ok(filled)
    }

    fn drop_contexts(&mut self, ids: &[String]) -> Result<(), String> {
        let (index, fields) = self.index()?;
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .map_err(|e| format!("cannot write the knowledge index: {e}"))?;
        for id in ids {
            writer.delete_term(Term::from_field_text(fields.context, id));
        }
        writer.commit().map_err(|e| format!("cannot save the knowledge index: {e}"))?;
        self.contexts.retain(|c| !ids.contains(&c.id));
        self.save()
    }
}

/// Which files under a context's folder it holds: `include` globs (none:
/// every file) minus `exclude` globs, both relative to the folder.
struct Selection {
    include: Option<globset::GlobSet>,
    exclude: globset::GlobSet,
}

impl Selection {
    fn new(include: &[String], exclude: &[String]) -> Result<Selection, String> {
        let set = |globs: &[String]| {
            let mut builder = globset::GlobSetBuilder::new();
            for glob in globs {
                builder.add(globset::Glob::new(glob).map_err(|e| format!("`{glob}`: {e}"))?);
            }
            builder.build().map_err(|e| e.to_string())
        };
        Ok(Selection {
            include: match include.is_empty() {
                true => None,
                false => Some(set(include)?),
            },
            exclude: set(exclude)?,
        })
    }

    fn holds(&self, root: &Path, path: &Path) -> bool {
        let relative = path.strip_prefix(root).ok().filter(|r| !r.as_os_str().is_empty());
        let relative = relative.unwrap_or_else(|| Path::new(path.file_name().unwrap_or_default()));
        self.include.as_ref().is_none_or(|set| set.is_match(relative)) && !self.exclude.is_match(relative)
    }
}

/// The files under `root` that `selection` holds, not ignored, and small
/// enough to index.
fn candidate_files<'a>(root: &'a Path, selection: &'a Selection) -> impl Iterator<Item = ignore::DirEntry> + 'a {
    let walk = ignore::WalkBuilder::new(root).hidden(true).build();
    walk.filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .filter(|entry| entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES))
        .filter(move |entry| selection.holds(root, entry.path()))
}

/// A digest of the paths, sizes and modification times of the files a
/// context would index: it changes when they do.
fn stamp(root: &Path, selection: &Selection) -> String {
    digest(candidate_files(root, selection).filter_map(|entry| stamp_line(&entry)).collect())
}

/// One file's part of a stamp: its path, size and modification time.
fn stamp_line(entry: &ignore::DirEntry) -> Option<String> {
    let meta = entry.metadata().ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("{}\0{}\0{}\n", entry.path().display(), meta.len(), modified.as_nanos()))
}

/// The stamp of `lines`, in any order.
fn digest(mut lines: Vec<String>) -> String {
    lines.sort();
    let mut hasher = Sha256::new();
    lines.iter().for_each(|line| hasher.update(line.as_bytes()));
    super::text::hex(&hasher.finalize())
}

/// The files under `root` that `selection` holds and the agent may read,
/// with their text, and the stamp of all it holds, from the same walk.
fn readable_files(root: &Path, selection: &Selection, tool: &ToolContext) -> (Vec<(String, String)>, String) {
    let readable = |path: &Path| {
        tool.session
            .read_policy
            .as_ref()
            .is_none_or(|policy| !policy.read_denied(path))
    };
    let (mut documents, mut lines) = (Vec::new(), Vec::new());
    for entry in candidate_files(root, selection) {
        lines.extend(stamp_line(&entry));
        if documents.len() >= MAX_FILES || !readable(entry.path()) {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        if !super::text::looks_binary(&bytes) {
            documents.push((entry.path().display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    (documents, digest(lines))
}

impl Tool for Knowledge {
    fn name(&self) -> &'static str {
        "knowledge"
    }

    fn description(&self) -> &'static str {
        "Knowledge bases kept across sessions, searched by keywords (BM25). Commands: show (list contexts), add (name, value: a folder, a file or text), search (query, context_id?, limit?, offset?, snippet_length?), update (path, name or context_id), remove (name, context_id or path), clear, status, cancel."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["show", "add", "remove", "clear", "search", "update", "status", "cancel"]},
                "name": {"type": "string"},
                "value": {"type": "string", "description": "For add: a folder or file path, or text"},
                "context_id": {"type": "string"},
                "path": {"type": "string"},
                "query": {"type": "string"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "snippet_length": {"type": "integer"},
                "sort_by": {"type": "string", "enum": ["relevance", "path", "name"]},
                "file_type": {"type": "string"},
                "operation_id": {"type": "string"}
            },
            "required": ["command"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let mut synced = String::new();
        let result = Store::open(context).and_then(|mut store| {
            if !context.session.knowledge_synced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                synced = sync_resources(&mut store, context)?;
            }
            run_command(&mut store, input, context)
        });
        match result {
            Ok(text) => ToolOutput::ok(format!("{synced}{text}")),
            Err(problem) => ToolOutput::error(format!("{synced}{problem}")),
        }
    }
}

/// Brings the agent file's `knowledgeBase` resources into `store` (see the
/// module's doc) and says what it indexed or removed, a line each.
fn sync_resources(store: &mut Store, tool: &ToolContext) -> Result<String, String> {
    let bases = &tool.session.knowledge_bases;
    let gone: Vec<String> = store
        .contexts
        .iter()
        .filter(|c| c.from_resource && !bases.iter().any(|b| b.name == c.name))
        .map(|c| c.id.clone())
        .collect();
    let mut report = String::new();
    if !gone.is_empty() {
        store.drop_contexts(&gone)?;
        report.push_str(&format!("removed {} knowledge base(s) the agent file no longer has\n", gone.len()));
    }
    for base in bases.iter() {
        let existing = store.contexts.iter().find(|c| c.name == base.name);
        let selection = Selection::new(&base.include, &base.exclude)?;
        let stale = existing.is_none_or(|c| {
            c.path.as_deref() != Some(base.source.as_path())
                || c.include != base.include
                || c.exclude != base.exclude
                || (base.auto_update && c.stamp != stamp(&base.source, &selection))
        });
        if !stale {
            continue;
        }
        let context = Context {
            id: context_id(&base.name),
            name: base.name.clone(),
            path: Some(base.source.clone()),
            files: 0,
            from_resource: true,
            include: base.include.clone(),
            exclude: base.exclude.clone(),
            stamp: String::new(),
        };
        let filled = store.fill(context, None, tool)?;
        report.push_str(&format!(
            "indexed knowledge base `{}` from the agent file: {} item(s)\n",
            filled.name, filled.files
        ));
    }
    Ok(report)
}

fn run_command(store: &mut Store, input: &Value, context: &ToolContext) -> Result<String, String> {
    match optional_str(input, "command").unwrap_or("") {
            "show" => Ok(show(store)),
            "add" => add(store, input, context),
            "update" => update(store, input, context),
            "search" => search(store, input),
            "remove" => {
                let found = store.find(input).ok_or("no knowledge context matches; `show` lists them")?;
                let removed = store.contexts[found].clone();
                store.drop_contexts(std::slice::from_ref(&removed.id))?;
                Ok(format!("removed `{}` ({})", removed.name, removed.id))
            }
            "clear" => {
                let ids: Vec<String> = store.contexts.iter().map(|c| c.id.clone()).collect();
                store.drop_contexts(&ids)?;
                Ok(format!("removed {} knowledge context(s)", ids.len()))
            }
            "status" | "cancel" => Ok("no background operations: indexing happens in the call".into()),
            other => Err(format!("unknown command `{other}`")),
    }
}

fn show(store: &Store) -> String {
    if store.contexts.is_empty() {
        return "no knowledge contexts yet (`add` one)".into();
    }
    store
        .contexts
        .iter()
        .map(|c| {
            let source = c.path.as_ref().map_or("text".into(), |p| p.display().to_string());
            format!("{} ({}): {source}, {} item(s)", c.name, c.id, c.files)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn add(store: &mut Store, input: &Value, tool: &ToolContext) -> Result<String, String> {
    let name = required_str(input, "name").map_err(|o| o.text)?;
    let value = required_str(input, "value").map_err(|o| o.text)?;
    let resolved = tool.roots.resolve(value);
    let path = resolved.exists().then_some(resolved);
    let id = context_id(name);
    let context = Context {
        id,
        name: name.to_string(),
        path,
        files: 0,
        from_resource: false,
        include: Vec::new(),
        exclude: Vec::new(),
        stamp: String::new(),
    };
    let text = context.path.is_none().then_some(value);
    let filled = store.fill(context, text, tool)?;
    Ok(format!("indexed `{}` ({}): {} item(s)", filled.name, filled.id, filled.files))
}

fn update(store: &mut Store, input: &Value, tool: &ToolContext) -> Result<String, String> {
    let found = store
        .contexts
        .iter()
        .position(|c| Some(c.id.as_str()) == optional_str(input, "context_id") || Some(c.name.as_str()) == optional_str(input, "name"))
        .ok_or("no knowledge context matches `name` or `context_id`; `show` lists them")?;
    let path = required_str(input, "path").map_err(|o| o.text)?;
    let resolved = tool.roots.resolve(path);
    if !resolved.exists() {
        return Err(format!("{} does not exist", resolved.display()));
    }
    let context = Context { path: Some(resolved), ..store.contexts[found].clone() };
    let filled = store.fill(context, None, tool)?;
    Ok(format!("re-indexed `{}` ({}): {} item(s)", filled.name, filled.id, filled.files))
}

fn search(store: &Store, input: &Value) -> Result<String, String> {
    let query = required_str(input, "query").map_err(|o| o.text)?;
    let limit = optional_u64(input, "limit").map_or(DEFAULT_LIMIT, |l| l as usize).max(1);
    let offset = optional_u64(input, "offset").unwrap_or(0) as usize;
    let snippet_length = optional_u64(input, "snippet_length").map_or(DEFAULT_SNIPPET, |l| l as usize);
    let (index, fields) = store.index()?;
    let reader = index.reader().map_err(|e| format!("cannot read the knowledge index: {e}"))?;
    let searcher = reader.searcher();
    let parser = QueryParser::for_index(&index, vec![fields.body]);
    let (mut parsed, _) = parser.parse_query_lenient(query);
    if let Some(id) = optional_str(input, "context_id") {
        let within = tantivy::query::TermQuery::new(
            Term::from_field_text(fields.context, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        parsed = Box::new(tantivy::query::BooleanQuery::intersection(vec![parsed, Box::new(within)]));
    }
    let top = searcher
        .search(&parsed, &TopDocs::with_limit(limit + offset))
        .map_err(|e| format!("the search failed: {e}"))?;
    let mut snippets = SnippetGenerator::create(&searcher, &*parsed, fields.body)
        .map_err(|e| format!("the search failed: {e}"))?;
    snippets.set_max_num_chars(snippet_length);
    let mut lines = Vec::new();
    for (rank, (score, address)) in top.into_iter().skip(offset).enumerate() {
        let document: TantivyDocument = searcher.doc(address).map_err(|e| format!("the search failed: {e}"))?;
        let text = |field: Field| document.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let context_id = text(fields.context);
        let name = store.contexts.iter().find(|c| c.id == context_id).map_or("?", |c| c.name.as_str());
        let path = text(fields.path);
        let snippet = snippets.snippet_from_doc(&document).fragment().replace('\n', " ");
        lines.push(format!(
            "{}. {} [{name}] (score {score:.2})\n   {snippet}",
            rank + offset + 1,
            if path.is_empty() { "(text)" } else { &path },
        ));
    }
    Ok(match lines.is_empty() {
        true => format!("nothing in the knowledge bases matches `{query}`"),
        false => lines.join("\n"),
    })
}

/// A context's id: stable for its name.
fn context_id(name: &str) -> String {
    super::text::hex(&Sha256::digest(name.as_bytes())[..4])
}

/// A folder name from an agent's name.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}
