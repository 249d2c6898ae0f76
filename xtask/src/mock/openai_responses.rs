//! A scripted mock of the OpenAI Responses API for driving Codex CLI offline.
//!
//! Routes:
//! - `POST …/responses`: the model. Streams SSE (`response.created` → `response.in_progress` →
//!   `response.output_item.added` → deltas → `response.output_item.done` → `response.completed`
//!   with `usage`) when `stream` is true, one JSON `response` object otherwise. Requests that
//!   declare tools are the agent's main loop and consume the scenario's turns in order;
//!   requests without tools are side calls (titles, summaries) and get the side text.
//! - `POST …/analytics/codex/turn-costs`: Codex's per-turn cost side call, sent to the provider
//!   even with analytics disabled; any 2xx satisfies it.
//! - `GET …/models`: an OpenAI-shaped model list (plus one model object per id).
//! - `HEAD` on anything; everything else an OpenAI-shaped 404 so the CLI fails fast.
//!
//! Tool turns: the scenario names a tool and its input. When the request declares a tool of that
//! name the input is sent as is; otherwise the mock finds the CLI's shell tool
//! (`exec_command`, `shell`, `shell_command`, `local_shell`, …) and rebuilds the arguments from
//! that tool's JSON schema (`cmd` or `command`, string or argv array, plus required fields), so
//! a scenario survives the CLI renaming its shell tool between versions. A turn marked `exact`
//! is sent as scripted, declared or not (a model calling a tool the CLI does not offer).
//! The final assistant message carries `"phase": "final_answer"`: Codex emits
//! `codex.agent_response` only for such messages.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{ModelRequestLog, NextAnswer, ScriptCursor};
use crate::http::{Handler, Request, Response};
use crate::scenario::{ModelScript, Turn};

/// Usage reported for every answer; fixed so captures are comparable across runs. OpenAI's
/// `input_tokens` includes the cached ones.
const INPUT_TOKENS: u64 = 1_200;
const CACHED_INPUT_TOKENS: u64 = 1_000;
const REASONING_TOKENS: u64 = 16;
/// Model id answered when a request names none.
const DEFAULT_MODEL: &str = "gpt-5.1-codex";
/// Shell tool names, most specific first.
const SHELL_TOOL_NAMES: &[&str] = &[
    "exec_command",
    "shell",
    "shell_command",
    "local_shell",
    "unified_exec",
    "container.exec",
    "bash",
    "run_shell_command",
];
/// Request item types that carry a tool's output back to the model.
const TOOL_OUTPUT_ITEMS: &[&str] = &[
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
];

/// The mock's state shared by all connections.
struct ResponsesMock {
    cursor: ScriptCursor,
    log: Arc<ModelRequestLog>,
    response_counter: AtomicUsize,
}

/// Builds the HTTP handler for a scenario's script; requests are logged by `log`.
pub fn handler(script: ModelScript, log: Arc<ModelRequestLog>) -> Handler {
    let mock = Arc::new(ResponsesMock {
        cursor: ScriptCursor::new(script),
        log,
        response_counter: AtomicUsize::new(0),
    });
    Arc::new(move |request: &Request| {
        let (response, answered_with) = mock.answer(request);
        mock.log.record(request, &answered_with);
        response
    })
}

impl ResponsesMock {
    fn answer(&self, request: &Request) -> (Response, String) {
        let path = request.path().trim_end_matches('/');
        match request.method.as_str() {
            "HEAD" => (Response::new(200, "text/plain", ""), "head".into()),
            "GET" if path.ends_with("/models") => {
                (Response::json(200, &models_page()), "models".into())
            }
            "GET" if path.contains("/models/") => {
                let id = path.rsplit('/').next().unwrap_or(DEFAULT_MODEL);
                (Response::json(200, &model_object(id)), "model".into())
            }
            "POST" if path.ends_with("/analytics/codex/turn-costs") => (
                Response::json(200, &json!({ "ok": true })),
                "turn_costs".into(),
            ),
            "POST" if path.ends_with("/responses") => self.answer_responses(request),
            _ => (
                error_response(
                    404,
                    "invalid_request_error",
                    &format!("no route {path}"),
                    None,
                ),
                "not_found".into(),
            ),
        }
    }

