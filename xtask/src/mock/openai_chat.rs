//! A scripted mock of the OpenAI Chat Completions API for driving Qwen Code, Copilot CLI (BYOK)
//! and opencode (`@ai-sdk/openai-compatible`) offline.
//!
//! Routes (matched on the path's ending, so any base path such as `/v1` works):
//! `POST …/chat/completions` (SSE when `stream` is true, JSON otherwise), `GET …/models`,
//! `GET …/models/<id>`, and `HEAD` on anything. Unknown routes get an OpenAI-shaped 404 so a CLI
//! fails fast instead of waiting.
//!
//! Which requests consume the script: a request that declares a shell tool (`run_shell_command`,
//! `bash`, `shell`, … or the tool a scripted turn names) and opens with the main conversation's
//! system prompt is the agent's main loop and takes the next turn. Everything else is a side call
//! and never touches the script: title generation (no tools), tool-using calls without a shell,
//! subagents with a system prompt of their own (Qwen's background memory extractor declares
//! `run_shell_command` too), and structured-output calls (`response_format`
//! `json_schema`/`json_object`), which get a JSON object built from their schema so the CLI's
//! parser is satisfied.
//!
//! Scripted HTTP errors carry the OpenAI error body, an `x-request-id`, and with `retry_after`
//! both `retry-after` (seconds) and `retry-after-ms`, which the OpenAI SDKs read first.
//!
//! A scripted tool call is fitted to the tool the CLI really declared: the scenario names the tool
//! and gives the command, and the mock fills the fields the tool's JSON schema requires (Copilot's
//! `bash` also requires `description`), turns a string command into an argv array when the schema
//! wants one, and leaves out fields the schema does not declare. A turn marked `exact` is sent
//! as scripted, declared or not (a model calling a tool the CLI does not offer).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::{ModelRequestLog, NextAnswer, ScriptCursor};
use crate::http::{Handler, Request, Response};
use crate::scenario::{ModelScript, Turn};

/// Usage reported for every answer; fixed so captures are comparable across runs. Cached and
/// reasoning tokens are non-zero so adapters can see where each lands.
const PROMPT_TOKENS: u64 = 650;
const CACHED_PROMPT_TOKENS: u64 = 500;
const REASONING_TOKENS: u64 = 8;
/// Model id answered when a request names none.
const DEFAULT_MODEL: &str = "mock-model";
/// Models listed by `GET …/models`; each CLI's configured model is among them.
const LISTED_MODELS: &[&str] = &["mock-model", "gpt-4.1", "gpt-5", "qwen3-coder-plus"];
/// `created` timestamp of every answer (2026-01-01), fixed for reproducible captures.
const CREATED: u64 = 1_767_225_600;
/// Shell tool names the CLIs declare, most specific first.
const SHELL_TOOL_NAMES: &[&str] = &[
    "run_shell_command",
    "bash",
    "shell",
    "exec_command",
    "execute_command",
    "run_command",
];
/// Description given when a tool requires one and the scenario did not say.
const DEFAULT_TOOL_DESCRIPTION: &str = "Run the requested shell command";
/// How many characters of the system prompt identify a conversation.
const SYSTEM_PROMPT_OPENING_CHARS: usize = 120;
/// How deep the structured-output builder follows nested schemas.
const MAX_SCHEMA_DEPTH: usize = 8;

/// The mock's state shared by all connections.
struct ChatMock {
    cursor: ScriptCursor,
    /// Tool names the script's tool turns use; a request declaring one is the main loop.
    scripted_tools: Vec<String>,
    /// Opening of the main conversation's system prompt, fixed by its first request.
    main_system_prompt: Mutex<Option<String>>,
    log: Arc<ModelRequestLog>,
    completion_counter: AtomicUsize,
}

