//! Skills: `SKILL.md` files named by `skill://` resources.
//!
//! As Kiro and the other agents that use `SKILL.md` do, only a skill's
//! front matter (`name`, `description`) goes into the system prompt; its
//! body costs context only when the model reads the file, which the policy
//! always lets `read` do (deny rules still hold).

use std::path::{Path, PathBuf};

use super::agent::AgentConfig;

/// One skill an agent sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// `name` from the front matter, else the file's folder name.
    pub name: String,
    /// `description` from the front matter.
    pub description: Option<String>,
    /// The `SKILL.md` file.
    pub path: PathBuf,
}

/// The skills `config` names, in resource order; a name seen twice keeps
/// its first file, as in Kiro. Unreadable files are left out.
pub fn skills(config: &AgentConfig) -> Vec<Skill> {
    let mut found: Vec<Skill> = Vec::new();
    for rule in &config.skills {
        for path in expand(&rule.value) {
            let Some(skill) = read_skill(&path) else {
                continue;
            };
            if !found.iter().any(|s| s.name == skill.name) {
                found.push(skill);
            }
        }
    }
    found
}

/// Reads one skill file's front matter.
pub fn read_skill(path: &Path) -> Option<Skill> {
    let text = std::fs::read_to_string(path).ok()?;
    let front = super::frontmatter::parse(&text).ok();
    let field = |key: &str| {
        front
            .as_ref()
            .and_then(|f| f.value.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let fallback = path
        .parent()
        .and_then(Path::file_name)
        .or_else(|| path.file_stem())
        .map(|n| n.to_string_lossy().into_owned())?;
    Some(Skill {
        name: field("name").unwrap_or(fallback),
        description: field("description"),
        path: path.to_path_buf(),
    })
}

/// The files a path or glob names, sorted; `*` does not cross `/`, and
/// what `.gitignore` hides is left out. Resources and skills are read this way.
pub fn expand(pattern: &str) -> Vec<PathBuf> {
    if !pattern.contains(['*', '?', '[', '{']) {
        return vec![PathBuf::from(pattern)];
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    let base: PathBuf = pattern
        .split(['*', '?', '[', '{'])
        .next()
        .and_then(|prefix| Path::new(prefix).parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut files: Vec<PathBuf> = files_under(&base).filter(|p| matcher.is_match(p)).collect();
    files.sort();
    files
}

/// Every file under `root` that `.gitignore`, `.ignore` and git's excludes
/// do not hide; hidden files are included (skills live in `.kiro/`), `.git`
/// folders never.
pub fn files_under(root: &Path) -> impl Iterator<Item = PathBuf> + use<> {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .map(|entry| entry.into_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_names_a_skill_else_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("a/SKILL.md");
        let unnamed = dir.path().join("b/SKILL.md");
        std::fs::create_dir_all(named.parent().unwrap()).unwrap();
        std::fs::create_dir_all(unnamed.parent().unwrap()).unwrap();
        std::fs::write(
            &named,
            "---\nname: pdf-tools\ndescription: Work with PDFs\n---\nBody",
        )
        .unwrap();
        std::fs::write(&unnamed, "# No front matter\n").unwrap();
        let skill = read_skill(&named).unwrap();
        assert_eq!(
            (skill.name.as_str(), skill.description.as_deref()),
            ("pdf-tools", Some("Work with PDFs"))
        );
        assert_eq!(read_skill(&unnamed).unwrap().name, "b");
        let pattern = format!("{}/**/SKILL.md", dir.path().display());
        assert_eq!(expand(&pattern).len(), 2);
    }
}
