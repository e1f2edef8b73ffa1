//! Text made safe and fitted to the screen: control characters escaped
//! (model and command output must not drive the terminal), tabs expanded,
//! and styled spans word-wrapped to a width with a prefix on every line.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::ui::escape_control;

/// One line of untrusted text, ready to draw: tabs become four spaces and
/// every other control character is shown escaped.
pub fn clean(line: &str) -> String {
    escape_control(&line.replace('\t', "    "))
}

/// The display width of `text`.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` columns, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Word-wraps `spans` (one logical line) to `width` columns. The first
/// screen line starts with `first`, the others with `rest` (a hanging
/// indent or a card's gutter). Words wider than the line are split.
pub fn wrap(
    spans: Vec<Span<'static>>,
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let prefix_width = |p: &[Span<'static>]| p.iter().map(|s| s.width()).sum::<usize>();
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = first.to_vec();
    let mut used = prefix_width(first);
    let mut limit = width.max(prefix_width(first) + 1);
    let mut line_has_text = false;
    for span in spans {
        let style = span.style;
        for chunk in chunks(&span.content) {
            let chunk_width = self::width(chunk);
            let blank = chunk.chars().all(char::is_whitespace);
            if used + chunk_width > limit && line_has_text {
                trim_end(&mut current);
                lines.push(Line::from(std::mem::take(&mut current)));
                current = rest.to_vec();
                used = prefix_width(rest);
                limit = width.max(used + 1);
                line_has_text = false;
                if blank {
                    continue;
                }
            }
            if used + chunk_width <= limit {
                push(&mut current, chunk, style);
                used += chunk_width;
                line_has_text = true;
                continue;
            }
            for c in chunk.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > limit && line_has_text {
                    lines.push(Line::from(std::mem::take(&mut current)));
                    current = rest.to_vec();
                    used = prefix_width(rest);
                    limit = width.max(used + 1);
                }
                push(&mut current, c.encode_utf8(&mut [0; 4]), style);
                used += w;
                line_has_text = true;
            }
        }
    }
    lines.push(Line::from(current));
    lines
}

/// Drops the spaces a wrapped line ends with.
fn trim_end(spans: &mut [Span<'static>]) {
    if let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end().len();
        last.content.to_mut().truncate(trimmed);
    }
}

/// Appends `text` to the last span when the style matches, else a new span.
fn push(spans: &mut Vec<Span<'static>>, text: &str, style: Style) {
    match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(text),
        _ => spans.push(Span::styled(text.to_string(), style)),
    }
}

/// Splits `text` into runs of whitespace and runs of everything else.
fn chunks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        match in_space {
            Some(previous) if previous != space => {
                out.push(&text[start..i]);
                start = i;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn words_wrap_with_a_hanging_prefix() {
        let lines = wrap(
            vec![Span::raw("one two three four")],
            10,
            &[Span::raw("- ")],
            &[Span::raw("  ")],
        );
        assert_eq!(plain(&lines), vec!["- one two", "  three", "  four"]);
    }

    #[test]
    fn long_words_are_split_and_controls_escaped() {
        let lines = wrap(vec![Span::raw("abcdefghij")], 4, &[], &[]);
        assert_eq!(plain(&lines), vec!["abcd", "efgh", "ij"]);
        assert_eq!(clean("a\tb\u{1b}[2J"), "a    b\\u{1b}[2J");
        assert_eq!(truncate("workspace", 5), "work…");
        assert_eq!(truncate("ok", 5), "ok");
    }
}
