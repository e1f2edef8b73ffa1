//! Decisions, their reasons, and the proof of approval a tool needs to run.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::config::Origin;

/// Whether someone can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A person answers questions: what needs approval is asked.
    Interactive,
    /// Nobody can be asked (`--no-interactive`, CI): what needs approval is refused.
    Unattended,
}

/// The three outcomes, ordered by strictness: combining two verdicts keeps
/// the stricter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Runs unasked.
    Allow,
    /// Needs a person's approval.
    Ask,
    /// Refused.
    Deny,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        })
    }
}

/// One reason behind a decision: what it pushes toward, why, and which rule
/// of which file (if a rule) said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The verdict this reason alone would give.
    pub verdict: Verdict,
    /// What happened, for a person.
    pub message: String,
    /// The simple command or path it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The rule's text (a regex, a glob, a tool pattern).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Where the rule is written: `file:line:column json.path`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "origin_text"
    )]
    pub rule: Option<Origin>,
}

fn origin_text<S: serde::Serializer>(origin: &Option<Origin>, s: S) -> Result<S::Ok, S::Error> {
    match origin {
        Some(origin) => s.serialize_str(&origin.to_string()),
        None => s.serialize_none(),
    }
}

impl Reason {
    /// A reason not tied to a rule.
    pub fn new(verdict: Verdict, message: impl Into<String>) -> Reason {
        Reason {
            verdict,
            message: message.into(),
            subject: None,
            pattern: None,
            rule: None,
        }
    }

    /// The same reason about `subject`.
    pub fn about(mut self, subject: impl Into<String>) -> Reason {
        self.subject = Some(subject.into());
        self
    }

    /// The same reason citing the rule `pattern` written at `origin`.
    pub fn citing(mut self, pattern: &str, origin: &Origin) -> Reason {
        self.pattern = Some(pattern.to_string());
        self.rule = Some(origin.clone());
        self
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.verdict, self.message)?;
        if let Some(subject) = &self.subject {
            write!(f, " [{subject}]")?;
        }
        if let (Some(pattern), Some(rule)) = (&self.pattern, &self.rule) {
            write!(f, " (rule `{pattern}` at {rule})")?;
        }
        Ok(())
    }
}

/// A tool call as the model made it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The tool's model-facing name (`shell`, `write`, `@server/tool`).
    pub tool: String,
    /// Its JSON input.
    pub input: Value,
}

/// Proof that the policy (or a person, through it) approved one exact tool
/// call. Only this module can make one, and a tool refuses to run without
/// one that covers the call it is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    call: ToolCall,
    by_person: bool,
}

impl Approval {
    pub(super) fn new(call: &ToolCall) -> Approval {
        Approval {
            call: call.clone(),
            by_person: false,
        }
    }

    /// True when the call is a `shell` command line that the policy's
    /// closed-world tables judge read-only: every simple command in it is
    /// a listed read-only program with read-only options, nothing in it
    /// redirects into a file, and nothing is left to run time. It can then
    /// run with nothing writable, and no checkpoint need look for what it
    /// changed (see the dispatcher).
    pub fn read_only(&self) -> bool {
        self.call.tool == "shell"
            && self.call.input["command"]
                .as_str()
                .is_some_and(super::command::line_is_read_only)
    }

    /// True when this approval is for exactly `call` (same tool, same input).
    pub fn covers(&self, call: &ToolCall) -> bool {
        &self.call == call
    }

    /// True when a person approved it (rather than a rule).
    pub fn by_person(&self) -> bool {
        self.by_person
    }
}

/// A call waiting for a person's answer. Approving it is the only way from
/// `Ask` to an [`Approval`]; a denied call has no such door.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    call: ToolCall,
}

impl Pending {
    /// The person said yes to this one call.
    pub fn approve(self) -> Approval {
        Approval {
            call: self.call,
            by_person: true,
        }
    }

    /// The call being asked about.
    pub fn call(&self) -> &ToolCall {
        &self.call
    }
}

/// What the policy decided about one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Runs unasked; the approval goes to the tool.
    Allow {
        /// The proof the tool needs.
        approval: Approval,
        /// Why it may run.
        reasons: Vec<Reason>,
    },
    /// Needs a person's approval.
    Ask {
        /// What to approve.
        pending: Pending,
        /// Why it asks.
        reasons: Vec<Reason>,
    },
    /// Refused.
    Deny {
        /// Why.
        reasons: Vec<Reason>,
    },
}

impl Decision {
    /// Allow, ask or deny.
    pub fn verdict(&self) -> Verdict {
        match self {
            Decision::Allow { .. } => Verdict::Allow,
            Decision::Ask { .. } => Verdict::Ask,
            Decision::Deny { .. } => Verdict::Deny,
        }
    }

