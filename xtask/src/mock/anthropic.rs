//! A scripted mock of the Anthropic Messages API for driving Claude Code offline.
//!
//! Routes: `POST /v1/messages` (SSE when `stream` is true, JSON otherwise),
//! `POST /v1/messages/count_tokens`, `GET /v1/models[/<id>]`, and `HEAD` on anything. Requests
//! that declare tools are the agent's main loop and consume the scenario's turns in order;
//! requests without tools are side calls (titles, summaries, quota checks) and get the side
//! text. Unknown routes get an Anthropic-shaped 404 so the CLI fails fast instead of waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::{ModelRequestLog, NextAnswer, ScriptCursor};
use crate::http::{Handler, Request, Response};
use crate::scenario::{ModelScript, Turn};

/// Usage reported for every answer; fixed so captures are comparable across runs.
const INPUT_TOKENS: u64 = 120;
const CACHE_CREATION_INPUT_TOKENS: u64 = 30;
const CACHE_READ_INPUT_TOKENS: u64 = 500;
/// Model id answered when a request names none.
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";

/// The mock's state shared by all connections.
struct AnthropicMock {
    cursor: ScriptCursor,
    log: Arc<ModelRequestLog>,
    message_counter: AtomicUsize,
}

/// Builds the HTTP handler for a scenario's script; requests are logged by `log`.
pub fn handler(script: ModelScript, log: Arc<ModelRequestLog>) -> Handler {
    let mock = Arc::new(AnthropicMock {
        cursor: ScriptCursor::new(script),
        log,
        message_counter: AtomicUsize::new(0),
    });
    Arc::new(move |request: &Request| {
        let (response, answered_with) = mock.answer(request);
        mock.log.record(request, &answered_with);
        response
    })
}

impl AnthropicMock {
    fn answer(&self, request: &Request) -> (Response, String) {
        let path = request.path().trim_end_matches('/');
        match (request.method.as_str(), path) {
            ("HEAD", _) => (Response::new(200, "text/plain", ""), "head".into()),
            ("GET", "/v1/models") => (Response::json(200, &models_page()), "models".into()),
            ("GET", _) if path.starts_with("/v1/models/") => {
                let id = path.trim_start_matches("/v1/models/");
                (Response::json(200, &model_object(id)), "model".into())
            }
            ("POST", "/v1/messages/count_tokens") => {
                // Roughly four bytes per token, like the real tokenizer on English text.
                let tokens = (request.body.len() / 4).max(1);
                (
                    Response::json(200, &json!({ "input_tokens": tokens })),
                    "count_tokens".into(),
                )
            }
            ("POST", "/v1/messages") => self.answer_messages(request),
            _ => (
                error_response(404, "not_found_error", &format!("no route {path}"), None),
                "not_found".into(),
            ),
        }
    }

    fn answer_messages(&self, request: &Request) -> (Response, String) {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return (
                error_response(400, "invalid_request_error", "body is not JSON", None),
                "bad_json".into(),
            );
        };
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_MODEL)
            .to_string();
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let is_main = body
            .get("tools")
            .and_then(Value::as_array)
            .is_some_and(|tools| !tools.is_empty());
        let seq = self.message_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let ids = MessageIds::new(seq);
        if !is_main {
            let blocks = vec![Block::Text(self.cursor.side_text().to_string())];
            return (
                message_response(&ids, &model, &blocks, "end_turn", stream),
                "side_text".into(),
            );
        }
        match self.cursor.next() {
            NextAnswer::Final(text) => (
                message_response(&ids, &model, &[Block::Text(text)], "end_turn", stream),
                "final_text".into(),
            ),
            NextAnswer::Scripted(position, turn) => {
                let label = format!("turn {position}");
                let response = match turn {
                    Turn::Text { text } => {
                        message_response(&ids, &model, &[Block::Text(text)], "end_turn", stream)
                    }
                    Turn::ToolUse {
                        tool, input, text, ..
                    } => {
                        let mut blocks = Vec::new();
                        if let Some(text) = text {
                            blocks.push(Block::Text(text));
                        }
                        blocks.push(Block::ToolUse {
                            id: ids.tool_use_id.clone(),
                            name: tool,
                            input,
                        });
                        message_response(&ids, &model, &blocks, "tool_use", stream)
                    }
                    Turn::HttpError {
                        status,
                        retry_after,
                        error_type,
                        message,
                        headers,
                    } => {
                        let error_type = error_type.unwrap_or_else(|| default_error_type(status));
                        let message = message.unwrap_or_else(|| format!("mock {status} error"));
                        let mut response =
                            error_response(status, &error_type, &message, Some(&ids.request_id));
                        if let Some(seconds) = retry_after {
                            response = response.with_header("retry-after", &seconds.to_string());
                        }
                        for (name, value) in &headers {
                            response = response.with_header(name, value);
                        }
                        response
                    }
                };
                (response, label)
            }
        }
    }
}