/// Builds the HTTP handler for a scenario's script; requests are logged by `log`.
pub fn handler(script: ModelScript, log: Arc<ModelRequestLog>) -> Handler {
    let mock = Arc::new(ChatMock::new(script, log));
    Arc::new(move |request: &Request| {
        let (response, answered_with) = mock.answer(request);
        mock.log.record(request, &answered_with);
        response
    })
}

/// A tool the request declares: its name and JSON schema for the arguments.
struct DeclaredTool {
    name: String,
    parameters: Value,
}

/// One tool call of an answer.
struct ToolCall {
    id: String,
    name: String,
    arguments: String,
}

/// What an answer says: text, a tool call, or both.
struct Answer {
    text: Option<String>,
    tool_call: Option<ToolCall>,
}

impl Answer {
    fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            tool_call: None,
        }
    }

    fn finish_reason(&self) -> &'static str {
        if self.tool_call.is_some() {
            "tool_calls"
        } else {
            "stop"
        }
    }

    /// Roughly four bytes per token, plus the reasoning tokens OpenAI counts inside
    /// `completion_tokens`.
    fn completion_tokens(&self) -> u64 {
        let bytes = self.text.as_deref().map_or(0, str::len)
            + self
                .tool_call
                .as_ref()
                .map_or(0, |call| call.name.len() + call.arguments.len());
        (bytes as u64 / 4).max(1) + REASONING_TOKENS
    }
}

/// How a chat request is answered, before the wire format is chosen.
struct Reply {
    answer: Answer,
    label: String,
}

impl ChatMock {
    fn new(script: ModelScript, log: Arc<ModelRequestLog>) -> Self {
        let scripted_tools = script
            .turns
            .iter()
            .filter_map(|turn| match turn {
                Turn::ToolUse { tool, .. } => Some(tool.clone()),
                _ => None,
            })
            .collect();
        Self {
            cursor: ScriptCursor::new(script),
            scripted_tools,
            main_system_prompt: Mutex::new(None),
            log,
            completion_counter: AtomicUsize::new(0),
        }
    }

    fn answer(&self, request: &Request) -> (Response, String) {
        let path = request.path().trim_end_matches('/');
        match request.method.as_str() {
            "HEAD" => (Response::new(200, "text/plain", ""), "head".into()),
            "GET" if path.ends_with("/models") || path == "models" => {
                (Response::json(200, &models_page()), "models".into())
            }
            "GET" if path.contains("/models/") => {
                let id = path.rsplit("/models/").next().unwrap_or(DEFAULT_MODEL);
                (Response::json(200, &model_object(id)), "model".into())
            }
            "POST" if path.ends_with("/chat/completions") => self.answer_chat(request),
            _ => (
                error_response(404, "invalid_request_error", &format!("no route {path}")),
                "not_found".into(),
            ),
        }
    }

    fn answer_chat(&self, request: &Request) -> (Response, String) {
        let Some(body) = serde_json::from_slice::<Value>(&request.body)
            .ok()
            .filter(Value::is_object)
        else {
            return (
                error_response(400, "invalid_request_error", "body is not a JSON object"),
                "bad_json".into(),
            );
        };
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_MODEL)
            .to_string();
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let seq = self.completion_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let tools = declared_tools(&body);
        let shell = self.main_loop_tool(&tools);

