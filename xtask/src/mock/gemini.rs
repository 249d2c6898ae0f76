//! A scripted mock of the Gemini API (`generativelanguage.googleapis.com/v1beta`) for driving
//! Gemini CLI offline.
//!
//! Routes (any prefix before `/models`, so `/v1beta/...` and `/v1/...` both work):
//! - `POST …/models/{model}:generateContent`: one JSON `GenerateContentResponse`.
//! - `POST …/models/{model}:streamGenerateContent?alt=sse`: the same answer as server-sent
//!   events, `data: <GenerateContentResponse>\r\n\r\n` per frame; text is split over two frames;
//!   the last frame carries `finishReason: "STOP"` and `usageMetadata`.
//! - `POST …/models/{model}:countTokens`, `:embedContent`, `:batchEmbedContents`.
//! - `GET …/models` and `GET …/models/{model}`; `HEAD` on anything.
//!
//! Which answer a request gets:
//! - A request constrained to JSON output (`generationConfig.responseMimeType:
//!   application/json`, `responseJsonSchema` or `responseSchema`) is a helper call (the model
//!   router's complexity classifier, the next-speaker and loop checks). It is answered with JSON
//!   shaped by the schema (numbers at least 1, so the router's `complexity_score` is valid) and
//!   consumes no scripted turn.
//! - A request declaring function tools is the agent's main loop and consumes the scenario's
//!   turns in order: text, a `functionCall` part (`run_shell_command` with
//!   `{"command", "description"}`), or a scripted HTTP error in Google's error shape
//!   (`{"error": {"code", "message", "status"}}`) with an optional `retry-after` header.
//! - Anything else is a side call and gets the side text.
//!
//! Unknown routes get a Google-shaped 404 so the CLI fails fast instead of waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{ModelRequestLog, NextAnswer, ScriptCursor};
use crate::http::{Handler, Request, Response};
use crate::scenario::{ModelScript, Turn};

/// Prompt tokens reported for every answer, cached tokens included (Gemini API semantics:
/// `promptTokenCount` counts the whole prompt, `cachedContentTokenCount` is the cached part of
/// it). Fixed so captures are comparable across runs.
const PROMPT_TOKENS: u64 = 1200;
/// The cached part of [`PROMPT_TOKENS`]; distinct numbers make the inclusion visible.
const CACHED_CONTENT_TOKENS: u64 = 800;
/// Thinking tokens reported for every answer.
const THOUGHTS_TOKENS: u64 = 8;
/// Model answered when the path names none.
const DEFAULT_MODEL: &str = "gemini-2.5-pro";
/// Models listed by `GET …/models`.
const LISTED_MODELS: &[&str] = &[
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-3.1-pro-preview",
    "gemini-3.8-flash",
    "gemini-3.5-flash-lite",
];
/// The embedding answered for every input.
const EMBEDDING: [f64; 8] = [0.0; 8];
/// How deep the schema-shaped answer follows nested object schemas.
const MAX_SCHEMA_DEPTH: usize = 8;

/// The mock's state shared by all connections.
struct GeminiMock {
    cursor: ScriptCursor,
    log: Arc<ModelRequestLog>,
    response_counter: AtomicUsize,
}

