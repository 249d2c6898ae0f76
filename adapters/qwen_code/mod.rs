//! Qwen Code (`@qwen-code/qwen-code`, a fork of Gemini CLI): events (logs) and metrics, plus
//! the spans its log-to-span bridge and HTTP instrumentation can send.
//!
//! ## What it maps
//! - Events (scope `qwen-code`; attribute `event.name` = `qwen-code.<name>`, a few unprefixed):
//!   `user_prompt` → `user_prompt`; `api_response` → `llm_call`; `api_error` → `api_error`;
//!   `tool_call` → `tool_call` (the permission decision rides on it: Qwen logs no separate
//!   decision event); `api_request` → `passthrough` carrying the conversation it sends as
//!   `coding_agent.api.body` (direction `request`), so calls are counted once, by their
//!   outcome; `subagent_execution`, `memory.recall`, `memory.extract`, `memory.dream`, `auth`,
//!   `config` and every other event the CLI defines (see `KNOWN_PASSTHROUGH_EVENTS`) →
//!   `passthrough` without a finding; an event not in these tables → `passthrough` with an
//!   `unknown_event_name` finding; a record naming no event is rejected (`missing_event_name`).
//!   Records are named by the event name exactly as sent.
//! - Metrics (scope `qwen-code`): every point → `metric_point` (histograms: the sum as value,
//!   the count in `coding_agent.metric.count`). `session.count`,
//!   `tool.call.count`, `tool.call.latency`, `api.request.count`, `api.request.latency`,
//!   `token.usage` and `file.operation.count` get canonical names (`coding_agent.…`, latencies
//!   as `…duration` in ms); Qwen-only metrics (memory, subagent, arena, chat retries,
//!   compression, performance monitoring) and the OTel HTTP instrumentation's own metrics keep
//!   their names and units; any other name gets an `unknown_metric_name` finding.
//! - Spans: a span with an `event.name` attribute is a log record sent through Qwen's
//!   `LogToSpanProcessor` (only a traces endpoint configured) and maps exactly like the event,
//!   named by its event, never by its span name (the log body, which can quote an error
//!   message); `@opentelemetry/instrumentation-http` spans → `passthrough` (`http.client` /
//!   `http.server`); any other span → `passthrough` with an `unknown_span_name` finding.
//!
//! ## Rules
//! - Tokens: `input_token_count` is the API's prompt tokens and already includes
//!   `cached_content_token_count` (OpenAI/Gemini semantics), so it maps to
//!   `gen_ai.usage.input_tokens` unchanged and the cached count to
//!   `gen_ai.usage.cache_read.input_tokens`. `output_token_count` includes
//!   `thoughts_token_count`, which maps to `coding_agent.usage.reasoning_tokens` (a subset).
//!   `total_token_count` stays a vendor number. Token metric types map `input` → `input`
//!   (cache included, as Qwen counts it), `output` → `output`, `cache` → `cache_read`,
//!   `thought` → `reasoning`. No cost: Qwen reports none.
//! - Twin attributes (`error_message`/`error.message`, `error`/`error.message`,
//!   `error_type`/`error.type`, `status_code`/`http.status_code`, `duration_ms`/`duration`,
//!   `model`/`model_name`): the underscore key is the event's own field and wins; the dotted
//!   copy fills in when the own field is missing; when both are set and differ, a
//!   `twin_attribute_conflict` finding names the keys and the copy stays a vendor attribute.
//! - `{}` (an empty AnyValue) is how Qwen's exporter spells an unset field: absent, never a
//!   vendor attribute.
//! - Content: `prompt` → `coding_agent.prompt.text`, `request_text` → `coding_agent.api.body`,
//!   `response_text` → `coding_agent.response.text`, the subagent's `result` →
//!   `coding_agent.response.text`, `function_args` → `gen_ai.tool.call.arguments` (its
//!   `command` → `coding_agent.shell.command`, its path → `coding_agent.file.path`), error
//!   text → `coding_agent.error.message`. Other free text (`execution_summary`,
//!   `touched_topics`, the `config` lists) stays a default-deny vendor attribute.
//! - Ids: `prompt_id` → `coding_agent.prompt.id`; the `response_id` of `api_response` and
//!   `tool_call` (the chat completion id, joining a tool call to the answer that asked for it)
//!   → `gen_ai.response.id`; the `response_id` of `api_error` is the failed request's
//!   `x-request-id` when the SDK error carries one → `coding_agent.request.id`.
//! - Decisions: `accept`, `auto_accept` and `modify` → `coding_agent.decision` `accept`,
//!   `reject` → `reject`; the raw value stays as vendor metadata `decision`. No
//!   `coding_agent.decision.source`: `auto_accept` stands for a settings rule, an approval mode
//!   and an earlier "always allow" alike, so Qwen does not say who decided.
//! - `subagent_name` on `api_request`/`api_response`/`api_error` → `coding_agent.query_source`
//!   (absent for the main conversation, as sent); `tool_type` `native` → tool source
//!   `builtin`, `mcp` → `mcp`; `status_code` that is not a number (metrics say `ok`/`error`
//!   when the API gave none) stays a vendor attribute.
//! - `service.version` is the real CLI version → `coding_agent.vendor.version`; the session
//!   id is the record's `session.id`, else the resource's.
//! - No `gen_ai.provider.name`: Qwen reports only `auth_type` (`openai` means any
//!   OpenAI-compatible endpoint), kept as vendor metadata.
//!
//! ## Vendor quirks
//! - `event.name` carries a hyphenated prefix, `qwen-code.<event>` (every capture under
//!   `corpus/qwen_code/`, see `text_answer`), while `loop_detected`, `kitty_sequence_overflow`
//!   and `tool_output_truncated` are sent unprefixed (CLI source, not in the corpus; pinned by
//!   `tests/it/qwen_code.rs`); both spellings are accepted.
//! - Log records have no severity and no trace context, and the body is a prose summary that
//!   can quote an error message (`api_error`: "API error for … Error: 500 mock internal
//!   error"); the body is never used.
//! - Content is exported whatever the switch: with `logPrompts` off only `user_prompt.prompt`
//!   disappears, while `api_request.request_text` (the whole conversation, with the prompt,
//!   the tool call and its output), `api_response.response_text` and `tool_call.function_args`
//!   are still sent (`content_flags_off`); they go to content keys, so `metadata_only` drops them.
//! - Unset fields arrive as `{}` (`error_message` of `auth`, `subagent_name` of main-thread API
//!   events, `response_text` of an answer that is only a tool call, in `shell_tool_call`).
//! - `api_error` sends every field twice (`error_message` and `error.message`, `status_code`
//!   and `http.status_code`, `duration_ms` and `duration`, `model` and `model_name`), and its
//!   `response_id` is the request id `req_…`, not a completion id (`api_error`).
//! - Retries come in two layers: the OpenAI SDK's own retries inside one attempt leave no
//!   telemetry (four HTTP failures, one `api_error` whose `duration_ms` spans all four), and
//!   Qwen's retry of the attempt is a new `api_request` (`api_error`). The failed attempt counts
//!   in `api.request.count` (a point with `status_code` 500 and `error_type`) and in the
//!   `api.request.latency` histogram (count 3 for two responses and one error), not in
//!   `token.usage`.
//! - `input_token_count` includes the cached tokens (650 with 500 cached) and
//!   `output_token_count` the thoughts (`text_answer`); the `token.usage` metric's `input`
//!   point therefore includes its `cache` point.
//! - A background memory subagent (`managed-auto-memory-extractor`) may run after the answer:
//!   `subagent_execution` started/completed, its own `api_request`/`api_response` with
//!   `subagent_name` and a `prompt_id` of `<session>#<agent>-<id>#0`, `memory.extract`, and its
//!   tokens counted in `token.usage` (`text_answer`, `api_error`); its call is an `llm_call`
//!   like any other, told apart by `coding_agent.query_source`.
//! - The metrics scope has version `""` while the logs scope has none; metrics are cumulative
//!   and exported once at shutdown, and counters carry no unit (every capture).
//! - With only a traces endpoint, `LogToSpanProcessor` turns every log record into a span named
//!   by its prose body, with a trace id derived from the session id, status `error` and the
//!   error text as status message when the event has an error, and `log.bridge = true`; it
//!   drops `prompt`, `function_args` and `response_text` by default but not `request_text`
//!   (CLI source, not in the corpus; pinned by `tests/it/qwen_code.rs`).

