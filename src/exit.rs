//! The exit codes of the `agent` binary, in one table. Every command's
//! failure carries one of these, and `main` passes it to the OS; the
//! README documents the same table.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (for `chat`: the model ended its turn; for a goal: `met`) |
//! | 1 | run-time failure (the model unreachable, a file unwritable, …) |
//! | 2 | usage error, invalid agent file or setting |
//! | 3 | an MCP server failed to start under `--require-mcp-startup` |
//! | 4 | a goal ended with any status but `met` |
//! | 5 | a run limit was reached (`--max-turns`, `--max-requests`, `--max-tokens`, `--max-minutes`) |
//! | 6 | the model repeated the same call with the same result until the turn was stopped (`loop`) |
//! | 125 | the sandbox helper could not set up the sandbox |
//! | 130 | interrupted (Ctrl-C) |

/// Success.
pub const SUCCESS: u8 = 0;
/// Something failed at run time.
pub const RUNTIME: u8 = 1;
/// Bad usage, or an invalid agent file or setting.
pub const USAGE: u8 = 2;
/// `--require-mcp-startup` was given and an MCP server failed to start.
pub const MCP_STARTUP_FAILED: u8 = 3;
/// A goal ended with a status other than `met`.
pub const GOAL_NOT_MET: u8 = 4;
/// A run limit (`--max-turns` and friends) stopped the run.
pub const LIMIT_REACHED: u8 = 5;
/// The model kept repeating the same call with the same result.
pub const LOOP: u8 = 6;
/// The sandbox helper could not build the sandbox (the command never ran).
pub const SANDBOX_SETUP_FAILED: u8 = 125;
/// Stopped by Ctrl-C.
pub const INTERRUPTED: u8 = 130;
