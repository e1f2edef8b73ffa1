//! Kiro 3 `permissions` at decision time: deny and ask rules, and what an
//! allow rule's `exclude` takes out of it (allow rules themselves were
//! turned into V2 allowances when the file was read; see
//! [`crate::config::permissions`]). Each adds a reason, so deny wins and
//! ask beats every allow.

use serde_json::Value;

use super::decision::Judgement;
use super::paths::{PathRules, Roots};
use super::{Reason, Verdict};
use crate::config::agent::{Origin, Rule};
use crate::config::patterns::{ToolId, pattern_matches, wildcard};
use crate::config::permissions::{Capability, Effect, Permission};

/// One rule, its path globs compiled when it governs files.
#[derive(Debug, Clone)]
struct Compiled {
    rule: Rule<Permission>,
    matches: PathRules,
    excludes: PathRules,
}

/// An agent's permission rules, compiled for one workspace.
#[derive(Debug, Clone, Default)]
pub(super) struct Permissions {
    rules: Vec<Compiled>,
}

impl Permissions {
    pub(super) fn compile(rules: &[Rule<Permission>], roots: &Roots) -> Permissions {
        let globs = |list: &[String], origin: &Origin| -> Vec<Rule<String>> {
            list.iter()
                .map(|glob| Rule {
                    value: glob.clone(),
                    origin: origin.clone(),
                })
                .collect()
        };
        let rules = rules
            .iter()
            .map(|rule| Compiled {
                matches: PathRules::compile(&globs(&rule.value.matches, &rule.origin), roots),
                excludes: PathRules::compile(&globs(&rule.value.excludes, &rule.origin), roots),
                rule: rule.clone(),
            })
            .collect();
        Permissions { rules }
    }

    /// Adds a reason for every rule that restricts this call.
    pub(super) fn judge(
        &self,
        tool: ToolId<'_>,
        input: &Value,
        roots: &Roots,
        judgement: &mut Judgement,
    ) {
        for compiled in &self.rules {
            let permission = &compiled.rule.value;
            let Some(subjects) = subjects(&permission.capability, tool, input, roots) else {
                continue;
            };
            let outcome = match permission.effect {
                Effect::Allow => compiled.excluded(&subjects, roots).map(|s| {
                    (
                        Verdict::Ask,
                        s,
                        "excluded from an allow rule of `permissions`",
                    )
                }),
                Effect::Ask => compiled
                    .covered(&subjects, roots)
                    .map(|s| (Verdict::Ask, s, "matches an ask rule of `permissions`")),
                Effect::Deny => compiled
                    .covered(&subjects, roots)
                    .map(|s| (Verdict::Deny, s, "matches a deny rule of `permissions`")),
            };
            if let Some((verdict, subject, message)) = outcome {
                let shown = format!(
                    "{} {}",
                    permission.capability.name(),
                    permission.matches.join(" ")
                );
                let reason = Reason::new(verdict, message)
                    .about(subject)
                    .citing(shown.trim(), &compiled.rule.origin);
                judgement.add(reason);
            }
        }
    }
}

impl Compiled {
    /// The first subject the rule covers: matched (or no `match`), not excluded.
    fn covered(&self, subjects: &[Subject], roots: &Roots) -> Option<String> {
        let everything = self.rule.value.matches.is_empty();
        subjects
            .iter()
            .find(|s| {
                (everything || self.hits(s, &self.rule.value.matches, &self.matches, roots))
                    && !self.hits(s, &self.rule.value.excludes, &self.excludes, roots)
            })
            .map(Subject::shown)
    }

    /// The first subject the rule matches but excludes.
    fn excluded(&self, subjects: &[Subject], roots: &Roots) -> Option<String> {
        let everything = self.rule.value.matches.is_empty();
        subjects
            .iter()
            .find(|s| {
                (everything || self.hits(s, &self.rule.value.matches, &self.matches, roots))
                    && self.hits(s, &self.rule.value.excludes, &self.excludes, roots)
            })
            .map(Subject::shown)
    }

    fn hits(&self, subject: &Subject, globs: &[String], paths: &PathRules, roots: &Roots) -> bool {
        match subject {
            Subject::Path(path) => paths.matching(path, roots).is_some(),
            Subject::Builtin(name) => globs
                .iter()
                .any(|g| pattern_matches(&format!("@builtin/{g}"), ToolId::Builtin(name))),
            Subject::Text(text) => globs.iter().any(|g| wildcard(g, text)),
            Subject::Any => false,
        }
    }
}

/// What a rule is matched against.
#[derive(Debug)]
enum Subject {
    /// A resolved path.
    Path(std::path::PathBuf),
    /// A built-in tool.
    Builtin(String),
    /// A command, or `server/tool`.
    Text(String),
    /// A call a rule of unknown capability might cover.
    Any,
}

impl Subject {
    fn shown(&self) -> String {
        match self {
            Subject::Path(path) => path.display().to_string(),
            Subject::Builtin(name) => name.clone(),
            Subject::Text(text) => text.clone(),
            Subject::Any => "this call".into(),
        }
    }
}

/// The subjects of a call a rule of `capability` governs; `None` when it
/// governs none of this call.
fn subjects(
    capability: &Capability,
    tool: ToolId<'_>,
    input: &Value,
    roots: &Roots,
) -> Option<Vec<Subject>> {
    let path = |input: &Value| {
        input
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or(".")
            .to_string()
    };
    match (capability, tool) {
        (Capability::Shell, ToolId::Builtin("shell")) => Some(commands(
            input
                .get("command")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )),
        (Capability::FsRead, ToolId::Builtin("read" | "glob" | "grep"))
        | (Capability::FsWrite, ToolId::Builtin("write")) => {
            Some(vec![Subject::Path(roots.resolve(&path(input)))])
        }
        (Capability::Mcp | Capability::All, ToolId::Mcp { server, tool }) => {
            Some(vec![Subject::Text(format!("{server}/{tool}"))])
        }
        (Capability::Builtin | Capability::All, ToolId::Builtin(name)) => {
            Some(vec![Subject::Builtin(name.to_string())])
        }
        (Capability::Other(_), _) => Some(vec![Subject::Any]),
        _ => None,
    }
}

/// A shell line's subjects: each simple command (as the V2 rules see it)
/// and the whole line.
fn commands(line: &str) -> Vec<Subject> {
    let mut subjects: Vec<Subject> = match super::shell::analyze(line) {
        Ok(analysis) => analysis
            .commands
            .iter()
            .map(|c| Subject::Text(c.text()))
            .collect(),
        Err(_) => Vec::new(),
    };
    subjects.push(Subject::Text(line.trim().to_string()));
    subjects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_rules_see_every_simple_command() {
        let texts: Vec<String> = commands("cd x && npm test")
            .iter()
            .map(Subject::shown)
            .collect();
        assert!(texts.contains(&"npm test".to_string()), "{texts:?}");
        assert!(texts.contains(&"cd x && npm test".to_string()));
    }
}
