//! Programs that run code given in their own options or scripts: `sort
//! --compress-program=CMD`, `rg --pre=CMD`, `tar --to-command=CMD`, `zip -TT CMD`, sed's `e`
//! command, and git's many hooks (`-c core.fsmonitor=CMD`, `rebase --exec`, `bisect run`,
//! `submodule foreach`, aliases set with `git config`).
//!
//! Such a command runs code the deny rules never see, so the line is not understood. For
//! git's `-c` and `config` the rule is closed-world: only keys known not to name a program
//! are understood. For sed the script is parsed: only commands known not to run or write
//! anything are understood.

use super::Word;

/// Why running `argv` runs code the analysis cannot see, if it does: git's hooks set
/// through `-c` or `config`, sed's `e`, a sed script read from a file.
pub(super) fn runs_code(argv: &[Word]) -> Option<String> {
    let (program, args) = argv.split_first()?;
    let name = program.text.rsplit('/').next().unwrap_or(&program.text);
    if let Some(subcommand) = name.strip_prefix("git-") {
        let mut with_subcommand = vec![Word::literal(subcommand)];
        with_subcommand.extend_from_slice(args);
        return git(&with_subcommand);
    }
    match name {
        "git" => git(args),
        "sed" | "gsed" => sed(args),
        _ => None,
    }
}

/// Options whose value is a command the program runs: `sort --compress-program=PROG`,
/// `rg --pre=PROG`, `tar --to-command=CMD`/`-I PROG`, `zip -TT CMD`. Each value is
/// returned to be judged as shell code, like the string of `sh -c`.
pub(super) fn option_commands(argv: &[Word]) -> Vec<Word> {
    let Some((program, args)) = argv.split_first() else {
        return Vec::new();
    };
    let name = program.text.rsplit('/').next().unwrap_or(&program.text);
    let (long, short): (&[&str], &str) = match name {
        "sort" => (&["--compress-program", "--co"], ""),
        "rg" => (&["--pre", "--hostname-bin"], ""),
        "tar" | "gtar" => (
            &[
                "--to-command",
                "--to-c",
                "--use-compress-program",
                "--use-c",
                "--info-script",
                "--info",
                "--new-volume-script",
                "--new-v",
                "--rsh-command",
                "--rsh",
            ],
            "IF",
        ),
        "zip" => (&["--unzip-command", "-TT"], ""),
        _ => return Vec::new(),
    };
    option_values(args, long, short)
}

/// The values of the options in `long` (matched by prefix, so abbreviations count; `-TT`
/// style words are listed there too) and of the short options in `short`, attached or in
/// the next word.
fn option_values(args: &[Word], long: &[&str], short: &str) -> Vec<Word> {
    let mut values = Vec::new();
    for (index, arg) in args.iter().enumerate() {
        let text = arg.text.as_str();
        let next = || args.get(index + 1).cloned();
        if text.starts_with("--") || long.contains(&text) {
            let (name, attached) = match text.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (text, None),
            };
            if name.len() > 2
                && long
                    .iter()
                    .any(|option| option.starts_with(name) || name.starts_with(option))
            {
                values.extend(match attached {
                    Some(value) => Some(Word {
                        text: value.to_owned(),
                        dynamic: arg.dynamic,
                    }),
                    None => next(),
                });
            }
            continue;
        }
        if !text.starts_with('-') {
            continue;
        }
        if let Some(position) = text[1..].find(|c| short.contains(c)) {
            let attached = &text[position + 2..];
            values.extend(if attached.is_empty() {
                next()
            } else {
                Some(Word {
                    text: attached.to_owned(),
                    dynamic: arg.dynamic,
                })
            });
        }
    }
    values
}

/// The first word that starts with one of `prefixes` (a long option or its abbreviation).
fn long_option<'a>(texts: &[&'a str], prefixes: &[&str]) -> Option<&'a str> {
    texts
        .iter()
        .copied()
        .find(|text| prefixes.iter().any(|prefix| text.starts_with(prefix)))
}

/// `git -c KEY=VALUE` keys that name no program and change no path git reads code from.
fn is_harmless_git_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "user.name",
        "user.email",
        "core.quotepath",
        "core.autocrlf",
        "core.safecrlf",
        "core.filemode",
        "core.ignorecase",
        "core.abbrev",
        "init.defaultbranch",
        "diff.noprefix",
        "diff.renames",
        "diff.algorithm",
        "diff.context",
        "merge.conflictstyle",
        "pull.rebase",
        "pull.ff",
        "push.default",
        "rebase.autostash",
        "commit.gpgsign",
        "tag.gpgsign",
        "log.decorate",
        "log.date",
        "status.short",
        "status.branch",
        "safe.directory",
        "gc.auto",
        "fetch.prune",
    ];
    const PREFIXES: &[&str] = &["color.", "advice.", "column.", "i18n."];
    EXACT.contains(&key.as_str()) || PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}

/// Git's global options that take a value in the next word.
const GIT_VALUED: [&str; 5] = [
    "-C",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
];