use std::collections::HashSet;

use crate::adapter::{
    any_to_json, apply_rules, as_i64, as_string, convert, keep, metric_record, plain_number, resource_key, rule,
    Adapter, AttrRule, Conv, Item, ItemData, Normalized, Point, RecordBuilder, Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, KeyValue, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The Qwen Code adapter.
pub struct QwenCode;

const VENDOR: &str = "qwen_code";

/// The prefix of Qwen's event and metric names (`SERVICE_NAME` in the CLI).
const PREFIX: &str = "qwen-code.";

static SIGNATURE: Signature =
    Signature { scope_prefixes: &["qwen-code"], service_names: &["qwen-code"], name_prefixes: &["qwen-code."] };

/// The scope of the OpenTelemetry HTTP instrumentation Qwen registers.
const HTTP_INSTRUMENTATION_SCOPE: &str = "@opentelemetry/instrumentation-http";

/// Attributes any Qwen record may carry. Keys that mean different things per event
/// (`response_id`, `subagent_name`, `result`, `command`, `tool_name`) are read in
/// [`event_specific`]; twins in [`TWINS`].
const STANDARD: &[AttrRule] = &[
    rule("prompt_id", attr::PROMPT_ID, Conv::Str),
    rule("model", attr::REQUEST_MODEL, Conv::Model),
    rule("duration_ms", attr::DURATION_MS, Conv::Int),
    rule("prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("request_text", attr::API_BODY, Conv::Str),
    rule("response_text", attr::RESPONSE_TEXT, Conv::Str),
    rule("input_token_count", attr::INPUT_TOKENS, Conv::Int),
    rule("output_token_count", attr::OUTPUT_TOKENS, Conv::Int),
    rule("cached_content_token_count", attr::CACHE_READ_INPUT_TOKENS, Conv::Int),
    rule("thoughts_token_count", attr::REASONING_OUTPUT_TOKENS, Conv::Int),
    rule("function_name", attr::TOOL_NAME, Conv::Str),
    rule("function_args", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("error_message", attr::ERROR_MESSAGE, Conv::Str),
    rule("error", attr::ERROR_MESSAGE, Conv::Str),
    rule("error_type", attr::ERROR_TYPE, Conv::Str),
    rule("programming_language", attr::LANGUAGE, Conv::Str),
    // Vendor attributes known to be metadata: ids, enumerations, component names.
    keep("auth_type"),
    keep("action_type"),
    keep("status"),
    keep("approval_mode"),
    keep("output_format"),
    keep("strategy"),
    keep("trigger"),
    keep("terminate_reason"),
    keep("skipped_reason"),
    keep("operation"),
    keep("mimetype"),
    keep("extension"),
    keep("loop_type"),
    keep("connection_type"),
    keep("outcome"),
    keep("accept_method"),
    keep("boundary_type"),
    keep("finish_reason"),
    keep("setting_scope"),
    keep("display_backend"),
    keep("final_error_type"),
    keep("arena_session_id"),
    keep("agent_session_id"),
    keep("agent_model_id"),
    keep("model_id"),
    keep("winner_model_id"),
    keep("session_id"),
    keep("subagent_name"),
    keep("skill_name"),
    keep("mcp_server_name"),
    keep("tool_type"),
    keep("phase"),
    keep("memory_type"),
    keep("slash_command.model.model_name"),
];

/// Keys read by hand (session, names, decision, status code, metadata, token type) or dropped
/// as redundant (`event.timestamp` repeats the record time as text; `event_name` repeats
/// `event.name` on `conversation_finished`; `log.severity_*` are bridge copies of nothing Qwen
/// sets).
const CONSUMED: &[&str] = &[
    "session.id",
    "event.name",
    "event_name",
    "event.timestamp",
    "log.severity_number",
    "log.severity_text",
    "decision",
    "status_code",
    "metadata",
    "response_id",
    "subagent_name",
    "result",
    "command",
    "tool_name",
    "tool_type",
    "type",
];

/// Twin attributes: the canonical key, its conversion, the event's own keys (first set wins)
/// and the dotted copy Qwen adds.
const TWINS: &[(&str, Conv, &[&str], &str)] = &[
    (attr::ERROR_MESSAGE, Conv::Str, &["error_message", "error"], "error.message"),
    (attr::ERROR_TYPE, Conv::Str, &["error_type"], "error.type"),
    (attr::HTTP_STATUS_CODE, Conv::Int, &["status_code"], "http.status_code"),
    (attr::DURATION_MS, Conv::Int, &["duration_ms"], "duration"),
    (attr::REQUEST_MODEL, Conv::Model, &["model"], "model_name"),
];

/// Events the CLI defines that have no canonical kind: passthrough, no finding. Names are
/// without the `qwen-code.` prefix.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "api_request",
    "config",
    "auth",
    "user_retry",
    "api_cancel",
    "subagent_execution",
    "memory.recall",
    "memory.extract",
    "memory.dream",
    "chat_compression",
    "chat.content_retry",
    "chat.content_retry_failure",
    "conversation_finished",
    "file_operation",
    "flash_fallback",
    "ripgrep_fallback",
    "ide_connection",
    "next_speaker_check",
    "slash_command",
    "slash_command.model",
    "skill_launch",
    "user_feedback",
    "prompt_suggestion",
    "speculation",
    "extension_install",
    "extension_uninstall",
    "extension_update",
    "extension_enable",
    "extension_disable",
    "arena_session_started",
    "arena_agent_completed",
    "arena_session_ended",
    "loop_detected",
    "kitty_sequence_overflow",
    "tool_output_truncated",
];

/// Metrics the CLI (or its HTTP instrumentation) defines that keep their own name, with the
/// unit of their values (Qwen sends none for counters, `bytes`/`percent`/`ratio`/`score`/
/// `count` for a few gauges). Qwen's are without the `qwen-code.` prefix.
const KNOWN_OWN_NAME_METRICS: &[(&str, &str)] = &[
    ("subagent.execution.count", "1"),
    ("memory.recall.count", "1"),
    ("memory.recall.duration", "ms"),
    ("memory.extract.count", "1"),
    ("memory.extract.duration", "ms"),
    ("memory.dream.count", "1"),
    ("memory.dream.duration", "ms"),
    ("chat_compression", "1"),
    ("chat.invalid_chunk.count", "1"),
    ("chat.content_retry.count", "1"),
    ("chat.content_retry_failure.count", "1"),
    ("slash_command.model.call_count", "1"),
    ("arena.session.count", "1"),
    ("arena.session.duration", "ms"),
    ("arena.agent.count", "1"),
    ("arena.agent.duration", "ms"),
    ("arena.agent.tokens", "{token}"),
    ("arena.result.selected", "1"),
    ("startup.duration", "ms"),
    ("memory.usage", "By"),
    ("cpu.usage", "%"),
    ("tool.queue.depth", "1"),
    ("tool.execution.breakdown", "ms"),
    ("token.efficiency", "1"),
    ("api.request.breakdown", "ms"),
    ("performance.score", "1"),
    ("performance.regression", "1"),
    ("performance.regression.percentage_change", "%"),
    ("performance.baseline.comparison", "%"),
];

/// The OTel HTTP instrumentation's metrics (old semantic conventions in ms, stable in s).
const HTTP_INSTRUMENTATION_METRICS: &[(&str, &str)] = &[
    ("http.client.duration", "ms"),
    ("http.server.duration", "ms"),
    ("http.client.request.duration", "s"),
    ("http.server.request.duration", "s"),
];

impl Adapter for QwenCode {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let mut reported: HashSet<String> = HashSet::new();
        for item in items {
            match item.data {
                ItemData::Log(record) => {
                    let name = event_name(item.attributes()).or_else(|| match &record.body {
                        // Not what 0.15.10 sends (its body is prose), but a body that is just
                        // an event name says which event it is.
                        Some(AnyValue::String(body)) if body.starts_with(PREFIX) && !body.contains(' ') => {
                            EventName::parse(body)
                        }
                        _ => None,
                    });
                    match name {
                        Some(name) => map_event(item, &name, &mut out, &mut reported),
                        None => reject_unnamed(item, &mut out),
                    }
                }
                ItemData::Point { metric, point } => map_metric(item, &metric.name, point, &mut out, &mut reported),
                ItemData::Span(span) => map_span(item, span, &mut out, &mut reported),
            }
        }
        out
    }

    /// Every item is mapped from itself alone (the shared set only keeps a finding from
    /// being repeated).
    fn may_join_other_items(&self, _item: &Item<'_>) -> bool {
        false
    }
}

/// An event's name as sent (`qwen-code.api_error`, `loop_detected`) and without the prefix,
/// which is what the tables use.
struct EventName {
    sent: String,
    short: String,
}

impl EventName {
    fn parse(sent: &str) -> Option<EventName> {
        let sent = sent.trim();
        let short = sent.strip_prefix(PREFIX).unwrap_or(sent);
        (!short.is_empty()).then(|| EventName { sent: sent.to_owned(), short: short.to_owned() })
    }
}

/// The event name from the `event.name` attribute.
fn event_name(attributes: &[KeyValue]) -> Option<EventName> {
    EventName::parse(crate::otlp::find_attr(attributes, "event.name")?.as_str()?)
}

fn reject_unnamed(item: &Item<'_>, out: &mut Normalized) {
    out.rejected.push((item.id, "log record without an `event.name` attribute".into()));
    out.findings.push(
        Finding::new("missing_event_name", Level::Violation, "a Qwen Code log record names no event")
            .for_vendor(VENDOR)
            .at(item.location("event.name")),
    );
}

/// The item's attributes without the `{}` values Qwen sends for unset fields.
fn present_attributes(item: &Item<'_>) -> Vec<KeyValue> {
    item.attributes().iter().filter(|kv| !matches!(kv.value, AnyValue::Empty)).cloned().collect()
}

/// The last set (non-`{}`) value of `key`.
fn present<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    crate::otlp::find_attr(attributes, key).filter(|it| !matches!(it, AnyValue::Empty))
}

