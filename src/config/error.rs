//! Positioned diagnostics for agent files.
//!
//! Every problem found in a file's content carries the file, a 1-based line
//! and column, and the JSON path of the offending value, so that a user can
//! jump straight to it. Rendering follows rustc's layout because that is what
//! developers already read fluently.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column (counted in characters) in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text's end and
    /// to a character boundary, so any offset is safe).
    pub fn from_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// The path of a value inside a JSON document, such as
/// `toolsSettings.shell.allowedCommands[2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// The document's top-level value.
    pub fn root() -> JsonPath {
        JsonPath(Vec::new())
    }

    /// This path extended by an object member.
    pub fn key(&self, name: &str) -> JsonPath {
        let mut next = self.clone();
        next.0.push(Segment::Key(name.to_string()));
        next
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> JsonPath {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Removes the last step; false at the root.
    pub fn pop(&mut self) -> bool {
        self.0.pop().is_some()
    }

    /// The steps of this path.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// True for the document's top-level value.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if is_identifier(k) && i == 0 => write!(f, "{k}")?,
                Segment::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn is_identifier(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The file cannot be used.
    Error,
    /// The file works, but probably not as its author meant.
    Warning,
}

/// One problem in one agent file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The agent file.
    pub file: PathBuf,
    /// Where in it.
    pub position: Position,
    /// The JSON path of the value concerned.
    pub path: JsonPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell ("did you mean `allowedCommands`?").
    pub hint: Option<String>,
    /// The source line, for display.
    pub source_line: String,
}

impl Diagnostic {
    /// A diagnostic at byte `offset` of `text`.
    pub fn at(
        severity: Severity,
        file: &Path,
        text: &str,
        offset: usize,
        path: JsonPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        let position = Position::from_offset(text, offset);
        let source_line = text
            .lines()
            .nth(position.line - 1)
            .unwrap_or_default()
            .to_string();
        Diagnostic {
            severity,
            file: file.to_path_buf(),
            position,
            path,
            message: message.into(),
            hint: None,
            source_line,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let Position { line, column } = self.position;
        writeln!(f, "{label}: {}", self.message)?;
        let gutter = " ".repeat(line.to_string().len());
        writeln!(f, "{gutter}--> {}:{line}:{column}", self.file.display())?;
        if !self.path.is_root() {
            writeln!(f, "{gutter} = at `{}`", self.path)?;
        }
        writeln!(f, "{gutter} |")?;
        let shown: String = self.source_line.chars().map(visible).collect();
        writeln!(f, "{line} | {shown}")?;
        let pad: String = shown.chars().take(column - 1).map(|_| ' ').collect();
        write!(f, "{gutter} | {pad}^")?;
        if let Some(hint) = &self.hint {
            write!(f, "\n{gutter} = help: {hint}")?;
        }
        Ok(())
    }
}

/// Control characters in a source line would corrupt the terminal; show
/// them as spaces (columns stay aligned because each is one character).
fn visible(c: char) -> char {
    if c.is_control() { ' ' } else { c }
}

/// Why an agent file could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read at all.
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file was read but is not a valid agent file; at least one
    /// diagnostic is an error.
    Invalid(Vec<Diagnostic>),
    /// No agent of that name was found.
    NotFound {
        /// The name asked for.
        name: String,
        /// The folders searched, nearest first.
        searched: Vec<PathBuf>,
        /// A close name that does exist.
        hint: Option<String>,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { file, source } => {
                write!(f, "error: cannot read {}: {source}", file.display())
            }
            ConfigError::Invalid(diagnostics) => {
                let rendered: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
                f.write_str(&rendered.join("\n\n"))
            }
            ConfigError::NotFound {
                name,
                searched,
                hint,
            } => {
                write!(f, "error: no agent named `{name}`; looked in:")?;
                for dir in searched {
                    write!(f, "\n  {}", dir.display())?;
                }
                if let Some(hint) = hint {
                    write!(f, "\nhelp: did you mean `{hint}`?")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "{\n  \"é\": x\n}";
        let offset = text.find('x').unwrap();
        assert_eq!(
            Position::from_offset(text, offset),
            Position { line: 2, column: 8 }
        );
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_safe() {
        assert_eq!(
            Position::from_offset("ab", 99),
            Position { line: 1, column: 3 }
        );
        assert_eq!(
            Position::from_offset("é", 1),
            Position { line: 1, column: 1 }
        );
    }

    #[test]
    fn paths_read_like_javascript() {
        let path = JsonPath::root()
            .key("toolsSettings")
            .key("@git/status")
            .key("allowedCommands")
            .index(2);
        assert_eq!(
            path.to_string(),
            r#"toolsSettings["@git/status"].allowedCommands[2]"#
        );
    }

    #[test]
    fn renders_like_rustc() {
        let text = "{\n  \"allowed_commands\": []\n}";
        let d = Diagnostic::at(
            Severity::Error,
            Path::new("a.json"),
            text,
            4,
            JsonPath::root().key("allowed_commands"),
            "unknown field",
        )
        .with_hint(Some("did you mean `allowedCommands`?".into()));
        let shown = d.to_string();
        assert!(shown.contains("--> a.json:2:3"), "{shown}");
        assert!(
            shown.contains("2 |   \"allowed_commands\": []\n  |   ^"),
            "{shown}"
        );
        assert!(
            shown.ends_with("help: did you mean `allowedCommands`?"),
            "{shown}"
        );
    }
}
