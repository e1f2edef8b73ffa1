//! Attack-minded tests of [`analyze`]: every way of hiding a command must either list it,
//! report something opaque, or fail to parse.

use super::*;

fn analyzed(line: &str) -> Analysis {
    match analyze(line) {
        Ok(analysis) => analysis,
        Err(error) => panic!("{line:?} did not parse: {}", error.message),
    }
}

fn argv(command: &SimpleCommand) -> Vec<&str> {
    command.argv.iter().map(|word| word.text.as_str()).collect()
}

/// The argv of the first command of `line` whose program is `program`.
fn find_command<'a>(analysis: &'a Analysis, program: &str) -> Option<&'a SimpleCommand> {
    analysis
        .commands
        .iter()
        .find(|command| command.program() == Some(program))
}

fn assert_finds(line: &str, program: &str, expected_argv: &[&str]) {
    let analysis = analyzed(line);
    let Some(command) = find_command(&analysis, program) else {
        panic!("{line:?}: no {program} in {:#?}", analysis.commands);
    };
    assert_eq!(argv(command), expected_argv, "{line:?}");
}

fn assert_opaque(line: &str) {
    let analysis = analyzed(line);
    assert!(
        !analysis.opaque.is_empty(),
        "{line:?} should be opaque: {analysis:#?}"
    );
}

