//! `git`'s inspecting subcommands, each with the options that keep it read-only.
//!
//! Options are matched exactly (git's own parser also takes abbreviations, so an
//! abbreviation is simply not read-only here). Global options that point git at another
//! repository or configuration (`-C`, `--git-dir`, `--work-tree`, `-c`, `--exec-path`,
//! `--config-env`) are refused: a repository's configuration can run programs
//! (`core.fsmonitor`, `core.pager`, `diff.external`), and one the agent wrote could say
//! anything. Options that write (`--output`) or run configured programs (`--ext-diff`,
//! `--textconv`, `--show-signature`, `-O`/`--open-files-in-pager`) are never listed.

use crate::policy::shell::Word;
use crate::policy::shell::options::{OptionSpec, scan_permuted};

/// Global options before the subcommand that keep git where it is.
const GLOBAL: &[&str] = &[
    "--no-pager",
    "-P",
    "--no-optional-locks",
    "--literal-pathspecs",
    "--glob-pathspecs",
    "--noglob-pathspecs",
    "--icase-pathspecs",
    "--no-replace-objects",
    "--no-lazy-fetch",
];

/// The options of `git log`, `show`, `diff`, `rev-list`, `shortlog` and `whatchanged`:
/// revision selection and diff formatting.
const LOG: OptionSpec = OptionSpec {
    flags: "pusiEFwbRamcWzt",
    valued: "nSGLlUO",
    optional: "MCB",
    long_flags: &[
        "patch",
        "no-patch",
        "numstat",
        "shortstat",
        "summary",
        "name-only",
        "name-status",
        "raw",
        "oneline",
        "graph",
        "no-decorate",
        "all",
        "abbrev-commit",
        "no-abbrev-commit",
        "no-abbrev",
        "relative-date",
        "all-match",
        "invert-grep",
        "regexp-ignore-case",
        "extended-regexp",
        "fixed-strings",
        "basic-regexp",
        "perl-regexp",
        "reverse",
        "first-parent",
        "merges",
        "no-merges",
        "follow",
        "left-right",
        "cherry-pick",
        "cherry-mark",
        "cherry",
        "topo-order",
        "date-order",
        "author-date-order",
        "no-color",
        "no-renames",
        "ignore-all-space",
        "ignore-space-change",
        "ignore-blank-lines",
        "ignore-space-at-eol",
        "ignore-cr-at-eol",
        "function-context",
        "full-history",
        "simplify-by-decoration",
        "simplify-merges",
        "parents",
        "children",
        "boundary",
        "source",
        "ancestry-path",
        "cached",
        "staged",
        "no-index",
        "exit-code",
        "quiet",
        "check",
        "minimal",
        "patience",
        "histogram",
        "no-relative",
        "text",
        "binary",
        "full-index",
        "no-prefix",
        "default-prefix",
        "compact-summary",
        "mailmap",
        "no-mailmap",
        "use-mailmap",
        "no-notes",
        "expand-tabs",
        "no-expand-tabs",
        "log-size",
        "cc",
        "combined-all-paths",
        "no-diff-merges",
        "pickaxe-all",
        "pickaxe-regex",
        "no-ext-diff",
        "no-textconv",
        "not",
        "dense",
        "sparse",
        "remove-empty",
        "no-walk",
        "do-walk",
        "in-commit-order",
        "count",
        "objects",
        "objects-edge",
        "unpacked",
        "numbered",
        "email",
        "committer",
        "tags",
        "branches",
        "remotes",
        "walk-reflogs",
        "show-pulls",
        "irreversible-delete",
        "ita-invisible-in-index",
        "break-rewrites",
        "find-copies-harder",
        "indent-heuristic",
        "no-indent-heuristic",
        "stdin",
    ],
    long_valued: &[
        "max-count",
        "skip",
        "since",
        "until",
        "after",
        "before",
        "author",
        "grep",
        "date",
        "diff-algorithm",
        "diff-filter",
        "src-prefix",
        "dst-prefix",
        "line-prefix",
        "stat-width",
        "stat-name-width",
        "stat-graph-width",
        "stat-count",
        "encoding",
        "diff-merges",
        "exclude",
        "glob",
        "since-as-filter",
        "word-diff-regex",
        "unified",
        "max-age",
        "min-age",
        "max-parents",
        "min-parents",
        "anchored",
        "group",
        "inter-hunk-context",
        "output-indicator-new",
        "output-indicator-old",
        "output-indicator-context",
        "ignore-matching-lines",
        "rotate-to",
        "skip-to",
        "format",
        "submodule",
        "ws-error-highlight",
    ],
    long_optional: &[
        "stat",
        "dirstat",
        "decorate",
        "pretty",
        "abbrev",
        "color",
        "color-words",
        "word-diff",
        "find-renames",
        "find-copies",
        "relative",
        "color-moved",
        "color-moved-ws",
        "notes",
        "dirstat-by-file",
        "cumulative",
        "no-walk",
    ],
    numeric: true,
    ..OptionSpec::NONE
};

