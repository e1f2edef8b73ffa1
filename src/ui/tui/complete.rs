//! Completion in the editor: slash commands (from the same clap definition
//! that parses them) while the first word is typed, and workspace paths
//! after `@`.

use std::path::Path;

/// Entries listed at most.
const MAX_ITEMS: usize = 50;

/// One choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The text that replaces the word being typed.
    pub text: String,
    /// A short description (a command's help, `dir` for folders).
    pub note: String,
}

/// Choices for the word under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The choices, best first.
    pub items: Vec<Item>,
    /// The one Tab takes.
    pub selected: usize,
    /// Where the word being completed starts in the line (a char index).
    pub start: usize,
}

impl Completion {
    /// Moves the selection by `step`, wrapping around.
    pub fn step(&mut self, step: isize) {
        let len = self.items.len() as isize;
        if len > 0 {
            self.selected = (self.selected as isize + step).rem_euclid(len) as usize;
        }
    }

    /// The line with the selected choice in place of the word being typed
    /// (which ends at `cursor`), and the cursor after it.
    pub fn apply(&self, line: &str, cursor: usize) -> Option<(String, usize)> {
        let item = self.items.get(self.selected)?;
        let chars: Vec<char> = line.chars().collect();
        let before: String = chars[..self.start.min(chars.len())].iter().collect();
        let after: String = chars[cursor.min(chars.len())..].iter().collect();
        let spacer = if item.text.ends_with('/') { "" } else { " " };
        let inserted = format!("{}{spacer}", item.text);
        let cursor = before.chars().count() + inserted.chars().count();
        Some((format!("{before}{inserted}{after}"), cursor))
    }
}

/// The choices for `line` with the cursor at char index `cursor`: slash
/// commands when the line is a command being typed, paths after `@`.
pub fn complete(
    line: &str,
    cursor: usize,
    commands: &[(String, String)],
    workspace: &Path,
) -> Option<Completion> {
    let typed: String = line.chars().take(cursor).collect();
    if typed.starts_with('/') && cursor == line.chars().count() {
        let items: Vec<Item> = commands
            .iter()
            .filter(|(name, _)| name.starts_with(typed.trim_end()) && *name != typed.trim_end())
            .filter(|(name, _)| !typed.ends_with(' ') || name.starts_with(&typed))
            .take(MAX_ITEMS)
            .map(|(name, note)| Item {
                text: name.clone(),
                note: note.clone(),
            })
            .collect();
        return (!items.is_empty()).then_some(Completion {
            items,
            selected: 0,
            start: 0,
        });
    }
    let start = typed
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &typed[start..];
    let partial = word.strip_prefix('@')?;
    let items = paths(partial, workspace);
    (!items.is_empty()).then(|| Completion {
        items,
        selected: 0,
        start: typed[..start].chars().count(),
    })
}

/// Workspace entries that complete `partial` (`src/ma` → `src/main.rs`);
/// hidden ones only when asked for with a leading dot.
fn paths(partial: &str, workspace: &Path) -> Vec<Item> {
    let (folder, stem) = match partial.rfind('/') {
        Some(slash) => (&partial[..=slash], &partial[slash + 1..]),
        None => ("", partial),
    };
    if folder.split('/').any(|part| part == "..") || folder.starts_with('/') {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(workspace.join(folder)) else {
        return Vec::new();
    };
    let mut items: Vec<Item> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let wanted =
                name.starts_with(stem) && (stem.starts_with('.') || !name.starts_with('.'));
            if !wanted {
                return None;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            Some(Item {
                text: format!("@{folder}{name}{}", if is_dir { "/" } else { "" }),
                note: if is_dir {
                    "folder".into()
                } else {
                    String::new()
                },
            })
        })
        .collect();
    items.sort_by(|a, b| a.text.cmp(&b.text));
    items.truncate(MAX_ITEMS);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands() -> Vec<(String, String)> {
        [
            "/checkpoint",
            "/checkpoint list",
            "/checkpoint diff",
            "/clear",
            "/tools",
        ]
        .iter()
        .map(|c| (c.to_string(), String::new()))
        .collect()
    }

    #[test]
    fn slash_commands_complete_by_prefix() {
        let root = Path::new("/nonexistent");
        let found = complete("/c", 2, &commands(), root).unwrap();
        let names: Vec<&str> = found.items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "/checkpoint",
                "/checkpoint list",
                "/checkpoint diff",
                "/clear"
            ]
        );
        let found = complete("/checkpoint l", 13, &commands(), root).unwrap();
        assert_eq!(found.items[0].text, "/checkpoint list");
        assert_eq!(
            found.apply("/checkpoint l", 13),
            Some(("/checkpoint list ".into(), 17))
        );
        assert!(complete("hello /c", 8, &commands(), root).is_none());
    }

    #[test]
    fn paths_complete_after_an_at_sign() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "").unwrap();
        std::fs::write(dir.path().join(".env"), "").unwrap();
        let found = complete("look at @s", 10, &[], dir.path()).unwrap();
        assert_eq!(found.items[0].text, "@src/");
        assert_eq!(
            found.apply("look at @s", 10),
            Some(("look at @src/".into(), 13))
        );
        let found = complete("@src/m", 6, &[], dir.path()).unwrap();
        assert_eq!(found.items[0].text, "@src/main.rs");
        assert!(
            complete("@", 1, &[], dir.path())
                .unwrap()
                .items
                .iter()
                .all(|i| i.text != "@.env")
        );
        assert!(complete("@../", 4, &[], dir.path()).is_none());
    }
}