#[test]
fn finds_rm_however_it_is_hidden() {
    let cases: &[(&str, &[&str])] = &[
        ("true && rm -rf build", &["rm", "-rf", "build"]),
        ("false || rm -rf build", &["rm", "-rf", "build"]),
        ("ls; rm -rf build", &["rm", "-rf", "build"]),
        ("ls & rm -rf build", &["rm", "-rf", "build"]),
        ("ls | xargs rm -rf", &["rm", "-rf"]),
        ("(rm -rf build)", &["rm", "-rf", "build"]),
        ("{ rm -rf build; }", &["rm", "-rf", "build"]),
        ("ls $(rm -rf build)", &["rm", "-rf", "build"]),
        ("ls `rm -rf build`", &["rm", "-rf", "build"]),
        ("cat <(rm -rf build)", &["rm", "-rf", "build"]),
        ("ls > >(rm -rf build)", &["rm", "-rf", "build"]),
        ("/bin/rm -rf build", &["/bin/rm", "-rf", "build"]),
        ("command rm -rf build", &["rm", "-rf", "build"]),
        ("command -p rm -rf build", &["rm", "-rf", "build"]),
        ("builtin command rm x", &["rm", "x"]),
        ("env rm -rf build", &["rm", "-rf", "build"]),
        ("/usr/bin/env rm -rf build", &["rm", "-rf", "build"]),
        ("FOO=1 rm -rf build", &["rm", "-rf", "build"]),
        ("nice -n 5 rm -rf build", &["rm", "-rf", "build"]),
        ("nice -5 rm x", &["rm", "x"]),
        ("nohup rm x &", &["rm", "x"]),
        ("timeout 5 rm -rf build", &["rm", "-rf", "build"]),
        (
            "timeout -s KILL -k 1 --preserve-status 5 rm x",
            &["rm", "x"],
        ),
        ("bash -c 'rm -rf build'", &["rm", "-rf", "build"]),
        ("r''m -rf build", &["rm", "-rf", "build"]),
        ("\\rm -rf build", &["rm", "-rf", "build"]),
        ("\"rm\" -rf build", &["rm", "-rf", "build"]),
        ("$'\\x72m' -rf build", &["rm", "-rf", "build"]),
        ("$'\\162m' x", &["rm", "x"]),
        ("ls\nmake\nrm -rf build", &["rm", "-rf", "build"]),
        ("ls \\\n&& rm -rf build", &["rm", "-rf", "build"]),
        ("echo \"$(rm -rf /)\"", &["rm", "-rf", "/"]),
        ("echo ${x:-$(rm -rf /)}", &["rm", "-rf", "/"]),
        ("echo ${x:+\"`rm -rf /`\"}", &["rm", "-rf", "/"]),
        ("echo ${x/a/$(rm y)}", &["rm", "y"]),
        ("echo ${x:$(rm y)}", &["rm", "y"]),
        ("echo $(( $(rm y) + 1 ))", &["rm", "y"]),
        ("(( x = $(rm y) ))", &["rm", "y"]),
        ("[[ $(rm y) ]]", &["rm", "y"]),
        ("[[ 1 -eq 'a[$(rm y)]' ]]", &["rm", "y"]),
        ("cat <<EOF\n$(rm -rf /)\nEOF", &["rm", "-rf", "/"]),
        ("cat <<-EOF\n\t`rm -rf /`\n\tEOF", &["rm", "-rf", "/"]),
        ("cat <<< \"$(rm x)\"", &["rm", "x"]),
        ("echo > \"$(rm x)\"", &["rm", "x"]),
        ("X=$(rm x)", &["rm", "x"]),
        ("export X=$(rm x)", &["rm", "x"]),
        ("a=(1 $(rm x))", &["rm", "x"]),
        ("find . -exec rm {} +", &["rm", "{}"]),
        ("find . -execdir rm {} \\;", &["rm", "{}"]),
        (
            "find . -name x -ok rm -f {} ';' -print",
            &["rm", "-f", "{}"],
        ),
        ("sudo -u root rm -rf /", &["rm", "-rf", "/"]),
        ("sudo -nu root -- rm -rf /", &["rm", "-rf", "/"]),
        ("sudo --user=root -E HOME=/x rm y", &["rm", "y"]),
        ("doas -u root rm x", &["rm", "x"]),
        ("echo hello | sudo rm -rf /", &["rm", "-rf", "/"]),
        ("if true; then rm x; fi", &["rm", "x"]),
        (
            "if false; then :; elif rm x; then :; else rm y; fi",
            &["rm", "x"],
        ),
        ("for f in a; do rm $f; done", &["rm", "$f"]),
        ("for f in $(rm x); do :; done", &["rm", "x"]),
        ("for ((i = 0; i < $(rm x); i++)); do :; done", &["rm", "x"]),
        ("while true; do rm x; done", &["rm", "x"]),
        ("until rm x; do :; done", &["rm", "x"]),
        ("case a in a) rm x;; esac", &["rm", "x"]),
        ("case $(rm x) in *) ;; esac", &["rm", "x"]),
        ("bash -lc 'sh -c \"rm x\"'", &["rm", "x"]),
        ("bash -o pipefail -c 'rm x'", &["rm", "x"]),
        ("sh -ec 'rm x' name arg", &["rm", "x"]),
        ("zsh -xc 'rm x'", &["rm", "x"]),
        ("env -i PATH=/bin rm x", &["rm", "x"]),
        ("env -u HOME -- FOO=1 rm x", &["rm", "x"]),
        ("stdbuf -oL rm x", &["rm", "x"]),
        ("stdbuf -o L -e0 rm x", &["rm", "x"]),
        ("xargs -I{} rm {}", &["rm", "{}"]),
        ("xargs -n 1 -P 4 rm", &["rm"]),
        ("xargs -0r rm -f", &["rm", "-f"]),
        ("exec rm x", &["rm", "x"]),
        ("exec -a name rm x", &["rm", "x"]),
        ("time rm x", &["rm", "x"]),
        ("/usr/bin/time -p rm x", &["rm", "x"]),
        ("! rm x", &["rm", "x"]),
        ("setsid -f rm x", &["rm", "x"]),
        ("ionice -c 3 rm x", &["rm", "x"]),
        ("chrt -b 0 rm x", &["rm", "x"]),
        ("taskset -c 0-3 rm x", &["rm", "x"]),
        ("taskset 0x1 rm x", &["rm", "x"]),
        ("flock /tmp/lock rm x", &["rm", "x"]),
        ("flock -n /tmp/lock -c 'rm x'", &["rm", "x"]),
        ("watch -n 1 rm x", &["rm", "x"]),
        ("watch 'ls; rm x'", &["rm", "x"]),
        ("su -c 'rm x' root", &["rm", "x"]),
        ("busybox rm x", &["rm", "x"]),
        ("trap 'rm x' EXIT", &["rm", "x"]),
        (
            "sudo env FOO=1 nice -n 1 timeout 5 bash -c 'xargs rm -f'",
            &["rm", "-f"],
        ),
        ("f() { rm x; }", &["rm", "x"]),
    ];
    for (line, expected) in cases {
        assert_finds(line, "rm", expected);
    }
}

