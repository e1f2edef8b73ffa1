//! The write fence as folders: which folders shell commands may write,
//! which places inside them stay read-only, and the audit of what a command
//! changed.
//!
//! The policy judges paths with globs; the kernel fences folders. A write
//! rule's folder is the part of its glob before the first glob character
//! (`src/**` and `src/*.py` give `src/`, `*.md` gives the workspace), so
//! the kernel fence is never narrower than the rule, and the audit checks
//! the same folders the kernel does.

use std::path::{Path, PathBuf};

use crate::config::Rule;
use crate::policy::paths::{
    PathRules, Roots, SENSITIVE_HOME_PATHS, is_sensitive, protected_file_name,
    protected_folder_name, protected_reason,
};

/// The leading part of a path glob that has no glob character, cut at its
/// last `/`: the folder the glob can only match inside. A glob without glob
/// characters is returned whole.
pub fn glob_base(glob: &str) -> &str {
    match glob.find(['*', '?', '[', '{']) {
        None => glob,
        Some(first) => match glob[..first].rfind('/') {
            Some(slash) => &glob[..slash],
            None => "",
        },
    }
}

/// Why `raw` (a `writablePaths` entry as written) can never be made
/// writable: it is, or lies inside, a credentials folder or a protected
/// place. Judged on the text alone, for validation.
pub fn unwritable_reason(raw: &str) -> Option<&'static str> {
    let base = glob_base(raw).trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("~/") {
        let sensitive = SENSITIVE_HOME_PATHS
            .iter()
            .any(|s| Path::new(rest).starts_with(s));
        if sensitive {
            return Some("it holds credentials");
        }
    }
    let path = Path::new(base);
    let protected = path.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        protected_folder_name(&name).is_some()
    });
    if protected
        || path
            .file_name()
            .is_some_and(|n| protected_file_name(&n.to_string_lossy()).is_some())
    {
        return Some("it is a protected path (`.git`, `.kiro/`, `.vscode/`, `mcp.json`)");
    }
    None
}

/// A change a shell command made that its fence does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The changed path, absolute.
    pub path: PathBuf,
    /// Why the fence does not allow it.
    pub reason: String,
}

/// The folders shell commands may write, for one workspace: what the
/// sandbox enforces and what [`Fence::audit`] checks afterwards.
#[derive(Debug, Clone)]
pub struct Fence {
    roots: Roots,
    writable: Vec<PathBuf>,
    denied: PathRules,
}

impl Fence {
    /// The fence of `writable` globs (each gives its folder) minus the
    /// `denied` write rules; folders that are protected or hold credentials
    /// are dropped. Resolves symlinks, so it reads the file system.
    pub fn new(writable: &[Rule<String>], denied: &[Rule<String>], roots: &Roots) -> Fence {
        let mut folders: Vec<PathBuf> = writable
            .iter()
            .map(|rule| {
                let base = glob_base(&rule.value);
                roots.resolve(if base.is_empty() { "." } else { base })
            })
            .filter(|folder| {
                protected_reason(folder, roots).is_none() && !is_sensitive(folder, roots)
            })
            .collect();
        folders.sort();
        folders.dedup();
        let mut outermost: Vec<PathBuf> = Vec::new();
        for folder in folders {
            if !outermost.iter().any(|o| folder.starts_with(o)) {
                outermost.push(folder);
            }
        }
        Fence {
            roots: roots.clone(),
            writable: outermost,
            denied: PathRules::compile(denied, roots),
        }
    }

    /// The writable folders (and files), resolved, none inside another.
    pub fn writable(&self) -> &[PathBuf] {
        &self.writable
    }

    /// True when `path` (absolute, resolved) is inside a writable folder.
    pub fn is_writable(&self, path: &Path) -> bool {
        self.writable.iter().any(|w| path.starts_with(w))
    }

    /// The changes in `changed` that the fence does not allow, with why.
    ///
    /// Pure: no file system access. `changed` holds the paths a command
    /// changed (created, modified or deleted), absolute and resolved, or
    /// relative to the workspace. This is what a checkpoint diff is
    /// checked against where the kernel could not enforce the fence (no
    /// sandbox on this platform, `sandbox: "off"`, a layer missing), and
    /// what catches a protected path the command created, which no kernel
    /// layer can forbid before it exists.
    pub fn audit<P: AsRef<Path>>(&self, changed: &[P]) -> Vec<Violation> {
        let mut violations = Vec::new();
        for path in changed {
            let path = self.roots.workspace.join(path.as_ref());
            let reason = if let Some(why) = protected_reason(&path, &self.roots) {
                format!("{why} is protected")
            } else if is_sensitive(&path, &self.roots) {
                "credentials are never written by shell commands".to_string()
            } else if !self.is_writable(&path) {
                "outside the folders shell commands may write".to_string()
            } else if let Some(rule) = self.denied.matching(&path, &self.roots) {
                format!("denied by `{}` ({})", rule.value, rule.origin)
            } else {
                continue;
            };
            violations.push(Violation { path, reason });
        }
        violations
    }
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

    #[test]
    fn globs_give_their_folders() {
        for (glob, base) in [
            ("src/**", "src"),
            ("src/*.py", "src"),
            ("src/a/**/b", "src/a"),
            ("*.md", ""),
            ("**/x", ""),
            ("README.md", "README.md"),
            ("~/cache/**", "~/cache"),
            ("/opt/x/*", "/opt/x"),
        ] {
            assert_eq!(glob_base(glob), base, "{glob}");
        }
    }

    #[test]
    fn credentials_and_protected_places_are_never_writable() {
        for raw in [
            "~/.ssh",
            "~/.aws/**",
            "~/.config/gcloud/x",
            ".git",
            "src/.kiro/**",
            "a/mcp.json",
        ] {
            assert!(unwritable_reason(raw).is_some(), "{raw}");
        }
        for raw in ["~/.cache/pip", "target", "/tmp/x/**", "~/.config/other"] {
            assert!(unwritable_reason(raw).is_none(), "{raw}");
        }
    }

    #[test]
    fn the_audit_names_what_the_fence_does_not_allow() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let workspace = home.join("w");
        std::fs::create_dir_all(workspace.join("src")).unwrap();
        let roots = Roots::new(&workspace, Some(&home));
        let src = rule("src/**");
        let fence = Fence::new(&[src], &[rule("src/secret/**")], &roots);
        let changed = [
            PathBuf::from("src/a.py"),
            PathBuf::from("src/.git/hooks/pre-commit"),
            PathBuf::from("src/sub/mcp.json"),
            PathBuf::from("README.md"),
            home.join(".bashrc"),
            home.join(".ssh/authorized_keys"),
            PathBuf::from("src/secret/k"),
        ];
        let violations = fence.audit(&changed);
        let flagged: Vec<_> = violations.iter().map(|v| v.path.clone()).collect();
        let ws = roots.workspace.clone();
        assert_eq!(
            flagged,
            vec![
                ws.join("src/.git/hooks/pre-commit"),
                ws.join("src/sub/mcp.json"),
                ws.join("README.md"),
                roots.home.clone().unwrap().join(".bashrc"),
                roots.home.clone().unwrap().join(".ssh/authorized_keys"),
                ws.join("src/secret/k"),
            ]
        );
        assert!(violations[0].reason.contains("protected"), "{violations:?}");
        assert!(
            violations[5].reason.contains("src/secret/**"),
            "{violations:?}"
        );
    }
}
