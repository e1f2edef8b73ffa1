//! A goal's command line, parsed with clap like every other command line:
//! `/goal [--max N] [--check CMD]… [--protect GLOB]… OBJECTIVE`, split into
//! words as a shell would, so `--check 'python -m pytest -q'` is one check.

use clap::Parser;

/// Files a goal watches by default: tests and the configuration of the
/// usual checks. Checks that pass only after one of these changed are
/// reported as `met_with_changed_tests`.
pub const WATCHED_BY_DEFAULT: &[&str] = &[
    "tests/**",
    "test_*.py",
    "*_test.*",
    "conftest.py",
    "pytest.ini",
    "mypy.ini",
    "setup.cfg",
    "pyproject.toml",
    "package.json",
    "Cargo.toml",
];

/// A goal as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "/goal",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
pub struct GoalSpec {
    /// Iterations (implement, then verify) before the goal is given up as not met.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max: u32,
    /// An acceptance check: a shell command that exits 0 when the goal is met
    /// (repeatable). Without any, the model states them while planning.
    #[arg(long = "check", value_name = "CMD")]
    pub checks: Vec<String>,
    /// Files the goal may not change (repeatable; a name like `conftest.py` matches in any
    /// folder, a path like `tests/**` from the workspace root). Also watched.
    #[arg(long = "protect", value_name = "GLOB")]
    pub protect: Vec<String>,
    /// Model requests one iteration may make.
    #[arg(long, default_value_t = 60)]
    pub max_requests: usize,
    /// Minutes one iteration may take.
    #[arg(long, default_value_t = 15)]
    pub max_minutes: u64,
    /// What to achieve.
    #[arg(
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "OBJECTIVE"
    )]
    pub objective: Vec<String>,
}

impl GoalSpec {
    /// Parses the words after `/goal`; the error is clap's, for the user.
    pub fn parse_line(line: &str) -> Result<GoalSpec, String> {
        let words = shlex::split(line)
            .ok_or_else(|| "error: unbalanced quotes in the /goal line".to_string())?;
        GoalSpec::try_parse_from(words).map_err(|e| e.render().to_string())
    }

    /// The objective as one line.
    pub fn objective(&self) -> String {
        self.objective.join(" ")
    }

    /// The globs watched for changed tests: the defaults and `--protect`.
    pub fn watched(&self) -> Vec<String> {
        WATCHED_BY_DEFAULT
            .iter()
            .map(|g| g.to_string())
            .chain(self.protect.iter().cloned())
            .collect()
    }
}

/// The words after `/goal` when `line` is a goal command (`/goal` alone
/// gives an empty string); `None` for anything else.
pub fn goal_words(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("/goal")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goal_line_is_split_as_a_shell_would() {
        let spec = GoalSpec::parse_line(
            "--max 3 --check 'python -m pytest -q' --check \"mypy src\" --protect tests/** add type hints",
        )
        .unwrap();
        assert_eq!(spec.max, 3);
        assert_eq!(spec.checks, ["python -m pytest -q", "mypy src"]);
        assert_eq!(spec.protect, ["tests/**"]);
        assert_eq!(spec.objective(), "add type hints");
        assert!(spec.watched().contains(&"conftest.py".to_string()));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(
            GoalSpec::parse_line("--max 0 x")
                .unwrap_err()
                .contains("--max")
        );
        assert!(
            GoalSpec::parse_line("--check")
                .unwrap_err()
                .contains("--check")
        );
        assert!(GoalSpec::parse_line("").unwrap_err().contains("OBJECTIVE"));
        assert!(
            GoalSpec::parse_line("'open")
                .unwrap_err()
                .contains("quotes")
        );
        assert_eq!(GoalSpec::parse_line("x").unwrap().max, 5, "Kiro's default");
        let tutorial =
            GoalSpec::parse_line("--max 8 fix it, then run python -m pytest -q").unwrap();
        assert_eq!(
            tutorial.objective(),
            "fix it, then run python -m pytest -q",
            "options end where the objective starts"
        );
    }

    #[test]
    fn goal_lines_are_recognised() {
        assert_eq!(goal_words("/goal --max 2 fix it"), Some("--max 2 fix it"));
        assert_eq!(goal_words("/goal"), Some(""));
        assert_eq!(goal_words("/goals"), None);
        assert_eq!(goal_words("fix the goal"), None);
    }
}
