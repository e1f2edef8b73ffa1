//! Builtins that change the shell's state or evaluate their arguments, judged closed-world.
//!
//! `declare`, `read`, `printf -v`, `mapfile`, `getopts`, `wait -p` and `unset` take
//! variable names; a name with a subscript (`read 'a[$(rm x)]'`) makes bash evaluate the
//! subscript as arithmetic, which runs any command substitution in it, and a name like
//! `BASH_CMDS[ls]` rewrites what a later `ls` runs. So every name must be a plain one (or an
//! element with a literal index), and every option must be one listed here. `set`, `shopt`
//! and `hash` may only take the options listed; `alias`, `enable`, `bind` and the
//! completion hooks are never understood. `let`, and the numeric comparisons and `-v` of
//! `test`/`[`, evaluate their operands: those are returned for the walker to check.

use super::Word;
use super::variables::{assignable_name, changes_what_runs, is_integer_literal};

/// What a builtin does beyond being a command.
#[derive(Debug, Default)]
pub(super) struct Effects {
    /// Why the line cannot be judged, if it cannot: the construct named.
    pub opaque: Vec<String>,
    /// Variables the builtin assigns, with whether the value is known to be a plain integer.
    pub assigned: Vec<(String, bool)>,
    /// Words evaluated as arithmetic expressions (`let` operands, `[ a -eq b ]` operands).
    pub arithmetic: Vec<Word>,
}

impl Effects {
    fn opaque(reason: impl Into<String>) -> Self {
        Effects {
            opaque: vec![reason.into()],
            ..Effects::default()
        }
    }

    /// Records `target` as assigned; a target that is not a plain name is opaque.
    fn assign(&mut self, builtin: &str, target: &Word, integer_value: bool) {
        let name = (!target.dynamic)
            .then(|| assignable_name(&target.text))
            .flatten();
        match name {
            Some(name) if changes_what_runs(name) => self.opaque.push(format!(
                "`{builtin}` sets `{name}`, which changes what later commands run"
            )),
            Some(name) => self.assigned.push((name.to_owned(), integer_value)),
            None => self.opaque.push(format!(
                "`{builtin}` assigns to `{}`, which is not a plain variable name",
                target.text
            )),
        }
    }
}

/// The effects of running builtin `argv[0]` with its arguments; nothing for other programs.
pub(super) fn effects(argv: &[Word]) -> Effects {
    let Some((program, args)) = argv.split_first() else {
        return Effects::default();
    };
    let name = program.text.as_str();
    match name {
        "declare" | "typeset" | "local" | "export" | "readonly" => declaration(name, args),
        "read" => with_targets(name, args, "ers", "adinNptu", &["a"]),
        "mapfile" | "readarray" => mapfile(name, args),
        "printf" => printf(args),
        "getopts" => getopts(args),
        "wait" => with_option_targets(name, args, "nf", "p", &["p"]),
        "unset" => unset(args),
        "let" => Effects {
            arithmetic: args.to_vec(),
            ..Effects::default()
        },
        "test" | "[" => test(args),
        "set" => set(args),
        "shopt" => shopt(args),
        "hash" => hash(args),
        "alias" if !args.is_empty() => {
            Effects::opaque("`alias` definitions change what later commands run")
        }
        "enable" => Effects::opaque("`enable` turns builtins on and off or loads new ones"),
        "bind" => Effects::opaque("`bind` changes what keys run"),
        "compgen" | "complete" if args.iter().any(runs_completion_code) => Effects::opaque(
            format!("`{name}` with -C, -F or -W runs or expands code given as text"),
        ),
        _ => Effects::default(),
    }
}

/// The flags `declare` and its relatives may take: none of them makes a later value code.
/// `-n` (a name that refers to another, possibly `a[$(x)]`) and `-i` (values evaluated as
/// arithmetic) are not on it.
const DECLARE_FLAGS: &str = "aAfFgprxltuI";

fn declaration(name: &str, args: &[Word]) -> Effects {
    let mut effects = Effects::default();
    let mut options_done = false;
    for arg in args {
        if arg.dynamic {
            effects.opaque.push(format!(
                "`{name}` is given `{}`, known only at run time",
                arg.text
            ));
            continue;
        }
        let text = arg.text.as_str();
        if !options_done && text == "--" {
            options_done = true;
            continue;
        }
        if !options_done && (text.starts_with('-') || text.starts_with('+')) && text.len() > 1 {
            if let Some(flag) = text[1..].chars().find(|c| !DECLARE_FLAGS.contains(*c)) {
                effects.opaque.push(format!(
                    "`{name} -{flag}` is not an option the analysis understands"
                ));
            }
            continue;
        }
        let (target, value) = match text.split_once('=') {
            Some((target, value)) => (target.trim_end_matches('+'), Some(value)),
            None => (text, None),
        };
        let integer = value.is_none_or(is_integer_literal);
        effects.assign(name, &Word::literal(target), integer);
    }
    effects
}

