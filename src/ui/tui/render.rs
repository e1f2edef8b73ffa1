//! Drawing the app: the transcript (only its visible lines, from a cache of
//! rendered entries so a streamed token costs one entry's re-render), an
//! open approval, the completion list, the editor, the status line and the
//! footer. Narrow screens drop the status line's least useful parts first.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, SendMode, Status};
use super::markdown;
use super::text::{clean, truncate, width as text_width};
use super::theme::Theme;
use super::transcript::Entry;

/// Completion entries shown at once.
const POPUP_ROWS: usize = 8;

/// Rendered transcript entries, valid for one width and fold state. The
/// answer being streamed is rendered a line at a time: lines already
/// complete are kept, so a token costs the rendering of its own line.
#[derive(Debug, Default)]
pub struct Cache {
    width: usize,
    entries: Vec<Option<Vec<Line<'static>>>>,
    stream: Option<Stream>,
}

/// How far the streamed answer's rendering has got.
#[derive(Debug)]
struct Stream {
    /// The entry.
    index: usize,
    /// Bytes of its text rendered as complete lines.
    consumed: usize,
    /// The Markdown state after them.
    state: markdown::State,
    /// How many of the entry's cached lines they are.
    done: usize,
    /// Text was appended since the last frame.
    grown: bool,
}

impl Cache {
    /// Forgets entry `index` (it changed, or is gone).
    pub fn invalidate(&mut self, index: usize) {
        if let Some(slot) = self.entries.get_mut(index) {
            *slot = None;
        }
        if self.stream.as_ref().is_some_and(|s| s.index == index) {
            self.stream = None;
        }
    }

    /// Entry `index`, an answer, had text appended.
    pub fn grew(&mut self, index: usize) {
        match self.stream.as_mut() {
            Some(stream) if stream.index == index => stream.grown = true,
            _ => self.invalidate(index),
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.stream = None;
    }

    /// The lines of every entry, rendering only what is not cached.
    fn lines<'a>(
        &'a mut self,
        transcript: &[Entry],
        width: usize,
        theme: &Theme,
        expanded: bool,
    ) -> Vec<&'a [Line<'static>]> {
        if width != self.width {
            self.clear();
            self.width = width;
        }
        self.entries.resize(transcript.len(), None);
        for (index, entry) in transcript.iter().enumerate() {
            let grown = self
                .stream
                .as_ref()
                .is_some_and(|s| s.index == index && s.grown);
            match entry {
                Entry::Assistant(text) if grown || self.entries[index].is_none() => {
                    self.answer(index, text, width, theme)
                }
                _ if self.entries[index].is_none() => {
                    self.entries[index] = Some(entry.render(width, theme, expanded));
                }
                _ => {}
            }
        }
        self.entries.iter().flatten().map(Vec::as_slice).collect()
    }

    /// Renders what is new in answer `index`: its newly completed lines,
    /// then its unfinished last line again.
    fn answer(&mut self, index: usize, text: &str, width: usize, theme: &Theme) {
        let mut stream = match self.stream.take() {
            Some(stream) if stream.index == index && self.entries[index].is_some() => stream,
            _ => Stream {
                index,
                consumed: 0,
                state: markdown::State::default(),
                done: 0,
                grown: false,
            },
        };
        let lines = self.entries[index].get_or_insert_with(Vec::new);
        lines.truncate(stream.done);
        let new = text.get(stream.consumed..).unwrap_or_default();
        if let Some(end) = new.rfind('\n') {
            for raw in new[..end].split('\n') {
                lines.extend(markdown::render_line(&mut stream.state, raw, width, theme));
            }
            stream.consumed += end + 1;
        }
        stream.done = lines.len();
        let tail = text.get(stream.consumed..).unwrap_or_default();
        if !tail.is_empty() {
            let mut state = stream.state.clone();
            lines.extend(markdown::render_line(&mut state, tail, width, theme));
        }
        lines.push(Line::default());
        stream.grown = false;
        self.stream = Some(stream);
    }
}

