//! Checks that must fail first. Before the first iteration the goal runs
//! its checks at the baseline. A check that already passes there is a
//! guard: it must keep passing, but it shows no progress. When every check
//! passes at the baseline, one more planning turn tells the model so and
//! asks for a check that fails now and would pass once the objective is
//! done; with none, the goal ends `unverified`, never `met`.

use super::checks::ApprovedCheck;
use super::report::{CheckResult, GoalStatus};
use super::run::{Goal, Stop, bullet_list};
use crate::engine::{Event, Session, TurnOptions};

/// Why a goal whose checks all pass before any work is unverified.
pub const ALL_PASS_AT_BASELINE: &str = "every check already passed at the baseline, before any change, so none can show that the objective was reached; a check that fails now and passes once the objective is done is needed (for type hints, `mypy --strict src`)";

impl Goal<'_> {
    /// Runs `approved` at the baseline and records the results; when all
    /// pass, asks the model once for a check that fails now. Returns the
    /// checks to run after each iteration, or `None` when the goal ended
    /// `unverified` because none can fail.
    pub(super) async fn red_first(
        &mut self,
        session: &mut Session,
        mut approved: Vec<ApprovedCheck>,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Option<Vec<ApprovedCheck>>, Stop> {
        if approved.is_empty() {
            return Ok(Some(approved));
        }
        self.report.baseline = self.verify(session, "baseline", 0, &approved, emit).await?;
        if !all_pass(&self.report.baseline) {
            return Ok(Some(approved));
        }
        let added: Vec<String> = self
            .ask_for_a_failing_check(session, emit)
            .await?
            .into_iter()
            .filter(|command| !self.report.checks.contains(command))
            .collect();
        if !added.is_empty() {
            let more = self.approve(session, &added)?;
            self.report.checks.extend(added);
            let results = self.verify(session, "baseline", 0, &more, emit).await?;
            self.report.baseline.extend(results);
            approved.extend(more);
        }
        if all_pass(&self.report.baseline) {
            self.end(GoalStatus::Unverified, ALL_PASS_AT_BASELINE);
            return Ok(None);
        }
        Ok(Some(approved))
    }

    /// The extra planning turn: the checks it stated with `set_checks`.
    async fn ask_for_a_failing_check(
        &mut self,
        session: &mut Session,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Vec<String>, Stop> {
        emit(Event::GoalProgress {
            phase: "plan".into(),
            iteration: 0,
            max: self.report.max_iterations,
            detail: "every check passes at the baseline: asking for one that fails now".into(),
        });
        let options = TurnOptions {
            max_requests: self.limits.requests,
            planning: true,
            keep_repetitions: true,
        };
        let prompt = format!(
            "Every acceptance check already passes now, before any change:\n{}\n\nThey stay as guards (they must keep passing), but they cannot show that the objective was reached. Call `set_checks` with at least one more shell command that FAILS now and will pass once the objective is done (for type hints, for example `mypy --strict src`). The program runs it now to see it fail. Without such a check the goal ends unverified.",
            bullet_list(&self.report.checks)
        );
        let outcome = self.turn(session, &prompt, &options, emit).await?;
        Ok(outcome.and_then(|o| o.checks).unwrap_or_default())
    }
}

/// Every result passed (and there is at least one).
fn all_pass(results: &[CheckResult]) -> bool {
    !results.is_empty() && results.iter().all(CheckResult::passed)
}

/// The implementing prompt's line on guards: the checks that passed at the
/// baseline, which must keep passing.
pub(super) fn guards_note(baseline: &[CheckResult]) -> String {
    let guards: Vec<String> = baseline
        .iter()
        .filter(|r| r.passed())
        .map(|r| r.command.clone())
        .collect();
    match guards.is_empty() {
        true => String::new(),
        false => format!(
            "\nThese checks already passed before any change; they are guards and must keep passing:\n{}\n",
            bullet_list(&guards)
        ),
    }
}
