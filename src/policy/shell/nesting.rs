//! A cheap bound on syntactic nesting, checked before brush-parser sees the source.
//!
//! brush-parser is recursive and overflows the stack on deeply nested input (a few hundred
//! levels of `$(`, `{`, `if` or `[[ !`). An attacker controls the input, so the source is
//! first scanned for its nesting depth, and anything deeper than [`MAX_SOURCE_NESTING`] is
//! reported as opaque instead of being parsed. The scan ignores quoting, so it can only
//! overestimate: a quoted `(` counts too, which merely makes odd lines opaque.

/// The deepest nesting handed to brush-parser; well below the depth where it overflows a
/// 2 MiB stack in a debug build (about 100 levels for the worst constructs).
pub(super) const MAX_SOURCE_NESTING: usize = 32;

/// Keywords that open a compound command closed by `fi`, `done` or `esac`.
const OPENING_KEYWORDS: [&str; 6] = ["if", "while", "until", "for", "case", "select"];
const CLOSING_KEYWORDS: [&str; 3] = ["fi", "done", "esac"];

/// Whether `source` is nested more deeply than brush-parser can safely handle.
pub(super) fn too_deep(source: &str) -> bool {
    estimate(source) > MAX_SOURCE_NESTING
}

/// An upper bound on the nesting depth of `source`.
///
/// Brackets and compound-command keywords open and close levels. A `!` token opens a level
/// that lasts until the end of its pipeline (in `[[ ! ! x ]]` each one nests). A backtick
/// nests once per backslash escaping it.
fn estimate(source: &str) -> usize {
    let mut scanner = Scanner::default();
    let mut backslashes = 0;
    let mut token = String::new();
    for c in source.chars() {
        if is_token_char(c) {
            token.push(c);
        } else {
            scanner.token(&token);
            token.clear();
        }
        match c {
            '(' | '{' => scanner.open(),
            ')' | '}' => scanner.close(),
            ';' | '&' | '|' | '\n' => scanner.end_pipeline(),
            '`' => scanner.note(backslashes + 1),
            _ => {}
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    scanner.token(&token);
    scanner.max
}

fn is_token_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, ';' | '&' | '|' | '(' | ')' | '{' | '}' | '<' | '>' | '`')
}

/// Depth bookkeeping for [`estimate`]: one count of open `!` tokens per open level.
#[derive(Default)]
struct Scanner {
    depth: usize,
    max: usize,
    bangs: Vec<usize>,
    outer_bangs: usize,
}

impl Scanner {
    fn token(&mut self, token: &str) {
        if OPENING_KEYWORDS.contains(&token) {
            self.open();
        } else if CLOSING_KEYWORDS.contains(&token) {
            self.close();
        } else if token == "!" {
            *self.bangs.last_mut().unwrap_or(&mut self.outer_bangs) += 1;
            self.depth += 1;
            self.note(0);
        }
    }

    fn open(&mut self) {
        self.depth += 1;
        self.bangs.push(0);
        self.note(0);
    }

    fn close(&mut self) {
        let bangs = self.bangs.pop().unwrap_or(0);
        self.depth = self.depth.saturating_sub(bangs + 1);
    }

    fn end_pipeline(&mut self) {
        let bangs = self.bangs.last_mut().unwrap_or(&mut self.outer_bangs);
        self.depth = self.depth.saturating_sub(*bangs);
        *bangs = 0;
    }

    fn note(&mut self, extra: usize) {
        self.max = self.max.max(self.depth + extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_lines_are_shallow() {
        assert_eq!(estimate("ls -la"), 0);
        assert_eq!(estimate("if true; then (echo $(ls)); fi"), 3);
        assert_eq!(estimate("! a; ! b; ! c; ! d"), 1);
        assert_eq!(estimate("echo `ls`"), 1);
    }

    #[test]
    fn deep_constructs_are_caught() {
        assert!(too_deep(&"$(".repeat(40)));
        assert!(too_deep(&format!("[[ {} x ]]", "! ".repeat(40))));
        assert!(too_deep(&"if a; then ".repeat(40)));
        assert!(too_deep(&format!("echo {}`", "\\".repeat(40))));
        assert!(!too_deep(&"(a); ".repeat(1000)));
    }
}
