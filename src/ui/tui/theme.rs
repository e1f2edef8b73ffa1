//! Light and dark colour themes. Only the sixteen named ANSI colours are
//! used, so the terminal's own palette decides the exact shades; the light
//! theme avoids the colours that vanish on white (yellow, the light ones).

use clap::ValueEnum;
use ratatui::style::{Color, Modifier, Style};

/// Which theme to draw with (`--theme`, or `AGENT_THEME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ThemeChoice {
    /// Light on a light background when `COLORFGBG` says so, else dark.
    #[default]
    Auto,
    /// For dark terminal backgrounds.
    Dark,
    /// For light terminal backgrounds.
    Light,
}

impl ThemeChoice {
    /// The theme this choice means here; `colorfgbg` is the terminal's
    /// `COLORFGBG` variable (`"0;15"` is black on white).
    pub fn resolve(self, colorfgbg: Option<&str>) -> Theme {
        let light_background = colorfgbg
            .and_then(|v| v.rsplit(';').next())
            .and_then(|bg| bg.parse::<u8>().ok())
            .is_some_and(|bg| bg == 7 || bg == 15);
        match (self, light_background) {
            (ThemeChoice::Light, _) | (ThemeChoice::Auto, true) => Theme::light(),
            _ => Theme::dark(),
        }
    }
}

/// The styles the screen is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Ordinary text.
    pub text: Style,
    /// Secondary text: hints, folded lines, rules' origins.
    pub dim: Style,
    /// The person's own prompts.
    pub user: Style,
    /// Headings and highlights.
    pub accent: Style,
    /// Allowed calls, added lines, passing checks.
    pub allow: Style,
    /// Calls that ask.
    pub ask: Style,
    /// Denied calls, removed lines, errors.
    pub deny: Style,
    /// Diff hunk headers.
    pub hunk: Style,
    /// Inline code and code blocks.
    pub code: Style,
    /// Keywords in code blocks.
    pub keyword: Style,
    /// String literals in code blocks.
    pub string: Style,
    /// Comments in code blocks.
    pub comment: Style,
    /// The status line.
    pub status: Style,
    /// Borders of the input and panels.
    pub border: Style,
    /// The selected entry of a list.
    pub selected: Style,
}

impl Theme {
    /// For dark backgrounds.
    pub fn dark() -> Theme {
        Theme {
            text: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            user: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            accent: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::BOLD),
            allow: Style::new().fg(Color::Green),
            ask: Style::new().fg(Color::Yellow),
            deny: Style::new().fg(Color::Red),
            hunk: Style::new().fg(Color::Cyan),
            code: Style::new().fg(Color::LightYellow),
            keyword: Style::new().fg(Color::LightMagenta),
            string: Style::new().fg(Color::LightGreen),
            comment: Style::new().fg(Color::DarkGray),
            status: Style::new().fg(Color::Black).bg(Color::Gray),
            border: Style::new().fg(Color::DarkGray),
            selected: Style::new().add_modifier(Modifier::REVERSED),
        }
    }

    /// For light backgrounds.
    pub fn light() -> Theme {
        Theme {
            text: Style::new(),
            dim: Style::new().fg(Color::Gray),
            user: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            accent: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            allow: Style::new().fg(Color::Green),
            ask: Style::new().fg(Color::Magenta),
            deny: Style::new().fg(Color::Red),
            hunk: Style::new().fg(Color::Blue),
            code: Style::new().fg(Color::Magenta),
            keyword: Style::new().fg(Color::Blue),
            string: Style::new().fg(Color::Green),
            comment: Style::new().fg(Color::Gray),
            status: Style::new().fg(Color::White).bg(Color::Blue),
            border: Style::new().fg(Color::Gray),
            selected: Style::new().add_modifier(Modifier::REVERSED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_colorfgbg() {
        assert_eq!(ThemeChoice::Auto.resolve(Some("0;15")), Theme::light());
        assert_eq!(ThemeChoice::Auto.resolve(Some("15;0")), Theme::dark());
        assert_eq!(ThemeChoice::Auto.resolve(None), Theme::dark());
        assert_eq!(ThemeChoice::Dark.resolve(Some("0;15")), Theme::dark());
        assert_eq!(ThemeChoice::Light.resolve(None), Theme::light());
    }
}
