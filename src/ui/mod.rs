//! The surfaces: thin consumers of the engine's events.

pub mod headless;
pub mod line;
pub mod tui;

pub use crate::out::escape_control;
