//! The OS sandbox shell commands run in: the write fence and the network
//! rule enforced by the kernel, not only judged as strings.
//!
//! [`fence`] turns the agent's write rules into the folders commands may
//! write, and audits what a command changed against them.

pub mod fence;
