//! The curated set of read-only commands that `autoAllowReadonly` lets run
//! unasked.
//!
//! A program is on the list only with the flags that keep it read-only:
//! `find` without its actions that delete, run or write, `grep` without `-P`
//! (Perl regexes can run code), `sed` only as `sed -n` with a print-only
//! script, `git` only for its inspecting subcommands and never with options
//! that run programs or write files. Path arguments are checked by the
//! caller against `read.deniedPaths`.

use super::shell::{SimpleCommand, Word};

/// Programs that are read-only with the right flags.
const LISTED: &[&str] = &[
    "ls",
    "pwd",
    "echo",
    "printf",
    "cat",
    "head",
    "tail",
    "wc",
    "which",
    "whoami",
    "id",
    "uname",
    "stat",
    "du",
    "df",
    "cut",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "true",
    "false",
    "test",
    "[",
    "seq",
    "nl",
    "cmp",
    "diff",
    "comm",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "type",
    "cd",
    "column",
    "tac",
    "rev",
    "expr",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "tree",
    "sort",
    "uniq",
    "file",
    "date",
    "find",
    "git",
    "sed",
    "hostname",
    "tr",
];

/// True when `program` is on the read-only list (with some flags).
pub fn is_listed(program: &str) -> bool {
    LISTED.contains(&program)
}

/// Why a simple command is not read-only, or `Ok` when it is.
pub fn check(cmd: &SimpleCommand) -> Result<(), String> {
    let Some(program) = cmd.program() else {
        return Err("no program".into());
    };
    if !is_listed(program) {
        return Err(format!("`{program}` is not on the read-only list"));
    }
    if cmd.argv[0].text.contains('/') {
        return Err(format!(
            "`{}` is a path, not the system's `{program}`",
            cmd.argv[0].text
        ));
    }
    let args: Vec<&str> = cmd.argv.iter().skip(1).map(|w| w.text.as_str()).collect();
    let forbidden = forbidden_options(program, &args);
    if let Some(option) = forbidden {
        return Err(format!(
            "`{program} {option}` can write files or run programs"
        ));
    }
    match program {
        "find" => check_find(&args),
        "git" => check_git(&args),
        "sed" => check_sed(&args),
        "uniq" if operands(&args).len() > 1 => Err("`uniq IN OUT` writes OUT".into()),
        "hostname" if !operands(&args).is_empty() => {
            Err("`hostname NAME` renames the machine".into())
        }
        _ => Ok(()),
    }
}

/// Non-option arguments: candidates for paths the command reads.
pub fn read_operands(cmd: &SimpleCommand) -> Vec<&Word> {
    cmd.argv
        .iter()
        .skip(1)
        .filter(|w| !w.text.starts_with('-') || w.text == "-")
        .collect()
}

fn operands<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect()
}

/// The first option that makes `program` write or execute.
fn forbidden_options<'a>(program: &str, args: &[&'a str]) -> Option<&'a str> {
    let is = |arg: &str, long: &[&str], short: &[char]| {
        long.iter()
            .any(|l| arg == *l || arg.starts_with(&format!("{l}=")))
            || (arg.starts_with('-')
                && !arg.starts_with("--")
                && arg[1..].chars().any(|c| short.contains(&c)))
    };
    args.iter().copied().find(|arg| match program {
        "grep" | "egrep" | "fgrep" => is(arg, &["--perl-regexp"], &['P']),
        "rg" => is(arg, &["--pre", "--pre-glob", "--search-zip"], &['z']),
        "sort" => is(arg, &["--output", "--compress-program"], &['o']),
        "tree" => is(arg, &["--output"], &['o']),
        "date" => is(arg, &["--set"], &['s']),
        "file" => is(arg, &["--compile"], &['C']),
        _ => false,
    })
}

const FIND_ACTIONS: &[&str] = &[
    "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls",
];

fn check_find(args: &[&str]) -> Result<(), String> {
    match args.iter().find(|a| FIND_ACTIONS.contains(a)) {
        Some(action) => Err(format!(
            "`find {action}` runs programs, deletes or writes files"
        )),
        None => Ok(()),
    }
}

const GIT_READ_SUBCOMMANDS: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "branch",
    "rev-parse",
    "ls-files",
];

/// Options that make git run a configured program, write a file, or change
/// its configuration on the command line.
fn git_option_is_dangerous(arg: &str) -> bool {
    arg == "-c"
        || arg == "-p"
        || arg == "--paginate"
        || arg.starts_with("--output")
        || arg.starts_with("--ext-diff")
        || arg.starts_with("--exec")
        || arg.starts_with("--textconv")
        || arg.starts_with("--config-env")
        || arg.starts_with("--upload-pack")
}

fn check_git(args: &[&str]) -> Result<(), String> {
    if let Some(arg) = args.iter().find(|a| git_option_is_dangerous(a)) {
        return Err(format!(
            "`git {arg}` can run programs, change configuration or write files"
        ));
    }
    let mut rest = args.iter().copied();
    let subcommand = loop {
        match rest.next() {
            Some("-C" | "--git-dir" | "--work-tree") => {
                rest.next();
            }
            Some(arg) if arg.starts_with('-') => {}
            other => break other,
        }
    };
    let Some(subcommand) = subcommand else {
        return Err("`git` without a subcommand".into());
    };
    if !GIT_READ_SUBCOMMANDS.contains(&subcommand) {
        return Err(format!("`git {subcommand}` is not a read-only git command"));
    }
    let sub_args: Vec<&str> = rest.collect();
    if subcommand == "branch" {
        let listing = [
            "-a",
            "-r",
            "-v",
            "-vv",
            "--list",
            "--all",
            "--remotes",
            "--show-current",
            "--no-color",
            "--color",
        ];
        if sub_args.iter().any(|a| !listing.contains(a)) {
            return Err("`git branch` with arguments can create, rename or delete branches".into());
        }
    }
    Ok(())
}

/// `sed` is read-only only as `sed -n SCRIPT [FILE…]` where the script only
/// selects lines and prints them (no `w` file writes, no `e` execution).
fn check_sed(args: &[&str]) -> Result<(), String> {
    let (options, rest): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with('-'));
    if options != ["-n"] {
        return Err("`sed` is read-only only as `sed -n SCRIPT`".into());
    }
    let Some(script) = rest.first() else {
        return Err("`sed -n` without a script".into());
    };
    if script.split(';').all(is_print_command) {
        Ok(())
    } else {
        Err(format!("the sed script `{script}` does more than print"))
    }
}

fn is_print_command(command: &str) -> bool {
    let command = command.trim();
    let Some(address) = command.strip_suffix('p') else {
        return false;
    };
    let line = |s: &str| s == "$" || (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    let regex = |s: &str| {
        s.len() >= 2
            && s.starts_with('/')
            && s.ends_with('/')
            && !s[1..s.len() - 1].contains(['/', '\\'])
    };
    let part = |s: &str| line(s) || regex(s) || s.strip_prefix('+').is_some_and(line);
    let address = address.trim();
    address.is_empty()
        || match address.split_once(',') {
            Some((from, to)) => part(from.trim()) && part(to.trim()),
            None => part(address),
        }
}
