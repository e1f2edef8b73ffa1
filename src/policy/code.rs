//! The `code` tool, judged like `read`: each path it names (`file_path`,
//! `path`; the workspace when it names none) must pass `read`'s rules, and
//! what `read.deniedPaths` or the credential rules cover is [`Hidden`]
//! from its index and results. Its rewrites are not judged here: the
//! dispatcher hands them to the `write` tool, whose rules judge each file.

use std::path::Path;

use serde_json::Value;

use super::decision::Judgement;
use super::paths::{PathRules, Roots, is_sensitive};
use super::{Policy, Reason, Trust};

/// The paths a read-only tool that walks the workspace on its own (the
/// code index) must never open or show.
#[derive(Debug, Clone, Default)]
pub struct Hidden {
    rules: Option<(PathRules, Roots)>,
}

impl Hidden {
    /// Whether `path` (absolute) is hidden: under `read.deniedPaths`, or
    /// credentials.
    pub fn hides(&self, path: &Path) -> bool {
        let Some((denied, roots)) = &self.rules else {
            return false;
        };
        denied.matching(path, roots).is_some() || is_sensitive(path, roots)
    }
}

impl Policy {
    /// What the code index must never read for this agent.
    pub fn hidden(&self) -> Hidden {
        Hidden {
            rules: Some((self.read.denied.clone(), self.roots.clone())),
        }
    }

    /// Judges a `code` call: each path it names as a `read` of it.
    pub(super) fn judge_code(
        &self,
        input: &Value,
        pre_approved: Option<&Reason>,
        trust: &Trust,
        judgement: &mut Judgement,
    ) {
        let named: Vec<&str> = ["file_path", "path"]
            .iter()
            .filter_map(|key| input.get(*key).and_then(Value::as_str))
            .collect();
        let paths = if named.is_empty() { vec!["."] } else { named };
        for path in paths {
            self.judge_read_path("read", path, pre_approved, trust, judgement);
        }
    }
}
