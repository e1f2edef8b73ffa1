//! The full-screen terminal UI of `agent chat` (ratatui + crossterm). It
//! collects input, hands each line to the chat controller
//! ([`crate::chat::Chat::handle`]), shows the events it emits and asks the
//! policy's questions; it decides nothing itself.
//!
//! One task on the runtime's main thread owns the screen. While idle it
//! waits only for the terminal (no timers, so an idle UI costs nothing);
//! while a turn runs it also polls the turn, its events, approval requests
//! and a spinner tick. A changed screen is drawn at most every
//! [`MIN_FRAME`], so a streamed token is on screen within one frame.

pub mod app;
pub mod approval;
pub mod child;
pub mod code;
pub mod complete;
pub mod input;
pub mod markdown;
pub mod render;
pub mod review;
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
use tokio::sync::{mpsc, oneshot};

use self::app::{Action, App, SendMode, Status};
use self::approval::ApprovalRequest;
use self::input::Editor;
use self::terminal::Screen;
use self::theme::Theme;
use self::transcript::{Entry, Notice};
use crate::chat::{self, Chat, Handled};
use crate::engine::Event;
use crate::goal::spec::goal_words;
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
    let result = runtime.block_on(main_loop(&mut chat, &mut app, &mut ui));
    drop(guard);
    if let Some(warning) = chat.save() {
        eprint!("{warning}");
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
    let editor = Editor::new(
        chat::slash::commands(),
        chat.saved.workspace.clone(),
        prompts,
    );
    let status = Status {
        agent: setup.policy.config().name.clone(),
        model: setup.model_id.clone(),
        workspace: display_path(&chat.saved.workspace),
        checkpoint: None,
        context_percent: None,
        sandbox: setup.tools.sandbox.state().into(),
        goal: None,
        supervised: chat.mode() == chat::ChatMode::Supervised,
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
    let (used, window) = chat::context_use(chat);
    app.status.context_percent = Some(chat::percent(used, window));
    app.status.model = chat.session.setup().model_id.clone();
    app.status.supervised = chat.mode() == chat::ChatMode::Supervised;
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

async fn main_loop(chat: &mut Chat, app: &mut App, ui: &mut Ui<'_>) -> io::Result<()> {
    loop {
        while let Some(text) = app.queued.pop_front() {
            if submit(chat, app, ui, text).await? == Flow::Quit {
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

/// Hands what the person sent (a slash command, a `!command` or a prompt)
/// to the controller, with the screen alive while it works, and shows how
/// it ended.
async fn submit(chat: &mut Chat, app: &mut App, ui: &mut Ui<'_>, text: String) -> io::Result<Flow> {
    let line = text.trim().to_string();
    if line == "!" {
        app.notice(
            Notice::Info,
            "`!COMMAND` runs a shell command through the agent's policy",
        );
        return Ok(Flow::Continue);
    }
    let runs_goal = goal_words(&line).is_some_and(|w| !matches!(w.trim(), "" | "clear"));
    if runs_goal {
        app.push(Entry::User(line.clone()));
    } else if !line.starts_with('/') && !line.starts_with('!') {
        app.push(Entry::User(text.clone()));
    }
    let working = runs_goal || !line.starts_with('/');
    app.set_working(working);
    let (sender, mut events) = mpsc::unbounded_channel();
    let mut emit = move |event: Event| {
        let _ = sender.send(event);
    };
    let (cancel, cancelled) = oneshot::channel::<()>();
    let cancelled = async move {
        if cancelled.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let work = chat.handle(&text, &mut emit, cancelled);
    let (handled, quit) = drive(work, &mut events, app, ui, cancel).await?;
    app.set_working(false);
    let mut quit = quit || matches!(handled, Handled::Quit);
    show(chat, app, &line, handled);
    if chat.pending_review().is_some() {
        quit |= await_review(chat, app, ui).await?;
    }
    let leftover = chat.unsent_steering();
    if !leftover.is_empty() {
        app.queued.push_front(leftover.join("\n\n"));
    }
    refresh_status(app, chat);
    Ok(if quit { Flow::Quit } else { Flow::Continue })
}

/// Waits for the person's decision on the changes held for review (the
/// `Review` event opened the view) and has the controller apply it;
/// returns whether the person asked to leave, which rejects them all:
/// nobody accepted them.
async fn await_review(chat: &mut Chat, app: &mut App, ui: &mut Ui<'_>) -> io::Result<bool> {
    let mut quit = false;
    let decision = loop {
        if let Some(decision) = app.reviewed.take() {
            break decision;
        }
        ui.draw_if_due(app)?;
        let next_frame = ui.next_frame();
        tokio::select! {
            event = ui.keys.recv() => match event.map(|e| terminal_event(app, e)) {
                None | Some(Action::Quit) => quit = true,
                Some(Action::Submit(text)) => app.queued.push_back(text),
                Some(Action::None | Action::Cancel) => {}
            },
            Some(request) = ui.approvals.recv() => drop(request),
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
        if quit {
            app.review = None;
            break match chat.pending_review() {
                Some(review) => chat::ReviewDecision::reject_all(review, None),
                None => chat::ReviewDecision::accept_all(),
            };
        }
    };
    let (sender, mut events) = mpsc::unbounded_channel();
    let mut emit = move |event: Event| {
        let _ = sender.send(event);
    };
    let applied = chat.review(decision, &mut emit).await;
    while let Ok(event) = events.try_recv() {
        app.apply(event);
    }
    let (title, text) = match applied {
        Ok(text) => ("review", text),
        Err(error) => ("review failed", error.to_string()),
    };
    app.push(Entry::Panel {
        title: title.into(),
        text,
    });
    Ok(quit)
}

/// Shows how a line ended (the events showed the rest).
fn show(chat: &Chat, app: &mut App, line: &str, handled: Handled) {
    match handled {
        Handled::Quit
        | Handled::Turn(Ok(_))
        | Handled::Goal(_)
        | Handled::Spec(_)
        | Handled::Command(_) => {}
        Handled::Shown(text) => {
            if line.starts_with("/clear") {
                app.transcript.clear();
                app.cache.clear();
                app.status.checkpoint = None;
            }
            app.push(Entry::Panel {
                title: line.to_string(),
                text,
            });
        }
        Handled::Refused(text) => app.push(Entry::Panel {
            title: line.to_string(),
            text,
        }),

        Handled::Turn(Err(error)) => app.apply(Event::Error {
            message: error.to_string(),
        }),
        Handled::Cancelled => {
            app.notice(
                Notice::Error,
                "cancelled: the turn was stopped and left out of the conversation",
            );
            let unsent: Vec<String> = chat
                .unsent_steering()
                .into_iter()
                .chain(app.queued.drain(..))
                .collect();
            if !unsent.is_empty() {
                app.editor.set_text(&unsent.join("\n"));
            }
        }
    }
}

/// Awaits `work` while keeping the screen alive: engine events from
/// `events` are shown, keys are handled (Esc and Ctrl+C cancel it through
/// `cancel`; messages are steered or queued), approvals are asked. Returns
/// its result, and whether the person asked to leave meanwhile.
async fn drive<T>(
    work: impl Future<Output = T>,
    events: &mut mpsc::UnboundedReceiver<Event>,
    app: &mut App,
    ui: &mut Ui<'_>,
    cancel: oneshot::Sender<()>,
) -> io::Result<(T, bool)> {
    tokio::pin!(work);
    let mut cancel = Some(cancel);
    let mut quit = false;
    let mut tick = tokio::time::interval(TICK);
    loop {
        ui.draw_if_due(app)?;
        let next_frame = ui.next_frame();
        tokio::select! {
            biased;
            Some(event) = events.recv() => {
                app.apply(event);
                while let Ok(event) = events.try_recv() {
                    app.apply(event);
                }
            }
            result = &mut work => {
                while let Ok(event) = events.try_recv() {
                    app.apply(event);
                }
                return Ok((result, quit));
            }
            event = ui.keys.recv(), if !quit => match event.map(|e| terminal_event(app, e)) {
                None | Some(Action::Quit) => {
                    quit = true;
                    stop(&mut cancel, app);
                }
                Some(Action::Cancel) => stop(&mut cancel, app),
                Some(Action::Submit(text)) => steer_or_queue(app, text),
                Some(Action::None) => {}
            },
            Some(request) = ui.approvals.recv() => app.ask(request),
            _ = tick.tick() => app.dirty = true,
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
    }
}

/// Cancels the running work (once) and refuses an open question.
fn stop(cancel: &mut Option<oneshot::Sender<()>>, app: &mut App) {
    if let Some(cancel) = cancel.take() {
        let _ = cancel.send(());
    }
    app.drop_approval();
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