#[test]
fn git_push_inside_sh_c() {
    assert_finds(
        "sh -c \"git push origin main\"",
        "git",
        &["git", "push", "origin", "main"],
    );
    assert_finds(
        "python -m pytest -q && git push origin main",
        "git",
        &["git", "push", "origin", "main"],
    );
    let analysis = analyzed("python -m pytest -q && git push origin main");
    let programs: Vec<_> = analysis
        .commands
        .iter()
        .filter_map(SimpleCommand::program)
        .collect();
    assert_eq!(programs, ["python", "git"]);
    assert!(analysis.opaque.is_empty());
}

#[test]
fn wrappers_are_recorded_outermost_first() {
    let analysis = analyzed("sudo env FOO=1 bash -c 'nice rm x'");
    let rm = find_command(&analysis, "rm").unwrap();
    assert_eq!(rm.wrappers, ["sudo", "env", "bash", "nice"]);
    let analysis = analyzed("A=1 env B=2 rm x");
    assert_eq!(
        find_command(&analysis, "rm").unwrap().assignments,
        ["A=1", "B=2"]
    );
}

#[test]
fn quoted_here_doc_bodies_are_data() {
    let analysis = analyzed("cat <<'EOF'\n$(rm -rf /)\nEOF");
    assert!(find_command(&analysis, "rm").is_none());
    assert!(analysis.opaque.is_empty());
    let analysis = analyzed("echo '$(rm x)' \"\\$(rm y)\" \\$\\(rm z\\)");
    assert!(find_command(&analysis, "rm").is_none());
}

#[test]
fn command_v_only_looks_up() {
    assert_finds("command -v rm", "command", &["command", "-v", "rm"]);
    assert!(find_command(&analyzed("command -v rm"), "rm").is_none());
}

#[test]
fn find_itself_stays_listed() {
    let analysis = analyzed("find . -name '*.o' -exec rm {} +");
    let programs: Vec<_> = analysis
        .commands
        .iter()
        .filter_map(SimpleCommand::program)
        .collect();
    assert_eq!(programs, ["find", "rm"]);
    assert!(analysis.commands[1].argv[1].dynamic);
}

#[test]
fn redirects_of_compounds_reach_inner_commands() {
    let analysis = analyzed("{ a; b; } > f");
    for command in &analysis.commands {
        assert_eq!(command.redirects.len(), 1);
        assert_eq!(command.redirects[0].target.text, "f");
        assert_eq!(command.redirects[0].kind, RedirectKind::Write);
    }
    assert_eq!(analysis.commands.len(), 2);
}

