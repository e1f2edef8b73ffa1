//! The guardrails file: `.kiro/kiro.json` in the workspace and
//! `~/.kiro/kiro.json` for the user, as in Kiro's security guide:
//!
//! ```json
//! { "guardrails": {
//!     "deny": { "actions": ["delete_production_database"],
//!               "resources": ["arn:aws:s3:::*-production"],
//!               "patterns": ["AWS_SECRET_ACCESS_KEY"] },
//!     "requireApproval": { "files": ["**/Dockerfile"], "patterns": ["DROP TABLE"] } } }
//! ```
//!
//! Both files only add rules (deny lists and approval lists), so the
//! workspace's file can tighten the user's but never loosen it. Inside
//! `guardrails` unknown keys are errors with their line and column, as in
//! agent files (a misspelt deny list is a fence that is not there); other
//! top-level keys belong to Kiro's other settings and are left alone.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::agent::{AgentSource, Origin, Rule};
use super::error::{ConfigError, Diagnostic, JsonPath, Position, Severity};
use super::json;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
struct KiroFile {
    #[serde(default)]
    guardrails: GuardrailsFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GuardrailsFile {
    #[serde(default)]
    deny: DenyFile,
    #[serde(default)]
    require_approval: ApprovalFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DenyFile {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalFile {
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
}

/// The guardrails in force: the user's file and the workspace's, merged.
#[derive(Debug, Clone, Default)]
pub struct Guardrails {
    /// MCP tool names (`*`/`?` wildcards) that are always refused.
    pub deny_actions: Vec<Rule<String>>,
    /// Values (`*`/`?` wildcards) no MCP tool argument may name.
    pub deny_resources: Vec<Rule<String>>,
    /// Regexes no write and no shell command may contain.
    pub deny_patterns: Vec<Rule<Regex>>,
    /// Path globs whose writes are always asked (refused unattended).
    pub approval_files: Vec<Rule<String>>,
    /// Regexes whose presence in a write or command is always asked.
    pub approval_patterns: Vec<Rule<Regex>>,
    /// The files read, for display.
    pub files: Vec<PathBuf>,
}

impl Guardrails {
    /// True when no file set any rule.
    pub fn is_empty(&self) -> bool {
        self.deny_actions.is_empty()
            && self.deny_resources.is_empty()
            && self.deny_patterns.is_empty()
            && self.approval_files.is_empty()
            && self.approval_patterns.is_empty()
    }
}

/// Reads `~/.kiro/kiro.json` and the workspace's `.kiro/kiro.json` (either
/// may be missing) and merges them.
pub fn load(workspace: &Path, home: Option<&Path>) -> Result<Guardrails, ConfigError> {
    let mut guardrails = Guardrails::default();
    let files = home
        .map(|h| h.join(".kiro/kiro.json"))
        .into_iter()
        .chain([workspace.join(".kiro/kiro.json")]);
    let mut seen = Vec::new();
    for file in files {
        if seen.contains(&file) || !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Io {
            file: file.clone(),
            source,
        })?;
        read_into(&file, &text, &mut guardrails).map_err(ConfigError::Invalid)?;
        guardrails.files.push(file.clone());
        seen.push(file);
    }
    Ok(guardrails)
}

/// Adds the rules of one file's text to `guardrails`.
pub fn read_into(
    file: &Path,
    text: &str,
    guardrails: &mut Guardrails,
) -> Result<(), Vec<Diagnostic>> {
    let document = json::parse(text).map_err(|e| vec![e.diagnostic(file, text)])?;
    if !document.value.is_object() {
        return Err(vec![Diagnostic::at(
            Severity::Error,
            file,
            text,
            0,
            JsonPath::root(),
            "kiro.json must hold a JSON object",
        )]);
    }
    let parsed: KiroFile =
        super::validate::typed_document(file, text, &document.spans, document.value.clone())?;
    let base = JsonPath::root().key("guardrails");
    let origin = |path: &JsonPath| Origin {
        source: AgentSource::File(file.to_path_buf()),
        position: Some(Position::from_offset(
            text,
            document.spans.value_offset(path),
        )),
        path: path.clone(),
    };
    let mut errors = Vec::new();
    let mut regexes = |list: Vec<String>, at: JsonPath, into: &mut Vec<Rule<Regex>>| {
        for (i, source) in list.into_iter().enumerate() {
            let path = at.index(i);
            match Regex::new(&source) {
                Ok(regex) => into.push(Rule {
                    value: regex,
                    origin: origin(&path),
                }),
                Err(e) => errors.push(Diagnostic::at(
                    Severity::Error,
                    file,
                    text,
                    document.spans.value_offset(&path),
                    path,
                    format!(
                        "`{source}` is not a regular expression `agent` can use: {}",
                        e.to_string().lines().last().unwrap_or_default()
                    ),
                )),
            }
        }
    };
    let g = parsed.guardrails;
    regexes(
        g.deny.patterns,
        base.key("deny").key("patterns"),
        &mut guardrails.deny_patterns,
    );
    regexes(
        g.require_approval.patterns,
        base.key("requireApproval").key("patterns"),
        &mut guardrails.approval_patterns,
    );
    let lists = [
        (g.deny.actions, base.key("deny").key("actions")),
        (g.deny.resources, base.key("deny").key("resources")),
        (
            g.require_approval.files,
            base.key("requireApproval").key("files"),
        ),
    ];
    for (index, (list, at)) in lists.into_iter().enumerate() {
        for (i, value) in list.into_iter().enumerate() {
            let path = at.index(i);
            if index == 2
                && let Err(e) = globset::Glob::new(&value)
            {
                errors.push(Diagnostic::at(
                    Severity::Error,
                    file,
                    text,
                    document.spans.value_offset(&path),
                    path,
                    format!("`{value}` is not a glob: {e}"),
                ));
                continue;
            }
            let rule = Rule {
                value,
                origin: origin(&path),
            };
            match index {
                0 => guardrails.deny_actions.push(rule),
                1 => guardrails.deny_resources.push(rule),
                _ => guardrails.approval_files.push(rule),
            }
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

/// The string values of a JSON value, nested ones included.
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guides_example() {
        let text = r#"{ "guardrails": { "deny": { "actions": ["grant_admin_access"],
            "resources": ["arn:aws:s3:::*-production"], "patterns": ["AWS_SECRET_ACCESS_KEY"] },
            "requireApproval": { "files": ["**/Dockerfile"], "patterns": ["DROP TABLE"] } } }"#;
        let mut g = Guardrails::default();
        read_into(Path::new("kiro.json"), text, &mut g).unwrap();
        assert_eq!(g.deny_actions[0].value, "grant_admin_access");
        assert_eq!(g.deny_patterns.len(), 1);
        assert_eq!(g.approval_files[0].value, "**/Dockerfile");
        let origin = g.approval_patterns[0].origin.to_string();
        assert!(origin.starts_with("kiro.json:3:"), "{origin}");
    }

    #[test]
    fn typos_and_bad_regexes_are_errors_with_positions() {
        let mut g = Guardrails::default();
        let text = "{\"guardrails\": {\n  \"deny\": {\"pattern\": [\"x\"]}}}";
        let errors = read_into(Path::new("kiro.json"), text, &mut g).unwrap_err();
        let shown = errors[0].to_string();
        assert!(shown.contains("unknown field `pattern`"), "{shown}");
        assert!(shown.contains("kiro.json:2:"), "{shown}");
        let text = "{\"guardrails\": {\"deny\": {\"patterns\": [\"(\"]}}}";
        let errors = read_into(Path::new("kiro.json"), text, &mut g).unwrap_err();
        assert!(
            errors[0].to_string().contains("kiro.json:1:39"),
            "{}",
            errors[0]
        );
    }
}
