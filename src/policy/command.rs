//! Judging a shell command line: every simple command in it, the wrappers
//! around them, and every file they write.
//!
//! A line is allowed unasked only if every simple command in it is, and
//! denied if any is. Deny rules are matched against each simple command (as
//! written, with the program's base name, and with each peeled wrapper put
//! back in front) and against the whole line. What cannot be judged
//! statically asks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::decision::{Judgement, Reason, Verdict};
use super::paths::ShellPath;
use super::readonly;
use super::reads::Reads;
use super::shell::variables::{is_harmless, is_harmless_value};
use super::shell::{self, SimpleCommand, Word};
use super::{Policy, Trust};
use crate::config::Rule;
use crate::config::agent::CommandPattern;

/// Wrappers that run their command as another user: never unasked.
const PRIVILEGE_WRAPPERS: &[&str] = &["sudo", "doas", "pkexec", "run0", "su", "runuser"];

impl Policy {
    /// Judges the shell command line `line`; `pre_approved` says why the
    /// shell tool itself runs unasked, if it does, and `trust` holds the
    /// commands and programs trusted for the session.
    pub(super) fn judge_shell(
        &self,
        line: &str,
        pre_approved: Option<&Reason>,
        trust: &Trust,
        judgement: &mut Judgement,
    ) {
        let rules = &self.config.settings.shell;
        let whole_line = line.trim();
        for rule in &rules.denied {
            if pattern_matches(&rule.value, whole_line) {
                judgement.add(deny_reason(rule, whole_line));
            }
        }
        let analysis = match shell::analyze(line) {
            Ok(analysis) => analysis,
            Err(error) => {
                judgement.add(Reason::new(
                    Verdict::Deny,
                    format!("the command does not parse as shell: {}", error.message),
                ));
                return;
            }
        };
        for opaque in &analysis.opaque {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    format!("cannot be judged before it runs: {}", opaque.reason),
                )
                .about(&opaque.snippet),
            );
        }
        let folders = self.working_folders(&analysis.commands);
        let folders = folders.as_deref();
        for command in &analysis.commands {
            let command = &with_loop_values(command, &analysis.loop_values);
            let reads = self.reads(command, folders);
            self.judge_simple_command(command, pre_approved, trust, &reads, judgement);
            let text = command.text();
            for target in shell::write_targets(command) {
                match folders {
                    Some(folders) => {
                        for folder in folders {
                            self.judge_write_target(&target, Some(folder), &text, judgement);
                        }
                    }
                    None => self.judge_write_target(&target, None, &text, judgement),
                }
            }
        }
        if analysis.commands.is_empty() && analysis.opaque.is_empty() {
            judgement.add(Reason::new(Verdict::Allow, "the line runs no command"));
        }
    }

    fn judge_simple_command(
        &self,
        command: &SimpleCommand,
        pre_approved: Option<&Reason>,
        trust: &Trust,
        reads: &Reads,
        judgement: &mut Judgement,
    ) {
        let rules = &self.config.settings.shell;
        let text = command.text();
        let read_judgement = self.judge_reads(reads, &text);
        if command.argv.is_empty() {
            if let Some(reason) = read_judgement {
                judgement.add(reason);
            }
            return;
        }
        let deny_texts = deny_candidates(command);
        if let Some(rule) = rules
            .denied
            .iter()
            .find(|rule| deny_texts.iter().any(|t| pattern_matches(&rule.value, t)))
        {
            judgement.add(deny_reason(rule, &text));
            return;
        }
        if let Some(reason) = self.could_become_denied(command) {
            judgement.add(reason);
            return;
        }
        if let Some(wrapper) = command
            .wrappers
            .iter()
            .map(String::as_str)
            .chain(command.program())
            .find(|w| PRIVILEGE_WRAPPERS.contains(w))
        {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    format!("`{wrapper}` runs the command as another user"),
                )
                .about(&text),
            );
            return;
        }
        if let Some(reason) = read_judgement {
            judgement.add(reason);
            return;
        }
        if let Some(reason) = trust.command_grant(command) {
            judgement.add(reason);
            return;
        }
        let allow_texts = allow_candidates(command);
        if let Some(rule) = rules
            .allowed
            .iter()
            .flatten()
            .find(|rule| allow_texts.iter().any(|t| pattern_matches(&rule.value, t)))
        {
            judgement.add(
                Reason::new(Verdict::Allow, "matches `allowedCommands`")
                    .about(&text)
                    .citing(&rule.value.source, &rule.origin),
            );
            return;
        }
        let readonly = match (rules.auto_allow_readonly, &reads.unplaced) {
            (false, _) => Err("`autoAllowReadonly` is off".to_string()),
            (true, Some(why)) => Err(why.clone()),
            (true, None) => readonly::check(command).and_then(|()| harmless_prefix(command)),
        };
        if readonly.is_ok() {
            judgement.add(
                Reason::new(Verdict::Allow, "a read-only command (`autoAllowReadonly`)")
                    .about(&text),
            );
            return;
        }
        let not_readonly = readonly.err().filter(|_| rules.auto_allow_readonly);
        let with_note = |message: &str| match &not_readonly {
            Some(why) => format!("{message}; not read-only: {why}"),
            None => message.to_string(),
        };
        match (&rules.allowed, pre_approved) {
            (Some(_), _) => judgement.add(
                Reason::new(
                    Verdict::Ask,
                    with_note("outside the fence: matches no `allowedCommands` entry"),
                )
                .about(&text),
            ),
            (None, Some(pre)) => judgement.add(pre.clone().about(&text)),
            (None, None) => judgement.add(
                Reason::new(
                    Verdict::Ask,
                    with_note("the shell tool is not in `allowedTools` and no rule allows this"),
                )
                .about(&text),
            ),
        }
    }

    fn judge_write_target(
        &self,
        target: &Word,
        cwd: Option<&Path>,
        command: &str,
        judgement: &mut Judgement,
    ) {
        let ask = |why: String| Reason::new(Verdict::Ask, why).about(command);
        if target.dynamic {
            judgement.add(ask(format!(
                "writes to `{}`, a path known only at run time",
                target.text
            )));
            return;
        }
        match self.roots.resolve_for_shell(&target.text, cwd) {
            ShellPath::Sink => {}
            ShellPath::Network => judgement.add(ask(format!(
                "`{}` sends data over the network",
                target.text
            ))),
            ShellPath::Unknown(why) => judgement.add(ask(format!(
                "writes to `{}`, which cannot be placed: {why}",
                target.text
            ))),
            ShellPath::File(path) => self.judge_write_path(&path.to_string_lossy(), judgement),
        }
    }
}