/// Sets what every record carries: session, resource facts, twins, then the attribute table.
fn common(builder: &mut RecordBuilder, item: &Item<'_>, attributes: &[KeyValue], out: &mut Normalized) {
    let own_session = present(attributes, "session.id").and_then(as_string).filter(|it| !it.is_empty());
    let resource_session = item.resource_attr("session.id").and_then(as_string).filter(|it| !it.is_empty());
    if let (Some(own), Some(resource)) = (&own_session, &resource_session) {
        if own != resource {
            out.findings.push(
                Finding::new(
                    "session_id_conflict",
                    Level::Improvement,
                    "`session.id` differs between the record and its resource; the record's value is used",
                )
                .for_vendor(VENDOR)
                .at(item.location("session.id")),
            );
        }
    }
    let _ = builder.session(own_session.or(resource_session));
    for (key, canonical) in [
        ("service.name", attr::SERVICE_NAME),
        ("service.version", attr::VENDOR_VERSION),
        ("os.type", attr::OS_TYPE),
        ("os.version", attr::OS_VERSION),
        ("host.arch", attr::HOST_ARCH),
        ("host.name", attr::HOST_NAME),
        ("user.id", attr::USER_ID),
        ("user.email", attr::USER_EMAIL),
    ] {
        let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
    }
    for kv in &item.resource.attributes {
        let mapped = matches!(
            kv.key.as_str(),
            "service.name"
                | "service.version"
                | "session.id"
                | "os.type"
                | "os.version"
                | "host.arch"
                | "host.name"
                | "user.id"
                | "user.email"
        );
        if !mapped && !matches!(kv.value, AnyValue::Empty) {
            let _ = builder.vendor_attr_owned(resource_key(&kv.key), &kv.value);
        }
    }
    let mut consumed: Vec<&str> = CONSUMED.to_vec();
    twins(builder, item, attributes, &mut consumed, out);
    apply_rules(builder, item, attributes, STANDARD, &consumed, &mut out.findings, VENDOR);
    status_code(builder, attributes);
    tool_metadata(builder, attributes);
}