    fn answer_responses(&self, request: &Request) -> (Response, String) {
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
        let tools = declared_tools(&body);
        let seq = self.response_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let ids = ResponseIds::new(seq);
        if tools.is_empty() {
            let items = vec![OutputItem::Message {
                text: self.cursor.side_text().to_string(),
                phase: "final_answer",
            }];
            return (
                response_for(&ids, &model, &items, stream),
                "side_text".into(),
            );
        }
        match self.cursor.next() {
            NextAnswer::Final(text) => {
                let items = vec![OutputItem::Message {
                    text,
                    phase: "final_answer",
                }];
                (
                    response_for(&ids, &model, &items, stream),
                    "final_text".into(),
                )
            }
            NextAnswer::Scripted(position, turn) => {
                let label = format!("turn {position}");
                let response = match turn {
                    Turn::Text { text } => {
                        let items = vec![OutputItem::Message {
                            text,
                            phase: "final_answer",
                        }];
                        response_for(&ids, &model, &items, stream)
                    }
                    Turn::ToolUse {
                        tool,
                        input,
                        text,
                        exact,
                    } => {
                        let mut items = Vec::new();
                        if let Some(text) = text {
                            items.push(OutputItem::Message {
                                text,
                                phase: "commentary",
                            });
                        }
                        items.push(if exact {
                            OutputItem::FunctionCall {
                                name: tool,
                                call_id: ids.call_id.clone(),
                                arguments: input.to_string(),
                            }
                        } else {
                            tool_call(&tools, &tool, &input, &ids)
                        });
                        response_for(&ids, &model, &items, stream)
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
                let after_tool = has_tool_output(&body);
                (
                    response,
                    if after_tool {
                        format!("{label} (after a tool result)")
                    } else {
                        label
                    },
                )
            }
        }
    }
}

/// The tools a request declares: name and parameter schema. `local_shell` has no schema.
fn declared_tools(body: &Value) -> Vec<(String, Value)> {
    let Some(tools) = body.get("tools").and_then(Value::as_array) else {
        return Vec::new();
    };
    tools
        .iter()
        .filter_map(|tool| {
            let kind = tool.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "local_shell" => Some(("local_shell".to_string(), Value::Null)),
                _ => {
                    let name = tool.get("name").and_then(Value::as_str)?;
                    let schema = tool.get("parameters").cloned().unwrap_or(Value::Null);
                    Some((name.to_string(), schema))
                }
            }
        })
        .collect()
}

fn has_tool_output(body: &Value) -> bool {
    body.get("input")
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items.iter().any(|item| {
                item.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| TOOL_OUTPUT_ITEMS.contains(&kind))
            })
        })
}

/// Ids of one answer, derived from its sequence number so runs are reproducible.
struct ResponseIds {
    response_id: String,
    request_id: String,
    call_id: String,
    seq: usize,
}

impl ResponseIds {
    fn new(seq: usize) -> Self {
        Self {
            response_id: format!("resp_mock{seq:020}"),
            request_id: format!("req_mock{seq:020}"),
            call_id: format!("call_mock{seq:016}"),
            seq,
        }
    }

    fn item_id(&self, prefix: &str, index: usize) -> String {
        format!("{prefix}_mock{:012}{index:04}", self.seq)
    }
}