const STATUS: OptionSpec = OptionSpec {
    flags: "sbvzu",
    optional: "u",
    long_flags: &[
        "short",
        "branch",
        "long",
        "verbose",
        "show-stash",
        "ahead-behind",
        "no-ahead-behind",
        "renames",
        "no-renames",
        "null",
        "no-column",
    ],
    long_valued: &["find-renames"],
    long_optional: &[
        "porcelain",
        "untracked-files",
        "ignored",
        "ignore-submodules",
        "column",
    ],
    ..OptionSpec::NONE
};

const BRANCH: OptionSpec = OptionSpec {
    flags: "arvli",
    long_flags: &[
        "list",
        "all",
        "remotes",
        "verbose",
        "show-current",
        "no-color",
        "ignore-case",
        "omit-empty",
        "no-column",
    ],
    long_valued: &["sort", "format", "points-at"],
    long_optional: &[
        "color",
        "contains",
        "no-contains",
        "merged",
        "no-merged",
        "column",
        "abbrev",
    ],
    ..OptionSpec::NONE
};

const TAG: OptionSpec = OptionSpec {
    flags: "li",
    optional: "n",
    long_flags: &["list", "ignore-case", "omit-empty", "no-column"],
    long_valued: &["sort", "format", "points-at"],
    long_optional: &[
        "contains",
        "no-contains",
        "merged",
        "no-merged",
        "column",
        "color",
    ],
    ..OptionSpec::NONE
};

const REV_PARSE: OptionSpec = OptionSpec {
    flags: "q",
    long_flags: &[
        "show-toplevel",
        "git-dir",
        "git-common-dir",
        "absolute-git-dir",
        "is-inside-work-tree",
        "is-inside-git-dir",
        "is-bare-repository",
        "is-shallow-repository",
        "show-prefix",
        "show-cdup",
        "verify",
        "quiet",
        "symbolic",
        "symbolic-full-name",
        "all",
        "sq",
        "not",
        "revs-only",
        "no-revs",
        "flags",
        "no-flags",
        "local-env-vars",
        "show-superproject-working-tree",
        "show-object-format",
        "show-ref-format",
    ],
    long_valued: &[
        "default",
        "prefix",
        "since",
        "after",
        "until",
        "before",
        "path-format",
        "git-path",
    ],
    long_optional: &[
        "abbrev-ref",
        "short",
        "branches",
        "tags",
        "remotes",
        "glob",
        "disambiguate",
    ],
    ..OptionSpec::NONE
};

const LS_FILES: OptionSpec = OptionSpec {
    flags: "cdmoiskutvfzX",
    valued: "xX",
    long_flags: &[
        "cached",
        "deleted",
        "modified",
        "others",
        "ignored",
        "stage",
        "unmerged",
        "killed",
        "exclude-standard",
        "full-name",
        "error-unmatch",
        "directory",
        "no-empty-directory",
        "recurse-submodules",
        "eol",
        "deduplicate",
        "sparse",
        "resolve-undo",
        "debug",
    ],
    long_valued: &[
        "exclude",
        "exclude-from",
        "exclude-per-directory",
        "with-tree",
        "format",
    ],
    long_optional: &["abbrev"],
    ..OptionSpec::NONE
};

const LS_TREE: OptionSpec = OptionSpec {
    flags: "drtlz",
    long_flags: &[
        "name-only",
        "name-status",
        "object-only",
        "full-name",
        "full-tree",
        "long",
    ],
    long_valued: &["format"],
    long_optional: &["abbrev"],
    ..OptionSpec::NONE
};

const BLAME: OptionSpec = OptionSpec {
    flags: "bcflnpstwe",
    valued: "LS",
    optional: "MC",
    long_flags: &[
        "root",
        "show-stats",
        "show-name",
        "show-number",
        "porcelain",
        "line-porcelain",
        "incremental",
        "show-email",
        "color-lines",
        "color-by-age",
        "progress",
        "no-progress",
        "minimal",
    ],
    long_valued: &[
        "date",
        "ignore-rev",
        "ignore-revs-file",
        "contents",
        "since",
        "reverse",
    ],
    long_optional: &["abbrev", "score-debug"],
    ..OptionSpec::NONE
};

const DESCRIBE: OptionSpec = OptionSpec {
    long_flags: &[
        "tags",
        "all",
        "always",
        "long",
        "contains",
        "exact-match",
        "first-parent",
        "debug",
    ],
    long_valued: &["match", "exclude", "candidates"],
    long_optional: &["abbrev", "dirty", "broken"],
    ..OptionSpec::NONE
};

const CAT_FILE: OptionSpec = OptionSpec {
    flags: "tsep",
    long_flags: &[
        "batch-all-objects",
        "follow-symlinks",
        "unordered",
        "allow-unknown-type",
        "buffer",
        "use-mailmap",
        "mailmap",
        "no-mailmap",
    ],
    long_optional: &["batch", "batch-check"],
    ..OptionSpec::NONE
};

const MERGE_BASE: OptionSpec = OptionSpec {
    flags: "a",
    long_flags: &["all", "octopus", "independent", "is-ancestor", "fork-point"],
    ..OptionSpec::NONE
};

