//! What the sandbox says about an agent's own settings before anything
//! runs: every `writablePaths` entry must be a folder it can make
//! writable, never credentials or a protected place (it would refuse to
//! open those for writing anyway). Problems are positioned in the agent
//! file like every other validation error, and an agent with one does not
//! load: chat start, `/agent swap`, `agent agent validate` and
//! `agent agent list` all ask here.

use crate::config::error::{Position, Severity};
use crate::config::{AgentConfig, AgentSource, ConfigError, Diagnostic};

use super::fence::unwritable_reason;

/// The agent's settings as the sandbox can honour them, or a positioned
/// error for each `writablePaths` entry it never could.
pub fn check_agent(config: &AgentConfig) -> Result<(), ConfigError> {
    let problems: Vec<Diagnostic> = config
        .settings
        .shell
        .writable_paths
        .iter()
        .filter_map(|rule| {
            let why = unwritable_reason(&rule.value)?;
            let message = format!("`{}` cannot be made writable: {why}", rule.value);
            Some(diagnostic(rule, message))
        })
        .collect();
    match problems.is_empty() {
        true => Ok(()),
        false => Err(ConfigError::Invalid(problems)),
    }
}

/// An error at the place `rule` was written.
fn diagnostic(rule: &crate::config::Rule<String>, message: String) -> Diagnostic {
    let origin = &rule.origin;
    let position = origin.position.unwrap_or(Position { line: 1, column: 1 });
    let (file, source_line) = match &origin.source {
        AgentSource::File(file) => {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let line = text.lines().nth(position.line - 1).unwrap_or_default();
            (file.clone(), line.to_string())
        }
        AgentSource::BuiltIn => (AgentSource::BuiltIn.to_string().into(), String::new()),
    };
    Diagnostic {
        severity: Severity::Error,
        file,
        position,
        path: origin.path.clone(),
        message,
        hint: None,
        source_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_protected_places_are_refused_where_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.json");
        let text = r#"{"toolsSettings": {"shell": {"writablePaths": ["cache", "~/.ssh", "src/.git"]}}, "name": "bad"}"#;
        std::fs::write(&file, text).unwrap();
        let config = crate::config::load_file(&file).unwrap().config;
        let Err(ConfigError::Invalid(problems)) = check_agent(&config) else {
            panic!("refused")
        };
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].contains("bad.json:1:57"), "{}", shown[0]);
        assert!(shown[0].contains("holds credentials"), "{}", shown[0]);
        assert!(shown[1].contains("writablePaths[2]"), "{}", shown[1]);
        assert!(shown[1].contains("protected path"), "{}", shown[1]);
    }
}
