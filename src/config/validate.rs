//! From agent-file text to a validated [`AgentConfig`], with every problem
//! reported at its line and column.
//!
//! What is an error follows Kiro's strict loader (the one behind `kiro-cli
//! agent validate` and headless runs): text that is not JSON (or, for a
//! Markdown agent, front matter that is not YAML), an unknown top-level key,
//! a wrongly typed value, a missing `name`, an unknown hook trigger, a
//! resource that is neither `file://`, `skill://` nor a knowledge base, a
//! `file://` prompt that does not resolve. Everything Kiro ignores or skips
//! loads here too, with a warning at its line and column: unknown tool
//! names, unknown keys inside hooks, MCP servers and tool settings, missing
//! resource files, unknown models. What such an entry might have meant is
//! never granted: see [`settings`] for how doubtful settings make a tool
//! ask. `agent agent validate --strict` makes every warning an error.

mod lenient;
mod resources;
mod settings;
mod tools;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::agent::{AgentConfig, AgentSource, Origin, Rule};
use super::error::{Diagnostic, JsonPath, Position, Severity};
use super::hint;
use super::json::{self, SpanIndex};
use super::model::AgentFile;

/// A valid agent and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The agent.
    pub config: AgentConfig,
    /// Problems that do not stop it from working.
    pub warnings: Vec<Diagnostic>,
}

/// A document ready for checking: its value and where each part is.
struct Document {
    value: Value,
    spans: SpanIndex,
    duplicates: Vec<JsonPath>,
    /// A Kiro 3 Markdown agent: its `tools` hold category tags.
    v3: bool,
}

/// Validates the text of the agent file at `file` (JSON, or Markdown with
/// front matter when its name ends in `.md`). On failure every returned
/// diagnostic has a position; at least one is an error.
pub fn validate_text(file: &Path, text: &str) -> Result<Validated, Vec<Diagnostic>> {
    let document = read_document(file, text)?;
    let mut checker = Checker {
        file,
        text,
        spans: &document.spans,
        workspace: resource_base(file),
        diagnostics: Vec::new(),
        v3: document.v3,
    };
    if let Some(path) = super::schema::first_non_object(&document.value) {
        checker.error_at_value(&path, format!("`{path}` must be an object"), None);
        return Err(checker.diagnostics);
    }
    for path in &document.duplicates {
        checker.error_at_key(
            path,
            format!("`{path}` is given twice; only the last would count"),
        );
    }
    let mut value = document.value;
    checker.strip_ignored_keys(&mut value);
    let parsed = checker.typed::<AgentFile>(value, &JsonPath::root());
    let config = parsed.map(|agent_file| checker.check(agent_file));
    finish(checker.diagnostics, config)
}

fn read_document(file: &Path, text: &str) -> Result<Document, Vec<Diagnostic>> {
    if file.extension().is_some_and(|e| e == "md") {
        return markdown_document(file, text);
    }
    let parsed = json::parse(text).map_err(|e| vec![e.diagnostic(file, text)])?;
    Ok(Document {
        value: parsed.value,
        spans: parsed.spans,
        duplicates: parsed.duplicates,
        v3: false,
    })
}

/// A Markdown agent: the front matter is the agent, the body its prompt,
/// and the file name its name when the front matter gives none.
fn markdown_document(file: &Path, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let parsed = super::frontmatter::parse(text).map_err(|e| vec![e.diagnostic(file, text)])?;
    let mut value = parsed.value;
    let mut spans = parsed.spans;
    if let Some(object) = value.as_object_mut() {
        object
            .entry("name")
            .or_insert_with(|| Value::String(name_from_file(file)));
        let body = parsed.body.trim();
        if !body.is_empty() && !object.contains_key("prompt") {
            object.insert("prompt".into(), Value::String(body.to_string()));
            let span = json::Span {
                key: None,
                value: parsed.body_offset,
            };
            spans.insert(JsonPath::root().key("prompt"), span);
        }
    }
    Ok(Document {
        value,
        spans,
        duplicates: Vec::new(),
        v3: true,
    })
}

