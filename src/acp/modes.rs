//! The session modes a client can pick (`session/set_mode`), each a trust
//! level of ours: `ask` (the agent file's rules; what they ask about goes
//! to the client), `accept-edits` (writes run unasked, but only inside the
//! write fence: deny rules and fences still hold), and `plan` (only the
//! tools that read run; every other call is refused by the policy). And
//! the model picker, as the `model` session config option.

use agent_client_protocol::v1::schema::SessionConfigOption;
use serde_json::{Value, json};

use crate::chat::Chat;
use crate::policy::Trust;

/// `ask`: the agent's own rules.
pub const ASK: &str = "ask";
/// `accept-edits`: writes inside the fence run unasked.
pub const ACCEPT_EDITS: &str = "accept-edits";
/// `plan`: only reading tools run.
pub const PLAN: &str = "plan";

/// The trust the session started with, which every mode builds on.
pub struct Modes {
    base: Trust,
}

impl Modes {
    /// The modes of a session that started with `base`.
    pub fn new(base: Trust) -> Modes {
        Modes { base }
    }

    /// Switches `chat` to `mode`; grants the person gave stay.
    pub fn switch(&self, chat: &mut Chat, mode: &str) -> Result<(), String> {
        let trust = &mut chat.session.setup_mut().trust;
        trust.all_tools = self.base.all_tools;
        trust.tools = self.base.tools.clone();
        trust.read_only = false;
        match mode {
            ASK => {}
            ACCEPT_EDITS => trust.tools.push("write".into()),
            PLAN => trust.read_only = true,
            other => {
                return Err(format!(
                    "there is no mode `{other}`: ask, accept-edits, plan"
                ));
            }
        }
        Ok(())
    }
}

/// The `modes` of a session, as the protocol's JSON.
pub fn state() -> Value {
    json!({
        "currentModeId": ASK,
        "availableModes": [
            {"id": ASK, "name": "Ask", "description": "the agent file's rules: what they ask about is asked here"},
            {"id": ACCEPT_EDITS, "name": "Accept edits", "description": "writes inside the write fence run unasked; deny rules and fences still hold"},
            {"id": PLAN, "name": "Plan", "description": "only tools that read run (read, glob, grep); every other call is refused"},
        ],
    })
}

/// The session's config options: the model, with the current one, the
/// agent's and `chat.defaultModel` to pick from.
pub fn config_options(chat: &Chat) -> Result<Vec<SessionConfigOption>, String> {
    serde_json::from_value(config_json(chat)).map_err(|e| e.to_string())
}

fn config_json(chat: &Chat) -> Value {
    let setup = chat.session.setup();
    let mut models = vec![setup.model_id.clone()];
    let others = [
        setup.policy.config().model.clone(),
        chat.settings.text("chat.defaultModel").map(str::to_string),
    ];
    for model in others.into_iter().flatten() {
        if !models.contains(&model) {
            models.push(model);
        }
    }
    let options: Vec<Value> = models
        .iter()
        .map(|m| json!({"value": m, "name": m}))
        .collect();
    json!([{
        "id": "model",
        "name": "Model",
        "category": "model",
        "type": "select",
        "currentValue": setup.model_id,
        "options": options,
    }])
}
