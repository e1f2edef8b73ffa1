//! Expanding a glob in a command's path operand against the file system, the way bash
//! would, so that `cat ~/.a?s/credentials` is judged as the files it names.
//!
//! The expansion over-approximates on purpose: hidden names match as if `dotglob` were
//! set, and quoted glob characters (which bash would keep literal) are treated as globs,
//! so every file bash could pick is among the candidates. The word as written is a
//! candidate too (bash keeps it when nothing matches). Besides [`super::paths`], this is
//! the only part of the policy that reads the file system.

use std::path::{Path, PathBuf};

use globset::GlobBuilder;

/// The most paths one word may expand to, and the most folder entries read for it; past
/// either the word is not judged.
const MAX_MATCHES: usize = 512;
const MAX_ENTRIES_READ: usize = 20_000;

/// The paths a word could name, or why they cannot be told.
pub type Expansion = Result<Vec<String>, String>;

/// Every path `word` could expand to, relative words taken from `cwd`. Words with
/// parameter expansions or command substitutions are not expanded (their value is only
/// known at run time).
pub fn candidates(word: &str, cwd: &Path, home: Option<&Path>) -> Expansion {
    if word.contains(['$', '`']) {
        return Err(format!("`{word}` is only known at run time"));
    }
    let mut paths = Vec::new();
    for alternative in braces(word)? {
        paths.push(alternative.clone());
        if has_glob(&alternative) {
            paths.extend(glob(&alternative, cwd, home)?);
        }
        if paths.len() > MAX_MATCHES {
            return Err(format!("`{word}` matches too many files to judge"));
        }
    }
    Ok(paths)
}

/// An absolute glob split into components, each compiled once, to ask which of several
/// paths it could name.
pub struct PathGlob {
    components: Vec<Component>,
}

/// One component of a [`PathGlob`]: literal text, or a compiled glob.
enum Component {
    Literal(String),
    Glob(Option<globset::GlobMatcher>),
}

impl PathGlob {
    /// Splits `pattern` (absolute, its start already placed), resolving `..` lexically.
    pub fn new(pattern: &Path) -> PathGlob {
        let mut written: Vec<String> = Vec::new();
        for component in pattern.components() {
            match component {
                std::path::Component::ParentDir => {
                    written.pop();
                }
                std::path::Component::CurDir => {}
                other => written.push(other.as_os_str().to_string_lossy().into_owned()),
            }
        }
        let components = written
            .into_iter()
            .map(|text| match has_glob(&text) {
                true => Component::Glob(component_matcher(&text)),
                false => Component::Literal(text),
            })
            .collect();
        PathGlob { components }
    }

    /// Whether the glob could name `target` or a folder above it, even when no such file
    /// exists yet: `/home/u/.a?s/credentials` could name `/home/u/.aws`. Hidden names match.
    pub fn may_name(&self, target: &Path) -> bool {
        self.components.len() > 1
            && self
                .components
                .iter()
                .zip(target.components())
                .all(|(component, wanted)| {
                    let wanted = wanted.as_os_str();
                    match component {
                        Component::Literal(text) => text.as_str() == wanted.to_string_lossy(),
                        Component::Glob(glob) => glob.as_ref().is_some_and(|g| g.is_match(wanted)),
                    }
                })
    }
}

/// A matcher for one path component. Bracket expressions, which globset reads
/// differently from bash (`[[:alpha:]]`, `[!a]`), match any one character: an
/// over-approximation, which is the safe side here.
fn component_matcher(component: &str) -> Option<globset::GlobMatcher> {
    let mut simplified = String::with_capacity(component.len());
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        if c != '[' {
            simplified.push(c);
            continue;
        }
        let mut depth = 1;
        for inner in chars.by_ref() {
            match inner {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        simplified.push('?');
    }
    GlobBuilder::new(&simplified)
        .literal_separator(true)
        .build()
        .ok()
        .map(|glob| glob.compile_matcher())
}

/// `text` with the expansions whose values are known before the line runs put in: `$HOME`
/// and `${HOME}`, `$PWD` and `${PWD}` and a leading `~+` (the working folder `cwd`), and
/// `$$`/`$BASHPID` after `/proc/` (the shell itself, `self`). The line cannot have changed
/// `HOME` or `PWD`: assigning them makes it unknown.
pub fn substitute_known(text: &str, cwd: &Path, home: Option<&Path>) -> String {
    let cwd = cwd.to_string_lossy();
    let mut out = match text.strip_prefix("~+") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{cwd}{rest}"),
        _ => text.to_owned(),
    };
    out = replace_variable(&out, "PWD", &cwd);
    if let Some(home) = home {
        out = replace_variable(&out, "HOME", &home.to_string_lossy());
    }
    for pid in [
        "/proc/$$",
        "/proc/${$}",
        "/proc/$BASHPID",
        "/proc/${BASHPID}",
    ] {
        out = out.replace(pid, "/proc/self");
    }
    out
}

