//! Finding agent files, in Kiro CLI's places and order.
//!
//! Search order, nearest first: for the current folder and each parent up
//! to the git root (only the current folder outside a git repository), its
//! `.kiro/agents/`, or, in a folder without `.kiro`, the legacy Q CLI
//! `.amazonq/cli-agents/` (as Kiro falls back); then `~/.kiro/agents/`, then
//! `~/.aws/amazonq/cli-agents/`. Agent files are `*.json` and Kiro 3's
//! `*.md`. An agent is known by its `name` field, as in Kiro; a file name
//! is only a fallback when no agent has the name asked for. When two files
//! define the same name, the nearest wins and a warning names both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::agent::{AgentConfig, AgentSource, Origin, Rule, ToolSettings};
use super::error::{ConfigError, JsonPath};
use super::hint;
use super::validate::{self, Validated, name_from_file};

/// The name of the agent used when none is given.
pub const DEFAULT_AGENT: &str = "default";

/// Which kind of folder an agent file was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `.kiro/agents/` of the workspace.
    Workspace,
    /// `~/.kiro/agents/`.
    Global,
    /// A legacy Q CLI folder.
    Legacy,
}

/// An agent file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The agent's name (`name` in the file, else the file name).
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// Where it was found.
    pub scope: Scope,
}

/// One name defined twice: the file used and the one it hides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadowed {
    /// The nearer file, which is used.
    pub winner: Found,
    /// The farther file, which is ignored.
    pub hidden: Found,
}

/// Every agent visible from one folder.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The agents, by name, nearest definition only.
    pub agents: BTreeMap<String, Found>,
    /// Names defined more than once.
    pub shadowed: Vec<Shadowed>,
    /// The folders searched, nearest first.
    pub searched: Vec<PathBuf>,
    /// Every agent file found, nearest first (for the file-name fallback).
    pub files: Vec<Found>,
    /// Set when an agent was found by its file name rather than its `name`.
    pub fallback: Option<String>,
}

impl Discovery {
    /// Human-readable warnings for every shadowed name, and for an agent
    /// found by its file name.
    pub fn warnings(&self) -> Vec<String> {
        let shadowed = self.shadowed.iter().map(|s| {
            format!(
                "warning: agent `{}` is defined in {} and in {}; using the first",
                s.winner.name,
                s.winner.file.display(),
                s.hidden.file.display()
            )
        });
        shadowed.chain(self.fallback.clone()).collect()
    }
}

/// The folders searched from `cwd`, nearest first, with their scope.
pub fn search_folders(cwd: &Path, home: Option<&Path>) -> Vec<(PathBuf, Scope)> {
    let walk = workspace_walk(cwd);
    let mut folders: Vec<(PathBuf, Scope)> = walk
        .iter()
        .map(
            |d| match !d.join(".kiro").exists() && d.join(".amazonq").exists() {
                true => (d.join(".amazonq/cli-agents"), Scope::Legacy),
                false => (d.join(".kiro/agents"), Scope::Workspace),
            },
        )
        .collect();
    if let Some(home) = home {
        folders.push((home.join(".kiro/agents"), Scope::Global));
        folders.push((home.join(".aws/amazonq/cli-agents"), Scope::Legacy));
    }
    let mut seen = Vec::new();
    folders.retain(|(dir, _)| {
        let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    folders
}

/// `cwd` and its parents up to the nearest folder holding `.git`; just `cwd`
/// when no parent does.
fn workspace_walk(cwd: &Path) -> Vec<PathBuf> {
    let mut walk = Vec::new();
    for dir in cwd.ancestors() {
        walk.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            return walk;
        }
    }
    vec![cwd.to_path_buf()]
}

/// The workspace root: the nearest enclosing git root, else `cwd`.
pub fn workspace_root(cwd: &Path) -> PathBuf {
    workspace_walk(cwd)
        .pop()
        .unwrap_or_else(|| cwd.to_path_buf())
}

/// Finds every agent file visible from `cwd`.
pub fn discover(cwd: &Path, home: Option<&Path>) -> Discovery {
    let mut discovery = Discovery::default();
    for (folder, scope) in search_folders(cwd, home) {
        for file in agent_files(&folder) {
            let found = Found {
                name: declared_name(&file),
                file,
                scope,
            };
            discovery.files.push(found.clone());
            match discovery.agents.get(&found.name) {
                Some(winner) => discovery.shadowed.push(Shadowed {
                    winner: winner.clone(),
                    hidden: found,
                }),
                None => {
                    discovery.agents.insert(found.name.clone(), found);
                }
            }
        }
        discovery.searched.push(folder);
    }
    discovery
}

/// The agent files in `folder`: `*.json` and Kiro 3's `*.md`, by name.
fn agent_files(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "md") && p.is_file())
        .collect();
    files.sort();
    files
}