const GREP: OptionSpec = OptionSpec {
    flags: "nivwlLchHEFGPIozqrW",
    valued: "efABCm",
    long_flags: &[
        "cached",
        "untracked",
        "no-index",
        "no-exclude-standard",
        "exclude-standard",
        "recurse-submodules",
        "text",
        "ignore-case",
        "word-regexp",
        "invert-match",
        "full-name",
        "extended-regexp",
        "basic-regexp",
        "perl-regexp",
        "fixed-strings",
        "line-number",
        "column",
        "files-with-matches",
        "name-only",
        "files-without-match",
        "null",
        "only-matching",
        "count",
        "no-color",
        "break",
        "heading",
        "show-function",
        "function-context",
        "and",
        "or",
        "not",
        "all-match",
        "quiet",
    ],
    long_valued: &[
        "max-depth",
        "threads",
        "after-context",
        "before-context",
        "context",
        "max-count",
    ],
    long_optional: &["color"],
    numeric: true,
    ..OptionSpec::NONE
};

const REMOTE: OptionSpec = OptionSpec {
    flags: "v",
    long_flags: &["verbose"],
    ..OptionSpec::NONE
};

/// A subcommand's options, and what its operands may be.
struct Subcommand {
    name: &'static str,
    options: &'static OptionSpec,
    operands: SubOperands,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SubOperands {
    /// Revisions and paths.
    Any,
    /// Only with a listing option (`branch --list PATTERN`); otherwise they create.
    OnlyListing(&'static [&'static str]),
    /// Only these words (`remote get-url`).
    Words(&'static [&'static str]),
}

const SUBCOMMANDS: &[Subcommand] = &[
    sub("status", &STATUS),
    sub("log", &LOG),
    sub("show", &LOG),
    sub("diff", &LOG),
    sub("rev-list", &LOG),
    sub("shortlog", &LOG),
    sub("whatchanged", &LOG),
    sub("rev-parse", &REV_PARSE),
    sub("ls-files", &LS_FILES),
    sub("ls-tree", &LS_TREE),
    sub("blame", &BLAME),
    sub("describe", &DESCRIBE),
    sub("cat-file", &CAT_FILE),
    sub("merge-base", &MERGE_BASE),
    sub("grep", &GREP),
    Subcommand {
        name: "branch",
        options: &BRANCH,
        operands: SubOperands::OnlyListing(&[
            "-l",
            "--list",
            "--contains",
            "--merged",
            "--no-merged",
            "--no-contains",
            "--points-at",
        ]),
    },
    Subcommand {
        name: "tag",
        options: &TAG,
        operands: SubOperands::OnlyListing(&[
            "-l",
            "--list",
            "--contains",
            "--merged",
            "--no-merged",
            "--no-contains",
            "--points-at",
        ]),
    },
    Subcommand {
        name: "reflog",
        options: &LOG,
        operands: SubOperands::Words(&["show"]),
    },
    Subcommand {
        name: "remote",
        options: &REMOTE,
        operands: SubOperands::Words(&["get-url"]),
    },
];

const fn sub(name: &'static str, options: &'static OptionSpec) -> Subcommand {
    Subcommand {
        name,
        options,
        operands: SubOperands::Any,
    }
}

/// `.` as the folder of `git -C`: the repository git is in anyway.
fn is_here(word: &Word) -> bool {
    !word.dynamic && matches!(word.text.as_str(), "." | "./")
}

/// Why `git ARGS` is not read-only, or `Ok`.
pub(super) fn check(args: &[Word]) -> Result<(), String> {
    let mut rest = args.iter();
    let subcommand = loop {
        match rest.next() {
            None => return Err("`git` without a subcommand".into()),
            Some(word) if word.dynamic => {
                return Err(format!("`git {}` is only known at run time", word.text));
            }
            Some(word) if GLOBAL.contains(&word.text.as_str()) => {}
            Some(word) if word.text == "-C" && rest.clone().next().is_some_and(is_here) => {
                rest.next();
            }
            Some(word) if word.text == "--version" => return Ok(()),
            Some(word) if word.text.starts_with('-') => {
                return Err(format!(
                    "`git {}` can point git at other configuration or run programs",
                    word.text
                ));
            }
            Some(word) => break word.text.as_str(),
        }
    };
    let Some(known) = SUBCOMMANDS.iter().find(|known| known.name == subcommand) else {
        return Err(format!("`git {subcommand}` is not a read-only git command"));
    };
    let args: Vec<Word> = rest.cloned().collect();
    let scan = scan_permuted(&args, known.options)
        .map_err(|error| format!("`git {subcommand}`: {error}"))?;
    match known.operands {
        SubOperands::Any => Ok(()),
        SubOperands::OnlyListing(listing) if scan.operands.is_empty() || scan.has(listing) => {
            Ok(())
        }
        SubOperands::OnlyListing(_) => Err(format!(
            "`git {subcommand}` with operands creates, renames or deletes"
        )),
        SubOperands::Words(words) => match scan.operands.first() {
            None => Ok(()),
            Some(first) if words.contains(&first.text.as_str()) => Ok(()),
            Some(first) => Err(format!(
                "`git {subcommand} {}` is not read-only",
                first.text
            )),
        },
    }
}
