//! The read-only programs and the options each may take: the data an auditor reads.
//!
//! Every option listed here neither writes a file, nor runs another program, nor changes
//! the system, nor reaches the network. Options a program knows that are not read-only are
//! listed under `other_long` (never accepted), so that GNU abbreviations resolve as the
//! program itself resolves them: `sort --out=F` is `--output=F`. Programs marked
//! `abbreviations: false` take no abbreviations here, so for them only exact names count.
//! Long option lists were read from the `--help` of GNU coreutils 9, grep 3, findutils 4,
//! procps 4 and util-linux 2.38.

use crate::policy::shell::options::OptionSpec;

/// What is special about a program beyond its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// Nothing: its options and operand count are all.
    Plain,
    /// Every argument is an operand and none writes (`echo`, `true`, `test`, `expr`).
    Arguments,
    /// `find`'s expression: only tests and printing actions ([`super::rules::find`]).
    Find,
    /// `git`: inspecting subcommands with their options ([`super::git`]).
    Git,
    /// `sed -n` with scripts that only print ([`super::rules::sed`]).
    Sed,
    /// `date`: operands are output formats (`+%F`), never a date to set.
    Date,
    /// `printf`: `-v` assigns only to a plain variable name.
    Printf,
    /// `ps`: listing options only, never the environment of other processes.
    Ps,
}

/// How many operands keep the program read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operands {
    /// Any number.
    Any,
    /// At most this many (`uniq IN OUT` writes OUT; `hostname NAME` renames the machine).
    AtMost(usize),
}

/// One read-only program.
#[derive(Debug, Clone, Copy)]
pub(super) struct Program {
    /// The names it is called by.
    pub names: &'static [&'static str],
    /// The options it may take.
    pub options: OptionSpec,
    /// Options whose value is a file the program reads (as the scanner names them: `-f`,
    /// `--file`).
    pub files: &'static [&'static str],
    /// How many operands it may take.
    pub operands: Operands,
    /// Its special rule.
    pub rule: Rule,
}

/// The program called `name`, if it is read-only with some options.
pub(super) fn lookup(name: &str) -> Option<&'static Program> {
    PROGRAMS
        .iter()
        .find(|program| program.names.contains(&name))
}

const HELP: [&str; 2] = ["help", "version"];

const fn plain(names: &'static [&'static str], options: OptionSpec) -> Program {
    Program {
        names,
        options,
        files: &[],
        operands: Operands::Any,
        rule: Rule::Plain,
    }
}

const fn arguments(names: &'static [&'static str]) -> Program {
    Program {
        names,
        options: OptionSpec::NONE,
        files: &[],
        operands: Operands::Any,
        rule: Rule::Arguments,
    }
}

const fn gnu(
    flags: &'static str,
    valued: &'static str,
    long_flags: &'static [&'static str],
    long_valued: &'static [&'static str],
) -> OptionSpec {
    OptionSpec {
        flags,
        valued,
        long_flags,
        long_valued,
        abbreviations: true,
        ..OptionSpec::NONE
    }
}