fn finish(
    mut diagnostics: Vec<Diagnostic>,
    config: Option<AgentConfig>,
) -> Result<Validated, Vec<Diagnostic>> {
    diagnostics.sort_by_key(|d| d.position);
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match config {
        Some(config) if errors.is_empty() => Ok(Validated { config, warnings }),
        _ => Err(errors.into_iter().chain(warnings).collect()),
    }
}

/// The folder relative resources are read from: the workspace root, as
/// Kiro reads them. For an agent file inside a workspace's `.kiro/agents/`
/// (or `.amazonq/cli-agents/`) that is the folder holding `.kiro`; for one
/// elsewhere (`~/.kiro/agents/`), the workspace of the current folder.
pub fn resource_base(agent_file: &Path) -> PathBuf {
    let agents = agent_file.parent();
    let config_root = agents.and_then(Path::parent);
    let is_agents_folder = agents
        .and_then(Path::file_name)
        .is_some_and(|n| n == "agents" || n == "cli-agents");
    let home = dirs::home_dir();
    if let Some(root) = config_root.and_then(Path::parent)
        && is_agents_folder
        && home.as_deref() != Some(root)
        && root != Path::new("")
    {
        return root.to_path_buf();
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    super::discover::workspace_root(&cwd)
}

/// Deserialises `value`, parsed from `text` of `file` (a file other than
/// an agent file, such as `kiro.json`), into `T`, reporting a problem as
/// agent files do: at its line and column, unknown keys with a hint.
pub(super) fn typed_document<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    spans: &SpanIndex,
    value: Value,
) -> Result<T, Vec<Diagnostic>> {
    let mut checker = Checker {
        file,
        text,
        spans,
        workspace: PathBuf::new(),
        diagnostics: Vec::new(),
        v3: false,
    };
    checker
        .typed::<T>(value, &JsonPath::root())
        .ok_or(checker.diagnostics)
}

