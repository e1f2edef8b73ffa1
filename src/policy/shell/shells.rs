//! Commands that run shell code given as a string or read from elsewhere: `sh -c`, `eval`,
//! `trap`, `source`, `su -c`, and builtins that evaluate their arguments.

use super::Word;
use super::options::{OptionSpec, scan_strict};
use super::wrappers::Resolution;

/// Shells whose `-c` string is parsed with bash syntax.
const POSIX_SHELLS: [&str; 10] = [
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh", "rbash",
];

/// Shells whose syntax this analysis does not understand.
const FOREIGN_SHELLS: [&str; 8] = ["fish", "csh", "tcsh", "pwsh", "nu", "elvish", "xonsh", "rc"];

/// Single-letter shell options that take no value (`-e`, `-x`, `-l`, ...).
const SHELL_FLAGS: &str = "abefhiklmnprtuvxBCEHPT";

/// Long shell options that take no value.
const SHELL_LONG_FLAGS: [&str; 7] = [
    "--norc",
    "--noprofile",
    "--posix",
    "--restricted",
    "--noediting",
    "--verbose",
    "--debugger",
];

const SU: OptionSpec = OptionSpec {
    flags: "lmpfP",
    valued: "cCgGsw",
    long_flags: &["login", "preserve-environment", "pty", "fast"],
    long_valued: &[
        "command",
        "session-command",
        "group",
        "supp-group",
        "shell",
        "whitelist-environment",
    ],
    ..OptionSpec::NONE
};

/// The resolution of a command that runs code, or `None` when `name` is not one.
pub(super) fn resolve_code_runner(name: &str, args: &[Word]) -> Option<Resolution> {
    let opaque = |reason: &str| Some(Resolution::Opaque(reason.to_owned()));
    let versioned = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    if POSIX_SHELLS.contains(&name) || POSIX_SHELLS.contains(&versioned) {
        return Some(shell(name, args));
    }
    if FOREIGN_SHELLS.contains(&name) || FOREIGN_SHELLS.contains(&versioned) {
        return opaque("runs code in a shell language that is not analysed");
    }
    match name {
        "eval" => Some(Resolution::ShellCode {
            wrapper: name.to_owned(),
            code: join_words(args),
            keep_self: false,
            opaque: Some("eval runs a string as shell code".into()),
        }),
        "trap" => trap(args),
        "su" | "runuser" => Some(su(name, args)),
        "script" => Some(script(args)),
        "source" | "." => opaque("runs commands from a file"),
        "fc" => opaque("fc re-runs commands from the history"),
        _ => None,
    }
}

/// Shell code given as a string to `wrapper`: parsed recursively unless it is only known at
/// run time.
pub(super) fn shell_code(wrapper: &str, code: Word) -> Resolution {
    Resolution::ShellCode {
        wrapper: wrapper.to_owned(),
        code,
        keep_self: false,
        opaque: None,
    }
}

/// Words joined by spaces, as `eval` and `watch` join their arguments.
pub(super) fn join_words(words: &[Word]) -> Word {
    let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
    Word {
        text: texts.join(" "),
        dynamic: words.iter().any(|word| word.dynamic),
    }
}

/// `sh [options] -c STRING [name [args]]` runs STRING; any other form reads a script from a
/// file or stdin, which cannot be judged.
fn shell(name: &str, args: &[Word]) -> Resolution {
    let mut command_mode = false;
    let mut start_up = None;
    let mut index = 0;
    while let Some(word) = args.get(index) {
        if word.dynamic {
            return Resolution::Opaque(format!("{name}: argument only known at run time"));
        }
        let text = word.text.as_str();
        index += 1;
        match text {
            "--" | "-" => break,
            "--version" | "--help" if index == 1 => return Resolution::Plain,
            "--login" => {
                start_up = Some(format!(
                    "{name} --login first runs login files (~/.profile and the like)"
                ));
            }
            "--rcfile" | "--init-file" => {
                index += 1;
                start_up = Some(format!(
                    "{name} {text} first runs start-up code from a file"
                ));
            }
            _ if SHELL_LONG_FLAGS.contains(&text) => {}
            _ if text.starts_with("--") => {
                return Resolution::Opaque(format!("{name}: unknown option {text}"));
            }
            _ if text.len() > 1 && (text.starts_with('-') || text.starts_with('+')) => {
                let Some(cluster) = shell_option_cluster(text) else {
                    return Resolution::Opaque(format!("{name}: unknown option {text}"));
                };
                if cluster.start_up_files {
                    start_up = Some(format!(
                        "{name} {text} is an interactive or login shell, which first runs \
                         start-up files the analysis cannot see"
                    ));
                }
                command_mode |= cluster.command;
                index += cluster.values;
            }
            _ => {
                index -= 1;
                break;
            }
        }
    }
    if !command_mode {
        return Resolution::Opaque(format!("{name} reads commands from a file or stdin"));
    }
    match args.get(index) {
        Some(code) => Resolution::ShellCode {
            wrapper: name.to_owned(),
            code: code.clone(),
            keep_self: false,
            opaque: start_up,
        },
        None => Resolution::Opaque(format!("{name} -c without a command string")),
    }
}