/// Every read-only program.
pub(super) const PROGRAMS: &[Program] = &[
    arguments(&[
        "echo", "true", "false", "test", "[", "expr", "sleep", "arch", "logname", ":", "set",
        "shopt",
    ]),
    plain(
        &["ls"],
        OptionSpec {
            flags: "aAbBcCdfFgGhHiklLmnNopqQrRsStuUvxXZ1",
            valued: "ITw",
            long_flags: &[
                "all",
                "almost-all",
                "author",
                "context",
                "dereference",
                "dereference-command-line",
                "dereference-command-line-symlink-to-dir",
                "directory",
                "dired",
                "escape",
                "file-type",
                "full-time",
                "group-directories-first",
                "hide-control-chars",
                "human-readable",
                "ignore-backups",
                "inode",
                "kibibytes",
                "literal",
                "no-group",
                "numeric-uid-gid",
                "quote-name",
                "recursive",
                "reverse",
                "show-control-chars",
                "si",
                "size",
                "zero",
                "help",
                "version",
            ],
            long_valued: &[
                "block-size",
                "format",
                "hide",
                "ignore",
                "indicator-style",
                "quoting-style",
                "sort",
                "tabsize",
                "time-style",
                "width",
            ],
            long_optional: &["classify", "color", "hyperlink", "time"],
            abbreviations: true,
            ..OptionSpec::NONE
        },
    ),
    plain(&["pwd"], gnu("LP", "", &HELP, &[])),
    plain(
        &["cat"],
        gnu(
            "AbeEnstTuv",
            "",
            &[
                "number",
                "number-nonblank",
                "show-all",
                "show-ends",
                "show-nonprinting",
                "show-tabs",
                "squeeze-blank",
                "help",
                "version",
            ],
            &[],
        ),
    ),
    plain(
        &["head"],
        OptionSpec {
            numeric: true,
            ..gnu(
                "qvz",
                "cn",
                &[
                    "quiet",
                    "silent",
                    "verbose",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                &["bytes", "lines"],
            )
        },
    ),
    plain(
        &["tail"],
        OptionSpec {
            numeric: true,
            other_long: &["follow", "retry", "pid", "max-unchanged-stats"],
            long_optional: &[],
            ..gnu(
                "qvz",
                "cns",
                &[
                    "quiet",
                    "silent",
                    "verbose",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                &["bytes", "lines", "sleep-interval"],
            )
        },
    ),
    Program {
        files: &["--files0-from"],
        ..plain(
            &["wc"],
            OptionSpec {
                long_optional: &["total"],
                ..gnu(
                    "clmwL",
                    "",
                    &[
                        "bytes",
                        "chars",
                        "lines",
                        "max-line-length",
                        "words",
                        "help",
                        "version",
                    ],
                    &["files0-from"],
                )
            },
        )
    },
    plain(
        &["stat"],
        OptionSpec {
            long_optional: &["cached"],
            ..gnu(
                "Lft",
                "c",
                &["dereference", "file-system", "terse", "help", "version"],
                &["format", "printf"],
            )
        },
    ),
    Program {
        files: &["-X", "--exclude-from", "--files0-from"],
        ..plain(
            &["du"],
            OptionSpec {
                long_optional: &["time"],
                ..gnu(
                    "0abcDhHklLmPsSx",
                    "BdtX",
                    &[
                        "all",
                        "apparent-size",
                        "bytes",
                        "count-links",
                        "dereference",
                        "dereference-args",
                        "human-readable",
                        "inodes",
                        "no-dereference",
                        "null",
                        "one-file-system",
                        "separate-dirs",
                        "si",
                        "summarize",
                        "total",
                        "help",
                        "version",
                    ],
                    &[
                        "block-size",
                        "exclude",
                        "exclude-from",
                        "files0-from",
                        "max-depth",
                        "threshold",
                        "time-style",
                    ],
                )
            },
        )
    },
    plain(
        &["df"],
        OptionSpec {
            long_optional: &["output"],
            other_long: &["sync"],
            ..gnu(
                "ahHiklPTv",
                "Btx",
                &[
                    "all",
                    "human-readable",
                    "inodes",
                    "local",
                    "no-sync",
                    "portability",
                    "print-type",
                    "si",
                    "total",
                    "help",
                    "version",
                ],
                &["block-size", "exclude-type", "type"],
            )
        },
    ),
    plain(
        &["cut"],
        gnu(
            "nsz",
            "bcdf",
            &[
                "complement",
                "only-delimited",
                "zero-terminated",
                "help",
                "version",
            ],
            &[
                "bytes",
                "characters",
                "delimiter",
                "fields",
                "output-delimiter",
            ],
        ),
    ),
    plain(
        &["basename"],
        gnu(
            "az",
            "s",
            &["multiple", "zero", "help", "version"],
            &["suffix"],
        ),
    ),
    plain(
        &["dirname"],
        gnu("z", "", &["zero", "help", "version"], &[]),
    ),
    plain(
        &["realpath"],
        gnu(
            "eEmLPqsz",
            "",
            &[
                "canonicalize-existing",
                "canonicalize-missing",
                "logical",
                "no-symlinks",
                "physical",
                "quiet",
                "strip",
                "zero",
                "help",
                "version",
            ],
            &["relative-base", "relative-to"],
        ),
    ),
    plain(
        &["readlink"],
        gnu(
            "efmnqsvz",
            "",
            &[
                "canonicalize",
                "canonicalize-existing",
                "canonicalize-missing",
                "no-newline",
                "quiet",
                "silent",
                "verbose",
                "zero",
                "help",
                "version",
            ],
            &[],
        ),
    ),
    plain(
        &["seq"],
        OptionSpec {
            numeric: true,
            ..gnu(
                "w",
                "fs",
                &["equal-width", "help", "version"],
                &["format", "separator"],
            )
        },
    ),
    plain(
        &["nl"],
        gnu(
            "p",
            "bdfhilnsvw",
            &["no-renumber", "help", "version"],
            &[
                "body-numbering",
                "footer-numbering",
                "header-numbering",
                "join-blank-lines",
                "line-increment",
                "number-format",
                "number-separator",
                "number-width",
                "section-delimiter",
                "starting-line-number",
            ],
        ),
    ),
    plain(
        &["cmp"],
        gnu(
            "bls",
            "in",
            &[
                "print-bytes",
                "quiet",
                "silent",
                "verbose",
                "help",
                "version",
            ],
            &["bytes", "ignore-initial"],
        ),
    ),
    Program {
        files: &["-X", "--exclude-from", "--from-file", "--to-file"],
        ..plain(
            &["diff"],
            OptionSpec {
                long_optional: &["color", "context", "unified"],
                other_long: &["paginate"],
                numeric: true,
                ..gnu(
                    "abBcdeEfinNpPqrstTuwyZ",
                    "CDFILSUWxX",
                    &[
                        "brief",
                        "ed",
                        "expand-tabs",
                        "ignore-all-space",
                        "ignore-blank-lines",
                        "ignore-case",
                        "ignore-file-name-case",
                        "ignore-space-change",
                        "ignore-tab-expansion",
                        "ignore-trailing-space",
                        "initial-tab",
                        "left-column",
                        "minimal",
                        "new-file",
                        "no-dereference",
                        "no-ignore-file-name-case",
                        "normal",
                        "rcs",
                        "recursive",
                        "report-identical-files",
                        "show-c-function",
                        "side-by-side",
                        "speed-large-files",
                        "strip-trailing-cr",
                        "suppress-blank-empty",
                        "suppress-common-lines",
                        "text",
                        "unidirectional-new-file",
                        "help",
                        "version",
                    ],
                    &[
                        "changed-group-format",
                        "exclude",
                        "exclude-from",
                        "from-file",
                        "horizon-lines",
                        "ifdef",
                        "ignore-matching-lines",
                        "label",
                        "line-format",
                        "new-group-format",
                        "new-line-format",
                        "old-group-format",
                        "old-line-format",
                        "palette",
                        "show-function-line",
                        "starting-file",
                        "tabsize",
                        "to-file",
                        "unchanged-group-format",
                        "unchanged-line-format",
                        "width",
                    ],
                )
            },
        )
    },
    plain(
        &["comm"],
        gnu(
            "123z",
            "",
            &[
                "check-order",
                "nocheck-order",
                "total",
                "zero-terminated",
                "help",
                "version",
            ],
            &["output-delimiter"],
        ),
    ),
    plain(
        &[
            "md5sum",
            "sha1sum",
            "sha224sum",
            "sha256sum",
            "sha384sum",
            "sha512sum",
            "b2sum",
            "cksum",
        ],
        gnu(
            "bctwz",
            "l",
            &[
                "binary",
                "check",
                "ignore-missing",
                "quiet",
                "status",
                "strict",
                "tag",
                "text",
                "warn",
                "zero",
                "base64",
                "raw",
                "untagged",
                "help",
                "version",
            ],
            &["length", "algorithm"],
        ),
    ),
    Program {
        files: &["--files0-from", "--random-source"],
        ..plain(
            &["sort"],
            OptionSpec {
                long_optional: &["check"],
                other_long: &["output", "compress-program", "temporary-directory"],
                ..gnu(
                    "bcCdfghiMmnrRsuVz",
                    "kSt",
                    &[
                        "debug",
                        "dictionary-order",
                        "general-numeric-sort",
                        "human-numeric-sort",
                        "ignore-case",
                        "ignore-leading-blanks",
                        "ignore-nonprinting",
                        "merge",
                        "month-sort",
                        "numeric-sort",
                        "random-sort",
                        "reverse",
                        "stable",
                        "unique",
                        "version-sort",
                        "zero-terminated",
                        "help",
                        "version",
                    ],
                    &[
                        "batch-size",
                        "buffer-size",
                        "field-separator",
                        "files0-from",
                        "key",
                        "parallel",
                        "random-source",
                        "sort",
                    ],
                )
            },
        )
    },
    Program {
        operands: Operands::AtMost(1),
        ..plain(
            &["uniq"],
            OptionSpec {
                long_optional: &["all-repeated", "group"],
                numeric: true,
                ..gnu(
                    "cdDiuz",
                    "fsw",
                    &[
                        "count",
                        "ignore-case",
                        "repeated",
                        "unique",
                        "zero-terminated",
                        "help",
                        "version",
                    ],
                    &["check-chars", "skip-chars", "skip-fields"],
                )
            },
        )
    },
    plain(
        &["tr"],
        gnu(
            "cCdst",
            "",
            &[
                "complement",
                "delete",
                "squeeze-repeats",
                "truncate-set1",
                "help",
                "version",
            ],
            &[],
        ),
    ),
    plain(
        &["tac"],
        gnu(
            "br",
            "s",
            &["before", "regex", "help", "version"],
            &["separator"],
        ),
    ),
    plain(&["rev"], gnu("0", "", &["zero", "help", "version"], &[])),
    plain(
        &["column"],
        gnu(
            "tJxeLdn",
            "csoNRTEWHOrip",
            &[
                "table",
                "json",
                "fillrows",
                "keep-empty-lines",
                "table-noheadings",
                "help",
                "version",
            ],
            &[
                "columns",
                "separator",
                "output-separator",
                "table-columns",
                "table-right",
                "table-truncate",
                "table-noextreme",
                "table-wrap",
                "table-hide",
                "table-order",
                "table-name",
                "tree",
                "tree-id",
                "tree-parent",
            ],
        ),
    ),
    Program {
        files: &["-f", "--file", "--exclude-from"],
        ..plain(
            &["grep", "egrep", "fgrep"],
            OptionSpec {
                long_optional: &["color", "colour"],
                other_long: &["perl-regexp"],
                numeric: true,
                ..gnu(
                    "abcEFGhHiIlLnoqrRsTuUvVwxyZz",
                    "ABCdDefm",
                    &[
                        "basic-regexp",
                        "byte-offset",
                        "count",
                        "dereference-recursive",
                        "extended-regexp",
                        "files-with-matches",
                        "files-without-match",
                        "fixed-strings",
                        "ignore-case",
                        "initial-tab",
                        "invert-match",
                        "line-buffered",
                        "line-number",
                        "line-regexp",
                        "no-filename",
                        "no-group-separator",
                        "no-ignore-case",
                        "no-messages",
                        "null",
                        "null-data",
                        "only-matching",
                        "quiet",
                        "recursive",
                        "silent",
                        "text",
                        "with-filename",
                        "word-regexp",
                        "binary",
                        "help",
                        "version",
                    ],
                    &[
                        "after-context",
                        "before-context",
                        "binary-files",
                        "context",
                        "devices",
                        "directories",
                        "exclude",
                        "exclude-dir",
                        "exclude-from",
                        "file",
                        "group-separator",
                        "include",
                        "label",
                        "max-count",
                        "regexp",
                    ],
                )
            },
        )
    },
    Program {
        files: &["-f", "--file", "--ignore-file"],
        ..plain(
            &["rg"],
            OptionSpec {
                flags: "aciFHhIlLnNopPqsSuUvwx0",
                valued: "ABCdeEfgjmMrtT",
                long_flags: &[
                    "count",
                    "count-matches",
                    "files",
                    "files-with-matches",
                    "files-without-match",
                    "fixed-strings",
                    "follow",
                    "hidden",
                    "ignore-case",
                    "invert-match",
                    "json",
                    "line-number",
                    "no-line-number",
                    "no-heading",
                    "heading",
                    "no-filename",
                    "with-filename",
                    "no-ignore",
                    "no-ignore-vcs",
                    "no-messages",
                    "null",
                    "only-matching",
                    "pcre2",
                    "quiet",
                    "smart-case",
                    "case-sensitive",
                    "sort-files",
                    "stats",
                    "text",
                    "trim",
                    "type-list",
                    "unrestricted",
                    "vimgrep",
                    "word-regexp",
                    "line-regexp",
                    "multiline",
                    "column",
                    "no-config",
                    "byte-offset",
                    "help",
                    "version",
                ],
                long_valued: &[
                    "after-context",
                    "before-context",
                    "context",
                    "color",
                    "colors",
                    "encoding",
                    "file",
                    "glob",
                    "iglob",
                    "ignore-file",
                    "max-columns",
                    "max-count",
                    "max-depth",
                    "max-filesize",
                    "regexp",
                    "replace",
                    "sort",
                    "sortr",
                    "threads",
                    "type",
                    "type-not",
                    "path-separator",
                ],
                ..OptionSpec::NONE
            },
        )
    },
    plain(
        &["tree"],
        OptionSpec {
            flags: "adlfxpsughDFqNQAScrtvUJiC",
            valued: "LPI",
            long_flags: &[
                "noreport",
                "dirsfirst",
                "du",
                "prune",
                "gitignore",
                "matchdirs",
                "ignore-case",
                "help",
                "version",
            ],
            long_valued: &["charset", "filelimit", "sort", "timefmt"],
            ..OptionSpec::NONE
        },
    ),
    Program {
        files: &["-f", "--files-from", "-m", "--magic-file"],
        ..plain(
            &["file"],
            OptionSpec {
                flags: "bchiIkLNn0prs",
                valued: "efFmP",
                long_flags: &[
                    "brief",
                    "dereference",
                    "no-dereference",
                    "keep-going",
                    "mime",
                    "mime-type",
                    "mime-encoding",
                    "no-buffer",
                    "no-pad",
                    "print0",
                    "raw",
                    "special-files",
                    "preserve-date",
                    "extension",
                    "apple",
                    "help",
                    "version",
                ],
                long_valued: &[
                    "exclude",
                    "exclude-quiet",
                    "files-from",
                    "separator",
                    "magic-file",
                    "parameter",
                ],
                ..OptionSpec::NONE
            },
        )
    },
    Program {
        files: &["-f", "--file", "-r", "--reference"],
        rule: Rule::Date,
        ..plain(
            &["date"],
            OptionSpec {
                optional: "I",
                long_optional: &["iso-8601"],
                other_long: &["set"],
                ..gnu(
                    "Ru",
                    "dfr",
                    &[
                        "debug",
                        "resolution",
                        "rfc-email",
                        "universal",
                        "utc",
                        "help",
                        "version",
                    ],
                    &["date", "file", "reference", "rfc-3339"],
                )
            },
        )
    },
    Program {
        operands: Operands::AtMost(0),
        ..plain(
            &["hostname"],
            OptionSpec {
                flags: "aAdfiIsyv",
                long_flags: &[
                    "alias",
                    "all-fqdns",
                    "all-ip-addresses",
                    "domain",
                    "fqdn",
                    "long",
                    "ip-address",
                    "nis",
                    "yp",
                    "short",
                    "verbose",
                    "help",
                    "version",
                ],
                ..OptionSpec::NONE
            },
        )
    },
    plain(&["which"], gnu("as", "", &[], &[])),
    plain(
        &["type"],
        OptionSpec {
            flags: "afptP",
            ..OptionSpec::NONE
        },
    ),
    Program {
        operands: Operands::AtMost(1),
        ..plain(
            &["cd"],
            OptionSpec {
                flags: "LPe@",
                ..OptionSpec::NONE
            },
        )
    },
    Program {
        operands: Operands::AtMost(1),
        ..plain(
            &["command"],
            OptionSpec {
                flags: "pvV",
                ..OptionSpec::NONE
            },
        )
    },
    plain(&["whoami"], gnu("", "", &HELP, &[])),
    plain(
        &["id"],
        gnu(
            "agGnruzZ",
            "",
            &[
                "context", "group", "groups", "name", "real", "user", "zero", "help", "version",
            ],
            &[],
        ),
    ),
    plain(
        &["uname"],
        gnu(
            "asnrvmpio",
            "",
            &[
                "all",
                "kernel-name",
                "nodename",
                "kernel-release",
                "kernel-version",
                "machine",
                "processor",
                "hardware-platform",
                "operating-system",
                "help",
                "version",
            ],
            &[],
        ),
    ),
    plain(
        &["nproc"],
        gnu("", "", &["all", "help", "version"], &["ignore"]),
    ),
    plain(
        &["groups", "users", "tty"],
        gnu("s", "", &["silent", "quiet", "help", "version"], &[]),
    ),
    plain(
        &["base64", "base32"],
        gnu(
            "diw",
            "",
            &["decode", "ignore-garbage", "help", "version"],
            &["wrap"],
        ),
    ),
    plain(
        &["numfmt"],
        OptionSpec {
            long_optional: &["header"],
            ..gnu(
                "z",
                "d",
                &["debug", "grouping", "zero-terminated", "help", "version"],
                &[
                    "delimiter",
                    "field",
                    "format",
                    "from",
                    "from-unit",
                    "invalid",
                    "padding",
                    "round",
                    "suffix",
                    "to",
                    "to-unit",
                ],
            )
        },
    ),
    plain(
        &["od"],
        OptionSpec {
            optional: "w",
            long_optional: &["strings", "width"],
            ..gnu(
                "bcdfilosvx",
                "AjNSt",
                &["output-duplicates", "traditional", "help", "version"],
                &[
                    "address-radix",
                    "endian",
                    "format",
                    "read-bytes",
                    "skip-bytes",
                ],
            )
        },
    ),
    plain(
        &["printenv"],
        gnu("0", "", &["null", "help", "version"], &[]),
    ),
    plain(
        &["free"],
        gnu(
            "bkmghlLtvw",
            "sc",
            &[
                "bytes",
                "kibi",
                "mebi",
                "gibi",
                "tebi",
                "pebi",
                "kilo",
                "mega",
                "giga",
                "tera",
                "peta",
                "human",
                "lohi",
                "line",
                "total",
                "committed",
                "wide",
                "si",
                "help",
                "version",
            ],
            &["seconds", "count"],
        ),
    ),
    plain(
        &["paste"],
        gnu(
            "sz",
            "d",
            &["serial", "zero-terminated", "help", "version"],
            &["delimiters"],
        ),
    ),
    plain(
        &["fold"],
        gnu(
            "bs",
            "w",
            &["bytes", "spaces", "help", "version"],
            &["width"],
        ),
    ),
    plain(
        &["expand", "unexpand"],
        gnu(
            "ia",
            "t",
            &["initial", "all", "first-only", "help", "version"],
            &["tabs"],
        ),
    ),
    plain(
        &["join"],
        gnu(
            "iz",
            "aejotv12",
            &[
                "check-order",
                "nocheck-order",
                "header",
                "ignore-case",
                "zero-terminated",
                "help",
                "version",
            ],
            &[],
        ),
    ),
    Program {
        operands: Operands::AtMost(0),
        ..plain(
            &["env"],
            gnu(
                "0i",
                "u",
                &["null", "ignore-environment", "help", "version"],
                &["unset"],
            ),
        )
    },
    Program {
        files: &["-f", "--from-file", "--slurpfile", "--rawfile"],
        ..plain(
            &["jq"],
            OptionSpec {
                flags: "rcsnjaSCMeRh",
                valued: "fL",
                long_flags: &[
                    "raw-output",
                    "compact-output",
                    "slurp",
                    "null-input",
                    "join-output",
                    "ascii-output",
                    "sort-keys",
                    "color-output",
                    "monochrome-output",
                    "tab",
                    "exit-status",
                    "raw-input",
                    "seq",
                    "stream",
                    "raw-output0",
                    "args",
                    "jsonargs",
                    "help",
                    "version",
                ],
                long_valued: &[
                    "indent",
                    "from-file",
                    "arg",
                    "argjson",
                    "slurpfile",
                    "rawfile",
                ],
                ..OptionSpec::NONE
            },
        )
    },
    Program {
        rule: Rule::Sed,
        ..plain(
            &["sed"],
            OptionSpec {
                other_long: &["in-place", "file", "follow-symlinks"],
                ..gnu(
                    "nrEsuz",
                    "el",
                    &[
                        "quiet",
                        "silent",
                        "regexp-extended",
                        "separate",
                        "unbuffered",
                        "null-data",
                        "posix",
                        "debug",
                        "sandbox",
                        "help",
                        "version",
                    ],
                    &["expression", "line-length"],
                )
            },
        )
    },
    Program {
        rule: Rule::Printf,
        ..plain(
            &["printf"],
            OptionSpec {
                valued: "v",
                ..OptionSpec::NONE
            },
        )
    },
    Program {
        rule: Rule::Find,
        ..arguments(&["find"])
    },
    Program {
        rule: Rule::Git,
        ..arguments(&["git"])
    },
    Program {
        rule: Rule::Ps,
        ..arguments(&["ps"])
    },
];