/// Why `git ARGS` runs code given as text, if it does.
fn git(args: &[Word]) -> Option<String> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        if arg.dynamic && text.starts_with('-') {
            return Some(format!("`git {text}` is only known at run time"));
        }
        if text == "-c" {
            let setting = args.get(index + 1)?;
            let key = setting.text.split('=').next().unwrap_or_default();
            if setting.dynamic || !is_harmless_git_key(key) {
                return Some(format!(
                    "`git -c {}` may make git run a program",
                    setting.text
                ));
            }
            index += 2;
            continue;
        }
        if text.starts_with("--exec-path") || text.starts_with("--config-env") {
            return Some(format!("`git {text}` may make git run a program"));
        }
        if !text.starts_with('-') {
            return git_subcommand(text, &args[index + 1..]);
        }
        index += if GIT_VALUED.contains(&text) { 2 } else { 1 };
    }
    None
}

/// Subcommands and options that run a command given as text, or set one for later.
fn git_subcommand(subcommand: &str, args: &[Word]) -> Option<String> {
    let texts: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let option = match subcommand {
        "rebase" => long_option(&texts, &["--exec", "-x"]),
        "bisect" => texts.first().copied().filter(|first| *first == "run"),
        "difftool" | "mergetool" => long_option(&texts, &["--extcmd", "-x"]),
        "submodule" => texts.iter().copied().find(|text| *text == "foreach"),
        "fetch" | "pull" | "ls-remote" => long_option(&texts, &["--upload-pack", "--exec"]),
        "clone" => long_option(
            &texts,
            &["--upload-pack", "-u", "--config", "-c", "--template"],
        ),
        "push" | "send-pack" => long_option(&texts, &["--receive-pack", "--exec"]),
        "archive" => long_option(&texts, &["--exec", "--remote"]),
        "grep" => long_option(&texts, &["-O", "--open-files-in-pager"]),
        "filter-branch" | "filter-repo" | "credential" | "daemon" | "instaweb" => Some(""),
        "config" => return git_config(args),
        _ => None,
    }?;
    Some(format!(
        "`git {subcommand} {option}` runs a command given as text"
    ))
}

/// `git config`: reading is fine; setting a key that can name a program (an alias, a
/// pager, a hook path, a helper) makes later git commands run it.
fn git_config(args: &[Word]) -> Option<String> {
    const QUERIES: [&str; 9] = [
        "--get",
        "--get-all",
        "--get-regexp",
        "--list",
        "-l",
        "get",
        "list",
        "--show-origin",
        "--get-urlmatch",
    ];
    let texts: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    if texts.iter().any(|text| QUERIES.contains(text)) {
        return None;
    }
    let operands: Vec<&Word> = args
        .iter()
        .filter(|w| !w.text.starts_with('-') && w.text != "set")
        .collect();
    match operands.as_slice() {
        [] | [_] => None,
        [key, ..] if !key.dynamic && is_harmless_git_key(&key.text) => None,
        [key, ..] => Some(format!(
            "`git config {}` may set a program for later git commands to run",
            key.text
        )),
    }
}

/// Why a sed invocation runs or writes something its scripts say (`e`, `s///e`, `w`), or
/// cannot be read, if so. Scripts read from files (`-f`) are not known.
fn sed(args: &[Word]) -> Option<String> {
    if args.iter().any(|arg| arg.text == "--sandbox") {
        return None;
    }
    let mut scripts = Vec::new();
    let mut index = 0;
    let mut given = false;
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        index += 1;
        match text {
            "-e" | "--expression" => {
                given = true;
                scripts.extend(args.get(index));
                index += 1;
            }
            "-f" | "--file" => return Some("`sed -f` runs a script read from a file".into()),
            _ if text.starts_with("--expression=") || text.starts_with("-e") && text.len() > 2 => {
                given = true;
                scripts.push(arg);
            }
            _ if text.starts_with("--file") || text.starts_with("-f") && text.len() > 2 => {
                return Some("`sed -f` runs a script read from a file".into());
            }
            _ => {}
        }
    }
    if !given {
        let operand = args.iter().find(|w| !w.text.starts_with('-'));
        scripts.extend(operand);
    }
    scripts.into_iter().find_map(|script| {
        let text = script
            .text
            .strip_prefix("--expression=")
            .or_else(|| {
                script
                    .text
                    .strip_prefix("-e")
                    .filter(|_| script.text.len() > 2)
            })
            .unwrap_or(&script.text);
        if script.dynamic {
            return Some(format!("the sed script `{text}` is only known at run time"));
        }
        sed_script(text).err()
    })
}

