//! Path resolution and path rules.
//!
//! A path is judged where it really lands: `~` and `$HOME` are expanded,
//! relative paths are taken from the workspace, and `.`/`..` and symlinks of
//! the longest existing prefix are resolved (a new file under a symlinked
//! folder is judged at the symlink's target). This is the only I/O the
//! policy does. Rules are globs with `literal_separator(true)`, so `*` never
//! crosses a `/`; a rule for a folder covers everything below it; a
//! relative rule never covers a path outside the workspace.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::config::Rule;

/// The fixed points paths are resolved against.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The workspace, canonical.
    pub workspace: PathBuf,
    /// The user's home folder, canonical, if known.
    pub home: Option<PathBuf>,
}

impl Roots {
    /// Roots for a workspace and home, resolved through symlinks so that
    /// they compare equal to resolved paths.
    pub fn new(workspace: &Path, home: Option<&Path>) -> Roots {
        Roots {
            workspace: resolve_existing_prefix(workspace),
            home: home.map(resolve_existing_prefix),
        }
    }

    /// Where `raw` (as a tool or command wrote it) really lands.
    pub fn resolve(&self, raw: &str) -> PathBuf {
        resolve_existing_prefix(&self.absolute(raw))
    }

    /// `raw` made absolute without touching the file system: `~`, `$HOME`
    /// and `${HOME}` expanded, relative paths joined to the workspace.
    fn absolute(&self, raw: &str) -> PathBuf {
        for prefix in ["~", "$HOME", "${HOME}"] {
            if let Some(home) = &self.home
                && let Some(rest) = raw.strip_prefix(prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return home.join(rest.trim_start_matches('/'));
            }
        }
        let path = Path::new(raw);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.workspace.join(path)
        }
    }

    /// True when `resolved` lies inside the workspace.
    pub fn in_workspace(&self, resolved: &Path) -> bool {
        resolved.starts_with(&self.workspace)
    }

    /// True when `raw` is written as a path inside the workspace (relative,
    /// or absolute below it) but lands outside it: a symlink or `..` on the
    /// way leads out.
    pub fn leads_out_of_workspace(&self, raw: &str) -> bool {
        self.absolute(raw).starts_with(&self.workspace) && !self.in_workspace(&self.resolve(raw))
    }
}

/// Where a path written in a shell command lands, as the kernel resolves it for the shell
/// that runs the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellPath {
    /// A file or folder at this resolved path.
    File(PathBuf),
    /// Somewhere output is discarded or shown: `/dev/null`, `/dev/tty`, the shell's own
    /// descriptors (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`), which the line either
    /// inherited from the tool (its pipes) or opened itself with a redirection judged there.
    Sink,
    /// bash's network pseudo-files, `/dev/tcp/HOST/PORT` and `/dev/udp/HOST/PORT`.
    Network,
    /// Somewhere the analysis cannot place: another process's files, `/proc/self/environ`,
    /// a symlink loop. Says why.
    Unknown(String),
}

/// The most symlinks followed in one path, as Linux's `MAXSYMLINKS`.
const MAX_SYMLINK_HOPS: usize = 40;

/// Where resolution stands while walking a path's components.
enum Walk {
    Path(PathBuf),
    /// `/proc/self` or `/proc/thread-self`: the shell's own process.
    ShellProcess,
    /// `/proc/self/fd` (and `/dev/fd`).
    ShellDescriptors,
    /// `/proc/self/fd/N`: whatever the shell has open as N. A path that goes on below it
    /// lands inside an open folder, which cannot be told.
    Descriptor,
}

