//! The model's turns in spec mode. A document is drafted in a read-only
//! turn (the model may read the code, and only read) whose reply is the
//! document; the program checks its form and writes it, or asks once more
//! with what was wrong. Checks for a task written without any (a Kiro
//! spec) are planned the way `/goal` plans its checks: the model states
//! them with `set_checks`.

use super::tasks::{self, Task};
use super::{Spec, Stage};
use crate::engine::{Emit, Session, TurnOptions, TurnOutcome};

/// Model requests a drafting turn may make (reading the code included).
const DRAFT_REQUESTS: usize = 30;

/// Drafts `stage` for `spec` (`request` is the person's prompt for the
/// requirements) and writes it; nothing is written when the model's
/// reply cannot be used after a second try.
pub async fn document(
    session: &mut Session,
    spec: &Spec,
    stage: Stage,
    request: &str,
    emit: &mut Emit<'_>,
) -> Result<(), String> {
    let mut prompt = drafting_prompt(spec, stage, request);
    let mut problem = String::new();
    for _ in 0..2 {
        let reply = read_only_turn(session, &prompt, false, emit).await?.text;
        let found = document_of(&reply)
            .ok_or_else(|| {
                "the reply held no markdown document (it must start with a `# ` heading)"
                    .to_string()
            })
            .and_then(|document| match problem_with(stage, &document) {
                Some(problem) => Err(problem),
                None => Ok(document),
            });
        match found {
            Ok(document) => return spec.write(stage, &document),
            Err(why) => {
                prompt = format!(
                    "That {} cannot be used: {why}. Reply with the whole corrected document and nothing else.",
                    stage.file()
                );
                problem = why;
            }
        }
    }
    Err(format!(
        "the model's {} could not be used ({problem}); nothing was written, and `/spec approve {}` tries again",
        stage.file(),
        spec.name
    ))
}

/// Plans checks for the open tasks (or only `only`) that have none, and
/// writes them into `tasks.md`; the ids of the tasks that got checks.
pub async fn plan_missing_checks(
    session: &mut Session,
    spec: &Spec,
    only: Option<&str>,
    emit: &mut Emit<'_>,
) -> Result<Vec<String>, String> {
    let text = spec.read(Stage::Tasks)?;
    let unchecked: Vec<Task> = tasks::parse(&text)
        .into_iter()
        .filter(|t| t.runnable() && !t.done && t.checks.is_empty())
        .filter(|t| only.map_or(!t.optional, |id| t.id == id))
        .collect();
    let mut planned = Vec::new();
    for task in unchecked {
        let prompt = check_planning_prompt(spec, &task);
        let outcome = read_only_turn(session, &prompt, true, emit).await?;
        let checks = outcome.checks.unwrap_or_default();
        if checks.is_empty() {
            return Err(format!(
                "the model stated no checks for task {} ({}); add `- check: CMD` lines under it in tasks.md",
                task.id, task.title
            ));
        }
        let current = spec.read(Stage::Tasks)?;
        spec.write(
            Stage::Tasks,
            &tasks::add_checks(&current, &task.id, &checks),
        )?;
        planned.push(task.id);
    }
    Ok(planned)
}

async fn read_only_turn(
    session: &mut Session,
    prompt: &str,
    must_act: bool,
    emit: &mut Emit<'_>,
) -> Result<TurnOutcome, String> {
    let options = TurnOptions {
        max_requests: DRAFT_REQUESTS,
        planning: true,
        keep_repetitions: false,
        must_act,
    };
    session
        .run_turn_with(prompt, &options, emit)
        .await
        .map_err(|e| format!("the model's turn failed: {e}"))
}

/// The document in a reply: from its first `# ` heading, out of a
/// ```` ```markdown ```` fence if it was put in one.
pub fn document_of(reply: &str) -> Option<String> {
    let start = reply.lines().position(|line| line.starts_with("# "))?;
    let lines: Vec<&str> = reply.lines().skip(start).collect();
    let end = match reply
        .lines()
        .take(start)
        .any(|l| l.trim_start().starts_with("```"))
    {
        true => lines
            .iter()
            .rposition(|l| l.trim() == "```")
            .unwrap_or(lines.len()),
        false => lines.len(),
    };
    let document = lines[..end].join("\n").trim_end().to_string();
    Some(document + "\n")
}

