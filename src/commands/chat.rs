//! `agent chat`: interactive (the terminal UI, or the line mode), or
//! `--no-interactive`: one headless prompt or goal, printed as text or
//! JSON, with an exit code a CI script can act on. Either way the chat
//! controller ([`crate::chat`]) does the work; this picks the surface and
//! maps how it ended to the exit-code table.

use std::io::{IsTerminal, Read};
use std::sync::{Arc, Mutex};

use super::{Failure, Outcome};
use crate::chat::start::{Place, StartOptions, Startup, start};
use crate::chat::{Chat, ChatError};
use crate::cli::ChatArgs;
use crate::exit;
use crate::goal::GoalSpec;
use crate::goal::spec::goal_words;
use crate::hooks::trust::TrustRequest;
use crate::out;
use crate::spec::{SpecCommand, spec_words};
use crate::ui::headless::{self, Ending};
use crate::ui::line::{LineApprover, read_line};

/// A chat controller failure, with its exit code.
impl From<ChatError> for Failure {
    fn from(error: ChatError) -> Failure {
        Failure {
            code: error.exit_code(),
            message: error.to_string(),
        }
    }
}

/// Runs a chat: headless with `--no-interactive`, else interactive; or
/// lists sessions.
pub fn run(args: &ChatArgs) -> Outcome {
    if let Some(name) = &args.worktree {
        enter_worktree(name)?;
    }
    let place = Place::here()?;
    if args.list_sessions {
        list_sessions(&place);
        return Ok(());
    }
    match args.no_interactive {
        true => headless(args, &place),
        false => interactive(args, &place),
    }
}

/// Makes a worktree of the repository here (`--worktree NAME`) and moves
/// into it, so the whole session works there.
fn enter_worktree(name: &str) -> Result<(), Failure> {
    use crate::engine::subagents::worktree;
    let runtime_error = |e: String| Failure::runtime(format!("error: {e}"));
    let cwd = std::env::current_dir().map_err(|e| runtime_error(e.to_string()))?;
    let workspace = crate::config::discover::workspace_root(&cwd);
    if !worktree::usable(&workspace) {
        return Err(Failure::usage(
            "error: --worktree needs a git repository with at least one commit",
        ));
    }
    let name = match name {
        "" => format!("session-{}", crate::paths::now_ms()),
        _ if name.contains(['/', '\\']) || name.starts_with('.') => {
            return Err(Failure::usage(
                "error: --worktree NAME is a plain folder name",
            ));
        }
        _ => name.to_string(),
    };
    let state = crate::paths::StatePaths::from_env().map_err(runtime_error)?;
    let folder = state
        .worktrees()
        .join(crate::paths::workspace_key(&workspace))
        .join(name);
    let path = worktree::for_session(&workspace, folder).map_err(runtime_error)?;
    eprintln!(
        "working in the worktree {} (`agent worktree clean` removes it)",
        path.display()
    );
    std::env::set_current_dir(&path).map_err(|e| runtime_error(e.to_string()))
}

fn options(args: &ChatArgs) -> StartOptions {
    StartOptions {
        agent: args.agent.clone(),
        model: args.model.clone(),
        resume: args.resume,
        trust_all_tools: args.trust_all_tools,
        trust_tools: args.trust_tools.clone(),
        trust_workspace: args.trust_workspace,
        require_mcp_startup: args.require_mcp_startup,
        audit_log: args.audit_log.clone(),
        interactive: !args.no_interactive,
        ..StartOptions::default()
    }
}

/// The run limits the flags give.
fn limits(args: &ChatArgs) -> crate::engine::Limits {
    crate::engine::Limits {
        turns: args.max_turns,
        requests: args.max_requests,
        tokens: args.max_tokens,
        minutes: args.max_minutes,
    }
}

/// `--supervised`: supervised mode whatever the setting says.
fn supervise(args: &ChatArgs, chat: &mut Chat) {
    if args.supervised {
        chat.set_mode(crate::chat::ChatMode::Supervised);
    }
}

/// Start-up on the terminal: warnings on stderr, the workspace trust
/// question (interactive only) answered on stdin.
struct Terminal;

impl Startup for Terminal {
    fn warn(&mut self, message: &str) {
        eprintln!("{message}");
    }

    fn confirm(&mut self, request: &TrustRequest) -> bool {
        eprintln!(
            "{} (from this workspace) would run:\n  {}",
            request.file.display(),
            request.summary.join("\n  ")
        );
        let answer = read_line("trust this workspace's hooks and servers and run them? [y/N] ");
        answer.is_some_and(|a| matches!(a.trim(), "y" | "Y" | "yes"))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("error: cannot start the async runtime: {e}")))
}

/// True when the full-screen terminal UI can run: stdin and stdout are
/// terminals, `TERM` is not `dumb`, and `--classic` was not given.
fn wants_tui(args: &ChatArgs) -> bool {
    !args.classic
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && std::env::var("TERM").is_ok_and(|term| !term.is_empty() && term != "dumb")
}

