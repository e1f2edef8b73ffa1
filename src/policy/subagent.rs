//! Judging a `subagent` call, as Kiro does: `availableAgents` refuses any
//! agent it does not name, and the call runs unasked when the tool is
//! pre-approved or every agent it starts is in `trustedAgents`.
//!
//! What the children then do is judged call by call under
//! [`Policy::as_child_of`](super::Policy::as_child_of); this only decides
//! whether they may start.

use serde_json::Value;

use crate::config::Rule;
use crate::config::patterns::wildcard;

use super::Policy;
use super::decision::{Judgement, Reason, Verdict};

/// The agent a task names when it names none.
pub const DEFAULT_AGENT: &str = "default";

/// The agents a `subagent` or `delegate` input would start: each task's
/// `agent_name` (Kiro's `InvokeSubagents`), each stage's `role` (the crew
/// form), or the `agent` of a `delegate` `launch`; [`DEFAULT_AGENT`] where
/// none is named. Empty for `ListAgents` and `delegate`'s `status`/`list`.
pub fn agents_started(input: &Value) -> Vec<String> {
    let named = |list: &Value, key: &str| -> Vec<String> {
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| item[key].as_str().unwrap_or(DEFAULT_AGENT).to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    if input.get("stages").is_some() {
        return named(&input["stages"], "role");
    }
    if input["operation"] == "launch" {
        let agent = input["agent"].as_str().unwrap_or(DEFAULT_AGENT);
        return vec![agent.to_string()];
    }
    match input["command"].as_str() {
        Some("InvokeSubagents") => named(&input["content"]["subagents"], "agent_name"),
        _ => Vec::new(),
    }
}

fn matching<'a>(rules: &'a [Rule<String>], name: &str) -> Option<&'a Rule<String>> {
    rules.iter().find(|rule| wildcard(&rule.value, name))
}

impl Policy {
    /// Whether `agent` may run as a sub-agent of this one
    /// (`availableAgents`; any agent when the list is absent).
    pub fn may_start(&self, agent: &str) -> bool {
        let available = &self.config.settings.subagent.available;
        available.is_empty() || matching(available, agent).is_some()
    }

    /// Judges starting the agents `input` names.
    pub(super) fn judge_subagent(
        &self,
        input: &Value,
        pre_approved: Option<&Reason>,
        judgement: &mut Judgement,
    ) {
        let rules = &self.config.settings.subagent;
        let agents = agents_started(input);
        if agents.is_empty() {
            judgement.add(
                pre_approved.cloned().unwrap_or_else(|| {
                    Reason::new(Verdict::Ask, "the tool is not in `allowedTools`")
                }),
            );
            return;
        }
        for agent in &agents {
            if !self.may_start(agent) {
                judgement.add(
                    Reason::new(
                        Verdict::Deny,
                        "not in `toolsSettings.subagent.availableAgents`",
                    )
                    .about(agent),
                );
            }
        }
        if let Some(pre) = pre_approved {
            judgement.add(pre.clone());
            return;
        }
        for agent in &agents {
            let reason = match matching(&rules.trusted, agent) {
                Some(rule) => Reason::new(Verdict::Allow, "in `trustedAgents`")
                    .citing(&rule.value, &rule.origin),
                None => Reason::new(
                    Verdict::Ask,
                    "neither the tool in `allowedTools` nor the agent in `trustedAgents`",
                ),
            };
            judgement.add(reason.about(agent));
        }
    }
}
