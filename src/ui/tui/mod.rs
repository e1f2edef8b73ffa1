//! The full-screen terminal UI of `agent chat` (ratatui + crossterm). It
//! consumes the engine's events and answers its questions; every decision
//! comes from the policy, and slash commands are the shared ones of
//! [`crate::commands::slash`].
//!
//! One task on the runtime's main thread owns the screen. While idle it
//! waits only for the terminal (no timers, so an idle UI costs nothing);
//! while a turn runs it also polls the turn, its events, approval requests
//! and a spinner tick. A changed screen is drawn at most every
//! [`MIN_FRAME`], so a streamed token is on screen within one frame.

pub mod app;
pub mod approval;
pub mod complete;
pub mod input;
pub mod markdown;
pub mod render;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod transcript;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{Event as TermEvent, KeyEventKind};
use tokio::sync::mpsc;

use self::app::{Action, App, SendMode, Status};
use self::approval::ApprovalRequest;
use self::input::Editor;
use self::terminal::Screen;
use self::theme::Theme;
use self::transcript::{Entry, Notice, ToolCard, ToolResult};
use crate::commands::slash::{self, Chat, Reply};
use crate::commands::slash_session::{self, Bang};
use crate::engine::audit::AuditLog;
use crate::engine::events::UsageTotals;
use crate::engine::{Event, TurnError};
use crate::provider::Message;

/// The shortest time between two frames (a frame is drawn only when
/// something changed).
pub const MIN_FRAME: Duration = Duration::from_millis(4);

/// How often the spinner moves while the agent works.
const TICK: Duration = Duration::from_millis(100);

/// How the UI starts.
pub struct Options {
    /// The colours.
    pub theme: Theme,
    /// A prompt to send first (`agent chat PROMPT`).
    pub prompt: Option<String>,
}

/// Runs the terminal UI on `chat` until the person leaves; `approvals` is
/// the receiving end of the session's [`approval::TuiApprover`]. The
/// terminal is restored on every way out.
pub fn run(
    mut chat: Chat,
    mut audit: AuditLog,
    approvals: mpsc::UnboundedReceiver<ApprovalRequest>,
    options: Options,
    runtime: &tokio::runtime::Runtime,
) -> io::Result<()> {
    let mut app = new_app(&chat, options.theme);
    if let Some(prompt) = options.prompt {
        app.queued.push_back(prompt);
    }
    let mut guard = terminal::enter()?;
    let (keys_tx, keys) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(event) = ratatui::crossterm::event::read() {
            if keys_tx.send(event).is_err() {
                break;
            }
        }
    });
    let mut ui = Ui {
        screen: &mut guard.screen,
        keys,
        approvals,
        last_draw: Instant::now() - MIN_FRAME,
    };
    let result = runtime.block_on(main_loop(&mut chat, &mut audit, &mut app, &mut ui));
    drop(guard);
    if let Some(warning) = chat.save() {
        eprintln!("{warning}");
    }
    result
}

