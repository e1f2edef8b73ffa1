//! Property tests: a dangerous command embedded in any mix of contexts is never reported
//! as a clean line without it, and no input makes the analysis panic.

use proptest::prelude::*;

use super::analyze;

/// Spellings of the dangerous command, with quoting tricks.
fn dangerous() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("rm -rf build".to_owned()),
        Just("/bin/rm -rf build".to_owned()),
        Just("r''m -rf build".to_owned()),
        Just("\\rm -rf build".to_owned()),
        Just("\"rm\" -rf build".to_owned()),
        Just("$'rm' -rf build".to_owned()),
    ]
}

/// Harmless commands to surround the dangerous one with.
fn harmless() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_owned()),
        Just("ls -la".to_owned()),
        Just("echo hi".to_owned()),
        Just("git status".to_owned()),
        Just("cat f".to_owned()),
    ]
}

/// Single-quotes `code` as one shell word.
fn single_quote(code: &str) -> String {
    format!("'{}'", code.replace('\'', "'\\''"))
}

/// Escapes `code` for use inside backquotes.
fn backquote(code: &str) -> String {
    let escaped = code
        .replace('\\', "\\\\")
        .replace('`', "\\`")
        .replace('$', "\\$");
    format!("echo `{escaped}`")
}

/// A wrapper prefix with valid options, peeled by the analysis. Bare `VAR=x` prefixes are
/// left out: inside another wrapper (`nice FOO=1 rm`) they would be the program name.
fn wrapper() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "env ",
        "env -i FOO=1 ",
        "sudo ",
        "sudo -u root -E ",
        "doas -u root ",
        "nice -n 5 ",
        "nohup ",
        "timeout 5 ",
        "timeout -s KILL 10 ",
        "command ",
        "builtin command ",
        "exec ",
        "stdbuf -oL ",
        "setsid -f ",
        "ionice -c 3 ",
        "taskset -c 0 ",
        "flock /tmp/l ",
        "xargs ",
        "xargs -0 -n 1 ",
        "sudo FOO=1 ",
        "env -u HOME A=1 B='x y' ",
        "time ",
    ])
}

/// Code from `inner` placed in one random context.
fn wrap_once(inner: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    (0..16u8, harmless(), wrapper(), inner).prop_map(|(kind, other, wrapper, code)| match kind {
        0 => format!("{other} | {code}"),
        1 => format!("{other} && {code}"),
        2 => format!("{other} || {code}"),
        3 => format!("{other}; {code}"),
        4 => format!("({code})"),
        5 => format!("{{ {code}; }}"),
        6 => format!("echo $({code})"),
        7 => backquote(&code),
        8 => format!("sh -c {}", single_quote(&code)),
        9 => format!("bash -lc {}", single_quote(&code)),
        10 => format!("{wrapper}{code}"),
        11 => format!("cat <<< \"$({code})\""),
        12 => format!("if {other}; then {code}; fi"),
        13 => format!("for x in a b; do {code}; done"),
        14 => format!("export FOO=1; {code} > out.txt\n{other}"),
        _ => format!("{other} &\n{code}"),
    })
}

/// The dangerous command nested in up to four random contexts.
fn embedded_dangerous() -> impl Strategy<Value = String> {
    dangerous().prop_recursive(4, 16, 1, wrap_once)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn dangerous_command_is_never_hidden(line in embedded_dangerous()) {
        if let Ok(analysis) = analyze(&line) {
            let found = analysis.commands.iter().any(|command| command.program() == Some("rm"));
            prop_assert!(found || !analysis.opaque.is_empty(), "{line:?} hid rm: {analysis:#?}");
        }
    }

    #[test]
    fn arbitrary_text_never_panics(line in any::<String>().prop_map(|s| s.chars().take(200).collect::<String>())) {
        let _ = analyze(&line);
    }

    #[test]
    fn shell_like_text_never_panics(line in "[a-z$(){}`'\"\\\\;|&<>!*?=\\[\\] \n-]{0,200}") {
        let _ = analyze(&line);
    }
}
