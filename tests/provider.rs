//! The model clients against a scripted server speaking the real wire
//! protocols: SSE chunks, tool-call arguments split across chunks, parallel
//! calls, usage, 429 with Retry-After, 500, and streams cut mid-call.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::time::Duration;

use agent::provider::retry::{self, RetryPolicy};
use agent::provider::{
    Client, Endpoint, Message, ProviderError, ProviderKind, Reply, Request, StopReason,
    StreamEvent, ToolDefinition, ToolUse, Usage,
};
use serde_json::json;
use support::model_server::{
    ModelServer, Scripted, anthropic_event, openai_delta, openai_stream, openai_tool_call,
};

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

fn request() -> Request {
    Request {
        model: "m".into(),
        system: "be brief".into(),
        messages: vec![Message::User("hi".into())],
        tools: vec![ToolDefinition {
            name: "shell".into(),
            description: "run".into(),
            input_schema: json!({"type": "object"}),
        }],
        max_tokens: 1024,
        require_tool: false,
    }
}

fn client(server: &ModelServer, kind: ProviderKind) -> Client {
    let base_url = match kind {
        ProviderKind::OpenAi => format!("{}/v1", server.url),
        ProviderKind::Anthropic => server.url.clone(),
        ProviderKind::Replay => String::new(),
    };
    Client::new(Endpoint {
        kind,
        base_url,
        api_key: Some("test-key".into()),
        model: "m".into(),
    })
}

async fn send(
    client: &Client,
    request: &Request,
) -> (Result<Reply, retry::GaveUp>, Vec<StreamEvent>) {
    let mut events = Vec::new();
    let result = retry::send(client, request, fast(), &mut |e| events.push(e)).await;
    (result, events)
}

fn openai_text_reply() -> Scripted {
    let mut chunks = vec![
        openai_delta(json!({"role": "assistant", "content": "Hel"}), None),
        openai_delta(json!({"content": "lo"}), None),
        openai_delta(json!({}), Some("stop")),
    ];
    chunks.push(json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}));
    Scripted::stream(openai_stream(&chunks))
}

#[tokio::test]
async fn openai_streams_text_and_usage() {
    let server = ModelServer::start(vec![openai_text_reply()]).await;
    let (reply, events) = send(&client(&server, ProviderKind::OpenAi), &request()).await;
    let reply = reply.unwrap();
    assert_eq!(reply.text, "Hello");
    assert_eq!(reply.stop, StopReason::EndTurn);
    assert_eq!(
        reply.usage,
        Usage {
            input_tokens: 12,
            output_tokens: 3
        }
    );
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta("lo".into())
        ]
    );
    let recorded = &server.requests()[0];
    assert_eq!(recorded.path, "/v1/chat/completions");
    assert_eq!(recorded.headers["authorization"], "Bearer test-key");
    assert_eq!(
        recorded.body["messages"][0],
        json!({"role": "system", "content": "be brief"})
    );
    assert_eq!(recorded.body["tools"][0]["function"]["name"], "shell");
    assert_eq!(recorded.body["stream"], true);
}

#[tokio::test]
async fn openai_assembles_parallel_tool_calls_split_across_chunks() {
    let mut a = openai_tool_call(0, "call_a", "shell", &["{\"comm", "and\": \"ls", " -la\"}"]);
    let b = openai_tool_call(1, "call_b", "read", &["{\"path\":", " \"src/a.py\"}"]);
    let interleaved = vec![
        a.remove(0),
        b[0].clone(),
        a.remove(0),
        b[1].clone(),
        a.remove(0),
        b[2].clone(),
        a.remove(0),
    ];
    let mut chunks = interleaved;
    chunks.push(openai_delta(json!({}), Some("tool_calls")));
    let server = ModelServer::start(vec![Scripted::stream(openai_stream(&chunks))]).await;
    let reply = send(&client(&server, ProviderKind::OpenAi), &request())
        .await
        .0
        .unwrap();
    assert_eq!(reply.stop, StopReason::ToolUse);
    let calls: Vec<(&str, &str, serde_json::Value)> = reply
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.input.clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("call_a", "shell", json!({"command": "ls -la"})),
            ("call_b", "read", json!({"path": "src/a.py"}))
        ]
    );
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_honouring_retry_after() {
    let server = ModelServer::start(vec![
        Scripted::error(429, "slow down").with_header("retry-after", "0.01"),
        Scripted::error(500, "oops"),
        openai_text_reply(),
    ])
    .await;
    let (reply, events) = send(&client(&server, ProviderKind::OpenAi), &request()).await;
    assert_eq!(reply.unwrap().text, "Hello");
    assert_eq!(server.requests().len(), 3);
    let retries: Vec<(u32, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Retrying { attempt, delay, .. } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        vec![
            (2, Duration::from_millis(10)),
            (3, Duration::from_millis(10))
        ]
    );
}

