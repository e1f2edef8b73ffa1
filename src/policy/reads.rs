//! What a shell command reads, placed as the kernel would place it, and the judgement of
//! those reads: deny what `read.deniedPaths` covers, ask before credentials are read.
//!
//! A read is placed in every folder the line may run it in ([`super::command`] works those
//! out from its `cd`s). Words the shell expands are expanded here as far as that can be
//! done before the line runs: `$HOME`, `$PWD`, `~+` and `/proc/$$` are known; globs are
//! expanded against the file system ([`super::expand`]). A read that cannot be placed and
//! could reach credentials (`cat "$d"/../.aws/credentials`) asks; one that opens a
//! network connection (`< /dev/tcp/host/80`) asks too.

use std::path::{Path, PathBuf};

use super::Policy;
use super::decision::{Reason, Verdict};
use super::expand;
use super::paths::{SENSITIVE_HOME_PATHS, ShellPath, is_anchored, is_sensitive};
use super::readonly;
use super::shell::{RedirectKind, SimpleCommand, Word};

/// The reads of one command.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// Each path read, as written and as resolved.
    pub files: Vec<(String, PathBuf)>,
    /// Why some read cannot be placed, which keeps the command from being read-only.
    pub unplaced: Option<String>,
    /// Why some read needs a person's approval whatever else allows the command.
    pub risky: Option<String>,
}

impl Policy {
    /// The reads of `command`: the operands of a program on the read-only list (and the
    /// values of its options that name files), any other program's operands that look
    /// like paths, and the files its `<` redirections open; `folders` are where the line
    /// may run it (`None`: not known).
    pub(super) fn reads(&self, command: &SimpleCommand, folders: Option<&[PathBuf]>) -> Reads {
        let mut reads = Reads::default();
        let recursive = readonly::reads_recursively(command);
        for word in read_words(command) {
            match folders {
                Some(folders) => {
                    for folder in folders {
                        self.place(&word, Some(folder), recursive, &mut reads);
                    }
                }
                None => self.place(&word, None, recursive, &mut reads),
            }
        }
        reads
    }

    /// Places one word read from `cwd`.
    fn place(&self, word: &Word, cwd: Option<&Path>, recursive: bool, reads: &mut Reads) {
        let home = self.roots.home.as_deref();
        let text = match cwd {
            Some(cwd) if word.dynamic => expand::substitute_known(&word.text, cwd, home),
            _ => word.text.clone(),
        };
        if cwd.is_none() && !is_anchored(&text) {
            reads.risky.get_or_insert(format!(
                "reads `{}` in a folder only known at run time",
                word.text
            ));
        }
        if word.dynamic && expand::is_run_time(&text) {
            self.unplaced(word, &text, cwd, reads);
            return;
        }
        let candidates = if word.dynamic && (expand::has_glob(&text) || text.contains('{')) {
            self.glob(word, &text, cwd, reads)
        } else {
            vec![text]
        };
        for candidate in candidates {
            match self.roots.resolve_for_shell(&candidate, cwd) {
                ShellPath::File(path) => {
                    if recursive && self.holds_credentials(&path) {
                        reads.risky.get_or_insert(format!(
                            "reads every file below `{candidate}`, credentials among them"
                        ));
                    }
                    reads.files.push((candidate, path));
                }
                ShellPath::Sink => {}
                ShellPath::Network => {
                    reads
                        .risky
                        .get_or_insert(format!("`{candidate}` reads from the network"));
                }
                ShellPath::Unknown(why) => {
                    reads.unplaced.get_or_insert(why);
                }
            }
        }
    }

    /// A word whose value is only known at run time: not read-only, and asked about when
    /// its known parts could lead to credentials.
    fn unplaced(&self, word: &Word, text: &str, cwd: Option<&Path>, reads: &mut Reads) {
        reads
            .unplaced
            .get_or_insert(format!("`{}` is only known at run time", word.text));
        let pattern = expand::run_time_as_glob(text);
        let climbs = pattern.contains("..") || reaches_through_proc(&pattern);
        let reaches_home = self.sensitive_matches(&pattern, cwd.unwrap_or(Path::new("/")));
        if climbs || !reaches_home.is_empty() || pattern.starts_with('~') {
            reads.risky.get_or_insert(format!(
                "reads `{}`, which is only known at run time and could be credentials",
                word.text
            ));
        }
    }

    /// The paths a glob could name: what it expands to now, and the credential folders
    /// it could name even where nothing matches yet.
    fn glob(&self, word: &Word, text: &str, cwd: Option<&Path>, reads: &mut Reads) -> Vec<String> {
        let Some(cwd) = cwd.or_else(|| text.starts_with('/').then_some(Path::new("/"))) else {
            reads.unplaced.get_or_insert(format!(
                "`{}` is a glob and the line changes directory",
                word.text
            ));
            return Vec::new();
        };
        for alternative in expand::alternatives(text).unwrap_or_default() {
            for path in self.sensitive_matches(&alternative, cwd) {
                reads.files.push((word.text.clone(), path));
            }
        }
        match expand::candidates(text, cwd, self.roots.home.as_deref()) {
            Ok(candidates) => {
                if let Some(option) = candidates.iter().skip(1).find(|c| c.starts_with('-')) {
                    reads.unplaced.get_or_insert(format!(
                        "`{}` expands to `{option}`, which the program would take as an option",
                        word.text
                    ));
                }
                candidates
            }
            Err(why) => {
                reads.unplaced.get_or_insert(why);
                Vec::new()
            }
        }
    }