impl Roots {
    /// Resolves `raw` as the kernel would for the shell running a command line whose
    /// working folder is `cwd` (`None` once the line has changed directory): symlinks are
    /// followed component by component, dangling ones by where they point, `..` after a
    /// symlink applies to its target, and the shell's `/proc/self` (also reached through
    /// `/dev/fd/..`) is the shell, not the agent: its `cwd` is the working folder and its
    /// `root` is `/`.
    pub fn resolve_for_shell(&self, raw: &str, cwd: Option<&Path>) -> ShellPath {
        let absolute = match (is_anchored(raw), cwd) {
            (false, Some(cwd)) => cwd.join(raw),
            (false, None) => {
                return ShellPath::Unknown(format!(
                    "`{raw}` is relative and the line changes directory"
                ));
            }
            (true, _) => self.absolute(raw),
        };
        let mut pending: Vec<std::ffi::OsString> = Vec::new();
        push_components(&mut pending, &absolute);
        let mut walk = Walk::Path(PathBuf::from("/"));
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            walk = match step(walk, &component, cwd) {
                Ok(Walk::Path(path)) => match std::fs::read_link(&path) {
                    Ok(target) if hops < MAX_SYMLINK_HOPS => {
                        hops += 1;
                        push_components(&mut pending, &target);
                        let parent = path.parent().unwrap_or(Path::new("/"));
                        Walk::Path(if target.is_absolute() {
                            PathBuf::from("/")
                        } else {
                            parent.to_path_buf()
                        })
                    }
                    Ok(_) => return ShellPath::Unknown(format!("`{raw}`: too many symlinks")),
                    Err(_) => Walk::Path(path),
                },
                Ok(other) => other,
                Err(end) => return end,
            };
        }
        match walk {
            Walk::Path(path) if is_sink(&path) => ShellPath::Sink,
            Walk::Path(path) => ShellPath::File(path),
            Walk::Descriptor => ShellPath::Sink,
            Walk::ShellProcess | Walk::ShellDescriptors => {
                ShellPath::Unknown(format!("`{raw}` is a folder of the shell process"))
            }
        }
    }
}

/// A path that does not depend on the working folder: absolute, or under home.
pub fn is_anchored(raw: &str) -> bool {
    ["/", "~", "$HOME", "${HOME}"]
        .iter()
        .any(|prefix| raw.starts_with(prefix))
}

/// Pushes `path`'s components onto a stack of components still to walk, first on top.
fn push_components(pending: &mut Vec<std::ffi::OsString>, path: &Path) {
    let components: Vec<_> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect();
    pending.extend(components.into_iter().rev());
}

/// One component of a shell path; `Err` ends the walk with its result.
fn step(walk: Walk, component: &std::ffi::OsStr, cwd: Option<&Path>) -> Result<Walk, ShellPath> {
    let name = component.to_string_lossy();
    match walk {
        Walk::Path(mut path) => {
            if name == ".." {
                path.pop();
                return Ok(Walk::Path(path));
            }
            match (path.to_str(), name.as_ref()) {
                (Some("/proc"), "self" | "thread-self") => return Ok(Walk::ShellProcess),
                (Some("/proc"), pid) if pid.chars().all(|c| c.is_ascii_digit()) => {
                    return Err(ShellPath::Unknown(format!(
                        "`/proc/{pid}` is another process's view of the system"
                    )));
                }
                (Some("/dev"), "fd") => return Ok(Walk::ShellDescriptors),
                (Some("/dev"), "stdin" | "stdout" | "stderr") => return Ok(Walk::Descriptor),
                (Some("/dev"), "tcp" | "udp") => return Err(ShellPath::Network),
                _ => {}
            }
            path.push(component);
            Ok(Walk::Path(path))
        }
        Walk::ShellProcess => match (name.as_ref(), cwd) {
            ("..", _) => Ok(Walk::Path(PathBuf::from("/proc"))),
            ("cwd", Some(cwd)) => Ok(Walk::Path(cwd.to_path_buf())),
            ("cwd", None) => Err(ShellPath::Unknown(
                "`/proc/self/cwd` after the line changes directory".into(),
            )),
            ("root", _) => Ok(Walk::Path(PathBuf::from("/"))),
            ("fd", _) => Ok(Walk::ShellDescriptors),
            (other, _) => Err(ShellPath::Unknown(format!(
                "`/proc/self/{other}` is not a file the analysis can place"
            ))),
        },
        Walk::ShellDescriptors if name == ".." => Ok(Walk::ShellProcess),
        Walk::ShellDescriptors if name.chars().all(|c| c.is_ascii_digit()) => Ok(Walk::Descriptor),
        Walk::Descriptor => Err(ShellPath::Unknown(
            "a path below an open descriptor lands in whatever folder it holds".into(),
        )),
        Walk::ShellDescriptors => Err(ShellPath::Unknown(format!(
            "`/dev/fd/{name}` is not a descriptor"
        ))),
    }
}

