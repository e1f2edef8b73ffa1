//! `toolsSettings`, read as leniently as Kiro reads it and never more
//! permissively than the file means.
//!
//! Kiro keeps `toolsSettings` as free JSON and each tool reads its own
//! entry when it runs, ignoring keys it does not know; a `shell` entry it
//! cannot read refuses every command, another tool's asks every time. So:
//!
//! - every spelling Kiro accepts names the tool (`fs_read`, `fsRead`,
//!   `read`, …); given twice, Kiro's first spelling wins, the other's deny
//!   rules still apply, and every call of the tool asks;
//! - a key `agent` does not know on a tool it runs may have restricted it:
//!   every call of that tool asks, and the warning says why; a key that
//!   could only grant (`alwaysAllow`, `autoApprove`, …) is ignored;
//! - a value of the wrong type refuses every `shell` call and makes any
//!   other tool ask, as in Kiro;
//! - a `deniedCommands` regex that does not compile refuses every shell
//!   call; a `deniedPaths` glob that does not parse makes the tool ask; a
//!   broken allow entry is dropped;
//! - settings of Kiro tools `agent` does not run, and of names that are no
//!   tool, are ignored with a warning.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::lenient::field_names;
use super::{Checker, error_path};
use crate::config::agent::{
    AwsRules, CommandPattern, Doubt, PathRules, Rule, ShellRules, SubagentRules, ToolSettings,
    UrlRules,
};
use crate::config::error::JsonPath;
use crate::config::hint;
use crate::config::model::{AwsSettings, CodeSettings};
use crate::config::model::{
    PathSettings, SearchSettings, ShellSettings, SubagentSettings, UrlSettings,
};
use crate::config::tools::{self, SettingsKind};

/// Keys that could only grant permission: ignored, never honoured.
const GRANT_ONLY: &[&str] = &[
    "alwaysAllow",
    "autoApprove",
    "autoAllow",
    "trusted",
    "trustAll",
    "allowAll",
];

