//! One ACP session: a chat controller on its own thread, fed prompts, mode
//! and model changes from the connection, streaming its events back as
//! `session/update` notifications. The chat does the work exactly as in
//! the terminal: slash commands, turns, goals, saving, cancelling; every
//! tool call goes through the session's dispatcher.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use agent_client_protocol::Client;
use agent_client_protocol::v1::schema::{
    PromptResponse, SessionNotification, SetSessionConfigOptionResponse, SetSessionModeResponse,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::modes::Modes;
use super::permission::{AcpApprover, AskedCall};
use super::updates;
use crate::chat::{Chat, Handled};
use crate::engine::{Event, TurnError};
use crate::policy::Verdict;

/// What the connection asks a session to do.
pub enum Command {
    /// Run a prompt (a slash command, a `!command` or a turn).
    Prompt {
        /// The prompt's text.
        text: String,
        /// Where the prompt's end goes.
        responder: Responder<PromptResponse>,
    },
    /// `session/set_mode`.
    SetMode {
        /// The mode's id.
        mode: String,
        /// Where the answer goes.
        responder: Responder<SetSessionModeResponse>,
    },
    /// A model for the next turn.
    SetModel {
        /// The model id.
        model: String,
        /// Where the answer goes.
        reply: ModelReply,
    },
}

/// Who asked for a model: `session/set_config_option` (answered with the
/// options as they are now), or `session/set_model`, the method Kiro and
/// older clients send (answered with an empty object).
pub enum ModelReply {
    /// `session/set_config_option` with `configId: model`.
    ConfigOption(Responder<SetSessionConfigOptionResponse>),
    /// `session/set_model`.
    SetModel(Responder<Value>),
}

impl ModelReply {
    /// Answers with an error.
    pub fn fail(
        self,
        error: agent_client_protocol::Error,
    ) -> Result<(), agent_client_protocol::Error> {
        match self {
            ModelReply::ConfigOption(responder) => responder.respond_with_error(error),
            ModelReply::SetModel(responder) => responder.respond_with_error(error),
        }
    }
}

/// The connection's handle on a running session.
#[derive(Clone)]
pub struct Handle {
    /// Where its commands go.
    pub commands: mpsc::Sender<Command>,
    /// Cancels the running prompt.
    pub cancel: CancelSlot,
}

/// The way to cancel the prompt that runs now, if one does.
#[derive(Clone, Default)]
pub struct CancelSlot(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl CancelSlot {
    /// Cancels the running prompt (nothing, if none runs).
    pub fn cancel(&self) {
        if let Some(sender) = self.0.lock().ok().and_then(|mut slot| slot.take()) {
            let _ = sender.send(());
        }
    }

    /// A future that resolves when this prompt is cancelled.
    fn arm(&self) -> impl Future<Output = ()> + use<> {
        let (sender, receiver) = oneshot::channel();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(sender);
        }
        async move {
            if receiver.await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A started session and what it talks through.
pub struct Worker {
    /// The chat.
    pub chat: Chat,
    /// The connection to the client.
    pub connection: ConnectionTo<Client>,
    /// The runtime the chat's work runs on.
    pub runtime: Arc<tokio::runtime::Runtime>,
    /// The session's modes and the trust each gives.
    pub modes: Modes,
}

impl Worker {
    /// Sets the client up as the session's approver.
    pub fn approve_through_client(&mut self, asked: AskedCall) {
        let approver = AcpApprover {
            connection: self.connection.clone(),
            session_id: self.id(),
            asked,
        };
        self.chat.session.setup_mut().approver = Some(Arc::new(Mutex::new(approver)));
    }

    /// The session's id (the saved session's).
    pub fn id(&self) -> String {
        self.chat.saved.id.clone()
    }

    /// Sends one update of this session to the client.
    pub fn notify(&self, update: Value) {
        send(&self.connection, &self.id(), update);
    }

    /// Runs commands until the connection drops its handle.
    pub fn run(mut self, commands: mpsc::Receiver<Command>, cancel: CancelSlot, asked: AskedCall) {
        while let Ok(command) = commands.recv() {
            match command {
                Command::Prompt { text, responder } => {
                    let response = self.prompt(&text, &cancel, &asked);
                    let _ = responder.respond(response);
                }
                Command::SetMode { mode, responder } => {
                    let _ = match self.modes.switch(&mut self.chat, &mode) {
                        Ok(()) => {
                            self.notify(json!({"sessionUpdate": "current_mode_update", "currentModeId": mode}));
                            responder.respond(SetSessionModeResponse::new())
                        }
                        Err(why) => responder.respond_with_error(
                            agent_client_protocol::Error::invalid_params().data(why),
                        ),
                    };
                }
                Command::SetModel { model, reply } => self.set_model(model, reply),
            }
        }
        let _ = self.chat.save();
    }

    /// Switches the model from the next turn, as `/model ID` does.
    fn set_model(&mut self, model: String, reply: ModelReply) {
        if let Err(why) = crate::chat::model(&mut self.chat, Some(model)) {
            let message = why.to_string();
            let _ = reply.fail(agent_client_protocol::Error::invalid_params().data(message.trim()));
            return;
        }
        let options = super::modes::config_options(&self.chat);
        let _ = match (reply, options) {
            (ModelReply::ConfigOption(responder), Ok(options)) => {
                responder.respond(SetSessionConfigOptionResponse::new(options))
            }
            (ModelReply::ConfigOption(responder), Err(why)) => {
                responder.respond_with_internal_error(why)
            }
            (ModelReply::SetModel(responder), _) => responder.respond(json!({})),
        };
    }

    /// Runs one prompt to its end, streaming its events.
    fn prompt(&mut self, text: &str, cancel: &CancelSlot, asked: &AskedCall) -> PromptResponse {
        let connection = self.connection.clone();
        let id = self.id();
        let mut emit = |event: Event| {
            if let Event::ToolCall {
                id: call,
                decision: Verdict::Ask,
                ..
            } = &event
            {
                asked.set(call);
            }
            if let Some(update) = updates::update(&event) {
                send(&connection, &id, update);
            }
        };
        let cancelled = cancel.arm();
        let handled = self
            .runtime
            .clone()
            .block_on(self.chat.handle(text, &mut emit, cancelled));
        cancel.cancel_quietly();
        let (stop, message, meta) = ending(handled);
        if let Some(message) = message {
            self.notify(updates::chunk("agent_message_chunk", &message));
        }
        if self.chat.pending_review().is_some() {
            let reviewed = self.review_through_client();
            self.notify(updates::chunk("agent_message_chunk", &reviewed));
        }
        let mut response = json!({ "stopReason": stop });
        if let Some(meta) = meta {
            response["_meta"] = json!({ "agent": meta });
        }
        serde_json::from_value(response).unwrap_or_else(|_| {
            PromptResponse::new(agent_client_protocol::v1::schema::StopReason::EndTurn)
        })
    }
}

impl CancelSlot {
    /// Forgets the finished prompt's canceller.
    fn cancel_quietly(&self) {
        if let Ok(mut slot) = self.0.lock() {
            slot.take();
        }
    }
}

/// ACP's stop reason for how a prompt ended, what to tell the client, and
/// our own account of it (`_meta.agent`).
fn ending(handled: Handled) -> (&'static str, Option<String>, Option<Value>) {
    match handled {
        Handled::Turn(Ok(_)) => ("end_turn", None, None),
        Handled::Turn(Err(TurnError::Stopped(halt))) => {
            let stop = match halt {
                crate::engine::Halt::MaxTokens => "max_tokens",
                crate::engine::Halt::MaxTurns | crate::engine::Halt::MaxRequests => {
                    "max_turn_requests"
                }
                _ => "end_turn",
            };
            (
                stop,
                Some(format!("stopped: {halt}\n")),
                Some(json!({"stop_reason": halt.name()})),
            )
        }
        Handled::Turn(Err(error)) => (
            "end_turn",
            Some(format!("error: {error}\n")),
            Some(json!({"stop_reason": "error", "error": error.to_string()})),
        ),
        Handled::Goal(report) => (
            "end_turn",
            None,
            Some(json!({"goal": {"status": report.status, "iterations": report.iterations_used}})),
        ),
        Handled::Spec(report) => (
            "end_turn",
            Some(report.to_text()),
            Some(json!({"spec": {"status": report.status, "tasks": report.tasks.len()}})),
        ),
        Handled::Shown(text) | Handled::Refused(text) => ("end_turn", Some(text), None),
        Handled::Command(output) => ("end_turn", Some(output.text), None),
        Handled::Quit => (
            "end_turn",
            Some("close the session in the editor to leave\n".into()),
            None,
        ),
        Handled::Cancelled => ("cancelled", None, None),
    }
}

/// Sends `update` as a `session/update` notification of session `id`.
pub fn send(connection: &ConnectionTo<Client>, id: &str, update: Value) {
    let notification = json!({ "sessionId": id, "update": update });
    if let Ok(notification) = serde_json::from_value::<SessionNotification>(notification) {
        let _ = connection.send_notification(notification);
    }
}