/// Parses a sed script far enough to find every command; returns the files its `w`
/// commands and `s///w` flags write, or names a command that runs something (`e`,
/// `s///e`) or that could not be read.
pub(crate) fn sed_script(script: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = script.chars().collect();
    let mut writes = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        at = skip_address(&chars, at)?;
        let Some(&command) = chars.get(at) else {
            break;
        };
        at += 1;
        at = match command {
            ' ' | '\t' | '\n' | ';' | '{' | '}' | '!' => at,
            's' => {
                let (end, written) = substitute(&chars, at)?;
                writes.extend(written);
                end
            }
            'y' => skip_delimited(&chars, at, 2)?,
            'a' | 'i' | 'c' | 'r' | 'R' => line_end(&chars, at, false),
            ':' | 'b' | 't' | 'T' | 'q' | 'Q' | 'l' | 'L' => line_end(&chars, at, true),
            'w' | 'W' => {
                let end = line_end(&chars, at, false);
                writes.push(chars[at..end].iter().collect::<String>().trim().to_owned());
                end
            }
            'p' | 'P' | 'd' | 'D' | 'n' | 'N' | 'g' | 'G' | 'h' | 'H' | 'x' | '=' | 'z' | 'F' => at,
            'e' => return Err("the sed command `e` runs a shell command".into()),
            other => return Err(format!("the sed command `{other}` is not understood")),
        };
    }
    Ok(writes)
}

/// Skips an address (`12`, `$`, `/re/`, `\cREc`, ranges, steps) and spaces.
fn skip_address(chars: &[char], mut at: usize) -> Result<usize, String> {
    loop {
        match chars.get(at) {
            Some(c) if c.is_ascii_digit() || matches!(c, '$' | ',' | '~' | '+' | ' ') => at += 1,
            Some('/') => at = skip_delimited(chars, at, 1)?,
            Some('\\') => at = skip_delimited(chars, at + 1, 1)?,
            Some('I' | 'M') if at > 0 && chars[at - 1] == '/' => at += 1,
            _ => return Ok(at),
        }
    }
}

/// From a delimiter at `at`, skips `parts` delimited parts; returns the index after.
fn skip_delimited(chars: &[char], at: usize, parts: usize) -> Result<usize, String> {
    let delimiter = *chars.get(at).ok_or("a sed command ends early")?;
    let mut at = at + 1;
    let mut seen = 0;
    while seen < parts {
        match chars.get(at) {
            None => return Err("a sed command ends early".into()),
            Some('\\') => at += 2,
            Some(&c) if c == delimiter => {
                seen += 1;
                at += 1;
            }
            Some(_) => at += 1,
        }
    }
    Ok(at)
}

/// `s/RE/REPLACEMENT/FLAGS`: the flag `e` runs the pattern space as a command, `w FILE`
/// writes FILE (the rest of the line). Returns where the command ends and what it writes.
fn substitute(chars: &[char], at: usize) -> Result<(usize, Option<String>), String> {
    let mut at = skip_delimited(chars, at, 2)?;
    while let Some(&flag) = chars.get(at) {
        match flag {
            'g' | 'p' | 'i' | 'I' | 'm' | 'M' => at += 1,
            c if c.is_ascii_digit() => at += 1,
            'e' => return Err("the sed flag `s///e` runs the result as a command".into()),
            'w' => {
                let end = line_end(chars, at + 1, false);
                let file: String = chars[at + 1..end].iter().collect();
                return Ok((end, Some(file.trim().to_owned())));
            }
            _ => break,
        }
    }
    Ok((at, None))
}

/// Where the argument of a command starting at `at` ends: at the newline, or also at a
/// `;` for commands whose argument is a label or number.
fn line_end(chars: &[char], at: usize, semicolon_ends: bool) -> usize {
    chars[at..]
        .iter()
        .position(|c| *c == '\n' || (semicolon_ends && *c == ';'))
        .map_or(chars.len(), |offset| at + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sed_scripts_that_run_or_write_are_found() {
        for ok in [
            "s/a/b/g",
            "1,5p",
            "$p",
            "/x/d;s|a|b|2",
            "y/abc/xyz/",
            "s/e/w/",
            "/re/I p",
        ] {
            assert_eq!(sed_script(ok), Ok(vec![]), "{ok}");
        }
        for bad in ["1e id", "s/a/b/e", "$!{e id\n}", "1k"] {
            assert!(sed_script(bad).is_err(), "{bad}");
        }
        assert_eq!(sed_script("s/a/b/w out;x\np"), Ok(vec!["out;x".to_owned()]));
        assert_eq!(
            sed_script("1w f\n2W g"),
            Ok(vec!["f".to_owned(), "g".to_owned()])
        );
    }

    #[test]
    fn git_hooks_given_as_text_are_found() {
        let words = |line: &str| line.split(' ').map(Word::literal).collect::<Vec<_>>();
        for bad in [
            "git -c core.fsmonitor=x status",
            "git -c alias.p=push p",
            "git config alias.pu push",
            "git rebase --exec=x HEAD~1",
            "git submodule foreach x",
            "git-grep -O x TODO",
            "git fetch --upload-pack=x origin",
        ] {
            assert!(runs_code(&words(bad)).is_some(), "{bad}");
        }
        for ok in [
            "git -c color.ui=never log",
            "git config --get user.name",
            "git status",
        ] {
            assert_eq!(runs_code(&words(ok)), None, "{ok}");
        }
    }
}
