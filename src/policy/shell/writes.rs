//! Which paths a simple command writes, for the policy's path rules.
//!
//! Only the usual file-writing programs are known; the OS sandbox covers the rest. Option
//! scanning is lenient and errs towards listing a word that is not really a path.

use super::options::{OptionSpec, Scan, scan_lenient};
use super::programs::sed_script;
use super::{Redirect, RedirectKind, SimpleCommand, Word, base_name};

/// Paths a simple command writes to: output redirections (Write/Append/ReadWrite/Clobber,
/// `&>`, `>& file`), `tee` args, `sed -i`/`--in-place` files, `cp`/`install`/`ln`
/// destination (last operand, or `-t DIR`/`--target-directory`), every `mv` operand (its
/// sources are removed), `dd of=F`, `touch`, `mkdir`, `rm`/`rmdir`/`unlink`/`shred`/
/// `truncate`/`chmod`/`chown`/`chgrp` operands. A path that is dynamic keeps dynamic=true.
pub fn write_targets(cmd: &SimpleCommand) -> Vec<Word> {
    let mut targets: Vec<Word> = cmd
        .redirects
        .iter()
        .filter(|redirect| writes_file(redirect))
        .map(|redirect| redirect.target.clone())
        .collect();
    if let Some((program, args)) = cmd.argv.split_first() {
        targets.extend(program_targets(base_name(&program.text), args));
    }
    targets
}

fn writes_file(redirect: &Redirect) -> bool {
    match redirect.kind {
        RedirectKind::Write
        | RedirectKind::Append
        | RedirectKind::ReadWrite
        | RedirectKind::Clobber => true,
        RedirectKind::DuplicateOutput => !is_fd_reference(&redirect.target),
        RedirectKind::Read
        | RedirectKind::DuplicateInput
        | RedirectKind::HereString
        | RedirectKind::HereDoc => false,
    }
}

/// `>&2`, `>&-` and `>&3-` duplicate or close descriptors; any other target is a file.
fn is_fd_reference(target: &Word) -> bool {
    let digits = target.text.strip_suffix('-').unwrap_or(&target.text);
    !target.dynamic && digits.chars().all(|c| c.is_ascii_digit())
}

fn program_targets(program: &str, args: &[Word]) -> Vec<Word> {
    match program {
        "tee" => scan_lenient(args, &TEE).operands,
        "find" => find(args),
        "sed" => sed(args),
        "cp" | "install" => destination(program, &scan_lenient(args, &COPY)),
        "ln" => linked(&scan_lenient(args, &COPY)),
        "mv" => moved(scan_lenient(args, &COPY)),
        "dd" => dd(args),
        "touch" => scan_lenient(args, &TOUCH).operands,
        "mkdir" => scan_lenient(args, &MKDIR).operands,
        "truncate" => scan_lenient(args, &TRUNCATE).operands,
        "rm" | "rmdir" | "unlink" | "shred" => scan_lenient(args, &REMOVE).operands,
        "chmod" | "chown" | "chgrp" => changed(program, args),
        "sort" => scan_lenient(args, &SORT)
            .value(&["-o", "--output"])
            .cloned()
            .into_iter()
            .collect(),
        "tree" => scan_lenient(args, &TREE)
            .value(&["-o"])
            .cloned()
            .into_iter()
            .collect(),
        "uniq" => scan_lenient(args, &UNIQ)
            .operands
            .into_iter()
            .skip(1)
            .collect(),
        _ => Vec::new(),
    }
}