/// Resolves twin attributes (see the module rules); consumed twins are added to `consumed`.
fn twins(
    builder: &mut RecordBuilder,
    item: &Item<'_>,
    attributes: &[KeyValue],
    consumed: &mut Vec<&'static str>,
    out: &mut Normalized,
) {
    for &(canonical, conv, own_keys, twin_key) in TWINS {
        let Some(twin) = present(attributes, twin_key) else { continue };
        let own = own_keys.iter().find_map(|key| present(attributes, key).map(|value| (*key, value)));
        match own {
            Some((own_key, own)) => {
                if same_value(own, twin) {
                    consumed.push(twin_key);
                } else {
                    // Kept under its own key (default-deny): the two disagree, so the copy is
                    // evidence, not noise.
                    out.findings.push(
                        Finding::new(
                            "twin_attribute_conflict",
                            Level::Improvement,
                            format!("`{own_key}` and its twin `{twin_key}` differ; `{own_key}` is used"),
                        )
                        .for_vendor(VENDOR)
                        .at(item.location(twin_key)),
                    );
                }
            }
            None => {
                // Only the copy was sent: it is the value.
                if let Some(value) = convert(twin, conv) {
                    let value = match (conv, value) {
                        (Conv::Model, Value::Str(raw)) => {
                            let normalized = crate::adapter::normalize_model(&raw);
                            if normalized != raw {
                                let _ = builder.set(attr::MODEL_RAW, Value::Str(raw));
                            }
                            Value::Str(normalized)
                        }
                        (_, value) => value,
                    };
                    let _ = builder.set(canonical, value);
                    consumed.push(twin_key);
                }
            }
        }
    }
}

