//! Recognising commands that run other commands, so the command actually run is judged.
//!
//! `sudo -u root env FOO=1 rm x` runs `rm x`: [`resolve`] takes one layer off at a time and
//! the walker repeats until a plain command is left. A wrapper given an option it does not
//! know is opaque, because the option might consume the word that looks like the command.

use super::options::{OptionSpec, Scan, scan_strict};
use super::shells;
use super::variables::{changes_what_runs, is_harmless_value};
use super::{Word, base_name};

/// What running a command amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Resolution {
    /// An ordinary command, listed as it is.
    Plain,
    /// Runs something that cannot be judged; the command is listed as it is too.
    Opaque(String),
    /// Runs the command `inner` (with extra environment `assignments`).
    Wrapped {
        wrapper: String,
        inner: Vec<Word>,
        assignments: Vec<Word>,
    },
    /// Runs `code` as shell source (`sh -c`, `eval`, `watch`, `trap`).
    ShellCode {
        wrapper: String,
        code: Word,
        /// Whether the command itself is listed too (`trap` is, `sh -c` is replaced).
        keep_self: bool,
        /// Set when the code is run in a way that is never safe to allow unasked (`eval`).
        opaque: Option<String>,
    },
    /// `find` with `-exec`-style actions: find itself is listed, and each action's command.
    Find(Vec<Vec<Word>>),
}

/// Decides what `argv` (whose first word is static) amounts to.
pub(super) fn resolve(argv: &[Word]) -> Resolution {
    let Some((program, args)) = argv.split_first() else {
        return Resolution::Plain;
    };
    let name = base_name(&program.text);
    if let Some(resolution) = shells::resolve_code_runner(name, args) {
        return resolution;
    }
    match name {
        "env" => env(args),
        "command" => command(args),
        "sudo" => sudo(args),
        "doas" => doas(args),
        "xargs" => xargs(args),
        "find" => find(args),
        "flock" => flock(args),
        "watch" => watch(args),
        "timeout" => wrap(name, args, &TIMEOUT, 1),
        "chrt" => wrap(name, args, &CHRT, 1),
        "taskset" => wrap(name, args, &TASKSET, 1),
        "builtin" | "nohup" | "busybox" => wrap(name, args, &OptionSpec::NONE, 0),
        "exec" => wrap(name, args, &EXEC, 0),
        "pkexec" => wrap(name, args, &PKEXEC, 0),
        "chroot" => wrap(name, args, &CHROOT, 1),
        "unshare" => wrap(name, args, &UNSHARE, 0),
        "nsenter" | "systemd-run" | "firejail" | "bwrap" | "proot" | "strace" | "ltrace"
        | "valgrind" | "gdb" | "parallel" | "entr" | "watchexec" | "ssh" => Resolution::Opaque(
            format!("{name} runs a command in a way the analysis does not follow"),
        ),
        "nice" => wrap(name, args, &NICE, 0),
        "time" => wrap(name, args, &TIME, 0),
        "stdbuf" => wrap(name, args, &STDBUF, 0),
        "setsid" => wrap(name, args, &SETSID, 0),
        "ionice" => wrap(name, args, &IONICE, 0),
        _ => Resolution::Plain,
    }
}

/// Whether an assignment can change which programs run or how the shell evaluates code,
/// which makes the rest of the line impossible to judge: `PATH=. ls`, `BASH_ENV=x bash -c ls`,
/// `x='a[$(rm -rf /)]'` (evaluated later by arithmetic). Returns the reason.
pub(super) fn risky_assignment(assignment: &Word) -> Option<String> {
    let (name, value) = assignment.text.split_once('=')?;
    let name = name.trim_end_matches('+');
    if changes_what_runs(name) && (assignment.dynamic || !is_harmless_value(name, value)) {
        return Some(format!(
            "assigning `{name}` changes what later commands run"
        ));
    }
    let static_code = !assignment.dynamic && super::words::looks_like_code(value);
    static_code.then(|| format!("the value of `{name}` is code that the shell may evaluate later"))
}