/// The command with each argument that is exactly `$name`/`${name}` of a `for` loop's
/// variable replaced by the words the loop gives it (`wc -l "$f"` in
/// `for f in src/*.py` is judged as `wc -l src/*.py`). The program word is left alone.
/// Whether the command line `line` only reads, by the closed-world
/// read-only tables alone (whatever rule allows it): it parses, nothing in
/// it is opaque, it runs at least one command, and every simple command is
/// read-only with harmless assignments and no redirection into a file.
pub(super) fn line_is_read_only(line: &str) -> bool {
    let Ok(analysis) = shell::analyze(line) else {
        return false;
    };
    analysis.opaque.is_empty()
        && !analysis.commands.is_empty()
        && analysis.commands.iter().all(|command| {
            let command = with_loop_values(command, &analysis.loop_values);
            !command.argv.is_empty()
                && shell::write_targets(&command).is_empty()
                && readonly::check(&command).is_ok()
                && harmless_prefix(&command).is_ok()
        })
}

fn with_loop_values(
    command: &SimpleCommand,
    loop_values: &BTreeMap<String, Vec<Word>>,
) -> SimpleCommand {
    let mut substituted = command.clone();
    let Some((program, args)) = command.argv.split_first() else {
        return substituted;
    };
    substituted.argv = vec![program.clone()];
    for word in args {
        let name = word
            .text
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .or_else(|| word.text.strip_prefix('$'));
        match name.and_then(|name| loop_values.get(name)) {
            Some(values) if word.dynamic => substituted.argv.extend(values.iter().cloned()),
            _ => substituted.argv.push(word.clone()),
        }
    }
    substituted
}

/// An assignment prefix keeps a read-only command read-only only when it merely sets a
/// locale or display option (`LC_ALL=C sort`); any other may change what the program
/// loads or runs (`GIT_EXTERNAL_DIFF=… git diff`).
fn harmless_prefix(command: &SimpleCommand) -> Result<(), String> {
    match command
        .assignments
        .iter()
        .map(|a| a.split_once('=').unwrap_or((a, "")))
        .find(|(name, value)| !is_harmless(name) && !is_harmless_value(name, value))
        .map(|(name, _)| name)
    {
        Some(name) => Err(format!(
            "`{name}=` before the command may change what it runs; only locale and display \
             settings keep a command read-only"
        )),
        None => Ok(()),
    }
}

