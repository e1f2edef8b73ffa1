//! `/spec new|approve|run` run by the controller, so every surface gets
//! the same workflow ([`crate::spec`]). A drafting turn that is cancelled
//! is left out of the conversation, as any cancelled turn is; a cancelled
//! run stops its goal, which still ends with its report.

use std::future::Future;

use super::{Chat, Handled};
use crate::engine::Emit;
use crate::spec::run::RunOptions;
use crate::spec::{self, Spec, SpecCommand};

impl Chat {
    /// Runs one spec command; the chat is saved after it.
    pub async fn spec(
        &mut self,
        command: &SpecCommand,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        let before = self.session.messages().len();
        let drafted = match command {
            SpecCommand::Run { name, task, max } => {
                let options = RunOptions {
                    task: task.clone(),
                    max: *max,
                };
                return self.spec_run(name, &options, emit, cancel).await;
            }
            SpecCommand::Status { name } => {
                return match spec::status(&self.saved.workspace, name.as_deref()) {
                    Ok(text) => Handled::Shown(text),
                    Err(why) => Handled::Refused(format!("{why}\n")),
                };
            }
            SpecCommand::New { name, prompt } => {
                let prompt = prompt.join(" ");
                cancellable(spec::new(&mut self.session, name, &prompt, emit), cancel).await
            }
            SpecCommand::Approve { name } => {
                cancellable(spec::approve(&mut self.session, name, emit), cancel).await
            }
        };
        let handled = match drafted {
            Some(Ok(text)) => Handled::Shown(text),
            Some(Err(why)) => Handled::Refused(format!("{why}\n")),
            None => {
                self.session.tool_context().cancel.cancel_running();
                self.session.truncate(before);
                Handled::Cancelled
            }
        };
        self.save_or_warn(emit);
        handled
    }

    /// `/spec run`: the tasks as goals until done, stopped or cancelled.
    async fn spec_run(
        &mut self,
        name: &str,
        options: &RunOptions,
        emit: &mut Emit<'_>,
        cancel: impl Future<Output = ()>,
    ) -> Handled {
        let spec = match Spec::open(&self.saved.workspace, name) {
            Ok(spec) => spec,
            Err(why) => return Handled::Refused(format!("{why}\n")),
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = spec::run(&mut self.session, &spec, options, stopped, emit);
        let report = super::to_the_end(running, stop, cancel).await;
        for task in &report.tasks {
            self.add_turn_usage(task.goal.usage);
        }
        self.save_or_warn(emit);
        Handled::Spec(Box::new(report))
    }
}

/// `work`'s result, or `None` when `cancel` resolved first.
async fn cancellable<T>(
    work: impl Future<Output = T>,
    cancel: impl Future<Output = ()>,
) -> Option<T> {
    tokio::select! {
        done = work => Some(done),
        () = cancel => None,
    }
}