const TIMEOUT: OptionSpec = OptionSpec {
    flags: "v",
    valued: "sk",
    long_flags: &[
        "preserve-status",
        "foreground",
        "verbose",
        "help",
        "version",
    ],
    long_valued: &["signal", "kill-after"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const CHRT: OptionSpec = OptionSpec {
    flags: "bfiordRv",
    valued: "TPD",
    long_flags: &[
        "batch",
        "fifo",
        "idle",
        "other",
        "rr",
        "deadline",
        "reset-on-fork",
        "verbose",
        "all-tasks",
        "max",
        "pid",
        "help",
        "version",
    ],
    long_valued: &["sched-runtime", "sched-period", "sched-deadline"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const TASKSET: OptionSpec = OptionSpec {
    flags: "c",
    long_flags: &["cpu-list"],
    other_long: &["all-tasks", "pid"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const PKEXEC: OptionSpec = OptionSpec {
    long_flags: &["disable-internal-agent", "keep-cwd", "help", "version"],
    long_valued: &["user"],
    ..OptionSpec::NONE
};
const CHROOT: OptionSpec = OptionSpec {
    long_flags: &["skip-chdir", "help", "version"],
    long_valued: &["userspec", "groups"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const UNSHARE: OptionSpec = OptionSpec {
    flags: "muinpUCTrfc",
    valued: "S",
    long_flags: &[
        "fork",
        "kill-child",
        "map-root-user",
        "map-current-user",
        "map-auto",
    ],
    long_optional: &[
        "mount", "uts", "ipc", "net", "pid", "user", "cgroup", "time",
    ],
    long_valued: &["setuid", "setgid", "root", "wd", "propagation", "setgroups"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const EXEC: OptionSpec = OptionSpec {
    flags: "cl",
    valued: "a",
    ..OptionSpec::NONE
};
const NICE: OptionSpec = OptionSpec {
    valued: "n",
    long_valued: &["adjustment"],
    long_flags: &["help", "version"],
    numeric: true,
    abbreviations: true,
    ..OptionSpec::NONE
};
const TIME: OptionSpec = OptionSpec {
    flags: "pvq",
    valued: "f",
    long_flags: &["portability", "verbose", "quiet"],
    long_valued: &["format"],
    ..OptionSpec::NONE
};
const STDBUF: OptionSpec = OptionSpec {
    valued: "ioe",
    long_valued: &["input", "output", "error"],
    long_flags: &["help", "version"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const SETSID: OptionSpec = OptionSpec {
    flags: "fwc",
    long_flags: &["fork", "wait", "ctty", "help", "version"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const IONICE: OptionSpec = OptionSpec {
    flags: "t",
    valued: "cn",
    long_flags: &["ignore", "help", "version"],
    long_valued: &["class", "classdata"],
    other_long: &["pid", "pgid", "uid"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const ENV: OptionSpec = OptionSpec {
    flags: "i0v",
    valued: "uCS",
    long_flags: &[
        "ignore-environment",
        "null",
        "debug",
        "list-signal-handling",
        "help",
        "version",
    ],
    long_valued: &["unset", "chdir", "split-string"],
    long_optional: &["block-signal", "default-signal", "ignore-signal"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const COMMAND: OptionSpec = OptionSpec {
    flags: "pvV",
    ..OptionSpec::NONE
};
const SUDO: OptionSpec = OptionSpec {
    flags: "AbEeHiKklnPSsVvN",
    valued: "ugpCDrtTUR",
    long_flags: &[
        "askpass",
        "background",
        "bell",
        "edit",
        "set-home",
        "login",
        "remove-timestamp",
        "reset-timestamp",
        "list",
        "non-interactive",
        "preserve-groups",
        "stdin",
        "shell",
        "validate",
        "no-update",
    ],
    long_valued: &[
        "user",
        "group",
        "prompt",
        "close-from",
        "chdir",
        "role",
        "type",
        "command-timeout",
        "other-user",
        "chroot",
        "host",
    ],
    long_optional: &["preserve-env"],
    ..OptionSpec::NONE
};
const DOAS: OptionSpec = OptionSpec {
    flags: "ns",
    valued: "ua",
    ..OptionSpec::NONE
};
const XARGS: OptionSpec = OptionSpec {
    flags: "0prtxo",
    valued: "adEILnPs",
    optional: "eil",
    long_flags: &[
        "null",
        "no-run-if-empty",
        "verbose",
        "interactive",
        "exit",
        "open-tty",
        "show-limits",
        "help",
        "version",
    ],
    long_valued: &[
        "arg-file",
        "delimiter",
        "max-args",
        "max-procs",
        "max-chars",
        "process-slot-var",
    ],
    long_optional: &["eof", "replace", "max-lines"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const FLOCK: OptionSpec = OptionSpec {
    flags: "sxeunoF",
    valued: "wE",
    long_flags: &[
        "shared",
        "exclusive",
        "unlock",
        "nonblock",
        "nb",
        "close",
        "no-fork",
        "verbose",
        "help",
        "version",
    ],
    long_valued: &["wait", "timeout", "conflict-exit-code"],
    other_long: &["command"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const WATCH: OptionSpec = OptionSpec {
    flags: "bcCegptwxr",
    valued: "nq",
    optional: "d",
    long_flags: &[
        "beep",
        "color",
        "no-color",
        "errexit",
        "chgexit",
        "precise",
        "no-title",
        "no-wrap",
        "exec",
        "no-linewrap",
        "help",
        "version",
    ],
    long_valued: &["interval", "equexit"],
    long_optional: &["differences"],
    abbreviations: true,
    ..OptionSpec::NONE
};

/// Scans a wrapper's options, turning a scan error into an opaque resolution.
fn scan_wrapper(name: &str, args: &[Word], spec: &OptionSpec) -> Result<Scan, Resolution> {
    scan_strict(args, spec).map_err(|error| Resolution::Opaque(format!("{name}: {error}")))
}

/// The common wrapper shape: options, `positionals` fixed operands (a duration, a
/// priority), then the command. Without a command the wrapper is a plain command.
fn wrap(name: &str, args: &[Word], spec: &OptionSpec, positionals: usize) -> Resolution {
    let scan = match scan_wrapper(name, args, spec) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    wrapped(
        name,
        scan.operands.get(positionals..).unwrap_or_default(),
        Vec::new(),
    )
}

fn wrapped(name: &str, inner: &[Word], assignments: Vec<Word>) -> Resolution {
    if inner.is_empty() {
        return Resolution::Plain;
    }
    Resolution::Wrapped {
        wrapper: name.to_owned(),
        inner: inner.to_vec(),
        assignments,
    }
}

/// Splits leading `NAME=VALUE` words (as `env` and `sudo` accept them) from the command.
fn split_assignments(operands: &[Word]) -> (Vec<Word>, &[Word]) {
    let count = operands
        .iter()
        .take_while(|word| !word.dynamic && word.text.contains('='))
        .count();
    let (assignments, command) = operands.split_at(count);
    (assignments.to_vec(), command)
}

fn env(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("env", args, &ENV) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    if scan.has(&["-S", "--split-string"]) {
        return Resolution::Opaque("env -S splits a string into a command line".into());
    }
    let operands = match scan.operands.split_first() {
        Some((first, rest)) if first.text == "-" && !first.dynamic => rest,
        _ => &scan.operands,
    };
    let (assignments, command) = split_assignments(operands);
    wrapped("env", command, assignments)
}

/// `command -v`/`-V` only looks a name up; otherwise `command` runs its operands.
fn command(args: &[Word]) -> Resolution {
    match scan_wrapper("command", args, &COMMAND) {
        Ok(scan) if scan.has(&["-v", "-V"]) => Resolution::Plain,
        Ok(scan) => wrapped("command", &scan.operands, Vec::new()),
        Err(opaque) => opaque,
    }
}

fn sudo(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("sudo", args, &SUDO) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    if scan.has(&["-e", "--edit"]) {
        return Resolution::Opaque("sudo -e edits files as another user".into());
    }
    let (assignments, command) = split_assignments(&scan.operands);
    if command.is_empty() && scan.has(&["-s", "-i", "--shell", "--login"]) {
        return Resolution::Opaque("sudo starts an interactive shell".into());
    }
    wrapped("sudo", command, assignments)
}

fn doas(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("doas", args, &DOAS) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    if scan.operands.is_empty() && scan.has(&["-s"]) {
        return Resolution::Opaque("doas -s starts an interactive shell".into());
    }
    wrapped("doas", &scan.operands, Vec::new())
}

/// `xargs` runs its operands (or `echo`) with arguments read from stdin; with `-I R`/`-i`
/// every word containing R is replaced by input, so those words are only known at run time.
fn xargs(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("xargs", args, &XARGS) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    let replace = match (scan.value(&["-I"]), scan.has(&["-i", "--replace"])) {
        (Some(value), _) if value.dynamic => {
            return Resolution::Opaque("xargs -I with a run-time placeholder".into());
        }
        (Some(value), _) => Some(value.text.clone()),
        (None, true) => Some(
            scan.value(&["-i", "--replace"])
                .map_or("{}".into(), |v| v.text.clone()),
        ),
        (None, false) => None,
    };
    let mut inner = scan.operands;
    if inner.is_empty() {
        inner.push(Word::literal("echo"));
    }
    if let Some(placeholder) = replace.filter(|placeholder| !placeholder.is_empty()) {
        mark_dynamic(&mut inner, &placeholder);
    }
    wrapped("xargs", &inner, Vec::new())
}

/// Marks the words that contain `placeholder` as run-time values.
fn mark_dynamic(words: &mut [Word], placeholder: &str) {
    for word in words
        .iter_mut()
        .filter(|word| word.text.contains(placeholder))
    {
        word.dynamic = true;
    }
}

const FIND_ACTIONS: [&str; 4] = ["-exec", "-execdir", "-ok", "-okdir"];

/// `find … -exec CMD … ;` (or `{} +`) runs CMD with `{}` replaced by file names.
fn find(args: &[Word]) -> Resolution {
    let has_terminator = args.iter().any(|word| word.text == ";" || word.text == "+");
    if has_terminator && args.iter().any(|word| word.dynamic) {
        return Resolution::Opaque("find with run-time arguments may run commands".into());
    }
    let mut commands = Vec::new();
    let mut index = 0;
    while let Some(word) = args.get(index) {
        index += 1;
        if !FIND_ACTIONS.contains(&word.text.as_str()) {
            continue;
        }
        let rest = args.get(index..).unwrap_or_default();
        let length = find_action_length(rest);
        let mut command = rest.get(..length).unwrap_or_default().to_vec();
        mark_dynamic(&mut command, "{}");
        if !command.is_empty() {
            commands.push(command);
        }
        index += length + 1;
    }
    if commands.is_empty() {
        Resolution::Plain
    } else {
        Resolution::Find(commands)
    }
}

/// How many words of an action's command precede its `;`, or its `+` right after `{}`.
fn find_action_length(rest: &[Word]) -> usize {
    let mut previous = "";
    for (index, word) in rest.iter().enumerate() {
        if word.text == ";" || (word.text == "+" && previous == "{}") {
            return index;
        }
        previous = &word.text;
    }
    rest.len()
}

/// `flock [options] FILE COMMAND…` or `flock [options] FILE -c STRING`.
fn flock(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("flock", args, &FLOCK) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    let command = scan.operands.get(1..).unwrap_or_default();
    match command {
        [flag, code, ..] if !flag.dynamic && matches!(flag.text.as_str(), "-c" | "--command") => {
            shells::shell_code("flock", code.clone())
        }
        [flag] if !flag.dynamic && matches!(flag.text.as_str(), "-c" | "--command") => {
            Resolution::Opaque("flock -c without a command".into())
        }
        _ => wrapped("flock", command, Vec::new()),
    }
}

/// `watch` joins its operands and runs them with `sh -c`, unless given `-x`.
fn watch(args: &[Word]) -> Resolution {
    let scan = match scan_wrapper("watch", args, &WATCH) {
        Ok(scan) => scan,
        Err(opaque) => return opaque,
    };
    if scan.operands.is_empty() {
        return Resolution::Plain;
    }
    if scan.has(&["-x", "--exec"]) {
        return wrapped("watch", &scan.operands, Vec::new());
    }
    shells::shell_code("watch", shells::join_words(&scan.operands))
}
