//! What each tool may do in this session, for `/tools`: trusted (runs
//! unasked inside its fences), per-request (asks), or denied, with the
//! fences and session grants that shape it. Derived from the same rules
//! [`Policy::decide`] applies, so the view cannot drift from the decisions.

use crate::config::agent::{PathRules, ShellRules};
use crate::config::patterns::ToolId;

use super::tools::{exists, pre_approval};
use super::{Policy, Trust};

/// Why a tool the agent does not list never runs.
const ABSENT: &str = "not in the agent's `tools`";

/// A tool's standing before any particular call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolState {
    /// Runs unasked inside its fences; why (`allowedTools`, session trust).
    Trusted(String),
    /// Asks each time no fence or grant covers the call.
    PerRequest,
    /// Never runs, or refuses what no rule allows; why.
    Denied(String),
}

/// One tool's line in the overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOverview {
    /// The tool's name.
    pub name: &'static str,
    /// Trusted, per-request or denied.
    pub state: ToolState,
    /// Its fences and deny rules, one per line (`allowedPaths: src/**`).
    pub fences: Vec<String>,
    /// What this session trusts of it beyond the agent file.
    pub grants: Vec<String>,
}

impl Policy {
    /// [`Policy::overview`] as text: a line per tool with its state, then
    /// its fences and grants indented (what `/tools` and `introspect` show).
    pub fn overview_text(&self, trust: &Trust, runnable: &[&'static str]) -> String {
        let mut out = String::new();
        let (absent, present): (Vec<_>, Vec<_>) = self
            .overview(trust, runnable)
            .into_iter()
            .partition(|tool| tool.state == ToolState::Denied(ABSENT.into()));
        for tool in present {
            let state = match &tool.state {
                ToolState::Trusted(why) => format!("trusted: {why}"),
                ToolState::PerRequest => "per-request: asks unless a fence allows".into(),
                ToolState::Denied(why) => format!("denied: {why}"),
            };
            out.push_str(&format!("{:<6} {state}\n", tool.name));
            for fence in &tool.fences {
                out.push_str(&format!("       {}\n", crate::out::escape_control(fence)));
            }
            for grant in &tool.grants {
                out.push_str(&format!("       trusted this session: {grant}\n"));
            }
        }
        if !absent.is_empty() {
            let names: Vec<&str> = absent.iter().map(|tool| tool.name).collect();
            out.push_str(&format!(
                "not in the agent's `tools`: {}\n",
                names.join(", ")
            ));
        }
        out
    }

    /// The state under `trust` of each of the built-in tools `runnable`
    /// names (the ones `agent` can run, from the tool registry), in that
    /// order.
    pub fn overview(&self, trust: &Trust, runnable: &[&'static str]) -> Vec<ToolOverview> {
        runnable
            .iter()
            .map(|&name| {
                let tool = ToolId::Builtin(name);
                let settings = &self.config.settings;
                let fences = match name {
                    "shell" => shell_fences(&settings.shell),
                    "write" => path_fences(&settings.write),
                    "glob" => path_fences(&settings.glob),
                    "grep" => path_fences(&settings.grep),
                    "read" => path_fences(&settings.read),
                    "web_fetch" => url_fences(&settings.web_fetch),
                    _ => Vec::new(),
                };
                let state = if !exists(&self.config, tool) {
                    ToolState::Denied(ABSENT.into())
                } else if super::INERT_TOOLS.contains(&name) {
                    ToolState::Trusted("it changes nothing of yours".into())
                } else if let Some(reason) = pre_approval(&self.config, trust, tool) {
                    ToolState::Trusted(match (&reason.pattern, &reason.rule) {
                        (Some(pattern), Some(rule)) => {
                            format!("{} (`{pattern}` at {rule})", reason.message)
                        }
                        _ => reason.message,
                    })
                } else if name == "shell" && settings.shell.deny_by_default {
                    ToolState::Denied("`denyByDefault`: what no rule allows is refused".into())
                } else {
                    ToolState::PerRequest
                };
                let grants = trust
                    .grants
                    .iter()
                    .filter(|g| g.tool() == name)
                    .map(|g| g.describe())
                    .collect();
                ToolOverview {
                    name,
                    state,
                    fences,
                    grants,
                }
            })
            .collect()
    }
}

fn shell_fences(rules: &ShellRules) -> Vec<String> {
    let mut fences = Vec::new();
    if let Some(allowed) = &rules.allowed {
        let list: Vec<&str> = allowed.iter().map(|r| r.value.source.as_str()).collect();
        fences.push(format!("allowedCommands: {}", list.join(", ")));
    }
    if !rules.denied.is_empty() {
        let list: Vec<&str> = rules
            .denied
            .iter()
            .map(|r| r.value.source.as_str())
            .collect();
        fences.push(format!("deniedCommands: {}", list.join(", ")));
    }
    if rules.auto_allow_readonly {
        fences.push("autoAllowReadonly: read-only commands run unasked".into());
    }
    fences
}

fn path_fences(rules: &PathRules) -> Vec<String> {
    let mut fences = Vec::new();
    if let Some(allowed) = &rules.allowed {
        let list: Vec<&str> = allowed.iter().map(|r| r.value.as_str()).collect();
        fences.push(format!("allowedPaths: {}", list.join(", ")));
    }
    if !rules.denied.is_empty() {
        let list: Vec<&str> = rules.denied.iter().map(|r| r.value.as_str()).collect();
        fences.push(format!("deniedPaths: {}", list.join(", ")));
    }
    if rules.allow_read_only {
        fences.push("allowReadOnly: runs unasked anywhere it may read".into());
    }
    fences
}

/// `web_fetch`'s URL patterns, one per line.
fn url_fences(rules: &crate::config::agent::UrlRules) -> Vec<String> {
    let trusted = rules
        .trusted
        .iter()
        .map(|r| format!("trusted: {}", r.value.source));
    let blocked = rules
        .blocked
        .iter()
        .map(|r| format!("blocked: {}", r.value.source));
    blocked.chain(trusted).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Grant;

    #[test]
    fn states_follow_the_rules_and_the_session_trust() {
        let text = r#"{"name": "a", "tools": ["read", "write", "shell"], "allowedTools": ["read"],
            "toolsSettings": {"write": {"allowedPaths": ["src/**"]},
            "shell": {"deniedCommands": ["rm .*"], "denyByDefault": true}}}"#;
        let config = crate::config::validate_text(std::path::Path::new("a.json"), text)
            .unwrap()
            .config;
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::new(config, dir.path(), None);
        let mut trust = Trust::default();
        trust.grant(&[Grant::Program("make".into())]);
        let overview = policy.overview(&trust, &["read", "write", "shell", "glob", "grep"]);
        let by_name = |name: &str| overview.iter().find(|t| t.name == name).unwrap().clone();
        assert!(
            matches!(by_name("read").state, ToolState::Trusted(why) if why.contains("allowedTools"))
        );
        assert_eq!(by_name("write").state, ToolState::PerRequest);
        assert_eq!(by_name("write").fences, vec!["allowedPaths: src/**"]);
        assert!(
            matches!(by_name("shell").state, ToolState::Denied(why) if why.contains("denyByDefault"))
        );
        assert_eq!(by_name("shell").fences, vec!["deniedCommands: rm .*"]);
        assert_eq!(by_name("shell").grants, vec!["`make` with any arguments"]);
        assert!(matches!(by_name("glob").state, ToolState::Denied(_)));
    }
}
