//! Where `agent` keeps its own state.
//!
//! Settings live in the config folder; sessions, checkpoints and logs in the
//! data folder. `AGENT_HOME` moves both at once (tests and portable installs
//! use it: `$AGENT_HOME/config`, `$AGENT_HOME/data`). Otherwise the XDG rule
//! applies on every platform, because terminal users expect `~/.config` even
//! on macOS: `$XDG_CONFIG_HOME/agent` or `~/.config/agent`, and
//! `$XDG_DATA_HOME/agent` or `~/.local/share/agent`. Agent files are not
//! state: they stay in Kiro's places (see [`crate::config::discover`]).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The folders `agent` writes its own state to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePaths {
    /// Settings (`settings.json`).
    pub config: PathBuf,
    /// Sessions, checkpoints, logs.
    pub data: PathBuf,
}

impl StatePaths {
    /// The folders for this process's environment.
    pub fn from_env() -> Result<StatePaths, String> {
        Self::resolve(&|name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }

    /// The folders given a way to read environment variables.
    pub fn resolve(var: &dyn Fn(&str) -> Option<PathBuf>) -> Result<StatePaths, String> {
        if let Some(home) = var("AGENT_HOME") {
            return Ok(StatePaths {
                config: home.join("config"),
                data: home.join("data"),
            });
        }
        let home = var("HOME").or_else(dirs::home_dir);
        let under_home = |rest: &str| home.as_ref().map(|h| h.join(rest));
        let config = var("XDG_CONFIG_HOME").or_else(|| under_home(".config"));
        let data = var("XDG_DATA_HOME").or_else(|| under_home(".local/share"));
        match (config, data) {
            (Some(config), Some(data)) => Ok(StatePaths {
                config: config.join("agent"),
                data: data.join("agent"),
            }),
            _ => Err("cannot tell where to keep settings: set HOME or AGENT_HOME".into()),
        }
    }

    /// Where sub-agents' git worktrees are made: beside the data folder
    /// (`$AGENT_HOME/data-worktrees`), not in it, because the sandbox hides
    /// the data folder from commands.
    pub fn worktrees(&self) -> PathBuf {
        let name = self
            .data
            .file_name()
            .map_or_else(|| "agent".into(), |n| n.to_string_lossy().to_string());
        self.data.with_file_name(format!("{name}-worktrees"))
    }

    /// The settings file.
    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }
}

/// The user's home folder, as agent-file discovery and `~` expansion see it.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
}

/// Milliseconds since the Unix epoch (saved sessions, checkpoints and the
/// audit log stamp their records with it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A folder name for `workspace`: its path with unsafe characters replaced,
/// and an FNV-1a hash of the full path so distinct paths never collide.
pub fn workspace_key(workspace: &Path) -> String {
    let text = workspace.to_string_lossy();
    let readable: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let readable = readable.trim_matches('-');
    let tail: String = readable
        .chars()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{tail}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<PathBuf> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| PathBuf::from(v))
        }
    }

    #[test]
    fn agent_home_moves_everything() {
        let paths =
            StatePaths::resolve(&env(&[("AGENT_HOME", "/x"), ("XDG_CONFIG_HOME", "/c")])).unwrap();
        assert_eq!(paths.config, PathBuf::from("/x/config"));
        assert_eq!(paths.data, PathBuf::from("/x/data"));
    }

    #[test]
    fn xdg_first_then_home() {
        let paths = StatePaths::resolve(&env(&[("HOME", "/h"), ("XDG_DATA_HOME", "/d")])).unwrap();
        assert_eq!(paths.config, PathBuf::from("/h/.config/agent"));
        assert_eq!(paths.data, PathBuf::from("/d/agent"));
    }

    #[test]
    fn keys_are_safe_and_distinct() {
        let a = workspace_key(Path::new("/home/u/my project"));
        let b = workspace_key(Path::new("/home/u/my-project"));
        assert_ne!(a, b);
        assert!(a.starts_with("home-u-my-project-"), "{a}");
        assert!(!a.contains('/'));
    }
}
