//! The starter agent file written by `agent agent create NAME`.

use serde_json::json;

/// A starter agent with safe defaults: it can see the five working tools,
/// reads and searches unasked, asks before any write or command, and never
/// pushes, commits, deletes, fetches from the network or installs packages.
/// The fences are already in place, so adding `write` or `shell` to
/// `allowedTools` later only removes the prompt inside them.
pub fn starter_agent(name: &str) -> String {
    let agent = json!({
        "name": name,
        "description": format!("{name}: reads freely, asks before it writes or runs anything"),
        "prompt": "You are a careful coding assistant. Make small, reviewable changes and keep the tests passing.",
        "tools": ["read", "write", "shell", "glob", "grep"],
        "allowedTools": ["read", "glob", "grep"],
        "toolsSettings": {
            "read": { "deniedPaths": ["~/.ssh", "~/.aws", "~/.config/gcloud", "**/.env"] },
            "write": { "allowedPaths": ["src/**", "tests/**"] },
            "shell": {
                "allowedCommands": [],
                "deniedCommands": [
                    "git push.*", "git commit.*", "git reset.*", "rm .*", "sudo .*",
                    "curl.*", "wget.*", "pip install.*", "npm publish.*"
                ],
                "autoAllowReadonly": true
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&agent).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_starter_validates_cleanly() {
        let text = starter_agent("helper");
        let validated = crate::config::validate_text(Path::new("helper.json"), &text).unwrap();
        assert_eq!(validated.config.name, "helper");
        assert!(validated.warnings.is_empty());
    }
}