/// The app for `chat`: status facts, history from the saved conversation,
/// and the conversation so far when it was resumed.
pub fn new_app(chat: &Chat, theme: Theme) -> App {
    let setup = chat.session.setup();
    let prompts: Vec<String> = chat
        .session
        .messages()
        .iter()
        .filter_map(|m| match m {
            Message::User(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    let editor = Editor::new(slash::commands(), chat.saved.workspace.clone(), prompts);
    let status = Status {
        agent: setup.policy.config().name.clone(),
        model: setup.model_id.clone(),
        workspace: display_path(&chat.saved.workspace),
        checkpoint: None,
        context_percent: None,
        sandbox: setup.tools.sandbox.state().into(),
        goal: None,
    };
    let mut app = App::new(theme, status, editor, setup.steering.clone());
    for message in chat.session.messages() {
        match message {
            Message::User(text) => app.push(Entry::User(text.clone())),
            Message::Assistant { text, .. } if !text.trim().is_empty() => {
                app.push(Entry::Assistant(text.clone()))
            }
            _ => {}
        }
    }
    if let Some(welcome) = &setup.policy.config().welcome_message {
        app.notice(Notice::Info, welcome.clone());
    }
    app.notice(
        Notice::Info,
        format!(
            "agent `{}` on {}; /help lists commands, Ctrl+D leaves",
            app.status.agent, app.status.model
        ),
    );
    refresh_status(&mut app, chat);
    app
}

/// `path` with the home folder shown as `~`.
fn display_path(path: &Path) -> String {
    match crate::paths::home_dir()
        .and_then(|home| path.strip_prefix(home).ok().map(Path::to_path_buf))
    {
        Some(relative) if relative.as_os_str().is_empty() => "~".into(),
        Some(relative) => format!("~/{}", relative.display()),
        None => path.display().to_string(),
    }
}

/// The status facts the chat knows between turns.
fn refresh_status(app: &mut App, chat: &Chat) {
    let (used, window) = slash_session::context_use(chat);
    app.status.context_percent = Some(slash_session::percent(used, window));
    app.status.model = chat.session.setup().model_id.clone();
    app.dirty = true;
}

/// The screen and its inputs.
struct Ui<'s> {
    screen: &'s mut Screen,
    keys: mpsc::UnboundedReceiver<TermEvent>,
    approvals: mpsc::UnboundedReceiver<ApprovalRequest>,
    last_draw: Instant,
}

impl Ui<'_> {
    /// Draws when something changed and a frame's time has passed.
    fn draw_if_due(&mut self, app: &mut App) -> io::Result<()> {
        if app.dirty && self.last_draw.elapsed() >= MIN_FRAME {
            self.screen.draw(|frame| render::draw(app, frame))?;
            self.last_draw = Instant::now();
            app.dirty = false;
        }
        Ok(())
    }

    /// When the next frame may be drawn.
    fn next_frame(&self) -> tokio::time::Instant {
        (self.last_draw + MIN_FRAME).into()
    }
}

/// Whether to go on.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// A terminal event, as an action.
fn terminal_event(app: &mut App, event: TermEvent) -> Action {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => app.key(key),
        TermEvent::Paste(text) if app.approval.is_none() => {
            app.editor.paste(&text);
            app.dirty = true;
            Action::None
        }
        TermEvent::Resize(..) => {
            app.dirty = true;
            Action::None
        }
        _ => Action::None,
    }
}