        let reply = if let Some(schema) = structured_output_schema(&body) {
            Reply {
                answer: Answer::text(
                    json_for_schema(schema, self.cursor.side_text(), 0).to_string(),
                ),
                label: "side_json".into(),
            }
        } else if shell.is_none() {
            Reply {
                answer: Answer::text(self.cursor.side_text()),
                label: if tools.is_empty() {
                    "side_text".into()
                } else {
                    "side_text (tools without a shell)".into()
                },
            }
        } else if !self.is_main_conversation(&body) {
            Reply {
                answer: Answer::text(self.cursor.side_text()),
                label: "side_text (subagent: another system prompt)".into(),
            }
        } else {
            match self.cursor.next() {
                NextAnswer::Final(text) => Reply {
                    answer: Answer::text(text),
                    label: "final_text".into(),
                },
                NextAnswer::Scripted(position, Turn::Text { text }) => Reply {
                    answer: Answer::text(text),
                    label: format!("turn {position}"),
                },
                NextAnswer::Scripted(
                    position,
                    Turn::ToolUse {
                        tool,
                        input,
                        text,
                        exact,
                    },
                ) => {
                    let declared = tools
                        .iter()
                        .find(|declared| declared.name == tool)
                        .or(shell)
                        .filter(|_| !exact);
                    let (name, arguments, label) = match declared {
                        Some(declared) => (
                            declared.name.clone(),
                            fit_arguments(&input, &declared.parameters),
                            format!("turn {position} ({})", declared.name),
                        ),
                        None => (tool.clone(), input.clone(), format!("turn {position}")),
                    };
                    Reply {
                        answer: Answer {
                            text,
                            tool_call: Some(ToolCall {
                                id: format!("call_mock{seq:016}"),
                                name,
                                arguments: arguments.to_string(),
                            }),
                        },
                        label,
                    }
                }
                NextAnswer::Scripted(
                    position,
                    Turn::HttpError {
                        status,
                        retry_after,
                        error_type,
                        message,
                        headers,
                    },
                ) => {
                    let error_type = error_type.unwrap_or_else(|| default_error_type(status));
                    let message = message.unwrap_or_else(|| format!("mock {status} error"));
                    let mut response = error_response(status, &error_type, &message)
                        .with_header("x-request-id", &format!("req_mock{seq:020}"));
                    if let Some(seconds) = retry_after {
                        response = response
                            .with_header("retry-after", &seconds.to_string())
                            .with_header(
                                "retry-after-ms",
                                &(u64::from(seconds) * 1000).to_string(),
                            );
                    }
                    for (name, value) in &headers {
                        response = response.with_header(name, value);
                    }
                    return (response, format!("turn {position} (http {status})"));
                }
            }
        };
        let ids = CompletionIds::new(seq);
        let response = if stream {
            Response::new(
                200,
                "text/event-stream",
                sse_body(&ids, &model, &reply.answer, include_usage),
            )
            .with_header("Cache-Control", "no-cache")
        } else {
            Response::json(200, &completion_json(&ids, &model, &reply.answer))
        };
        (
            response.with_header("x-request-id", &ids.request_id),
            reply.label,
        )
    }

    /// Whether a request with a shell tool belongs to the agent's main conversation: the first
    /// such request fixes the main system prompt (its opening), and a request opening with
    /// another one is a subagent (Qwen's managed-memory extractor declares the shell tool too) that
    /// must not take the script's turns. Only the opening is compared because a system prompt may
    /// end with per-request details.
    fn is_main_conversation(&self, body: &Value) -> bool {
        let opening = system_prompt_opening(body);
        let mut main = self
            .main_system_prompt
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match main.as_ref() {
            Some(main) => *main == opening,
            None => {
                *main = Some(opening);
                true
            }
        }
    }

    /// The declared tool that marks a request as the agent's main loop: a tool some scripted
    /// turn names, else the first shell-like tool.
    fn main_loop_tool<'t>(&self, tools: &'t [DeclaredTool]) -> Option<&'t DeclaredTool> {
        tools
            .iter()
            .find(|tool| self.scripted_tools.contains(&tool.name))
            .or_else(|| shell_tool(tools))
    }
}

/// Ids of one answer, derived from its sequence number so runs are reproducible.
struct CompletionIds {
    completion_id: String,
    request_id: String,
}

impl CompletionIds {
    fn new(seq: usize) -> Self {
        Self {
            completion_id: format!("chatcmpl-mock{seq:020}"),
            request_id: format!("req_mock{seq:020}"),
        }
    }
}

