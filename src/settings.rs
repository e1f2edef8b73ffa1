//! User settings: a flat JSON object of known keys in the config folder.
//!
//! Keys use Kiro CLI's dotted names (`chat.defaultModel`). Only known keys
//! are accepted, with their type checked, so that a typo is caught when it
//! is set rather than silently ignored later.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::config::hint;
use crate::config::json;

/// The type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// Any text.
    Text,
    /// Text that is never printed (API keys).
    Secret,
    /// A whole number, zero or more.
    Count,
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// A known setting.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Its dotted key.
    pub key: &'static str,
    /// Its type.
    pub kind: Kind,
    /// What it does.
    pub doc: &'static str,
}

/// Every setting `agent` knows.
pub const SETTINGS: &[Spec] = &[
    Spec {
        key: "chat.defaultAgent",
        kind: Kind::Text,
        doc: "agent used by `agent chat` when --agent is not given",
    },
    Spec {
        key: "chat.defaultModel",
        kind: Kind::Text,
        doc: "model used when neither --model nor the agent file names one",
    },
    Spec {
        key: "provider.anthropic.apiKey",
        kind: Kind::Secret,
        doc: "Anthropic API key, used when ANTHROPIC_API_KEY is not set (never printed)",
    },
    Spec {
        key: "provider.anthropic.baseUrl",
        kind: Kind::Text,
        doc: "Anthropic endpoint without /v1, used when ANTHROPIC_BASE_URL is not set",
    },
    Spec {
        key: "provider.ollama.baseUrl",
        kind: Kind::Text,
        doc: "Ollama's OpenAI-compatible endpoint with /v1, used when OLLAMA_BASE_URL is not set",
    },
    Spec {
        key: "provider.openai.apiKey",
        kind: Kind::Secret,
        doc: "OpenAI (or compatible) API key, used when OPENAI_API_KEY is not set (never printed)",
    },
    Spec {
        key: "provider.openai.baseUrl",
        kind: Kind::Text,
        doc: "OpenAI-compatible endpoint with /v1, used when OPENAI_BASE_URL is not set",
    },
    Spec {
        key: "chat.mode",
        kind: Kind::Choice(&["autopilot", "supervised"]),
        doc: "`autopilot` (default): a turn's changes stay as made; `supervised`: after each turn the files it changed are shown with their diffs, to accept or reject (a review workflow, not a security control; `/mode` and Shift+Tab switch for the session)",
    },
    Spec {
        key: "chat.enableCheckpoint",
        kind: Kind::Bool,
        doc: "checkpoints of every turn and tool call (on unless set to false)",
    },
    Spec {
        key: "chat.checkpointMaxBytes",
        kind: Kind::Count,
        doc: "the checkpoint store's size cap in bytes: past it, a session start or `agent checkpoint gc` folds old sessions' tool checkpoints into their turns, then drops old sessions (default 2147483648, 2 GiB)",
    },
    Spec {
        key: "chat.checkpointMaxFileBytes",
        kind: Kind::Count,
        doc: "files larger than this many bytes are recorded in checkpoints by size and time only, not stored, with a warning naming them (default 52428800, 50 MB)",
    },
    Spec {
        key: "subagent.inheritTrust",
        kind: Kind::Bool,
        doc: "judge sub-agents' calls, on their parent's side, with the trust given in the parent's session (--trust-*, `t` answers); off by default, so trust given to the parent never reaches its children",
    },
    Spec {
        key: "trust.workspaces",
        kind: Kind::Text,
        doc: "workspace folders (absolute, separated by `:`) whose agent files' hooks and MCP servers run without asking, as with --trust-workspace",
    },
    Spec {
        key: "checkpoint.maxAgeDays",
        kind: Kind::Count,
        doc: "checkpoint stores of workspaces unused for this many days are deleted when a session starts (default 30; 0 keeps them)",
    },
    Spec {
        key: "checkpoint.maxFilesOutsideGit",
        kind: Kind::Count,
        doc: "outside a git repository, a workspace with more files than this gets no automatic baseline; `/checkpoint init` takes it (default 20000)",
    },
    Spec {
        key: "web.searchProvider",
        kind: Kind::Text,
        doc: "the `web_search` tool's backend: `searxng:URL`, `brave`, `tavily` (keys from BRAVE_API_KEY / TAVILY_API_KEY; `brave:URL` and `tavily:URL` point elsewhere) or `mcp:SERVER/TOOL` (an MCP server's search tool); unset, the tool says none is configured",
    },
    Spec {
        key: "web.fetchTimeoutSecs",
        kind: Kind::Count,
        doc: "seconds `web_fetch` and `web_search` wait for a server (default 30)",
    },
];

/// A problem with settings, for the user.
#[derive(Debug)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The settings file's contents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    values: BTreeMap<String, Value>,
}