/// Devices that discard or show output.
fn is_sink(path: &Path) -> bool {
    matches!(path.to_str(), Some("/dev/null" | "/dev/tty" | "/dev/zero"))
}

/// Resolves `.`, `..` and symlinks along `path`, component by component,
/// as far as the file system has it; the rest is normalised lexically (a
/// component that does not exist cannot be a symlink).
pub fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut resolved = PathBuf::new();
    let mut exists = true;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => resolved.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if exists {
                    match std::fs::canonicalize(&resolved) {
                        Ok(real) => resolved = real,
                        Err(_) => exists = std::fs::symlink_metadata(&resolved).is_ok(),
                    }
                }
            }
        }
    }
    resolved
}

/// Compiled path globs that remember which rule each came from.
#[derive(Debug, Clone)]
pub struct PathRules {
    set: GlobSet,
    rules: Vec<CompiledRule>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    rule: Rule<String>,
    relative: bool,
}

impl PathRules {
    /// Compiles `rules` against `roots`. A rule that fails to compile (the
    /// loader already rejects those) is kept as matching everything, so a
    /// broken deny list still denies.
    pub fn compile(rules: &[Rule<String>], roots: &Roots) -> PathRules {
        let mut builder = GlobSetBuilder::new();
        let mut compiled = Vec::new();
        for rule in rules {
            let (pattern, relative) = anchored_pattern(&rule.value, roots);
            let globs = [
                pattern.clone(),
                format!("{}/**", pattern.trim_end_matches('/')),
            ];
            for glob in globs {
                let built = GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .build()
                    .or_else(|_| GlobBuilder::new("/**").build());
                if let Ok(glob) = built {
                    builder.add(glob);
                    compiled.push(CompiledRule {
                        rule: rule.clone(),
                        relative,
                    });
                }
            }
        }
        let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        PathRules {
            set,
            rules: compiled,
        }
    }

    /// The first rule covering the resolved path, if any.
    pub fn matching(&self, resolved: &Path, roots: &Roots) -> Option<&Rule<String>> {
        self.set
            .matches(resolved)
            .into_iter()
            .map(|i| &self.rules[i])
            .find(|r| !r.relative || roots.in_workspace(resolved))
            .map(|r| &r.rule)
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// A rule's glob made absolute: `~/x` under home, `/x` as is, anything else
/// under the workspace (escaped, so a workspace path with `[` or `*` in it
/// stays literal). Returns whether the rule was relative.
fn anchored_pattern(pattern: &str, roots: &Roots) -> (String, bool) {
    let escaped = |p: &Path| globset::escape(&p.to_string_lossy());
    if let Some(rest) = pattern
        .strip_prefix("~/")
        .or(if pattern == "~" { Some("") } else { None })
        && let Some(home) = &roots.home
    {
        return (join_glob(&escaped(home), rest), false);
    }
    if pattern.starts_with('/') {
        return (pattern.to_string(), false);
    }
    let relative = pattern.trim_start_matches("./");
    (join_glob(&escaped(&roots.workspace), relative), true)
}

fn join_glob(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        base.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), rest)
    }
}

