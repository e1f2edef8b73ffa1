//! The dispatcher: the one path every tool call takes, whoever makes it
//! (the model in a turn, the person's `!command` and `/context add`, the
//! goal loop's checks, an MCP tool, the tools to come). In order, once
//! each:
//!
//! 1. the tool is named once ([`ToolId`]: a built-in from the registry,
//!    `@server/tool` for MCP);
//! 2. the arguments are parsed and checked against the tool's schema (a
//!    misfit goes back as a clear error before anything else runs);
//! 3. the policy decides, for the caller's mode: for the model in
//!    interactive chat an `ask` is a question to the person; for a call the
//!    person typed (`!command`, `/context add`) typing it was their answer,
//!    yes for this call once; for an unattended caller (headless, a goal's
//!    check) it is a refusal; a deny refuses every caller;
//! 4. `preToolUse` hooks can only make that stricter;
//! 5. a `ToolCall` event; an `ask` goes to the [`Approver`] with the trust
//!    options of the live policy;
//! 6. the tool runs with its approval;
//! 7. a checkpoint of what it changed, and for a command the fence audit
//!    of that checkpoint (a refused write is put back and said); none for
//!    a command the policy judged read-only when the sandbox holds the
//!    workspace read-only for it (it runs with nothing writable, and a
//!    `checkpoint_skipped` event with reason `read_only` says so);
//! 8. secrets are redacted, then the text is cut once to
//!    [`MAX_TOOL_RESULT_BYTES`];
//! 9. `postToolUse` hooks see that text;
//! 10. for the model's calls, the same call with the same result a third
//!     time gets a note appended ([`super::repetition`]);
//! 11. a `Code` event for each report a `code` call (or the diagnostics
//!     after a write) made, redacted too; then one `ToolResult` event
//!     carrying exactly that text, which is what the model (or the person)
//!     receives, and one audit record.
//!
//! [`Approver`]: super::Approver

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::mcp::pins::PinCheck;
use crate::policy::{Approval, Decision, Mode, Reason, ToolCall, Verdict};
use crate::tools::registry::{self, Tool, Touches};
use crate::tools::{ToolOutput, args};

use super::audit::AuditRecord;
use super::checkpoints::{Tag, first_line};
use super::events::Event;
use super::repetition::{NOTE, NOTE_AT};
use super::session::{Emit, Session};
use super::setup::{Answer, Question};
use super::turn::{SET_CHECKS, set_checks_schema};

/// Bytes of one tool result sent to the model (head and tail kept).
pub const MAX_TOOL_RESULT_BYTES: usize = crate::tools::text::OUTPUT_CAP;

/// Who makes a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// The model, in a turn.
    Model,
    /// The person: `!command`, `/context add`.
    User,
    /// The goal loop: an acceptance check.
    Goal,
}

/// A tool, named once: every step after resolution uses this.
#[derive(Clone, Copy)]
pub enum ToolId<'a> {
    /// A built-in tool from the registry.
    Builtin(&'static dyn Tool),
    /// An MCP tool, `@server/tool`.
    Mcp {
        /// The server.
        server: &'a str,
        /// Its tool.
        tool: &'a str,
    },
    /// The goal's planning tool, which only records the checks.
    SetChecks,
    /// A name `agent` cannot run (the policy still judges it, and says
    /// why it is refused).
    Unknown,
}

/// One tool call to dispatch.
#[derive(Debug, Clone)]
pub struct Request {
    /// The call's id (the model's, or one the session makes up).
    pub id: String,
    /// The tool, as the caller named it (an alias or an MCP tool's model
    /// name is fine).
    pub name: String,
    /// Its arguments; `Value::Null` when they were not valid JSON.
    pub input: Value,
    /// The arguments as sent, for the error when they were not JSON.
    pub raw_input: String,
    /// Who makes it.
    pub caller: Caller,
}

/// What came of a dispatched call.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatched {
    /// The result: `text` is exactly what the `ToolResult` event carried
    /// and what the caller hands on (to the model, or the person).
    pub output: ToolOutput,
    /// Whether the tool ran (a refusal did not).
    pub ran: bool,
    /// The decision the `ToolCall` event showed.
    pub verdict: Verdict,
    /// How many times the model made this call with this result (0 for
    /// other callers).
    pub repeated: u32,
}

/// How a call was judged, before it runs.
enum Judged {
    /// Runs with this approval (`None`: the planning tool, which needs
    /// none).
    Run(Option<Approval>),
    /// A person must answer first.
    Ask(crate::policy::Pending),
    /// Refused; this goes back instead of a result.
    Refuse(ToolOutput),
}

