use super::*;

fn command(line: &str) -> SimpleCommand {
    let words = line.split_whitespace().map(Word::literal).collect();
    SimpleCommand {
        argv: words,
        ..SimpleCommand::default()
    }
}

fn readonly(line: &str) -> bool {
    check(&command(line)).is_ok()
}

#[test]
fn listed_options_are_read_only() {
    for line in [
        "ls -la src",
        "ls --all --color=auto",
        "sort -u -k2,2 data.txt",
        "sort --reverse x",
        "sort --rev x",
        "grep -rn --include=*.rs fn src",
        "head -20 f",
        "tail -n 5 f",
        "git log --oneline -n 5",
        "git -P log -10 --stat",
        "git diff --cached --stat HEAD~1",
        "git status --porcelain=v2",
        "git branch -a",
        "git branch --list feat*",
        "sed -n -e 1,5p f",
        "sed -n 10p f",
        "date +%F",
        "find . -name *.rs -type f",
        "printenv HOME",
        "od -c f",
        "ps aux",
        "cd .",
        "uniq -c f",
    ] {
        assert!(
            check(&command(line)).is_ok(),
            "{line}: {:?}",
            check(&command(line))
        );
    }
}

#[test]
fn abbreviations_resolve_as_getopt_long_does() {
    assert!(!readonly("sort --out=README.md x"));
    assert!(!readonly("sort --outp=README.md x"));
    assert!(!readonly("sort --comp=sh x"));
    assert!(!readonly("sort --temp=/tmp x"));
    assert!(!readonly("date --se=2020-01-01"));
    assert!(!readonly("date --s=x"));
    assert!(!readonly("tail --fol x"));
    assert!(!readonly("diff --pag a b"));
    assert!(!readonly("grep --perl x f"));
    let error = check(&command("sort --out=F x")).unwrap_err();
    assert!(error.contains("--output"), "{error}");
}

#[test]
fn unknown_options_and_operands_that_write_are_not_read_only() {
    for line in [
        "ls --frobnicate",
        "sort -o out x",
        "tree -o out",
        "uniq in out",
        "hostname evil",
        "date 010100002030",
        "sed -i s/a/b/ f",
        "sed -n w/tmp/x f",
        "sed -n 1e/bin/sh f",
        "find . -delete",
        "find . -fprint out",
        "find . -exec rm {} ;",
        "find . -newerXY x",
        "git -c core.pager=sh log",
        "git -C /tmp log",
        "git --git-dir=x log",
        "git diff --ext-diff",
        "git diff --output=f",
        "git log --textconv",
        "git grep -O x",
        "git branch new-branch",
        "git tag v1",
        "git remote add x y",
        "git push",
        "ps e",
        "ps eww",
        "file -z x",
        "rg --pre=sh x",
        "rg -z x",
        "printf -v a[1] x",
        "env X=1",
        "tail -f log",
    ] {
        assert!(!readonly(line), "{line} should not be read-only");
    }
}

#[test]
fn run_time_words_that_could_be_options_are_not_read_only() {
    let mut cmd = command("sort x");
    cmd.argv.push(Word {
        text: "$OPT".into(),
        dynamic: true,
    });
    assert!(check(&cmd).is_err());
}

#[test]
fn file_valued_options_are_read_paths() {
    let cmd = command("grep -f patterns.txt x src");
    let paths: Vec<String> = read_operands(&cmd).into_iter().map(|w| w.text).collect();
    assert_eq!(paths, ["x", "src", "patterns.txt"]);
}
