//! The read-only commands that `autoAllowReadonly` lets run unasked, judged closed-world.
//!
//! A command is read-only only when its program is in [`table::PROGRAMS`] and every option
//! it is given is one the table lists for it: an option the table does not list, an
//! abbreviation that resolves to an option not listed (`sort --out` is `--output`), an
//! ambiguous abbreviation, or a word only known at run time where an option could stand
//! makes the command not read-only. Programs with a grammar of their own (`find`'s
//! expressions, `git`'s subcommands, `sed`'s scripts, `date`'s operands, `ps`) have a rule
//! of their own on top. Path arguments are checked by the caller against
//! `read.deniedPaths`.

mod git;
mod rules;
mod table;

use super::shell::options::{Scan, scan_permuted};
use super::shell::{SimpleCommand, Word};
use table::{Operands, Program, Rule};

/// True when `program` is on the read-only list (with some options).
pub fn is_listed(program: &str) -> bool {
    table::lookup(program).is_some()
}

/// Why a simple command is not read-only, or `Ok` when it is.
pub fn check(cmd: &SimpleCommand) -> Result<(), String> {
    let Some(name) = cmd.program() else {
        return Err("no program".into());
    };
    let Some(program) = table::lookup(name) else {
        return Err(format!("`{name}` is not on the read-only list"));
    };
    if cmd.argv[0].text.contains('/') && !is_system_path(&cmd.argv[0].text) {
        return Err(format!(
            "`{}` is a path, not the system's `{name}`",
            cmd.argv[0].text
        ));
    }
    let args = cmd.argv.get(1..).unwrap_or_default();
    match program.rule {
        Rule::Arguments => Ok(()),
        Rule::Find => rules::find(args),
        Rule::Git => git::check(args),
        Rule::Ps => rules::ps(args),
        _ => {
            let scan = scan(name, program, args)?;
            check_operands(name, program, &scan)?;
            match program.rule {
                Rule::Sed => rules::sed(&scan),
                Rule::Date => rules::date(&scan),
                Rule::Printf => rules::printf(&scan),
                _ => Ok(()),
            }
        }
    }
}

/// A program named by its path in a system folder (`/usr/bin/rg`), which the agent's
/// writes cannot reach, is the system's program.
fn is_system_path(path: &str) -> bool {
    ["/bin/", "/usr/bin/", "/usr/local/bin/"]
        .iter()
        .any(|folder| {
            path.strip_prefix(folder)
                .is_some_and(|rest| !rest.contains('/'))
        })
}

/// The words a read-only program reads as paths: its operands and the values of its
/// options that name files (`grep -f FILE`, `wc --files0-from=F`). Options that are not
/// values are left out; for a command that is not read-only, every word that is not an
/// option. Programs that take no paths (`echo`, `test`, `expr`) read none.
pub fn read_operands(cmd: &SimpleCommand) -> Vec<Word> {
    let args = cmd.argv.get(1..).unwrap_or_default();
    let name = cmd.program().unwrap_or_default();
    if table::lookup(name).is_some_and(|program| program.rule == Rule::Arguments) {
        return Vec::new();
    }
    let scanned = table::lookup(name)
        .filter(|program| !matches!(program.rule, Rule::Find | Rule::Git | Rule::Ps))
        .map(|program| (program, scan(name, program, args)));
    let Some((program, Ok(scan))) = scanned else {
        return args
            .iter()
            .filter(|w| !w.text.starts_with('-') || w.text == "-")
            .cloned()
            .collect();
    };
    let files = scan
        .options
        .iter()
        .filter(|option| program.files.contains(&option.name.as_str()))
        .filter_map(|option| option.value.clone());
    scan.operands.iter().cloned().chain(files).collect()
}

/// Whether the command reads every file below the folders it is given: `grep -r`, `rg`,
/// `cp -r`, `tar`, `zip -r`, `rsync -a`.
pub fn reads_recursively(cmd: &SimpleCommand) -> bool {
    let args = cmd.argv.get(1..).unwrap_or_default();
    let has = |letters: &str, long: &[&str]| {
        args.iter().any(|w| {
            let text = w.text.as_str();
            long.iter().any(|l| text.starts_with(l))
                || (text.starts_with('-')
                    && !text.starts_with("--")
                    && text.contains(|c| letters.contains(c)))
        })
    };
    match cmd.program() {
        Some("rg" | "ag" | "ack" | "tar" | "bsdtar") => true,
        Some("grep" | "egrep" | "fgrep") => has(
            "rR",
            &[
                "--recursive",
                "--dereference-recursive",
                "--directories=recurse",
            ],
        ),
        Some("cp" | "scp" | "zip" | "rsync") => has("rRa", &["--recursive", "--archive"]),
        _ => false,
    }
}

fn scan(name: &str, program: &Program, args: &[Word]) -> Result<Scan, String> {
    scan_permuted(args, &program.options).map_err(|error| format!("`{name}`: {error}"))
}

fn check_operands(name: &str, program: &Program, scan: &Scan) -> Result<(), String> {
    match program.operands {
        Operands::Any => Ok(()),
        Operands::AtMost(limit) if scan.operands.len() <= limit => Ok(()),
        Operands::AtMost(0) => Err(format!("`{name}` with operands changes the system")),
        Operands::AtMost(limit) => Err(format!(
            "`{name}` with more than {limit} operand(s) writes or changes something"
        )),
    }
}

#[cfg(test)]
mod tests;
