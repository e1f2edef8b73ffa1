//! Static analysis of shell command lines for the policy engine.
//!
//! [`analyze`] turns one command line into every simple command it would run, so that each
//! can be judged on its own: commands hidden in pipelines, lists, compound commands,
//! substitutions, here-documents, `sh -c` strings and behind wrappers such as `sudo` or
//! `xargs` are all listed. Whatever cannot be judged statically (`eval`, a computed command
//! name, a script read from a file or stdin, ...) is reported in [`Analysis::opaque`], and the
//! caller must then never allow the line without asking.
//!
//! The analysis is written to fail closed: on anything it does not understand it reports
//! an [`Opaque`] entry or a [`ParseError`] rather than guessing.

mod builtins;
mod nesting;
pub(crate) mod options;
mod parts;
mod programs;
mod shells;
pub(crate) mod variables;
mod walk;
mod words;
mod wrappers;
mod writes;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use self::writes::write_targets;

/// How many levels of nested code (compound commands, substitutions, `sh -c` strings, ...)
/// are analysed; anything deeper is reported as [`Opaque`] instead of recursing further.
pub const MAX_DEPTH: usize = 16;

/// The result of analysing one command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Every simple command that would run, in source order, including those inside
    /// pipelines, `&&`/`||`/`;`/`&`, newlines, subshells `( )`, brace groups `{ }`,
    /// if/while/for/case bodies, `$(...)`, backticks, `<(...)`/`>(...)`, expanding here-doc
    /// bodies, parameter-expansion operands, the string of `sh -c`/`bash -c`/… (parsed again,
    /// recursively, depth-limited), and commands reached by peeling wrappers.
    ///
    /// A command is listed before the commands embedded in its words. A command without a
    /// program but with redirections (`> f`, `X=1 > f`) is listed with an empty `argv` so
    /// that its writes are still seen.
    pub commands: Vec<SimpleCommand>,
    /// Parts that cannot be judged statically. Non-empty means: never allow unasked.
    pub opaque: Vec<Opaque>,
    /// Variables that only `for` loops assign, with every word they may take (`f` in
    /// `for f in src/*.py`), so that `"$f"` can be judged as those words.
    pub loop_values: std::collections::BTreeMap<String, Vec<Word>>,
}

/// One simple command (program and arguments) that the line would run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Program and arguments after quote removal: `r''m`, `\rm`, `"rm"` all give "rm".
    /// argv[0] is kept as written otherwise (e.g. "/bin/rm").
    pub argv: Vec<Word>,
    /// Leading `VAR=value` assignments (peeled; not commands), including those given to
    /// peeled wrappers such as `env A=1` or `sudo A=1`.
    pub assignments: Vec<String>,
    /// Redirections attached to this command (and to any compound command enclosing it,
    /// e.g. `{ a; b; } > f` gives both the redirect; likewise a wrapper's or a `sh -c`'s
    /// redirections are given to the commands it runs). Enclosing ones come first.
    pub redirects: Vec<Redirect>,
    /// Wrappers peeled to reach this command, outermost first, e.g. ["sudo", "env"] for
    /// `sudo env rm x`. Shells whose `-c` string contains the command are listed too
    /// (["bash"] for `bash -c 'rm x'`), as are `find` for `-exec` commands, `eval` and `trap`.
    pub wrappers: Vec<String>,
    /// The whole invocation of each peeled wrapper, outermost first, after quote removal:
    /// `["sudo -u root env rm x", "env rm x"]` for `sudo -u root env rm x`. Rules written
    /// for a wrapper with its options (`command subcommand a=1`, `sudo -u root .*`) are
    /// matched against these.
    pub invocations: Vec<String>,
}

impl SimpleCommand {
    /// argv texts joined by single spaces: what Kiro-style regexes are matched against.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.argv.iter().map(|word| word.text.as_str()).collect();
        texts.join(" ")
    }

    /// The program's base name: "/usr/bin/rm" → "rm". `None` when there is no program.
    pub fn program(&self) -> Option<&str> {
        self.argv.first().map(|word| base_name(&word.text))
    }
}

/// The part of a path after its last `/`: what the shell's lookup makes of a program path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// One word of a command, after quote removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word {
    /// Text after quote removal. Command substitutions stay as written (`$(…)`) in the text;
    /// their inner commands are listed separately in [`Analysis::commands`].
    pub text: String,
    /// True when the word's value is not known statically: it contains an unquoted or
    /// double-quoted parameter expansion, command substitution, arithmetic, an unquoted glob
    /// character (`*`, `?`, `[`, extglob `(`) or brace expansion (`{a,b}`), or a tilde form
    /// other than a leading `~` (`~user`, `~+`). A leading `~` alone does NOT make it dynamic
    /// (the policy expands `~`).
    pub dynamic: bool,
}

impl Word {
    /// A word whose text is known statically.
    pub fn literal(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            dynamic: false,
        }
    }
}

/// A redirection of one of the command's file descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file descriptor written before the operator (`2>` gives 2); `None` when the
    /// default applies, and for `&>`/`&>>` (which redirect both stdout and stderr and are
    /// reported as `Write`/`Append`).
    pub fd: Option<i32>,
    /// What the redirection does.
    pub kind: RedirectKind,
    /// The file (or fd, for duplications). For here-strings the string; for here-documents
    /// the body (dynamic when an expanding body contains expansions).
    pub target: Word,
}

/// The operator of a [`Redirect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    /// `<`: reads a file.
    Read,
    /// `>` or `&>`: truncates and writes a file.
    Write,
    /// `>>` or `&>>`: appends to a file.
    Append,
    /// `<>`: opens a file for reading and writing (creating it).
    ReadWrite,
    /// `>|`: writes a file even under `noclobber`.
    Clobber,
    /// `>&`: duplicates an output fd; with a target that is not a number or `-`
    /// (`>& file`) it writes that file, as `&>` does.
    DuplicateOutput,
    /// `<&`: duplicates an input fd.
    DuplicateInput,
    /// `<<<`: feeds a string to stdin.
    HereString,
    /// `<<`/`<<-`: feeds a here-document to stdin.
    HereDoc,
}

/// Something in the line whose effect cannot be judged statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    /// Why it cannot be judged, for the person asked to approve the line.
    pub reason: String,
    /// The code concerned, as far as it can be shown.
    pub snippet: String,
}

impl Opaque {
    fn new(reason: impl Into<String>, snippet: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            snippet: snippet.into(),
        }
    }
}

/// Why a command line could not be parsed; the line is to be denied with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The parser's description of the problem.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot parse command line: {}", self.message)
    }
}

impl std::error::Error for ParseError {}

/// Analyse a command line; a line that does not parse is an error (to be denied with this
/// message).
pub fn analyze(source: &str) -> Result<Analysis, ParseError> {
    walk::analyze_top_level(source)
}
