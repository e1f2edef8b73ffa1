//! The guardrail policy: the one place that decides whether a tool call
//! runs unasked, needs a person's approval, or is refused.
//!
//! It is pure apart from resolving paths: given the agent, the session's
//! trust, the mode and one call, it returns a [`Decision`] with the reasons
//! (which rule of which file matched, or what could not be judged). Only it
//! makes the [`Approval`] a tool needs to run.
//!
//! The order, for every tool:
//! 1. A tool not in the agent's `tools` does not exist: deny.
//! 2. Any deny rule that matches: deny. Deny wins over `allowedTools`, over
//!    trust, over every allow rule, in every mode.
//! 3. What may never run unasked (protected paths, credentials, what cannot
//!    be judged statically, privilege wrappers): ask.
//! 4. A tool with an allow-list (`allowedPaths`, `allowedCommands`) is
//!    fenced: inside the fence it runs unasked (even without
//!    `allowedTools`, as in Kiro); outside it asks, whatever `allowedTools`
//!    or trust say.
//! 5. Without a fence, `allowedTools` or trust lets it run; otherwise ask.
//! 6. Ask becomes deny with `denyByDefault` (shell) or when nobody can be
//!    asked (unattended).

pub mod aws;
pub mod child;
mod code;
mod command;
pub mod decision;
mod expand;
pub mod grant;
pub mod guardrails;
pub mod lint;
pub mod overview;
pub mod paths;
mod permissions;
pub mod protect;
pub mod readonly;
mod reads;
pub mod shell;
pub mod subagent;
pub mod tools;
pub mod web;

use std::path::Path;

/// Built-in tools that work only on the session itself (a scratchpad, the
/// todo lists, the documentation and rules, a local report draft, the
/// settings shown read-only, a child's result, the list of tools, a plan handed off): they run unasked, as in Kiro, but still
/// only when the agent's `tools` lists them, and deny rules still apply.
pub const INERT_TOOLS: &[&str] = &[
    "thinking",
    "todo_list",
    "introspect",
    "report_issue",
    "session",
    "summary",
    "tool_search",
    "switch_to_execution",
];

/// The tools plan mode lets run beside the inert ones: those that read
/// the workspace.
pub const READ_ONLY_TOOLS: &[&str] = &["read", "glob", "grep"];

use serde_json::Value;

use crate::config::patterns::ToolId;
use crate::config::{AgentConfig, agent};
pub use code::Hidden;
use decision::Judgement;
pub use decision::{Approval, Decision, Mode, Pending, Reason, ToolCall, Verdict};
pub use grant::{Breadth, Grant, TrustOption};
use paths::{PathRules, Roots, is_sensitive, protected_reason};
pub use tools::Trust;

/// One file tool's compiled path rules.
#[derive(Debug, Clone)]
struct FileFence {
    allowed: Option<PathRules>,
    denied: PathRules,
    allow_read_only: bool,
}

impl FileFence {
    fn compile(rules: &agent::PathRules, roots: &Roots) -> FileFence {
        FileFence {
            allowed: rules.allowed.as_ref().map(|r| PathRules::compile(r, roots)),
            denied: PathRules::compile(&rules.denied, roots),
            allow_read_only: rules.allow_read_only,
        }
    }
}

/// An agent's rules, compiled for one workspace.
#[derive(Debug, Clone)]
pub struct Policy {
    config: AgentConfig,
    roots: Roots,
    read: FileFence,
    write: FileFence,
    glob: FileFence,
    grep: FileFence,
    /// Paths a running goal made read-only (`/goal --protect`).
    goal_protected: Option<protect::PathGlobs>,
    /// The guardrails file's rules and the built-in secret patterns.
    guard: guardrails::Guard,
    /// Kiro 3 permission rules that restrict calls.
    permissions: permissions::Permissions,
    /// The parent agent's policy, for a child agent: the stricter verdict
    /// of the two decides every call (see [`child`]).
    parent: Option<Box<child::Parent>>,
    /// The agent's `SKILL.md` files, which `read` may always open.
    skills: PathRules,
}