/// What one cluster of single-letter shell options (`-lc`, `-o`, `+O`) does.
struct ShellCluster {
    /// Contains `c`: the first operand is the code to run.
    command: bool,
    /// How many following words the cluster consumes (`-o NAME`, `-O NAME`).
    values: usize,
    /// Contains `i` or `l`: an interactive or login shell, which runs start-up files
    /// (`~/.bashrc`, `~/.profile`) and, interactive, expands aliases.
    start_up_files: bool,
}

fn shell_option_cluster(text: &str) -> Option<ShellCluster> {
    let mut cluster = ShellCluster {
        command: false,
        values: 0,
        start_up_files: false,
    };
    for option in text.chars().skip(1) {
        match option {
            'c' => cluster.command = true,
            'i' | 'l' => cluster.start_up_files = true,
            'o' | 'O' => cluster.values += 1,
            _ if SHELL_FLAGS.contains(option) => {}
            _ => return None,
        }
    }
    Some(cluster)
}

/// `trap [-lp] [[ACTION] SIGNAL…]`: ACTION is code run later, so it is judged now.
fn trap(args: &[Word]) -> Option<Resolution> {
    let operands: Vec<&Word> = args
        .iter()
        .skip_while(|word| matches!(word.text.as_str(), "-p" | "-l" | "-lp" | "-pl"))
        .skip_while(|word| word.text == "--")
        .collect();
    let action = operands.first()?;
    let resets = action.text == "-" || action.text.chars().all(|c| c.is_ascii_digit());
    if resets && !action.dynamic {
        return None;
    }
    Some(Resolution::ShellCode {
        wrapper: "trap".into(),
        code: (*action).clone(),
        keep_self: true,
        opaque: Some("`trap` sets code to run later, when a signal or the exit comes".into()),
    })
}

/// `su [options] [-] [user] -c STRING` runs STRING through the user's shell; without `-c`
/// it starts an interactive shell.
fn su(name: &str, args: &[Word]) -> Resolution {
    let scan = match scan_strict(args, &SU) {
        Ok(scan) => scan,
        Err(error) => return Resolution::Opaque(format!("{name}: {error}")),
    };
    match scan.value(&["-c", "-C", "--command", "--session-command"]) {
        Some(code) => shell_code(name, code.clone()),
        None => Resolution::Opaque(format!("{name} starts an interactive shell")),
    }
}

/// `script [options] [-c COMMAND] [FILE]` runs COMMAND through a shell; without `-c` it
/// starts an interactive one.
fn script(args: &[Word]) -> Resolution {
    let scan = match scan_strict(args, &SCRIPT) {
        Ok(scan) => scan,
        Err(error) => return Resolution::Opaque(format!("script: {error}")),
    };
    match scan.value(&["-c", "--command"]) {
        Some(code) => shell_code("script", code.clone()),
        None => Resolution::Opaque("script starts an interactive shell".into()),
    }
}

const SCRIPT: OptionSpec = OptionSpec {
    flags: "aeEfqTB",
    valued: "cIOmtT",
    long_flags: &["append", "return", "flush", "force", "quiet"],
    long_valued: &[
        "command",
        "log-in",
        "log-out",
        "log-io",
        "logging-format",
        "timing",
        "echo",
        "output-limit",
    ],
    abbreviations: true,
    ..OptionSpec::NONE
};
