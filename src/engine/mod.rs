//! The engine: sessions that run turns against a model, with every tool
//! call judged by the policy, emitting typed [`events::Event`]s that the
//! surfaces consume.

pub mod audit;
pub mod context;
pub mod events;
pub mod prompt;
pub mod session;
pub mod store;

pub use events::Event;
pub use session::{
    Answer, Approver, ConversationMarks, Session, SessionSetup, Steering, TurnError, TurnOptions,
    TurnOutcome,
};
