//! `tasks.md`, read and changed in place: Kiro's checklist of numbered
//! tasks (`- [ ] 2.1 Create the model`), with detail bullets under each,
//! `_Requirements: 1.2, 3.1_`, and ours: `- check: CMD` lines, the shell
//! commands that must fail before the task and pass after it.
//!
//! Only the checkbox and the check lines are ever rewritten, so a file
//! Kiro wrote keeps its wording, its notes and its mermaid diagram.
//! Kiro's markers are understood: `[x]` done, `[ ]` open, `[~]` and `[-]`
//! in progress (open here), and `[ ]*` an optional task, which a run skips
//! unless it is named.

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its number (`2.1`), or its place in the list when it has none.
    pub id: String,
    /// The text after the number.
    pub title: String,
    /// Ticked (`[x]`).
    pub done: bool,
    /// Marked optional (`[ ]*`).
    pub optional: bool,
    /// It has sub-tasks: it is done when they are, and is not run itself.
    pub parent: bool,
    /// Its detail bullets, without their markers (checks and requirements
    /// included, as written).
    pub details: Vec<String>,
    /// The requirements it covers (`_Requirements: 1.1, 2.3_`).
    pub requirements: Vec<String>,
    /// Its acceptance checks (`- check: CMD`).
    pub checks: Vec<String>,
    /// Its line in the file (0-based).
    line: usize,
    /// The indentation of its checkbox line.
    indent: usize,
    /// The last line that belongs to it (its details), before sub-tasks.
    last_line: usize,
}

impl Task {
    /// Runnable: not a parent (sub-tasks run instead).
    pub fn runnable(&self) -> bool {
        !self.parent
    }
}

/// A checkbox line: indentation, marker, optional star, the rest.
fn checkbox(line: &str) -> Option<(usize, char, bool, &str)> {
    let indent = line.len() - line.trim_start().len();
    let rest = line.trim_start().strip_prefix("- [")?;
    let mut chars = rest.chars();
    let mark = chars.next()?;
    let rest = chars.as_str().strip_prefix(']')?;
    let (optional, rest) = match rest.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let rest = rest.strip_prefix(' ')?;
    matches!(mark, ' ' | 'x' | 'X' | '~' | '-').then_some((indent, mark, optional, rest.trim()))
}

/// `2.1 Create X` or `2. Create X` → (`2.1`, `Create X`).
fn numbered(text: &str) -> Option<(String, String)> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let number = text[..end].trim_end_matches('.');
    let title = text[end..].trim();
    let valid = !number.is_empty() && number.split('.').all(|p| !p.is_empty());
    (valid && !title.is_empty() && text[end..].starts_with(' '))
        .then(|| (number.to_string(), title.to_string()))
}

/// A detail bullet's text, when `line` is one indented under a task.
fn detail(line: &str, task_indent: usize) -> Option<&str> {
    let indent = line.len() - line.trim_start().len();
    let text = line.trim_start();
    let bullet = text
        .strip_prefix("- ")
        .or_else(|| text.strip_prefix("* "))?;
    (indent > task_indent || indent == task_indent && !bullet.starts_with('['))
        .then(|| bullet.trim())
}

/// The command of a `check: CMD` detail (backticks around it dropped).
pub fn check_of(detail: &str) -> Option<String> {
    let rest = detail
        .strip_prefix("check:")
        .or_else(|| detail.strip_prefix("Check:"))?
        .trim();
    let command = rest
        .strip_prefix('`')
        .and_then(|r| r.strip_suffix('`'))
        .unwrap_or(rest)
        .trim();
    (!command.is_empty()).then(|| command.to_string())
}

/// The ids of a `_Requirements: 1.1, 2.3_` detail.
fn requirements_of(detail: &str) -> Option<Vec<String>> {
    let rest = detail.trim_matches('_').trim();
    let list = rest
        .strip_prefix("Requirements:")
        .or_else(|| rest.strip_prefix("Requirement:"))?;
    Some(
        list.split(',')
            .map(|r| r.trim().trim_matches('_').to_string())
            .filter(|r| !r.is_empty())
            .collect(),
    )
}