/// Ids of one answer, derived from its sequence number so runs are reproducible.
struct MessageIds {
    message_id: String,
    request_id: String,
    tool_use_id: String,
}

impl MessageIds {
    fn new(seq: usize) -> Self {
        Self {
            message_id: format!("msg_mock{seq:020}"),
            request_id: format!("req_mock{seq:020}"),
            tool_use_id: format!("toolu_mock{seq:018}"),
        }
    }
}

/// A content block of an answer.
enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

fn default_error_type(status: u16) -> String {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
    .to_string()
}

fn error_response(
    status: u16,
    error_type: &str,
    message: &str,
    request_id: Option<&str>,
) -> Response {
    let mut response = Response::json(
        status,
        &json!({ "type": "error", "error": { "type": error_type, "message": message } }),
    );
    if let Some(request_id) = request_id {
        response = response.with_header("request-id", request_id);
    }
    response
}

fn output_tokens(blocks: &[Block]) -> u64 {
    let chars: usize = blocks
        .iter()
        .map(|block| match block {
            Block::Text(text) => text.len(),
            Block::ToolUse { input, .. } => input.to_string().len(),
        })
        .sum();
    (chars as u64 / 4).max(1)
}

fn input_usage() -> Value {
    json!({
        "input_tokens": INPUT_TOKENS,
        "cache_creation_input_tokens": CACHE_CREATION_INPUT_TOKENS,
        "cache_read_input_tokens": CACHE_READ_INPUT_TOKENS,
        "output_tokens": 1,
    })
}

fn message_response(
    ids: &MessageIds,
    model: &str,
    blocks: &[Block],
    stop_reason: &str,
    stream: bool,
) -> Response {
    let response = if stream {
        Response::new(
            200,
            "text/event-stream",
            sse_body(ids, model, blocks, stop_reason),
        )
        .with_header("Cache-Control", "no-cache")
    } else {
        Response::json(200, &message_json(ids, model, blocks, stop_reason))
    };
    response.with_header("request-id", &ids.request_id)
}

fn message_json(ids: &MessageIds, model: &str, blocks: &[Block], stop_reason: &str) -> Value {
    let content: Vec<Value> = blocks
        .iter()
        .map(|block| match block {
            Block::Text(text) => json!({ "type": "text", "text": text }),
            Block::ToolUse { id, name, input } => {
                json!({ "type": "tool_use", "id": id, "name": name, "input": input })
            }
        })
        .collect();
    let mut usage = input_usage();
    usage["output_tokens"] = json!(output_tokens(blocks));
    json!({
        "id": ids.message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage,
    })
}

