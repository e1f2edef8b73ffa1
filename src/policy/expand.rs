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

/// Whether the glob `pattern` could name `target` or a folder above it, even when no such
/// file exists yet: `~/.a?s/credentials` could name `~/.aws`, so reading it is judged as
/// reading there. Components are compared one by one (hidden names match, as above).
pub fn may_name(pattern: &str, target: &Path, cwd: &Path, home: Option<&Path>) -> bool {
    let absolute = match (pattern.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => cwd.join(pattern),
    };
    let written: Vec<_> = absolute.components().collect();
    let wanted: Vec<_> = target.components().collect();
    written.len() > 1
        && written.iter().zip(&wanted).all(|(written, wanted)| {
            let written = written.as_os_str().to_string_lossy();
            if !has_glob(&written) {
                return written == wanted.as_os_str().to_string_lossy();
            }
            GlobBuilder::new(&written)
                .literal_separator(true)
                .build()
                .is_ok_and(|glob| glob.compile_matcher().is_match(wanted.as_os_str()))
        })
}

/// Whether a word holds characters that pathname expansion acts on.
pub fn has_glob(word: &str) -> bool {
    word.contains(['*', '?', '['])
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
            let matcher = GlobBuilder::new(component)
                .literal_separator(true)
                .build()
                .map_err(|error| format!("`{pattern}`: {error}"))?
                .compile_matcher();
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
        let home = Path::new("/home/u");
        let aws = Path::new("/home/u/.aws");
        assert!(may_name("~/.a?s/credentials", aws, home, Some(home)));
        assert!(may_name("/home/*/.[a]ws", aws, home, Some(home)));
        assert!(!may_name("~/src/*.py", aws, home, Some(home)));
    }

    #[test]
    fn braces_expand_and_sequences_are_unknown() {
        assert_eq!(braces("a{b,c{d,e}}f").unwrap(), ["abf", "acdf", "acef"]);
        assert!(braces("x{1..3}").is_err());
        assert_eq!(braces("{x}").unwrap(), ["{x}"]);
        assert!(candidates("$HOME/x", Path::new("/"), None).is_err());
    }
}
