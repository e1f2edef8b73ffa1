//! A small Markdown renderer for streamed answers: headings, lists, block
//! quotes, rules, fenced code blocks with a keyword highlighter, and inline
//! `code`, **bold** and *italic*. It works line by line, so a half-streamed
//! answer renders the same as the start of the finished one, and an
//! unclosed marker just shows as written until its end arrives. (A full
//! highlighter such as syntect would add megabytes and build minutes for
//! little gain in a transcript.)

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::text::{clean, wrap};
use super::theme::Theme;

/// What one line's rendering leaves for the next: the open code fence
/// (its marker and language), if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    fence: Option<(String, String)>,
}

/// Renders `source` to lines of at most `width` columns. A final newline
/// ends the last line; it does not start an empty one.
pub fn render(source: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut state = State::default();
    let body = source.strip_suffix('\n').unwrap_or(source);
    if body.is_empty() && source.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .flat_map(|raw| render_line(&mut state, raw, width, theme))
        .collect()
}

/// Renders one source line (without its newline) after the lines that
/// left `state`, and updates it. Streaming renders each line once, as it
/// completes.
pub fn render_line(
    state: &mut State,
    raw: &str,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let trimmed = raw.trim_start();
    if let Some((marker, language)) = &state.fence {
        if trimmed.starts_with(marker.as_str()) && trimmed.trim_end() == marker.as_str() {
            state.fence = None;
            return Vec::new();
        }
        let spans = highlight(&clean(raw), language, theme);
        return wrap(spans, width, &[gutter(theme)], &[gutter(theme)]);
    }
    if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
        let language = trimmed.trim_start_matches(marker).trim().to_lowercase();
        state.fence = Some((marker.to_string(), language));
        return Vec::new();
    }
    block_line(raw, width, theme)
}

fn gutter(theme: &Theme) -> Span<'static> {
    Span::styled("▏ ", theme.dim)
}

/// One line outside code blocks.
fn block_line(raw: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let text = clean(raw);
    let indent = text.len() - text.trim_start().len();
    let body = text.trim_start();
    let pad = " ".repeat(indent);
    if let Some(level) = heading_level(body) {
        let title = body[level..].trim().to_string();
        let style = match level {
            1 => theme.accent.add_modifier(Modifier::UNDERLINED),
            _ => theme.accent,
        };
        return wrap(vec![Span::styled(title, style)], width, &[], &[]);
    }
    if is_rule(body) {
        return vec![Line::styled("─".repeat(width.min(40)), theme.dim)];
    }
    if let Some(quoted) = body.strip_prefix('>') {
        let bar = Span::styled(format!("{pad}▌ "), theme.dim);
        return wrap(
            inline(quoted.trim_start(), theme.dim, theme),
            width,
            std::slice::from_ref(&bar),
            std::slice::from_ref(&bar),
        );
    }
    if let Some((marker, rest)) = list_item(body) {
        let first = Span::styled(format!("{pad}{marker} "), theme.accent);
        let hang = Span::raw(" ".repeat(indent + marker.chars().count() + 1));
        return wrap(inline(rest, theme.text, theme), width, &[first], &[hang]);
    }
    let hang = Span::raw(pad.clone());
    wrap(
        inline(body, theme.text, theme),
        width,
        std::slice::from_ref(&hang),
        std::slice::from_ref(&hang),
    )
}

fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|c| *c == '#').count();
    ((1..=6).contains(&level) && line[level..].starts_with(' ')).then_some(level)
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|m| compact.chars().all(|c| c.to_string() == *m))
}

/// `- item`, `* item`, `+ item` (shown as `•`) or `12. item`.
fn list_item(line: &str) -> Option<(String, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(("•".into(), rest));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits < 4)
        .then(|| rest.strip_prefix(". "))
        .flatten()
        .map(|rest| (format!("{}.", &line[..digits]), rest))
}

/// Inline `code`, **bold** and *italic* (or _italic_) in `text`.
fn inline(text: &str, base: Style, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let styled = match c {
            '`' => delimited(rest, "`").map(|(inner, len)| (inner, theme.code, len)),
            '*' if rest.starts_with("**") => delimited(rest, "**")
                .map(|(inner, len)| (inner, base.add_modifier(Modifier::BOLD), len)),
            '*' | '_' => delimited(rest, &c.to_string())
                .filter(|(inner, _)| !inner.starts_with(' '))
                .map(|(inner, len)| (inner, base.add_modifier(Modifier::ITALIC), len)),
            _ => None,
        };
        match styled {
            Some((inner, style, len)) => {
                if !plain.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut plain), base));
                }
                spans.push(Span::styled(inner.to_string(), style));
                rest = &rest[len..];
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !plain.is_empty() {
        spans.push(Span::styled(plain, base));
    }
    spans
}

