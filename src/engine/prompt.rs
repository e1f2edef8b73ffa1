//! The system prompt: the agent's own prompt, its resource files, the
//! workspace's `AGENTS.md` and `.kiro/steering/*.md`, and a short account of
//! the guardrails in force, so the model does not spend turns on what will
//! be refused.

use std::path::Path;

use crate::config::AgentConfig;

/// Bytes of one included file kept in the prompt.
const MAX_FILE_BYTES: usize = 64 * 1024;

/// Builds the system prompt for `config` in `workspace`.
pub fn system_prompt(config: &AgentConfig, workspace: &Path, tools: &[&str]) -> String {
    let mut sections = vec![format!(
        "You are `{}`, a coding agent working in the repository at {}. Use the tools to read, change and check code; \
         finish your turn with a short summary of what you did.",
        config.name,
        workspace.display()
    )];
    if let Some(prompt) = &config.prompt {
        sections.push(prompt.clone());
    }
    for resource in &config.resources {
        for file in expand(&resource.value) {
            if let Some(text) = read_capped(&file) {
                sections.push(format!("## File {}\n{text}", file.display()));
            }
        }
    }
    for file in steering_files(workspace) {
        if let Some(text) = read_capped(&file) {
            sections.push(format!("## Project guidance ({})\n{text}", file.display()));
        }
    }
    sections.push(guardrails(config, tools));
    sections.join("\n\n")
}

fn expand(pattern: &str) -> Vec<std::path::PathBuf> {
    if !pattern.contains(['*', '?', '[', '{']) {
        return vec![pattern.into()];
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    let base: std::path::PathBuf = pattern
        .split(['*', '?', '[', '{'])
        .next()
        .and_then(|prefix| Path::new(prefix).parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut files: Vec<_> = crate::tools::glob::walk(&base)
        .filter(|p| matcher.is_match(p))
        .collect();
    files.sort();
    files
}

fn steering_files(workspace: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![workspace.join("AGENTS.md")];
    if let Ok(entries) = std::fs::read_dir(workspace.join(".kiro/steering")) {
        let mut steering: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        steering.sort();
        files.extend(steering);
    }
    files.into_iter().filter(|f| f.is_file()).collect()
}

fn read_capped(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    Some(crate::tools::text::head_and_tail(&text, MAX_FILE_BYTES))
}

fn guardrails(config: &AgentConfig, tools: &[&str]) -> String {
    let mut lines = vec![
        "## Guardrails".to_string(),
        format!("Tools you can use: {}.", tools.join(", ")),
        "Every tool call is checked by a policy; a refused call comes back as an error naming the rule. Do not retry a refused call in another form: work within the rules.".into(),
    ];
    let settings = &config.settings;
    if let Some(allowed) = &settings.write.allowed {
        let globs: Vec<&str> = allowed.iter().map(|r| r.value.as_str()).collect();
        lines.push(format!(
            "Files may be written only under: {}.",
            globs.join(", ")
        ));
    }
    if let Some(allowed) = &settings.shell.allowed {
        let patterns: Vec<&str> = allowed.iter().map(|r| r.value.source.as_str()).collect();
        lines.push(format!(
            "Shell commands allowed (regexes, each simple command on its own): {}.",
            patterns.join(", ")
        ));
    }
    if !settings.shell.denied.is_empty() {
        let patterns: Vec<&str> = settings
            .shell
            .denied
            .iter()
            .map(|r| r.value.source.as_str())
            .collect();
        lines.push(format!(
            "Shell commands always refused: {}.",
            patterns.join(", ")
        ));
    }
    lines.push("Never written without approval: .git, .kiro/, .vscode/, mcp.json.".into());
    lines.join("\n")
}