/// Draws the whole screen.
pub fn draw(app: &mut App, frame: &mut Frame<'_>) {
    draw_at(app, frame, Instant::now());
}

/// Draws the whole screen as at `now` (the spinner and the time working
/// depend on it).
pub fn draw_at(app: &mut App, frame: &mut Frame<'_>, now: Instant) {
    let area = frame.area();
    let theme = app.theme;
    let width = area.width as usize;
    let approval_lines = match (&app.approval, &app.review) {
        (Some(view), _) => view.render(width, &theme),
        (None, Some(view)) => view.render(width, &theme),
        (None, None) => Vec::new(),
    };
    let approval_height = match approval_lines.len() {
        0 => 0,
        n => (n as u16 + 1).min(area.height.saturating_sub(4) * 2 / 3),
    };
    let todo_lines = app
        .todo
        .as_ref()
        .map(|list| todo_panel(list, width, &theme))
        .unwrap_or_default();
    let todo_height = match todo_lines.len() {
        0 => 0,
        n => n as u16 + 1,
    };
    let [transcript, todo, approval, input, status, footer] = stack(
        area,
        [todo_height, approval_height, app.editor.height() + 1, 1, 1],
    );
    draw_transcript(app, frame, transcript);
    if !todo_lines.is_empty() {
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme.border);
        let inner = block.inner(todo);
        frame.render_widget(block, todo);
        frame.render_widget(Paragraph::new(todo_lines), inner);
    }
    if !approval_lines.is_empty() {
        let block = Block::new().borders(Borders::TOP).border_style(theme.ask);
        let inner = block.inner(approval);
        frame.render_widget(block, approval);
        let skip = approval_lines.len().saturating_sub(inner.height as usize);
        let visible: Vec<Line<'static>> = approval_lines.into_iter().skip(skip).collect();
        frame.render_widget(Paragraph::new(visible), inner);
    }
    draw_input(app, frame, input);
    draw_completion(app, frame, transcript);
    frame.render_widget(
        Paragraph::new(status_line(&app.status, width, &theme)),
        status,
    );
    frame.render_widget(Paragraph::new(footer_line(app, width, now)), footer);
}

/// Splits `area` into the transcript above and rows of `heights` stacked
/// at its bottom, the last ones kept first when the screen is too short.
/// (Plain arithmetic: a constraint solver here cost most of a frame.)
fn stack(area: Rect, heights: [u16; 5]) -> [Rect; 6] {
    let mut bottom = area.bottom();
    let mut rows = [Rect::default(); 5];
    for (row, height) in rows.iter_mut().zip(heights).rev() {
        let height = height.min(bottom - area.y);
        bottom -= height;
        *row = Rect::new(area.x, bottom, area.width, height);
    }
    let transcript = Rect::new(area.x, area.y, area.width, bottom - area.y);
    [transcript, rows[0], rows[1], rows[2], rows[3], rows[4]]
}

/// Task lines the todo panel shows at most.
const TODO_PANEL_TASKS: usize = 5;

/// The todo panel: the list's summary with its progress, then a window of
/// its tasks that starts a little before the first open one; nothing once
/// every task is done (the transcript keeps the finished list).
fn todo_panel(
    list: &crate::tools::todo::TodoList,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let Some(first_open) = list.tasks.iter().position(|t| !t.completed) else {
        return Vec::new();
    };
    let done = list.tasks.iter().filter(|t| t.completed).count();
    let title = format!(
        "todo {}/{} · {}",
        done,
        list.tasks.len(),
        clean(&list.description)
    );
    let mut lines = vec![Line::from(Span::styled(truncate(&title, width), theme.dim))];
    let start = first_open
        .saturating_sub(1)
        .min(list.tasks.len().saturating_sub(TODO_PANEL_TASKS));
    for task in list.tasks.iter().skip(start).take(TODO_PANEL_TASKS) {
        let (mark, style) = match task.completed {
            true => ("✓ ", theme.dim),
            false => ("☐ ", Style::default()),
        };
        let text = format!("{mark}{}", clean(&task.task_description));
        lines.push(Line::from(Span::styled(truncate(&text, width), style)));
    }
    lines
}

