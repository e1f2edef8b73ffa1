//! The surfaces: thin consumers of the engine's events.

pub mod headless;