/// Replaces `$NAME` (not followed by a name character) and `${NAME}` with `value`.
fn replace_variable(text: &str, name: &str, value: &str) -> String {
    let plain = format!("${name}");
    let mut rest = text.replace(&format!("${{{name}}}"), value);
    let mut out = String::with_capacity(rest.len());
    while let Some(at) = rest.find(&plain) {
        let after = rest[at + plain.len()..].to_owned();
        let continues = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if continues { &plain } else { value });
        rest = after;
    }
    out.push_str(&rest);
    out
}

/// Whether a word (after [`substitute_known`]) still holds an expansion only known at run
/// time, or a tilde form other than `~/` (`~user`, `~-`).
pub fn is_run_time(text: &str) -> bool {
    let other_tilde = text.starts_with('~') && text.len() > 1 && !text.starts_with("~/");
    other_tilde || text.contains(['$', '`'])
}

/// A run-time word as a glob: each expansion stands for anything (`$d/../x` → `*/../x`).
pub fn run_time_as_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let close = match (c, chars.peek()) {
            ('$', Some('{')) => '}',
            ('$', Some('(')) => ')',
            ('$', _) => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || "_#?$!@*-".contains(*c))
                {
                    chars.next();
                }
                out.push('*');
                continue;
            }
            ('`', _) => '`',
            (other, _) => {
                out.push(other);
                continue;
            }
        };
        skip_past(&mut chars, close);
        out.push('*');
    }
    out
}

/// Skips a bracketed expansion up to its matching `close` (the opening character is next,
/// except for backquotes, where it was already taken).
fn skip_past(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, close: char) {
    let open = match close {
        '}' => '{',
        ')' => '(',
        _ => {
            chars.find(|c| *c == close);
            return;
        }
    };
    let mut depth = 0;
    for inner in chars.by_ref() {
        if inner == open {
            depth += 1;
        } else if inner == close {
            depth -= 1;
            if depth == 0 {
                return;
            }
        }
    }
}

/// Splits a glob before its first component with a glob character: the static start (at
/// least `.`) and the rest.
pub fn split_at_glob(pattern: &str) -> (&str, &str) {
    let first_glob = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    match pattern[..first_glob].rfind('/') {
        Some(0) => ("/", &pattern[1..]),
        Some(slash) => (&pattern[..slash], &pattern[slash + 1..]),
        None => (".", pattern),
    }
}

/// Whether a word holds characters that pathname expansion acts on.
pub fn has_glob(word: &str) -> bool {
    word.contains(['*', '?', '['])
}

/// The words brace expansion makes of `word` (see [`braces`]).
pub fn alternatives(word: &str) -> Result<Vec<String>, String> {
    braces(word)
}

/// Brace expansion of comma lists, `a{b,c}d` → `abd`, `acd`; sequences (`{1..9}`) are
/// not expanded and make the word unknown.
fn braces(word: &str) -> Result<Vec<String>, String> {
    let Some(open) = word.find('{') else {
        return Ok(vec![word.to_owned()]);
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (index, c) in word[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + index);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + index),
            _ => {}
        }
    }
    let Some(close) = close else {
        return Ok(vec![word.to_owned()]);
    };
    if commas.is_empty() {
        if word[open..close].contains("..") {
            return Err(format!("`{word}` holds a brace sequence"));
        }
        let rest = braces(&word[close + 1..])?;
        let head = &word[..=close];
        return Ok(rest
            .into_iter()
            .map(|tail| format!("{head}{tail}"))
            .collect());
    }
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut expanded = Vec::new();
    for pair in bounds.windows(2) {
        let middle = &word[pair[0] + 1..pair[1]];
        let joined = format!("{}{middle}{}", &word[..open], &word[close + 1..]);
        expanded.extend(braces(&joined)?);
        if expanded.len() > MAX_MATCHES {
            return Err(format!("`{word}` expands to too many words"));
        }
    }
    Ok(expanded)
}