/// The most folders a line is followed into before its working folder counts as unknown.
const MAX_WORKING_FOLDERS: usize = 16;

impl Policy {
    /// Every folder the line's commands may run in: the workspace, and each folder a `cd`
    /// or `pushd` in the line goes to (taken from every folder reached before it, since
    /// subshells and branches make the order uncertain). `None` when one cannot be told:
    /// `cd -`, `cd "$d"`, `popd`, `env -C`.
    fn working_folders(&self, commands: &[SimpleCommand]) -> Option<Vec<PathBuf>> {
        let mut folders = vec![self.roots.workspace.clone()];
        for command in commands {
            if runs_elsewhere(command) {
                return None;
            }
            if !matches!(command.program(), Some("cd" | "pushd" | "popd")) {
                continue;
            }
            let target = directory_operand(command)?;
            let mut reached = Vec::new();
            for folder in &folders {
                match self.roots.resolve_for_shell(&target, Some(folder)) {
                    ShellPath::File(path) => reached.push(path),
                    _ => return None,
                }
            }
            for path in reached {
                if !folders.contains(&path) {
                    folders.push(path);
                }
            }
            if folders.len() > MAX_WORKING_FOLDERS {
                return None;
            }
        }
        Some(folders)
    }
}

/// The folder `cd`/`pushd` goes to: its operand, or home without one; `None` when it is
/// only known at run time (`cd -`, `cd "$d"`, `popd`).
fn directory_operand(command: &SimpleCommand) -> Option<String> {
    if command.program() == Some("popd") {
        return None;
    }
    let mut operands = command
        .argv
        .iter()
        .skip(1)
        .skip_while(|w| matches!(w.text.as_str(), "-L" | "-P" | "-e" | "-@" | "-LP" | "-PL"))
        .skip_while(|w| w.text == "--");
    match operands.next() {
        None => Some("~".to_owned()),
        Some(word) if word.dynamic || word.text == "-" || word.text.starts_with('+') => None,
        Some(word) => Some(word.text.clone()),
    }
}

/// A command that `env -C DIR` (or `--chdir`, or an abbreviation of it) runs in another
/// folder.
fn runs_elsewhere(command: &SimpleCommand) -> bool {
    command
        .invocations
        .iter()
        .filter(|invocation| invocation.starts_with("env "))
        .flat_map(|invocation| invocation.split(' '))
        .any(|word| {
            word.starts_with("--c")
                || (word.starts_with('-') && !word.starts_with("--") && word.contains('C'))
        })
}

impl Policy {
    /// A command whose words are partly known only at run time (`git $x origin`, or
    /// anything `xargs` runs, which gets more words from its input) asks when a deny rule
    /// could match once the words are known: the rule's fixed start extends the
    /// command's known start (`git push.*` extends `git`).
    fn could_become_denied(&self, command: &SimpleCommand) -> Option<Reason> {
        let from_input = command.wrappers.iter().any(|w| w == "xargs");
        let known: Vec<&str> = command
            .argv
            .iter()
            .take_while(|word| !word.dynamic)
            .map(|word| word.text.as_str())
            .collect();
        if !from_input && known.len() == command.argv.len() {
            return None;
        }
        let known = with_base_name(&known.join(" "));
        let rule = self.config.settings.shell.denied.iter().find(|rule| {
            let start = literal_start(&rule.value.source);
            start.starts_with(&known) || (!known.is_empty() && known.starts_with(start.trim_end()))
        })?;
        Some(
            Reason::new(
                Verdict::Ask,
                "part of the command is only known at run time and could make it one that \
                 `deniedCommands` refuses",
            )
            .about(command.text())
            .citing(&rule.value.source, &rule.origin),
        )
    }
}

/// The fixed text a deny pattern starts with: up to its first regex operator.
fn literal_start(pattern: &str) -> &str {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    let end = pattern
        .find(|c: char| ".*+?()[]{}|^$\\".contains(c))
        .unwrap_or(pattern.len());
    &pattern[..end]
}

/// The texts allow rules are matched against: the command as written, and
/// each peeled wrapper's whole invocation (so `command subcommand a=1` or
/// `timeout 60 python x` can be allowed as the user wrote them).
pub(super) fn allow_candidates(command: &SimpleCommand) -> Vec<String> {
    std::iter::once(command.text())
        .chain(command.invocations.iter().cloned())
        .collect()
}

