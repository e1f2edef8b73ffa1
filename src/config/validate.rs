//! From agent-file text to a validated [`AgentConfig`], with every problem
//! reported at its line and column.
//!
//! Validation runs in two passes. The typed pass (serde, unknown keys
//! rejected) stops at the first problem, because a wrongly typed value leaves
//! nothing sound to check further. The semantic pass (tool names, regexes,
//! globs, files) reports every problem it finds, so that one run of
//! `agent agent validate` lists them all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::GlobBuilder;
use regex::Regex;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::agent::{
    AgentConfig, AgentSource, CommandPattern, Origin, PathRules, Rule, ShellRules, ToolSettings,
};
use super::error::{Diagnostic, JsonPath, Severity};
use super::hint;
use super::json::{self, SpanIndex};
use super::model::{
    AgentFile, AwsSettings, Hook, Hooks, McpServer, NoSettings, PathSettings, SearchSettings,
    ShellSettings,
};
use super::patterns::{self, ToolPatternError};
use super::tools::{self, SettingsKind};

/// A valid agent and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The agent.
    pub config: AgentConfig,
    /// Problems that do not stop it from working.
    pub warnings: Vec<Diagnostic>,
}

/// Validates the text of the agent file at `file`. On failure every
/// returned diagnostic has a position; at least one is an error.
pub fn validate_text(file: &Path, text: &str) -> Result<Validated, Vec<Diagnostic>> {
    let document = json::parse(text).map_err(|e| vec![e.diagnostic(file, text)])?;
    let mut checker = Checker {
        file,
        text,
        spans: &document.spans,
        diagnostics: Vec::new(),
    };
    if let Some(path) = super::schema::first_non_object(&document.value) {
        checker.error_at_value(&path, format!("`{path}` must be a JSON object"), None);
        return Err(checker.diagnostics);
    }
    for path in &document.duplicates {
        checker.error_at_key(
            path,
            format!("`{path}` is given twice; only the last would count"),
        );
    }
    let parsed = checker.typed::<AgentFile>(document.value, &JsonPath::root());
    let config = parsed.map(|agent_file| checker.check(agent_file));
    checker.diagnostics.sort_by_key(|d| d.position);
    let (errors, warnings): (Vec<_>, Vec<_>) = checker
        .diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match config {
        Some(config) if errors.is_empty() => Ok(Validated { config, warnings }),
        _ => Err(errors.into_iter().chain(warnings).collect()),
    }
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
        diagnostics: Vec::new(),
    };
    checker
        .typed::<T>(value, &JsonPath::root())
        .ok_or(checker.diagnostics)
}

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    spans: &'a SpanIndex,
    diagnostics: Vec<Diagnostic>,
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

    fn origin(&self, path: &JsonPath) -> Origin {
        let offset = self.spans.value_offset(path);
        Origin {
            source: AgentSource::File(self.file.to_path_buf()),
            position: Some(super::error::Position::from_offset(self.text, offset)),
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
                let mut path = base.clone();
                for segment in error.path().iter() {
                    path = match segment {
                        serde_path_to_error::Segment::Seq { index } => path.index(*index),
                        serde_path_to_error::Segment::Map { key } => path.key(key),
                        serde_path_to_error::Segment::Enum { .. }
                        | serde_path_to_error::Segment::Unknown => path,
                    };
                }
                self.serde_error(path, error.into_inner().to_string());
                None
            }
        }
    }

    fn serde_error(&mut self, mut path: JsonPath, message: String) {
        if let Some((field, expected)) = parse_unknown_field(&message) {
            if path.segments().last() != Some(&super::error::Segment::Key(field.clone())) {
                path = path.key(&field);
            }
            let hint = hint::did_you_mean(&field, expected.iter().map(String::as_str));
            let expected_list = if expected.is_empty() {
                "this object takes no fields".to_string()
            } else {
                format!("expected one of {}", quote_list(&expected))
            };
            let message = format!("unknown field `{field}` ({expected_list})");
            self.push(
                Severity::Error,
                self.spans.key_offset(&path),
                &path,
                message,
                hint,
            );
        } else if let Some((variant, expected)) = parse_unknown_variant(&message) {
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
        let tools = self.check_tools(file.tools.unwrap_or_else(|| vec!["@builtin".into()]));
        let allowed_tools = self.check_allowed_tools(file.allowed_tools);
        let settings = self.check_tools_settings(file.tools_settings);
        let resources = self.check_resources(file.resources);
        self.check_hooks(&file.hooks);
        self.check_mcp_servers(&file.mcp_servers);
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
            hooks: file.hooks,
            mcp_servers: file.mcp_servers,
            include_mcp_json: file
                .include_mcp_json
                .or(file.use_legacy_mcp_json)
                .unwrap_or(false),
            model: file.model,
            welcome_message: file.welcome_message,
        }
    }

    fn check_name(&mut self, name: Option<&str>) -> String {
        match name {
            Some(name) => {
                if !is_valid_agent_name(name) {
                    self.error_at_value(
                        &JsonPath::root().key("name"),
                        format!(
                            "agent name `{name}` may only use letters, digits, `-`, `_` and `.`"
                        ),
                        None,
                    );
                }
                name.to_string()
            }
            None => name_from_file(self.file),
        }
    }

    fn check_prompt(&mut self, prompt: &str, path: &JsonPath) -> Option<String> {
        let Some(reference) = prompt.strip_prefix("file://") else {
            return Some(prompt.to_string());
        };
        let target = resolve_file_reference(self.file, reference);
        match std::fs::read_to_string(&target) {
            Ok(text) => Some(text),
            Err(e) => {
                self.error_at_value(
                    path,
                    format!("cannot read prompt file {}: {e}", target.display()),
                    None,
                );
                None
            }
        }
    }

    fn check_tools(&mut self, entries: Vec<String>) -> Vec<Rule<String>> {
        let base = JsonPath::root().key("tools");
        let mut tools = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let path = base.index(i);
            match patterns::check_tool_ref(&entry) {
                Ok(name) => tools.push(self.rule(name, &path)),
                Err(error) => self.tool_pattern_error(&path, &entry, error),
            }
        }
        tools
    }

    fn check_allowed_tools(&mut self, entries: Vec<String>) -> Vec<Rule<String>> {
        let base = JsonPath::root().key("allowedTools");
        let mut allowed = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let path = base.index(i);
            match patterns::check_tool_pattern(&entry) {
                Ok(()) => allowed.push(self.rule(entry, &path)),
                Err(error) => self.tool_pattern_error(&path, &entry, error),
            }
        }
        allowed
    }

    fn tool_pattern_error(&mut self, path: &JsonPath, entry: &str, error: ToolPatternError) {
        let hint = match &error {
            ToolPatternError::UnknownTool => hint::did_you_mean(entry, tools::all_spellings()),
            ToolPatternError::BareStar => Some(
                "list the tools, use `@builtin`, or pass `--trust-all-tools` for one session"
                    .into(),
            ),
            _ => None,
        };
        self.error_at_value(path, format!("`{entry}`: {error}"), hint);
    }

    fn check_tools_settings(&mut self, entries: BTreeMap<String, Value>) -> ToolSettings {
        let base = JsonPath::root().key("toolsSettings");
        let mut settings = ToolSettings::default();
        let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
        for (key, value) in entries {
            let path = base.key(&key);
            if key.starts_with('@') {
                settings.mcp.insert(key, value);
                continue;
            }
            let Some(tool) = tools::find(&key) else {
                let hint = hint::did_you_mean(&key, tools::all_spellings());
                self.push(
                    Severity::Error,
                    self.spans.key_offset(&path),
                    &path,
                    format!(
                        "`{key}` is not a built-in tool (MCP tools are written `@server/tool`)"
                    ),
                    hint,
                );
                continue;
            };
            if let Some(other) = seen.insert(tool.name, key.clone()) {
                self.error_at_key(
                    &path,
                    format!("`{key}` and `{other}` are the same tool; give its settings once"),
                );
                continue;
            }
            self.check_tool_settings(tool.name, tool.settings, value, &path, &mut settings);
        }
        settings
    }

    fn check_tool_settings(
        &mut self,
        name: &str,
        kind: SettingsKind,
        value: Value,
        path: &JsonPath,
        settings: &mut ToolSettings,
    ) {
        match kind {
            SettingsKind::Paths => {
                if let Some(typed) = self.typed::<PathSettings>(value, path) {
                    let rules =
                        self.path_rules(typed.allowed_paths, typed.denied_paths, false, path);
                    match name {
                        "read" => settings.read = rules,
                        _ => settings.write = rules,
                    }
                }
            }
            SettingsKind::Search => {
                if let Some(typed) = self.typed::<SearchSettings>(value, path) {
                    let read_only = typed.allow_read_only.unwrap_or(false);
                    let rules =
                        self.path_rules(typed.allowed_paths, typed.denied_paths, read_only, path);
                    match name {
                        "glob" => settings.glob = rules,
                        _ => settings.grep = rules,
                    }
                }
            }
            SettingsKind::Shell => {
                if let Some(typed) = self.typed::<ShellSettings>(value, path) {
                    settings.shell = self.shell_rules(typed, path);
                }
            }
            SettingsKind::Aws => {
                if let Some(typed) = self.typed::<AwsSettings>(value, path) {
                    settings.aws = typed;
                }
            }
            SettingsKind::None => {
                self.typed::<NoSettings>(value, path);
            }
        }
    }

    fn path_rules(
        &mut self,
        allowed: Option<Vec<String>>,
        denied: Vec<String>,
        allow_read_only: bool,
        base: &JsonPath,
    ) -> PathRules {
        PathRules {
            allowed: allowed.map(|globs| self.globs(globs, &base.key("allowedPaths"))),
            denied: self.globs(denied, &base.key("deniedPaths")),
            allow_read_only,
        }
    }

    fn globs(&mut self, globs: Vec<String>, base: &JsonPath) -> Vec<Rule<String>> {
        let mut rules = Vec::new();
        for (i, glob) in globs.into_iter().enumerate() {
            let path = base.index(i);
            match check_glob(&glob) {
                Ok(()) => rules.push(self.rule(glob, &path)),
                Err(message) => self.error_at_value(&path, message, None),
            }
        }
        rules
    }

    fn shell_rules(&mut self, settings: ShellSettings, base: &JsonPath) -> ShellRules {
        ShellRules {
            allowed: settings
                .allowed_commands
                .map(|list| self.command_patterns(list, &base.key("allowedCommands"))),
            denied: self.command_patterns(settings.denied_commands, &base.key("deniedCommands")),
            auto_allow_readonly: settings.auto_allow_readonly.unwrap_or(false),
            deny_by_default: settings.deny_by_default.unwrap_or(false),
            pass_env: settings.pass_env,
            sandbox: settings.sandbox.unwrap_or_default(),
            network: settings.network.unwrap_or(false),
            writable_paths: self
                .writable_paths(settings.writable_paths, &base.key("writablePaths")),
        }
    }

    /// `writablePaths`: folder globs. Whether the sandbox can make each
    /// writable (never credentials or protected places) is the sandbox's
    /// to say: `crate::sandbox::check_agent`.
    fn writable_paths(&mut self, paths: Vec<String>, base: &JsonPath) -> Vec<Rule<String>> {
        let mut rules = Vec::new();
        for (i, path) in paths.into_iter().enumerate() {
            let at = base.index(i);
            match check_glob(&path) {
                Err(message) => self.error_at_value(&at, message, None),
                Ok(()) => rules.push(self.rule(path, &at)),
            }
        }
        rules
    }

    fn command_patterns(
        &mut self,
        sources: Vec<String>,
        base: &JsonPath,
    ) -> Vec<Rule<CommandPattern>> {
        let mut rules = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            let path = base.index(i);
            match CommandPattern::new(&source) {
                Ok(pattern) => rules.push(self.rule(pattern, &path)),
                Err(e) => self.error_at_value(
                    &path,
                    format!(
                        "`{source}` is not a regular expression `agent` can use: {}",
                        first_line(&e.to_string())
                    ),
                    regex_hint(&source),
                ),
            }
        }
        rules
    }

    fn check_resources(&mut self, resources: Vec<String>) -> Vec<Rule<String>> {
        let base = JsonPath::root().key("resources");
        let mut rules = Vec::new();
        for (i, resource) in resources.into_iter().enumerate() {
            let path = base.index(i);
            let Some(reference) = resource.strip_prefix("file://") else {
                self.error_at_value(
                    &path,
                    format!("resource `{resource}` must start with `file://`"),
                    Some(format!("write `file://{resource}`")),
                );
                continue;
            };
            let target = resolve_file_reference(self.file, reference);
            let target_text = target.to_string_lossy().into_owned();
            if let Err(message) = check_glob(&target_text) {
                self.error_at_value(&path, message, None);
                continue;
            }
            if !is_glob(&target_text) && !target.exists() {
                self.warn_at_value(
                    &path,
                    format!(
                        "resource {} does not exist; it will be skipped",
                        target.display()
                    ),
                );
            }
            rules.push(self.rule(target_text, &path));
        }
        rules
    }

    fn check_hooks(&mut self, hooks: &Hooks) {
        let base = JsonPath::root().key("hooks");
        let tool_hooks = [
            ("preToolUse", &hooks.pre_tool_use),
            ("postToolUse", &hooks.post_tool_use),
        ];
        for (trigger, list) in tool_hooks {
            self.check_hook_list(list, &base.key(trigger), true);
        }
        let other_hooks = [
            ("agentSpawn", &hooks.agent_spawn),
            ("userPromptSubmit", &hooks.user_prompt_submit),
            ("stop", &hooks.stop),
        ];
        for (trigger, list) in other_hooks {
            self.check_hook_list(list, &base.key(trigger), false);
        }
    }

    fn check_hook_list(&mut self, hooks: &[Hook], base: &JsonPath, takes_matcher: bool) {
        for (i, hook) in hooks.iter().enumerate() {
            let path = base.index(i);
            if hook.command.trim().is_empty() {
                self.error_at_value(&path.key("command"), "a hook needs a command".into(), None);
            }
            let Some(matcher) = &hook.matcher else {
                continue;
            };
            let matcher_path = path.key("matcher");
            if !takes_matcher {
                self.warn_at_value(
                    &matcher_path,
                    "only preToolUse and postToolUse hooks use `matcher`; it is ignored here"
                        .into(),
                );
            } else if matcher != "*"
                && let Err(error) = patterns::check_tool_pattern(matcher)
            {
                self.tool_pattern_error(&matcher_path, matcher, error);
            }
        }
    }

    fn check_mcp_servers(&mut self, servers: &BTreeMap<String, McpServer>) {
        let base = JsonPath::root().key("mcpServers");
        for (name, server) in servers {
            let path = base.key(name);
            match (&server.command, &server.url) {
                (Some(_), Some(_)) => self.error_at_value(
                    &path,
                    format!("MCP server `{name}` has both `command` and `url`; give one"),
                    None,
                ),
                (None, None) => self.error_at_value(
                    &path,
                    format!("MCP server `{name}` needs a `command` (local) or a `url` (remote)"),
                    None,
                ),
                _ => {}
            }
            if name.is_empty() || name.contains('/') || name.contains('@') {
                self.error_at_key(
                    &path,
                    format!("MCP server name `{name}` may not be empty or contain `/` or `@`"),
                );
            }
        }
    }
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    parse_unknown("unknown field `", message)
}