#[tokio::test]
async fn a_stream_cut_mid_call_is_an_error_never_a_finished_turn() {
    let mut cut = openai_stream(&openai_tool_call(0, "c", "shell", &["{\"command\": \"rm"]));
    cut.pop();
    let server = ModelServer::start(vec![
        Scripted::stream(cut.clone()),
        Scripted::stream(cut.clone()),
        Scripted::stream(cut),
    ])
    .await;
    let (result, _) = send(&client(&server, ProviderKind::OpenAi), &request()).await;
    let gave_up = result.unwrap_err();
    assert_eq!(gave_up.attempts, 3);
    assert!(
        matches!(gave_up.error, ProviderError::StreamCut(_)),
        "{gave_up}"
    );
    assert!(gave_up.to_string().contains("gave up after 3 attempts"));
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_servers_message() {
    let server = ModelServer::start(vec![
        Scripted::error(401, "invalid x-api-key"),
        openai_text_reply(),
    ])
    .await;
    let (result, _) = send(&client(&server, ProviderKind::OpenAi), &request()).await;
    let gave_up = result.unwrap_err();
    assert_eq!(gave_up.attempts, 1);
    assert!(
        gave_up.to_string().contains("401: invalid x-api-key"),
        "{gave_up}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let endpoint = Endpoint {
        kind: ProviderKind::OpenAi,
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key: None,
        model: "m".into(),
    };
    let (result, _) = send(&Client::new(endpoint), &request()).await;
    assert!(matches!(
        result.unwrap_err().error,
        ProviderError::Connection(_)
    ));
}

fn anthropic_tool_reply() -> Scripted {
    Scripted::stream(vec![
        anthropic_event(
            "message_start",
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 20}}}),
        ),
        anthropic_event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        anthropic_event("ping", json!({"type": "ping"})),
        anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me look."}}),
        ),
        anthropic_event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        anthropic_event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"pa"}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "th\": \"src/inventory.py\"}"}}),
        ),
        anthropic_event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        anthropic_event(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}),
        ),
        anthropic_event("message_stop", json!({"type": "message_stop"})),
    ])
}

#[tokio::test]
async fn anthropic_streams_text_and_a_split_tool_call() {
    let server = ModelServer::start(vec![anthropic_tool_reply()]).await;
    let reply = send(&client(&server, ProviderKind::Anthropic), &request())
        .await
        .0
        .unwrap();
    assert_eq!(reply.text, "Let me look.");
    assert_eq!(reply.stop, StopReason::ToolUse);
    assert_eq!(
        reply.usage,
        Usage {
            input_tokens: 20,
            output_tokens: 9
        }
    );
    assert_eq!(
        reply.tool_calls[0].input,
        json!({"path": "src/inventory.py"})
    );
    let recorded = &server.requests()[0];
    assert_eq!(recorded.path, "/v1/messages");
    assert_eq!(recorded.headers["x-api-key"], "test-key");
    assert_eq!(recorded.headers["anthropic-version"], "2023-06-01");
    assert_eq!(recorded.body["system"], "be brief");
    assert_eq!(
        recorded.body["tools"][0]["input_schema"],
        json!({"type": "object"})
    );
}

#[tokio::test]
async fn anthropic_overload_mid_stream_and_529_are_retried() {
    let overloaded = Scripted::stream(vec![
        anthropic_event(
            "message_start",
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 1}}}),
        ),
        anthropic_event(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
    ]);
    let server = ModelServer::start(vec![
        overloaded,
        Scripted::error(529, "Overloaded"),
        anthropic_tool_reply(),
    ])
    .await;
    let (reply, events) = send(&client(&server, ProviderKind::Anthropic), &request()).await;
    assert_eq!(reply.unwrap().tool_calls.len(), 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Retrying { .. }))
            .count(),
        2
    );
}

#[tokio::test]
async fn tool_results_are_sent_in_each_protocols_shape() {
    let call = ToolUse {
        id: "t1".into(),
        name: "shell".into(),
        input: json!({"command": "ls"}),
        raw_input: "{\"command\":\"ls\"}".into(),
    };
    let mut conversation = request();
    conversation.messages.push(Message::Assistant {
        text: String::new(),
        tool_calls: vec![
            call.clone(),
            ToolUse {
                id: "t2".into(),
                ..call
            },
        ],
    });
    conversation.messages.push(Message::ToolResult {
        id: "t1".into(),
        content: "a.py".into(),
        is_error: false,
    });
    conversation.messages.push(Message::ToolResult {
        id: "t2".into(),
        content: "denied by rule".into(),
        is_error: true,
    });

    let openai = agent::provider::openai::body(&conversation);
    assert_eq!(
        openai["messages"][2]["tool_calls"][0]["function"]["arguments"],
        "{\"command\":\"ls\"}"
    );
    assert_eq!(openai["messages"][2]["content"], serde_json::Value::Null);
    assert_eq!(
        openai["messages"][3],
        json!({"role": "tool", "tool_call_id": "t1", "content": "a.py"})
    );
    assert_eq!(openai["messages"][4]["content"], "ERROR: denied by rule");

    let anthropic = agent::provider::anthropic::body(&conversation);
    assert_eq!(
        anthropic["messages"].as_array().unwrap().len(),
        3,
        "two results share one user message"
    );
    assert_eq!(anthropic["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        anthropic["messages"][2]["content"][1],
        json!({"type": "tool_result", "tool_use_id": "t2", "content": "denied by rule", "is_error": true})
    );
}
