//! The system prompt: the agent's own prompt, its resource files, its
//! skills (name and description; the model reads a skill when it needs it),
//! the steering files (`AGENTS.md`, the workspace's `.kiro/steering/*.md` and
//! the user's `~/.kiro/steering/*.md`, the workspace's winning by file
//! name), and a short account of the guardrails in force, so the model
//! does not spend turns on what will be refused.
//!
//! Included files share one budget ([`CONTEXT_BUDGET`]); what does not fit
//! is cut with a note saying so, never dropped silently.

use std::path::{Path, PathBuf};

use crate::config::AgentConfig;

/// Bytes of included files (resources and steering) the prompt holds in
/// all.
pub const CONTEXT_BUDGET: usize = 64 * 1024;

/// One file loaded into the system prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// What it is: `resource`, `steering`, `AGENTS.md`.
    pub kind: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Its size on disk, in bytes.
    pub bytes: usize,
    /// Bytes of it the prompt holds (less than `bytes` when the budget ran out).
    pub included: usize,
    /// The text included.
    text: String,
}

/// The files the system prompt includes for `config` in `workspace` (with
/// `home` for the user's steering files), within the budget, in order.
pub fn context_files(
    config: &AgentConfig,
    workspace: &Path,
    home: Option<&Path>,
) -> Vec<ContextFile> {
    let resources = config
        .resources
        .iter()
        .flat_map(|resource| crate::config::skills::expand(&resource.value))
        .map(|path| ("resource", path));
    let steering = steering_files(workspace, home);
    let mut left = CONTEXT_BUDGET;
    let mut files = Vec::new();
    for (kind, path) in resources.chain(steering) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let bytes = text.len();
        let text = match bytes <= left {
            true => text,
            false => {
                let mut cut = left;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!(
                    "{}\n[… cut: {} of {bytes} bytes did not fit the {CONTEXT_BUDGET}-byte budget for included files …]",
                    &text[..cut],
                    bytes - cut
                )
            }
        };
        let included = bytes.min(left);
        left -= included;
        files.push(ContextFile {
            kind,
            path,
            bytes,
            included,
            text,
        });
    }
    files
}

/// Builds the system prompt for `config` in `workspace`.
pub fn system_prompt(
    config: &AgentConfig,
    workspace: &Path,
    home: Option<&Path>,
    tools: &[&str],
) -> String {
    let mut sections = vec![format!(
        "You are `{}`, a coding agent working in the repository at {}. Use the tools to read, change and check code; \
         finish your turn with a short summary of what you did.",
        config.name,
        workspace.display()
    )];
    if let Some(prompt) = &config.prompt {
        sections.push(prompt.clone());
    }
    for file in context_files(config, workspace, home) {
        let heading = match file.kind {
            "resource" => "File",
            _ => "Project guidance",
        };
        sections.push(format!(
            "## {heading} ({})\n{}",
            file.path.display(),
            file.text
        ));
    }
    sections.extend(skills_section(config, tools));
    sections.push(guardrails(config, tools));
    sections.join("\n\n")
}

/// The agent's skills, by name and description only: the model reads a
/// skill's file when a task calls for it (see `config::skills`).
fn skills_section(config: &AgentConfig, tools: &[&str]) -> Option<String> {
    let skills = crate::config::skills::skills(config);
    if skills.is_empty() || !tools.contains(&"read") {
        return None;
    }
    let mut text = String::from(
        "## Skills\nEach skill is a file of instructions for one kind of task. When a task matches a skill's description, read its file with the `read` tool (always allowed) and follow it.",
    );
    for skill in skills {
        let description = skill.description.unwrap_or_default();
        text.push_str(&format!(
            "\n- {}: {description} ({})",
            skill.name,
            skill.path.display()
        ));
    }
    Some(text)
}

/// `/context show`: each included file with its size.
pub fn describe_context(files: &[ContextFile]) -> String {
    if files.is_empty() {
        return "no files are loaded into the context\n".into();
    }
    let mut text = String::new();
    let mut total = 0;
    for file in files {
        total += file.included;
        let cut = match file.included < file.bytes {
            true => format!(" (cut to {} bytes)", file.included),
            false => String::new(),
        };
        text.push_str(&format!(
            "{:<9} {:>7} bytes  {}{cut}\n",
            file.kind,
            file.bytes,
            file.path.display()
        ));
    }
    text.push_str(&format!("{total} of {CONTEXT_BUDGET} bytes used\n"));
    text
}

/// `AGENTS.md`, then the steering files by name: the workspace's, and the
/// user's that the workspace has no file of the same name for.
fn steering_files(workspace: &Path, home: Option<&Path>) -> Vec<(&'static str, PathBuf)> {
    let mut files = vec![("AGENTS.md", workspace.join("AGENTS.md"))];
    let markdown_in = |folder: PathBuf| -> Vec<PathBuf> {
        std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "md"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let workspace_steering = markdown_in(workspace.join(".kiro/steering"));
    let mut by_name = std::collections::BTreeMap::new();
    for path in home
        .map(|h| markdown_in(h.join(".kiro/steering")))
        .unwrap_or_default()
        .into_iter()
        .chain(workspace_steering)
    {
        if let Some(name) = path.file_name() {
            by_name.insert(name.to_os_string(), path);
        }
    }
    files.extend(by_name.into_values().map(|p| ("steering", p)));
    files.into_iter().filter(|(_, f)| f.is_file()).collect()
}

pub(super) fn guardrails(config: &AgentConfig, tools: &[&str]) -> String {
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