impl Policy {
    /// Compiles `config`'s rules for the workspace at `workspace`, with `~`
    /// meaning `home`.
    pub fn new(config: AgentConfig, workspace: &Path, home: Option<&Path>) -> Policy {
        let roots = Roots::new(workspace, home);
        let settings = &config.settings;
        Policy {
            read: FileFence::compile(&settings.read, &roots),
            write: FileFence::compile(&settings.write, &roots),
            glob: FileFence::compile(&settings.glob, &roots),
            grep: FileFence::compile(&settings.grep, &roots),
            goal_protected: None,
            guard: guardrails::Guard::default(),
            permissions: permissions::Permissions::compile(&config.permissions, &roots),
            skills: PathRules::compile(&config.skills, &roots),
            parent: None,
            roots,
            config,
        }
    }

    /// The same policy with the guardrails file's rules (`kiro.json`) in
    /// force as well.
    pub fn with_guardrails(mut self, rules: crate::config::guardrails::Guardrails) -> Policy {
        self.guard = guardrails::Guard::compile(rules, &self.roots);
        self
    }

    /// `text` (a tool's output) with the secrets the built-in patterns
    /// recognise redacted, before the model or a log sees it.
    pub fn redact(&self, text: &str) -> String {
        guardrails::redact(text)
    }

    /// Makes the paths `globs` covers read-only while a goal runs (`None`
    /// when it ends): a write there, by the write tool or a shell
    /// redirection, is denied.
    pub fn protect_for_goal(&mut self, globs: Option<protect::PathGlobs>) {
        self.goal_protected = globs;
    }

    /// Whether a file a shell command changed lies inside
    /// `write.allowedPaths` (always, when the agent has none): the fence
    /// audit's test, to the glob, of what the sandbox enforces by folder.
    pub fn inside_write_fence(&self, path: &Path) -> bool {
        let parent_allows = self
            .parent
            .as_ref()
            .is_none_or(|parent| parent.policy.inside_write_fence(path));
        parent_allows && self.inside_own_write_fence(path)
    }

    fn inside_own_write_fence(&self, path: &Path) -> bool {
        match &self.write.allowed {
            None => true,
            Some(rules) => {
                let resolved = self.roots.resolve(&path.to_string_lossy());
                rules.matching(&resolved, &self.roots).is_some()
            }
        }
    }

    /// The agent this policy enforces.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// Decides one tool call (for a child agent, together with its
    /// parent's policy: the stricter verdict wins).
    pub fn decide(&self, call: &ToolCall, trust: &Trust, mode: Mode) -> Decision {
        let own = self.decide_own(call, trust, mode);
        match &self.parent {
            Some(parent) => parent.combine(own, &self.config.name, call, mode),
            None => own,
        }
    }

