//! The goal loop: `/goal [--max N] [--check CMD]… [--protect GLOB]…
//! OBJECTIVE` runs plan, implement, verify until acceptance checks that the
//! program runs itself pass. The model never judges its own success: the
//! goal is met only when every check exits 0 after an iteration, and a pass
//! that needed changes to tests or check configuration is reported as such.
//!
//! - [`spec`]: the command line of a goal, parsed as the CLI parses its own.
//! - [`checks`]: which checks may run (the shell policy must allow them
//!   unasked) and running them as the shell tool runs commands.
//! - [`baseline`]: checks that must fail first: those passing before any
//!   work are guards, and a goal with no failing check is `unverified`.
//! - [`run`]: the loop itself, driving a [`crate::engine::Session`].
//! - [`report`]: what a goal ends with, as text and JSON (an event
//!   payload, so it lives in [`crate::engine::events::goal`]).

pub mod baseline;
pub mod checks;
pub mod run;
pub mod spec;

pub use crate::engine::events::goal as report;
pub use report::{GoalReport, GoalStatus};
pub use run::{Limits, run};
pub use spec::GoalSpec;
