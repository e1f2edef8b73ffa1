//! The read-only rules of programs whose arguments are more than options and operands.

use crate::policy::shell::Word;
use crate::policy::shell::options::Scan;

/// `find`'s primaries that only test or print: anything else (`-exec`, `-delete`,
/// `-fprint`, `-fls`, an unknown primary) makes `find` not read-only.
const FIND_TESTS_WITH_VALUE: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-regex",
    "-iregex",
    "-lname",
    "-ilname",
    "-type",
    "-xtype",
    "-maxdepth",
    "-mindepth",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-newer",
    "-anewer",
    "-cnewer",
    "-size",
    "-perm",
    "-user",
    "-group",
    "-uid",
    "-gid",
    "-links",
    "-inum",
    "-samefile",
    "-used",
    "-fstype",
    "-regextype",
    "-printf",
    "-context",
];
const FIND_TESTS: &[&str] = &[
    "-empty",
    "-readable",
    "-writable",
    "-executable",
    "-nouser",
    "-nogroup",
    "-true",
    "-false",
    "-print",
    "-print0",
    "-ls",
    "-prune",
    "-quit",
    "-depth",
    "-xdev",
    "-mount",
    "-follow",
    "-noleaf",
    "-daystart",
    "-ignore_readdir_race",
    "-noignore_readdir_race",
    "-warn",
    "-nowarn",
    "!",
    "-not",
    "-a",
    "-and",
    "-o",
    "-or",
    ",",
    "(",
    ")",
];
/// Options before the starting points.
const FIND_OPTIONS: &[&str] = &["-H", "-L", "-P"];

/// `find [-H|-L|-P] [PATH…] [EXPRESSION]` with only tests and printing actions.
pub(super) fn find(args: &[Word]) -> Result<(), String> {
    let mut words = args
        .iter()
        .skip_while(|word| FIND_OPTIONS.contains(&word.text.as_str()) && !word.dynamic)
        .skip_while(|word| !starts_expression(word))
        .peekable();
    while let Some(word) = words.next() {
        let text = word.text.as_str();
        if word.dynamic {
            return Err(format!("`find`: `{text}` is only known at run time"));
        }
        if FIND_TESTS_WITH_VALUE.contains(&text) || is_newer_xy(text) {
            if words.next().is_none() {
                return Err(format!("`find {text}` is missing its value"));
            }
        } else if !FIND_TESTS.contains(&text) {
            return Err(format!(
                "`find {text}` is not a test or printing action known to be read-only"
            ));
        }
    }
    Ok(())
}

/// The expression starts at the first word that begins with `-`, `(` or `!`; a run-time
/// word there may be either.
fn starts_expression(word: &Word) -> bool {
    (word.dynamic && word.text.starts_with('$')) || word.text.starts_with(['-', '(', '!'])
}

/// `-newerXY` with X and Y among a, B, c, m (and Y also t).
fn is_newer_xy(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("-newer") else {
        return false;
    };
    let mut chars = rest.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (
            Some('a' | 'B' | 'c' | 'm'),
            Some('a' | 'B' | 'c' | 'm' | 't'),
            None
        )
    )
}

/// `sed -n` whose scripts (every `-e`, or else the first operand) only select lines and
/// print them; with `--sandbox` sed itself refuses `w`, `r` and `e`, so any script is.
pub(super) fn sed(scan: &Scan) -> Result<(), String> {
    if !scan.has(&["-n", "--quiet", "--silent"]) {
        return Err("`sed` is read-only only with `-n` and a script that prints".into());
    }
    if scan.has(&["--sandbox"]) {
        return Ok(());
    }
    let given: Vec<&Word> = scan
        .options
        .iter()
        .filter(|option| matches!(option.name.as_str(), "-e" | "--expression"))
        .filter_map(|option| option.value.as_ref())
        .collect();
    let scripts = if given.is_empty() {
        scan.operands.first().into_iter().collect()
    } else {
        given
    };
    if scripts.is_empty() {
        return Err("`sed -n` without a script".into());
    }
    match scripts
        .iter()
        .find(|script| script.dynamic || !script.text.split(';').all(is_print_command))
    {
        Some(script) => Err(format!(
            "the sed script `{}` does more than print",
            script.text
        )),
        None => Ok(()),
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

/// `date` prints; an operand that is not `+FORMAT` sets the clock.
pub(super) fn date(scan: &Scan) -> Result<(), String> {
    match scan
        .operands
        .iter()
        .find(|word| !word.text.starts_with('+'))
    {
        Some(word) => Err(format!("`date {}` sets the system clock", word.text)),
        None => Ok(()),
    }
}

/// `printf -v NAME` assigns NAME, which must be a plain variable name: a subscript is
/// evaluated, and a special variable changes what later commands do.
pub(super) fn printf(scan: &Scan) -> Result<(), String> {
    match scan.value(&["-v"]) {
        Some(name) if name.dynamic || !is_plain_name(&name.text) => Err(format!(
            "`printf -v {}` assigns something other than a plain variable",
            name.text
        )),
        _ => Ok(()),
    }
}

/// A shell variable name without subscript: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_plain_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `ps` arguments that only list processes. The BSD `e` and `-o environ`-style output show
/// other processes' environments (secrets), so only these forms are read-only.
const PS_WORDS: &[&str] = &[
    "aux",
    "auxf",
    "auxww",
    "ax",
    "axf",
    "axu",
    "-e",
    "-f",
    "-ef",
    "-eF",
    "-ely",
    "-A",
    "-a",
    "-x",
    "-l",
    "-F",
    "-H",
    "-w",
    "-ww",
    "-T",
    "-L",
    "-j",
    "-efH",
    "-eLf",
    "--forest",
    "--no-headers",
    "-u",
    "-U",
    "-p",
    "-C",
    "-o",
    "-g",
    "-G",
    "-t",
    "--pid",
    "--ppid",
    "--sort",
];
/// `ps` options whose next word is a value (a list of users, pids, fields).
const PS_VALUED: &[&str] = &[
    "-u", "-U", "-p", "-C", "-o", "-g", "-G", "-t", "--pid", "--ppid", "--sort",
];

pub(super) fn ps(args: &[Word]) -> Result<(), String> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let text = word.text.as_str();
        if word.dynamic || !PS_WORDS.contains(&text) {
            return Err(format!(
                "`ps {text}` is not a listing form known to be read-only"
            ));
        }
        if PS_VALUED.contains(&text) {
            let value = words.next();
            if value.is_none_or(|value| value.dynamic || value.text.contains("env")) {
                return Err(format!("`ps {text}` needs a plain value"));
            }
        }
    }
    Ok(())
}