fn sse_event(out: &mut String, event: &str, data: &Value) {
    out.push_str("event: ");
    out.push_str(event);
    out.push_str("\ndata: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

fn sse_body(ids: &MessageIds, model: &str, blocks: &[Block], stop_reason: &str) -> String {
    let mut out = String::new();
    sse_event(
        &mut out,
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": ids.message_id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null, "usage": input_usage(),
            }
        }),
    );
    sse_event(&mut out, "ping", &json!({ "type": "ping" }));
    for (index, block) in blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                sse_event(
                    &mut out,
                    "content_block_start",
                    &json!({ "type": "content_block_start", "index": index,
                             "content_block": { "type": "text", "text": "" } }),
                );
                sse_event(
                    &mut out,
                    "content_block_delta",
                    &json!({ "type": "content_block_delta", "index": index,
                             "delta": { "type": "text_delta", "text": text } }),
                );
            }
            Block::ToolUse { id, name, input } => {
                sse_event(
                    &mut out,
                    "content_block_start",
                    &json!({ "type": "content_block_start", "index": index,
                             "content_block": { "type": "tool_use", "id": id, "name": name, "input": {} } }),
                );
                sse_event(
                    &mut out,
                    "content_block_delta",
                    &json!({ "type": "content_block_delta", "index": index,
                             "delta": { "type": "input_json_delta", "partial_json": input.to_string() } }),
                );
            }
        }
        sse_event(
            &mut out,
            "content_block_stop",
            &json!({ "type": "content_block_stop", "index": index }),
        );
    }
    sse_event(
        &mut out,
        "message_delta",
        &json!({ "type": "message_delta",
                 "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                 "usage": { "output_tokens": output_tokens(blocks) } }),
    );
    sse_event(&mut out, "message_stop", &json!({ "type": "message_stop" }));
    out
}

fn model_object(id: &str) -> Value {
    json!({ "type": "model", "id": id, "display_name": id, "created_at": "2026-01-01T00:00:00Z" })
}

fn models_page() -> Value {
    let ids = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"];
    let data: Vec<Value> = ids.iter().map(|id| model_object(id)).collect();
    json!({ "data": data, "has_more": false, "first_id": ids[0], "last_id": ids[ids.len() - 1] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str, body: &str) -> Request {
        Request {
            method: method.into(),
            target: target.into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn mock(turns: Vec<Turn>) -> AnthropicMock {
        AnthropicMock {
            cursor: ScriptCursor::new(ModelScript {
                turns,
                final_text: "Done.".into(),
                side_text: "OK".into(),
            }),
            log: Arc::new(ModelRequestLog::scratch("anthropic-mock")),
            message_counter: AtomicUsize::new(0),
        }
    }

    #[test]
    fn odd_requests_get_answers_not_panics() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        for (method, target, body) in [
            ("POST", "/v1/messages", "not json"),
            ("POST", "/v1/messages", "[]"),
            ("POST", "/v1/messages", r#"{"tools":"x","stream":"yes"}"#),
            ("GET", "/nothing", ""),
            ("DELETE", "/v1/messages", ""),
            ("HEAD", "/", ""),
        ] {
            let (response, _) = mock.answer(&request(method, target, body));
            assert!(response.status >= 200, "{method} {target}");
        }
    }

    #[test]
    fn main_requests_consume_turns_and_side_calls_do_not() {
        let mock = mock(vec![
            Turn::HttpError {
                status: 429,
                retry_after: Some(1),
                error_type: None,
                message: None,
                headers: Default::default(),
            },
            Turn::ToolUse {
                tool: "Bash".into(),
                input: json!({ "command": "echo hi" }),
                text: None,
                exact: false,
            },
        ]);
        let main = r#"{"model":"m","stream":true,"tools":[{"name":"Bash"}],"messages":[]}"#;
        let side = r#"{"model":"m","messages":[]}"#;
        let (first, _) = mock.answer(&request("POST", "/v1/messages?beta=true", main));
        assert_eq!(first.status, 429);
        assert!(first
            .headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "1"));
        let (side_answer, label) = mock.answer(&request("POST", "/v1/messages", side));
        assert_eq!((side_answer.status, label.as_str()), (200, "side_text"));
        let (second, _) = mock.answer(&request("POST", "/v1/messages", main));
        let sse = String::from_utf8(second.body).expect("utf-8");
        assert!(sse.contains(r#""name":"Bash""#) && sse.contains("input_json_delta"));
        assert!(sse.contains(r#""stop_reason":"tool_use""#));
        let (third, label) = mock.answer(&request("POST", "/v1/messages", main));
        assert_eq!((third.status, label.as_str()), (200, "final_text"));
    }
}