    /// The credential folders the glob `pattern` could name, its static start placed as
    /// the kernel would (`/proc/self/cwd/../.s?h` starts in the workspace's parent).
    fn sensitive_matches(&self, pattern: &str, cwd: &Path) -> Vec<PathBuf> {
        let Some(home) = self.roots.home.as_deref() else {
            return Vec::new();
        };
        let (start, rest) = expand::split_at_glob(pattern);
        let base = match self.roots.resolve_for_shell(start, Some(cwd)) {
            ShellPath::File(base) => base,
            _ => return Vec::new(),
        };
        let pattern = expand::PathGlob::new(&base.join(rest));
        SENSITIVE_HOME_PATHS
            .iter()
            .map(|p| home.join(p))
            .filter(|path| pattern.may_name(path))
            .collect()
    }

    /// Whether reading everything below `folder` reads credentials.
    fn holds_credentials(&self, folder: &Path) -> bool {
        let Some(home) = self.roots.home.as_deref() else {
            return false;
        };
        SENSITIVE_HOME_PATHS
            .iter()
            .any(|p| home.join(p).starts_with(folder))
    }

    /// Deny when a read is covered by `read.deniedPaths`; ask when it reads credentials
    /// or secrets, or is risky. Deny wins over every allow rule.
    pub(super) fn judge_reads(&self, reads: &Reads, text: &str) -> Option<Reason> {
        for (operand, resolved) in &reads.files {
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
        let secret = reads.files.iter().find(|(_, resolved)| {
            is_sensitive(resolved, &self.roots)
                || is_secret_file(resolved)
                || is_in_any_home_credentials(resolved)
        });
        if let Some((operand, _)) = secret {
            return Some(
                Reason::new(Verdict::Ask, format!("reads credentials (`{operand}`)")).about(text),
            );
        }
        reads
            .risky
            .as_ref()
            .map(|why| Reason::new(Verdict::Ask, why.clone()).about(text))
    }
}

/// Whether a run-time path goes through a process's links to other files (`/proc/$p/cwd`,
/// `root`, `fd`, `map_files`, `task`) or its secrets (`environ`, `cmdline`, `mem`); a
/// process's `stat` or `status` is only about the process.
fn reaches_through_proc(pattern: &str) -> bool {
    const LINKS: [&str; 9] = [
        "cwd",
        "root",
        "fd",
        "map_files",
        "task",
        "environ",
        "cmdline",
        "mem",
        "exe",
    ];
    pattern.split("/proc/").skip(1).any(|rest| {
        let mut components = rest.split('/').skip(1);
        components
            .next()
            .is_none_or(|next| LINKS.contains(&next) || next.contains('*'))
    })
}

/// The words `command` reads as paths.
fn read_words(command: &SimpleCommand) -> Vec<Word> {
    let listed = command.program().is_some_and(readonly::is_listed);
    let mut words: Vec<Word> = if listed {
        readonly::read_operands(command)
    } else {
        let operands = command.argv.iter().skip(1);
        operands.filter(|w| looks_like_path(w)).cloned().collect()
    };
    let opened = command
        .redirects
        .iter()
        .filter(|r| matches!(r.kind, RedirectKind::Read | RedirectKind::ReadWrite));
    words.extend(opened.map(|r| r.target.clone()));
    words
}

/// A word a program other than the known readers probably opens as a file: one that
/// contains a `/` or starts with `.` or `~` (`../x`, `~/.ssh/id_rsa`; for `--file=/etc/x`,
/// the value).
fn looks_like_path(word: &Word) -> bool {
    let text = word
        .text
        .split_once('=')
        .map_or(word.text.as_str(), |(_, value)| value);
    text.contains('/') || text.starts_with('.') || text.starts_with('~')
}

/// Whether `path` is in the credential folders of any user's home (`/home/NAME/.aws`,
/// `/root/.ssh`), not only the agent's user.
fn is_in_any_home_credentials(path: &Path) -> bool {
    let names: Vec<_> = path.components().skip(1).collect();
    let below = match names.first().map(|c| c.as_os_str().to_string_lossy()) {
        Some(top) if top == "root" => 1,
        Some(top) if top == "home" || top == "Users" => 2,
        _ => return false,
    };
    let rest: PathBuf = names.iter().skip(below).collect();
    SENSITIVE_HOME_PATHS
        .iter()
        .any(|sensitive| rest.starts_with(sensitive))
}

/// The system's own secrets: password hashes, sudo rules, host keys.
const SYSTEM_SECRETS: [&str; 7] = [
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssl/private",
];

/// Files that hold secrets wherever they are: a project's `.env` files (not the
/// `.env.example` kind committed as a template), private keys, and the system's own
/// secrets (`/etc/shadow`, host keys).
fn is_secret_file(path: &Path) -> bool {
    let host_key = path.starts_with("/etc/ssh")
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|name| name.starts_with("ssh_host_") && name.ends_with("_key"));
    if host_key || SYSTEM_SECRETS.iter().any(|secret| path.starts_with(secret)) {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let template = [".example", ".sample", ".template", ".dist", ".defaults"]
        .iter()
        .any(|suffix| name.ends_with(suffix));
    let env_file = name == ".env" || (name.starts_with(".env.") && !template);
    let key =
        ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&name) || name.ends_with(".pem");
    env_file || key || matches!(name, ".netrc" | ".pgpass" | ".git-credentials")
}