    /// Decides one tool call by this agent's own rules alone.
    fn decide_own(&self, call: &ToolCall, trust: &Trust, mode: Mode) -> Decision {
        let mut judgement = Judgement::default();
        let Some(tool) = tools::tool_id(&call.tool) else {
            judgement.add(Reason::new(
                Verdict::Deny,
                format!("there is no tool named `{}`", call.tool),
            ));
            return judgement.decide(call, mode, false);
        };
        if !tools::exists(&self.config, tool) {
            judgement.add(Reason::new(
                Verdict::Deny,
                format!("`{}` is not one of this agent's `tools`", call.tool),
            ));
            return judgement.decide(call, mode, false);
        }
        if trust.read_only && !reads_only(tool) {
            judgement.add(Reason::new(
                Verdict::Deny,
                "the session is in plan mode: only tools that read run",
            ));
            return judgement.decide(call, mode, false);
        }
        let pre_approved = tools::pre_approval(&self.config, trust, tool);
        self.guard.judge_call(tool, &call.input, &mut judgement);
        self.permissions
            .judge(tool, &call.input, &self.roots, &mut judgement);
        self.judge_doubts(tool, &call.tool, &mut judgement);
        let mut deny_by_default = false;
        match tool {
            ToolId::Builtin("shell") => {
                deny_by_default = self.config.settings.shell.deny_by_default;
                match string_input(&call.input, "command") {
                    Ok(line) => {
                        self.judge_shell(line, pre_approved.as_ref(), trust, &mut judgement)
                    }
                    Err(reason) => judgement.add(*reason),
                }
            }
            ToolId::Builtin("write") => match string_input(&call.input, "path") {
                Ok(path) => {
                    let granted = Some(trust);
                    self.judge_write_path_with(
                        path,
                        pre_approved.as_ref(),
                        granted,
                        &mut judgement,
                    );
                }
                Err(reason) => judgement.add(*reason),
            },
            ToolId::Builtin("subagent") => {
                self.judge_subagent(&call.input, pre_approved.as_ref(), &mut judgement)
            }
            ToolId::Builtin("delegate") if call.input["operation"] != "launch" => judgement.add(
                Reason::new(
                    Verdict::Allow,
                    "it reads the state of this session's delegated agents; the changes it brings back are judged as `write` calls, one by one",
                ),
            ),
            ToolId::Builtin("delegate") => {
                self.judge_subagent(&call.input, pre_approved.as_ref(), &mut judgement)
            }
            ToolId::Builtin("code") => {
                self.judge_code(&call.input, pre_approved.as_ref(), trust, &mut judgement)
            }
            ToolId::Builtin(name @ ("read" | "glob" | "grep")) => {
                let path = optional_path(&call.input, name);
                match path {
                    Ok(path) => self.judge_read_path(
                        name,
                        path,
                        pre_approved.as_ref(),
                        trust,
                        &mut judgement,
                    ),
                    Err(reason) => judgement.add(*reason),
                }
            }
            ToolId::Builtin(name) if INERT_TOOLS.contains(&name) => judgement.add(Reason::new(
                Verdict::Allow,
                "it changes nothing of yours and reads nothing outside the session",
            )),
            ToolId::Builtin("knowledge") => {
                self.judge_knowledge(&call.input, pre_approved.as_ref(), trust, &mut judgement)
            }
            ToolId::Builtin("use_aws") => aws::judge_aws(
                &self.config.settings.aws,
                &call.input,
                pre_approved.as_ref(),
                &mut judgement,
            ),
            ToolId::Builtin("web_fetch") => match string_input(&call.input, "url") {
                Ok(url) => web::judge_url(
                    &self.config.settings.web_fetch,
                    url,
                    pre_approved.as_ref(),
                    &mut judgement,
                ),
                Err(reason) => judgement.add(*reason),
            },
            _ => {
                judgement.add(pre_approved.unwrap_or_else(|| {
                    Reason::new(Verdict::Ask, "the tool is not in `allowedTools`")
                }))
            }
        }
        judgement.decide(call, mode, deny_by_default)
    }

    /// Whether a rule denies reading `path` (`deniedPaths`, credentials,
    /// `kiro.json`, Kiro 3 `permissions`), whatever the agent's `tools`
    /// say: for tools that find files themselves, such as `knowledge`
    /// indexing a folder, so that what a rule keeps from `read` they never
    /// see either.
    pub fn read_denied(&self, path: &Path) -> bool {
        let mut judgement = Judgement::default();
        let tool = ToolId::Builtin("read");
        let input = serde_json::json!({ "path": path });
        self.guard.judge_call(tool, &input, &mut judgement);
        self.permissions
            .judge(tool, &input, &self.roots, &mut judgement);
        let raw = path.to_string_lossy();
        self.judge_read_path("read", &raw, None, &Trust::default(), &mut judgement);
        judgement.verdict() == Verdict::Deny
    }