impl Session {
    /// Dispatches one call along the whole path (see the module docs).
    pub async fn dispatch(&mut self, request: Request, emit: &mut Emit<'_>) -> Dispatched {
        let mcp = self.setup.mcp.clone();
        let call = ToolCall {
            tool: self.canonical_name(&request.name, &mcp),
            input: request.input.clone(),
        };
        let id = self.resolve(&call.tool);
        let mode = match request.caller {
            Caller::Model => self.setup.mode,
            Caller::User => Mode::Interactive,
            Caller::Goal => Mode::Unattended,
        };
        let (judged, verdict, reasons) = self.judge(&request, id, &call, mode, emit).await;
        emit(Event::ToolCall {
            id: request.id.clone(),
            caller: request.caller,
            tool: call.tool.clone(),
            input: call.input.clone(),
            decision: verdict,
            reasons: reasons.clone(),
        });
        let (mut output, ran, read_only) = self
            .settle(judged, id, &call, &reasons, &request, emit)
            .await;
        let mut command_changed = Vec::new();
        if read_only && self.setup.checkpoints.is_some() {
            emit(Event::CheckpointSkipped {
                id: request.id.clone(),
                reason: "read_only".into(),
            });
        } else if ran && !read_only {
            command_changed = self
                .after_run(id, &call, request.caller, &mut output, emit)
                .await;
        }
        if ran {
            self.session_tool_events(&call, &output, emit);
        }
        if let (true, ToolId::Builtin(tool)) = (ran, id) {
            self.diagnostics_after_write(tool, &command_changed, &mut output)
                .await;
        }
        if ran && !output.writes.is_empty() {
            self.dispatch_writes(&request, &mut output, emit).await;
        }
        let text = self.setup.policy.redact(&output.text);
        output.text = crate::tools::text::head_and_tail(&text, MAX_TOOL_RESULT_BYTES);
        if ran && !self.setup.hooks.is_empty() {
            let warnings = self
                .setup
                .hooks
                .post_tool_use(&call.tool, &call.input, &output.text, output.is_error)
                .await;
            warn(warnings, emit);
        }
        let repeated = match request.caller {
            Caller::Model => self.note_repetition(&call, &mut output),
            Caller::User | Caller::Goal => 0,
        };
        for report in std::mem::take(&mut output.code) {
            emit(Event::Code {
                id: request.id.clone(),
                report: report.redacted(|text| self.setup.policy.redact(text)),
            });
        }
        emit(Event::ToolResult {
            id: request.id.clone(),
            output: output.text.clone(),
            is_error: output.is_error,
            exit_code: output.exit_code,
        });
        self.audit(&request, &call, verdict, &reasons, &output, emit);
        Dispatched {
            output,
            ran,
            verdict,
            repeated,
        }
    }

    /// Counts the model's call with its result, and from the
    /// [`NOTE_AT`]th time on appends a note the model will read; returns
    /// the count.
    fn note_repetition(&mut self, call: &ToolCall, output: &mut ToolOutput) -> u32 {
        let count = self
            .repetition
            .observe(&call.tool, &call.input, &output.text);
        if count >= NOTE_AT {
            output.text.push_str(NOTE);
        }
        count
    }

    /// The files a tool asked to have written (a `code` rewrite), each
    /// dispatched as a `write` call by the same caller, so the `write`
    /// tool's rules, fence and checkpoint judge every file; what each
    /// write answered joins the text.
    async fn dispatch_writes(
        &mut self,
        request: &Request,
        output: &mut ToolOutput,
        emit: &mut Emit<'_>,
    ) {
        let writes = std::mem::take(&mut output.writes);
        for (n, planned) in writes.into_iter().enumerate() {
            let input = serde_json::json!({
                "command": "create",
                "path": planned.path.display().to_string(),
                "content": planned.content,
            });
            let write = Request {
                id: format!("{}.write{}", request.id, n + 1),
                name: "write".into(),
                raw_input: input.to_string(),
                input,
                caller: request.caller,
            };
            let done = Box::pin(self.dispatch(write, emit)).await;
            let status = match (done.ran, done.output.is_error) {
                (true, false) => "written".to_string(),
                _ => format!("not written: {}", done.output.text),
            };
            output
                .text
                .push_str(&format!("\n- {}: {status}", planned.path.display()));
            output.changed.extend(done.output.changed);
        }
    }

