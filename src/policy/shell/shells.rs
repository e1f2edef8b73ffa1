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
const SHELL_LONG_FLAGS: [&str; 8] = [
    "--login",
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
    if POSIX_SHELLS.contains(&name) {
        return Some(shell(name, args));
    }
    if FOREIGN_SHELLS.contains(&name) {
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
            "--rcfile" | "--init-file" => {
                return Resolution::Opaque(format!("{name} {text} runs start-up code from a file"));
            }
            _ if SHELL_LONG_FLAGS.contains(&text) => {}
            _ if text.starts_with("--") => {
                return Resolution::Opaque(format!("{name}: unknown option {text}"));
            }
            _ if text.len() > 1 && (text.starts_with('-') || text.starts_with('+')) => {
                match shell_option_cluster(text) {
                    Some(cluster) if cluster.interactive => {
                        return Resolution::Opaque(format!(
                            "{name} {text} starts an interactive shell, which runs ~/.bashrc and \
                             expands aliases"
                        ));
                    }
                    Some(cluster) => {
                        command_mode |= cluster.command;
                        index += cluster.values;
                    }
                    None => return Resolution::Opaque(format!("{name}: unknown option {text}")),
                }
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
        Some(code) => shell_code(name, code.clone()),
        None => Resolution::Opaque(format!("{name} -c without a command string")),
    }
}

/// What one cluster of single-letter shell options (`-lc`, `-o`, `+O`) does.
struct ShellCluster {
    /// Contains `c`: the first operand is the code to run.
    command: bool,
    /// How many following words the cluster consumes (`-o NAME`, `-O NAME`).
    values: usize,
    /// Contains `i`: an interactive shell, which reads rc files and expands aliases.
    interactive: bool,
}

fn shell_option_cluster(text: &str) -> Option<ShellCluster> {
    let mut cluster = ShellCluster {
        command: false,
        values: 0,
        interactive: false,
    };
    for option in text.chars().skip(1) {
        match option {
            'c' => cluster.command = true,
            'i' => cluster.interactive = true,
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
