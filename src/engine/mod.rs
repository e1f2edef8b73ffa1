//! The engine: sessions that run turns against a model, with every tool
//! call going through the one dispatcher ([`dispatch`]), emitting typed
//! [`events::Event`]s that the controller and the surfaces consume.

pub mod audit;
mod checkpoints;
pub mod context;
mod diagnostics;
pub mod dispatch;
pub mod events;
pub mod limits;
pub mod profile;
pub mod prompt;
pub mod recover;
pub mod repetition;
pub mod session;
pub mod setup;
pub mod store;
pub mod subagents;
pub mod turn;

pub use dispatch::{Caller, Dispatched, MAX_TOOL_RESULT_BYTES};
pub use events::Event;
pub use limits::{Halt, Limits};
pub use session::{ConversationMarks, Emit, Session};
pub use setup::{
    Answer, Approver, Assembly, DEFAULT_CONTEXT_TOKENS, Question, SessionSetup, Steering,
};
pub use turn::{TurnError, TurnOptions, TurnOutcome};