async fn main_loop(
    chat: &mut Chat,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
) -> io::Result<()> {
    loop {
        while let Some(text) = app.queued.pop_front() {
            if submit(chat, audit, app, ui, text).await? == Flow::Quit {
                return Ok(());
            }
        }
        ui.draw_if_due(app)?;
        let next_frame = ui.next_frame();
        tokio::select! {
            event = ui.keys.recv() => match event.map(|e| terminal_event(app, e)) {
                None | Some(Action::Quit) => return Ok(()),
                Some(Action::Submit(text)) => app.queued.push_back(text),
                Some(Action::None | Action::Cancel) => {}
            },
            Some(request) = ui.approvals.recv() => drop(request),
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
    }
}

/// Runs what the person sent: a slash command, a `!command` or a prompt.
async fn submit(
    chat: &mut Chat,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
    text: String,
) -> io::Result<Flow> {
    let trimmed = text.trim();
    if trimmed.starts_with('/') {
        let reply = slash::run(chat, trimmed);
        if trimmed.starts_with("/clear") && reply.is_ok() {
            app.transcript.clear();
            app.cache.clear();
            app.status.checkpoint = None;
        }
        match reply {
            Ok(Reply::Quit) => return Ok(Flow::Quit),
            Ok(Reply::Goal(words)) => return run_goal(chat, audit, app, ui, words).await,
            Ok(Reply::Show(out)) => app.push(Entry::Panel {
                title: trimmed.to_string(),
                text: out,
            }),
            Err(message) => app.push(Entry::Panel {
                title: trimmed.to_string(),
                text: message,
            }),
        }
        refresh_status(app, chat);
        return Ok(Flow::Continue);
    }
    if let Some(command) = trimmed.strip_prefix('!') {
        return run_bang(chat, audit, app, ui, command.trim().to_string()).await;
    }
    run_turn(chat, audit, app, ui, text).await
}

/// How waiting for work ended.
enum Waited<T> {
    Done(T),
    Cancelled,
    Quit,
}

/// Awaits `work` while keeping the screen alive: engine events from
/// `events` are recorded and shown, keys are handled (Esc and Ctrl+C
/// cancel; messages are steered or queued), approvals are asked.
async fn drive<T>(
    work: impl Future<Output = T>,
    events: &mut mpsc::UnboundedReceiver<Event>,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
    usage: &mut UsageTotals,
) -> io::Result<Waited<T>> {
    tokio::pin!(work);
    let mut tick = tokio::time::interval(TICK);
    loop {
        ui.draw_if_due(app)?;
        let next_frame = ui.next_frame();
        tokio::select! {
            biased;
            event = events.recv(), if !events.is_closed() || !events.is_empty() => {
                if let Some(event) = event {
                    record(audit, app, event, usage);
                    while let Ok(event) = events.try_recv() {
                        record(audit, app, event, usage);
                    }
                }
            }
            result = &mut work => {
                while let Ok(event) = events.try_recv() {
                    record(audit, app, event, usage);
                }
                return Ok(Waited::Done(result));
            }
            event = ui.keys.recv() => match event.map(|e| terminal_event(app, e)) {
                None | Some(Action::Quit) => return Ok(Waited::Quit),
                Some(Action::Cancel) => return Ok(Waited::Cancelled),
                Some(Action::Submit(text)) => steer_or_queue(app, text),
                Some(Action::None) => {}
            },
            Some(request) = ui.approvals.recv() => app.ask(request),
            _ = tick.tick() => app.dirty = true,
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
    }
}

/// A message typed while the agent works: steered into the turn, or
/// queued for after it (commands are always queued).
fn steer_or_queue(app: &mut App, text: String) {
    let command = text.starts_with('/') || text.starts_with('!');
    if app.mode == SendMode::Steer && !command {
        app.steering.push(text);
    } else {
        app.queued.push_back(text);
    }
    app.dirty = true;
}

/// Shows an engine event and writes it to the audit log.
fn record(audit: &mut AuditLog, app: &mut App, event: Event, usage: &mut UsageTotals) {
    if let Err(error) = audit.record(&event) {
        app.notice(
            Notice::Warning,
            format!("the audit log could not be written: {error}"),
        );
    }
    if let Event::TurnEnd { usage: turn, .. } = &event {
        *usage = *turn;
    }
    app.apply(event);
}

/// One turn of the conversation for `prompt`.
async fn run_turn(
    chat: &mut Chat,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
    prompt: String,
) -> io::Result<Flow> {
    app.push(Entry::User(prompt.clone()));
    app.set_working(true);
    let cancel = chat.session.setup().tools.cancel.clone();
    let before = chat.session.messages().len();
    let (sender, mut events) = mpsc::unbounded_channel();
    let mut emit = move |event: Event| {
        let _ = sender.send(event);
    };
    let mut usage = UsageTotals::default();
    let turn = chat.session.run_turn(&prompt, &mut emit);
    let waited = drive(turn, &mut events, audit, app, ui, &mut usage).await?;
    app.set_working(false);
    let quit = matches!(waited, Waited::Quit);
    let flow = match waited {
        Waited::Done(Ok(_)) => Flow::Continue,
        Waited::Done(Err(error)) => {
            turn_failed(audit, app, &error);
            Flow::Continue
        }
        Waited::Cancelled | Waited::Quit => {
            cancel.cancel_running();
            chat.session.truncate(before);
            app.drop_approval();
            app.notice(
                Notice::Error,
                "cancelled: the turn was stopped and left out of the conversation",
            );
            let unsent: Vec<String> = app
                .steering
                .take()
                .into_iter()
                .chain(app.queued.drain(..))
                .collect();
            if !unsent.is_empty() {
                app.editor.set_text(&unsent.join("\n"));
            }
            if quit { Flow::Quit } else { Flow::Continue }
        }
    };
    let leftover = app.steering.take();
    if !leftover.is_empty() {
        app.queued.push_front(leftover.join("\n\n"));
    }
    chat.add_turn_usage(usage);
    if let Some(warning) = chat.save() {
        app.notice(Notice::Warning, warning);
    }
    refresh_status(app, chat);
    Ok(flow)
}

/// `/goal …`: runs the goal loop like a turn, with the screen alive; Esc
/// or Ctrl+C cancels it and it still ends with its report. `/goal` alone
/// shows the last report.
async fn run_goal(
    chat: &mut Chat,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
    words: String,
) -> io::Result<Flow> {
    let title = format!("/goal {words}").trim().to_string();
    let spec = match words.trim() {
        "" | "clear" => {
            let text = match (&app.last_goal, words.trim()) {
                (_, "clear") => "no goal is running (Esc cancels a running goal)".to_string(),
                (Some(report), _) => report.clone(),
                (None, _) => "no goal has run in this chat".to_string(),
            };
            app.push(Entry::Panel { title, text });
            return Ok(Flow::Continue);
        }
        _ => match crate::goal::GoalSpec::parse_line(&words) {
            Ok(spec) => spec,
            Err(text) => {
                app.push(Entry::Panel { title, text });
                return Ok(Flow::Continue);
            }
        },
    };
    app.push(Entry::User(title));
    app.set_working(true);
    let (sender, mut events) = mpsc::unbounded_channel();
    let mut emit = move |event: Event| {
        let _ = sender.send(event);
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut usage = UsageTotals::default();
    let quit = {
        let goal = crate::goal::run(&mut chat.session, &spec, stopped, &mut emit);
        tokio::pin!(goal);
        let mut waited = drive(&mut goal, &mut events, audit, app, ui, &mut usage).await?;
        let quit = matches!(waited, Waited::Quit);
        if matches!(waited, Waited::Cancelled | Waited::Quit) {
            let _ = stop.send(true);
            app.drop_approval();
            waited = drive(&mut goal, &mut events, audit, app, ui, &mut usage).await?;
        }
        drop(waited);
        quit
    };
    app.set_working(false);
    while let Ok(event) = events.try_recv() {
        record(audit, app, event, &mut usage);
    }
    chat.add_turn_usage(usage);
    if let Some(warning) = chat.save() {
        app.notice(Notice::Warning, warning);
    }
    refresh_status(app, chat);
    Ok(if quit { Flow::Quit } else { Flow::Continue })
}

fn turn_failed(audit: &mut AuditLog, app: &mut App, error: &TurnError) {
    let event = Event::Error {
        message: error.to_string(),
    };
    if let Err(e) = audit.record(&event) {
        app.notice(
            Notice::Warning,
            format!("the audit log could not be written: {e}"),
        );
    }
    app.apply(event);
}

/// `!command`: run through the policy on a blocking thread, shown as a
/// card; Esc kills it.
async fn run_bang(
    chat: &mut Chat,
    audit: &mut AuditLog,
    app: &mut App,
    ui: &mut Ui<'_>,
    command: String,
) -> io::Result<Flow> {
    if command.is_empty() {
        app.notice(
            Notice::Info,
            "`!COMMAND` runs a shell command through the agent's policy",
        );
        return Ok(Flow::Continue);
    }
    let setup = chat.session.setup();
    let (policy, trust, tools) = (
        setup.policy.clone(),
        setup.trust.clone(),
        setup.tools.for_call(),
    );
    let cancel = tools.cancel.clone();
    let line = command.clone();
    let job =
        tokio::task::spawn_blocking(move || slash_session::bang(&policy, &trust, &tools, &line));
    app.set_working(true);
    let (closed, mut events) = mpsc::unbounded_channel::<Event>();
    drop(closed);
    let mut usage = UsageTotals::default();
    let waited = drive(job, &mut events, audit, app, ui, &mut usage).await?;
    app.set_working(false);
    match waited {
        Waited::Done(Ok(Bang {
            verdict,
            reasons,
            output,
        })) => app.push(Entry::Tool(ToolCard {
            id: String::new(),
            tool: "shell".into(),
            input: serde_json::json!({ "command": command }),
            decision: verdict,
            reasons,
            answer: Some("typed by you".into()),
            result: Some(ToolResult {
                output: output.text,
                is_error: output.is_error,
                exit_code: output.exit_code,
            }),
        })),
        Waited::Done(Err(error)) => {
            app.notice(Notice::Error, format!("the command failed: {error}"))
        }
        Waited::Cancelled => {
            cancel.cancel_running();
            app.notice(Notice::Error, "cancelled: the command was killed");
        }
        Waited::Quit => {
            cancel.cancel_running();
            return Ok(Flow::Quit);
        }
    }
    Ok(Flow::Continue)
}