/// An output item of an answer.
enum OutputItem {
    /// An assistant message; `phase` is `final_answer` or `commentary`.
    Message { text: String, phase: &'static str },
    /// A function tool call with JSON-text arguments.
    FunctionCall {
        name: String,
        call_id: String,
        arguments: String,
    },
    /// The `local_shell` built-in tool (argv command).
    LocalShell {
        call_id: String,
        command: Vec<String>,
    },
}

/// The call for a scripted tool turn, adapted to the tools this request declares.
fn tool_call(
    tools: &[(String, Value)],
    wanted: &str,
    input: &Value,
    ids: &ResponseIds,
) -> OutputItem {
    let call_id = ids.call_id.clone();
    let declared = |name: &str| tools.iter().find(|(tool, _)| tool == name);
    if let Some((name, _)) = declared(wanted).filter(|(name, _)| name != "local_shell") {
        return OutputItem::FunctionCall {
            name: name.clone(),
            call_id,
            arguments: input.to_string(),
        };
    }
    let shell = SHELL_TOOL_NAMES
        .iter()
        .find_map(|name| declared(name))
        .or_else(|| {
            tools.iter().find(|(name, _)| {
                let lower = name.to_ascii_lowercase();
                lower.contains("shell") || lower.contains("exec")
            })
        });
    let command = command_text(input);
    match shell {
        Some((name, _)) if name == "local_shell" => OutputItem::LocalShell {
            call_id,
            command: vec!["bash".into(), "-lc".into(), command],
        },
        Some((name, schema)) => OutputItem::FunctionCall {
            name: name.clone(),
            call_id,
            arguments: shell_arguments(schema, &command, input).to_string(),
        },
        // No shell tool at all: ask for the named tool anyway, so the CLI's own error shows
        // up in the capture instead of the mock hiding the mismatch.
        None => OutputItem::FunctionCall {
            name: wanted.to_string(),
            call_id,
            arguments: input.to_string(),
        },
    }
}

/// The command line a scripted input asks for (`cmd`, `command` as text or argv).
fn command_text(input: &Value) -> String {
    for key in ["cmd", "command"] {
        match input.get(key) {
            Some(Value::String(text)) => return text.clone(),
            Some(Value::Array(argv)) => {
                let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
                // `["bash", "-lc", "<script>"]` means the script.
                if words.len() == 3 && words[1] == "-lc" {
                    return words[2].to_string();
                }
                return words.join(" ");
            }
            _ => {}
        }
    }
    input.as_str().unwrap_or("true").to_string()
}

/// Arguments for a shell tool built from its JSON schema: the command under the property the
/// schema names, scripted extras the schema knows, and a plausible value for every other
/// required property.
fn shell_arguments(schema: &Value, command: &str, input: &Value) -> Value {
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut args = Map::new();
    let command_key = ["cmd", "command"]
        .into_iter()
        .find(|key| properties.contains_key(*key))
        .unwrap_or("cmd");
    let wants_argv = properties
        .get(command_key)
        .and_then(|it| it.get("type"))
        .and_then(Value::as_str)
        == Some("array");
    let command_value = if wants_argv {
        json!(["bash", "-lc", command])
    } else {
        json!(command)
    };
    args.insert(command_key.to_string(), command_value);
    if let Some(extra) = input.as_object() {
        for (key, value) in extra {
            if key != "cmd" && key != "command" && properties.contains_key(key) {
                args.insert(key.clone(), value.clone());
            }
        }
    }
    for key in required {
        if args.contains_key(key) {
            continue;
        }
        let property = properties.get(key).cloned().unwrap_or(Value::Null);
        args.insert(key.to_string(), placeholder_for(key, &property));
    }
    Value::Object(args)
}

fn placeholder_for(key: &str, property: &Value) -> Value {
    if let Some(first) = property
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|it| it.first())
    {
        return first.clone();
    }
    match property.get("type").and_then(Value::as_str) {
        Some("boolean") => json!(false),
        Some("integer") | Some("number") => property
            .get("minimum")
            .cloned()
            .unwrap_or_else(|| json!(10_000)),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ if matches!(key, "workdir" | "cwd" | "directory") => json!("."),
        _ => json!("codetel mock"),
    }
}

fn default_error_type(status: u16) -> String {
    match status {
        400 => "invalid_request_error",
        401 => "invalid_api_key",
        403 => "permission_denied",
        404 => "not_found",
        429 => "rate_limit_exceeded",
        _ => "server_error",
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
        &json!({ "error": { "message": message, "type": error_type, "param": null, "code": error_type } }),
    );
    if let Some(request_id) = request_id {
        response = response.with_header("x-request-id", request_id);
    }
    response
}

fn output_tokens(items: &[OutputItem]) -> u64 {
    let chars: usize = items
        .iter()
        .map(|item| match item {
            OutputItem::Message { text, .. } => text.len(),
            OutputItem::FunctionCall { arguments, .. } => arguments.len(),
            OutputItem::LocalShell { command, .. } => command.join(" ").len(),
        })
        .sum();
    (chars as u64 / 4).max(1) + REASONING_TOKENS
}

fn usage(items: &[OutputItem]) -> Value {
    let output = output_tokens(items);
    json!({
        "input_tokens": INPUT_TOKENS,
        "input_tokens_details": { "cached_tokens": CACHED_INPUT_TOKENS },
        "output_tokens": output,
        "output_tokens_details": { "reasoning_tokens": REASONING_TOKENS },
        "total_tokens": INPUT_TOKENS + output,
    })
}