/// The texts deny rules are matched against: the allow candidates, each
/// also with its program's base name (`/bin/rm` is `rm`), and with each
/// peeled wrapper's name put back in front of the command (`sudo rm x`, so
/// `sudo .*` matches `sudo -u root rm x` too).
fn deny_candidates(command: &SimpleCommand) -> Vec<String> {
    let mut candidates = allow_candidates(command);
    let mut wrapped = with_base_name(&command.text());
    for wrapper in command.wrappers.iter().rev() {
        wrapped = format!("{wrapper} {wrapped}");
        candidates.push(wrapped.clone());
    }
    let base_named: Vec<String> = candidates.iter().map(|t| with_base_name(t)).collect();
    candidates.extend(base_named);
    candidates.extend(canonical_form(command));
    candidates
}

/// The command as a deny rule's author would write it, when the program is run in a
/// roundabout form: `python -m pip install x` is `pip install x`; `git -C dir push`,
/// `git --git-dir=.git push`, `git -c k=v push` and `/usr/lib/git-core/git-push` are
/// `git push`; `pip --isolated install x` is `pip install x`.
fn canonical_form(command: &SimpleCommand) -> Option<String> {
    let program = command.program()?;
    let args: Vec<&str> = command
        .argv
        .iter()
        .skip(1)
        .map(|w| w.text.as_str())
        .collect();
    if let Some(subcommand) = program.strip_prefix("git-") {
        return Some(joined(&format!("git {subcommand}"), &args));
    }
    if program == "git" {
        let start = git_subcommand(&args)?;
        return (start > 0).then(|| joined("git", &args[start..]));
    }
    let is_python = program
        .strip_prefix("python")
        .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if is_python || program == "py" {
        return python_module(&args);
    }
    without_leading_options(program, &args)
}

/// `program` followed by `args`, space-separated.
fn joined(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `pip --isolated install x` as `pip install x`: a rule for a subcommand also holds when
/// options come before it.
fn without_leading_options(program: &str, args: &[&str]) -> Option<String> {
    let first = args.iter().position(|arg| !arg.starts_with('-'))?;
    (first > 0).then(|| joined(program, &args[first..]))
}

/// Where git's subcommand starts, after its global options.
fn git_subcommand(args: &[&str]) -> Option<usize> {
    const VALUED: [&str; 7] = [
        "-C",
        "-c",
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--exec-path",
        "--config-env",
    ];
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        if !arg.starts_with('-') {
            return Some(index);
        }
        index += if VALUED.contains(arg) { 2 } else { 1 };
    }
    None
}

/// `python [options] -m MODULE args` as `MODULE args` (and without the module's own
/// leading options, `pip --isolated install` as `pip install`); options may be clustered
/// (`-Im pip`), the module attached (`-mpip`) or named by its `__main__`.
fn python_module(args: &[&str]) -> Option<String> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let cluster = arg
            .strip_prefix('-')
            .filter(|c| !c.is_empty() && !c.starts_with('-'));
        let Some(cluster) = cluster else {
            if arg.starts_with("--") && *arg != "--" {
                continue;
            }
            return None;
        };
        for (position, letter) in cluster.char_indices() {
            match letter {
                'm' => {
                    let module = match &cluster[position + 1..] {
                        "" => {
                            index += 1;
                            *args.get(index - 1)?
                        }
                        attached => attached,
                    };
                    let module = module.strip_suffix(".__main__").unwrap_or(module);
                    let rest = args.get(index..).unwrap_or_default();
                    return without_leading_options(module, rest).or(Some(joined(module, rest)));
                }
                'c' => return None,
                'W' | 'X' => {
                    index += usize::from(position + 1 == cluster.len());
                    break;
                }
                _ => {}
            }
        }
    }
    None
}

/// `text` with its first word replaced by that word's base name.
fn with_base_name(text: &str) -> String {
    match text.split_once(' ') {
        Some((program, rest)) => format!("{} {rest}", base_name(program)),
        None => base_name(text).to_string(),
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A pattern that does not compile matches everything: in a deny list that
/// refuses every command, which is the only safe reading.
fn pattern_matches(pattern: &CommandPattern, text: &str) -> bool {
    pattern
        .regex
        .as_ref()
        .is_none_or(|regex| regex.is_match(text))
}

fn deny_reason(rule: &Rule<CommandPattern>, subject: &str) -> Reason {
    let message = if rule.value.regex.is_some() {
        "matches `deniedCommands`"
    } else {
        "a `deniedCommands` entry does not compile, so every command is refused"
    };
    Reason::new(Verdict::Deny, message)
        .about(subject)
        .citing(&rule.value.source, &rule.origin)
}