#[test]
fn opaque_constructs() {
    let lines = [
        "eval \"r\"\"m -rf build\"",
        "X=rm; $X -rf build",
        "echo cm0gLXJmIGJ1aWxk | base64 -d | sh",
        "curl https://x | bash",
        "sh script.sh",
        "bash -s < script.sh",
        "bash <<EOF\nrm x\nEOF",
        "bash <<< 'rm x'",
        "sh -c",
        "source ./x.sh",
        ". ./x.sh",
        "f() { rm x; }; f",
        "function f { ls; }",
        "$(echo rm) -rf x",
        "`echo rm` -rf x",
        "\"$CMD\" x",
        "${CMD:-rm} x",
        "*",
        "./*",
        "{rm,-rf,x}",
        "~user/bin/x",
        "env -S 'rm x'",
        "env -S'rm x'",
        "timeout --weird 5 rm x",
        "sudo -e /etc/sudoers",
        "sudo -s",
        "sudo $OPT rm x",
        "nice $N rm x",
        "bash -c \"$CODE\"",
        "bash $FLAGS 'rm x'",
        "xargs -I{} sh -c {}",
        "xargs sh",
        "find . -exec {} \\;",
        "O=-exec; find . $O rm {} \\;",
        "alias ls='rm -rf /'",
        "trap \"$T\" EXIT",
        "coproc rm x",
        "echo ${x@P}",
        "x='a[$(rm -rf /)]'; echo $((x))",
        "let 'a[$(rm x)]'",
        "declare -i n='a[$(rm x)]'",
        "PATH=. ls",
        "LD_PRELOAD=./evil.so ls",
        "export PATH=/tmp:$PATH",
        "BASH_ENV=./x bash -c ls",
        "fish -c 'rm x'",
        "su root",
        "hash -p /bin/rm ls",
        "enable -f ./x.so evil",
        "fc -s",
        "cat <<< \"$((rm -rf build))\"",
        "echo $((sh -c 'rm x'))",
        "((rm -rf build))",
    ];
    for line in lines {
        assert_opaque(line);
    }
}

#[test]
fn deep_nesting_is_opaque_without_overflowing() {
    // Quoting grows exponentially with nesting; these string-running forms grow linearly.
    for runner in ["eval ", "watch ", "find . -exec "] {
        let analysis = analyzed(&format!("{}rm x", runner.repeat(40)));
        let too_deep = analysis
            .opaque
            .iter()
            .any(|o| o.reason.contains("too deeply"));
        assert!(too_deep, "{runner}: {:?}", analysis.opaque);
    }
    let many_wrappers = analyzed(&format!("{}rm x", "xargs sudo env ".repeat(200)));
    assert!(find_command(&many_wrappers, "rm").is_some());

    let dollar = format!("{}rm x{}", "echo $(".repeat(40), ")".repeat(40));
    assert_opaque(&dollar);
    let backticks = format!("echo {}`rm x`", "\\".repeat(40));
    assert!(analyze(&backticks).is_err() || !analyzed(&backticks).opaque.is_empty());

    let huge = [
        format!("{}rm x{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}rm x{}", "{ ".repeat(5000), "; }".repeat(5000)),
        format!("{}rm x{}", "if a; then ".repeat(5000), "; fi".repeat(5000)),
        format!("echo {}$(rm x){}", "${x:-".repeat(5000), "}".repeat(5000)),
        format!("[[ {}$(rm x) ]]", "! ".repeat(5000)),
        format!("[[ $(rm x){} ]]", " && x".repeat(5000)),
        format!("echo $(({}$(rm x)))", "x=".repeat(5000)),
        format!("{}rm x", "a;".repeat(20000)),
        format!("{}rm x", "a | ".repeat(5000)),
    ];
    for line in huge {
        if let Ok(analysis) = analyze(&line) {
            let found = find_command(&analysis, "rm").is_some();
            assert!(found || !analysis.opaque.is_empty(), "{:?}", line.get(..40));
        }
    }
}

/// Single-quotes `text` for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn moderate_nesting_is_still_analysed() {
    let mut line = "rm x".to_owned();
    for _ in 0..5 {
        line = format!("sh -c {}", quote(&line));
    }
    let analysis = analyzed(&line);
    assert!(analysis.opaque.is_empty());
    assert_eq!(find_command(&analysis, "rm").unwrap().wrappers.len(), 5);
}

#[test]
fn parse_errors() {
    for line in [
        "echo 'unterminated",
        "ls (",
        "rm x &&",
        "echo \"a",
        "if true; then",
        "a | | b",
        "case x in",
    ] {
        assert!(analyze(line).is_err(), "{line:?} should not parse");
    }
}