/// Whether two wire values say the same (`500` equals `"500"`).
fn same_value(left: &AnyValue, right: &AnyValue) -> bool {
    match (as_string(left), as_string(right)) {
        (Some(left), Some(right)) => left == right,
        _ => any_to_json(left) == any_to_json(right),
    }
}

/// `status_code`: an HTTP status when it is a number; `ok`/`error` (metrics, when the API gave
/// no status) stay a vendor attribute.
fn status_code(builder: &mut RecordBuilder, attributes: &[KeyValue]) {
    let Some(value) = present(attributes, "status_code") else { return };
    match as_i64(value) {
        Some(code) => {
            if !builder.has(attr::HTTP_STATUS_CODE) {
                let _ = builder.set(attr::HTTP_STATUS_CODE, Value::Int(code));
            }
        }
        None => {
            let _ = builder.vendor_metadata("status_code", value);
        }
    }
}

/// `decision`, `tool_type` and the numbers inside `metadata` (the diff stats of an edit).
fn tool_metadata(builder: &mut RecordBuilder, attributes: &[KeyValue]) {
    if let Some(raw) = present(attributes, "decision") {
        if let Some(decision) = raw.as_str().and_then(normalize_decision) {
            let _ = builder.set(attr::DECISION, Value::Str(decision.to_owned()));
        }
        if raw.as_str().is_some() {
            let _ = builder.vendor_metadata("decision", raw);
        } else {
            let _ = builder.vendor_attr("decision", raw);
        }
    }
    if let Some(raw) = present(attributes, "tool_type") {
        if let Some(text) = raw.as_str() {
            let source = match text {
                "native" => "builtin",
                other => other,
            };
            let _ = builder.set(attr::TOOL_SOURCE, Value::Str(source.to_owned()));
        }
        let _ = builder.vendor_metadata("tool_type", raw);
    }
    if let Some(metadata) = present(attributes, "metadata") {
        // A map of line and character counts; sent as a JSON string through the span bridge.
        let numbers: Option<Vec<(String, i64)>> = match metadata {
            AnyValue::KvList(values) => {
                values.iter().map(|kv| as_i64(&kv.value).map(|it| (kv.key.to_string(), it))).collect()
            }
            AnyValue::String(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) => {
                    map.iter().map(|(key, value)| value.as_i64().map(|it| (key.clone(), it))).collect()
                }
                _ => None,
            },
            _ => None,
        };
        match numbers {
            Some(numbers) => {
                for (key, value) in numbers {
                    let _ = builder.vendor_attr(&format!("metadata.{key}"), &AnyValue::Int(value));
                }
            }
            None => {
                let _ = builder.vendor_attr("metadata", metadata);
            }
        }
    }
}