/// Reads one agent file, collecting diagnostics as it goes.
struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    spans: &'a SpanIndex,
    /// Where relative `file://` and `skill://` resources are read from.
    workspace: PathBuf,
    diagnostics: Vec<Diagnostic>,
    v3: bool,
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        offset: usize,
        path: &JsonPath,
        message: String,
        hint: Option<String>,
    ) {
        let diagnostic = Diagnostic::at(
            severity,
            self.file,
            self.text,
            offset,
            path.clone(),
            message,
        )
        .with_hint(hint);
        self.diagnostics.push(diagnostic);
    }

    fn error_at_value(&mut self, path: &JsonPath, message: String, hint: Option<String>) {
        self.push(
            Severity::Error,
            self.spans.value_offset(path),
            path,
            message,
            hint,
        );
    }

    fn error_at_key(&mut self, path: &JsonPath, message: String) {
        self.push(
            Severity::Error,
            self.spans.key_offset(path),
            path,
            message,
            None,
        );
    }

    fn warn_at_value(&mut self, path: &JsonPath, message: String) {
        self.push(
            Severity::Warning,
            self.spans.value_offset(path),
            path,
            message,
            None,
        );
    }

    fn warn_at_key(&mut self, path: &JsonPath, message: String, hint: Option<String>) {
        self.push(
            Severity::Warning,
            self.spans.key_offset(path),
            path,
            message,
            hint,
        );
    }

    fn origin(&self, path: &JsonPath) -> Origin {
        let offset = self.spans.value_offset(path);
        Origin {
            source: AgentSource::File(self.file.to_path_buf()),
            position: Some(Position::from_offset(self.text, offset)),
            path: path.clone(),
        }
    }

    fn rule<T>(&self, value: T, path: &JsonPath) -> Rule<T> {
        Rule {
            value,
            origin: self.origin(path),
        }
    }

    /// Deserialises `value` (found at `base`) into `T`, reporting a serde
    /// error at the exact member it concerns.
    fn typed<T: DeserializeOwned>(&mut self, value: Value, base: &JsonPath) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(typed) => Some(typed),
            Err(error) => {
                let path = error_path(base, error.path());
                self.serde_error(path, error.into_inner().to_string());
                None
            }
        }
    }

    fn serde_error(&mut self, mut path: JsonPath, message: String) {
        if let Some((field, expected)) = parse_unknown("unknown field `", &message) {
            if path.segments().last() != Some(&super::error::Segment::Key(field.clone())) {
                path = path.key(&field);
            }
            let hint = hint::did_you_mean(&field, expected.iter().map(String::as_str));
            let expected_list = match expected.is_empty() {
                true => "this object takes no fields".to_string(),
                false => format!("expected one of {}", quote_list(&expected)),
            };
            let message = format!("unknown field `{field}` ({expected_list})");
            self.push(
                Severity::Error,
                self.spans.key_offset(&path),
                &path,
                message,
                hint,
            );
        } else if let Some((variant, expected)) = parse_unknown("unknown variant `", &message) {
            let hint = hint::did_you_mean(&variant, expected.iter().map(String::as_str));
            let message = format!("`{variant}` is not one of {}", quote_list(&expected));
            self.error_at_value(&path, message, hint);
        } else {
            self.error_at_value(&path, message, None);
        }
    }

    fn check(&mut self, file: AgentFile) -> AgentConfig {
        let root = JsonPath::root();
        let name = self.check_name(file.name.as_deref());
        let prompt = file
            .prompt
            .as_deref()
            .and_then(|p| self.check_prompt(p, &root.key("prompt")));
        let (tools, not_implemented) = self.check_tools(file.tools);
        let mut allowed_tools = self.check_allowed_tools(file.allowed_tools);
        let mut settings = self.check_tools_settings(file.tools_settings);
        let searchable = tools.iter().any(|t| {
            matches!(t.value.as_str(), "*" | "@builtin")
                || crate::config::tools::canonical(&t.value) == Some("knowledge")
        });
        let (resources, skills, knowledge_bases) = self.check_resources(file.resources, searchable);
        let permissions =
            self.check_permissions(file.permissions, &mut settings, &mut allowed_tools);
        self.check_hooks(&file.hooks);
        let mcp_servers = self.check_mcp_servers(file.mcp_servers);
        let model = file.model.filter(|m| self.known_model(m));
        if file.include_mcp_json.is_some() && file.use_legacy_mcp_json.is_some() {
            let path = JsonPath::root().key("useLegacyMcpJson");
            self.error_at_key(
                &path,
                "duplicate field: `useLegacyMcpJson` is the old name of `includeMcpJson`; give one"
                    .into(),
            );
        }
        self.check_shortcut(file.keyboard_shortcut.as_deref());
        AgentConfig {
            name,
            source: AgentSource::File(self.file.to_path_buf()),
            description: file.description,
            prompt,
            tools,
            tool_aliases: file.tool_aliases,
            allowed_tools,
            settings,
            resources,
            skills,
            knowledge_bases,
            permissions,
            not_implemented,
            unrun_pre_tool_hooks: Vec::new(),
            hooks: file.hooks,
            mcp_servers,
            include_mcp_json: file
                .include_mcp_json
                .or(file.use_legacy_mcp_json)
                .unwrap_or(false),
            model,
            welcome_message: file.welcome_message,
        }
    }

    /// Kiro requires `name` (a Markdown agent gets its file name).
    fn check_name(&mut self, name: Option<&str>) -> String {
        match name {
            Some(name) if !name.trim().is_empty() => name.to_string(),
            Some(_) => {
                let fallback = name_from_file(self.file);
                self.warn_at_value(
                    &JsonPath::root().key("name"),
                    format!("the name is empty; the agent is called `{fallback}` after its file"),
                );
                fallback
            }
            None => {
                self.error_at_value(
                    &JsonPath::root(),
                    "missing field `name` (Kiro requires every agent file to name its agent)"
                        .into(),
                    Some(format!("add \"name\": \"{}\"", name_from_file(self.file))),
                );
                name_from_file(self.file)
            }
        }
    }

    /// `file://` prompts are relative to the agent file's folder, as in Kiro.
    fn check_prompt(&mut self, prompt: &str, path: &JsonPath) -> Option<String> {
        let Some(reference) = prompt.strip_prefix("file://") else {
            return Some(prompt.to_string());
        };
        let folder = self.file.parent().unwrap_or(Path::new("."));
        let target = resolve_file_uri(reference, folder);
        let problem = match std::fs::read_to_string(&target) {
            _ if reference.is_empty() => "a `file://` prompt needs a path".to_string(),
            Ok(text) => return Some(text),
            Err(e) => format!("cannot read prompt file {}: {e}", target.display()),
        };
        self.error_at_value(path, problem, None);
        None
    }

    fn known_model(&mut self, model: &str) -> bool {
        let known = crate::provider::model::Endpoint::resolve(model, &|_| None).is_ok();
        if !known {
            self.warn_at_value(&JsonPath::root().key("model"), format!("`agent` cannot tell which provider serves model `{model}`; the session's model is used instead (`--model`, `chat.defaultModel`)"));
        }
        known
    }

    fn check_shortcut(&mut self, shortcut: Option<&str>) {
        let Some(shortcut) = shortcut else { return };
        if !is_valid_shortcut(shortcut) {
            self.warn_at_value(&JsonPath::root().key("keyboardShortcut"), format!("`{shortcut}` is not a key combination (such as `ctrl+shift+a`); it is ignored, as in Kiro"));
        }
    }
}