/// The `name` a file declares, read leniently: a broken file still gets a
/// name (its file name) so that asking for it reports its errors.
fn declared_name(file: &Path) -> String {
    let text = std::fs::read_to_string(file).ok();
    let value = match file.extension().is_some_and(|e| e == "md") {
        true => text
            .and_then(|t| super::frontmatter::parse(&t).ok())
            .map(|f| f.value),
        false => text.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()),
    };
    value
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| name_from_file(file))
}

/// Loads and validates the agent file at `file`.
pub fn load_file(file: &Path) -> Result<Validated, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    validate::validate_text(file, &text).map_err(ConfigError::Invalid)
}

/// Loads the agent named or pointed to by `name_or_path`: a path when it
/// contains a `/` or ends in `.json` or `.md`, else the agent whose `name`
/// it is, else (with a warning) the nearest agent file of that file name.
/// `default` falls back to the built-in agent when no file defines it.
pub fn load(
    name_or_path: &str,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<(Validated, Discovery), ConfigError> {
    let mut discovery = discover(cwd, home);
    let is_path = name_or_path.contains('/')
        || name_or_path.ends_with(".json")
        || name_or_path.ends_with(".md");
    if is_path {
        return Ok((load_file(&cwd.join(name_or_path))?, discovery));
    }
    if let Some(found) = discovery.agents.get(name_or_path) {
        let validated = load_file(&found.file)?;
        return Ok((validated, discovery));
    }
    if let Some(found) = discovery
        .files
        .iter()
        .find(|f| name_from_file(&f.file) == name_or_path)
    {
        let file = found.file.clone();
        discovery.fallback = Some(format!(
            "warning: no agent is named `{name_or_path}`; using {}, whose agent is named `{}` (agents are known by their `name`)",
            file.display(),
            found.name
        ));
        return Ok((load_file(&file)?, discovery));
    }
    if name_or_path == DEFAULT_AGENT {
        let validated = Validated {
            config: default_agent(),
            warnings: Vec::new(),
        };
        return Ok((validated, discovery));
    }
    let names = discovery
        .agents
        .keys()
        .map(String::as_str)
        .chain([DEFAULT_AGENT]);
    Err(ConfigError::NotFound {
        name: name_or_path.to_string(),
        hint: hint::closest(name_or_path, names).map(str::to_string),
        searched: discovery.searched,
    })
}

/// The built-in agent used when none is given: every built-in tool is
/// visible, the read-only ones (`read`, `glob`, `grep`) run unasked, and
/// everything else asks (and is refused when nobody can be asked).
pub fn default_agent() -> AgentConfig {
    let builtin_rule = |value: &str, path: JsonPath| Rule {
        value: value.to_string(),
        origin: Origin {
            source: AgentSource::BuiltIn,
            position: None,
            path,
        },
    };
    let allowed = ["read", "glob", "grep"];
    AgentConfig {
        name: DEFAULT_AGENT.into(),
        source: AgentSource::BuiltIn,
        description: Some(
            "Built-in agent: reads freely, asks before writing or running anything".into(),
        ),
        prompt: None,
        tools: vec![builtin_rule(
            "@builtin",
            JsonPath::root().key("tools").index(0),
        )],
        tool_aliases: BTreeMap::new(),
        allowed_tools: allowed
            .iter()
            .enumerate()
            .map(|(i, t)| builtin_rule(t, JsonPath::root().key("allowedTools").index(i)))
            .collect(),
        settings: ToolSettings::default(),
        resources: Vec::new(),
        skills: Vec::new(),
        knowledge_bases: Vec::new(),
        permissions: Vec::new(),
        not_implemented: Vec::new(),
        unrun_pre_tool_hooks: Vec::new(),
        hooks: Default::default(),
        mcp_servers: BTreeMap::new(),
        include_mcp_json: false,
        model: None,
        welcome_message: None,
    }
}