#[test]
fn ordinary_commands_are_clean() {
    let cases: &[(&str, &[&str])] = &[
        ("cargo test --all", &["cargo"]),
        ("cargo clippy --all-targets -- -D warnings", &["cargo"]),
        (
            "cargo build --release 2>&1 | tail -n 20",
            &["cargo", "tail"],
        ),
        ("git status", &["git"]),
        ("git log --oneline | head -n 5", &["git", "head"]),
        ("git diff HEAD~1 -- src/main.rs", &["git"]),
        ("git commit -m 'fix: handle empty input'", &["git"]),
        ("git add -A && git commit -m \"wip\"", &["git", "git"]),
        ("ls -la", &["ls"]),
        ("ls ~/projects", &["ls"]),
        ("grep -rn foo src", &["grep"]),
        ("grep -rn 'fn main' --include='*.rs' .", &["grep"]),
        ("rg -n \"TODO|FIXME\" src", &["rg"]),
        ("python -m pytest -q 2>&1", &["python"]),
        ("python3 -c 'print(1 + 1)'", &["python3"]),
        ("npm run build", &["npm"]),
        ("npm install --save-dev typescript", &["npm"]),
        ("npx tsc --noEmit", &["npx"]),
        ("make -j4", &["make"]),
        ("sed -n '1,10p' f", &["sed"]),
        ("find . -name '*.rs'", &["find"]),
        ("find . -type f -name '*.py' | wc -l", &["find", "wc"]),
        ("echo 'Hello, world!'", &["echo"]),
        ("echo \"home is $HOME\"", &["echo"]),
        ("cd src && ls", &["cd", "ls"]),
        (
            "mkdir -p build && cd build && cmake ..",
            &["mkdir", "cd", "cmake"],
        ),
        ("cat README.md", &["cat"]),
        ("head -n 50 src/lib.rs", &["head"]),
        ("tail -f log.txt", &["tail"]),
        ("wc -l src/*.rs", &["wc"]),
        ("diff -u a.txt b.txt", &["diff"]),
        ("docker ps -a", &["docker"]),
        ("go test ./...", &["go"]),
        ("pip install -r requirements.txt", &["pip"]),
        ("uv run pytest", &["uv"]),
        ("rustc --version; cargo --version", &["rustc", "cargo"]),
        ("which python3 || echo missing", &["which", "echo"]),
        ("ps aux | grep '[n]ode'", &["ps", "grep"]),
        ("du -sh target", &["du"]),
        ("jq '.name' package.json", &["jq"]),
        ("curl -s https://example.com -o /dev/null", &["curl"]),
        ("tar -czf out.tar.gz src", &["tar"]),
        ("RUST_LOG=debug cargo run -- --help", &["cargo"]),
        ("for f in *.txt; do wc -l \"$f\"; done", &["wc"]),
        (
            "if [ -f Cargo.toml ]; then cargo check; fi",
            &["[", "cargo"],
        ),
        ("test -d .git && git status --short", &["test", "git"]),
        ("echo $(date +%s)", &["echo", "date"]),
        ("export RUST_BACKTRACE=1", &["export"]),
        ("printf '%s\\n' a b c", &["printf"]),
        ("sort -u names.txt | uniq -c", &["sort", "uniq"]),
        ("git stash list | xargs -n1 echo", &["git", "echo"]),
        ("cat <<'EOF' > notes.txt\nsome $(notes)\nEOF", &["cat"]),
    ];
    for (line, programs) in cases {
        let analysis = analyzed(line);
        assert!(
            analysis.opaque.is_empty(),
            "{line:?}: {:?}",
            analysis.opaque
        );
        let found: Vec<_> = analysis
            .commands
            .iter()
            .filter_map(SimpleCommand::program)
            .collect();
        assert_eq!(&found, programs, "{line:?}");
    }
}

#[test]
fn words_record_quote_removal_and_dynamism() {
    let analysis = analyzed("cmd 'a b' \"c $X\" d\\ e ~/f ~g *.rs '*.rs' $(x) \"{a,b}\" {a,b}");
    let words: Vec<(&str, bool)> = analysis.commands[0]
        .argv
        .iter()
        .map(|word| (word.text.as_str(), word.dynamic))
        .collect();
    assert_eq!(
        words,
        [
            ("cmd", false),
            ("a b", false),
            ("c $X", true),
            ("d e", false),
            ("~/f", false),
            ("~g", true),
            ("*.rs", true),
            ("*.rs", false),
            ("$(x)", true),
            ("{a,b}", false),
            ("{a,b}", true),
        ]
    );
    assert_eq!(
        analysis.commands[0].text(),
        "cmd a b c $X d e ~/f ~g *.rs *.rs $(x) {a,b} {a,b}"
    );
}

