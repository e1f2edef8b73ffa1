//! `tools`, `allowedTools` and hook matchers: what is known is kept (in its
//! current spelling), what is not is skipped with a warning, as Kiro skips
//! it silently. A skipped name can only take away: an unknown tool is not
//! offered to the model, and an unknown `allowedTools` entry pre-approves
//! nothing.

use super::Checker;
use crate::config::agent::Rule;
use crate::config::error::JsonPath;
use crate::config::hint;
use crate::config::model::{Hook, Hooks};
use crate::config::patterns::{self, ToolPatternError};
use crate::config::tools;

/// Kiro 3's category tags in a Markdown agent's `tools`, and what they
/// stand for here. (In JSON, `read` keeps its V2 meaning, the `read` tool
/// alone, so that adding `permissions` never widens `tools`.)
const V3_TAGS: &[(&str, &[&str])] = &[
    ("read", &["read", "glob", "grep"]),
    ("write", &["write"]),
    ("shell", &["shell"]),
    ("@mcp", &["@*"]),
    ("web", &["web_fetch", "web_search"]),
];

impl Checker<'_> {
    pub(super) fn check_tools(&mut self, entries: Vec<String>) -> (Vec<Rule<String>>, Vec<String>) {
        let base = JsonPath::root().key("tools");
        let mut kept = Vec::new();
        let mut not_run = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let path = base.index(i);
            for name in self.tool_entry(&entry, &path, &mut not_run) {
                kept.push(self.rule(name, &path));
            }
        }
        (kept, not_run)
    }

    /// What one `tools` entry makes visible here.
    fn tool_entry(
        &mut self,
        entry: &str,
        path: &JsonPath,
        not_run: &mut Vec<String>,
    ) -> Vec<String> {
        if self.v3
            && let Some((_, names)) = V3_TAGS.iter().find(|(tag, _)| *tag == entry)
        {
            return names.iter().map(|n| n.to_string()).collect();
        }
        if let Some(builtin) = entry
            .strip_prefix("@builtin/")
            .filter(|rest| !rest.is_empty() && *rest != "*")
        {
            return self.tool_entry(builtin, path, not_run);
        }
        match patterns::check_tool_ref(entry) {
            Ok(name) => vec![name],
            Err(_) if let Some(shown) = tools::not_implemented(entry) => {
                self.not_run(path, entry, shown, not_run);
                Vec::new()
            }
            Err(error) => {
                self.skip_unknown(path, entry, &error, "it is not offered to the model");
                Vec::new()
            }
        }
    }

    fn not_run(&mut self, path: &JsonPath, entry: &str, tool: &str, not_run: &mut Vec<String>) {
        if !not_run.iter().any(|t| t == tool) {
            not_run.push(tool.to_string());
        }
        self.warn_at_value(
            path,
            format!("`{entry}` is a Kiro tool `agent` does not implement; it is skipped"),
        );
    }

    fn skip_unknown(
        &mut self,
        path: &JsonPath,
        entry: &str,
        error: &ToolPatternError,
        consequence: &str,
    ) {
        let hint = hint::did_you_mean(entry, tools::all_spellings());
        let message = format!("`{entry}`: {error}; {consequence}, as Kiro skips it");
        self.warn_hinted(path, message, hint);
    }

    fn warn_hinted(&mut self, path: &JsonPath, message: String, hint: Option<String>) {
        let offset = self.spans.value_offset(path);
        self.push(
            crate::config::error::Severity::Warning,
            offset,
            path,
            message,
            hint,
        );
    }

    pub(super) fn check_allowed_tools(&mut self, entries: Vec<String>) -> Vec<Rule<String>> {
        let base = JsonPath::root().key("allowedTools");
        let mut allowed = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let path = base.index(i);
            match patterns::check_tool_pattern(&entry) {
                Ok(()) => allowed.push(self.rule(entry, &path)),
                Err(ToolPatternError::BareStar) => {
                    self.warn_at_value(&path, "a bare `*` trusts every built-in tool, as in Kiro; deny rules, fences and protected paths still hold".into());
                    allowed.push(self.rule(entry, &path));
                }
                Err(_) if tools::not_implemented(&entry).is_some() => {
                    self.warn_at_value(&path, format!("`{entry}` is a Kiro tool `agent` does not implement; it pre-approves nothing"));
                }
                Err(error) => self.skip_unknown(&path, &entry, &error, "it pre-approves nothing"),
            }
        }
        allowed
    }

    pub(super) fn check_hooks(&mut self, hooks: &Hooks) {
        let base = JsonPath::root().key("hooks");
        let lists = [
            ("agentSpawn", &hooks.agent_spawn, false),
            ("userPromptSubmit", &hooks.user_prompt_submit, false),
            ("preToolUse", &hooks.pre_tool_use, true),
            ("postToolUse", &hooks.post_tool_use, true),
            ("stop", &hooks.stop, false),
        ];
        for (trigger, list, takes_matcher) in lists {
            self.check_hook_list(list, &base.key(trigger), takes_matcher);
        }
    }

    fn check_hook_list(&mut self, hooks: &[Hook], base: &JsonPath, takes_matcher: bool) {
        for (i, hook) in hooks.iter().enumerate() {
            let path = base.index(i);
            if hook.command.trim().is_empty() {
                self.warn_at_value(
                    &path.key("command"),
                    "the hook's command is empty; it does nothing".into(),
                );
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
            } else if matcher != "*" && patterns::check_tool_pattern(matcher).is_err() {
                let message = format!(
                    "the matcher `{matcher}` selects no tool `agent` runs, so this hook never runs here (matchers are tool names or globs over them, such as `fs_*`, `shell`, `@server`, `*`)"
                );
                self.warn_at_value(&matcher_path, message);
            }
        }
    }
}