/// What makes `document` unusable as `stage`, if anything.
fn problem_with(stage: Stage, document: &str) -> Option<String> {
    match stage {
        Stage::Requirements if !document.contains("SHALL") => Some(
            "its acceptance criteria are not in EARS form (`WHEN … THE SYSTEM SHALL …`)".into(),
        ),
        Stage::Tasks => {
            let tasks = tasks::parse(document);
            let unchecked: Vec<&str> = tasks
                .iter()
                .filter(|t| t.runnable() && !t.done && t.checks.is_empty())
                .map(|t| t.id.as_str())
                .collect();
            match (tasks.is_empty(), unchecked.is_empty()) {
                (true, _) => Some("it has no `- [ ] 1. …` task".into()),
                (false, false) => Some(format!(
                    "task(s) {} have no `- check: CMD` line",
                    unchecked.join(", ")
                )),
                (false, true) => None,
            }
        }
        _ => None,
    }
}

fn drafting_prompt(spec: &Spec, stage: Stage, request: &str) -> String {
    let folder = format!(".kiro/specs/{}", spec.name);
    let form = match stage {
        Stage::Requirements => format!(
            "Write the requirements document for this feature: {request}\n\nForm: `# Requirements Document`, `## Introduction` (a short paragraph), then `## Requirements` with one `### Requirement N` per user story, each holding `**User Story:** As a …, I want …, so that …` and `#### Acceptance Criteria`: a numbered list in EARS form, `WHEN <event> THE SYSTEM SHALL <response>` (or `IF <condition> THEN THE SYSTEM SHALL …`, `WHILE …`)."
        ),
        Stage::Design => format!(
            "Write the design document for the approved requirements in {folder}/requirements.md (read it first, and the code it concerns).\n\nForm: `# Design Document` with `## Overview`, `## Architecture`, `## Components and Interfaces`, `## Data Models`, `## Error Handling` and `## Testing Strategy`."
        ),
        Stage::Tasks => format!(
            "Write the implementation plan for the approved requirements and design in {folder}/requirements.md and {folder}/design.md (read them first).\n\nForm: `# Implementation Plan`, then a checklist of coding tasks in order, `- [ ] 1. Title` (sub-tasks `  - [ ] 1.1 Title`), each with detail bullets, `- _Requirements: 1.1, 2.3_`, and one or more `- check: \\`CMD\\`` lines: shell commands this agent may run unasked that fail now and pass once the task is done (a test file, a type check of one module). The program runs them to decide when a task is done."
        ),
    };
    format!(
        "Spec `{}`, stage {}. Read files if you need to; change nothing. {form}\n\nReply with the markdown document only; the program writes it to {folder}/{}.",
        spec.name,
        stage.name(),
        stage.file()
    )
}

fn check_planning_prompt(spec: &Spec, task: &Task) -> String {
    format!(
        "Spec `{name}` (.kiro/specs/{name}), task {id}: {title}\n{details}\nState this task's acceptance checks by calling `set_checks`: shell commands this agent's shell policy allows to run unasked, at least one of which fails now and passes once the task is done (a test file, a type check of one module). Change nothing.",
        name = spec.name,
        id = task.id,
        title = task.title,
        details = task
            .details
            .iter()
            .map(|d| format!("- {d}\n"))
            .collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_found_in_prose_or_a_fence() {
        assert_eq!(
            document_of("Here it is:\n# Requirements Document\nWHEN x THE SYSTEM SHALL y\n")
                .unwrap(),
            "# Requirements Document\nWHEN x THE SYSTEM SHALL y\n"
        );
        assert_eq!(
            document_of("```markdown\n# Design Document\n## Overview\n```\nDone.").unwrap(),
            "# Design Document\n## Overview\n"
        );
        assert_eq!(document_of("no heading here"), None);
    }

    #[test]
    fn requirements_need_ears_and_tasks_need_checks() {
        assert!(problem_with(Stage::Requirements, "# R\n1. It works\n").is_some());
        assert!(problem_with(Stage::Requirements, "# R\n1. WHEN a THE SYSTEM SHALL b\n").is_none());
        let unchecked = "# Implementation Plan\n- [ ] 1. A\n  - check: `true`\n- [ ] 2. B\n";
        assert!(
            problem_with(Stage::Tasks, unchecked)
                .unwrap()
                .contains("task(s) 2")
        );
        assert!(problem_with(Stage::Tasks, "# Implementation Plan\n").is_some());
        assert!(problem_with(Stage::Design, "# Design Document\n").is_none());
    }
}