/// The finished JSON of an output item.
fn item_json(item: &OutputItem, ids: &ResponseIds, index: usize) -> Value {
    match item {
        OutputItem::Message { text, phase } => json!({
            "type": "message", "id": ids.item_id("msg", index), "status": "completed",
            "role": "assistant", "phase": phase,
            "content": [{ "type": "output_text", "text": text, "annotations": [] }],
        }),
        OutputItem::FunctionCall {
            name,
            call_id,
            arguments,
        } => json!({
            "type": "function_call", "id": ids.item_id("fc", index), "status": "completed",
            "call_id": call_id, "name": name, "arguments": arguments,
        }),
        OutputItem::LocalShell { call_id, command } => json!({
            "type": "local_shell_call", "id": ids.item_id("lsh", index), "status": "completed",
            "call_id": call_id,
            "action": { "type": "exec", "command": command, "env": {} },
        }),
    }
}

fn response_object(
    ids: &ResponseIds,
    model: &str,
    status: &str,
    output: Vec<Value>,
    usage: Option<Value>,
) -> Value {
    json!({
        "id": ids.response_id, "object": "response", "created_at": 1_790_000_000 + ids.seq,
        "status": status, "model": model, "output": output, "usage": usage,
    })
}

fn response_for(ids: &ResponseIds, model: &str, items: &[OutputItem], stream: bool) -> Response {
    let response = if stream {
        Response::new(200, "text/event-stream", sse_body(ids, model, items))
            .with_header("Cache-Control", "no-cache")
    } else {
        let output = items
            .iter()
            .enumerate()
            .map(|(index, item)| item_json(item, ids, index))
            .collect();
        Response::json(
            200,
            &response_object(ids, model, "completed", output, Some(usage(items))),
        )
    };
    response.with_header("x-request-id", &ids.request_id)
}

/// Writes SSE events with a running `sequence_number`.
struct SseWriter {
    out: String,
    sequence: u64,
}

impl SseWriter {
    fn event(&mut self, kind: &str, fields: Value) {
        let mut data = Map::new();
        data.insert("type".into(), json!(kind));
        data.insert("sequence_number".into(), json!(self.sequence));
        if let Value::Object(fields) = fields {
            data.extend(fields);
        }
        self.sequence += 1;
        self.out.push_str("event: ");
        self.out.push_str(kind);
        self.out.push_str("\ndata: ");
        self.out.push_str(&Value::Object(data).to_string());
        self.out.push_str("\n\n");
    }
}

/// Splits text into a few deltas at word boundaries, like a real stream.
fn deltas(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        current.push_str(word);
        if current.len() >= 12 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn sse_body(ids: &ResponseIds, model: &str, items: &[OutputItem]) -> String {
    let mut sse = SseWriter {
        out: String::new(),
        sequence: 0,
    };
    let in_progress = response_object(ids, model, "in_progress", Vec::new(), None);
    sse.event("response.created", json!({ "response": in_progress }));
    sse.event("response.in_progress", json!({ "response": in_progress }));
    let mut done_items = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let done = item_json(item, ids, index);
        let item_id = done["id"].clone();
        match item {
            OutputItem::Message { text, .. } => {
                let mut added = done.clone();
                added["status"] = json!("in_progress");
                added["content"] = json!([]);
                sse.event(
                    "response.output_item.added",
                    json!({ "output_index": index, "item": added }),
                );
                let part = json!({ "type": "output_text", "text": "", "annotations": [] });
                sse.event(
                    "response.content_part.added",
                    json!({ "item_id": item_id, "output_index": index, "content_index": 0, "part": part }),
                );
                for delta in deltas(text) {
                    sse.event(
                        "response.output_text.delta",
                        json!({ "item_id": item_id, "output_index": index, "content_index": 0, "delta": delta }),
                    );
                }
                sse.event(
                    "response.output_text.done",
                    json!({ "item_id": item_id, "output_index": index, "content_index": 0, "text": text }),
                );
                sse.event(
                    "response.content_part.done",
                    json!({ "item_id": item_id, "output_index": index, "content_index": 0,
                            "part": done["content"][0] }),
                );
            }
            OutputItem::FunctionCall { arguments, .. } => {
                let mut added = done.clone();
                added["status"] = json!("in_progress");
                added["arguments"] = json!("");
                sse.event(
                    "response.output_item.added",
                    json!({ "output_index": index, "item": added }),
                );
                sse.event(
                    "response.function_call_arguments.delta",
                    json!({ "item_id": item_id, "output_index": index, "delta": arguments }),
                );
                sse.event(
                    "response.function_call_arguments.done",
                    json!({ "item_id": item_id, "output_index": index, "arguments": arguments }),
                );
            }
            OutputItem::LocalShell { .. } => {
                sse.event(
                    "response.output_item.added",
                    json!({ "output_index": index, "item": done }),
                );
            }
        }
        sse.event(
            "response.output_item.done",
            json!({ "output_index": index, "item": done }),
        );
        done_items.push(done);
    }
    let completed = response_object(ids, model, "completed", done_items, Some(usage(items)));
    sse.event("response.completed", json!({ "response": completed }));
    sse.out
}