/// A builtin whose operands (and the values of `target_options`) are variable names, with
/// its option letters: `flags` take no value, `valued` take one.
fn with_targets(
    name: &str,
    args: &[Word],
    flags: &str,
    valued: &str,
    target_options: &[&str],
) -> Effects {
    let mut effects = with_option_targets(name, args, flags, valued, target_options);
    for operand in operands(args, valued) {
        effects.assign(name, operand, false);
    }
    effects
}

/// Checks a builtin's option letters and records the names its `target_options` assign;
/// operands are left to the caller.
fn with_option_targets(
    name: &str,
    args: &[Word],
    flags: &str,
    valued: &str,
    target_options: &[&str],
) -> Effects {
    let mut effects = Effects::default();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        if arg.text == "--" || !arg.text.starts_with('-') || arg.text.len() < 2 {
            break;
        }
        if arg.dynamic {
            effects.opaque.push(format!(
                "`{name}` is given an option known only at run time"
            ));
            break;
        }
        for (position, letter) in arg.text.char_indices().skip(1) {
            if flags.contains(letter) {
                continue;
            }
            if !valued.contains(letter) {
                effects.opaque.push(format!(
                    "`{name} -{letter}` is not an option the analysis understands"
                ));
                break;
            }
            let attached = &arg.text[position + letter.len_utf8()..];
            let value = if attached.is_empty() {
                index += 1;
                args.get(index - 1).cloned()
            } else {
                Some(Word {
                    text: attached.to_owned(),
                    dynamic: arg.dynamic,
                })
            };
            if let (true, Some(value)) = (target_options.contains(&&arg.text[1..2]), &value) {
                effects.assign(name, value, false);
            }
            break;
        }
    }
    effects
}

/// The operands of a builtin after its options (as [`with_option_targets`] reads them).
fn operands<'a>(args: &'a [Word], valued: &str) -> &'a [Word] {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        if arg.text == "--" {
            return args.get(index + 1..).unwrap_or_default();
        }
        if !arg.text.starts_with('-') || arg.text.len() < 2 {
            break;
        }
        index += 1;
        let takes_value = arg
            .text
            .char_indices()
            .skip(1)
            .find(|(_, letter)| valued.contains(*letter))
            .is_some_and(|(position, letter)| position + letter.len_utf8() == arg.text.len());
        if takes_value {
            index += 1;
        }
    }
    args.get(index..).unwrap_or_default()
}

fn mapfile(name: &str, args: &[Word]) -> Effects {
    let mut effects = with_option_targets(name, args, "t", "dnOsu", &[]);
    let targets = operands(args, "dnOsu");
    for target in targets.iter().take(1) {
        effects.assign(name, target, false);
    }
    if targets.len() > 1 {
        effects
            .opaque
            .push(format!("`{name}` takes one array name"));
    }
    effects
}

/// `printf -v NAME FORMAT ARGS`: NAME must be a plain name.
fn printf(args: &[Word]) -> Effects {
    match args {
        [option, target, ..] if option.text == "-v" => {
            let mut effects = Effects::default();
            effects.assign("printf -v", target, false);
            effects
        }
        [option, ..] if option.text.starts_with("-v") => {
            let mut effects = Effects::default();
            let target = Word {
                text: option.text[2..].to_owned(),
                dynamic: option.dynamic,
            };
            effects.assign("printf -v", &target, false);
            effects
        }
        _ => Effects::default(),
    }
}

/// `getopts OPTSTRING NAME [ARGS]`.
fn getopts(args: &[Word]) -> Effects {
    let mut effects = Effects::default();
    match args.get(1) {
        Some(target) => effects.assign("getopts", target, false),
        None => effects
            .opaque
            .push("`getopts` without a variable name".into()),
    }
    effects
}