    /// The reasons, strictest first.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Decision::Allow { reasons, .. }
            | Decision::Ask { reasons, .. }
            | Decision::Deny { reasons } => reasons,
        }
    }

    /// The same decision with `reason` added, which can only make it
    /// stricter (a hook's verdict): allow becomes ask or deny, ask becomes
    /// deny, and nothing becomes allow. An ask that results when nobody can
    /// be asked (`mode` unattended) is a deny.
    pub fn tighten(self, reason: Reason, mode: Mode) -> Decision {
        let (call, mut reasons) = match self {
            Decision::Allow { approval, reasons } => (approval.call, reasons),
            Decision::Ask { pending, reasons } => (pending.call, reasons),
            Decision::Deny { mut reasons } => {
                reasons.push(reason);
                reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict));
                return Decision::Deny { reasons };
            }
        };
        reasons.push(reason);
        Judgement { reasons }.decide(&call, mode, false)
    }

    /// `{"decision": "allow"|"ask"|"deny", "reasons": [...]}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "decision": self.verdict(),
            "reasons": self.reasons(),
        })
    }
}

/// Reasons gathered while judging one call; the verdict is the strictest.
#[derive(Debug, Default)]
pub(super) struct Judgement {
    reasons: Vec<Reason>,
}

impl Judgement {
    pub(super) fn add(&mut self, reason: Reason) {
        self.reasons.push(reason);
    }

    pub(super) fn verdict(&self) -> Verdict {
        self.reasons
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Ask)
    }

    /// Turns the judgement into a decision for `call` in `mode`: what needs
    /// approval is refused when nobody can be asked, or when `deny_by_default`.
    pub(super) fn decide(mut self, call: &ToolCall, mode: Mode, deny_by_default: bool) -> Decision {
        if self.reasons.is_empty() {
            self.add(Reason::new(Verdict::Ask, "no rule allows this call"));
        }
        let mut verdict = self.verdict();
        if verdict == Verdict::Ask && deny_by_default {
            self.add(Reason::new(
                Verdict::Deny,
                "`denyByDefault` refuses what no rule allows",
            ));
            verdict = Verdict::Deny;
        }
        if verdict == Verdict::Ask && mode == Mode::Unattended {
            self.add(Reason::new(
                Verdict::Deny,
                "needs approval, and nobody can be asked (unattended)",
            ));
            verdict = Verdict::Deny;
        }
        let mut reasons = self.reasons;
        reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict));
        match verdict {
            Verdict::Allow => Decision::Allow {
                approval: Approval::new(call),
                reasons,
            },
            Verdict::Ask => Decision::Ask {
                pending: Pending { call: call.clone() },
                reasons,
            },
            Verdict::Deny => Decision::Deny { reasons },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Decision {
        let call = ToolCall {
            tool: "shell".into(),
            input: serde_json::json!({"command": "ls"}),
        };
        let mut judgement = Judgement::default();
        judgement.add(Reason::new(Verdict::Allow, "allowed"));
        judgement.decide(&call, Mode::Interactive, false)
    }

    #[test]
    fn only_a_read_only_command_line_makes_a_read_only_approval() {
        let approval = |tool: &str, command: &str| {
            Approval::new(&ToolCall {
                tool: tool.into(),
                input: serde_json::json!({ "command": command }),
            })
        };
        for line in ["ls src", "cat a.py | grep x", "git status && wc -l a"] {
            assert!(approval("shell", line).read_only(), "{line}");
        }
        for line in [
            "touch a",
            "ls > out.txt",
            "cat $(echo a)",
            "python -c 'print(1)'",
            "X=1 ls",
            "",
            "sort -o out a",
        ] {
            assert!(!approval("shell", line).read_only(), "{line}");
        }
        assert!(!approval("write", "ls").read_only());
    }

    #[test]
    fn tighten_never_loosens() {
        let denied = Decision::Deny {
            reasons: vec![Reason::new(Verdict::Deny, "rule")],
        };
        let still = denied.tighten(Reason::new(Verdict::Allow, "hook"), Mode::Interactive);
        assert_eq!(still.verdict(), Verdict::Deny);
        let same = allowed().tighten(Reason::new(Verdict::Allow, "hook"), Mode::Interactive);
        assert_eq!(same.verdict(), Verdict::Allow);
        let asked = allowed().tighten(Reason::new(Verdict::Ask, "hook"), Mode::Interactive);
        assert_eq!(asked.verdict(), Verdict::Ask);
        let refused = allowed().tighten(Reason::new(Verdict::Ask, "hook"), Mode::Unattended);
        assert_eq!(refused.verdict(), Verdict::Deny);
        let blocked = asked.tighten(Reason::new(Verdict::Deny, "hook"), Mode::Interactive);
        assert_eq!(blocked.verdict(), Verdict::Deny);
        assert_eq!(blocked.reasons()[0].message, "hook");
    }
}