impl Settings {
    /// Reads `file`; a missing file is empty settings.
    pub fn load(file: &Path) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => {
                return Err(SettingsError(format!(
                    "error: cannot read {}: {e}",
                    file.display()
                )));
            }
        };
        let at = |offset: usize, message: String| {
            let p = crate::config::error::Position::from_offset(&text, offset);
            SettingsError(format!(
                "error: {}:{}:{}: {message}",
                file.display(),
                p.line,
                p.column
            ))
        };
        let document = json::parse(&text).map_err(|e| {
            SettingsError(format!(
                "error: {}:{}:{}: not valid JSON: {}",
                file.display(),
                e.position.line,
                e.position.column,
                e.message
            ))
        })?;
        let Value::Object(map) = document.value else {
            return Err(at(0, "the settings file must hold a JSON object".into()));
        };
        let mut values = BTreeMap::new();
        for (key, value) in map {
            let path = crate::config::error::JsonPath::root().key(&key);
            let spec = spec(&key).map_err(|e| at(document.spans.key_offset(&path), e.0))?;
            check_type(spec, &value).map_err(|e| at(document.spans.value_offset(&path), e.0))?;
            values.insert(key, value);
        }
        Ok(Settings { values })
    }

    /// Writes the settings to `file` atomically (a temporary file renamed
    /// over it), so a crash never leaves half a file. The file is readable
    /// by its owner only: it may hold API keys.
    pub fn save(&self, file: &Path) -> Result<(), SettingsError> {
        let mut text = serde_json::to_string_pretty(&self.values).unwrap_or_default();
        text.push('\n');
        crate::atomic::write(file, text.as_bytes(), Some(0o600))
            .map_err(|e| SettingsError(format!("error: cannot write {}: {e}", file.display())))
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The value of the environment variable `variable`, or when it is
    /// unset or empty, of the setting that stands in for it.
    pub fn env_or_setting(&self, variable: &str) -> Option<String> {
        std::env::var(variable)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                crate::provider::model::setting_for(variable)
                    .and_then(|key| self.text(key))
                    .map(str::to_string)
            })
    }

    /// The number value of `key`, or `default` when it is not set.
    pub fn count(&self, key: &str, default: u64) -> u64 {
        self.get(key).and_then(Value::as_u64).unwrap_or(default)
    }

    /// The text value of `key`, if set.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Sets `key` from its command-line text, checked against its type.
    pub fn set(&mut self, key: &str, text: &str) -> Result<(), SettingsError> {
        let spec = spec(key)?;
        let value = match spec.kind {
            Kind::Bool => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(SettingsError(format!(
                        "error: `{key}` is true or false, not `{text}`"
                    )));
                }
            },
            Kind::Text | Kind::Secret => Value::String(text.to_string()),
            Kind::Choice(words) if words.contains(&text) => Value::String(text.to_string()),
            Kind::Choice(words) => {
                return Err(SettingsError(format!(
                    "error: `{key}` is one of {}, not `{text}`",
                    words.join(", ")
                )));
            }
            Kind::Count => match text.parse::<u64>() {
                Ok(count) => Value::from(count),
                Err(_) => {
                    return Err(SettingsError(format!(
                        "error: `{key}` is a whole number (0 or more), not `{text}`"
                    )));
                }
            },
        };
        self.values.insert(key.to_string(), value);
        Ok(())
    }

    /// Removes `key`; true when it was set.
    pub fn delete(&mut self, key: &str) -> Result<bool, SettingsError> {
        spec(key)?;
        Ok(self.values.remove(key).is_some())
    }
}

/// The spec of a known key, or an error with a hint.
pub fn spec(key: &str) -> Result<&'static Spec, SettingsError> {
    SETTINGS.iter().find(|s| s.key == key).ok_or_else(|| {
        let hint = hint::did_you_mean(key, SETTINGS.iter().map(|s| s.key))
            .map(|h| format!("\nhelp: {h}"))
            .unwrap_or_default();
        SettingsError(format!(
            "error: unknown setting `{key}` (see `agent settings` for the list){hint}"
        ))
    })
}

fn check_type(spec: &Spec, value: &Value) -> Result<(), SettingsError> {
    let ok = match spec.kind {
        Kind::Bool => value.is_boolean(),
        Kind::Text | Kind::Secret => value.is_string(),
        Kind::Count => value.is_u64(),
        Kind::Choice(words) => value.as_str().is_some_and(|v| words.contains(&v)),
    };
    if ok {
        Ok(())
    } else {
        let wanted = match spec.kind {
            Kind::Bool => "true or false".to_string(),
            Kind::Text | Kind::Secret => "a string".to_string(),
            Kind::Count => "a whole number (0 or more)".to_string(),
            Kind::Choice(words) => format!("one of {}", words.join(", ")),
        };
        Err(SettingsError(format!("`{}` must be {wanted}", spec.key)))
    }
}

/// How a value is shown: secrets never are.
pub fn display(spec: &Spec, value: &Value) -> String {
    match (spec.kind, value) {
        (Kind::Secret, _) => "(set; not shown)".into(),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_checks_types_and_keys() {
        let mut settings = Settings::default();
        settings.set("chat.enableCheckpoint", "true").unwrap();
        assert_eq!(
            settings.get("chat.enableCheckpoint"),
            Some(&Value::Bool(true))
        );
        assert!(settings.set("chat.enableCheckpoint", "yes").is_err());
        settings.set("chat.mode", "supervised").unwrap();
        let err = settings.set("chat.mode", "careful").unwrap_err();
        assert!(err.0.contains("one of autopilot, supervised"), "{}", err.0);
        let err = settings.set("chat.defaultmodel", "x").unwrap_err();
        assert!(
            err.0.contains("did you mean `chat.defaultModel`"),
            "{}",
            err.0
        );
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config/settings.json");
        let mut settings = Settings::default();
        settings.set("chat.defaultModel", "openai/gpt-4.1").unwrap();
        settings.save(&file).unwrap();
        assert_eq!(Settings::load(&file).unwrap(), settings);
    }

    #[test]
    fn a_bad_file_is_reported_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        std::fs::write(&file, "{\n  \"chat.enableCheckpoint\": \"yes\"\n}").unwrap();
        let err = Settings::load(&file).unwrap_err();
        assert!(err.0.contains("settings.json:2:28"), "{}", err.0);
    }
}
