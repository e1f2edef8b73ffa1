//! Hooks: commands an agent file runs at points of a session's life
//! (Kiro's V2 format), with stricter failure rules than Kiro's.
//!
//! - `agentSpawn` (once, before the first turn) and `userPromptSubmit`
//!   (each prompt): exit 0 and their stdout joins the model's context.
//! - `preToolUse`: runs after the policy decided, before the call. Exit 2
//!   blocks the call and its stderr goes to the model; stdout
//!   `{"decision": "allow"|"ask"|"deny", "reason": …}` can only make the
//!   decision stricter. A hook that times out or cannot start blocks the call
//!   unless it says `"failOpen": true`.
//! - `postToolUse` (after each call, with its result) and `stop` (turn end):
//!   their output is only shown when they fail.
//!
//! Other exit codes are warnings. Results are cached for
//! `cache_ttl_seconds`, keyed by the hook and its whole input (tool input
//! included). Repository hooks only get here once the workspace is trusted
//! (see [`trust`]).

pub mod matcher;
pub mod runner;
pub mod trust;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::model::{Hook, Hooks};
use crate::policy::{Reason, Verdict};
use runner::HookRun;

/// Milliseconds a hook may run when it does not say.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Bytes of a hook's output kept when it does not say.
pub const DEFAULT_MAX_OUTPUT: u64 = 10_240;

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Once, when the session starts.
    AgentSpawn,
    /// For each prompt.
    UserPromptSubmit,
    /// Before each tool call, after the policy decided.
    PreToolUse,
    /// After each tool call that ran.
    PostToolUse,
    /// When the model ends its turn.
    Stop,
}

impl Trigger {
    /// The name used in agent files and in the hook's input.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::AgentSpawn => "agentSpawn",
            Trigger::UserPromptSubmit => "userPromptSubmit",
            Trigger::PreToolUse => "preToolUse",
            Trigger::PostToolUse => "postToolUse",
            Trigger::Stop => "stop",
        }
    }
}

/// Every hook of an agent, by trigger, in file order.
pub fn listed(hooks: &Hooks) -> Vec<(Trigger, &Hook)> {
    let groups = [
        (Trigger::AgentSpawn, &hooks.agent_spawn),
        (Trigger::UserPromptSubmit, &hooks.user_prompt_submit),
        (Trigger::PreToolUse, &hooks.pre_tool_use),
        (Trigger::PostToolUse, &hooks.post_tool_use),
        (Trigger::Stop, &hooks.stop),
    ];
    groups
        .into_iter()
        .flat_map(|(trigger, list)| list.iter().map(move |hook| (trigger, hook)))
        .collect()
}

/// A cached hook result and when it was taken.
type Cache = Arc<Mutex<HashMap<String, (Instant, HookRun)>>>;

/// The hooks a session runs, and what they need to run.
#[derive(Debug, Clone, Default)]
pub struct HookSet {
    hooks: Vec<(Trigger, Hook)>,
    cwd: PathBuf,
    env: Vec<(OsString, OsString)>,
    /// The saved session's id, passed to hooks as `session_id`.
    pub session_id: String,
    cache: Cache,
}

/// What the engine shows about a hook that did not simply succeed.
pub type Warnings = Vec<String>;

impl HookSet {
    /// The hooks of `hooks`, run in `cwd` with the environment `env`.
    pub fn new(hooks: &Hooks, cwd: PathBuf, env: Vec<(OsString, OsString)>) -> HookSet {
        HookSet {
            hooks: listed(hooks)
                .into_iter()
                .map(|(t, h)| (t, h.clone()))
                .collect(),
            cwd,
            env,
            session_id: String::new(),
            cache: Cache::default(),
        }
    }

    /// True when no hook would ever run.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// One line per hook: trigger, matcher, command, limits (`/hooks`).
    pub fn describe(&self) -> String {
        if self.hooks.is_empty() {
            return "no hooks run in this session\n".into();
        }
        let mut text = String::new();
        for (trigger, hook) in &self.hooks {
            let matcher = hook
                .matcher
                .as_deref()
                .map(|m| format!(" [{m}]"))
                .unwrap_or_default();
            let fail_open = match hook.fail_open {
                Some(true) => ", fails open",
                _ => "",
            };
            text.push_str(&format!(
                "{}{matcher}: {}  (timeout {} ms, cache {} s{fail_open})\n",
                trigger.name(),
                hook.command,
                hook.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
                hook.cache_ttl_seconds.unwrap_or(0),
            ));
        }
        text
    }

    /// Runs the `agentSpawn` hooks; their output, for the context.
    pub async fn agent_spawn(&self) -> (Vec<String>, Warnings) {
        self.context_hooks(Trigger::AgentSpawn, json!({})).await
    }

    /// Runs the `userPromptSubmit` hooks for `prompt`; their output, for the
    /// context.
    pub async fn user_prompt_submit(&self, prompt: &str) -> (Vec<String>, Warnings) {
        self.context_hooks(Trigger::UserPromptSubmit, json!({ "prompt": prompt }))
            .await
    }

