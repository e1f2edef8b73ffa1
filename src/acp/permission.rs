//! Approvals through the client: a call the policy asks about becomes a
//! `session/request_permission` request whose options are exactly ours:
//! run it once, each trust option the policy offers for this call
//! (narrowest first), and refuse. A deny rule never reaches the client:
//! the dispatcher refuses those calls before anyone is asked. A refusal's
//! reason for the model may come back in the response's
//! `_meta.agent.reason`.

use std::sync::{Arc, Mutex};

use agent_client_protocol::Client;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{RequestPermissionRequest, RequestPermissionResponse};
use serde_json::{Value, json};

use super::updates;
use crate::engine::{Answer, Approver, Question};

/// The option that runs the call once.
const ONCE: &str = "once";
/// The option that refuses it.
const REFUSE: &str = "refuse";
/// The prefix of the trust options: `trust-1` is the first (narrowest).
const TRUST: &str = "trust-";

/// The id of the call the dispatcher is about to ask about: its
/// `ToolCall` event comes just before the question.
#[derive(Debug, Clone, Default)]
pub struct AskedCall(Arc<Mutex<Option<String>>>);

impl AskedCall {
    /// Remembers the id of a call whose decision is `ask`.
    pub fn set(&self, id: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(id.to_string());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Asks the client, on the session's blocking approval thread.
pub struct AcpApprover {
    /// The connection to the client.
    pub connection: ConnectionTo<Client>,
    /// The session the question belongs to.
    pub session_id: String,
    /// The call being asked about.
    pub asked: AskedCall,
}

impl Approver for AcpApprover {
    fn ask(&mut self, question: &Question) -> Answer {
        let id = self.asked.take().unwrap_or_else(|| "asked".into());
        let request = match serde_json::from_value::<RequestPermissionRequest>(request(
            &self.session_id,
            &id,
            question,
        )) {
            Ok(request) => request,
            Err(_) => return Answer::Refuse(None),
        };
        let sent = self.connection.send_request(request).block_task();
        let answer = match futures::executor::block_on(sent) {
            Ok(response) => answer(&response, question),
            Err(_) => Answer::Refuse(Some("the client did not answer".into())),
        };
        super::session::send(&self.connection, &self.session_id, answered(&id, &answer));
        answer
    }
}

/// The update that says how the person answered: the call runs
/// (`in_progress`) or was refused (`failed`), with the answer under
/// `_meta.agent.answer` (`once`, `trust`, `refuse`).
fn answered(id: &str, answer: &Answer) -> Value {
    let (status, name) = match answer {
        Answer::Once => ("in_progress", "once"),
        Answer::Trust(_) => ("in_progress", "trust"),
        Answer::Refuse(_) => ("failed", "refuse"),
    };
    json!({
        "sessionUpdate": "tool_call_update",
        "toolCallId": id,
        "status": status,
        "_meta": {"agent": {"answer": name}},
    })
}

/// The request's JSON: the call as a tool call update, and our options.
pub fn request(session_id: &str, id: &str, question: &Question) -> Value {
    let call = &question.call;
    let mut options = vec![json!({"optionId": ONCE, "name": "Run once", "kind": "allow_once"})];
    for (index, option) in question.options.iter().enumerate() {
        options.push(json!({
            "optionId": format!("{TRUST}{}", index + 1),
            "name": format!("Trust {} for this session", option.label),
            "kind": "allow_always",
        }));
    }
    options.push(json!({"optionId": REFUSE, "name": "Refuse", "kind": "reject_once"}));
    json!({
        "sessionId": session_id,
        "toolCall": {
            "toolCallId": id,
            "title": updates::title(&call.tool, &call.input),
            "kind": updates::kind(&call.tool),
            "status": "pending",
            "rawInput": call.input,
            "_meta": updates::decision_meta(crate::policy::Verdict::Ask, &question.reasons),
        },
        "options": options,
    })
}

/// Our answer for the client's response; anything but one of our options
/// (a cancelled prompt, an unknown id) refuses.
pub fn answer(response: &RequestPermissionResponse, question: &Question) -> Answer {
    let value = serde_json::to_value(response).unwrap_or(Value::Null);
    let outcome = &value["outcome"];
    if outcome["outcome"] != "selected" {
        return Answer::Refuse(Some("the prompt was cancelled".into()));
    }
    let reason = value["_meta"]["agent"]["reason"]
        .as_str()
        .or_else(|| outcome["_meta"]["agent"]["reason"].as_str())
        .map(str::to_string);
    let picked = outcome["optionId"].as_str().unwrap_or_default();
    if picked == ONCE {
        return Answer::Once;
    }
    let trusted = picked
        .strip_prefix(TRUST)
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
        .and_then(|index| question.options.get(index));
    match trusted {
        Some(option) => Answer::Trust(option.grants.clone()),
        None => Answer::Refuse(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Caller;
    use crate::policy::{Breadth, Grant, ToolCall, TrustOption};

    fn question() -> Question {
        Question {
            call: ToolCall {
                tool: "shell".into(),
                input: json!({"command": "make"}),
            },
            reasons: Vec::new(),
            options: vec![TrustOption {
                breadth: Breadth::Program,
                label: "`make` with any arguments".into(),
                grants: vec![Grant::Program("make".into())],
            }],
            caller: Caller::Model,
        }
    }

    fn response(outcome: Value) -> RequestPermissionResponse {
        serde_json::from_value(json!({ "outcome": outcome })).unwrap()
    }

    #[test]
    fn the_request_offers_exactly_our_options() {
        let request = request("s", "c1", &question());
        serde_json::from_value::<RequestPermissionRequest>(request.clone()).unwrap();
        let ids: Vec<&str> = request["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["optionId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["once", "trust-1", "refuse"]);
    }

    #[test]
    fn answers() {
        let q = question();
        let selected = |id: &str| response(json!({"outcome": "selected", "optionId": id}));
        assert_eq!(answer(&selected("once"), &q), Answer::Once);
        assert_eq!(
            answer(&selected("trust-1"), &q),
            Answer::Trust(vec![Grant::Program("make".into())])
        );
        assert_eq!(answer(&selected("refuse"), &q), Answer::Refuse(None));
        assert_eq!(answer(&selected("trust-2"), &q), Answer::Refuse(None));
        let cancelled = response(json!({"outcome": "cancelled"}));
        assert!(matches!(answer(&cancelled, &q), Answer::Refuse(Some(_))));
        let with_reason: RequestPermissionResponse = serde_json::from_value(json!({
            "outcome": {"outcome": "selected", "optionId": "refuse"},
            "_meta": {"agent": {"reason": "use src/ instead"}},
        }))
        .unwrap();
        assert_eq!(
            answer(&with_reason, &q),
            Answer::Refuse(Some("use src/ instead".into()))
        );
    }
}