fn model_object(id: &str) -> Value {
    json!({ "id": id, "object": "model", "created": 1_790_000_000, "owned_by": "codetel-mock" })
}

fn models_page() -> Value {
    let ids = ["gpt-5.1-codex", "gpt-5.1", "gpt-5.1-codex-mini"];
    let data: Vec<Value> = ids.iter().map(|id| model_object(id)).collect();
    json!({ "object": "list", "data": data })
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

    fn mock(turns: Vec<Turn>) -> ResponsesMock {
        ResponsesMock {
            cursor: ScriptCursor::new(ModelScript {
                turns,
                final_text: "Done.".into(),
                side_text: "OK".into(),
            }),
            log: Arc::new(ModelRequestLog::scratch("responses")),
            response_counter: AtomicUsize::new(0),
        }
    }

    /// The `data:` payloads of an SSE body.
    /// The name and parsed arguments of the function call a streamed answer completes.
    fn function_call(body: &[u8]) -> (String, Value) {
        let events = events(body);
        let done = events
            .iter()
            .find(|it| it["type"] == "response.output_item.done")
            .expect("an item");
        assert_eq!(done["item"]["type"], "function_call");
        let arguments = serde_json::from_str(done["item"]["arguments"].as_str().expect("text"))
            .expect("JSON arguments");
        (done["item"]["name"].as_str().expect("a name").to_owned(), arguments)
    }

    fn events(body: &[u8]) -> Vec<Value> {
        String::from_utf8_lossy(body)
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).expect("event data is JSON"))
            .collect()
    }

    const EXEC_TOOL: &str = r#"{"type":"function","name":"exec_command","parameters":{"type":"object",
        "properties":{"cmd":{"type":"string"},"workdir":{"type":"string"},"yield_time_ms":{"type":"number"}},
        "required":["cmd"]}}"#;

    #[test]
    fn odd_requests_get_answers_not_panics() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        for (method, target, body) in [
            ("POST", "/v1/responses", "not json"),
            ("POST", "/v1/responses", "[]"),
            (
                "POST",
                "/v1/responses",
                r#"{"tools":"x","stream":"yes","input":3}"#,
            ),
            (
                "POST",
                "/v1/responses",
                r#"{"tools":[{"type":"function"}],"stream":true}"#,
            ),
            ("GET", "/nothing", ""),
            ("DELETE", "/v1/responses", ""),
            ("HEAD", "/", ""),
        ] {
            let (response, _) = mock.answer(&request(method, target, body));
            assert!(response.status >= 200, "{method} {target}");
        }
    }

    #[test]
    fn a_text_turn_streams_the_documented_event_order_with_usage() {
        let mock = mock(vec![Turn::Text {
            text: "The answer is four, as expected.".into(),
        }]);
        let body = format!(
            r#"{{"model":"gpt-5.1-codex","stream":true,"tools":[{EXEC_TOOL}],"input":[]}}"#
        );
        let (response, label) = mock.answer(&request("POST", "/v1/responses", &body));
        assert_eq!((response.status, label.as_str()), (200, "turn 1"));
        let events = events(&response.body);
        let kinds: Vec<&str> = events.iter().filter_map(|it| it["type"].as_str()).collect();
        assert_eq!(kinds.first(), Some(&"response.created"));
        assert_eq!(kinds.last(), Some(&"response.completed"));
        let added = kinds
            .iter()
            .position(|it| *it == "response.output_item.added");
        let delta = kinds
            .iter()
            .position(|it| *it == "response.output_text.delta");
        let done = kinds
            .iter()
            .position(|it| *it == "response.output_item.done");
        assert!(added < delta && delta < done, "{kinds:?}");
        let text: String = events
            .iter()
            .filter(|it| it["type"] == "response.output_text.delta")
            .filter_map(|it| it["delta"].as_str())
            .collect();
        assert_eq!(text, "The answer is four, as expected.");
        let completed = events.last().expect("events");
        let usage = &completed["response"]["usage"];
        assert_eq!(usage["input_tokens"], 1_200);
        assert_eq!(usage["input_tokens_details"]["cached_tokens"], 1_000);
        assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 16);
        let total = usage["input_tokens"].as_u64().unwrap_or(0)
            + usage["output_tokens"].as_u64().unwrap_or(0);
        assert_eq!(usage["total_tokens"].as_u64(), Some(total));
        assert_eq!(completed["response"]["output"][0]["phase"], "final_answer");
        let sequence: Vec<u64> = events
            .iter()
            .filter_map(|it| it["sequence_number"].as_u64())
            .collect();
        assert_eq!(sequence, (0..events.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn a_tool_turn_calls_the_declared_shell_tool_with_schema_arguments() {
        let mock = mock(vec![Turn::ToolUse {
            tool: "shell".into(),
            input: json!({ "command": ["bash", "-lc", "echo hi > out.txt"], "workdir": "/tmp" }),
            text: None,
            exact: false,
        }]);
        let body = format!(r#"{{"stream":true,"tools":[{EXEC_TOOL}],"input":[]}}"#);
        let (response, _) = mock.answer(&request("POST", "/v1/responses", &body));
        let (name, arguments) = function_call(&response.body);
        assert_eq!(name, "exec_command");
        assert_eq!(
            arguments,
            json!({ "cmd": "echo hi > out.txt", "workdir": "/tmp" })
        );
    }

    #[test]
    fn an_exact_turn_calls_an_undeclared_tool_as_scripted() {
        let mock = mock(vec![Turn::ToolUse {
            tool: "update_plan".into(),
            input: json!({ "plan": [{ "step": "a", "status": "pending" }] }),
            text: None,
            exact: true,
        }]);
        let body = format!(r#"{{"stream":true,"tools":[{EXEC_TOOL}],"input":[]}}"#);
        let (response, _) = mock.answer(&request("POST", "/v1/responses", &body));
        let (name, arguments) = function_call(&response.body);
        assert_eq!(name, "update_plan");
        assert_eq!(
            arguments,
            json!({ "plan": [{ "step": "a", "status": "pending" }] })
        );
    }

    #[test]
    fn errors_carry_retry_after_and_side_calls_do_not_consume_turns() {
        let mock = mock(vec![
            Turn::HttpError {
                status: 429,
                retry_after: Some(1),
                error_type: None,
                message: None,
                headers: Default::default(),
            },
            Turn::Text { text: "ok".into() },
        ]);
        let main = format!(r#"{{"stream":true,"tools":[{EXEC_TOOL}],"input":[]}}"#);
        let (first, _) = mock.answer(&request("POST", "/v1/responses", &main));
        assert_eq!(first.status, 429);
        assert!(first
            .headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "1"));
        let error: Value = serde_json::from_slice(&first.body).expect("JSON error");
        assert_eq!(error["error"]["type"], "rate_limit_exceeded");
        let (side, label) = mock.answer(&request(
            "POST",
            "/v1/responses",
            r#"{"stream":false,"input":[]}"#,
        ));
        assert_eq!((side.status, label.as_str()), (200, "side_text"));
        let (costs, label) = mock.answer(&request(
            "POST",
            "/v1/analytics/codex/turn-costs",
            r#"{"turn_ids":[]}"#,
        ));
        assert_eq!((costs.status, label.as_str()), (200, "turn_costs"));
        let (second, label) = mock.answer(&request("POST", "/v1/responses", &main));
        assert_eq!((second.status, label.as_str()), (200, "turn 2"));
        let (_, label) = mock.answer(&request("POST", "/v1/responses", &main));
        assert_eq!(label, "final_text");
    }
}
