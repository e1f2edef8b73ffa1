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

/// Why a goal without checks is unverified.
pub const NO_CHECKS: &str = "there are no checks, so the goal cannot be verified";

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
            return self.ask_for_checks(session, emit).await;
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

    /// Planning stated no checks: one more planning turn asks for them;
    /// they must fail first as any others.
    async fn ask_for_checks(
        &mut self,
        session: &mut Session,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Option<Vec<ApprovedCheck>>, Stop> {
        let prompt = "You stated no acceptance checks. Call `set_checks` now with shell commands that FAIL now and will all pass once the objective is done (for type hints, for example `python -m pytest -q` and `mypy --strict src`). Without checks the goal ends unverified.";
        let stated = self.planning_turn(session, prompt, emit).await?;
        if stated.is_empty() {
            self.end(GoalStatus::Unverified, NO_CHECKS);
            return Ok(None);
        }
        let approved = self.approve(session, &stated)?;
        self.report.checks = stated;
        self.report.baseline = self.verify(session, "baseline", 0, &approved, emit).await?;
        if all_pass(&self.report.baseline) {
            self.end(GoalStatus::Unverified, ALL_PASS_AT_BASELINE);
            return Ok(None);
        }
        Ok(Some(approved))
    }

    /// The extra planning turn when every check passes: the checks it
    /// stated with `set_checks`.
    async fn ask_for_a_failing_check(
        &mut self,
        session: &mut Session,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Vec<String>, Stop> {
        let prompt = format!(
            "Every acceptance check already passes now, before any change:\n{}\n\nThey stay as guards (they must keep passing), but they cannot show that the objective was reached. Call `set_checks` with at least one more shell command that FAILS now and will pass once the objective is done (for type hints, for example `mypy --strict src`). The program runs it now to see it fail. Without such a check the goal ends unverified.",
            bullet_list(&self.report.checks)
        );
        self.planning_turn(session, &prompt, emit).await
    }

    /// One extra planning turn for `prompt`: the checks it stated.
    async fn planning_turn(
        &mut self,
        session: &mut Session,
        prompt: &str,
        emit: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Vec<String>, Stop> {
        emit(Event::GoalProgress {
            phase: "plan".into(),
            iteration: 0,
            max: self.report.max_iterations,
            detail: "asking for checks that fail now".into(),
        });
        let options = TurnOptions {
            max_requests: self.limits.requests,
            planning: true,
            keep_repetitions: true,
            must_act: true,
        };
        let outcome = self.turn(session, prompt, &options, emit).await?;
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