/// The existing paths a glob matches, component by component.
fn glob(pattern: &str, cwd: &Path, home: Option<&Path>) -> Expansion {
    let (base, rest, shown) = match (pattern.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            (home.to_path_buf(), rest.trim_start_matches('/'), "~/")
        }
        _ if pattern.starts_with('/') => (PathBuf::from("/"), &pattern[1..], "/"),
        _ => (cwd.to_path_buf(), pattern, ""),
    };
    let mut found = vec![(base, shown.to_owned())];
    let mut entries_read = 0;
    for component in rest.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for (folder, written) in found {
            if !has_glob(component) {
                next.push((folder.join(component), format!("{written}{component}/")));
                continue;
            }
            let matcher = component_matcher(component)
                .ok_or_else(|| format!("`{pattern}` is not a glob the analysis reads"))?;
            let Ok(listing) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in listing.flatten() {
                entries_read += 1;
                if entries_read > MAX_ENTRIES_READ {
                    return Err(format!("`{pattern}` reaches too many files to judge"));
                }
                let name = entry.file_name();
                if matcher.is_match(&name) {
                    let name = name.to_string_lossy();
                    next.push((entry.path(), format!("{written}{name}/")));
                }
            }
        }
        found = next;
        if found.len() > MAX_MATCHES {
            return Err(format!("`{pattern}` matches too many files to judge"));
        }
    }
    Ok(found
        .into_iter()
        .map(|(_, written)| written.trim_end_matches('/').to_owned())
        .filter(|written| !written.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_match_and_the_word_itself_stays_a_candidate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), "").unwrap();
        let found = candidates("~/.a?s/credentials", dir.path(), Some(dir.path())).unwrap();
        assert_eq!(found, ["~/.a?s/credentials", "~/.aws/credentials"]);
        let found = candidates("~/*/cred*", dir.path(), Some(dir.path())).unwrap();
        assert!(
            found.contains(&"~/.aws/credentials".to_owned()),
            "{found:?}"
        );
    }

    #[test]
    fn a_glob_may_name_a_folder_that_does_not_exist() {
        let aws = Path::new("/home/u/.aws");
        let may_name = |pattern: &str| PathGlob::new(Path::new(pattern)).may_name(aws);
        assert!(may_name("/home/u/.a?s/credentials"));
        assert!(may_name("/home/*/.[[:alpha:]]ws"));
        assert!(may_name("/home/u/w/../.a*"));
        assert!(!may_name("/home/u/src/*.py"));
    }

    #[test]
    fn known_expansions_are_put_in_and_the_rest_stands_for_anything() {
        let cwd = Path::new("/w");
        let home = Some(Path::new("/h"));
        assert_eq!(substitute_known("$HOME/x", cwd, home), "/h/x");
        assert_eq!(substitute_known("${HOME}/$HOMER", cwd, home), "/h/$HOMER");
        assert_eq!(substitute_known("~+/../x", cwd, home), "/w/../x");
        assert_eq!(
            substitute_known("/proc/$$/cwd", cwd, home),
            "/proc/self/cwd"
        );
        assert!(is_run_time("~root/x") && is_run_time("$d/x") && !is_run_time("~/x"));
        assert_eq!(run_time_as_glob("$d/${e:-x}/$(id)/`id`"), "*/*/*/*");
        assert_eq!(split_at_glob("../.a?s/c"), ("..", ".a?s/c"));
        assert_eq!(split_at_glob("/.s*"), ("/", ".s*"));
        assert_eq!(split_at_glob("x*"), (".", "x*"));
    }

    #[test]
    fn braces_expand_and_sequences_are_unknown() {
        assert_eq!(braces("a{b,c{d,e}}f").unwrap(), ["abf", "acdf", "acef"]);
        assert!(braces("x{1..3}").is_err());
        assert_eq!(braces("{x}").unwrap(), ["{x}"]);
        assert!(candidates("$HOME/x", Path::new("/"), None).is_err());
    }
}
