//! Workspace trust: a repository's agent file may bring hooks (and MCP
//! servers), which are programs; they run only once the user has trusted
//! exactly that content.
//!
//! An agent file inside the workspace (not under `~/.kiro/` or the legacy
//! user folders) is the repository's. Its hooks and servers are hashed; the
//! hash the user trusted is stored in the data folder (never in the
//! repository, which could otherwise trust itself), keyed by the agent
//! file's path, so any change asks again. Headless runs need
//! `--trust-workspace`, the `trust.workspaces` setting, or a trust given
//! earlier in interactive chat; otherwise the hooks are skipped with a
//! warning, never run silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::model::McpServer;
use crate::config::{AgentConfig, AgentSource};

/// What a repository's agent file would run, waiting for trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRequest {
    /// The agent file.
    pub file: PathBuf,
    /// The content hash of its hooks and MCP servers.
    pub hash: String,
    /// One line per program it would run, for the user to read.
    pub summary: Vec<String>,
}

/// The repository-provided hooks and MCP servers of `config`, if any need
/// trust: an agent file inside `workspace` (and not in the user's own
/// folders under `home`) that has some.
pub fn request(
    config: &AgentConfig,
    workspace: &Path,
    home: Option<&Path>,
) -> Option<TrustRequest> {
    let AgentSource::File(file) = &config.source else {
        return None;
    };
    let users_own = home.is_some_and(|home| {
        [".kiro", ".aws/amazonq"]
            .iter()
            .any(|folder| file.starts_with(home.join(folder)))
    });
    if users_own || !file.starts_with(workspace) {
        return None;
    }
    if config.hooks.is_empty() && config.mcp_servers.is_empty() {
        return None;
    }
    let mut summary: Vec<String> = super::listed(&config.hooks)
        .into_iter()
        .map(|(trigger, hook)| format!("hook {}: {}", trigger.name(), hook.command))
        .collect();
    summary.extend(server_lines(&config.mcp_servers));
    let content = serde_json::to_vec(&(&config.hooks, &config.mcp_servers)).unwrap_or_default();
    Some(TrustRequest {
        file: file.clone(),
        hash: hash(&content),
        summary,
    })
}

/// The trust the workspace's `mcp.json` at `file` needs for `servers`, if
/// it has any.
pub fn request_for_servers(
    file: &Path,
    servers: &BTreeMap<String, McpServer>,
) -> Option<TrustRequest> {
    if servers.is_empty() {
        return None;
    }
    let content = serde_json::to_vec(servers).unwrap_or_default();
    Some(TrustRequest {
        file: file.to_path_buf(),
        hash: hash(&content),
        summary: server_lines(servers),
    })
}

fn server_lines(servers: &BTreeMap<String, McpServer>) -> Vec<String> {
    servers
        .iter()
        .map(|(name, server)| {
            let what = match (&server.command, &server.url) {
                (Some(command), _) => std::iter::once(command.as_str())
                    .chain(server.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
                (None, Some(url)) => url.clone(),
                (None, None) => String::new(),
            };
            format!("MCP server {name}: {what}")
        })
        .collect()
}

fn hash(content: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, content)
        .map(|oid| oid.to_string())
        .unwrap_or_default()
}

/// The trusts the user gave, in the data folder (`trusted-workspaces.json`:
/// agent file path to content hash).
#[derive(Debug, Clone)]
pub struct TrustStore {
    file: PathBuf,
}

impl TrustStore {
    /// The store under the data folder `data`.
    pub fn new(data: &Path) -> TrustStore {
        TrustStore {
            file: data.join("trusted-workspaces.json"),
        }
    }

    fn entries(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// True when the user trusted exactly this content before.
    pub fn trusts(&self, request: &TrustRequest) -> bool {
        self.entries()
            .get(&request.file.to_string_lossy().into_owned())
            .is_some_and(|hash| *hash == request.hash)
    }

    /// Records that the user trusts this content.
    pub fn record(&self, request: &TrustRequest) -> std::io::Result<()> {
        let mut entries = self.entries();
        entries.insert(
            request.file.to_string_lossy().into_owned(),
            request.hash.clone(),
        );
        let mut text = serde_json::to_string_pretty(&entries).unwrap_or_default();
        text.push('\n');
        crate::atomic::write(&self.file, text.as_bytes(), Some(0o600))
    }
}

/// True when the `trust.workspaces` setting (folders separated by `:`)
/// names `workspace`.
pub fn listed_in_setting(setting: Option<&str>, workspace: &Path) -> bool {
    setting.is_some_and(|list| {
        list.split(':')
            .filter(|entry| !entry.is_empty())
            .any(|entry| Path::new(entry) == workspace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(dir: &Path, hooks: serde_json::Value) -> AgentConfig {
        let file = dir.join(".kiro/agents/a.json");
        let text = serde_json::json!({"name": "a", "hooks": hooks}).to_string();
        crate::config::validate_text(&file, &text).unwrap().config
    }

    #[test]
    fn a_change_asks_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::new(&dir.path().join("data"));
        let first = agent(
            dir.path(),
            serde_json::json!({"stop": [{"command": "true"}]}),
        );
        let request = request(&first, dir.path(), None).unwrap();
        assert_eq!(request.summary, vec!["hook stop: true".to_string()]);
        assert!(!store.trusts(&request));
        store.record(&request).unwrap();
        assert!(store.trusts(&request));
        let changed = agent(
            dir.path(),
            serde_json::json!({"stop": [{"command": "evil"}]}),
        );
        let changed = super::request(&changed, dir.path(), None).unwrap();
        assert!(!store.trusts(&changed));
    }

    #[test]
    fn the_users_own_agents_need_no_trust() {
        let dir = tempfile::tempdir().unwrap();
        let config = agent(
            dir.path(),
            serde_json::json!({"stop": [{"command": "true"}]}),
        );
        assert!(request(&config, dir.path(), Some(dir.path())).is_none());
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(request(&config, elsewhere.path(), None).is_none());
    }

    #[test]
    fn the_setting_lists_folders() {
        assert!(listed_in_setting(Some("/a:/b/c"), Path::new("/b/c")));
        assert!(!listed_in_setting(Some("/a:/b/c"), Path::new("/b")));
        assert!(!listed_in_setting(None, Path::new("/a")));
    }
}