fn error_path(base: &JsonPath, segments: &serde_path_to_error::Path) -> JsonPath {
    let mut path = base.clone();
    for segment in segments.iter() {
        path = match segment {
            serde_path_to_error::Segment::Seq { index } => path.index(*index),
            serde_path_to_error::Segment::Map { key } => path.key(key),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {
                path
            }
        };
    }
    path
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" (and
/// "unknown variant") messages.
fn parse_unknown(prefix: &str, message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(prefix)?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), expected))
}

fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves a `file://` path as Kiro does: `%XX` decoded, `~` the home
/// folder, absolute as written, otherwise relative to `base`.
pub fn resolve_file_uri(reference: &str, base: &Path) -> PathBuf {
    let decoded = percent_decode(reference);
    if let Some(rest) = decoded.strip_prefix("~/")
        && let Some(home) = dirs::home_dir()
    {
        return home.join(rest);
    }
    base.join(decoded)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `ctrl+shift+a`, `alt+f2`, `shift+tab`: modifiers, then one key.
fn is_valid_shortcut(shortcut: &str) -> bool {
    let parts: Vec<String> = shortcut
        .split('+')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect();
    let Some((key, modifiers)) = parts.split_last() else {
        return false;
    };
    let named = [
        "tab",
        "enter",
        "space",
        "esc",
        "escape",
        "backspace",
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "pageup",
        "pagedown",
        "delete",
        "insert",
    ];
    let function_key = key
        .strip_prefix('f')
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=12).contains(&n));
    let key_ok = key.chars().count() == 1 || named.contains(&key.as_str()) || function_key;
    let modifiers_ok = modifiers.iter().all(|m| {
        matches!(
            m.as_str(),
            "ctrl" | "control" | "shift" | "alt" | "meta" | "cmd"
        )
    });
    key_ok && modifiers_ok && !modifiers.is_empty()
}

/// An agent's name from its file name: `refactor-bot.json` → `refactor-bot`.
pub fn name_from_file(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Names `agent agent create` writes become file names and command-line
/// arguments: keep them plain.
pub fn is_valid_agent_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_decode_and_resolve() {
        let base = Path::new("/a/b");
        assert_eq!(
            resolve_file_uri("my%20prompt.md", base),
            PathBuf::from("/a/b/my prompt.md")
        );
        assert_eq!(resolve_file_uri("/abs.md", base), PathBuf::from("/abs.md"));
        assert_eq!(
            resolve_file_uri("../p.md", base),
            PathBuf::from("/a/b/../p.md")
        );
    }

    #[test]
    fn shortcuts() {
        assert!(is_valid_shortcut("ctrl+shift+p"));
        assert!(is_valid_shortcut("ctrl+3"));
        assert!(is_valid_shortcut("shift+tab"));
        assert!(!is_valid_shortcut("bad+key+combo"));
        assert!(!is_valid_shortcut("a"));
    }
}