    /// `knowledge`: searching and listing read only the agent's own index
    /// (what went into it was judged when it was added); adding or
    /// updating from a folder or file is a read of it; adding text, and
    /// removing contexts, follow `allowedTools` and otherwise ask.
    fn judge_knowledge(
        &self,
        input: &Value,
        pre_approved: Option<&Reason>,
        trust: &Trust,
        judgement: &mut Judgement,
    ) {
        let command = input.get("command").and_then(Value::as_str).unwrap_or("");
        let source = match command {
            "search" | "show" | "status" | "cancel" => {
                return judgement.add(Reason::new(
                    Verdict::Allow,
                    "it reads only the agent's own knowledge index",
                ));
            }
            "add" => input.get("value").and_then(Value::as_str),
            "update" => input.get("path").and_then(Value::as_str),
            _ => None,
        };
        match source.filter(|raw| self.roots.resolve(raw).exists()) {
            Some(path) => self.judge_read_path("read", path, pre_approved, trust, judgement),
            None => {
                judgement.add(pre_approved.cloned().unwrap_or_else(|| {
                    Reason::new(Verdict::Ask, "the tool is not in `allowedTools`")
                }))
            }
        }
    }

    /// What the agent file leaves in doubt makes the call stricter: a tool
    /// whose settings were not fully understood asks (or, for a broken
    /// `shell` entry, is refused), and a `preToolUse` hook that will not run
    /// makes the calls it would have judged ask.
    fn judge_doubts(&self, tool: ToolId<'_>, name: &str, judgement: &mut Judgement) {
        if let ToolId::Builtin(builtin) = tool
            && let Some(doubt) = self.config.settings.doubts.get(builtin)
        {
            let verdict = match doubt.deny {
                true => Verdict::Deny,
                false => Verdict::Ask,
            };
            let reason = Reason::new(verdict, doubt.why.clone()).citing(builtin, &doubt.origin);
            judgement.add(reason);
        }
        let unrun = self.config.unrun_pre_tool_hooks.iter();
        if let Some(matcher) = unrun
            .clone()
            .find(|m| tools::hook_selects(m.as_deref(), name))
        {
            let shown = matcher.as_deref().unwrap_or("every tool");
            judgement.add(Reason::new(
                Verdict::Ask,
                format!("a preToolUse hook (matcher `{shown}`) that would judge this call does not run (the workspace is not trusted), so the call asks"),
            ));
        }
    }

    /// Judges a write to `raw` as the shell's redirections and writing
    /// commands need it: against the `write` tool's rules, pre-approved
    /// when the `write` tool is. Grants made for the `write` tool do not
    /// reach the shell's writes.
    fn judge_write_path(&self, raw: &str, judgement: &mut Judgement) {
        let pre = tools::pre_approval(&self.config, &Trust::default(), ToolId::Builtin("write"));
        self.judge_write_path_with(raw, pre.as_ref(), None, judgement);
    }

