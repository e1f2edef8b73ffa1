//! Which shell variables change what later commands do, which are harmless, and which names
//! the shell takes as plain variable names.
//!
//! The list of variables that change what runs is long because programs read their
//! configuration from the environment: a loader (`LD_PRELOAD`), an interpreter's start-up
//! code (`PYTHONSTARTUP`, `NODE_OPTIONS`), git's helpers (`GIT_EXTERNAL_DIFF`), a pager, a
//! configuration file location (`*_CONFIG*`, `XDG_*`). It stays a deny-list only for
//! *assignments that run anyway*; for read-only commands the rule is closed-world
//! ([`is_harmless`]): an assignment prefix keeps a command read-only only when its name is
//! on a short list of locale and display settings.

/// Whether assigning `name` changes which program runs, what a program loads or runs, or
/// how the shell evaluates code, so that the rest of the line is no longer the line judged.
pub(crate) fn changes_what_runs(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "HOME",
        "IFS",
        "ENV",
        "BASH_ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS0",
        "PS1",
        "PS2",
        "PS3",
        "PS4",
        "PROMPT_COMMAND",
        "CDPATH",
        "PWD",
        "OLDPWD",
        "GLOBIGNORE",
        "FIGNORE",
        "INPUTRC",
        "HISTFILE",
        "TMPDIR",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "BROWSER",
        "SHELL",
        "CC",
        "CXX",
        "LD",
        "AR",
        "MAKEFLAGS",
        "MAKE",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "GCONV_PATH",
        "LOCPATH",
        "NLSPATH",
        "HOSTALIASES",
        "RESOLV_HOST_CONF",
        "MANPAGER",
        "MANOPT",
        "TAR_OPTIONS",
        "GREP_OPTIONS",
        "SSL_CERT_FILE",
        "CURL_HOME",
        "WGETRC",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "SUDO_ASKPASS",
        "SSH_ASKPASS",
    ];
    const PREFIXES: &[&str] = &[
        "BASH_",
        "LD_",
        "DYLD_",
        "GIT_",
        "XDG_",
        "PYTHONSTARTUP",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUSERBASE",
        "PYTHONEXECUTABLE",
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PERL5",
        "PERLLIB",
        "RUBYOPT",
        "RUBYLIB",
        "NODE_OPTIONS",
        "NODE_PATH",
        "npm_config_",
        "NPM_CONFIG_",
        "PIP_",
        "RUSTC",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "LESS",
        "SSH_",
        "GNUPG",
        "GPG_",
        "DOCKER_",
        "KUBECONFIG",
        "CLASSPATH",
        "MAVEN_OPTS",
        "GRADLE_OPTS",
    ];
    let cargo = name.starts_with("CARGO_")
        && !matches!(
            name,
            "CARGO_TARGET_DIR" | "CARGO_INCREMENTAL" | "CARGO_TERM_COLOR"
        );
    cargo
        || EXACT.contains(&name)
        || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        || name.contains("CONFIG")
        || name.ends_with("PAGER")
        || name.ends_with("ASKPASS")
        || name.ends_with("_OPTIONS")
        || name.ends_with("_OPTS")
        || name.ends_with("_PATH")
        || name.ends_with("_HOME")
}

/// Whether assigning `value` to `name` is harmless although the name is one that
/// [`changes_what_runs`]: a pager set to nothing or to a plain reader (`PAGER= git log`,
/// `GIT_PAGER=cat`).
pub(crate) fn is_harmless_value(name: &str, value: &str) -> bool {
    let pager = matches!(name, "PAGER" | "GIT_PAGER" | "MANPAGER" | "SYSTEMD_PAGER");
    pager && matches!(value, "" | "cat" | "less" | "more")
}

/// Whether an assignment prefix with this name leaves a read-only command read-only: locale
/// and display settings only change how output looks.
pub(crate) fn is_harmless(name: &str) -> bool {
    const HARMLESS: &[&str] = &[
        "LANG",
        "LANGUAGE",
        "TZ",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "TERM",
        "COLUMNS",
        "LINES",
        "POSIXLY_CORRECT",
        "TIME_STYLE",
        "QUOTING_STYLE",
        "BLOCK_SIZE",
        "BLOCKSIZE",
        "DF_BLOCK_SIZE",
        "DU_BLOCK_SIZE",
        "LS_BLOCK_SIZE",
    ];
    HARMLESS.contains(&name) || name.starts_with("LC_")
}

/// A name the shell takes as a plain variable: `[A-Za-z_][A-Za-z0-9_]*`. Anything else in
/// the place of a name (`a[$(x)]`, `BASH_CMDS[ls]`) makes the shell evaluate a subscript or
/// write into a table that changes what runs.
pub(crate) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A target of an assignment the analysis understands: a plain name, or an element of an
/// indexed array whose subscript is a literal number (`a[3]`). Returns the variable's name.
pub(crate) fn assignable_name(target: &str) -> Option<&str> {
    let Some((name, subscript)) = target.split_once('[') else {
        return is_plain_name(target).then_some(target);
    };
    let index = subscript.strip_suffix(']')?;
    let literal = !index.is_empty() && index.chars().all(|c| c.is_ascii_digit());
    (literal && is_plain_name(name)).then_some(name)
}

/// Whether the static value of a variable is a plain integer, so that evaluating it as
/// arithmetic runs nothing.
pub(crate) fn is_integer_literal(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}
