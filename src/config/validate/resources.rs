//! `resources` (files, skills, knowledge bases), `mcpServers` and Kiro 3's
//! `permissions`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::settings::check_glob;
use super::{Checker, resolve_file_uri};
use crate::config::agent::{CommandPattern, KnowledgeBase, Rule, ToolSettings};
use crate::config::error::JsonPath;
use crate::config::model::McpServer;
use crate::config::permissions::{self, Capability, Effect, Permission, RawRule};

/// A knowledge-base resource as Kiro reads it (other keys are ignored;
/// `indexType` is read for its spelling only: `best`, Kiro's embeddings,
/// is indexed as full text here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KnowledgeBaseEntry {
    source: String,
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "indexType")]
    _index_type: Option<IndexType>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    auto_update: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum IndexType {
    Fast,
    Best,
}

/// Resources split by kind: files for the prompt, `SKILL.md` files, and
/// knowledge bases.
type Resources = (Vec<Rule<String>>, Vec<Rule<String>>, Vec<KnowledgeBase>);

impl Checker<'_> {
    /// Checks `resources`; knowledge bases are kept only when the agent
    /// has the `knowledge` tool to search them (`searchable`).
    pub(super) fn check_resources(&mut self, resources: Vec<Value>, searchable: bool) -> Resources {
        let base = JsonPath::root().key("resources");
        let (mut files, mut skills, mut bases) = (Vec::new(), Vec::new(), Vec::new());
        for (i, resource) in resources.into_iter().enumerate() {
            let path = base.index(i);
            match resource {
                Value::String(text) => {
                    if let Some(rest) = text.strip_prefix("file://") {
                        files.extend(self.resource_path(rest, &path, "resource"));
                    } else if let Some(rest) = text.strip_prefix("skill://") {
                        skills.extend(self.resource_path(rest, &path, "skill"));
                    } else {
                        self.error_at_value(
                            &path,
                            format!("resource `{text}` must start with `file://` or `skill://`"),
                            Some(format!("write `file://{text}`")),
                        );
                    }
                }
                Value::Object(_) => bases.extend(self.knowledge_base(resource, &path, searchable)),
                _ => self.error_at_value(
                    &path,
                    "a resource is a string (`file://…`, `skill://…`) or a knowledge-base object"
                        .into(),
                    None,
                ),
            }
        }
        (files, skills, bases)
    }

    /// A `file://` or `skill://` path or glob, relative to the workspace.
    fn resource_path(
        &mut self,
        reference: &str,
        path: &JsonPath,
        kind: &str,
    ) -> Option<Rule<String>> {
        let target = resolve_file_uri(reference, &self.workspace);
        let text = target.to_string_lossy().into_owned();
        if let Err(message) = check_glob(&text) {
            self.warn_at_value(path, format!("{message}; the {kind} is skipped"));
            return None;
        }
        let is_glob = text.contains(['*', '?', '[', '{']);
        if !is_glob && !target.is_file() {
            let what = match target.is_dir() {
                true => "is a folder, not a file",
                false => "does not exist",
            };
            self.warn_at_value(
                path,
                format!("{kind} {} {what}; it is skipped", target.display()),
            );
        }
        Some(self.rule(text, path))
    }

    fn knowledge_base(
        &mut self,
        resource: Value,
        path: &JsonPath,
        searchable: bool,
    ) -> Option<KnowledgeBase> {
        match resource.get("type").and_then(Value::as_str) {
            Some("knowledgeBase") => {}
            Some(other) => {
                self.error_at_value(
                    &path.key("type"),
                    format!("`{other}` is not a resource type (the only one is `knowledgeBase`)"),
                    None,
                );
                return None;
            }
            None => {
                self.error_at_value(
                    path,
                    "a resource object needs `\"type\": \"knowledgeBase\"`".into(),
                    None,
                );
                return None;
            }
        }
        let entry = self.typed::<KnowledgeBaseEntry>(resource, path)?;
        if !searchable {
            self.warn_at_value(path, "knowledge bases are indexed and searched by the `knowledge` tool, which this agent's `tools` do not list; it is skipped".into());
            return None;
        }
        let reference = entry
            .source
            .strip_prefix("file://")
            .unwrap_or(&entry.source);
        let source = resolve_file_uri(reference, &self.workspace);
        if !source.exists() {
            self.warn_at_value(
                &path.key("source"),
                format!(
                    "knowledge base {} does not exist; it is skipped",
                    source.display()
                ),
            );
            return None;
        }
        for glob in entry
            .include
            .iter()
            .flatten()
            .chain(entry.exclude.iter().flatten())
        {
            if let Err(message) = check_glob(glob) {
                self.warn_at_value(path, format!("{message}; the knowledge base is skipped"));
                return None;
            }
        }
        Some(KnowledgeBase {
            name: entry.name.clone().unwrap_or_else(|| "unnamed".into()),
            description: entry.description,
            source,
            include: entry.include.unwrap_or_default(),
            exclude: entry.exclude.unwrap_or_default(),
            auto_update: entry.auto_update.unwrap_or(false),
        })
    }

    /// Servers `agent` can start; the others are skipped with a warning,
    /// as Kiro loads the file and then fails to start them.
    pub(super) fn check_mcp_servers(
        &mut self,
        servers: BTreeMap<String, McpServer>,
    ) -> BTreeMap<String, McpServer> {
        let base = JsonPath::root().key("mcpServers");
        let mut kept = BTreeMap::new();
        for (name, server) in servers {
            let path = base.key(&name);
            let problem = match (&server.command, &server.url) {
                _ if name.is_empty() || name.contains('/') || name.contains('@') => Some(format!(
                    "MCP server name `{name}` may not be empty or contain `/` or `@`"
                )),
                (Some(_), Some(_)) => {
                    Some(format!("MCP server `{name}` has both `command` and `url`"))
                }
                (None, None) => Some(format!(
                    "MCP server `{name}` has neither `command` nor `url`"
                )),
                _ => None,
            };
            match problem {
                Some(message) => {
                    self.warn_at_key(&path, format!("{message}; it is not started"), None)
                }
                None => {
                    kept.insert(name, server);
                }
            }
        }
        kept
    }

    /// Kiro 3 rules: typed with positions; allow rules also become V2
    /// allowances (see [`crate::config::permissions`]).
    pub(super) fn check_permissions(
        &mut self,
        value: Option<Value>,
        settings: &mut ToolSettings,
        allowed_tools: &mut Vec<Rule<String>>,
    ) -> Vec<Rule<Permission>> {
        let Some(value) = value else {
            return Vec::new();
        };
        let base = JsonPath::root().key("permissions");
        let Some((rules, nested)) = permissions::rule_list(&value) else {
            self.error_at_value(
                &base,
                "`permissions` is a list of rules (or `{\"rules\": [...]}`)".into(),
                None,
            );
            return Vec::new();
        };
        let base = if nested { base.key("rules") } else { base };
        let mut kept = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let path = base.index(i);
            let Some(raw) = self.typed::<RawRule>(rule.clone(), &path) else {
                continue;
            };
            let permission = Permission {
                capability: Capability::parse(&raw.capability),
                matches: raw.matches.into_vec(),
                excludes: raw.exclude.into_vec(),
                effect: raw.effect,
            };
            if let Capability::Other(name) = &permission.capability {
                let consequence = match permission.effect {
                    Effect::Allow => "the rule is skipped",
                    _ => "every call asks, since the rule might cover it",
                };
                self.warn_at_value(&path.key("capability"), format!("capability `{name}` is not one `agent` knows (shell, fs_read, fs_write, mcp, builtin, all); {consequence}"));
            }
            if permission.effect == Effect::Allow {
                self.grant(&permission, &path, settings, allowed_tools);
            }
            kept.push(self.rule(permission, &path));
        }
        kept
    }

    /// An allow rule as V2 allowances: fence entries for its `match`, or
    /// an `allowedTools` entry when it matches everything.
    fn grant(
        &mut self,
        permission: &Permission,
        path: &JsonPath,
        settings: &mut ToolSettings,
        allowed_tools: &mut Vec<Rule<String>>,
    ) {
        let whole = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let (tools, fences): (Vec<String>, Vec<&str>) =
            match (&permission.capability, permission.matches.is_empty()) {
                (Capability::Shell, true) => (whole(&["shell"]), vec![]),
                (Capability::Shell, false) => (vec![], vec!["shell"]),
                (Capability::FsRead, true) => (whole(&["read", "glob", "grep"]), vec![]),
                (Capability::FsRead, false) => (vec![], vec!["read", "glob", "grep"]),
                (Capability::FsWrite, true) => (whole(&["write"]), vec![]),
                (Capability::FsWrite, false) => (vec![], vec!["write"]),
                (Capability::Mcp, true) => (whole(&["@*"]), vec![]),
                (Capability::Mcp, false) => (
                    permission.matches.iter().map(|m| format!("@{m}")).collect(),
                    vec![],
                ),
                (Capability::Builtin, true) => (whole(&["@builtin"]), vec![]),
                (Capability::Builtin, false) => (
                    permission
                        .matches
                        .iter()
                        .map(|m| format!("@builtin/{m}"))
                        .collect(),
                    vec![],
                ),
                (Capability::All, _) => (whole(&["@builtin", "@*"]), vec![]),
                (Capability::Other(_), _) => return,
            };
        allowed_tools.extend(tools.into_iter().map(|t| self.rule(t, path)));
        for tool in fences {
            for glob in &permission.matches {
                self.fence_entry(tool, glob, path, settings);
            }
        }
    }

    fn fence_entry(
        &mut self,
        tool: &str,
        glob: &str,
        path: &JsonPath,
        settings: &mut ToolSettings,
    ) {
        if tool == "shell" {
            if let Ok(pattern) = CommandPattern::new(&permissions::glob_to_regex(glob)) {
                let rule = self.rule(pattern, path);
                settings
                    .shell
                    .allowed
                    .get_or_insert_with(Vec::new)
                    .push(rule);
            }
            return;
        }
        if check_glob(glob).is_err() {
            return self.warn_at_value(
                path,
                format!("`{glob}` is not a valid path glob; it allows nothing"),
            );
        }
        let rule = self.rule(glob.to_string(), path);
        let rules = match tool {
            "read" => &mut settings.read,
            "glob" => &mut settings.glob,
            "grep" => &mut settings.grep,
            _ => &mut settings.write,
        };
        rules.allowed.get_or_insert_with(Vec::new).push(rule);
    }
}