/// The text between `marker` at the start of `text` and its next
/// occurrence, and the length of the whole; `None` when unclosed or empty.
fn delimited<'a>(text: &'a str, marker: &str) -> Option<(&'a str, usize)> {
    let inner_start = marker.len();
    let end = text[inner_start..].find(marker)?;
    (end > 0).then(|| {
        (
            &text[inner_start..inner_start + end],
            inner_start + end + marker.len(),
        )
    })
}

/// Keywords of the languages answers most often show.
fn keywords(language: &str) -> &'static [&'static str] {
    match language {
        "rust" | "rs" => &[
            "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
            "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
            "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
            "type", "unsafe", "use", "where", "while",
        ],
        "python" | "py" => &[
            "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
            "elif", "else", "except", "False", "finally", "for", "from", "if", "import", "in",
            "is", "lambda", "None", "not", "or", "pass", "raise", "return", "True", "try", "while",
            "with", "yield",
        ],
        "js" | "javascript" | "ts" | "typescript" | "jsx" | "tsx" => &[
            "async",
            "await",
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "default",
            "else",
            "export",
            "extends",
            "false",
            "finally",
            "for",
            "function",
            "if",
            "import",
            "in",
            "interface",
            "let",
            "new",
            "null",
            "of",
            "return",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "type",
            "typeof",
            "undefined",
            "var",
            "while",
        ],
        "sh" | "bash" | "shell" | "console" | "zsh" => &[
            "case", "do", "done", "elif", "else", "esac", "export", "fi", "for", "function", "if",
            "in", "local", "return", "then", "while",
        ],
        "go" => &[
            "break",
            "case",
            "chan",
            "const",
            "continue",
            "default",
            "defer",
            "else",
            "false",
            "for",
            "func",
            "go",
            "if",
            "import",
            "interface",
            "map",
            "nil",
            "package",
            "range",
            "return",
            "select",
            "struct",
            "switch",
            "true",
            "type",
            "var",
        ],
        "c" | "cpp" | "c++" | "h" | "java" => &[
            "break", "case", "char", "class", "const", "continue", "default", "do", "double",
            "else", "enum", "false", "float", "for", "if", "int", "long", "new", "null", "nullptr",
            "private", "public", "return", "static", "struct", "switch", "true", "void", "while",
        ],
        _ => &[],
    }
}

/// The comment marker of `language`, if it has a line comment.
fn line_comment(language: &str) -> Option<&'static str> {
    match language {
        "python" | "py" | "sh" | "bash" | "shell" | "zsh" | "toml" | "yaml" | "yml" => Some("#"),
        "" | "text" | "console" | "json" => None,
        _ => Some("//"),
    }
}

/// One code line split into keyword, string, comment and plain spans.
fn highlight(line: &str, language: &str, theme: &Theme) -> Vec<Span<'static>> {
    let words = keywords(language);
    let comment = line_comment(language);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::styled(std::mem::take(plain), theme.code));
        }
    };
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if let Some(marker) = comment
            && rest.starts_with(marker)
        {
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(rest.to_string(), theme.comment));
            return spans;
        }
        if (c == '"' || c == '\'') && !words.is_empty() {
            let end = rest[1..].find(c).map_or(rest.len(), |e| e + 2);
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(rest[..end].to_string(), theme.string));
            rest = &rest[end..];
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if words.contains(&word) {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word.to_string(), theme.keyword));
            } else {
                plain.push_str(word);
            }
            rest = &rest[end..];
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut spans);
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(source: &str, width: usize) -> Vec<String> {
        render(source, width, &Theme::dark())
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn blocks_render_as_text() {
        let source = "# Title\n- one\n  - two\n1. first\n> quoted\n---\n```python\ndef f(): # hi\n```\nsay `x` **now**";
        assert_eq!(
            plain(source, 30),
            vec![
                "Title",
                "• one",
                "  • two",
                "1. first",
                "▌ quoted",
                "──────────────────────────────",
                "▏ def f(): # hi",
                "say x now",
            ]
        );
    }

    #[test]
    fn unclosed_markers_show_as_written_and_keywords_are_styled() {
        assert_eq!(plain("a **half", 20), vec!["a **half"]);
        let spans = highlight("fn main() // go", "rust", &Theme::dark());
        assert_eq!(spans[0].content, "fn");
        assert_eq!(spans[0].style, Theme::dark().keyword);
        assert_eq!(spans.last().unwrap().content, "// go");
    }
}