/// Qwen's decision → the canonical `accept`/`reject`.
fn normalize_decision(raw: &str) -> Option<&'static str> {
    match raw.trim() {
        "accept" | "auto_accept" | "modify" => Some("accept"),
        "reject" => Some("reject"),
        _ => None,
    }
}

/// What a tool does, from its name (and `tool_type` for MCP tools).
fn tool_category(name: &str, is_mcp: bool) -> &'static str {
    if is_mcp || name.starts_with("mcp__") {
        return "mcp";
    }
    match name {
        "run_shell_command" => "shell",
        "edit" | "replace" | "write_file" => "edit",
        "read_file" | "read_many_files" | "list_directory" => "read",
        "grep_search" | "search_file_content" | "glob" | "tool_search" | "lsp" => "search",
        "web_fetch" | "web_search" | "google_web_search" => "web",
        "agent" | "task" => "agent",
        _ => "other",
    }
}

/// Tool records: category, and the shell command or file path out of the arguments (content
/// keys, so privacy decides).
fn tool_details(builder: &mut RecordBuilder) {
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let is_mcp = matches!(builder.get(attr::TOOL_SOURCE), Some(Value::Str(source)) if source == "mcp");
        let category = tool_category(name, is_mcp);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS]);
}

/// Keys whose meaning depends on the event (see [`CONSUMED`]).
fn event_specific(builder: &mut RecordBuilder, name: &str, attributes: &[KeyValue]) {
    let text = |key: &str| present(attributes, key).and_then(as_string).filter(|it| !it.is_empty());
    let set_text = |builder: &mut RecordBuilder, key: &str, canonical: &'static str| {
        if let Some(value) = text(key) {
            let _ = builder.set(canonical, Value::Str(value));
        }
    };
    match name {
        "api_response" | "tool_call" => set_text(builder, "response_id", attr::RESPONSE_ID),
        "api_error" => set_text(builder, "response_id", attr::REQUEST_ID),
        _ => {}
    }
    match name {
        "api_request" | "api_response" | "api_error" | "api_cancel" => {
            set_text(builder, "subagent_name", attr::QUERY_SOURCE);
        }
        _ => {}
    }
    match name {
        "subagent_execution" => set_text(builder, "result", attr::RESPONSE_TEXT),
        "slash_command" => set_text(builder, "command", attr::COMMAND_NAME),
        "file_operation" | "tool_output_truncated" => set_text(builder, "tool_name", attr::TOOL_NAME),
        _ => {}
    }
    // What the table above did not claim stays a vendor attribute: ids and names as metadata,
    // anything that can hold text default-deny.
    for key in ["response_id", "subagent_name", "tool_name"] {
        let claimed = match key {
            "response_id" => matches!(name, "api_response" | "tool_call" | "api_error"),
            "tool_name" => matches!(name, "file_operation" | "tool_output_truncated"),
            "subagent_name" => matches!(name, "api_request" | "api_response" | "api_error" | "api_cancel"),
            _ => false,
        };
        if !claimed {
            if let Some(value) = present(attributes, key) {
                let _ = builder.vendor_metadata(key, value);
            }
        }
    }
    for (key, claimed) in [("result", name == "subagent_execution"), ("command", name == "slash_command")] {
        if !claimed {
            if let Some(value) = present(attributes, key) {
                let _ = builder.vendor_attr(key, value);
            }
        }
    }
}

