//! Model profiles. A `local/NAME` model (a small model on this machine,
//! served by llama.cpp with an 8k-token window per request in mind) gets the
//! compact profile: a shorter system prompt without included files, tool
//! descriptions cut to their first sentence, a conversation kept within
//! 8k tokens, shorter replies, and on turns that must act a request that
//! demands a tool call (`tool_choice: "required"`). Every other model gets
//! the standard profile.

use std::path::Path;

use crate::config::AgentConfig;
use crate::provider::ToolDefinition;

/// How prompts and requests are shaped for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Hosted models with large windows.
    Standard,
    /// Small local models (`local/NAME`).
    Compact,
}

/// The window the compact profile keeps the conversation within.
pub const COMPACT_CONTEXT_TOKENS: usize = 8192;
/// The longest reply the compact profile asks for.
const COMPACT_REPLY_TOKENS: u32 = 1024;
/// The longest reply the standard profile asks for.
const STANDARD_REPLY_TOKENS: u32 = 8192;

impl Profile {
    /// The profile of `model_id`.
    pub fn of(model_id: &str) -> Profile {
        match model_id.starts_with("local/") {
            true => Profile::Compact,
            false => Profile::Standard,
        }
    }

    /// The most tokens a reply may have.
    pub fn reply_tokens(self) -> u32 {
        match self {
            Profile::Standard => STANDARD_REPLY_TOKENS,
            Profile::Compact => COMPACT_REPLY_TOKENS,
        }
    }

    /// Whether a turn that must act may demand a tool call: only the
    /// local OpenAI-compatible servers of the compact profile are asked.
    pub fn demands_tools(self) -> bool {
        self == Profile::Compact
    }

    /// The tool definitions as this profile offers them.
    pub fn definitions(self, definitions: Vec<ToolDefinition>) -> Vec<ToolDefinition> {
        match self {
            Profile::Standard => definitions,
            Profile::Compact => definitions
                .into_iter()
                .map(|d| ToolDefinition {
                    description: first_sentence(&d.description),
                    ..d
                })
                .collect(),
        }
    }
}

/// The compact system prompt: who the agent is, its own prompt, how to
/// act, and the guardrails; no included files or skills.
pub fn compact_system_prompt(config: &AgentConfig, workspace: &Path, tools: &[&str]) -> String {
    let mut sections = vec![format!(
        "You are `{}`, a coding agent in the repository at {}. Act with tool calls, one at a time. To change a file call `write` with the whole new content (command `create`). When the work is done, reply with one short sentence.",
        config.name,
        workspace.display()
    )];
    if let Some(prompt) = &config.prompt {
        sections.push(prompt.clone());
    }
    sections.push(super::prompt::guardrails(config, tools));
    sections.join("\n\n")
}

/// The text up to and including its first sentence's full stop.
fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text[..=end].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_models_get_the_compact_profile() {
        assert_eq!(Profile::of("local/qwen"), Profile::Compact);
        assert_eq!(Profile::of("openai/gpt-4.1"), Profile::Standard);
        let long = ToolDefinition {
            name: "write".into(),
            description: "Change a file. It returns a diff. More words.".into(),
            input_schema: serde_json::json!({}),
        };
        let short = Profile::Compact.definitions(vec![long.clone()]);
        assert_eq!(short[0].description, "Change a file.");
        assert_eq!(Profile::Standard.definitions(vec![long.clone()]), [long]);
    }
}
