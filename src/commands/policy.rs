//! `agent policy check`: decide one tool call and explain the decision.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::cli::PolicyCheckArgs;
use crate::config::discover::workspace_root;
use crate::config::load;
use crate::paths::home_dir;
use crate::policy::{Decision, Mode, Policy, Reason, ToolCall, Trust};
use crate::ui::escape_control;

/// Decides the call described by `args` and prints the decision.
pub fn check(args: &PolicyCheckArgs) -> Outcome {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))?;
    let home = home_dir();
    let (validated, discovery) = load(&args.agent, &cwd, home.as_deref())?;
    for warning in discovery.warnings() {
        eprintln!("{warning}");
    }
    let input = tool_input(args)?;
    let workspace = args
        .workspace
        .clone()
        .unwrap_or_else(|| workspace_root(&cwd));
    let guardrails = crate::config::guardrails::load(&workspace, home.as_deref())?;
    let policy = Policy::new(validated.config, &workspace, home.as_deref())
        .with_guardrails(guardrails.clone());
    let trust = Trust {
        all_tools: args.trust_all_tools,
        tools: args.trust_tools.clone(),
        grants: Vec::new(),
        read_only: false,
    };
    let mode = if args.unattended {
        Mode::Unattended
    } else {
        Mode::Interactive
    };
    let call = ToolCall {
        tool: args.tool.clone(),
        input,
    };
    if let Some(parent) = &args.as_child_of {
        let (parent, _) = load(parent, &cwd, home.as_deref())?;
        let parent =
            Policy::new(parent.config, &workspace, home.as_deref()).with_guardrails(guardrails);
        let sides = Sides {
            child: &policy,
            parent: &parent,
            parent_trust: match args.inherit_trust {
                true => trust.clone(),
                false => Trust::default(),
            },
        };
        return sides.check(&call, &trust, mode, args.explain);
    }
    let decision = policy.decide(&call, &trust, mode);
    if args.explain {
        print!("{}", explain_tree(&call, &decision));
    } else {
        println!("{}", decision.to_json());
    }
    Ok(())
}

/// A child agent and its parent, for `--as-child-of`.
struct Sides<'a> {
    child: &'a Policy,
    parent: &'a Policy,
    parent_trust: Trust,
}

impl Sides<'_> {
    /// Decides `call` as the child would run it under the parent, and says
    /// which side's verdict decided: `child`, `parent` or `both`.
    fn check(&self, call: &ToolCall, trust: &Trust, mode: Mode, explain: bool) -> Outcome {
        let combined = self
            .child
            .clone()
            .as_child_of(self.parent, self.parent_trust.clone())
            .map_err(|e| Failure::usage(format!("error: {e}")))?;
        let decision = combined.decide(call, trust, mode);
        let child = self.child.decide(call, trust, mode).verdict();
        let parent = self.parent.decide(call, &self.parent_trust, mode).verdict();
        let verdict = decision.verdict();
        let decided_by = match (child == verdict, parent == verdict) {
            (true, true) => "both",
            (true, false) => "child",
            _ => "parent",
        };
        if explain {
            print!("{}", explain_tree(call, &decision));
            println!("decided by: {decided_by} (child alone: {child}, parent alone: {parent})");
            return Ok(());
        }
        let mut out = decision.to_json();
        out["decided_by"] = json!(decided_by);
        out["child"] = json!(child);
        out["parent"] = json!(parent);
        println!("{out}");
        Ok(())
    }
}

/// The tool input: `--input JSON`, or ARG placed where the tool expects it.
fn tool_input(args: &PolicyCheckArgs) -> Result<Value, Failure> {
    let arg = (!args.arg.is_empty()).then(|| args.arg.join(" "));
    match (&args.input, arg) {
        (Some(_), Some(_)) => Err(Failure::usage(
            "error: give either ARG or --input, not both",
        )),
        (Some(text), None) => serde_json::from_str(text).map_err(|e| {
            Failure::usage(format!(
                "error: --input is not valid JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ))
        }),
        (None, Some(arg)) => match crate::config::tools::canonical(&args.tool) {
            Some("shell") => Ok(json!({ "command": arg })),
            Some("write") => Ok(json!({ "command": "create", "path": arg, "content": "" })),
            Some("read" | "glob" | "grep") => Ok(json!({ "path": arg })),
            _ => Err(Failure::usage(format!(
                "error: for `{}`, give the input with --input JSON",
                args.tool
            ))),
        },
        (None, None) => Err(Failure::usage(format!(
            "error: say what `{}` would do: a command or path after the tool name, or --input JSON",
            args.tool
        ))),
    }
}

/// A readable tree: the call, then each subject (simple command or path)
/// with the reasons about it, then reasons about the call as a whole.
fn explain_tree(call: &ToolCall, decision: &Decision) -> String {
    let mut out = format!("{}  {} {}\n", decision.verdict(), call.tool, call.input);
    let mut by_subject: BTreeMap<usize, (String, Vec<&Reason>)> = BTreeMap::new();
    let mut general = Vec::new();
    let mut order: Vec<String> = Vec::new();
    for reason in decision.reasons() {
        match &reason.subject {
            Some(subject) => {
                let index = order.iter().position(|s| s == subject).unwrap_or_else(|| {
                    order.push(subject.clone());
                    order.len() - 1
                });
                by_subject
                    .entry(index)
                    .or_insert_with(|| (subject.clone(), Vec::new()))
                    .1
                    .push(reason);
            }
            None => general.push(reason),
        }
    }
    let count = by_subject.len() + general.len();
    let mut shown = 0;
    for (subject, reasons) in by_subject.values() {
        shown += 1;
        let (branch, stem) = if shown == count {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        let verdict = reasons
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(crate::policy::Verdict::Ask);
        out.push_str(&format!(
            "{branch} {verdict:<5} {}\n",
            escape_control(subject)
        ));
        for reason in reasons {
            out.push_str(&format!("{stem}      {}\n", describe(reason)));
        }
    }
    for reason in general {
        shown += 1;
        let branch = if shown == count { "└─" } else { "├─" };
        out.push_str(&format!(
            "{branch} {:<5} {}\n",
            reason.verdict,
            describe(reason)
        ));
    }
    out
}

fn describe(reason: &Reason) -> String {
    match (&reason.pattern, &reason.rule) {
        (Some(pattern), Some(rule)) => format!("{} (rule `{pattern}` at {rule})", reason.message),
        _ => reason.message.clone(),
    }
}
