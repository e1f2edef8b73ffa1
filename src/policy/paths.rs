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

/// Why a folder with this name is protected with everything below it,
/// wherever it is: `.git`, `.kiro`, `.vscode`.
pub fn protected_folder_name(name: &str) -> Option<&'static str> {
    match name {
        ".git" => Some("`.git` (git's internals and hooks)"),
        ".kiro" => Some("`.kiro/` (agent files and their permissions)"),
        ".vscode" => Some("`.vscode/` (editor tasks and settings)"),
        _ => None,
    }
}

/// Why a file with this name is protected, wherever it is: `mcp.json`,
/// `.kiroignore`, `*.code-workspace`.
pub fn protected_file_name(name: &str) -> Option<&'static str> {
    match name {
        "mcp.json" => Some("`mcp.json` (MCP servers run commands)"),
        ".kiroignore" => Some("`.kiroignore`"),
        name if name.ends_with(".code-workspace") => Some("`*.code-workspace` (editor settings)"),
        _ => None,
    }
}

/// Credentials that are never read unasked, even by a read-only command,
/// whatever the agent file says.
pub const SENSITIVE_HOME_PATHS: &[&str] = &[
    ".ssh",
    ".aws",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".gnupg",
];

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
}
