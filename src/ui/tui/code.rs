//! `code` results on a tool card, compactly: a summary line, then one line
//! per symbol (kind, name, where) or per diagnostic (a mark by severity,
//! line:column, message), at most [`FOLDED_LINES`] of them. Ctrl+O shows
//! the text the model read instead.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text::{clean, truncate, wrap};
use super::theme::Theme;
use super::transcript::FOLDED_LINES;
use crate::code::report::{CodeReport, Diagnostic, SymbolHit};

/// The lines of `reports`, under `gutter`, `width` columns wide.
pub fn render(
    reports: &[CodeReport],
    width: usize,
    theme: &Theme,
    gutter: &Span<'static>,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for report in reports {
        let (shown, total): (Vec<Vec<Span<'static>>>, usize) = match report {
            CodeReport::Symbols { symbols, total, .. } => (
                symbols.iter().map(|s| symbol(s, width, theme)).collect(),
                *total,
            ),
            CodeReport::Diagnostics {
                diagnostics, total, ..
            } => (
                diagnostics.iter().map(|d| diagnostic(d, theme)).collect(),
                *total,
            ),
        };
        let body = |spans: Vec<Span<'static>>, hang: &str| {
            wrap(
                spans,
                width,
                std::slice::from_ref(gutter),
                &[gutter.clone(), Span::raw(hang.to_string())],
            )
        };
        lines.extend(body(
            vec![Span::styled(
                format!("◇ {}", clean(&report.summary())),
                theme.accent,
            )],
            "  ",
        ));
        for spans in shown.iter().take(FOLDED_LINES) {
            let mut indented = vec![Span::raw("  ")];
            indented.extend(spans.iter().cloned());
            lines.extend(body(indented, "    "));
        }
        let more = total.saturating_sub(shown.len().min(FOLDED_LINES));
        if more > 0 {
            lines.extend(body(
                vec![Span::styled(
                    format!("  … {more} more (Ctrl+O shows the text)"),
                    theme.dim,
                )],
                "  ",
            ));
        }
    }
    lines
}

/// `function area  shapes.py:1-2`, the name cut to fit a narrow screen.
fn symbol(hit: &SymbolHit, width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let name = match &hit.container {
        Some(container) => format!("{container}.{}", hit.name),
        None => hit.name.clone(),
    };
    vec![
        Span::styled(format!("{} ", clean(&hit.kind)), theme.dim),
        Span::styled(truncate(&clean(&name), width / 2), theme.text),
        Span::styled(
            format!("  {}:{}-{}", clean(&hit.path), hit.line, hit.end_line),
            theme.dim,
        ),
    ]
}

/// `✗ 3:7 undefined name 'x'`, marked and coloured by severity.
fn diagnostic(found: &Diagnostic, theme: &Theme) -> Vec<Span<'static>> {
    let (mark, style): (&str, Style) = match found.severity.as_str() {
        "error" => ("✗", theme.deny),
        "warning" => ("!", theme.ask),
        _ => ("·", theme.dim),
    };
    vec![
        Span::styled(format!("{mark} "), style),
        Span::styled(format!("{}:{} ", found.line, found.column), theme.dim),
        Span::styled(clean(&found.message), theme.text),
    ]
}