/// Builds the HTTP handler for a scenario's script; requests are logged by `log`.
pub fn handler(script: ModelScript, log: Arc<ModelRequestLog>) -> Handler {
    let mock = Arc::new(GeminiMock {
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

/// A model method call parsed from a path like `/v1beta/models/gemini-2.5-pro:generateContent`.
struct ModelCall<'a> {
    model: &'a str,
    method: &'a str,
}

fn model_call(path: &str) -> Option<ModelCall<'_>> {
    let (_, rest) = path.rsplit_once("/models/")?;
    let (model, method) = rest.split_once(':')?;
    if model.is_empty() || model.contains('/') {
        return None;
    }
    Some(ModelCall { model, method })
}

impl GeminiMock {
    fn answer(&self, request: &Request) -> (Response, String) {
        let path = request.path().trim_end_matches('/');
        if request.method == "HEAD" {
            return (Response::new(200, "text/plain", ""), "head".into());
        }
        if request.method == "GET" {
            if path.ends_with("/models") {
                return (Response::json(200, &models_page()), "models".into());
            }
            if let Some((_, id)) = path.rsplit_once("/models/") {
                if !id.is_empty() && !id.contains(':') {
                    return (Response::json(200, &model_object(id)), "model".into());
                }
            }
        }
        if request.method == "POST" {
            if let Some(call) = model_call(path) {
                match call.method {
                    "generateContent" => return self.answer_generate(request, call.model, false),
                    "streamGenerateContent" => {
                        return self.answer_generate(request, call.model, true)
                    }
                    "countTokens" => {
                        // Roughly four bytes per token, like the real tokenizer on English text.
                        let tokens = (request.body.len() / 4).max(1);
                        return (
                            Response::json(200, &json!({ "totalTokens": tokens })),
                            "count_tokens".into(),
                        );
                    }
                    "embedContent" => {
                        return (
                            Response::json(200, &json!({ "embedding": { "values": EMBEDDING } })),
                            "embed".into(),
                        );
                    }
                    "batchEmbedContents" => {
                        let count = serde_json::from_slice::<Value>(&request.body)
                            .ok()
                            .and_then(|body| {
                                body.get("requests").and_then(Value::as_array).map(Vec::len)
                            })
                            .unwrap_or(1);
                        let embeddings: Vec<Value> =
                            (0..count).map(|_| json!({ "values": EMBEDDING })).collect();
                        return (
                            Response::json(200, &json!({ "embeddings": embeddings })),
                            "embed".into(),
                        );
                    }
                    _ => {}
                }
            }
        }
        (
            error_response(404, None, &format!("no route {} {path}", request.method)),
            "not_found".into(),
        )
    }

    fn answer_generate(&self, request: &Request, model: &str, stream: bool) -> (Response, String) {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return (
                error_response(400, None, "body is not JSON"),
                "bad_json".into(),
            );
        };
        let seq = self.response_counter.fetch_add(1, Ordering::SeqCst) + 1;
        let response_id = format!("mockresp{seq:012}");
        let generation_config = body.get("generationConfig").unwrap_or(&Value::Null);
        if let Some(schema) = json_output_schema(generation_config) {
            let text = schema_answer(schema, 0).to_string();
            let parts = vec![json!({ "text": text })];
            return (
                generate_response(&response_id, model, &parts, stream),
                "json_helper".into(),
            );
        }
        if !declares_functions(&body) {
            let parts = vec![json!({ "text": self.cursor.side_text() })];
            return (
                generate_response(&response_id, model, &parts, stream),
                "side_text".into(),
            );
        }
        match self.cursor.next() {
            NextAnswer::Final(text) => (
                generate_response(&response_id, model, &[json!({ "text": text })], stream),
                "final_text".into(),
            ),
            NextAnswer::Scripted(position, turn) => {
                let label = format!("turn {position}");
                let response = match turn {
                    Turn::Text { text } => {
                        generate_response(&response_id, model, &[json!({ "text": text })], stream)
                    }
                    Turn::ToolUse {
                        tool, input, text, ..
                    } => {
                        let mut parts = Vec::new();
                        if let Some(text) = text {
                            parts.push(json!({ "text": text }));
                        }
                        parts.push(json!({ "functionCall": { "name": tool, "args": input } }));
                        generate_response(&response_id, model, &parts, stream)
                    }
                    Turn::HttpError {
                        status,
                        retry_after,
                        error_type,
                        message,
                        headers,
                    } => {
                        let message = message.unwrap_or_else(|| format!("mock {status} error"));
                        let mut response = error_response(status, error_type.as_deref(), &message);
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

/// The schema of a JSON-constrained request, `{}` when it only asks for JSON.
fn json_output_schema(generation_config: &Value) -> Option<&Value> {
    static EMPTY: Value = Value::Null;
    let schema = generation_config
        .get("responseJsonSchema")
        .or_else(|| generation_config.get("responseSchema"));
    if schema.is_some() {
        return schema;
    }
    let mime = generation_config
        .get("responseMimeType")
        .and_then(Value::as_str);
    (mime == Some("application/json")).then_some(&EMPTY)
}

/// Whether the request declares at least one function tool (the agent's main loop does).
fn declares_functions(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|tool| {
                tool.get("functionDeclarations")
                    .and_then(Value::as_array)
                    .is_some_and(|decls| !decls.is_empty())
            })
        })
}

/// A JSON value that satisfies `schema` well enough for the CLI's helper calls: enums take
/// their first value (`user` when offered, so next-speaker checks end the turn), numbers are at
/// least 1 and at least the minimum, booleans are false, strings are `"mock"`.
fn schema_answer(schema: &Value, depth: usize) -> Value {
    let object_default = || {
        let mut out = Map::new();
        out.insert("reasoning".into(), json!("mock"));
        Value::Object(out)
    };
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Null;
    }
    let Some(schema) = schema.as_object() else {
        return object_default();
    };
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let user = values.iter().find(|value| value.as_str() == Some("user"));
        return user
            .or_else(|| values.first())
            .cloned()
            .unwrap_or(Value::Null);
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.to_ascii_lowercase(),
        // `["string", "null"]`: the first non-null type.
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("string")
            .to_ascii_lowercase(),
        _ if schema.contains_key("properties") => "object".into(),
        _ => return object_default(),
    };
    match kind.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    out.insert(name.clone(), schema_answer(property, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "boolean" => json!(false),
        "integer" | "number" => {
            let minimum = schema
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(1.0);
            json!(minimum.ceil() as i64)
        }
        _ => json!("mock"),
    }
}

fn error_status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// A Google API error: `{"error": {"code", "message", "status"}}`; `status_name` overrides the
/// status string derived from the code (a scenario's `error_type`).
fn error_response(code: u16, status_name: Option<&str>, message: &str) -> Response {
    let status = status_name.unwrap_or_else(|| error_status_name(code));
    Response::json(
        code,
        &json!({ "error": { "code": code, "message": message, "status": status } }),
    )
}

/// Output tokens: roughly four bytes per token of what the model "wrote".
fn candidates_tokens(parts: &[Value]) -> u64 {
    let bytes: usize = parts
        .iter()
        .map(|part| match part.get("text").and_then(Value::as_str) {
            Some(text) => text.len(),
            None => part.to_string().len(),
        })
        .sum();
    (bytes as u64 / 4).max(1)
}

fn usage_metadata(parts: &[Value]) -> Value {
    let candidates = candidates_tokens(parts);
    json!({
        "promptTokenCount": PROMPT_TOKENS,
        "candidatesTokenCount": candidates,
        "totalTokenCount": PROMPT_TOKENS + candidates + THOUGHTS_TOKENS,
        "cachedContentTokenCount": CACHED_CONTENT_TOKENS,
        "thoughtsTokenCount": THOUGHTS_TOKENS,
        "promptTokensDetails": [{ "modality": "TEXT", "tokenCount": PROMPT_TOKENS }],
        "cacheTokensDetails": [{ "modality": "TEXT", "tokenCount": CACHED_CONTENT_TOKENS }],
    })
}

/// One `GenerateContentResponse`; `last` adds the finish reason and usage.
fn response_chunk(
    response_id: &str,
    model: &str,
    parts: &[Value],
    usage_parts: &[Value],
    last: bool,
) -> Value {
    let mut candidate = json!({ "content": { "role": "model", "parts": parts }, "index": 0 });
    if last {
        candidate["finishReason"] = json!("STOP");
    }
    let mut chunk =
        json!({ "candidates": [candidate], "modelVersion": model, "responseId": response_id });
    if last {
        chunk["usageMetadata"] = usage_metadata(usage_parts);
    }
    chunk
}

fn generate_response(response_id: &str, model: &str, parts: &[Value], stream: bool) -> Response {
    let model = if model.is_empty() {
        DEFAULT_MODEL
    } else {
        model
    };
    if !stream {
        return Response::json(200, &response_chunk(response_id, model, parts, parts, true));
    }
    let frames = stream_frames(parts);
    let mut body = String::new();
    for (index, frame_parts) in frames.iter().enumerate() {
        let last = index + 1 == frames.len();
        body.push_str("data: ");
        body.push_str(&response_chunk(response_id, model, frame_parts, parts, last).to_string());
        body.push_str("\r\n\r\n");
    }
    Response::new(200, "text/event-stream", body).with_header("Cache-Control", "no-cache")
}

/// Splits an answer into stream frames the way the real API does: a text part arrives in
/// pieces, a function call arrives whole.
fn stream_frames(parts: &[Value]) -> Vec<Vec<Value>> {
    let mut frames = Vec::new();
    for part in parts {
        match part.get("text").and_then(Value::as_str) {
            Some(text) if text.len() > 1 => {
                let mut middle = text.len() / 2;
                while !text.is_char_boundary(middle) {
                    middle += 1;
                }
                frames.push(vec![json!({ "text": &text[..middle] })]);
                frames.push(vec![json!({ "text": &text[middle..] })]);
            }
            _ => frames.push(vec![part.clone()]),
        }
    }
    if frames.is_empty() {
        frames.push(vec![json!({ "text": "" })]);
    }
    frames
}

fn model_object(id: &str) -> Value {
    let id = id.strip_prefix("models/").unwrap_or(id);
    json!({
        "name": format!("models/{id}"),
        "version": "001",
        "displayName": id,
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
    })
}

fn models_page() -> Value {
    let models: Vec<Value> = LISTED_MODELS.iter().map(|id| model_object(id)).collect();
    json!({ "models": models })
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

    fn mock(turns: Vec<Turn>) -> GeminiMock {
        GeminiMock {
            cursor: ScriptCursor::new(ModelScript {
                turns,
                final_text: "Done.".into(),
                side_text: "OK".into(),
            }),
            log: Arc::new(ModelRequestLog::scratch("gemini-mock")),
            response_counter: AtomicUsize::new(0),
        }
    }

    const MAIN: &str =
        r#"{"contents":[],"tools":[{"functionDeclarations":[{"name":"run_shell_command"}]}]}"#;
    const STREAM: &str = "/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse";

    fn frames(response: &Response) -> Vec<Value> {
        let text = String::from_utf8(response.body.clone()).expect("utf-8");
        assert!(text.ends_with("\r\n\r\n"), "frames end with CRLF CRLF");
        text.split("\r\n\r\n")
            .filter(|frame| !frame.is_empty())
            .map(|frame| {
                serde_json::from_str(frame.strip_prefix("data: ").expect("data: prefix"))
                    .expect("JSON frame")
            })
            .collect()
    }

    #[test]
    fn odd_requests_get_answers_not_panics() {
        let mock = mock(vec![Turn::Text { text: "hi".into() }]);
        for (method, target, body) in [
            ("POST", "/v1beta/models/m:generateContent", "not json"),
            ("POST", "/v1beta/models/m:generateContent", "[]"),
            ("POST", "/v1beta/models/:generateContent", "{}"),
            (
                "POST",
                "/v1beta/models/m:streamGenerateContent",
                r#"{"tools":"x","generationConfig":7}"#,
            ),
            ("POST", "/v1beta/models/m:unknownMethod", "{}"),
            ("GET", "/nothing", ""),
            ("DELETE", "/v1beta/models", ""),
            ("HEAD", "/", ""),
        ] {
            let (response, _) = mock.answer(&request(method, target, body));
            assert!(response.status >= 200, "{method} {target}");
        }
    }

    #[test]
    fn router_classifier_gets_schema_shaped_json_with_a_valid_score() {
        let mock = mock(vec![Turn::Text {
            text: "main".into(),
        }]);
        let body = r#"{"contents":[],"generationConfig":{"responseMimeType":"application/json",
            "responseJsonSchema":{"type":"object","properties":{
              "complexity_reasoning":{"type":"string"},
              "complexity_score":{"type":"integer","minimum":1,"maximum":100}},
              "required":["complexity_reasoning","complexity_score"]}}}"#;
        let (response, label) = mock.answer(&request(
            "POST",
            "/v1beta/models/gemini-3.5-flash-lite:generateContent",
            body,
        ));
        assert_eq!((response.status, label.as_str()), (200, "json_helper"));
        let answer: Value = serde_json::from_slice(&response.body).expect("JSON");
        let text = answer["candidates"][0]["content"]["parts"][0]["text"]
            .as_str()
            .expect("text part");
        let shaped: Value = serde_json::from_str(text).expect("the text is JSON");
        assert!(shaped["complexity_score"].as_i64().expect("integer score") >= 1);
        assert_eq!(shaped["complexity_reasoning"], "mock");
        assert_eq!(answer["candidates"][0]["finishReason"], "STOP");
        // The helper call consumed no turn: the main request still gets turn 1.
        let (_, label) = mock.answer(&request("POST", STREAM, MAIN));
        assert_eq!(label, "turn 1");
    }

    #[test]
    fn stream_frames_end_with_stop_and_usage() {
        let mock = mock(vec![Turn::Text {
            text: "2 + 2 is 4.".into(),
        }]);
        let (response, _) = mock.answer(&request("POST", STREAM, MAIN));
        assert_eq!(response.status, 200);
        let frames = frames(&response);
        assert_eq!(frames.len(), 2);
        assert!(frames[0]["candidates"][0].get("finishReason").is_none());
        assert!(frames[0].get("usageMetadata").is_none());
        let last = &frames[1];
        assert_eq!(last["candidates"][0]["finishReason"], "STOP");
        let usage = &last["usageMetadata"];
        for key in [
            "promptTokenCount",
            "candidatesTokenCount",
            "totalTokenCount",
            "cachedContentTokenCount",
            "thoughtsTokenCount",
        ] {
            assert!(usage[key].as_u64().is_some(), "{key}");
        }
        assert!(usage["cachedContentTokenCount"].as_u64() < usage["promptTokenCount"].as_u64());
        let text: String = frames
            .iter()
            .filter_map(|frame| frame["candidates"][0]["content"]["parts"][0]["text"].as_str())
            .collect();
        assert_eq!(text, "2 + 2 is 4.");
        assert_eq!(last["modelVersion"], "gemini-3.8-flash");
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
                tool: "run_shell_command".into(),
                input: json!({ "command": "echo hi", "description": "say hi" }),
                text: None,
                exact: false,
            },
        ]);
        let (first, _) = mock.answer(&request("POST", STREAM, MAIN));
        assert_eq!(first.status, 429);
        assert!(first
            .headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "1"));
        let error: Value = serde_json::from_slice(&first.body).expect("JSON error");
        assert_eq!(error["error"]["status"], "RESOURCE_EXHAUSTED");
        assert_eq!(error["error"]["code"], 429);
        let (side, label) = mock.answer(&request(
            "POST",
            "/v1beta/models/m:generateContent",
            r#"{"contents":[]}"#,
        ));
        assert_eq!((side.status, label.as_str()), (200, "side_text"));
        let (second, _) = mock.answer(&request("POST", STREAM, MAIN));
        let frames = frames(&second);
        let call = &frames.last().expect("a frame")["candidates"][0]["content"]["parts"][0]
            ["functionCall"];
        assert_eq!(call["name"], "run_shell_command");
        assert_eq!(call["args"]["command"], "echo hi");
        let (third, label) = mock.answer(&request("POST", STREAM, MAIN));
        assert_eq!((third.status, label.as_str()), (200, "final_text"));
    }

    #[test]
    fn count_tokens_and_model_listing_answer() {
        let mock = mock(vec![Turn::Text { text: "x".into() }]);
        let (count, _) = mock.answer(&request(
            "POST",
            "/v1beta/models/gemini-2.5-pro:countTokens",
            "{\"contents\":[]}",
        ));
        let count: Value = serde_json::from_slice(&count.body).expect("JSON");
        assert!(count["totalTokens"].as_u64().expect("number") >= 1);
        let (list, _) = mock.answer(&request("GET", "/v1beta/models", ""));
        let list: Value = serde_json::from_slice(&list.body).expect("JSON");
        assert_eq!(list["models"][0]["name"], "models/gemini-2.5-pro");
        let (one, _) = mock.answer(&request("GET", "/v1beta/models/gemini-2.5-flash", ""));
        let one: Value = serde_json::from_slice(&one.body).expect("JSON");
        assert_eq!(one["name"], "models/gemini-2.5-flash");
    }
}