    /// Judges a write to `raw`; `granted` is the trust whose `write` grants
    /// apply (the write tool's own calls).
    fn judge_write_path_with(
        &self,
        raw: &str,
        pre_approved: Option<&Reason>,
        granted: Option<&Trust>,
        judgement: &mut Judgement,
    ) {
        let resolved = self.roots.resolve(raw);
        let shown = resolved.display().to_string();
        if let Some(rule) = self.write.denied.matching(&resolved, &self.roots) {
            judgement.add(
                Reason::new(Verdict::Deny, "matches `write.deniedPaths`")
                    .about(&shown)
                    .citing(&rule.value, &rule.origin),
            );
            return;
        }
        if let Some(pattern) = self.goal_protected_pattern(&resolved) {
            judgement.add(
                Reason::new(
                    Verdict::Deny,
                    format!("protected for the goal (`--protect {pattern}`)"),
                )
                .about(&shown),
            );
            return;
        }
        self.guard
            .judge_write_path(&resolved, &self.roots, judgement);
        if let Some(what) = protected_reason(&resolved, &self.roots) {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    format!("a protected path, never written unasked: {what}"),
                )
                .about(&shown),
            );
            return;
        }
        if let Some(reason) = granted.and_then(|t| t.path_grant("write", &resolved)) {
            judgement.add(reason.about(&shown));
            return;
        }
        self.judge_fence(
            &self.write,
            &resolved,
            "write.allowedPaths",
            pre_approved,
            judgement,
        );
    }

    fn judge_read_path(
        &self,
        tool: &str,
        raw: &str,
        pre_approved: Option<&Reason>,
        trust: &Trust,
        judgement: &mut Judgement,
    ) {
        let resolved = self.roots.resolve(raw);
        let shown = resolved.display().to_string();
        let fence = match tool {
            "glob" => &self.glob,
            "grep" => &self.grep,
            _ => &self.read,
        };
        for (denied, key) in [
            (&fence.denied, format!("{tool}.deniedPaths")),
            (&self.read.denied, "read.deniedPaths".into()),
        ] {
            if let Some(rule) = denied.matching(&resolved, &self.roots) {
                judgement.add(
                    Reason::new(Verdict::Deny, format!("matches `{key}`"))
                        .about(&shown)
                        .citing(&rule.value, &rule.origin),
                );
                return;
            }
        }
        if is_sensitive(&resolved, &self.roots) {
            judgement
                .add(Reason::new(Verdict::Ask, "credentials are never read unasked").about(&shown));
            return;
        }
        if tool == "read"
            && let Some(rule) = self.skills.matching(&resolved, &self.roots)
        {
            judgement.add(
                Reason::new(
                    Verdict::Allow,
                    "a skill of this agent (`skill://` resource)",
                )
                .about(&shown)
                .citing(&rule.value, &rule.origin),
            );
            return;
        }
        if fence.allow_read_only {
            judgement.add(
                Reason::new(Verdict::Allow, format!("`{tool}.allowReadOnly` is set")).about(&shown),
            );
            return;
        }
        if let Some(reason) = trust.path_grant(tool, &resolved) {
            judgement.add(reason.about(&shown));
            return;
        }
        self.judge_fence(
            fence,
            &resolved,
            &format!("{tool}.allowedPaths"),
            pre_approved,
            judgement,
        );
    }

    fn goal_protected_pattern(&self, resolved: &Path) -> Option<&str> {
        let globs = self.goal_protected.as_ref()?;
        let relative = resolved.strip_prefix(&self.roots.workspace).ok()?;
        globs.matching(relative)
    }

    /// Inside a fence: allow. Outside: ask. No fence: pre-approval decides.
    fn judge_fence(
        &self,
        fence: &FileFence,
        resolved: &Path,
        key: &str,
        pre_approved: Option<&Reason>,
        judgement: &mut Judgement,
    ) {
        let shown = resolved.display().to_string();
        match (&fence.allowed, pre_approved) {
            (Some(allowed), _) => match allowed.matching(resolved, &self.roots) {
                Some(rule) => judgement.add(
                    Reason::new(Verdict::Allow, format!("inside `{key}`"))
                        .about(&shown)
                        .citing(&rule.value, &rule.origin),
                ),
                None => judgement.add(
                    Reason::new(
                        Verdict::Ask,
                        format!("outside the fence: `{key}` does not cover it"),
                    )
                    .about(&shown),
                ),
            },
            (None, Some(pre)) => judgement.add(pre.clone().about(&shown)),
            (None, None) => judgement
                .add(Reason::new(Verdict::Ask, "the tool is not in `allowedTools`").about(&shown)),
        }
    }
}

fn string_input<'a>(input: &'a Value, key: &str) -> Result<&'a str, Box<Reason>> {
    input.get(key).and_then(Value::as_str).ok_or_else(|| {
        Box::new(Reason::new(
            Verdict::Deny,
            format!("the input has no `{key}` string"),
        ))
    })
}

/// `read` needs a path; `glob` and `grep` default to the workspace.
fn optional_path<'a>(input: &'a Value, tool: &str) -> Result<&'a str, Box<Reason>> {
    match input.get("path") {
        None | Some(Value::Null) if tool != "read" => Ok("."),
        _ => string_input(input, "path"),
    }
}

/// Whether plan mode lets `tool` run: it reads the workspace or changes
/// nothing of yours.
fn reads_only(tool: ToolId<'_>) -> bool {
    matches!(tool, ToolId::Builtin(name) if READ_ONLY_TOOLS.contains(&name) || INERT_TOOLS.contains(&name))
}