impl Checker<'_> {
    pub(super) fn check_tools_settings(
        &mut self,
        entries: BTreeMap<String, Value>,
    ) -> ToolSettings {
        let base = JsonPath::root().key("toolsSettings");
        let mut settings = ToolSettings::default();
        let mut by_tool: BTreeMap<&'static str, Vec<(String, Value)>> = BTreeMap::new();
        for (key, value) in entries {
            let path = base.key(&key);
            if key.starts_with('@') {
                settings.mcp.insert(key, value);
            } else if let Some(tool) = tools::find(&key) {
                by_tool.entry(tool.name).or_default().push((key, value));
            } else if tools::not_implemented(&key).is_some() {
                self.warn_at_key(&path, format!("`{key}` is a Kiro tool `agent` does not implement; its settings are ignored"), None);
            } else {
                let hint = hint::did_you_mean(&key, tools::all_spellings());
                self.warn_at_key(
                    &path,
                    format!(
                        "`{key}` is not a tool; its settings are ignored, as Kiro ignores them"
                    ),
                    hint,
                );
            }
        }
        for (tool, mut entries) in by_tool {
            entries.sort_by_key(|(key, _)| precedence(tool, key));
            self.apply_tool_entries(tool, entries, &base, &mut settings);
        }
        settings
    }

    fn apply_tool_entries(
        &mut self,
        tool: &'static str,
        entries: Vec<(String, Value)>,
        base: &JsonPath,
        settings: &mut ToolSettings,
    ) {
        let mut entries = entries.into_iter();
        let Some((key, value)) = entries.next() else {
            return;
        };
        self.apply_tool_entry(tool, value, &base.key(&key), settings, false);
        for (other, value) in entries {
            let path = base.key(&other);
            let why = format!(
                "`{tool}` has settings under both `{key}` and `{other}`; Kiro reads `{key}`, so does `agent`, keeping `{other}`'s deny rules, and every `{tool}` call asks"
            );
            self.warn_at_key(&path, why.clone(), None);
            self.doubt(tool, false, why, &path, settings);
            self.apply_tool_entry(tool, value, &path, settings, true);
        }
    }

    /// Reads one entry into `settings`; with `denies_only`, only its deny
    /// rules are added.
    fn apply_tool_entry(
        &mut self,
        tool: &'static str,
        value: Value,
        path: &JsonPath,
        settings: &mut ToolSettings,
        denies_only: bool,
    ) {
        let Some(kind) = tools::find(tool).map(|t| t.settings) else {
            return;
        };
        match kind {
            SettingsKind::Paths | SettingsKind::Search => {
                let rules = match kind {
                    SettingsKind::Paths => self
                        .lenient::<PathSettings>(tool, value, path, settings)
                        .map(|s| {
                            self.path_rules(
                                tool,
                                s.allowed_paths,
                                s.denied_paths,
                                false,
                                path,
                                settings,
                            )
                        }),
                    _ => self
                        .lenient::<SearchSettings>(tool, value, path, settings)
                        .map(|s| {
                            let read_only = s.allow_read_only.unwrap_or(false);
                            self.path_rules(
                                tool,
                                s.allowed_paths,
                                s.denied_paths,
                                read_only,
                                path,
                                settings,
                            )
                        }),
                };
                let Some(rules) = rules else { return };
                let target = path_rules_mut(settings, tool);
                match denies_only {
                    true => target.denied.extend(rules.denied),
                    false => *target = rules,
                }
            }
            SettingsKind::Code => {
                if let Some(typed) = self.lenient::<CodeSettings>(tool, value, path, settings)
                    && !denies_only
                {
                    settings.code = typed;
                }
            }
            SettingsKind::Shell => {
                let Some(typed) = self.lenient::<ShellSettings>(tool, value, path, settings) else {
                    return;
                };
                let rules = self.shell_rules(typed, path);
                match denies_only {
                    true => settings.shell.denied.extend(rules.denied),
                    false => settings.shell = rules,
                }
            }
            SettingsKind::Urls => {
                let Some(typed) = self.lenient::<UrlSettings>(tool, value, path, settings) else {
                    return;
                };
                let rules = UrlRules {
                    trusted: self.command_patterns(typed.trusted, &path.key("trusted"), None),
                    blocked: self.command_patterns(
                        typed.blocked,
                        &path.key("blocked"),
                        Some("URL"),
                    ),
                };
                match denies_only {
                    true => settings.web_fetch.blocked.extend(rules.blocked),
                    false => settings.web_fetch = rules,
                }
            }
            SettingsKind::Nothing => self.warn_at_key(
                path,
                format!("`{tool}` has no settings here; this entry is ignored"),
                None,
            ),
            SettingsKind::Subagent => {
                let Some(typed) = self.lenient::<SubagentSettings>(tool, value, path, settings)
                else {
                    return;
                };
                let rules = SubagentRules {
                    available: self
                        .name_rules(typed.available_agents, &path.key("availableAgents")),
                    trusted: self.name_rules(typed.trusted_agents, &path.key("trustedAgents")),
                };
                // Both lists can only widen what runs, so a second entry
                // adds nothing (the doubt already makes every call ask).
                if !denies_only {
                    settings.subagent = rules;
                }
            }
            SettingsKind::Aws => {
                let Some(typed) = self.lenient::<AwsSettings>(tool, value, path, settings) else {
                    return;
                };
                let rules = AwsRules {
                    allowed: self.name_rules(typed.allowed_services, &path.key("allowedServices")),
                    denied: self.name_rules(typed.denied_services, &path.key("deniedServices")),
                    auto_allow_readonly: typed.auto_allow_readonly.unwrap_or(true),
                };
                match denies_only {
                    true => settings.aws.denied.extend(rules.denied),
                    false => settings.aws = rules,
                }
            }
        }
    }

    /// One rule per name (an agent, a service), each remembering its index
    /// under `base`.
    fn name_rules(&self, names: Vec<String>, base: &JsonPath) -> Vec<Rule<String>> {
        let names = names.into_iter().enumerate();
        names
            .map(|(i, name)| self.rule(name, &base.index(i)))
            .collect()
    }

    /// Types `value`, dropping keys `T` does not have: grant-only keys
    /// silently but for a warning, others with a doubt on the tool.
    fn lenient<T: DeserializeOwned + JsonSchema>(
        &mut self,
        tool: &'static str,
        value: Value,
        path: &JsonPath,
        settings: &mut ToolSettings,
    ) -> Option<T> {
        let Value::Object(mut object) = value else {
            let why = format!(
                "`{tool}`'s settings are not an object, so {}",
                consequence(tool)
            );
            self.warn_at_value(path, why.clone());
            self.doubt(tool, tool == "shell", why, path, settings);
            return None;
        };
        let known = field_names::<T>();
        let unknown: Vec<String> = object
            .keys()
            .filter(|k| !known.contains(k))
            .cloned()
            .collect();
        for key in unknown {
            object.remove(&key);
            let at = path.key(&key);
            let hint = hint::did_you_mean(&key, known.iter().map(String::as_str));
            if GRANT_ONLY.contains(&key.as_str()) {
                self.warn_at_key(
                    &at,
                    format!("`{key}` could only grant permission; it is ignored"),
                    hint,
                );
            } else {
                let why = format!(
                    "`{key}` is not a `{tool}` setting `agent` knows, and it might restrict the tool, so every `{tool}` call asks"
                );
                self.warn_at_key(&at, why.clone(), hint);
                self.doubt(tool, false, why, &at, settings);
            }
        }
        match serde_path_to_error::deserialize::<_, T>(Value::Object(object)) {
            Ok(typed) => Some(typed),
            Err(error) => {
                let at = error_path(path, error.path());
                let why = format!(
                    "`{tool}`'s settings cannot be read ({}), so {}",
                    error.into_inner(),
                    consequence(tool)
                );
                self.warn_at_value(&at, why.clone());
                self.doubt(tool, tool == "shell", why, &at, settings);
                None
            }
        }
    }

    /// Marks `tool` as doubtful; a deny doubt is never weakened to ask.
    fn doubt(
        &mut self,
        tool: &'static str,
        deny: bool,
        why: String,
        path: &JsonPath,
        settings: &mut ToolSettings,
    ) {
        let doubt = Doubt {
            deny,
            why,
            origin: self.origin(path),
        };
        match settings.doubts.get(tool) {
            Some(existing) if existing.deny && !deny => {}
            _ => {
                settings.doubts.insert(tool, doubt);
            }
        }
    }

    fn path_rules(
        &mut self,
        tool: &'static str,
        allowed: Option<Vec<String>>,
        denied: Vec<String>,
        allow_read_only: bool,
        base: &JsonPath,
        settings: &mut ToolSettings,
    ) -> PathRules {
        let allowed =
            allowed.map(|globs| self.globs(globs, &base.key("allowedPaths"), None, settings));
        let denied = self.globs(denied, &base.key("deniedPaths"), Some(tool), settings);
        PathRules {
            allowed,
            denied,
            allow_read_only,
        }
    }

    /// Path globs; one that does not parse is dropped, and when it was a
    /// deny rule (`doubt_tool`) the tool asks for every call instead.
    fn globs(
        &mut self,
        globs: Vec<String>,
        base: &JsonPath,
        doubt_tool: Option<&'static str>,
        settings: &mut ToolSettings,
    ) -> Vec<Rule<String>> {
        let mut rules = Vec::new();
        for (i, glob) in globs.into_iter().enumerate() {
            let path = base.index(i);
            match (check_glob(&glob), doubt_tool) {
                (Ok(()), _) => rules.push(self.rule(glob, &path)),
                (Err(message), None) => {
                    self.warn_at_value(&path, format!("{message}; the entry is dropped"))
                }
                (Err(message), Some(tool)) => {
                    let why = format!(
                        "{message}; a deny rule `agent` cannot read, so every `{tool}` call asks"
                    );
                    self.warn_at_value(&path, why.clone());
                    self.doubt(tool, false, why, &path, settings);
                }
            }
        }
        rules
    }

    fn shell_rules(&mut self, settings: ShellSettings, base: &JsonPath) -> ShellRules {
        ShellRules {
            allowed: settings
                .allowed_commands
                .map(|list| self.command_patterns(list, &base.key("allowedCommands"), None)),
            denied: self.command_patterns(
                settings.denied_commands,
                &base.key("deniedCommands"),
                Some("shell command"),
            ),
            auto_allow_readonly: settings.auto_allow_readonly.unwrap_or(false),
            deny_by_default: settings.deny_by_default.unwrap_or(false),
            pass_env: settings.pass_env,
            sandbox: settings.sandbox.unwrap_or_default(),
            network: settings.network.unwrap_or(false),
            writable_paths: self
                .writable_paths(settings.writable_paths, &base.key("writablePaths")),
        }
    }

    /// `writablePaths` (an `agent` addition, so strict): folders, never
    /// credentials or protected places, which the sandbox would refuse.
    fn writable_paths(&mut self, paths: Vec<String>, base: &JsonPath) -> Vec<Rule<String>> {
        let mut rules = Vec::new();
        for (i, path) in paths.into_iter().enumerate() {
            let at = base.index(i);
            let problem = check_glob(&path).err().or_else(|| {
                crate::protected::unwritable_reason(&path)
                    .map(|why| format!("`{path}` cannot be made writable: {why}"))
            });
            match problem {
                Some(message) => self.error_at_value(&at, message, None),
                None => rules.push(self.rule(path, &at)),
            }
        }
        rules
    }

    /// Kiro's command regexes; a deny entry that does not compile is kept
    /// (it refuses every command, as in Kiro), an allow entry is dropped.
    /// Kiro-style regular expressions; one that does not compile is
    /// dropped from an allow list and, in a deny list (`denies` says what
    /// it then refuses), kept as matching everything.
    fn command_patterns(
        &mut self,
        sources: Vec<String>,
        base: &JsonPath,
        denies: Option<&str>,
    ) -> Vec<Rule<CommandPattern>> {
        let deny = denies.is_some();
        let refuses = format!(
            "so it refuses every {}, as in Kiro",
            denies.unwrap_or_default()
        );
        let mut rules = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            let path = base.index(i);
            match CommandPattern::new(&source) {
                Ok(pattern) => rules.push(self.rule(pattern, &path)),
                Err(e) => {
                    let what = first_line(&e.to_string()).to_string();
                    let consequence = match deny {
                        true => refuses.as_str(),
                        false => "so it allows nothing",
                    };
                    let message = format!(
                        "`{source}` is not a regular expression `agent` can use ({what}), {consequence}"
                    );
                    self.push(
                        crate::config::error::Severity::Warning,
                        self.spans.value_offset(&path),
                        &path,
                        message,
                        regex_hint(&source),
                    );
                    if deny {
                        let pattern = CommandPattern {
                            source,
                            regex: None,
                        };
                        rules.push(self.rule(pattern, &path));
                    }
                }
            }
        }
        rules
    }
}

