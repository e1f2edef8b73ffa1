//! A writing child's own copy of the workspace: a detached `git worktree`
//! in the state folder, holding the workspace as it is now (uncommitted
//! and untracked files copied in), so parallel children never write the
//! same files on disk. When the child ends, what it changed is read back
//! as whole files, each with the content it started from, for the parent
//! to apply through its own write path.
//!
//! The user's `.git` gains no ref and no object: the worktree is detached
//! at `HEAD`, files are copied rather than committed, and nothing is ever
//! committed in it; its admin entry (`.git/worktrees/NAME`) is removed with
//! it. Git runs with hooks off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One file a child changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// The file when the child started (`None`: it did not exist).
    pub base: Option<Vec<u8>>,
    /// The file when the child ended (`None`: it deleted it).
    pub now: Option<Vec<u8>>,
}

/// A child's worktree, removed when dropped.
#[derive(Debug)]
pub struct Worktree {
    repo: PathBuf,
    /// The worktree's folder.
    pub path: PathBuf,
    /// The files that differed from `HEAD` when it was made.
    base: BTreeMap<String, Option<Vec<u8>>>,
    /// Left on disk when dropped (a session's own worktree).
    kept: bool,
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|e| format!("git could not run: {e}"))?;
    match output.status.success() {
        true => Ok(output),
        false => Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// Whether `workspace` is the top of a git work tree with a commit at
/// `HEAD` (only then can children get worktrees).
pub fn usable(workspace: &Path) -> bool {
    let top = git(workspace, &["rev-parse", "--show-toplevel"]);
    let top = top.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let same = top.is_ok_and(|top| top.canonicalize().ok() == workspace.canonicalize().ok());
    same && git(workspace, &["rev-parse", "--verify", "-q", "HEAD"]).is_ok()
}

/// The paths `git status` lists in `dir` (tracked changes and untracked
/// files; a rename lists both its paths).
fn status_paths(dir: &Path) -> Result<Vec<String>, String> {
    let output = git(
        dir,
        &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
    )?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut paths = Vec::new();
    let mut entries = text.split('\0').filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        let (code, path) = entry.split_at(entry.len().min(3));
        paths.push(path.to_string());
        if code.starts_with('R') || code.starts_with('C') {
            paths.extend(entries.next().map(str::to_string));
        }
    }
    Ok(paths)
}

impl Worktree {
    /// A worktree of `workspace` at `path`, detached at `HEAD`, with the
    /// workspace's uncommitted and untracked files copied in.
    pub fn create(workspace: &Path, path: PathBuf) -> Result<Worktree, String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let shown = path.to_string_lossy().to_string();
        git(
            workspace,
            &["worktree", "add", "--detach", "-q", &shown, "HEAD"],
        )?;
        let mut tree = Worktree {
            repo: workspace.to_path_buf(),
            path,
            base: BTreeMap::new(),
            kept: false,
        };
        tree.copy_in()?;
        Ok(tree)
    }

    fn copy_in(&mut self) -> Result<(), String> {
        for relative in status_paths(&self.repo)? {
            let from = self.repo.join(&relative);
            let to = self.path.join(&relative);
            let content = std::fs::read(&from).ok();
            match &content {
                Some(bytes) => {
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                    }
                    std::fs::write(&to, bytes).map_err(|e| format!("{}: {e}", to.display()))?;
                }
                None => {
                    let _ = std::fs::remove_file(&to);
                }
            }
            self.base.insert(relative, content);
        }
        Ok(())
    }

    /// What the child changed: every file whose content now differs from
    /// the content it started with.
    pub fn changes(&self) -> Result<Vec<Change>, String> {
        let mut paths: Vec<String> = status_paths(&self.path)?;
        paths.extend(self.base.keys().cloned());
        paths.sort();
        paths.dedup();
        let mut changes = Vec::new();
        for path in paths {
            let now = std::fs::read(self.path.join(&path)).ok();
            let base = match self.base.get(&path) {
                Some(base) => base.clone(),
                None => self.committed(&path),
            };
            if now != base {
                changes.push(Change { path, base, now });
            }
        }
        Ok(changes)
    }

    /// The file at `HEAD` (read from the object store, nothing written).
    fn committed(&self, path: &str) -> Option<Vec<u8>> {
        git(&self.path, &["show", &format!("HEAD:{path}")])
            .ok()
            .map(|o| o.stdout)
    }
}

impl Drop for Worktree {
    /// Removes the worktree and its admin entry in `.git`, however the
    /// child ended (a cancelled turn drops it too).
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let shown = self.path.to_string_lossy().to_string();
        let removed = git(&self.repo, &["worktree", "remove", "--force", &shown]);
        if removed.is_err() {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git(&self.repo, &["worktree", "prune"]);
        }
    }
}

/// The sub-agent worktrees of `workspace` still on disk under `folder`
/// (the state folder's `worktrees`): left by a process that was killed
/// before it could remove them.
pub fn leftovers(workspace: &Path, folder: &Path) -> Vec<PathBuf> {
    let workspace = workspace.canonicalize().unwrap_or(workspace.to_path_buf());
    let admin = workspace.join(".git").join("worktrees");
    let mut found = Vec::new();
    let keys = std::fs::read_dir(folder).into_iter().flatten().flatten();
    for key in keys {
        let trees = std::fs::read_dir(key.path())
            .into_iter()
            .flatten()
            .flatten();
        for tree in trees {
            let link = std::fs::read_to_string(tree.path().join(".git")).unwrap_or_default();
            let target = link.trim().strip_prefix("gitdir: ").map(|t| {
                let t = PathBuf::from(t);
                t.canonicalize().unwrap_or(t)
            });
            if target.is_some_and(|t| t.starts_with(&admin)) {
                found.push(tree.path());
            }
        }
    }
    found.sort();
    found
}

/// Removes `trees` (worktrees of `workspace`) and their entries in
/// `.git`.
pub fn clean(workspace: &Path, trees: Vec<PathBuf>) {
    for path in trees {
        drop(Worktree {
            repo: workspace.to_path_buf(),
            path,
            base: BTreeMap::new(),
            kept: false,
        });
    }
    let _ = git(workspace, &["worktree", "prune"]);
}

/// A worktree of `workspace` at `path` for a whole session (`agent chat
/// --worktree`): made as a child's is, and kept until `agent worktree
/// clean`. Returns its folder.
pub fn for_session(workspace: &Path, path: PathBuf) -> Result<PathBuf, String> {
    let mut tree = Worktree::create(workspace, path)?;
    tree.kept = true;
    Ok(tree.path.clone())
}
