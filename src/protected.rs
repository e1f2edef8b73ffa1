//! Places no agent writes, or reads unasked, whatever an agent file says:
//! the credential folders under home, and the protected names (`.git`,
//! `.kiro/`, `.vscode/`, `mcp.json`, …) wherever they are. Validation
//! (`writablePaths`), the policy and the sandbox all judge by these, so
//! they sit below all three.

use std::path::Path;

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