const TEE: OptionSpec = OptionSpec {
    flags: "aip",
    long_flags: &["append", "ignore-interrupts", "help", "version"],
    long_optional: &["output-error"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const SED: OptionSpec = OptionSpec {
    flags: "nrEsuz",
    valued: "efl",
    optional: "i",
    long_flags: &[
        "quiet",
        "silent",
        "regexp-extended",
        "separate",
        "unbuffered",
        "null-data",
        "posix",
        "debug",
        "sandbox",
        "follow-symlinks",
        "help",
        "version",
    ],
    long_valued: &["expression", "file", "line-length"],
    long_optional: &["in-place"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const COPY: OptionSpec = OptionSpec {
    flags: "abcdfilnprsuvxCDFHLPRTZ",
    valued: "gmostS",
    long_flags: &[
        "archive",
        "attributes-only",
        "compare",
        "copy-contents",
        "dereference",
        "directory",
        "force",
        "interactive",
        "link",
        "logical",
        "no-clobber",
        "no-dereference",
        "no-target-directory",
        "one-file-system",
        "parents",
        "physical",
        "preserve-context",
        "preserve-timestamps",
        "recursive",
        "relative",
        "remove-destination",
        "strip",
        "strip-trailing-slashes",
        "symbolic",
        "symbolic-link",
        "update",
        "verbose",
        "help",
        "version",
    ],
    long_valued: &[
        "target-directory",
        "suffix",
        "mode",
        "owner",
        "group",
        "strip-program",
    ],
    abbreviations: true,
    long_optional: &[
        "backup",
        "reflink",
        "preserve",
        "no-preserve",
        "sparse",
        "context",
    ],
    ..OptionSpec::NONE
};
const TOUCH: OptionSpec = OptionSpec {
    flags: "acfhm",
    valued: "dtr",
    long_flags: &["no-create", "no-dereference", "help", "version"],
    long_valued: &["date", "reference", "time"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const MKDIR: OptionSpec = OptionSpec {
    flags: "pvZ",
    valued: "m",
    long_flags: &["parents", "verbose", "help", "version"],
    long_valued: &["mode"],
    long_optional: &["context"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const TRUNCATE: OptionSpec = OptionSpec {
    flags: "coI",
    valued: "sr",
    long_flags: &["io-blocks", "no-create", "help", "version"],
    long_valued: &["size", "reference"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const SORT: OptionSpec = OptionSpec {
    flags: "bcCdfghiMmnrRsuVz",
    valued: "kotST",
    long_flags: &[
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
    long_valued: &[
        "batch-size",
        "buffer-size",
        "compress-program",
        "field-separator",
        "files0-from",
        "key",
        "output",
        "parallel",
        "random-source",
        "sort",
        "temporary-directory",
    ],
    long_optional: &["check"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const TREE: OptionSpec = OptionSpec {
    flags: "adlfxpsughDFqNQAScrtvUJiCR",
    valued: "LPIHoT",
    ..OptionSpec::NONE
};
const UNIQ: OptionSpec = OptionSpec {
    flags: "cdDiuz",
    valued: "fsw",
    long_flags: &[
        "count",
        "ignore-case",
        "repeated",
        "unique",
        "zero-terminated",
        "help",
        "version",
    ],
    long_valued: &["check-chars", "skip-chars", "skip-fields"],
    long_optional: &["all-repeated", "group"],
    numeric: true,
    abbreviations: true,
    ..OptionSpec::NONE
};
const REMOVE: OptionSpec = OptionSpec {
    flags: "dfiIprRuvxz",
    valued: "ns",
    long_flags: &[
        "dir",
        "force",
        "no-preserve-root",
        "one-file-system",
        "recursive",
        "verbose",
        "help",
        "version",
    ],
    long_optional: &["interactive", "preserve-root"],
    abbreviations: true,
    ..OptionSpec::NONE
};
const CHANGE: OptionSpec = OptionSpec {
    flags: "cfvhHLPR",
    long_flags: &[
        "changes",
        "dereference",
        "no-dereference",
        "no-preserve-root",
        "preserve-root",
        "quiet",
        "recursive",
        "silent",
        "verbose",
        "help",
        "version",
    ],
    long_valued: &["reference", "from"],
    abbreviations: true,
    ..OptionSpec::NONE
};

/// `sed -i` edits its file operands (the script is the first operand unless given by
/// `-e`/`-f`); a script's `w FILE` commands write FILE, unless `--sandbox` refuses them.
fn sed(args: &[Word]) -> Vec<Word> {
    let scan = scan_lenient(args, &SED);
    let script_given = scan.has(&["-e", "-f", "--expression", "--file"]);
    let mut targets = Vec::new();
    if !scan.has(&["--sandbox"]) {
        let given = scan
            .options
            .iter()
            .filter(|option| matches!(option.name.as_str(), "-e" | "--expression"))
            .filter_map(|option| option.value.as_ref());
        let first = scan.operands.first().filter(|_| !script_given);
        for script in given.chain(first).filter(|script| !script.dynamic) {
            let written = sed_script(&script.text).unwrap_or_default();
            targets.extend(written.into_iter().map(Word::literal));
        }
    }
    if scan.has(&["-i", "--in-place"]) {
        let skip = usize::from(!script_given);
        targets.extend(scan.operands.into_iter().skip(skip));
    }
    targets
}

/// The destination of `cp`, `install` and `ln`.
fn destination(program: &str, scan: &Scan) -> Vec<Word> {
    if let Some(directory) = scan.value(&["-t", "--target-directory"]) {
        return vec![directory.clone()];
    }
    if program == "install" && scan.has(&["-d", "--directory"]) {
        return scan.operands.clone();
    }
    match scan.operands.as_slice() {
        [] => Vec::new(),
        [only] if program == "ln" => vec![Word {
            text: base_name(&only.text).to_owned(),
            dynamic: only.dynamic,
        }],
        [_] => Vec::new(),
        [.., last] => vec![last.clone()],
    }
}

/// `find -delete` removes what it finds below its starting points; `-fprint FILE`,
/// `-fprint0`, `-fprintf` and `-fls` write FILE.
fn find(args: &[Word]) -> Vec<Word> {
    let mut targets = Vec::new();
    for (index, word) in args.iter().enumerate() {
        if matches!(
            word.text.as_str(),
            "-fprint" | "-fprint0" | "-fprintf" | "-fls"
        ) {
            targets.extend(args.get(index + 1).cloned());
        }
    }
    if args.iter().any(|word| word.text == "-delete") {
        let starts: Vec<Word> = args
            .iter()
            .take_while(|word| !word.text.starts_with(['-', '(', '!']) || word.text == "-")
            .filter(|word| !matches!(word.text.as_str(), "-H" | "-L" | "-P"))
            .cloned()
            .collect();
        if starts.is_empty() {
            targets.push(Word::literal("."));
        }
        targets.extend(starts);
    }
    targets
}

/// `ln` writes the link; a hard link (without `-s`) also makes its sources writable
/// through the new name, so they count as written too (`ln ~/.bashrc src/x`).
fn linked(scan: &Scan) -> Vec<Word> {
    let mut targets = destination("ln", scan);
    if !scan.has(&["-s", "--symbolic"]) {
        let sources = match scan.value(&["-t", "--target-directory"]) {
            Some(_) => scan.operands.as_slice(),
            None if scan.operands.len() > 1 => &scan.operands[..scan.operands.len() - 1],
            None => scan.operands.as_slice(),
        };
        targets.extend(sources.iter().cloned());
    }
    targets
}

/// `mv` writes its destination and removes its sources.
fn moved(scan: Scan) -> Vec<Word> {
    let directory = scan.value(&["-t", "--target-directory"]).cloned();
    directory.into_iter().chain(scan.operands).collect()
}

fn dd(args: &[Word]) -> Vec<Word> {
    let outputs = args.iter().filter_map(|arg| {
        let path = arg.text.strip_prefix("of=")?;
        Some(Word {
            text: path.to_owned(),
            dynamic: arg.dynamic,
        })
    });
    outputs.collect()
}

/// `chmod MODE FILE…`, `chown OWNER FILE…`: the first operand is not a path unless
/// `--reference` replaces it. A symbolic mode such as `-x` looks like an option.
fn changed(program: &str, args: &[Word]) -> Vec<Word> {
    let scan = scan_lenient(args, &CHANGE);
    let minus_mode = program == "chmod" && args.iter().any(is_minus_mode);
    let skip = usize::from(!minus_mode && !scan.has(&["--reference"]));
    scan.operands.into_iter().skip(skip).collect()
}

fn is_minus_mode(word: &Word) -> bool {
    let mode = word.text.strip_prefix('-').unwrap_or_default();
    !mode.is_empty() && mode.chars().all(|c| "rwxXst".contains(c))
}

#[cfg(test)]
mod tests {
    use super::super::analyze;
    use super::*;

    /// The write targets of every command of `line`, as (text, dynamic) pairs.
    fn targets(line: &str) -> Vec<(String, bool)> {
        let analysis = analyze(line).unwrap();
        let targets = analysis.commands.iter().flat_map(write_targets);
        targets.map(|word| (word.text, word.dynamic)).collect()
    }

    fn paths(line: &str) -> Vec<String> {
        targets(line).into_iter().map(|(text, _)| text).collect()
    }

    #[test]
    fn output_redirections_are_writes() {
        assert_eq!(paths("echo hi > f"), ["f"]);
        assert_eq!(paths("ls -al >f"), ["f"]);
        assert_eq!(paths("cat <<< 's' > f"), ["f"]);
        assert_eq!(paths("echo x >> log"), ["log"]);
        assert_eq!(paths("cmd 2> err"), ["err"]);
        assert_eq!(paths("cmd &> all"), ["all"]);
        assert_eq!(paths("cmd &>> all"), ["all"]);
        assert_eq!(paths("cmd >| forced"), ["forced"]);
        assert_eq!(paths("cmd <> both"), ["both"]);
        assert_eq!(paths("cmd >& file"), ["file"]);
        assert_eq!(paths("echo x > /dev/null"), ["/dev/null"]);
        assert_eq!(paths("> truncated"), ["truncated"]);
    }

    #[test]
    fn descriptor_duplication_and_reads_are_not_writes() {
        assert!(paths("cmd 2>&1").is_empty());
        assert!(paths("cmd >&2 3>&- 4>&3-").is_empty());
        assert!(paths("cat < in.txt").is_empty());
        let analysis = analyze("cat < in.txt").unwrap();
        assert_eq!(analysis.commands[0].redirects[0].kind, RedirectKind::Read);
        assert_eq!(analysis.commands[0].redirects[0].target.text, "in.txt");
    }

    #[test]
    fn enclosing_and_wrapper_redirections_are_writes_of_inner_commands() {
        assert_eq!(paths("{ a; b; } > f"), ["f", "f"]);
        assert_eq!(paths("sudo tee /etc/x < y"), ["/etc/x"]);
        assert_eq!(paths("bash -c 'echo x' > out"), ["out"]);
    }

    #[test]
    fn file_writing_programs() {
        assert_eq!(paths("tee a b"), ["a", "b"]);
        assert_eq!(paths("tee -a log"), ["log"]);
        assert_eq!(paths("sed -i 's/a/b/' f.txt"), ["f.txt"]);
        assert_eq!(paths("sed -i.bak -e 's/a/b/' f g"), ["f", "g"]);
        assert_eq!(paths("sed --in-place -n p f"), ["f"]);
        assert!(paths("sed -n p f").is_empty());
        assert_eq!(paths("cp a b dest"), ["dest"]);
        assert_eq!(paths("cp -t dir a b"), ["dir"]);
        assert_eq!(paths("cp -vt dir a b"), ["dir"]);
        assert_eq!(paths("cp --target-directory=dir a"), ["dir"]);
        assert_eq!(paths("mv a b"), ["a", "b"]);
        assert_eq!(paths("install -m 644 a /usr/bin/a"), ["/usr/bin/a"]);
        assert_eq!(paths("install -d x y"), ["x", "y"]);
        assert_eq!(paths("ln -sf target link"), ["link"]);
        assert_eq!(paths("dd if=x of=/dev/sda bs=1M"), ["/dev/sda"]);
        assert_eq!(paths("touch -d yesterday a b"), ["a", "b"]);
        assert_eq!(paths("mkdir -p -m 755 d"), ["d"]);
        assert_eq!(paths("rm -rf build dist"), ["build", "dist"]);
        assert_eq!(paths("rmdir d"), ["d"]);
        assert_eq!(paths("truncate -s 0 log"), ["log"]);
        assert_eq!(paths("chmod -R 755 dir"), ["dir"]);
        assert_eq!(paths("chmod -x script.sh"), ["script.sh"]);
        assert_eq!(paths("chown --reference=r f"), ["f"]);
        assert_eq!(paths("chown root:root /etc/shadow"), ["/etc/shadow"]);
    }

    #[test]
    fn readers_write_nothing() {
        for line in ["cat f", "ls -la", "grep -rn x src", "git status", "cp a"] {
            assert!(paths(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn dynamic_paths_stay_dynamic() {
        assert_eq!(targets("echo $F > $G"), [("$G".to_owned(), true)]);
        assert_eq!(targets("rm -rf \"$DIR\"/x"), [("$DIR/x".to_owned(), true)]);
        assert_eq!(targets("tee *.log"), [("*.log".to_owned(), true)]);
        assert_eq!(targets("cp a ~/b"), [("~/b".to_owned(), false)]);
    }

    #[test]
    fn peeled_commands_keep_their_targets() {
        assert_eq!(paths("sudo rm -rf /"), ["/"]);
        assert_eq!(paths("find . -exec rm {} +"), ["{}"]);
        assert_eq!(targets("xargs -I{} rm {}"), [("{}".to_owned(), true)]);
    }
}
