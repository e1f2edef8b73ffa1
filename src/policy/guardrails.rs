//! The guardrails file's rules (`kiro.json`), compiled, and the built-in
//! secret patterns: what no write or command may contain, which MCP actions
//! and resources are refused, what always needs a person, and the
//! redaction of secrets in tool output.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::decision::{Judgement, Reason, Verdict};
use super::paths::{PathRules, Roots};
use crate::config::Rule;
use crate::config::guardrails::{Guardrails, strings};
use crate::config::patterns::{ToolId, wildcard};

/// Secrets recognised without any configuration: a name for people, and a
/// regex. A group named `secret`, when present, is the part redacted.
pub const SECRET_PATTERNS: &[(&str, &str)] = &[
    (
        "a private key block",
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    ),
    (
        "an AWS access key id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    ),
    (
        "an AWS secret access key",
        r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})"#,
    ),
    (
        "a GitHub token",
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
    ),
    ("an Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    (
        "an OpenAI API key",
        r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}",
    ),
    ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
];

static SECRETS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    SECRET_PATTERNS
        .iter()
        .filter_map(|(name, source)| Regex::new(source).ok().map(|r| (*name, r)))
        .collect()
});

/// The kind of secret `text` contains, if any.
pub fn find_secret(text: &str) -> Option<&'static str> {
    SECRETS
        .iter()
        .find(|(_, regex)| regex.is_match(text))
        .map(|(name, _)| *name)
}

/// `text` with every secret the built-in patterns recognise replaced by
/// `[REDACTED: KIND]`.
pub fn redact(text: &str) -> String {
    let mut text = text.to_string();
    for (name, regex) in SECRETS.iter() {
        if !regex.is_match(&text) {
            continue;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for captures in regex.captures_iter(&text) {
            let Some(span) = captures.name("secret").or_else(|| captures.get(0)) else {
                continue;
            };
            out.push_str(&text[last..span.start()]);
            out.push_str(&format!("[REDACTED: {name}]"));
            last = span.end();
        }
        out.push_str(&text[last..]);
        text = out;
    }
    text
}

/// The guardrails file's rules, compiled for one workspace.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    rules: Guardrails,
    approval_files: Option<PathRules>,
}

impl Guard {
    /// Compiles `rules` against `roots`.
    pub fn compile(rules: Guardrails, roots: &Roots) -> Guard {
        let approval_files = (!rules.approval_files.is_empty())
            .then(|| PathRules::compile(&rules.approval_files, roots));
        Guard {
            rules,
            approval_files,
        }
    }

    /// Judges what a call carries: the content of a write, a shell command
    /// line, every argument of an MCP tool.
    pub(super) fn judge_call(&self, tool: ToolId<'_>, input: &Value, judgement: &mut Judgement) {
        let texts: Vec<&str> = match tool {
            ToolId::Builtin("write") => ["content", "new_str"]
                .iter()
                .filter_map(|key| input.get(*key).and_then(Value::as_str))
                .collect(),
            ToolId::Builtin("shell") => input
                .get("command")
                .and_then(Value::as_str)
                .into_iter()
                .collect(),
            ToolId::Builtin(_) => Vec::new(),
            ToolId::Mcp { server, tool } => {
                self.judge_mcp(server, tool, input, judgement);
                strings(input)
            }
        };
        for text in texts {
            self.judge_text(text, judgement);
        }
    }

    fn judge_text(&self, text: &str, judgement: &mut Judgement) {
        if let Some(kind) = find_secret(text) {
            judgement.add(Reason::new(
                Verdict::Deny,
                format!("contains {kind}; secrets are never written or passed to commands"),
            ));
        }
        let key_rules = [
            (
                Verdict::Deny,
                "guardrails.deny.patterns",
                &self.rules.deny_patterns,
            ),
            (
                Verdict::Ask,
                "guardrails.requireApproval.patterns",
                &self.rules.approval_patterns,
            ),
        ];
        for (verdict, key, rules) in key_rules {
            if let Some(rule) = rules.iter().find(|r| r.value.is_match(text)) {
                judgement.add(
                    Reason::new(verdict, format!("matches `{key}` in kiro.json"))
                        .citing(rule.value.as_str(), &rule.origin),
                );
            }
        }
    }

    fn judge_mcp(&self, server: &str, tool: &str, input: &Value, judgement: &mut Judgement) {
        let full = format!("@{server}/{tool}");
        let action =
            |rule: &&Rule<String>| wildcard(&rule.value, tool) || wildcard(&rule.value, &full);
        if let Some(rule) = self.rules.deny_actions.iter().find(action) {
            judgement.add(
                Reason::new(
                    Verdict::Deny,
                    "matches `guardrails.deny.actions` in kiro.json",
                )
                .about(&full)
                .citing(&rule.value, &rule.origin),
            );
        }
        for value in strings(input) {
            if let Some(rule) = self
                .rules
                .deny_resources
                .iter()
                .find(|rule| wildcard(&rule.value, value))
            {
                judgement.add(
                    Reason::new(
                        Verdict::Deny,
                        "matches `guardrails.deny.resources` in kiro.json",
                    )
                    .about(value)
                    .citing(&rule.value, &rule.origin),
                );
            }
        }
    }

    /// Adds an ask when a write to `resolved` is one kiro.json says always
    /// needs a person.
    pub(super) fn judge_write_path(
        &self,
        resolved: &Path,
        roots: &Roots,
        judgement: &mut Judgement,
    ) {
        let Some(files) = &self.approval_files else {
            return;
        };
        if let Some(rule) = files.matching(resolved, roots) {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    "matches `guardrails.requireApproval.files` in kiro.json",
                )
                .about(resolved.display().to_string())
                .citing(&rule.value, &rule.origin),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_pattern_compiles() {
        assert_eq!(SECRETS.len(), SECRET_PATTERNS.len());
    }

    #[test]
    fn finds_common_secrets() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "an AWS secret access key",
            ),
            (
                "export AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
                "an AWS secret access key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n",
                "a private key block",
            ),
            (
                "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "a GitHub token",
            ),
            (
                "sk-ant-api03-abcdefghijklmnopqrstuv",
                "an Anthropic API key",
            ),
            ("sk-proj-abcdefghijklmnopqrstuvwx", "an OpenAI API key"),
        ];
        for (text, kind) in cases {
            assert_eq!(find_secret(text), Some(kind), "{text}");
        }
        for text in [
            "AWS_REGION=us-east-1",
            "sk-short",
            "ghp_short",
            "the key is in the vault",
        ] {
            assert_eq!(find_secret(text), None, "{text}");
        }
    }

    #[test]
    fn redaction_keeps_the_rest() {
        let text = "id=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nok";
        assert_eq!(
            redact(text),
            "id=[REDACTED: an AWS access key id]\nAWS_SECRET_ACCESS_KEY=[REDACTED: an AWS secret access key]\nok"
        );
        let key = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nb";
        assert_eq!(redact(key), "a\n[REDACTED: a private key block]\nb");
        assert_eq!(redact("nothing here"), "nothing here");
    }
}