/// Interactive chat: the terminal UI on a terminal, else the plain line
/// mode. Either way approvals are asked, slash commands work, Ctrl-C
/// cancels the running turn, and Ctrl-D or `/quit` leaves.
fn interactive(args: &ChatArgs, place: &Place) -> Outcome {
    let runtime = runtime()?;
    let mut chat: Chat = start(&options(args), place, &runtime, &mut Terminal)?;
    chat.session.set_limits(limits(args));
    supervise(args, &mut chat);
    if !wants_tui(args) {
        chat.session.setup_mut().approver = Some(Arc::new(Mutex::new(LineApprover)));
        crate::ui::line::run(chat, args.prompt.clone(), &runtime);
        return Ok(());
    }
    let (approver, requests) = crate::ui::tui::approval::channel();
    chat.session.setup_mut().approver = Some(Arc::new(Mutex::new(approver)));
    let colorfgbg = std::env::var("COLORFGBG").ok();
    let options = crate::ui::tui::Options {
        theme: args.theme.resolve(colorfgbg.as_deref()),
        prompt: args.prompt.clone(),
    };
    crate::ui::tui::run(chat, requests, options, &runtime)
        .map_err(|e| Failure::runtime(format!("error: the terminal UI failed: {e}")))
}

/// One headless prompt or goal, printed as text or JSON, with an exit code.
fn headless(args: &ChatArgs, place: &Place) -> Outcome {
    let prompt = read_prompt(args.prompt.as_deref())?;
    let goal = parse_goal(&prompt)?;
    let spec = parse_spec(&prompt)?;
    if args.supervised && (goal.is_some() || spec.is_some()) {
        return Err(Failure::usage(
            "error: --supervised is a dry run of one turn; a goal (or a spec's) is not held for review (its report lists the files it changed, and its baseline checkpoint undoes it)",
        ));
    }
    let runtime = runtime()?;
    let mut chat = start(&options(args), place, &runtime, &mut Terminal)?;
    chat.session
        .set_limits(limits(args).or(crate::engine::Limits::HEADLESS));
    supervise(args, &mut chat);
    let run = headless::Run {
        prompt,
        goal,
        spec,
        format: args.output_format,
        steer_file: args.steer_file.clone(),
    };
    let quiet = |code| Failure {
        message: String::new(),
        code,
    };
    match headless::drive(&mut chat, run, &runtime) {
        Ending::Done => Ok(()),
        Ending::Goal(_) | Ending::Spec(_) => Err(quiet(exit::GOAL_NOT_MET)),
        Ending::Failed(_) => Err(quiet(exit::RUNTIME)),
        Ending::Stopped(halt) => Err(quiet(halt.exit_code())),
        Ending::Interrupted => Err(quiet(exit::INTERRUPTED)),
    }
}

/// The goal of a `/goal …` prompt; `None` for any other prompt.
fn parse_goal(prompt: &str) -> Result<Option<GoalSpec>, Failure> {
    match goal_words(prompt) {
        None => Ok(None),
        Some("") | Some("clear") => Err(Failure::usage(
            "error: `/goal` needs an objective here; `/goal` alone and `/goal clear` are for interactive chat",
        )),
        Some(words) => GoalSpec::parse_line(words)
            .map(Some)
            .map_err(Failure::usage),
    }
}

/// The spec command of a `/spec …` prompt; `None` for any other prompt.
fn parse_spec(prompt: &str) -> Result<Option<SpecCommand>, Failure> {
    spec_words(prompt)
        .map(|words| SpecCommand::parse_line(words).map_err(Failure::usage))
        .transpose()
}

fn list_sessions(place: &Place) {
    let sessions = place.store.list();
    if sessions.is_empty() {
        out::line(&format!(
            "no saved sessions for {}",
            place.workspace.display()
        ));
    }
    for session in sessions {
        out::line(&session.summary_line());
    }
}

/// The prompt from the argument or stdin; piped stdin alongside a prompt
/// argument is added as context.
fn read_prompt(argument: Option<&str>) -> Result<String, Failure> {
    let piped = || -> Result<String, Failure> {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("error: cannot read stdin: {e}")))?;
        Ok(text)
    };
    let prompt = match argument {
        Some("-") => piped()?,
        Some(prompt) if !std::io::stdin().is_terminal() => {
            let context = piped()?;
            if context.trim().is_empty() {
                prompt.to_string()
            } else {
                format!("{prompt}\n\n<stdin>\n{context}\n</stdin>")
            }
        }
        Some(prompt) => prompt.to_string(),
        None => {
            return Err(Failure::usage(
                "error: give a prompt (or `-` to read it from stdin)",
            ));
        }
    };
    if prompt.trim().is_empty() {
        return Err(Failure::usage("error: the prompt is empty"));
    }
    Ok(prompt)
}
