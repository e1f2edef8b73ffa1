//! Snapshot tests of the whole screen, rendered into a test backend.