/// `unset [-fvn] NAME…`: with a subscript the index is evaluated.
fn unset(args: &[Word]) -> Effects {
    let mut effects = with_option_targets("unset", args, "fvn", "", &[]);
    for operand in operands(args, "") {
        let plain = !operand.dynamic && assignable_name(&operand.text).is_some();
        if !plain {
            effects.opaque.push(format!(
                "`unset {}` names no plain variable; a subscript would be evaluated",
                operand.text
            ));
        }
    }
    effects
}

/// Binary operators of `test` that compare numbers: bash evaluates their operands as
/// arithmetic.
const NUMERIC_COMPARISONS: [&str; 6] = ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// `test`/`[`: the operands of numeric comparisons are arithmetic; the operand of `-v` and
/// `-R` is a variable name whose subscript bash evaluates.
fn test(args: &[Word]) -> Effects {
    let mut effects = Effects::default();
    for (index, arg) in args.iter().enumerate() {
        if arg.dynamic {
            continue;
        }
        if NUMERIC_COMPARISONS.contains(&arg.text.as_str()) && index > 0 {
            let operands = [args.get(index - 1), args.get(index + 1)];
            effects
                .arithmetic
                .extend(operands.into_iter().flatten().cloned());
        }
        if matches!(arg.text.as_str(), "-v" | "-R")
            && let Some(operand) = args.get(index + 1)
            && (operand.dynamic || assignable_name(&operand.text).is_none())
        {
            effects.opaque.push(format!(
                "`test {} {}` makes bash evaluate the subscript of the name as arithmetic",
                arg.text, operand.text
            ));
            effects.arithmetic.push(operand.clone());
        }
    }
    effects
}

/// The `set` options that only make the shell stricter or louder.
const SET_LETTERS: &str = "euxvCfEBHT";
const SET_NAMES: [&str; 10] = [
    "errexit",
    "nounset",
    "pipefail",
    "xtrace",
    "verbose",
    "noclobber",
    "noglob",
    "errtrace",
    "braceexpand",
    "functrace",
];

/// `set`: only the listed options; `set -- ARGS` and `set` alone are understood.
fn set(args: &[Word]) -> Effects {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let text = arg.text.as_str();
        if arg.dynamic {
            return Effects::opaque(format!("`set {text}` is known only at run time"));
        }
        if text == "--" || text == "-" || !(text.starts_with('-') || text.starts_with('+')) {
            return Effects::default();
        }
        for letter in text[1..].chars() {
            if letter != 'o' {
                if !SET_LETTERS.contains(letter) {
                    return Effects::opaque(format!(
                        "`set {}{letter}` changes how the shell runs later commands",
                        &text[..1]
                    ));
                }
                continue;
            }
            let Some(option) = args.get(index) else {
                return Effects::default();
            };
            index += 1;
            if option.dynamic || !SET_NAMES.contains(&option.text.as_str()) {
                return Effects::opaque(format!(
                    "`set {text} {}` changes how the shell runs later commands",
                    option.text
                ));
            }
        }
    }
    Effects::default()
}

/// The `shopt` options that change only globbing and matching.
const SHOPT_NAMES: [&str; 9] = [
    "nullglob",
    "globstar",
    "dotglob",
    "failglob",
    "nocaseglob",
    "nocasematch",
    "extglob",
    "lastpipe",
    "inherit_errexit",
];

/// `shopt`: printing is fine; setting only the listed options.
fn shopt(args: &[Word]) -> Effects {
    let changes = args
        .iter()
        .any(|arg| matches!(arg.text.as_str(), "-s" | "-u"));
    if !changes {
        return Effects::default();
    }
    let unknown = args.iter().find(|arg| {
        arg.dynamic
            || !(arg.text.starts_with('-') || SHOPT_NAMES.contains(&arg.text.as_str()))
            || (arg.text.starts_with('-') && !matches!(arg.text.as_str(), "-s" | "-u" | "-q"))
    });
    match unknown {
        Some(arg) => Effects::opaque(format!(
            "`shopt {}` changes how the shell runs later commands",
            arg.text
        )),
        None => Effects::default(),
    }
}

/// `hash`: listing, forgetting and looking up are fine; `-p` makes a name run a program.
fn hash(args: &[Word]) -> Effects {
    let writes_table = args
        .iter()
        .any(|arg| arg.dynamic || (arg.text.starts_with('-') && arg.text.contains('p')));
    if writes_table {
        return Effects::opaque("`hash -p` changes which program a name runs");
    }
    Effects::default()
}

fn runs_completion_code(arg: &Word) -> bool {
    arg.dynamic || (arg.text.starts_with('-') && arg.text.contains(['C', 'F', 'W']))
}
