//! The dependency direction of `../shared/design.md`, checked: every
//! `crate::MODULE` a source file names (in a `use` line or a path in code,
//! comments left out) must be a module below its own, in this order:
//!
//! `atomic, paths, out, exit, protected, provider` ← `config` ← `policy`, `settings`
//! ← `sandbox` ← `code` ← `tools` ← `hooks`, `mcp` ← `checkpoint` ← `engine` ←
//! `goal` ← `spec` ← `chat` (the controller) ← `ui`, `acp` ← `cli` ← `commands`.
//!
//! Modules on one level may not use each other either, so no cycle can
//! hide among them. An edge against this order fails with the file, the
//! line and the two modules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

use std::path::{Path, PathBuf};

/// Each top-level module's level; a module may use only lower levels.
const LEVELS: &[(&str, u32)] = &[
    ("atomic", 0),
    ("paths", 0),
    ("out", 0),
    ("exit", 0),
    ("protected", 0),
    ("provider", 0),
    ("config", 1),
    ("policy", 2),
    ("settings", 2),
    ("sandbox", 3),
    ("code", 4),
    ("tools", 5),
    ("hooks", 6),
    ("mcp", 6),
    ("checkpoint", 7),
    ("engine", 8),
    ("goal", 9),
    ("spec", 10),
    ("chat", 11),
    ("ui", 12),
    ("acp", 12),
    ("cli", 13),
    ("commands", 14),
];

fn level(module: &str) -> Option<u32> {
    LEVELS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, level)| *level)
}

/// The top-level module a source file belongs to (`src/engine/turn.rs` is
/// in `engine`); `None` for the crate roots.
fn module_of(file: &Path, src: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

fn sources(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules `line` names as `crate::NAME`, including inside
/// `use crate::{a, b::c}` groups.
fn named_modules(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        } else {
            names.push(
                after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
        rest = after;
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

#[test]
fn no_module_uses_one_above_or_beside_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "the sources were found: {}", files.len());
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for file in &files {
        let Some(module) = module_of(file, &src) else {
            continue;
        };
        let Some(own) = level(&module) else {
            unknown.push(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for used in named_modules(line) {
                if used == module {
                    continue;
                }
                match level(&used) {
                    Some(theirs) if theirs < own => {}
                    Some(_) => wrong.push(format!(
                        "{}:{}: `{module}` uses `{used}`, which is not below it",
                        file.display(),
                        number + 1
                    )),
                    None => unknown.push(used),
                }
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "give these modules a level in LEVELS (and in design.md): {unknown:?}"
    );
    assert!(
        wrong.is_empty(),
        "imports against the dependency direction:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn grouped_and_nested_paths_are_read() {
    assert_eq!(
        named_modules("use crate::{config, policy::Decision};"),
        ["config", "policy"]
    );
    assert_eq!(
        named_modules("    let x = crate::engine::store::now(); // crate::ui"),
        ["engine"]
    );
    assert!(
        named_modules("see [`crate::chat`] // crate::ui")
            .iter()
            .all(|m| m == "chat"),
        "what follows `//` is a comment"
    );
}
