//! Noticing a model that repeats itself: the same call (tool and
//! arguments) with the same result. The [`NOTE_AT`]th time, a note is
//! appended to the result the model sees; the [`LOOP_AT`]th time, the turn
//! ends with the stop reason `loop`. A turn starts with a fresh count; a
//! goal keeps one count over all its turns.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// The repetition at which the model is told it is repeating itself.
pub const NOTE_AT: u32 = 3;
/// The repetition that ends the turn.
pub const LOOP_AT: u32 = 5;

/// The note appended to a repeated result.
pub const NOTE: &str = "\n\n[agent: this is the same result as before, for the same call; do something else or finish]";

/// Counts of (call, result) pairs seen.
#[derive(Debug, Clone, Default)]
pub struct Repetition {
    seen: HashMap<u64, u32>,
}

impl Repetition {
    /// Records one call of `tool` with `input` that returned `output`;
    /// returns how many times that exact pair has now been seen.
    pub fn observe(&mut self, tool: &str, input: &Value, output: &str) -> u32 {
        let mut hasher = DefaultHasher::new();
        (tool, input.to_string(), output).hash(&mut hasher);
        let count = self.seen.entry(hasher.finish()).or_default();
        *count += 1;
        *count
    }

    /// Forgets every pair (a new turn).
    pub fn clear(&mut self) {
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_call_with_the_same_result_counts() {
        let mut seen = Repetition::default();
        let input = serde_json::json!({"command": "python -m pytest -q"});
        assert_eq!(seen.observe("shell", &input, "1 passed"), 1);
        assert_eq!(seen.observe("shell", &input, "1 failed"), 1);
        assert_eq!(seen.observe("read", &input, "1 passed"), 1);
        assert_eq!(seen.observe("shell", &input, "1 passed"), 2);
        seen.clear();
        assert_eq!(seen.observe("shell", &input, "1 passed"), 1);
    }
}