fn map_event(item: &Item<'_>, event: &EventName, out: &mut Normalized, reported: &mut HashSet<String>) {
    let name = event.short.as_str();
    let kind = match name {
        "user_prompt" => RecordKind::UserPrompt,
        "api_response" => RecordKind::LlmCall,
        "api_error" => RecordKind::ApiError,
        "tool_call" => RecordKind::ToolCall,
        _ => RecordKind::Passthrough,
    };
    let known = kind != RecordKind::Passthrough || KNOWN_PASSTHROUGH_EVENTS.contains(&name);
    if !known && reported.insert(event.sent.clone()) {
        out.findings.push(
            Finding::new(
                "unknown_event_name",
                Level::Improvement,
                format!("event `{}` is not in the adapter's list; kept as passthrough", event.sent),
            )
            .for_vendor(VENDOR)
            .at(item.location("event.name")),
        );
    }
    let attributes = present_attributes(item);
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &event.sent);
    common(&mut builder, item, &attributes, out);
    event_specific(&mut builder, name, &attributes);
    match name {
        "api_request" if builder.has(attr::API_BODY) => {
            let _ = builder.set(attr::API_BODY_DIRECTION, Value::Str("request".to_owned()));
        }
        "tool_call" => tool_details(&mut builder),
        _ => {}
    }
    if let ItemData::Span(span) = item.data {
        span_facts(&mut builder, span);
    }
    out.records.push(builder.finish());
}

/// Canonical name and unit of the metrics with a cross-vendor meaning (names without prefix).
fn metric_target(short_name: &str) -> Option<(&'static str, &'static str)> {
    Some(match short_name {
        "session.count" => ("coding_agent.session.count", "1"),
        "tool.call.count" => ("coding_agent.tool.call.count", "1"),
        "tool.call.latency" => ("coding_agent.tool.call.duration", "ms"),
        "api.request.count" => ("coding_agent.api.request.count", "1"),
        "api.request.latency" => ("coding_agent.api.request.duration", "ms"),
        "token.usage" => ("coding_agent.token.usage", "{token}"),
        "file.operation.count" => ("coding_agent.file.operation.count", "1"),
        _ => return None,
    })
}

