//! Judging a shell command line: every simple command in it, the wrappers
//! around them, and every file they write.
//!
//! A line is allowed unasked only if every simple command in it is, and
//! denied if any is. Deny rules are matched against each simple command (as
//! written, with the program's base name, and with each peeled wrapper put
//! back in front) and against the whole line. What cannot be judged
//! statically asks.

use std::path::PathBuf;

use super::decision::{Judgement, Reason, Verdict};
use super::paths::is_sensitive;
use super::readonly;
use super::shell::{self, SimpleCommand, Word};
use super::{Policy, Trust};
use crate::config::Rule;
use crate::config::agent::CommandPattern;

/// Wrappers that run their command as another user: never unasked.
const PRIVILEGE_WRAPPERS: &[&str] = &["sudo", "doas"];

/// Variables whose assignment changes which program runs or how a shell
/// behaves, so an allowed command is no longer the command judged.
fn is_dangerous_variable(name: &str) -> bool {
    matches!(
        name,
        "PATH"
            | "BASH_ENV"
            | "ENV"
            | "IFS"
            | "PS4"
            | "PROMPT_COMMAND"
            | "PYTHONSTARTUP"
            | "PYTHONPATH"
            | "NODE_OPTIONS"
            | "PERL5OPT"
            | "RUBYOPT"
            | "GIT_EXEC_PATH"
            | "GIT_SSH"
            | "GIT_SSH_COMMAND"
            | "GIT_PAGER"
            | "PAGER"
            | "EDITOR"
            | "VISUAL"
    ) || name.starts_with("LD_")
        || name.starts_with("DYLD_")
        || name.starts_with("GIT_CONFIG")
}

/// Files that commands may always write: they go nowhere.
fn is_sink(path: &str) -> bool {
    matches!(
        path,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty"
    ) || path.starts_with("/dev/fd/")
}

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
        let changes_directory = analysis.commands.iter().any(changes_directory);
        for command in &analysis.commands {
            self.judge_simple_command(command, pre_approved, trust, changes_directory, judgement);
            for target in shell::write_targets(command) {
                self.judge_write_target(&target, changes_directory, &command.text(), judgement);
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
        changes_directory: bool,
        judgement: &mut Judgement,
    ) {
        let rules = &self.config.settings.shell;
        let text = command.text();
        let declared = match command.program() {
            Some("export" | "declare" | "typeset" | "local" | "readonly") => command
                .argv
                .iter()
                .skip(1)
                .map(|w| w.text.as_str())
                .filter(|a| a.contains('='))
                .collect(),
            _ => Vec::new(),
        };
        for assignment in command
            .assignments
            .iter()
            .map(String::as_str)
            .chain(declared)
        {
            let name = assignment.split('=').next().unwrap_or_default();
            if is_dangerous_variable(name) {
                judgement.add(
                    Reason::new(
                        Verdict::Ask,
                        format!("setting `{name}` changes what the command runs"),
                    )
                    .about(assignment),
                );
            }
        }
        if command.argv.is_empty() {
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
        if let Some(wrapper) = command
            .wrappers
            .iter()
            .find(|w| PRIVILEGE_WRAPPERS.contains(&w.as_str()))
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
        let reads = self.reads(command, changes_directory);
        if let Some(reason) = self.judge_reads(&reads, &text) {
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
        let readonly = match (rules.auto_allow_readonly, &reads) {
            (false, _) => Err("`autoAllowReadonly` is off".to_string()),
            (true, Err(why)) => Err(why.clone()),
            (true, Ok(_)) => readonly::check(command),
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

    /// The paths a program on the read-only list reads, resolved; an error
    /// when one is only known at run time, or is relative after the line
    /// changed directory. Other programs report none.
    fn reads(
        &self,
        command: &SimpleCommand,
        changes_directory: bool,
    ) -> Result<Vec<(String, PathBuf)>, String> {
        if !command.program().is_some_and(readonly::is_listed) {
            return Ok(Vec::new());
        }
        readonly::read_operands(command)
            .into_iter()
            .map(|operand| match static_prefix(operand) {
                Some(path) if changes_directory && is_relative(path) => Err(format!(
                    "`{}` is relative and the line changes directory",
                    operand.text
                )),
                Some(path) => Ok((operand.text.clone(), self.roots.resolve(path))),
                None => Err(format!("`{}` is only known at run time", operand.text)),
            })
            .collect()
    }

    /// Deny when a known reader reads what `read.deniedPaths` covers; ask
    /// when it reads credentials. Deny wins over every allow rule.
    fn judge_reads(
        &self,
        reads: &Result<Vec<(String, PathBuf)>, String>,
        text: &str,
    ) -> Option<Reason> {
        let reads = reads.as_ref().ok()?;
        for (operand, resolved) in reads {
            if let Some(rule) = self.read.denied.matching(resolved, &self.roots) {
                return Some(
                    Reason::new(
                        Verdict::Deny,
                        format!("reads `{operand}`, which `read.deniedPaths` covers"),
                    )
                    .about(text)
                    .citing(&rule.value, &rule.origin),
                );
            }
        }
        reads
            .iter()
            .find(|(_, resolved)| is_sensitive(resolved, &self.roots))
            .map(|(operand, _)| {
                Reason::new(Verdict::Ask, format!("reads credentials (`{operand}`)")).about(text)
            })
    }

    fn judge_write_target(
        &self,
        target: &Word,
        changes_directory: bool,
        command: &str,
        judgement: &mut Judgement,
    ) {
        if target.dynamic {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    format!("writes to `{}`, a path known only at run time", target.text),
                )
                .about(command),
            );
            return;
        }
        if is_sink(&target.text) {
            return;
        }
        if changes_directory && is_relative(&target.text) {
            judgement.add(
                Reason::new(
                    Verdict::Ask,
                    format!(
                        "writes to `{}` after changing directory: where it lands cannot be told",
                        target.text
                    ),
                )
                .about(command),
            );
            return;
        }
        self.judge_write_path(&target.text, judgement);
    }
}

/// True for a command that moves the working directory of what follows
/// it, so that relative paths after it land elsewhere: `cd`, `pushd`,
/// `popd`, and anything run under `env -C`/`--chdir`.
fn changes_directory(command: &SimpleCommand) -> bool {
    let env_chdir = |invocation: &String| {
        invocation.starts_with("env ")
            && (invocation.contains(" -C") || invocation.contains(" --chdir"))
    };
    matches!(command.program(), Some("cd" | "pushd" | "popd"))
        || command.invocations.iter().any(env_chdir)
}

/// A path that the working directory decides.
fn is_relative(path: &str) -> bool {
    !path.starts_with('/') && !path.starts_with('~') && !path.starts_with("$HOME")
}

/// The static part of a word used as a path: all of it, or what comes
/// before the first glob character; `None` when it holds an expansion.
fn static_prefix(word: &Word) -> Option<&str> {
    if !word.dynamic {
        return Some(&word.text);
    }
    if word.text.contains(['$', '`']) {
        return None;
    }
    let end = word.text.find(['*', '?', '[']).unwrap_or(word.text.len());
    let prefix = &word.text[..end];
    Some(match prefix.rfind('/') {
        Some(slash) => &prefix[..=slash],
        None => ".",
    })
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
    candidates
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
