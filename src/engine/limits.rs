//! Bounds on a run, so that every run ends: `--max-turns`,
//! `--max-requests`, `--max-tokens` and `--max-minutes` of `agent chat`.
//! A [`Budget`] counts what a session spent against its [`Limits`]; the
//! turn loop asks it before every model request, and stops the turn with
//! a [`Halt`] when a bound is reached. A model repeating itself is the
//! other way a turn is halted ([`super::repetition`]).

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::provider::Usage;

/// The bounds of one run; `None` is no bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Turns (a headless prompt is one; a goal's planning and iterations are
    /// one each).
    pub turns: Option<u64>,
    /// Model requests over the whole run.
    pub requests: Option<u64>,
    /// Tokens (prompt and reply) over the whole run.
    pub tokens: Option<u64>,
    /// Minutes of wall time from the first turn.
    pub minutes: Option<u64>,
}

impl Limits {
    /// The defaults of a headless run: generous, but finite, so that a
    /// model calling the same tool forever cannot burn a CI job's budget.
    pub const HEADLESS: Limits = Limits {
        turns: Some(100),
        requests: Some(500),
        tokens: Some(5_000_000),
        minutes: Some(60),
    };

    /// `self`, with each unset bound taken from `defaults`.
    pub fn or(self, defaults: Limits) -> Limits {
        Limits {
            turns: self.turns.or(defaults.turns),
            requests: self.requests.or(defaults.requests),
            tokens: self.tokens.or(defaults.tokens),
            minutes: self.minutes.or(defaults.minutes),
        }
    }
}

/// Why a run was stopped before the model ended its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Halt {
    /// `--max-turns` was reached.
    MaxTurns,
    /// `--max-requests` was reached.
    MaxRequests,
    /// `--max-tokens` was reached.
    MaxTokens,
    /// `--max-minutes` passed.
    MaxMinutes,
    /// The model made the same call with the same result too many times.
    Loop,
}

impl Halt {
    /// Its name as a stop reason (`max_turns`, …, `loop`).
    pub fn name(self) -> &'static str {
        match self {
            Halt::MaxTurns => "max_turns",
            Halt::MaxRequests => "max_requests",
            Halt::MaxTokens => "max_tokens",
            Halt::MaxMinutes => "max_minutes",
            Halt::Loop => "loop",
        }
    }

    /// The binary's exit code for it ([`crate::exit`]).
    pub fn exit_code(self) -> u8 {
        match self {
            Halt::Loop => crate::exit::LOOP,
            _ => crate::exit::LIMIT_REACHED,
        }
    }
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = match self {
            Halt::Loop => {
                return write!(
                    f,
                    "stopped (loop): the model made the same call with the same result {} times",
                    super::repetition::LOOP_AT
                );
            }
            Halt::MaxTurns => "--max-turns",
            Halt::MaxRequests => "--max-requests",
            Halt::MaxTokens => "--max-tokens",
            Halt::MaxMinutes => "--max-minutes",
        };
        write!(f, "stopped ({}): the run reached its {flag}", self.name())
    }
}

/// What a session spent so far, against its limits.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    turns: u64,
    requests: u64,
    tokens: u64,
    started: Option<Instant>,
}

impl Budget {
    /// A budget of `limits`, nothing spent.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            turns: 0,
            requests: 0,
            tokens: 0,
            started: None,
        }
    }

    /// Counts a turn about to start, or says which bound forbids it.
    pub fn start_turn(&mut self) -> Result<(), Halt> {
        self.started.get_or_insert_with(Instant::now);
        if self.limits.turns.is_some_and(|max| self.turns >= max) {
            return Err(Halt::MaxTurns);
        }
        self.turns += 1;
        self.time_left().map(|_| ())
    }

    /// Whether another model request may be made.
    pub fn before_request(&self) -> Result<(), Halt> {
        if self.limits.requests.is_some_and(|max| self.requests >= max) {
            return Err(Halt::MaxRequests);
        }
        if self.limits.tokens.is_some_and(|max| self.tokens >= max) {
            return Err(Halt::MaxTokens);
        }
        self.time_left().map(|_| ())
    }

    /// Counts a request's usage.
    pub fn count(&mut self, usage: Usage) {
        self.requests += 1;
        self.tokens += usage.input_tokens + usage.output_tokens;
    }

    /// The wall time left (`None`: unbounded), or the halt when none is.
    pub fn time_left(&self) -> Result<Option<Duration>, Halt> {
        let (Some(minutes), Some(started)) = (self.limits.minutes, self.started) else {
            return Ok(None);
        };
        Duration::from_secs(minutes.saturating_mul(60))
            .checked_sub(started.elapsed())
            .filter(|left| !left.is_zero())
            .map(Some)
            .ok_or(Halt::MaxMinutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_halts_with_its_own_reason() {
        let mut budget = Budget::new(Limits {
            turns: Some(1),
            ..Limits::default()
        });
        assert_eq!(budget.start_turn(), Ok(()));
        assert_eq!(budget.start_turn(), Err(Halt::MaxTurns));
        let mut budget = Budget::new(Limits {
            requests: Some(2),
            tokens: Some(100),
            ..Limits::default()
        });
        budget.count(Usage {
            input_tokens: 10,
            output_tokens: 5,
        });
        assert_eq!(budget.before_request(), Ok(()));
        budget.count(Usage::default());
        assert_eq!(budget.before_request(), Err(Halt::MaxRequests));
        let mut budget = Budget::new(Limits {
            tokens: Some(100),
            ..Limits::default()
        });
        budget.count(Usage {
            input_tokens: 90,
            output_tokens: 10,
        });
        assert_eq!(budget.before_request(), Err(Halt::MaxTokens));
        let mut budget = Budget::new(Limits {
            minutes: Some(0),
            ..Limits::default()
        });
        assert_eq!(budget.start_turn(), Err(Halt::MaxMinutes));
    }

    #[test]
    fn unset_flags_take_the_headless_defaults() {
        let given = Limits {
            turns: Some(3),
            ..Limits::default()
        };
        let limits = given.or(Limits::HEADLESS);
        assert_eq!(limits.turns, Some(3));
        assert_eq!(limits.minutes, Limits::HEADLESS.minutes);
    }
}