/// Parses serde's "unknown variant `x`, expected one of `a`, `b`" message.
fn parse_unknown_variant(message: &str) -> Option<(String, Vec<String>)> {
    parse_unknown("unknown variant `", message)
}

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

fn first_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or(text)
        .trim_start_matches("error: ")
}

fn regex_hint(source: &str) -> Option<String> {
    let lookaround = ["(?=", "(?!", "(?<=", "(?<!"];
    if lookaround.iter().any(|l| source.contains(l)) {
        return Some("look-around is not supported; list what to allow and use `deniedCommands` for exceptions".into());
    }
    if Regex::new(&regex::escape(source)).is_ok() && source.contains(['(', '[', '{']) {
        return Some(format!(
            "to match the text literally, escape it: `{}`",
            regex::escape(source)
        ));
    }
    None
}

/// Checks a path glob the way the policy will compile it.
fn check_glob(glob: &str) -> Result<(), String> {
    if glob.trim().is_empty() {
        return Err("an empty path pattern matches nothing".into());
    }
    GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|_| ())
        .map_err(|e| format!("`{glob}` is not a valid glob: {}", e.kind()))
}

fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// `file://` references are relative to the agent file's folder;
/// `file:///abs` is absolute and `file://~/x` is under the home folder.
fn resolve_file_reference(agent_file: &Path, reference: &str) -> PathBuf {
    if let Some(rest) = reference.strip_prefix("~/")
        && let Some(home) = dirs::home_dir()
    {
        return home.join(rest);
    }
    let folder = agent_file.parent().unwrap_or(Path::new("."));
    folder.join(reference)
}

/// An agent's name from its file name: `refactor-bot.json` → `refactor-bot`.
pub fn name_from_file(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Names become file names and command-line arguments: keep them plain.
pub fn is_valid_agent_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