    /// Runs the `preToolUse` hooks that select `tool`. Returns the reasons
    /// that make the call's decision stricter (a block is a deny), and
    /// warnings.
    pub async fn pre_tool_use(&self, tool: &str, input: &Value) -> (Vec<Reason>, Warnings) {
        let fields = json!({ "tool_name": tool, "tool_input": input });
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        for (hook, run) in self.run_selected(Trigger::PreToolUse, tool, fields).await {
            let command = &hook.command;
            match run {
                HookRun::Exited {
                    code: Some(2),
                    stderr,
                    ..
                } => reasons.push(Reason::new(
                    Verdict::Deny,
                    format!(
                        "blocked by the preToolUse hook `{command}`: {}",
                        quoted(&stderr)
                    ),
                )),
                HookRun::Exited {
                    code: Some(0),
                    stdout,
                    ..
                } => reasons.extend(stated_decision(command, &stdout)),
                HookRun::Exited { code, stderr, .. } => {
                    warnings.push(failed(Trigger::PreToolUse, command, code, &stderr));
                }
                HookRun::TimedOut | HookRun::FailedToStart(_) => {
                    let what = match &run {
                        HookRun::FailedToStart(why) => format!("could not start ({why})"),
                        _ => format!(
                            "timed out after {} ms and was killed",
                            hook.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)
                        ),
                    };
                    if hook.fail_open == Some(true) {
                        warnings.push(format!(
                            "the preToolUse hook `{command}` {what}; the call goes on (`failOpen`)"
                        ));
                    } else {
                        reasons.push(Reason::new(
                            Verdict::Deny,
                            format!(
                                "the preToolUse hook `{command}` {what}, so the call is blocked (hooks fail closed unless `\"failOpen\": true`)"
                            ),
                        ));
                    }
                }
            }
        }
        (reasons, warnings)
    }

    /// Runs the `postToolUse` hooks that select `tool`, with its result.
    pub async fn post_tool_use(
        &self,
        tool: &str,
        input: &Value,
        result: &str,
        is_error: bool,
    ) -> Warnings {
        let fields = json!({
            "tool_name": tool,
            "tool_input": input,
            "tool_response": {"success": !is_error, "result": result},
        });
        let runs = self.run_selected(Trigger::PostToolUse, tool, fields).await;
        runs.iter()
            .filter_map(|(hook, run)| problem(Trigger::PostToolUse, hook, run))
            .collect()
    }

    /// Runs the `stop` hooks.
    pub async fn stop(&self) -> Warnings {
        let runs = self.run_selected(Trigger::Stop, "", json!({})).await;
        runs.iter()
            .filter_map(|(hook, run)| problem(Trigger::Stop, hook, run))
            .collect()
    }

    async fn context_hooks(&self, trigger: Trigger, fields: Value) -> (Vec<String>, Warnings) {
        let mut context = Vec::new();
        let mut warnings = Vec::new();
        for (hook, run) in self.run_selected(trigger, "", fields).await {
            match run {
                HookRun::Exited {
                    code: Some(0),
                    stdout,
                    ..
                } => {
                    if !stdout.trim().is_empty() {
                        context.push(stdout);
                    }
                }
                other => warnings.extend(problem(trigger, &hook, &other)),
            }
        }
        (context, warnings)
    }

    /// Runs, one after another, the hooks of `trigger` that select `tool`
    /// (every hook, for triggers without a matcher).
    async fn run_selected(
        &self,
        trigger: Trigger,
        tool: &str,
        fields: Value,
    ) -> Vec<(Hook, HookRun)> {
        let selected: Vec<Hook> = self
            .hooks
            .iter()
            .filter(|(t, hook)| {
                *t == trigger
                    && (!matches!(trigger, Trigger::PreToolUse | Trigger::PostToolUse)
                        || matcher::selects(hook.matcher.as_deref(), tool))
            })
            .map(|(_, hook)| hook.clone())
            .collect();
        if selected.is_empty() {
            return Vec::new();
        }
        let mut input = json!({
            "hook_event_name": trigger.name(),
            "cwd": self.cwd,
            "session_id": self.session_id,
        });
        if let (Some(input), Value::Object(fields)) = (input.as_object_mut(), fields) {
            input.extend(fields);
        }
        let input = input.to_string();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            selected
                .into_iter()
                .map(|hook| {
                    let run = this.run_cached(trigger, &hook, &input);
                    (hook, run)
                })
                .collect()
        })
        .await
        .unwrap_or_default()
    }

    fn run_cached(&self, trigger: Trigger, hook: &Hook, input: &str) -> HookRun {
        let ttl = Duration::from_secs(hook.cache_ttl_seconds.unwrap_or(0));
        let key = format!("{}\0{}\0{input}", trigger.name(), hook.command);
        if !ttl.is_zero()
            && let Ok(cache) = self.cache.lock()
            && let Some((taken, run)) = cache.get(&key)
            && taken.elapsed() < ttl
        {
            return run.clone();
        }
        let run = runner::run(
            &hook.command,
            &self.cwd,
            &self.env,
            input,
            Duration::from_millis(hook.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
            usize::try_from(hook.max_output_size.unwrap_or(DEFAULT_MAX_OUTPUT))
                .unwrap_or(usize::MAX),
        );
        let cacheable = matches!(run, HookRun::Exited { .. });
        if !ttl.is_zero()
            && cacheable
            && let Ok(mut cache) = self.cache.lock()
        {
            cache.insert(key, (Instant::now(), run.clone()));
        }
        run
    }
}