/// The first characters of a request's first system (or developer) message, whether its content
/// is a string or a list of text parts; empty when there is none.
fn system_prompt_opening(body: &Value) -> String {
    let Some(message) = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|messages| {
            messages.iter().find(|message| {
                matches!(
                    message.get("role").and_then(Value::as_str),
                    Some("system" | "developer")
                )
            })
        })
    else {
        return String::new();
    };
    let text = match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    text.chars().take(SYSTEM_PROMPT_OPENING_CHARS).collect()
}

/// The tools of a request's `tools` array (`{type:"function", function:{name, parameters}}`).
fn declared_tools(body: &Value) -> Vec<DeclaredTool> {
    body.get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| {
                    let function = tool.get("function").unwrap_or(tool);
                    let name = function.get("name").and_then(Value::as_str)?;
                    Some(DeclaredTool {
                        name: name.to_string(),
                        parameters: function.get("parameters").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The CLI's shell tool: a known name first, then any name mentioning a shell.
fn shell_tool(tools: &[DeclaredTool]) -> Option<&DeclaredTool> {
    SHELL_TOOL_NAMES
        .iter()
        .find_map(|wanted| {
            tools
                .iter()
                .find(|tool| tool.name.eq_ignore_ascii_case(wanted))
        })
        .or_else(|| {
            tools.iter().find(|tool| {
                let name = tool.name.to_ascii_lowercase();
                name.contains("shell") || name.contains("bash")
            })
        })
}

/// The scripted input reshaped to the declared schema: `cmd` when the tool has no `command`,
/// an argv array when `command` is an array, every required field filled, undeclared fields
/// left out (tools validate their arguments).
fn fit_arguments(input: &Value, schema: &Value) -> Value {
    let mut args = match input {
        Value::Object(map) => map.clone(),
        Value::String(command) => {
            let mut map = Map::new();
            map.insert("command".into(), Value::String(command.clone()));
            map
        }
        other => {
            let mut map = Map::new();
            map.insert("command".into(), Value::String(other.to_string()));
            map
        }
    };
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Value::Object(args);
    };
    if !properties.contains_key("command") && properties.contains_key("cmd") {
        if let Some(command) = args.remove("command") {
            args.entry("cmd").or_insert(command);
        }
    }
    for key in ["command", "cmd"] {
        let wants_array = properties
            .get(key)
            .and_then(|property| property.get("type"))
            .and_then(Value::as_str)
            == Some("array");
        if let (true, Some(Value::String(command))) = (wants_array, args.get(key)) {
            let argv = json!(["bash", "-lc", command]);
            args.insert(key.into(), argv);
        }
    }
    args.retain(|key, _| properties.contains_key(key));
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|required| {
            required
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for key in required {
        if !args.contains_key(key) {
            let property = properties.get(key).unwrap_or(&Value::Null);
            args.insert(key.into(), default_argument(property));
        }
    }
    Value::Object(args)
}

/// A harmless value for a required tool argument the scenario did not give.
fn default_argument(property: &Value) -> Value {
    if let Some(default) = property.get("default") {
        return default.clone();
    }
    if let Some(first) = property
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    match property.get("type").and_then(Value::as_str) {
        Some("boolean") => Value::Bool(false),
        Some("integer" | "number") => property.get("minimum").cloned().unwrap_or(json!(1)),
        Some("array") => json!([]),
        Some("object") => json!({}),
        // Strings: a description is the usual required one; any other text field gets the same.
        _ => Value::String(DEFAULT_TOOL_DESCRIPTION.into()),
    }
}

/// The JSON schema of a structured-output request, or an empty schema for `json_object`.
fn structured_output_schema(body: &Value) -> Option<&Value> {
    static ANY_OBJECT: Value = Value::Null;
    let format = body.get("response_format")?;
    match format.get("type").and_then(Value::as_str)? {
        "json_schema" => Some(format.pointer("/json_schema/schema").unwrap_or(&ANY_OBJECT)),
        "json_object" => Some(&ANY_OBJECT),
        _ => None,
    }
}

/// A value that satisfies `schema`: required and declared properties filled, strings set to
/// `text`. A `next_speaker` choice prefers `user` so a CLI's "should the model continue?" check
/// ends the turn instead of looping.
fn json_for_schema(schema: &Value, text: &str, depth: usize) -> Value {
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Null;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let user = values.iter().find(|value| value.as_str() == Some("user"));
        return user.or(values.first()).cloned().unwrap_or(Value::Null);
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let properties = schema.get("properties").and_then(Value::as_object);
    match (kind, properties) {
        (Some("object") | None, Some(properties)) => Value::Object(
            properties
                .iter()
                .map(|(key, property)| (key.clone(), json_for_schema(property, text, depth + 1)))
                .collect(),
        ),
        (Some("object") | None, None) => json!({ "answer": text }),
        (Some("string"), _) => Value::String(text.into()),
        (Some("boolean"), _) => Value::Bool(false),
        (Some("integer" | "number"), _) => schema.get("minimum").cloned().unwrap_or(json!(1)),
        (Some("array"), _) => json!([]),
        _ => Value::Null,
    }
}

fn default_error_type(status: u16) -> String {
    match status {
        400 | 404 | 413 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_exceeded",
        _ => "server_error",
    }
    .to_string()
}

fn error_response(status: u16, error_type: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({ "error": { "message": message, "type": error_type, "param": null, "code": null } }),
    )
}

fn usage(answer: &Answer) -> Value {
    let completion_tokens = answer.completion_tokens();
    json!({
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": completion_tokens,
        "total_tokens": PROMPT_TOKENS + completion_tokens,
        "prompt_tokens_details": { "cached_tokens": CACHED_PROMPT_TOKENS },
        "completion_tokens_details": { "reasoning_tokens": REASONING_TOKENS },
    })
}

fn completion_json(ids: &CompletionIds, model: &str, answer: &Answer) -> Value {
    let mut message = json!({ "role": "assistant", "content": answer.text });
    if let Some(call) = &answer.tool_call {
        message["tool_calls"] = json!([{
            "id": call.id, "type": "function",
            "function": { "name": call.name, "arguments": call.arguments },
        }]);
    }
    json!({
        "id": ids.completion_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{ "index": 0, "message": message, "finish_reason": answer.finish_reason(), "logprobs": null }],
        "usage": usage(answer),
        "system_fingerprint": "fp_mock",
    })
}

fn sse_chunk(
    out: &mut String,
    ids: &CompletionIds,
    model: &str,
    choices: Value,
    usage: Option<Value>,
) {
    let mut chunk = json!({
        "id": ids.completion_id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": choices,
    });
    if let Some(usage) = usage {
        chunk["usage"] = usage;
    }
    out.push_str("data: ");
    out.push_str(&chunk.to_string());
    out.push_str("\n\n");
}

fn delta_choice(delta: Value, finish_reason: Option<&str>) -> Value {
    json!([{ "index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": null }])
}

fn sse_body(ids: &CompletionIds, model: &str, answer: &Answer, include_usage: bool) -> String {
    let mut out = String::new();
    sse_chunk(
        &mut out,
        ids,
        model,
        delta_choice(json!({ "role": "assistant", "content": "" }), None),
        None,
    );
    if let Some(text) = &answer.text {
        // Two pieces, as real streams split text; the split is on a char boundary.
        let middle = text
            .char_indices()
            .map(|(index, _)| index)
            .find(|index| *index >= text.len() / 2)
            .unwrap_or(text.len());
        for piece in [&text[..middle], &text[middle..]] {
            if !piece.is_empty() {
                sse_chunk(
                    &mut out,
                    ids,
                    model,
                    delta_choice(json!({ "content": piece }), None),
                    None,
                );
            }
        }
    }
    if let Some(call) = &answer.tool_call {
        sse_chunk(
            &mut out,
            ids,
            model,
            delta_choice(
                json!({ "tool_calls": [{ "index": 0, "id": call.id, "type": "function",
                                         "function": { "name": call.name, "arguments": "" } }] }),
                None,
            ),
            None,
        );
        sse_chunk(
            &mut out,
            ids,
            model,
            delta_choice(
                json!({ "tool_calls": [{ "index": 0, "function": { "arguments": call.arguments } }] }),
                None,
            ),
            None,
        );
    }
    sse_chunk(
        &mut out,
        ids,
        model,
        delta_choice(json!({}), Some(answer.finish_reason())),
        None,
    );
    if include_usage {
        sse_chunk(&mut out, ids, model, json!([]), Some(usage(answer)));
    }
    out.push_str("data: [DONE]\n\n");
    out
}

fn model_object(id: &str) -> Value {
    json!({ "id": id, "object": "model", "created": CREATED, "owned_by": "codetel-mock" })
}

fn models_page() -> Value {
    let data: Vec<Value> = LISTED_MODELS.iter().map(|id| model_object(id)).collect();
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

    fn mock(turns: Vec<Turn>) -> ChatMock {
        ChatMock::new(
            ModelScript {
                turns,
                final_text: "Done.".into(),
                side_text: "OK".into(),
            },
            Arc::new(ModelRequestLog::scratch("chat-mock")),
        )
    }

    fn sse_events(response: &Response) -> Vec<Value> {
        let text = String::from_utf8(response.body.clone()).expect("utf-8");
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        text.split("\n\n")
            .filter_map(|frame| frame.strip_prefix("data: "))
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).expect("chunk is JSON"))
            .collect()
    }

    const COPILOT_BASH: &str = r#"{"type":"function","function":{"name":"bash","parameters":{
        "type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"},
        "mode":{"type":"string","enum":["sync","async"]}},"required":["command","description"]}}}"#;

    #[test]
    fn odd_requests_get_answers_not_panics() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        for (method, target, body) in [
            ("POST", "/v1/chat/completions", "not json"),
            ("POST", "/v1/chat/completions", "[]"),
            (
                "POST",
                "/v1/chat/completions",
                r#"{"tools":"x","stream":"yes"}"#,
            ),
            (
                "POST",
                "/v1/chat/completions",
                r#"{"tools":[{"function":{"name":"bash","parameters":7}}]}"#,
            ),
            (
                "POST",
                "/v1/chat/completions",
                r#"{"response_format":{"type":"json_schema"}}"#,
            ),
            ("GET", "/nothing", ""),
            ("GET", "/v1/models/gpt-4.1", ""),
            ("DELETE", "/v1/chat/completions", ""),
            ("HEAD", "/", ""),
        ] {
            let (response, _) = mock.answer(&request(method, target, body));
            assert!(response.status >= 200, "{method} {target}");
        }
    }

    #[test]
    fn a_streamed_text_answer_ends_with_a_usage_chunk_and_done() {
        let mock = mock(vec![Turn::Text {
            text: "2 + 2 is 4.".into(),
        }]);
        let body = format!(
            r#"{{"model":"qwen3-coder-plus","stream":true,"stream_options":{{"include_usage":true}},"tools":[{COPILOT_BASH}],"messages":[]}}"#
        );
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", &body));
        assert_eq!((response.status, label.as_str()), (200, "turn 1"));
        let events = sse_events(&response);
        let text: String = events
            .iter()
            .filter_map(|event| event.pointer("/choices/0/delta/content")?.as_str())
            .collect();
        assert_eq!(text, "2 + 2 is 4.");
        let last = events.last().expect("chunks");
        assert_eq!(last["choices"], json!([]));
        assert_eq!(last["usage"]["prompt_tokens"], json!(PROMPT_TOKENS));
        assert_eq!(
            last["usage"]["prompt_tokens_details"]["cached_tokens"],
            json!(CACHED_PROMPT_TOKENS)
        );
        assert_eq!(
            last["usage"]["completion_tokens_details"]["reasoning_tokens"],
            json!(REASONING_TOKENS)
        );
        assert_eq!(last["model"], json!("qwen3-coder-plus"));
    }

    #[test]
    fn without_include_usage_no_usage_chunk_is_sent() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        let body = format!(r#"{{"stream":true,"tools":[{COPILOT_BASH}],"messages":[]}}"#);
        let (response, _) = mock.answer(&request("POST", "/chat/completions", &body));
        assert!(sse_events(&response)
            .iter()
            .all(|event| event.get("usage").is_none()));
    }

    #[test]
    fn a_tool_turn_is_fitted_to_the_declared_schema() {
        let mock = mock(vec![
            Turn::ToolUse {
                tool: "bash".into(),
                input: json!({ "command": "echo hi > out.txt", "unknown": 1 }),
                text: None,
                exact: false,
            },
            Turn::Text {
                text: "Done it.".into(),
            },
        ]);
        let body = format!(
            r#"{{"stream":true,"stream_options":{{"include_usage":true}},"tools":[{COPILOT_BASH}],"messages":[{{"role":"user","content":"go"}}]}}"#
        );
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", &body));
        assert_eq!(label, "turn 1 (bash)");
        let events = sse_events(&response);
        let arguments: String = events
            .iter()
            .filter_map(|event| {
                event
                    .pointer("/choices/0/delta/tool_calls/0/function/arguments")?
                    .as_str()
            })
            .collect();
        let arguments: Value = serde_json::from_str(&arguments).expect("arguments are JSON");
        assert_eq!(
            arguments,
            json!({ "command": "echo hi > out.txt", "description": DEFAULT_TOOL_DESCRIPTION })
        );
        assert!(events
            .iter()
            .any(|event| event.pointer("/choices/0/finish_reason") == Some(&json!("tool_calls"))));
        // The follow-up with the tool result takes the next turn, non-streaming this time.
        let follow_up = format!(
            r#"{{"tools":[{COPILOT_BASH}],"messages":[{{"role":"tool","tool_call_id":"x","content":"ok"}}]}}"#
        );
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", &follow_up));
        assert_eq!(label, "turn 2");
        let json: Value = serde_json::from_slice(&response.body).expect("JSON");
        assert_eq!(json["choices"][0]["message"]["content"], json!("Done it."));
        assert_eq!(json["choices"][0]["finish_reason"], json!("stop"));
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", &follow_up));
        assert_eq!(label, "final_text");
    }

    #[test]
    fn a_tool_the_cli_does_not_declare_falls_back_to_its_shell_tool() {
        let mock = mock(vec![Turn::ToolUse {
            tool: "shell".into(),
            input: json!({ "command": "ls" }),
            text: Some("Listing.".into()),
            exact: false,
        }]);
        let body = r#"{"tools":[{"type":"function","function":{"name":"run_shell_command",
            "parameters":{"type":"object","properties":{"command":{"type":"array"}},"required":["command"]}}}],"messages":[]}"#;
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", body));
        assert_eq!(label, "turn 1 (run_shell_command)");
        let json: Value = serde_json::from_slice(&response.body).expect("JSON");
        let message = &json["choices"][0]["message"];
        assert_eq!(message["content"], json!("Listing."));
        let arguments: Value = serde_json::from_str(
            message["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .expect("string"),
        )
        .expect("JSON");
        assert_eq!(arguments, json!({ "command": ["bash", "-lc", "ls"] }));
    }

    #[test]
    fn an_exact_turn_sends_an_undeclared_tool_as_scripted() {
        let mock = mock(vec![Turn::ToolUse {
            tool: "save_memory".into(),
            input: json!({ "fact": "x", "extra": 1 }),
            text: None,
            exact: true,
        }]);
        let body = r#"{"tools":[{"type":"function","function":{"name":"run_shell_command",
            "parameters":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}}],"messages":[]}"#;
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", body));
        assert_eq!(label, "turn 1");
        let json: Value = serde_json::from_slice(&response.body).expect("JSON");
        let call = &json["choices"][0]["message"]["tool_calls"][0]["function"];
        assert_eq!(call["name"], json!("save_memory"));
        let arguments: Value =
            serde_json::from_str(call["arguments"].as_str().expect("string")).expect("JSON");
        assert_eq!(arguments, json!({ "fact": "x", "extra": 1 }));
    }

    #[test]
    fn side_calls_do_not_consume_the_script() {
        let mock = mock(vec![Turn::HttpError {
            status: 429,
            retry_after: Some(2),
            error_type: None,
            message: None,
            headers: Default::default(),
        }]);
        let title = r#"{"stream":true,"messages":[{"role":"user","content":"title?"}]}"#;
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", title));
        assert_eq!(label, "side_text");
        let memory =
            r#"{"tools":[{"type":"function","function":{"name":"read_file"}}],"messages":[]}"#;
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", memory));
        assert_eq!(label, "side_text (tools without a shell)");
        let structured = r#"{"response_format":{"type":"json_schema","json_schema":{"schema":{
            "type":"object","properties":{"reasoning":{"type":"string"},
            "next_speaker":{"type":"string","enum":["model","user"]}},"required":["next_speaker"]}}},"messages":[]}"#;
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", structured));
        assert_eq!(label, "side_json");
        let json: Value = serde_json::from_slice(&response.body).expect("JSON");
        let content: Value = serde_json::from_str(
            json["choices"][0]["message"]["content"]
                .as_str()
                .expect("string"),
        )
        .expect("content is JSON");
        assert_eq!(
            content,
            json!({ "reasoning": "OK", "next_speaker": "user" })
        );
        let main = format!(r#"{{"tools":[{COPILOT_BASH}],"messages":[]}}"#);
        let (response, label) = mock.answer(&request("POST", "/v1/chat/completions", &main));
        assert_eq!(
            (response.status, label.as_str()),
            (429, "turn 1 (http 429)")
        );
        assert!(response
            .headers
            .iter()
            .any(|(name, value)| name == "retry-after" && value == "2"));
        let error: Value = serde_json::from_slice(&response.body).expect("JSON");
        assert_eq!(error["error"]["type"], json!("rate_limit_exceeded"));
    }

    #[test]
    fn a_subagent_with_a_shell_tool_does_not_take_the_main_turns() {
        let mock = mock(vec![
            Turn::Text {
                text: "main answer".into(),
            },
            Turn::Text {
                text: "second main answer".into(),
            },
        ]);
        let main = format!(
            r#"{{"tools":[{COPILOT_BASH}],"messages":[{{"role":"system","content":"You are the agent."}},{{"role":"user","content":"hi"}}]}}"#
        );
        let subagent = format!(
            r#"{{"tools":[{COPILOT_BASH}],"messages":[{{"role":"system","content":[{{"type":"text","text":"You are the memory extraction subagent."}}]}}]}}"#
        );
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", &main));
        assert_eq!(label, "turn 1");
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", &subagent));
        assert_eq!(label, "side_text (subagent: another system prompt)");
        let (_, label) = mock.answer(&request("POST", "/v1/chat/completions", &main));
        assert_eq!(label, "turn 2");
    }

    #[test]
    fn models_are_listed() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        let (response, label) = mock.answer(&request("GET", "/v1/models", ""));
        assert_eq!(label, "models");
        let json: Value = serde_json::from_slice(&response.body).expect("JSON");
        assert!(json["data"]
            .as_array()
            .expect("list")
            .iter()
            .any(|model| model["id"] == json!("gpt-4.1")));
    }
}