fn draw_transcript(app: &mut App, frame: &mut Frame<'_>, area: Rect) {
    let height = area.height as usize;
    let entries = app.cache.lines(
        &app.transcript,
        area.width as usize,
        &app.theme,
        app.expanded,
    );
    let total: usize = entries.iter().map(|e| e.len()).sum();
    let max_scroll = total.saturating_sub(height);
    app.scroll = app.scroll.min(max_scroll);
    let end = total - app.scroll;
    let start = end.saturating_sub(height);
    let mut visible = Vec::with_capacity(height);
    let mut index = 0;
    for lines in entries {
        if index >= end {
            break;
        }
        let next = index + lines.len();
        if next > start {
            let from = start.saturating_sub(index);
            let to = (end - index).min(lines.len());
            visible.extend(lines[from..to].iter().cloned());
        }
        index = next;
    }
    frame.render_widget(Paragraph::new(visible), area);
    if app.scroll > 0 {
        let note = format!(" ↓ {} more lines (PageDown) ", app.scroll);
        let w = (text_width(&note) as u16).min(area.width);
        let corner = Rect::new(
            area.right().saturating_sub(w),
            area.bottom().saturating_sub(1),
            w,
            1,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(note, app.theme.selected)),
            corner,
        );
    }
}

fn draw_input(app: &mut App, frame: &mut Frame<'_>, area: Rect) {
    let theme = app.theme;
    let title = match (&app.editor.search, app.working.is_some(), app.mode) {
        (Some(search), _, _) => format!(
            " history search `{}`: {} ",
            clean(&search.query),
            app.editor
                .search_hit()
                .map_or("(no match)".into(), |h| clean(
                    h.lines().next().unwrap_or_default()
                ))
        ),
        (None, true, SendMode::Steer) => " steer: joins the turn at its next tool call ".into(),
        (None, true, SendMode::Queue) => " queue: sent when the turn ends ".into(),
        (None, false, _) => " prompt ".into(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(
            truncate(&title, area.width as usize),
            theme.dim,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let hint = if app.working.is_some() {
        "type to steer or queue; Esc cancels the turn"
    } else {
        "ask anything; /help lists commands, @ completes paths"
    };
    app.editor.set_placeholder(hint, theme.dim);
    frame.render_widget(app.editor.widget(), inner);
}

fn draw_completion(app: &App, frame: &mut Frame<'_>, above: Rect) {
    let Some(completion) = &app.editor.completion else {
        return;
    };
    if app.approval.is_some() || above.height < 3 {
        return;
    }
    let rows = completion
        .items
        .len()
        .min(POPUP_ROWS)
        .min(above.height as usize - 1);
    let first = completion.selected.saturating_sub(rows - 1);
    let width = above.width.min(64);
    let area = Rect::new(above.x, above.bottom() - rows as u16, width, rows as u16);
    let shown = &completion.items[first..first + rows];
    let column = shown
        .iter()
        .map(|item| text_width(&item.text))
        .max()
        .unwrap_or(0)
        .min(width as usize / 2);
    let lines: Vec<Line<'static>> = shown
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let style = if first + i == completion.selected {
                app.theme.selected
            } else {
                app.theme.text
            };
            let pad = column.saturating_sub(text_width(&item.text));
            let text = format!(" {}{} ", item.text, " ".repeat(pad));
            let note = truncate(
                &item.note,
                (width as usize).saturating_sub(width_of(&text) + 1),
            );
            Line::from(vec![
                Span::styled(text, style),
                Span::styled(note, app.theme.dim),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines), area);
}

fn width_of(text: &str) -> usize {
    text_width(text)
}

/// The status line: agent, model, workspace, goal, checkpoint, context and
/// sandbox; the least useful parts go first when the screen is narrow.
pub fn status_line(status: &Status, width: usize, theme: &Theme) -> Line<'static> {
    let model = match status.model.split_once('/') {
        Some((_, name)) if width < 60 => name,
        _ => status.model.as_str(),
    };
    let mut parts: Vec<(u8, String)> = vec![
        (0, clean(&status.agent)),
        (2, clean(model)),
        (6, clean(&status.workspace)),
    ];
    if let Some(goal) = &status.goal {
        let checks: Vec<String> = goal
            .checks
            .iter()
            .map(|(name, passed)| {
                let mark = match passed {
                    Some(true) => "✓",
                    Some(false) => "✗",
                    None => "·",
                };
                format!("{mark}{}", clean(name))
            })
            .collect();
        parts.push((
            1,
            format!("goal {}/{} {}", goal.iteration, goal.max, checks.join(" "))
                .trim_end()
                .to_string(),
        ));
    }
    if status.supervised {
        parts.push((1, "supervised".into()));
    }
    if let Some(tag) = &status.checkpoint {
        parts.push((4, format!("ckpt {tag}")));
    }
    if let Some(percent) = status.context_percent {
        parts.push((3, format!("ctx {percent}%")));
    }
    parts.push((5, format!("sandbox: {}", status.sandbox)));
    let joined = |parts: &[(u8, String)]| {
        parts
            .iter()
            .map(|(_, p)| p.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    while parts.len() > 1 && text_width(&joined(&parts)) + 2 > width {
        if let Some(worst) = parts
            .iter()
            .enumerate()
            .max_by_key(|(_, (rank, _))| *rank)
            .map(|(i, _)| i)
        {
            parts.remove(worst);
        }
    }
    let text = truncate(&format!(" {}", joined(&parts)), width);
    let pad = width.saturating_sub(text_width(&text));
    Line::from(Span::styled(
        format!("{text}{}", " ".repeat(pad)),
        theme.status,
    ))
}

/// The keys worth knowing while idle, as many as fit in `width`, most
/// useful first, shown in a fixed order.
fn idle_hints(width: usize) -> String {
    const HINTS: [(u8, &str); 7] = [
        (0, "Enter send"),
        (2, "Alt+Enter newline"),
        (3, "Tab complete"),
        (4, "Ctrl+R history"),
        (5, "PgUp scroll"),
        (6, "Ctrl+O unfold"),
        (1, "Ctrl+D quit"),
    ];
    let mut shown: Vec<(u8, &str)> = HINTS.to_vec();
    let joined = |hints: &[(u8, &str)]| {
        hints
            .iter()
            .map(|(_, h)| *h)
            .collect::<Vec<_>>()
            .join(" · ")
    };
    while shown.len() > 1 && text_width(&joined(&shown)) > width {
        if let Some(worst) = shown
            .iter()
            .enumerate()
            .max_by_key(|(_, (rank, _))| *rank)
            .map(|(i, _)| i)
        {
            shown.remove(worst);
        }
    }
    joined(&shown)
}

/// The footer: keys when idle; while working, the spinner, the time, the
/// send mode and what is pending.
pub fn footer_line(app: &App, width: usize, now: Instant) -> Line<'static> {
    let theme = &app.theme;
    let pending_steer = app.steering.pending().len();
    let queued = app.queued.len();
    let mut spans = Vec::new();
    match app.working {
        Some(since) => {
            const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
            let elapsed = now.saturating_duration_since(since);
            let frame = FRAMES[(elapsed.as_millis() / 100) as usize % FRAMES.len()];
            spans.push(Span::styled(
                format!("{frame} {}s", elapsed.as_secs()),
                theme.accent,
            ));
            let mode = match app.mode {
                SendMode::Steer => "steer",
                SendMode::Queue => "queue",
            };
            spans.push(Span::styled(format!(" · {mode} mode (Ctrl+S)"), theme.text));
            spans.push(Span::styled(" · Esc cancels", theme.dim));
        }
        None => spans.push(Span::styled(idle_hints(width), theme.dim)),
    }
    if pending_steer + queued > 0 {
        spans.push(Span::styled(
            format!(" · pending: {pending_steer} to steer, {queued} queued"),
            theme.ask,
        ));
    }
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    if text_width(&text) <= width {
        return Line::from(spans);
    }
    Line::from(Span::styled(truncate(&text, width), theme.text))
}
