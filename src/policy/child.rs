//! A child agent's policy: never wider than its parent's.
//!
//! A sub-agent runs under its own agent file *and* its parent's policy.
//! Every call is judged by both and the stricter verdict wins, so:
//! - a tool the parent lacks does not exist for the child either;
//! - every deny rule of either side applies;
//! - a call runs unasked only where both sides let it run unasked (the
//!   child's allow rules hold only inside the parent's);
//! - a write is inside the fence only when it is inside both fences, and
//!   the network is allowed only when both sides allow it (the sandbox
//!   applies the same intersection, [`crate::sandbox::Sandbox::within`]).
//!
//! The parent side is judged with the trust it is given here, by default
//! none: what a person trusted in the parent's session (`t`) does not
//! reach its children unless they say so. Children of children are
//! allowed down to [`MAX_DEPTH`].

use super::decision::{Judgement, Reason};
use super::{Decision, Mode, Policy, ToolCall, Trust};

/// How many levels of agents may run below the person's own session: a
/// child (1) and its child (2).
pub const MAX_DEPTH: usize = 2;

/// The parent side of a child's policy.
#[derive(Debug, Clone)]
pub(super) struct Parent {
    /// The parent agent's policy (itself a child's, for a grandchild).
    pub(super) policy: Policy,
    /// The trust the parent side is judged with.
    trust: Trust,
}

/// A child agent would run deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "agent `{child}` would run at depth {depth}, below the limit of {MAX_DEPTH} levels of sub-agents"
)]
pub struct TooDeep {
    /// The child agent's name.
    pub child: String,
    /// The depth it would have had.
    pub depth: usize,
}

impl Policy {
    /// This policy as a child of `parent`: every call is judged by both and
    /// the stricter verdict wins. `parent_trust` is the trust the parent
    /// side is judged with (pass `Trust::default()` unless the person asked
    /// for their session's trust to reach the children). Refused below
    /// [`MAX_DEPTH`].
    pub fn as_child_of(mut self, parent: &Policy, parent_trust: Trust) -> Result<Policy, TooDeep> {
        let depth = parent.depth() + 1;
        if depth > MAX_DEPTH {
            return Err(TooDeep {
                child: self.config.name.clone(),
                depth,
            });
        }
        self.parent = Some(Box::new(Parent {
            policy: parent.clone(),
            trust: parent_trust,
        }));
        Ok(self)
    }

    /// How many agents run above this one (0 for the person's own agent).
    pub fn depth(&self) -> usize {
        self.parent
            .as_ref()
            .map_or(0, |parent| parent.policy.depth() + 1)
    }

    /// The parent agent's policy, for a child agent.
    pub fn parent(&self) -> Option<&Policy> {
        self.parent.as_ref().map(|parent| &parent.policy)
    }
}

impl Parent {
    /// The stricter of `own` (the child's decision alone) and the parent's
    /// decision of the same call; every reason says which side gave it.
    pub(super) fn combine(
        &self,
        own: Decision,
        child: &str,
        call: &ToolCall,
        mode: Mode,
    ) -> Decision {
        let theirs = self.policy.decide(call, &self.trust, mode);
        let parent = &self.policy.config.name;
        let mut judgement = Judgement::default();
        for reason in own.reasons() {
            judgement.add(side(reason, &format!("child agent `{child}`")));
        }
        for reason in theirs.reasons() {
            judgement.add(side(reason, &format!("parent agent `{parent}`")));
        }
        judgement.decide(call, mode, false)
    }
}

fn side(reason: &Reason, who: &str) -> Reason {
    let mut reason = reason.clone();
    reason.message = format!("{who}: {}", reason.message);
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Verdict;
    use serde_json::json;

    fn policy(text: &str) -> Policy {
        let config =
            crate::config::validate_text(std::path::Path::new("a.json"), text).map(|v| v.config);
        let Ok(config) = config else {
            panic!("bad agent file: {text}");
        };
        Policy::new(config, std::path::Path::new("/w"), None)
    }

    fn shell(command: &str) -> ToolCall {
        ToolCall {
            tool: "shell".into(),
            input: json!({ "command": command }),
        }
    }

    #[test]
    fn the_stricter_side_decides() {
        let parent = policy(
            r#"{"name": "p", "tools": ["shell", "read"], "allowedTools": ["read"],
                "toolsSettings": {"shell": {"allowedCommands": ["ls"], "deniedCommands": ["rm .*"]}}}"#,
        );
        let child = policy(
            r#"{"name": "c", "tools": ["shell", "write"],
                "toolsSettings": {"shell": {"allowedCommands": ["rm .*", "ls", "pwd"]}}}"#,
        );
        let combined = child.as_child_of(&parent, Trust::default());
        let Ok(combined) = combined else {
            panic!("depth 1 is allowed");
        };
        let decide = |call: &ToolCall| combined.decide(call, &Trust::default(), Mode::Interactive);
        assert_eq!(decide(&shell("ls")).verdict(), Verdict::Allow);
        let rm = decide(&shell("rm -rf x"));
        assert_eq!(rm.verdict(), Verdict::Deny);
        assert!(rm.reasons()[0].message.starts_with("parent agent `p`"));
        assert_eq!(decide(&shell("pwd")).verdict(), Verdict::Ask);
        let write = ToolCall {
            tool: "write".into(),
            input: json!({"command": "create", "path": "a", "content": ""}),
        };
        assert_eq!(decide(&write).verdict(), Verdict::Deny);
        assert_eq!(combined.depth(), 1);
    }

    #[test]
    fn depth_is_limited() {
        let top = policy(r#"{"name": "a", "tools": ["read"]}"#);
        let mut chain = top;
        for depth in 1..=MAX_DEPTH {
            let next =
                policy(r#"{"name": "b", "tools": ["read"]}"#).as_child_of(&chain, Trust::default());
            let Ok(next) = next else {
                panic!("depth {depth} is allowed");
            };
            chain = next;
        }
        let too_deep =
            policy(r#"{"name": "c", "tools": ["read"]}"#).as_child_of(&chain, Trust::default());
        assert!(matches!(too_deep, Err(TooDeep { depth: 3, .. })));
    }
}
