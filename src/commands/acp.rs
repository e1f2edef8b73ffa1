//! `agent acp`: the Agent Client Protocol server ([`crate::acp`]) on stdin
//! and stdout.

use super::{Failure, Outcome};
use crate::acp::{AcpOptions, serve};
use crate::cli::AcpArgs;

/// Serves ACP until the client closes the connection.
pub fn run(args: &AcpArgs) -> Outcome {
    let options = AcpOptions {
        agent: args.agent.clone(),
        model: args.model.clone(),
        trust_workspace: args.trust_workspace,
    };
    serve(options).map_err(Failure::runtime)
}