/// Why a path may never be written unasked, whatever the rules say: the
/// places that hold the agent's own permissions, git's internals (hooks run
/// code), and editor settings that run tasks. Inside the workspace only the
/// part below its root is looked at, so a workspace that itself lives under
/// a folder named `.kiro` is not protected whole.
pub fn protected_reason(resolved: &Path, roots: &Roots) -> Option<&'static str> {
    let inner = resolved.strip_prefix(&roots.workspace).unwrap_or(resolved);
    for component in inner.components() {
        if let Component::Normal(name) = component
            && let Some(reason) = protected_folder_name(&name.to_string_lossy())
        {
            return Some(reason);
        }
    }
    protected_file_name(&resolved.file_name()?.to_string_lossy())
}

pub use crate::protected::{SENSITIVE_HOME_PATHS, protected_file_name, protected_folder_name};

/// True when `resolved` is one of the [`SENSITIVE_HOME_PATHS`] or below one.
pub fn is_sensitive(resolved: &Path, roots: &Roots) -> bool {
    let Some(home) = &roots.home else {
        return false;
    };
    SENSITIVE_HOME_PATHS
        .iter()
        .any(|p| resolved.starts_with(home.join(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::JsonPath;
    use crate::config::{AgentSource, Origin};

    fn rule(value: &str) -> Rule<String> {
        Rule {
            value: value.into(),
            origin: Origin {
                source: AgentSource::BuiltIn,
                position: None,
                path: JsonPath::root(),
            },
        }
    }

    fn fixture() -> (tempfile::TempDir, Roots) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home/u");
        let workspace = home.join("w");
        std::fs::create_dir_all(workspace.join("src")).unwrap();
        let roots = Roots::new(&workspace, Some(&home));
        (dir, roots)
    }

    #[test]
    fn canonicalisation_vectors() {
        let (_dir, roots) = fixture();
        let home = roots.home.clone().unwrap();
        assert_eq!(roots.resolve("path"), roots.workspace.join("path"));
        assert_eq!(roots.resolve("~"), home);
        assert_eq!(
            roots.resolve("~/.././../home//u/path/.."),
            home.parent().unwrap().parent().unwrap().join("home/u")
        );
        assert_eq!(roots.resolve("$HOME/x"), home.join("x"));
        assert_eq!(
            roots.resolve("src/../.kiro/a.json"),
            roots.workspace.join(".kiro/a.json")
        );
    }

    #[test]
    fn symlinks_are_followed_for_new_files() {
        let (_dir, roots) = fixture();
        let secret = roots.home.clone().unwrap().join(".ssh");
        std::fs::create_dir_all(&secret).unwrap();
        std::os::unix::fs::symlink(&secret, roots.workspace.join("src/link")).unwrap();
        assert_eq!(roots.resolve("src/link/new_key"), secret.join("new_key"));
    }

    #[test]
    fn folder_rules_cover_their_contents_and_globs_do_not_cross_slashes() {
        let (_dir, roots) = fixture();
        let rules = PathRules::compile(&[rule("src"), rule("tests/*.py")], &roots);
        let matches = |p: &str| rules.matching(&roots.resolve(p), &roots).is_some();
        assert!(matches("src/main.rs"));
        assert!(matches("src/a/b/c.rs"));
        assert!(matches("tests/test_a.py"));
        assert!(!matches("tests/sub/test_a.py"));
        assert!(!matches("srcx/a"));
    }

    #[test]
    fn relative_rules_never_cover_paths_outside_the_workspace() {
        let (_dir, roots) = fixture();
        let rules = PathRules::compile(&[rule("../**"), rule("**")], &roots);
        assert!(
            rules
                .matching(&roots.resolve("../outside.txt"), &roots)
                .is_none()
        );
        assert!(
            rules
                .matching(&roots.resolve("inside.txt"), &roots)
                .is_some()
        );
    }

    #[test]
    fn home_and_absolute_rules() {
        let (_dir, roots) = fixture();
        let rules = PathRules::compile(&[rule("~/home_allow/"), rule("/opt/x/**")], &roots);
        assert!(
            rules
                .matching(&roots.resolve("~/home_allow/sub"), &roots)
                .is_some()
        );
        assert!(rules.matching(Path::new("/opt/x/y"), &roots).is_some());
        assert!(rules.matching(Path::new("/opt/y"), &roots).is_none());
    }

    #[test]
    fn a_workspace_with_glob_characters_stays_literal() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("w[1]");
        std::fs::create_dir_all(&workspace).unwrap();
        let roots = Roots::new(&workspace, None);
        let rules = PathRules::compile(&[rule("src/**")], &roots);
        assert!(rules.matching(&roots.resolve("src/a"), &roots).is_some());
        assert!(
            rules
                .matching(&dir.path().join("w1/src/a"), &roots)
                .is_none()
        );
    }

    #[test]
    fn protected_paths() {
        let roots = Roots {
            workspace: PathBuf::from("/home/u/.kiro/w"),
            home: None,
        };
        let protected = |p: &str| protected_reason(Path::new(p), &roots).is_some();
        assert!(!protected("/home/u/.kiro/w/src/a.rs"));
        assert!(protected("/home/u/.kiro/agents/a.json"));
        for p in [
            "/w/.git/hooks/pre-commit",
            "/w/vendor/x/.git",
            "/w/.kiro/agents/a.json",
            "/w/.vscode/tasks.json",
            "/w/mcp.json",
            "/w/a.code-workspace",
            "/w/.kiroignore",
        ] {
            assert!(protected(p), "{p}");
        }
        for p in ["/w/src/git.rs", "/w/.github/x.yml", "/w/kiro/a"] {
            assert!(!protected(p), "{p}");
        }
    }

    #[test]
    fn shell_paths_resolve_as_the_kernel_would_for_the_shell() {
        let (_dir, roots) = fixture();
        let cwd = roots.workspace.clone();
        let at = |raw: &str| roots.resolve_for_shell(raw, Some(&cwd));
        assert_eq!(
            at("/dev/fd/../cwd/README.md"),
            ShellPath::File(cwd.join("README.md"))
        );
        assert_eq!(
            at("/proc/self/cwd/src/x"),
            ShellPath::File(cwd.join("src/x"))
        );
        assert_eq!(
            at("/proc/thread-self/root/etc/x"),
            ShellPath::File("/etc/x".into())
        );
        assert_eq!(at("/dev/stdout"), ShellPath::Sink);
        assert_eq!(at("/dev/fd/2"), ShellPath::Sink);
        assert_eq!(at("/dev/null"), ShellPath::Sink);
        assert_eq!(at("/dev/tcp/example.com/80"), ShellPath::Network);
        assert!(matches!(at("/proc/1/cwd/x"), ShellPath::Unknown(_)));
        assert!(matches!(at("/dev/fd/3/etc/x"), ShellPath::Unknown(_)));
        assert!(matches!(at("/proc/self/environ"), ShellPath::Unknown(_)));
        assert!(matches!(
            roots.resolve_for_shell("x", None),
            ShellPath::Unknown(_)
        ));
    }

    #[test]
    fn dangling_symlinks_are_judged_by_where_they_point() {
        let (_dir, roots) = fixture();
        let cwd = roots.workspace.clone();
        let home = roots.home.clone().unwrap();
        std::os::unix::fs::symlink(home.join(".bashrc"), cwd.join("src/rc")).unwrap();
        std::os::unix::fs::symlink("../../.ssh", cwd.join("src/keys")).unwrap();
        let at = |raw: &str| roots.resolve_for_shell(raw, Some(&cwd));
        assert_eq!(at("src/rc"), ShellPath::File(home.join(".bashrc")));
        assert_eq!(
            at("src/keys/id_rsa"),
            ShellPath::File(home.join(".ssh/id_rsa"))
        );
        std::os::unix::fs::symlink("loop", cwd.join("loop")).unwrap();
        assert!(matches!(at("loop/x"), ShellPath::Unknown(_)));
    }
}