/// What a hook's stdout JSON asks for, if stricter than allow.
fn stated_decision(command: &str, stdout: &str) -> Option<Reason> {
    let value: Value = serde_json::from_str(stdout.trim()).ok()?;
    let verdict = match value.get("decision")?.as_str()? {
        "deny" | "block" => Verdict::Deny,
        "ask" => Verdict::Ask,
        _ => return None,
    };
    let reason = value
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("no reason given");
    Some(Reason::new(
        verdict,
        format!("the preToolUse hook `{command}` says {verdict}: {reason}"),
    ))
}

/// The warning for a hook run that did not exit 0.
fn problem(trigger: Trigger, hook: &Hook, run: &HookRun) -> Option<String> {
    let command = &hook.command;
    match run {
        HookRun::Exited { code: Some(0), .. } => None,
        HookRun::Exited { code, stderr, .. } => Some(failed(trigger, command, *code, stderr)),
        HookRun::TimedOut => Some(format!(
            "the {} hook `{command}` timed out after {} ms and was killed",
            trigger.name(),
            hook.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)
        )),
        HookRun::FailedToStart(why) => Some(format!(
            "the {} hook `{command}` could not start: {why}",
            trigger.name()
        )),
    }
}

fn failed(trigger: Trigger, command: &str, code: Option<i32>, stderr: &str) -> String {
    let code = code.map_or("a signal".to_string(), |c| format!("code {c}"));
    format!(
        "the {} hook `{command}` ended with {code}: {}",
        trigger.name(),
        quoted(stderr)
    )
}

fn quoted(stderr: &str) -> String {
    match stderr.trim() {
        "" => "(no message)".into(),
        text => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(hooks: serde_json::Value) -> HookSet {
        let hooks: Hooks = serde_json::from_value(hooks).unwrap();
        HookSet::new(&hooks, std::env::temp_dir(), std::env::vars_os().collect())
    }

    #[tokio::test]
    async fn exit_two_blocks_with_stderr() {
        let hooks = set(json!({"preToolUse": [
            {"command": "echo 'no writes today' >&2; exit 2", "matcher": "write"}
        ]}));
        let (reasons, _) = hooks.pre_tool_use("write", &json!({})).await;
        assert_eq!(reasons[0].verdict, Verdict::Deny);
        assert!(reasons[0].message.contains("no writes today"));
        let (reasons, _) = hooks.pre_tool_use("shell", &json!({})).await;
        assert!(reasons.is_empty(), "the matcher does not select shell");
    }

    #[tokio::test]
    async fn stated_allow_adds_nothing_and_ask_adds_an_ask() {
        let hooks = set(json!({"preToolUse": [
            {"command": "echo '{\"decision\": \"allow\"}'"},
            {"command": "echo '{\"decision\": \"ask\", \"reason\": \"looks risky\"}'"}
        ]}));
        let (reasons, _) = hooks.pre_tool_use("shell", &json!({})).await;
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].verdict, Verdict::Ask);
        assert!(reasons[0].message.contains("looks risky"));
    }

    #[tokio::test]
    async fn timeouts_fail_closed_unless_fail_open() {
        let hooks = set(json!({"preToolUse": [
            {"command": "sleep 20", "timeout_ms": 100},
            {"command": "sleep 20", "timeout_ms": 100, "failOpen": true}
        ]}));
        let (reasons, warnings) = hooks.pre_tool_use("shell", &json!({})).await;
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].verdict, Verdict::Deny);
        assert_eq!(warnings.len(), 1);
    }

    #[tokio::test]
    async fn the_cache_key_includes_the_tool_input() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let command = format!("cat >> {}; echo >> {}", log.display(), log.display());
        let hooks = set(json!({"preToolUse": [{"command": command, "cache_ttl_seconds": 60}]}));
        for input in [json!({"a": 1}), json!({"a": 1}), json!({"a": 2})] {
            hooks.pre_tool_use("shell", &input).await;
        }
        let lines = std::fs::read_to_string(&log).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
    }

    #[tokio::test]
    async fn prompt_hooks_feed_the_context() {
        let hooks = set(json!({"userPromptSubmit": [{"command": "cat"}]}));
        let (context, warnings) = hooks.user_prompt_submit("hello").await;
        assert_eq!(context.len(), 1, "{warnings:?}");
        let input: Value = serde_json::from_str(&context[0]).unwrap();
        assert_eq!(input["prompt"], "hello");
        assert_eq!(input["hook_event_name"], "userPromptSubmit");
    }
}