fn consequence(tool: &str) -> &'static str {
    match tool {
        "shell" => "every shell call is refused, as in Kiro",
        _ => "every call of the tool asks",
    }
}

/// Kiro reads the first spelling found among its aliases, old names first.
fn precedence(tool: &str, key: &str) -> usize {
    let mut order: Vec<&str> = tools::spellings(tool).skip(1).collect();
    order.push(tool);
    order.iter().position(|s| *s == key).unwrap_or(usize::MAX)
}

fn path_rules_mut<'a>(settings: &'a mut ToolSettings, tool: &str) -> &'a mut PathRules {
    match tool {
        "read" => &mut settings.read,
        "write" => &mut settings.write,
        "glob" => &mut settings.glob,
        _ => &mut settings.grep,
    }
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
    if regex::Regex::new(&regex::escape(source)).is_ok() && source.contains(['(', '[', '{']) {
        return Some(format!(
            "to match the text literally, escape it: `{}`",
            regex::escape(source)
        ));
    }
    None
}

/// Checks a path glob the way the policy will compile it.
pub(super) fn check_glob(glob: &str) -> Result<(), String> {
    if glob.trim().is_empty() {
        return Err("an empty path pattern matches nothing".into());
    }
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|_| ())
        .map_err(|e| format!("`{glob}` is not a valid glob: {}", e.kind()))
}