fn map_metric(item: &Item<'_>, name: &str, point: Point<'_>, out: &mut Normalized, reported: &mut HashSet<String>) {
    let short_name = name.strip_prefix(PREFIX);
    let target = short_name.and_then(metric_target);
    let (canonical, unit): (String, String) = match target {
        Some((canonical, unit)) => (canonical.to_owned(), unit.to_owned()),
        None => {
            let known_unit = short_name
                .and_then(|short| KNOWN_OWN_NAME_METRICS.iter().find(|(known, _)| *known == short))
                .or_else(|| HTTP_INSTRUMENTATION_METRICS.iter().find(|(known, _)| *known == name))
                .map(|(_, unit)| *unit);
            if known_unit.is_none() && reported.insert(name.to_owned()) {
                out.findings.push(
                    Finding::new(
                        "unknown_metric_name",
                        Level::Improvement,
                        format!("metric `{name}` is not in the adapter's list; kept under its own name"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("name")),
                );
            }
            // An unknown metric keeps the unit it was sent with.
            let unit = match (known_unit, item.data) {
                (Some(unit), _) => unit.to_owned(),
                (None, ItemData::Point { metric, .. }) => metric.unit.to_string(),
                (None, _) => String::new(),
            };
            (name.to_owned(), unit)
        }
    };
    let attributes = present_attributes(item);
    let mut builder = metric_record(VENDOR, RecordKind::MetricPoint, item, &canonical, &unit, plain_number);
    common(&mut builder, item, &attributes, out);
    match point {
        Point::Histogram(it) => {
            let _ = builder.set(attr::METRIC_COUNT, Value::Int(it.count.min(i64::MAX as u64) as i64));
        }
        Point::ExponentialHistogram(it) => {
            let _ = builder.set(attr::METRIC_COUNT, Value::Int(it.count.min(i64::MAX as u64) as i64));
        }
        Point::Summary(it) => {
            let _ = builder.set(attr::METRIC_COUNT, Value::Int(it.count.min(i64::MAX as u64) as i64));
        }
        Point::Number(_) => {}
    }
    // The metric attributes whose meaning is per metric.
    if let Some(value) = present(&attributes, "type") {
        match (short_name, value.as_str()) {
            (Some("token.usage" | "arena.agent.tokens"), Some(kind)) => {
                let token_type = match kind {
                    "cache" => "cache_read",
                    "thought" => "reasoning",
                    other => other,
                };
                let _ = builder.set(attr::TOKEN_TYPE, Value::Str(token_type.to_owned()));
            }
            _ => {
                let _ = builder.vendor_attr("type", value);
            }
        }
    }
    if let Some(value) = present(&attributes, "subagent_name") {
        let _ = builder.vendor_metadata("subagent_name", value);
    }
    if let Some(value) = present(&attributes, "tool_name") {
        let _ = builder.vendor_metadata("tool_name", value);
    }
    for key in ["response_id", "result", "command"] {
        if let Some(value) = present(&attributes, key) {
            let _ = builder.vendor_attr(key, value);
        }
    }
    out.records.push(builder.finish());
}

fn map_span(item: &Item<'_>, span: &Span, out: &mut Normalized, reported: &mut HashSet<String>) {
    if let Some(event) = event_name(&span.attributes) {
        // A log record sent as a span by Qwen's log-to-span bridge.
        map_event(item, &event, out, reported);
        return;
    }
    let name = if item.scope.name.starts_with(HTTP_INSTRUMENTATION_SCOPE) {
        match span.kind {
            2 => "http.server".to_owned(),
            _ => "http.client".to_owned(),
        }
    } else {
        // The name is the vendor's; a prose name could quote content, so only a name-like one
        // is kept.
        let name_like = !span.name.is_empty()
            && span.name.len() <= 128
            && span.name.chars().all(|it| it.is_ascii_alphanumeric() || matches!(it, '.' | '_' | '-'));
        let name = if name_like { span.name.to_string() } else { format!("{PREFIX}unnamed_span") };
        if reported.insert(name.clone()) {
            out.findings.push(
                Finding::new(
                    "unknown_span_name",
                    Level::Improvement,
                    format!("span `{name}` is not in the adapter's list; kept as passthrough"),
                )
                .for_vendor(VENDOR)
                .at(item.location("name")),
            );
        }
        name
    };
    let attributes = present_attributes(item);
    let mut builder = RecordBuilder::new(VENDOR, RecordKind::Passthrough, item, &name);
    common(&mut builder, item, &attributes, out);
    for key in ["response_id", "subagent_name", "result", "command", "tool_name", "type"] {
        if let Some(value) = present(&attributes, key) {
            let _ = builder.vendor_attr(key, value);
        }
    }
    span_facts(&mut builder, span);
    out.records.push(builder.finish());
}

/// Duration (when no attribute gave one) and status of a span; its status message can quote
/// an error and is not kept.
fn span_facts(builder: &mut RecordBuilder, span: &Span) {
    if !builder.has(attr::DURATION_MS)
        && span.start_time_unix_nano != 0
        && span.end_time_unix_nano > span.start_time_unix_nano
    {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(millis.min(i64::MAX as u64) as i64));
    }
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
}