#[test]
fn program_is_the_base_name() {
    let analysis = analyzed("/usr/bin/rm x");
    assert_eq!(analysis.commands[0].program(), Some("rm"));
    assert_eq!(analysis.commands[0].argv[0].text, "/usr/bin/rm");
    let empty = SimpleCommand::default();
    assert_eq!(empty.program(), None);
    assert_eq!(empty.text(), "");
}
#[test]
fn expansions_the_parser_cannot_read_are_opaque() {
    for line in ["echo ${a[1+c[$(rm -rf tests)]]}", "echo \"${a[b[$(id)]]}\""] {
        let analysis = analyze(line).unwrap();
        assert!(!analysis.opaque.is_empty(), "{line}: {analysis:?}");
    }
}

#[test]
fn builtins_are_understood_only_with_listed_options_and_plain_names() {
    for line in [
        "set -euo pipefail; ls",
        "set -x",
        "set -- a b",
        "shopt -s nullglob globstar",
        "declare -a list; list[3]=x",
        "read -r name <<< x",
        "printf -v out %s x",
        "hash -r",
        "alias",
        "unset name",
        "x=5; echo $((x * 2))",
        "for ((i=0; i<3; i++)); do echo $i; done",
        "[[ 3 -gt 2 ]]",
        "[ -v name ]",
    ] {
        let analysis = analyzed(line);
        assert!(
            analysis.opaque.is_empty(),
            "{line:?}: {:?}",
            analysis.opaque
        );
    }
    for line in [
        "set -o vi",
        "set -k",
        "shopt -s extdebug",
        "declare -n ref=x",
        "declare -i n",
        "read 'a[$(id)]'",
        "printf -v 'a[$(id)]' x",
        "mapfile -C cb arr",
        "getopts ab 'a[$(id)]'",
        "wait -p 'a[$(id)]'",
        "unset 'a[$(id)]'",
        "hash -p /bin/rm ls",
        "alias ls=rm",
        "enable -f x.so y",
        "bind -x '\"a\":id'",
        "trap 'rm x' EXIT",
        "BASH_ALIASES[ls]=rm",
        "export PATH=.",
        "echo ${!x}",
        "(( n ))",
        "echo $(( $1 + 1 ))",
        "n=$(id); (( n ))",
        "let 'n=$n+1'",
        "compgen -W '$(id)' x",
        "bash --rcfile x -c ls",
        "bash -lc ls",
        "git -c core.pager=x log",
        "sed '1e id' x",
    ] {
        assert_opaque(line);
    }
}

#[test]
fn loop_variables_over_known_words_are_kept() {
    let analysis = analyzed("for f in src/*.py README.md; do wc -l \"$f\"; done");
    let words: Vec<&str> = analysis.loop_values["f"]
        .iter()
        .map(|w| w.text.as_str())
        .collect();
    assert_eq!(words, ["src/*.py", "README.md"]);
    let analysis = analyzed("for f in a; do f=b; wc -l \"$f\"; done");
    assert!(!analysis.loop_values.contains_key("f"));
    let analysis = analyzed("for f in $(ls); do wc -l \"$f\"; done");
    assert!(!analysis.loop_values.contains_key("f"));
}

#[test]
fn option_values_that_are_commands_are_judged_as_code() {
    assert_finds("sort --compress-program=curl -S 1 x", "curl", &["curl"]);
    assert_finds("rg --pre ./pre.sh TODO", "pre.sh", &["./pre.sh"]);
    assert_finds("tar -xf x.tar --to-c='git push'", "git", &["git", "push"]);
    assert_finds("zip -TT 'curl x' a.zip b", "curl", &["curl", "x"]);
}
