//! The `agent` binary: parse arguments, run a command, map failure to an
//! exit code (the one table is [`agent::exit`]).

use std::process::ExitCode;

use clap::Parser;

use agent::cli::{AgentCommand, Cli, Command, PolicyCommand, SkillsCommand};
use agent::commands::{self, Failure};

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    if std::env::args_os()
        .nth(1)
        .is_some_and(|first| first == agent::sandbox::HELPER_SUBCOMMAND)
    {
        return agent::sandbox::helper::main(std::env::args_os().skip(2).collect());
    }
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Chat(_) | Command::Spec(_) | Command::Acp(_)
    ) {
        die_quietly_on_closed_pipe();
    }
    let outcome = match cli.command {
        Command::Agent(AgentCommand::List) => commands::agent::list(),
        Command::Agent(AgentCommand::Validate { paths, strict }) => {
            commands::agent::validate(&paths, strict)
        }
        Command::Agent(AgentCommand::Convert { path, output }) => {
            commands::agent::convert(&path, output.as_deref())
        }
        Command::Skills(SkillsCommand::List { agent }) => commands::agent::skills(agent.as_deref()),
        Command::Agent(AgentCommand::Schema) => commands::agent::schema(),
        Command::Agent(AgentCommand::Create { name }) => commands::agent::create(&name),
        Command::Chat(args) => commands::chat::run(&args),
        Command::Spec(args) => commands::spec::run(&args),
        Command::Acp(args) => commands::acp::run(&args),
        Command::Checkpoint(command) => commands::checkpoint::run(&command),
        Command::Settings(args) => commands::settings::run(&args),
        Command::Policy(PolicyCommand::Check(args)) => commands::policy::check(&args),
        Command::Doctor => commands::doctor::run(),
        Command::Mcp(command) => commands::mcp::run(&command),
        Command::Worktree(command) => commands::worktree::run(&command),
        Command::Code(command) => commands::code::run(&command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(code)
        }
    }
}

/// `agent agent list | head -1`: when the reader closes the pipe, end as
/// `cat` does (by `SIGPIPE`, quietly) instead of panicking in `println!`.
/// Not for `chat`, which writes to its hooks' and servers' pipes and must
/// not die when one of them exits early; its output goes through
/// [`agent::out`], which stops writing instead.
fn die_quietly_on_closed_pipe() {
    // SAFETY: signal(2) with SIG_DFL only restores the default action for
    // SIGPIPE (the Rust runtime sets it to ignored); no handler runs Rust
    // code, and no other thread exists yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
