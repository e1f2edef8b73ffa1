//! Paths a goal watches or makes read-only (`/goal --protect GLOB`), matched
//! as `.gitignore` lines are: a pattern without `/` names files in any
//! folder (`test_*.py`, `conftest.py`), one with `/` is a path from the
//! workspace root (`tests/**`, `src/api.py`).

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Compiled path globs, relative to the workspace.
#[derive(Debug, Clone)]
pub struct PathGlobs {
    set: GlobSet,
    /// The pattern behind each glob of `set`, to name the one that matched.
    patterns: Vec<String>,
}

impl PathGlobs {
    /// Compiles `patterns`; an error names the one that does not parse.
    pub fn new(patterns: &[String]) -> Result<PathGlobs, String> {
        let mut builder = GlobSetBuilder::new();
        let mut names = Vec::new();
        for pattern in patterns {
            let trimmed = pattern.trim_start_matches("./").trim_start_matches('/');
            let base = match trimmed.contains('/') {
                true => trimmed.trim_end_matches('/').to_string(),
                false => format!("**/{trimmed}"),
            };
            for glob in [base.clone(), format!("{base}/**")] {
                let glob = GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("`{pattern}` is not a valid glob: {}", e.kind()))?;
                builder.add(glob);
                names.push(pattern.clone());
            }
        }
        let set = builder
            .build()
            .map_err(|e| format!("the globs do not compile: {e}"))?;
        Ok(PathGlobs {
            set,
            patterns: names,
        })
    }

    /// The pattern covering `relative` (a path from the workspace root).
    pub fn matching(&self, relative: &Path) -> Option<&str> {
        self.set
            .matches(relative)
            .first()
            .map(|i| self.patterns[*i].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_anywhere_and_paths_from_the_root() {
        let globs = PathGlobs::new(&[
            "tests/**".into(),
            "test_*.py".into(),
            "conftest.py".into(),
            "src/api.py".into(),
        ])
        .unwrap();
        for (path, expected) in [
            ("tests/unit/test_x.py", Some("tests/**")),
            ("pkg/test_inventory.py", Some("test_*.py")),
            ("deep/down/conftest.py", Some("conftest.py")),
            ("src/api.py", Some("src/api.py")),
            ("lib/src/api.py", None),
            ("src/inventory.py", None),
            ("contest.py", None),
        ] {
            assert_eq!(globs.matching(Path::new(path)), expected, "{path}");
        }
        assert!(PathGlobs::new(&["a[".into()]).unwrap_err().contains("`a[`"));
    }
}
