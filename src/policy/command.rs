//! Judging a shell command line: every simple command in it, the wrappers
//! around them, and every file they write.
//!
//! A line is allowed unasked only if every simple command in it is, and
//! denied if any is. Deny rules are matched against each simple command (as
//! written, with the program's base name, and with each peeled wrapper put
//! back in front) and against the whole line. What cannot be judged
//! statically asks.

use std::path::{Path, PathBuf};

use super::decision::{Judgement, Reason, Verdict};
use super::expand;
use super::paths::{SENSITIVE_HOME_PATHS, ShellPath, is_sensitive};
use super::readonly;
use super::shell::variables::is_harmless;
use super::shell::{self, RedirectKind, SimpleCommand, Word};
use super::{Policy, Trust};
use crate::config::Rule;
use crate::config::agent::CommandPattern;

/// Wrappers that run their command as another user: never unasked.
const PRIVILEGE_WRAPPERS: &[&str] = &["sudo", "doas"];

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
        let cwd = (!changes_directory).then_some(self.roots.workspace.as_path());
        for command in &analysis.commands {
            self.judge_simple_command(command, pre_approved, trust, cwd, judgement);
            for target in shell::write_targets(command) {
                self.judge_write_target(&target, cwd, &command.text(), judgement);
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
        cwd: Option<&Path>,
        judgement: &mut Judgement,
    ) {
        let rules = &self.config.settings.shell;
        let text = command.text();
        let reads = self.reads(command, cwd);
        let read_judgement = self.judge_reads(&reads, &text);
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
        let readonly = match (rules.auto_allow_readonly, &reads) {
            (false, _) => Err("`autoAllowReadonly` is off".to_string()),
            (true, Err(why)) => Err(why.clone()),
            (true, Ok(_)) => readonly::check(command).and_then(|()| harmless_prefix(command)),
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

    /// The paths a command reads, resolved as the kernel would: the operands of a program
    /// on the read-only list (and the values of its options that name files), any other
    /// program's operands that look like paths, and the files its `<` redirections open.
    /// Globs are expanded against the file system. An error says why some read cannot be
    /// placed (a value known only at run time, a network connection, a glob that expands
    /// to an option).
    fn reads(
        &self,
        command: &SimpleCommand,
        cwd: Option<&Path>,
    ) -> Result<Vec<(String, PathBuf)>, String> {
        let listed = command.program().is_some_and(readonly::is_listed);
        let mut words: Vec<Word> = if listed {
            readonly::read_operands(command)
        } else {
            command
                .argv
                .iter()
                .skip(1)
                .filter(|w| looks_like_path(w))
                .cloned()
                .collect()
        };
        words.extend(
            command
                .redirects
                .iter()
                .filter(|r| matches!(r.kind, RedirectKind::Read | RedirectKind::ReadWrite))
                .map(|r| r.target.clone()),
        );
        let mut reads = Vec::new();
        for word in words {
            reads.extend(self.sensitive_matches(&word, cwd));
            for text in self.expansions(&word, cwd)? {
                match self.roots.resolve_for_shell(&text, cwd) {
                    ShellPath::File(path) => reads.push((text, path)),
                    ShellPath::Sink => {}
                    ShellPath::Network => {
                        return Err(format!("`{text}` opens a network connection"));
                    }
                    ShellPath::Unknown(why) => return Err(why),
                }
            }
        }
        Ok(reads)
    }

    /// The credential folders a glob could name even where nothing matches yet.
    fn sensitive_matches(&self, word: &Word, cwd: Option<&Path>) -> Vec<(String, PathBuf)> {
        let Some(home) = self.roots.home.as_deref() else {
            return Vec::new();
        };
        if !word.dynamic || !expand::has_glob(&word.text) {
            return Vec::new();
        }
        let cwd = cwd.unwrap_or(Path::new("/"));
        SENSITIVE_HOME_PATHS
            .iter()
            .map(|p| home.join(p))
            .filter(|path| expand::may_name(&word.text, path, cwd, Some(home)))
            .map(|path| (word.text.clone(), path))
            .collect()
    }

    /// The paths a word may name: itself, or what its glob expands to.
    fn expansions(&self, word: &Word, cwd: Option<&Path>) -> Result<Vec<String>, String> {
        if !word.dynamic {
            return Ok(vec![word.text.clone()]);
        }
        let Some(cwd) = cwd.or_else(|| word.text.starts_with('/').then_some(Path::new("/"))) else {
            return Err(format!(
                "`{}` is a glob and the line changes directory",
                word.text
            ));
        };
        let candidates = expand::candidates(&word.text, cwd, self.roots.home.as_deref())?;
        if let Some(option) = candidates.iter().skip(1).find(|c| c.starts_with('-')) {
            return Err(format!(
                "`{}` expands to `{option}`, which the program would take as an option",
                word.text
            ));
        }
        Ok(candidates)
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

/// An assignment prefix keeps a read-only command read-only only when it merely sets a
/// locale or display option (`LC_ALL=C sort`); any other may change what the program
/// loads or runs (`GIT_EXTERNAL_DIFF=… git diff`).
fn harmless_prefix(command: &SimpleCommand) -> Result<(), String> {
    match command
        .assignments
        .iter()
        .map(|a| a.split('=').next().unwrap_or_default())
        .find(|name| !is_harmless(name))
    {
        Some(name) => Err(format!(
            "`{name}=` before the command may change what it runs; only locale and display \
             settings keep a command read-only"
        )),
        None => Ok(()),
    }
}

/// A word a program other than the known readers probably opens as a file: one that
/// contains a `/` or starts with `.` or `~` (`../x`, `~/.ssh/id_rsa`, `--file=/etc/x`
/// gives `/etc/x`).
fn looks_like_path(word: &Word) -> bool {
    let text = word
        .text
        .split_once('=')
        .map_or(word.text.as_str(), |(_, value)| value);
    text.contains('/') || text.starts_with('.') || text.starts_with('~')
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
/// `git --git-dir=.git push` and `git -c k=v push` are `git push`.
fn canonical_form(command: &SimpleCommand) -> Option<String> {
    let program = command.program()?;
    let args: Vec<&str> = command
        .argv
        .iter()
        .skip(1)
        .map(|w| w.text.as_str())
        .collect();
    if program == "git" {
        let start = git_subcommand(&args)?;
        return (start > 0).then(|| format!("git {}", args[start..].join(" ")));
    }
    let is_python = program
        .strip_prefix("python")
        .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if is_python || program == "py" {
        return python_module(&args);
    }
    None
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

/// `python [options] -m MODULE args` as `MODULE args`; options may be clustered
/// (`-Im pip`, `-um`) and the module attached (`-mpip`).
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
                    let attached = &cluster[position + 1..];
                    let module = match attached {
                        "" => {
                            index += 1;
                            *args.get(index - 1)?
                        }
                        attached => attached,
                    };
                    let rest = args.get(index..).unwrap_or_default();
                    return Some(
                        std::iter::once(module)
                            .chain(rest.iter().copied())
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
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