/// Every task in `text`, in file order.
pub fn parse(text: &str) -> Vec<Task> {
    let lines: Vec<&str> = text.lines().collect();
    let mut tasks: Vec<Task> = Vec::new();
    let mut in_fence = false;
    // Details attach to the last task until a heading ends its section.
    let mut open = false;
    for (number, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with('#') {
            open = false;
            continue;
        }
        if let Some((indent, mark, optional, rest)) = checkbox(line) {
            let (id, title) =
                numbered(rest).unwrap_or_else(|| ((tasks.len() + 1).to_string(), rest.to_string()));
            if let Some(parent) = tasks
                .iter_mut()
                .rev()
                .find(|t| is_parent_of(t, indent, &id))
            {
                parent.parent = true;
            }
            tasks.push(Task {
                id,
                title,
                done: matches!(mark, 'x' | 'X'),
                optional,
                parent: false,
                details: Vec::new(),
                requirements: Vec::new(),
                checks: Vec::new(),
                line: number,
                indent,
                last_line: number,
            });
            open = true;
            continue;
        }
        let Some(task) = tasks.last_mut().filter(|_| open) else {
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        let Some(text) = detail(line, task.indent) else {
            continue;
        };
        task.last_line = number;
        if let Some(command) = check_of(text) {
            task.checks.push(command);
        }
        if let Some(ids) = requirements_of(text) {
            task.requirements.extend(ids);
        }
        task.details.push(text.to_string());
    }
    tasks
}

/// `candidate` is the parent of a task at `indent` numbered `id`: it is
/// less indented, or (Kiro's flat form) `id` extends its number.
fn is_parent_of(candidate: &Task, indent: usize, id: &str) -> bool {
    indent > candidate.indent
        || id
            .strip_prefix(&candidate.id)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Whether `task` lies under `parent` (is one of its sub-tasks).
pub fn is_under(task: &Task, parent: &Task) -> bool {
    task.id
        .strip_prefix(&parent.id)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// `text` with task `id` ticked, and every parent whose sub-tasks are all
/// ticked then ticked too.
pub fn tick(text: &str, id: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    set_done(&mut lines, id);
    loop {
        let tasks = parse(&lines.join("\n"));
        let finished = tasks.iter().find(|parent| {
            parent.parent
                && !parent.done
                && tasks
                    .iter()
                    .filter(|t| is_under(t, parent))
                    .all(|t| t.done || t.optional)
        });
        match finished {
            Some(parent) => {
                let id = parent.id.clone();
                set_done(&mut lines, &id);
            }
            None => break,
        }
    }
    with_ending(lines, text)
}

fn set_done(lines: &mut [String], id: &str) {
    let Some(task) = parse(&lines.join("\n")).into_iter().find(|t| t.id == id) else {
        return;
    };
    let line = &mut lines[task.line];
    if let Some(open) = line.find("- [") {
        line.replace_range(open + 3..open + 4, "x");
    }
}

/// `text` with `checks` added under task `id` as `- check: CMD` lines,
/// after its last detail.
pub fn add_checks(text: &str, id: &str, checks: &[String]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let Some(task) = parse(text).into_iter().find(|t| t.id == id) else {
        return text.to_string();
    };
    let indent = " ".repeat(task.indent + 2);
    let new = checks.iter().map(|c| format!("{indent}- check: `{c}`"));
    let at = task.last_line + 1;
    lines.splice(at..at, new);
    with_ending(lines, text)
}

/// Joins `lines`, keeping `original`'s final newline.
fn with_ending(lines: Vec<String>, original: &str) -> String {
    let mut text = lines.join("\n");
    if original.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "# Implementation Plan\n\n- [ ] 1. Type the units module\n  - Add hints to every function\n  - _Requirements: 1.1, 1.2_\n  - check: `mypy --strict src/pantry/units.py`\n  - check: python -m pytest -q\n\n- [x] 2. Done already\n  - check: `true`\n";

    #[test]
    fn tasks_their_checks_and_requirements_are_read() {
        let tasks = parse(OURS);
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].id, "1");
        assert_eq!(tasks[0].title, "Type the units module");
        assert_eq!(
            tasks[0].checks,
            ["mypy --strict src/pantry/units.py", "python -m pytest -q"]
        );
        assert_eq!(tasks[0].requirements, ["1.1", "1.2"]);
        assert!(!tasks[0].done && tasks[1].done);
    }

    #[test]
    fn ticking_changes_only_the_checkbox() {
        let ticked = tick(OURS, "1");
        assert_eq!(ticked, OURS.replacen("- [ ] 1.", "- [x] 1.", 1));
        assert_eq!(tick(OURS, "9"), OURS, "an unknown id changes nothing");
    }

    #[test]
    fn a_parent_is_ticked_with_its_last_sub_task() {
        let nested = "- [ ] 2. Models\n  - [x] 2.1 User\n  - [ ] 2.2 Order\n  - [ ]* 2.3 Optional tests\n- [ ] 3. Next\n";
        let tasks = parse(nested);
        assert!(tasks[0].parent && !tasks[1].parent && tasks[3].optional);
        let ticked = tick(nested, "2.2");
        assert!(ticked.starts_with("- [x] 2. Models"), "{ticked}");
        assert!(ticked.contains("- [ ]* 2.3") && ticked.contains("- [ ] 3. Next"));
    }

    #[test]
    fn kiros_flat_sub_tasks_belong_to_their_parent() {
        let flat = "- [ ] 2. Implement models\n- [ ] 2.1 Create interfaces\n  - Write types\n- [ ] 2.2 User model\n- [ ] 3. Storage\n";
        let tasks = parse(flat);
        assert!(tasks[0].parent);
        assert!(!tasks[1].parent && !tasks[3].parent);
        assert_eq!(tasks[1].details, ["Write types"]);
    }

    #[test]
    fn checks_are_added_after_the_tasks_details() {
        let text = "- [ ] 1. A\n  - detail\n  - _Requirements: 1.1_\n\n- [ ] 2. B\n";
        let added = add_checks(text, "1", &["pytest -q tests/test_a.py".to_string()]);
        assert_eq!(
            added,
            "- [ ] 1. A\n  - detail\n  - _Requirements: 1.1_\n  - check: `pytest -q tests/test_a.py`\n\n- [ ] 2. B\n"
        );
        assert_eq!(parse(&added)[0].checks, ["pytest -q tests/test_a.py"]);
        assert!(parse(&added)[1].checks.is_empty());
    }

    #[test]
    fn a_heading_ends_the_last_tasks_details() {
        let tasks = parse("- [ ] 1. A\n  - check: `x`\n\n## Notes\n\n- check: `not a check`\n");
        assert_eq!(tasks[0].checks, ["x"]);
    }

    #[test]
    fn in_progress_and_unnumbered_items_are_open_tasks() {
        let tasks = parse("- [~] 1.1 Started\n- [-] Doing\n```\n- [ ] 9. in a fence\n```\n");
        assert_eq!(tasks.len(), 2);
        assert!(!tasks[0].done && !tasks[1].done);
        assert_eq!(tasks[1].id, "2");
    }
}