    /// `web_search` through the MCP tool `tool` (`@server/tool`, from
    /// `web.searchProvider`): the query goes to it as a call of its own,
    /// judged, hooked, audited like any MCP call.
    async fn search_through_mcp(
        &mut self,
        request: &Request,
        tool: &str,
        emit: &mut Emit<'_>,
    ) -> ToolOutput {
        let input = serde_json::json!({ "query": request.input["query"] });
        let search = Request {
            id: format!("{}/search", request.id),
            name: tool.to_string(),
            raw_input: input.to_string(),
            input,
            caller: request.caller,
        };
        Box::pin(self.dispatch(search, emit)).await.output
    }

    /// The canonical name of what the caller called `name`: a built-in
    /// tool's current name, `@server/tool` for an MCP tool, or `name`.
    fn canonical_name(&self, name: &str, mcp: &crate::mcp::McpServers) -> String {
        if self.planning && name == SET_CHECKS {
            return name.to_string();
        }
        match registry::find(name) {
            Some(tool) => tool.name().to_string(),
            None => crate::config::tools::canonical(name)
                .map(str::to_string)
                .unwrap_or_else(|| mcp.canonical(name)),
        }
    }

    /// The [`ToolId`] of a canonical name.
    fn resolve<'n>(&self, canonical: &'n str) -> ToolId<'n> {
        if self.planning && canonical == SET_CHECKS {
            return ToolId::SetChecks;
        }
        if let Some(tool) = registry::find(canonical) {
            return ToolId::Builtin(tool);
        }
        match canonical
            .strip_prefix('@')
            .and_then(|rest| rest.split_once('/'))
        {
            Some((server, tool)) if !server.is_empty() && !tool.is_empty() => {
                ToolId::Mcp { server, tool }
            }
            _ => ToolId::Unknown,
        }
    }

    /// Steps 2 to 4: the arguments, the policy, the hooks.
    async fn judge(
        &self,
        request: &Request,
        id: ToolId<'_>,
        call: &ToolCall,
        mode: Mode,
        emit: &mut Emit<'_>,
    ) -> (Judged, Verdict, Vec<Reason>) {
        if let Err(problem) = self.check_arguments(request, id) {
            let reason = Reason::new(Verdict::Deny, problem.clone());
            return (
                Judged::Refuse(ToolOutput::error(problem)),
                Verdict::Deny,
                vec![reason],
            );
        }
        if let ToolId::SetChecks = id {
            let reason = Reason::new(
                Verdict::Allow,
                "the goal's planning tool: it records the checks and changes nothing",
            );
            return (Judged::Run(None), Verdict::Allow, vec![reason]);
        }
        let mut decision = self.setup.policy.decide(call, &self.setup.trust, mode);
        if let ToolId::Mcp { server, tool } = id
            && let PinCheck::Changed(what) = self.setup.mcp.check_pin(server, tool)
        {
            let reason = Reason::new(
                Verdict::Ask,
                format!(
                    "the server changed this tool since it was first used here ({what}); `agent mcp trust {server}` accepts the change"
                ),
            );
            decision = decision.tighten(reason, mode);
        }
        if !self.setup.hooks.is_empty() && !matches!(decision, Decision::Deny { .. }) {
            let (tightening, warnings) =
                self.setup.hooks.pre_tool_use(&call.tool, &call.input).await;
            warn(warnings, emit);
            decision = tightening
                .into_iter()
                .fold(decision, |decision, reason| decision.tighten(reason, mode));
        }
        let verdict = decision.verdict();
        let reasons = decision.reasons().to_vec();
        let judged = match decision {
            Decision::Allow { approval, .. } => Judged::Run(Some(approval)),
            Decision::Ask { pending, .. } => Judged::Ask(pending),
            Decision::Deny { reasons } => Judged::Refuse(refusal(&reasons)),
        };
        (judged, verdict, reasons)
    }

    /// The arguments as JSON that fits the tool's schema, or what is wrong.
    fn check_arguments(&self, request: &Request, id: ToolId<'_>) -> Result<(), String> {
        if request.input.is_null() {
            return Err(format!(
                "the arguments are not valid JSON: {}",
                request.raw_input
            ));
        }
        let schema = match id {
            ToolId::Builtin(tool) => tool.input_schema(),
            ToolId::Mcp { server, tool } => match self.setup.mcp.schema(server, tool) {
                Some(schema) => schema.clone(),
                None => return Ok(()),
            },
            ToolId::SetChecks => set_checks_schema(),
            ToolId::Unknown => return Ok(()),
        };
        args::check(&request.input, &schema)
            .map_err(|misfit| format!("the arguments do not fit the tool's input schema: {misfit}"))
    }

    /// Steps 5 and 6: an answer when the policy asks, then the run.
    /// Returns the output, whether the tool ran, and whether it ran as a
    /// read-only command in a sandbox holding the workspace read-only (so
    /// step 7 is skipped).
    async fn settle(
        &mut self,
        judged: Judged,
        id: ToolId<'_>,
        call: &ToolCall,
        reasons: &[Reason],
        request: &Request,
        emit: &mut Emit<'_>,
    ) -> (ToolOutput, bool, bool) {
        let caller = request.caller;
        let approval = match judged {
            Judged::Refuse(output) => return (output, false, false),
            Judged::Run(approval) => approval,
            // The person typed this very call: that is their answer to the
            // question, for this call once (a deny still refused it).
            Judged::Ask(pending) if caller == Caller::User => Some(pending.approve()),
            Judged::Ask(pending) => {
                let question = Question {
                    call: pending.call().clone(),
                    reasons: reasons.to_vec(),
                    options: self.setup.policy.trust_options(pending.call()),
                    caller,
                };
                match self.ask(question).await {
                    Answer::Once => Some(pending.approve()),
                    Answer::Trust(grants) => {
                        self.setup.trust.grant(&grants);
                        Some(pending.approve())
                    }
                    Answer::Refuse(None) => return (refusal(reasons), false, false),
                    Answer::Refuse(Some(why)) => {
                        let text = format!("the user refused this call: {why}");
                        return (ToolOutput::error(text), false, false);
                    }
                }
            }
        };
        let read_only = approval.as_ref().is_some_and(Approval::read_only)
            && self.setup.tools.sandbox.holds_read_only();
        if caller != Caller::Model && touches(id) != Touches::Nothing && !read_only {
            // Outside a turn, what changed since the newest checkpoint is
            // kept apart first, so the call's checkpoint and its fence
            // audit see only what the call did.
            self.start_checkpoints(emit).await;
        }
        if let (ToolId::Builtin(tool), Some(_)) = (id, &approval) {
            match tool.name() {
                "subagent" => {
                    return (
                        self.run_subagents(&request.id, &call.input, emit).await,
                        true,
                        false,
                    );
                }
                "delegate" => {
                    return (
                        self.run_delegate(&request.id, &call.input, emit).await,
                        true,
                        false,
                    );
                }
                "web_search" => {
                    let setting = self.setup.tools.session.settings.text("web.searchProvider");
                    if let Some(tool) = setting.and_then(crate::tools::web_search::mcp_backend) {
                        let output = self.search_through_mcp(request, &tool, emit).await;
                        return (output, true, false);
                    }
                }
                _ => {}
            }
        }
        (
            self.run(id, call, approval, read_only).await,
            true,
            read_only,
        )
    }

    /// The approver's answer to `question`; a refusal when nobody can be
    /// asked.
    async fn ask(&self, question: Question) -> Answer {
        let Some(approver) = self.setup.approver.clone() else {
            return Answer::Refuse(None);
        };
        tokio::task::spawn_blocking(move || match approver.lock() {
            Ok(mut approver) => approver.ask(&question),
            Err(_) => Answer::Refuse(None),
        })
        .await
        .unwrap_or(Answer::Refuse(None))
    }

    /// Runs an approved call: a built-in tool on a blocking thread, an MCP
    /// tool through its server; with `read_only`, a command the policy
    /// judged read-only, in a sandbox where nothing is writable.
    async fn run(
        &self,
        id: ToolId<'_>,
        call: &ToolCall,
        approval: Option<Approval>,
        read_only: bool,
    ) -> ToolOutput {
        let Some(approval) = approval else {
            return match id {
                ToolId::SetChecks => recorded_checks(&call.input),
                _ => ToolOutput::error("refused: this call was not approved by the policy"),
            };
        };
        if let ToolId::Mcp { .. } = id {
            return self.setup.mcp.call(call, &approval).await;
        }
        if let ToolId::Builtin(tool) = id
            && tool.name() == "code"
        {
            self.feed_code_index().await;
        }
        let mut context = self.setup.tools.for_call();
        if read_only {
            context.sandbox = context.sandbox.without_writes();
        }
        let call = call.clone();
        tokio::task::spawn_blocking(move || crate::tools::run(&call, &approval, &context))
            .await
            .unwrap_or_else(|e| ToolOutput::error(format!("the tool failed: {e}")))
    }

    /// Step 7: the checkpoint of what a call changed, and the fence audit
    /// of a command's changes (whose "refused write" lines join the text).
    /// Returns what a command changed and kept (absolute paths).
    async fn after_run(
        &mut self,
        id: ToolId<'_>,
        call: &ToolCall,
        caller: Caller,
        output: &mut ToolOutput,
        emit: &mut Emit<'_>,
    ) -> Vec<PathBuf> {
        let touches = touches(id);
        let workspace = &self.setup.tools.roots.workspace;
        match touches {
            Touches::ReportedFiles => crate::code::index::changed(workspace, &output.changed),
            // The change journal names what it changed before the next
            // `code` call; without checkpoints nothing can.
            Touches::Anything if self.setup.checkpoints.is_none() => {
                crate::code::index::mark_stale(workspace);
            }
            _ => {}
        }
        let nothing_reported = touches == Touches::ReportedFiles && output.changed.is_empty();
        if touches == Touches::Nothing || nothing_reported || self.setup.checkpoints.is_none() {
            return Vec::new();
        }
        let what = format!("{} {}", call.tool, first_line(&call.input.to_string()));
        let (tag, description) = match (self.scope(), &self.turn, caller) {
            (Some(scope), _, Caller::Model) => (Tag::Fixed(scope.next_tag()), scope.describe(what)),
            (None, Some(turn), Caller::Model) => (Tag::Fixed(turn.next_tool_tag()), what),
            (None, None, Caller::Model) => return Vec::new(),
            (_, _, Caller::User) => (Tag::Next, format!("typed by you: {what}")),
            (_, _, Caller::Goal) => (Tag::Next, format!("goal check: {what}")),
        };
        let before = self.latest_checkpoint().await;
        let changed = output.changed.clone();
        let Some(tag) = self.checkpoint(tag, description, changed, emit).await else {
            return Vec::new();
        };
        if caller == Caller::Model {
            self.count_tool_checkpoint();
        }
        if touches == Touches::Anything
            && let Some(before) = before
        {
            let (refused, kept) = self.audit_fence(before, tag, emit).await;
            output.text.push_str(&refused);
            return kept;
        }
        Vec::new()
    }

    /// What the session's own tools changed, as events: the todo list
    /// after a `todo_list` call; and the last failure, for reports.
    fn session_tool_events(&self, call: &ToolCall, output: &ToolOutput, emit: &mut Emit<'_>) {
        let session = &self.setup.tools.session;
        if output.is_error {
            if let Ok(mut last) = session.last_error.lock() {
                *last = Some(format!("{}: {}", call.tool, first_line(&output.text)));
            }
        } else if call.tool == "todo_list"
            && let Some(list) = session.todo.current()
        {
            emit(Event::Todo { list });
        }
    }

    /// Step 10's audit record; a log that cannot be written is a warning.
    fn audit(
        &mut self,
        request: &Request,
        call: &ToolCall,
        decision: Verdict,
        reasons: &[Reason],
        output: &ToolOutput,
        emit: &mut Emit<'_>,
    ) {
        let Some(log) = self.setup.audit.as_mut() else {
            return;
        };
        let record = AuditRecord {
            id: &request.id,
            caller: request.caller,
            tool: &call.tool,
            input: &call.input,
            decision,
            reasons,
            is_error: output.is_error,
            exit_code: output.exit_code,
            output: &output.text,
            for_child: self.call_scope.as_ref().and_then(|s| s.child.as_deref()),
        };
        if let Err(e) = log.record(&record) {
            emit(Event::Warning {
                message: format!("the audit log could not be written: {e}"),
            });
        }
    }
}

/// What a tool may change: a built-in tool says; an MCP server may do
/// anything.
fn touches(id: ToolId<'_>) -> Touches {
    match id {
        ToolId::Builtin(tool) => tool.touches(),
        ToolId::Mcp { .. } => Touches::Anything,
        ToolId::SetChecks | ToolId::Unknown => Touches::Nothing,
    }
}

/// Hooks' warnings, as events.
pub(super) fn warn(warnings: crate::hooks::Warnings, emit: &mut Emit<'_>) {
    for message in warnings {
        emit(Event::Warning { message });
    }
}

/// What the model is told about a refused call: the rule, so it can work
/// within it instead of retrying.
fn refusal(reasons: &[Reason]) -> ToolOutput {
    let lines: Vec<String> = reasons.iter().map(|r| format!("- {r}")).collect();
    ToolOutput::error(format!(
        "refused by the guardrail policy:\n{}",
        lines.join("\n")
    ))
}

/// The planning tool's result (its input already fits its schema).
fn recorded_checks(input: &Value) -> ToolOutput {
    let count = input["commands"].as_array().map_or(0, Vec::len);
    ToolOutput::ok(format!(
        "recorded {count} check(s); the program will run them"
    ))
}
