//! Goose (`aaif-goose/goose`, formerly `block/goose`): `tracing` spans, counter metrics and
//! the same `tracing` events as log records, all through `tracing-opentelemetry`.
//!
//! ## What it maps
//! - Spans (scope `goose`): `reply` → `user_prompt` (the prompt it was given);
//!   `reply_stream` → `turn` (the agent loop: its children are the model and tool calls; it
//!   holds the final answer); `stream_response_from_provider` → `llm_call` (`api_error` when
//!   its status is ERROR); `complete` → `llm_call` unless it runs inside a
//!   `stream_response_from_provider` span (then ignored as the same call);
//!   `dispatch_tool_call` → `tool_call`; a span of another name by its
//!   `gen_ai.operation.name` (`chat` → `llm_call`, `execute_tool` → `tool_call`,
//!   `invoke_agent` → `turn`), else `passthrough` with an `unknown_span_name` finding.
//! - Metrics (scope `tracing/tracing-opentelemetry`, names `goose.*`): every point →
//!   `metric_point`: `goose.session_starts` → `coding_agent.session.count`,
//!   `goose.tool_calls` → `coding_agent.tool.call.count`, `goose.tool_completions` →
//!   `coding_agent.tool.completion.count`, `goose.session_completions` →
//!   `coding_agent.session.completion.count`, `goose.session_duration_ms` →
//!   `coding_agent.session.duration` (ms), `goose.session_tokens` →
//!   `coding_agent.session.last_turn_tokens`, `goose.cli_commands` →
//!   `coding_agent.cli.command.count`; other `goose.*` counters keep their name (a finding
//!   when they are not among the documented ones).
//! - Logs: INFO and above from `goose*` scopes. `Tool call completed` → folded into its
//!   `dispatch_tool_call` span and ignored, or `tool_call` when no span is in the capture;
//!   `Tool call started` → ignored (the completion describes the call); `🤖 Using model: <m>`
//!   → `passthrough` with the model; `CLI command executed`, `Headless session started`,
//!   `Session completed`, `Session duration`, `Session tokens` → `passthrough`; other
//!   messages → `passthrough` (error text as content for ERROR records) with an
//!   `unknown_log_message` finding. Debug/trace records (`OTEL_LOG_LEVEL=debug`) and records
//!   of dependency scopes (`sqlx::query`, `hyper_util::…`, `opentelemetry_sdk`) are ignored.
//!
//! ## Rules
//! - Count once: `reply_stream` is the parent of every `stream_response_from_provider` of a
//!   turn and `reply` is the turn's entry; neither is an `llm_call`, and any `gen_ai.usage.*`
//!   either carries (newer Goose aggregates usage on them) is kept as a vendor attribute, never
//!   in `gen_ai.usage.*`.
//! - Tokens on `stream_response_from_provider` follow OTel GenAI (input includes cache), so
//!   `gen_ai.usage.*` maps one to one. Goose sends no money: no cost.
//! - Content: the legacy span attributes `user_message` / `trace_input` (`reply`: the prompt),
//!   `trace_output` (`reply_stream`: the answer) and `input` (`dispatch_tool_call`: tool name
//!   and arguments) are always sent, whatever the content switch; they, and the GenAI content
//!   attributes (`gen_ai.input.messages`, `gen_ai.output.messages`,
//!   `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`, `output`) go into content keys
//!   only. The tool *name* is read out of `input`; the shell command and file path are read out
//!   of its arguments into their content keys.
//! - Session: `gen_ai.conversation.id`, else `session.id` (format `YYYYMMDD_N`). Identity:
//!   `session.user` / resource `user.name` (the OS user) → `coding_agent.user.id`,
//!   `session.host` / `host.name` → `coding_agent.host.name`.
//! - The `tracing` bookkeeping on every span (`code.*`, `thread.*`, `target`, `busy_ns`,
//!   `idle_ns`) and the metric point attribute `message` (the log line the counter came from)
//!   are dropped; log records keep their `monotonic_counter.*` fields as vendor attributes
//!   (the increment, which matters when metrics are not exported).
//!
//! ## Vendor quirks
//! - `reply` (the prompt) and `reply_stream` (the answer and every child span) are in two
//!   different traces; only `session.id` joins them (`text_answer_protobuf`).
//! - Goose 1.43.0 spans carry no model, provider, token counts, tool call id or tool result:
//!   its `llm_call` records have duration and session only (`tool_call_protobuf`); the model
//!   shows up only in the `🤖 Using model:` log body.
//! - `dispatch_tool_call` lasts about 0.5 ms (dispatch only, not the tool run); its result is
//!   on the `Tool call completed` log (`result=success`), which has no session or trace id and
//!   is paired with the span by tool name in order (`tool_call_protobuf`).
//! - Log records have no `timeUnixNano` (observed time only) and `eventName` is
//!   `event <source file>:<line>`, for dependencies with the build machine's cargo registry
//!   path: it is never used (`tool_call_protobuf_debug_logs`).
//! - `goose.session_tokens` is the last turn's token total, not a sum over the session (132
//!   in every capture, one call's 120 + 12); `session_completions` carries `duration_ms`,
//!   `total_tokens` and `message_count` as point attributes (`tool_call_protobuf`).
//! - The JSON build is opentelemetry-rust's JSON: pretty-printed, every empty field written
//!   (`parentSpanId: ""`, `traceId: ""`, `timeUnixNano: "0"`), `intValue` as a string but
//!   metric `asInt` as a JSON number (`text_answer_json_patched_build`).
//! - `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` silently sends protobuf from the stock build
//!   (`text_answer_httpjson_falls_back_to_protobuf`).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::adapter::{
    apply_rules, as_string, keep, metric_record, plain_number, resource_key, rule, Adapter, AttrRule, Conv, Item,
    ItemData, ItemId, Normalized, RecordBuilder, Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The Goose adapter.
pub struct Goose;

const VENDOR: &str = "goose";

static SIGNATURE: Signature = Signature {
    // `goose` (tracer), `goose_cli::…` and `goose::…` (log targets); metrics come from the
    // generic `tracing/tracing-opentelemetry` scope and are known by service.name or name.
    scope_prefixes: &["goose"],
    service_names: &["goose"],
    name_prefixes: &["goose."],
};

/// Span, log and point attributes with a canonical home.
const RULES: &[AttrRule] = &[
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.system", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.response.model", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule(
        "gen_ai.response.finish_reasons",
        attr::FINISH_REASONS,
        Conv::StrList,
    ),
    rule("gen_ai.tool.name", attr::TOOL_NAME, Conv::Str),
    rule("gen_ai.tool.call.id", attr::TOOL_CALL_ID, Conv::Str),
    rule(
        "gen_ai.tool.call.arguments",
        attr::TOOL_ARGUMENTS,
        Conv::Str,
    ),
    rule("gen_ai.tool.call.result", attr::TOOL_RESULT, Conv::Str),
    rule("output", attr::TOOL_RESULT, Conv::Str),
    rule("tool_name", attr::TOOL_NAME, Conv::Str),
    rule("duration_ms", attr::DURATION_MS, Conv::Int),
    rule("error", attr::ERROR_MESSAGE, Conv::Str),
    rule("error.type", attr::ERROR_TYPE, Conv::Str),
    // enumerations Goose fills from fixed values: vendor metadata kept in `metadata_only`
    keep("session_type"),
    keep("exit_type"),
    keep("command"),
    keep("session.agent_type"),
    keep("inspector_name"),
    keep("gen_ai.operation.name"),
];

/// Resource attributes known to hold names and versions only: kept in `metadata_only`.
const RESOURCE_METADATA: &[&str] = &[
    "service.namespace",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
];

/// Token counts, only where they describe one call (`stream_response_from_provider`, `complete`).
const USAGE_RULES: &[AttrRule] = &[
    rule("gen_ai.usage.input_tokens", attr::INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.output_tokens", attr::OUTPUT_TOKENS, Conv::Int),
    rule(
        "gen_ai.usage.cache_read.input_tokens",
        attr::CACHE_READ_INPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "gen_ai.usage.cache_creation.input_tokens",
        attr::CACHE_CREATION_INPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "gen_ai.usage.reasoning.output_tokens",
        attr::REASONING_OUTPUT_TOKENS,
        Conv::Int,
    ),
];

/// Read by hand (session, identity, content by span) or dropped as `tracing` bookkeeping.
const CONSUMED: &[&str] = &[
    "session.id",
    "gen_ai.conversation.id",
    "session.user",
    "session.host",
    "user_message",
    "trace_input",
    "trace_output",
    "input",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "code.file.path",
    "code.filepath",
    "code.module.name",
    "code.namespace",
    "code.line.number",
    "code.lineno",
    "thread.id",
    "thread.name",
    "target",
    "busy_ns",
    "idle_ns",
    "level",
    "message",
    "result",
];

/// Documented `goose.*` counters: canonical name and unit.
const METRICS: &[(&str, &str, &str)] = &[
    ("goose.session_starts", "coding_agent.session.count", "1"),
    (
        "goose.session_completions",
        "coding_agent.session.completion.count",
        "1",
    ),
    (
        "goose.session_duration_ms",
        "coding_agent.session.duration",
        "ms",
    ),
    (
        "goose.session_tokens",
        "coding_agent.session.last_turn_tokens",
        "{token}",
    ),
    ("goose.tool_calls", "coding_agent.tool.call.count", "1"),
    (
        "goose.tool_completions",
        "coding_agent.tool.completion.count",
        "1",
    ),
    ("goose.cli_commands", "coding_agent.cli.command.count", "1"),
];

/// Counters in Goose's source that the corpus has not seen fire: kept under their own
/// name without a finding.
const KNOWN_UNMAPPED_METRIC_PREFIXES: &[&str] = &[
    "goose.recipe_runs",
    "goose.prompt_injection_",
    "goose.security_",
    "goose.command_classifier_",
];

/// Log messages kept as passthrough without a finding.
const KNOWN_MESSAGES: &[&str] = &[
    "CLI command executed",
    "Headless session started",
    "Session completed",
    "Session duration",
    "Session tokens",
];

const MODEL_MESSAGE: &str = "Using model:";
const MODEL_RECORD_NAME: &str = "Using model";
const TOOL_STARTED: &str = "Tool call started";
const TOOL_COMPLETED: &str = "Tool call completed";

impl Adapter for Goose {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let pairs = ToolPairs::collect(items);
        let llm_spans: HashSet<Vec<u8>> = items
            .iter()
            .filter_map(|item| match item.data {
                ItemData::Span(span) if span.name == "stream_response_from_provider" => {
                    Some(span.span_id.clone())
                }
                _ => None,
            })
            .collect();
        let mut seen: HashSet<String> = HashSet::new();
        for item in items {
            match item.data {
                ItemData::Log(record) => map_log(item, record, &pairs, &mut out, &mut seen),
                ItemData::Point { metric, .. } => {
                    map_metric(item, &metric.name, &mut out, &mut seen)
                }
                ItemData::Span(span) => {
                    map_span(item, span, &pairs, &llm_spans, &mut out, &mut seen)
                }
            }
        }
        out
    }

    /// A `Tool call completed` log pairs with a `dispatch_tool_call` span ([`ToolPairs`]);
    /// every other log record is mapped by `map_log` from itself alone.
    fn may_join_other_items(&self, item: &Item<'_>) -> bool {
        match item.data {
            ItemData::Log(record) => body_text(record).as_deref() == Some(TOOL_COMPLETED),
            ItemData::Point { .. } | ItemData::Span(_) => true,
        }
    }
}

/// `Tool call completed` log records paired with `dispatch_tool_call` spans: the log has
/// the result but no session or trace id, so the n-th completion of a tool pairs with the
/// n-th dispatch of that tool, in time order.
#[derive(Default)]
struct ToolPairs {
    /// Span item → the `result` of its completion log.
    result_of_span: HashMap<ItemId, String>,
    /// Completion logs that have a span.
    paired_logs: HashSet<ItemId>,
}

impl ToolPairs {
    fn collect(items: &[Item<'_>]) -> ToolPairs {
        let mut spans: HashMap<String, Vec<(u64, ItemId)>> = HashMap::new();
        let mut logs: HashMap<String, Vec<(u64, ItemId, String)>> = HashMap::new();
        for item in items {
            match item.data {
                ItemData::Span(span) if span.name == "dispatch_tool_call" => {
                    let tool = dispatched_tool(item, span).unwrap_or_default();
                    spans
                        .entry(tool)
                        .or_default()
                        .push((span.start_time_unix_nano, item.id));
                }
                ItemData::Log(record) if body_text(record).as_deref() == Some(TOOL_COMPLETED) => {
                    let tool = text(item, "tool_name").unwrap_or_default();
                    let result = text(item, "result").unwrap_or_default();
                    logs.entry(tool).or_default().push((
                        item.time_unix_nano().unwrap_or(0),
                        item.id,
                        result,
                    ));
                }
                _ => {}
            }
        }
        let mut pairs = ToolPairs::default();
        for (tool, mut tool_logs) in logs {
            let Some(tool_spans) = spans.get_mut(&tool) else {
                continue;
            };
            tool_spans.sort();
            tool_logs.sort_by_key(|it| (it.0, it.1));
            let mut queue: VecDeque<_> = tool_spans.iter().collect();
            for (_, log_id, result) in tool_logs {
                let Some((_, span_id)) = queue.pop_front() else {
                    break;
                };
                let _ = pairs.result_of_span.insert(*span_id, result);
                let _ = pairs.paired_logs.insert(log_id);
            }
        }
        pairs
    }
}

/// A non-empty string attribute of the item (numbers spelled out).
fn text(item: &Item<'_>, key: &str) -> Option<String> {
    item.attr(key)
        .and_then(as_string)
        .filter(|it| !it.trim().is_empty())
}

/// The log body when it is a string.
fn body_text(record: &LogRecord) -> Option<String> {
    match &record.body {
        Some(AnyValue::String(body)) => Some(body.trim().to_owned()),
        _ => None,
    }
}

/// What every record carries: session, identity, resource facts, the attribute table.
fn common(builder: &mut RecordBuilder, item: &Item<'_>, usage: bool, out: &mut Normalized) {
    let _ =
        builder.session(text(item, "gen_ai.conversation.id").or_else(|| text(item, "session.id")));
    let user =
        text(item, "session.user").or_else(|| item.resource_attr("user.name").and_then(as_string));
    let _ = builder.set_opt(
        attr::USER_ID,
        user.filter(|it| !it.is_empty()).map(Value::Str),
    );
    let host =
        text(item, "session.host").or_else(|| item.resource_attr("host.name").and_then(as_string));
    let _ = builder.set_opt(
        attr::HOST_NAME,
        host.filter(|it| !it.is_empty()).map(Value::Str),
    );
    for kv in &item.resource.attributes {
        let canonical = match kv.key.as_str() {
            "service.name" => Some(attr::SERVICE_NAME),
            "service.version" => Some(attr::VENDOR_VERSION),
            "os.type" => Some(attr::OS_TYPE),
            "os.version" => Some(attr::OS_VERSION),
            "host.arch" => Some(attr::HOST_ARCH),
            "user.name" | "host.name" => continue,
            _ => None,
        };
        match (canonical, as_string(&kv.value).filter(|it| !it.is_empty())) {
            (Some(key), Some(value)) => {
                let _ = builder.set(key, Value::Str(value));
            }
            _ => {
                let key = resource_key(&kv.key);
                if RESOURCE_METADATA.contains(&kv.key.as_str()) {
                    let _ = builder.vendor_metadata_owned(key, &kv.value);
                } else {
                    let _ = builder.vendor_attr_owned(key, &kv.value);
                }
            }
        }
    }
    let rules: Vec<AttrRule> = if usage {
        RULES.iter().chain(USAGE_RULES).copied().collect()
    } else {
        RULES.to_vec()
    };
    apply_rules(
        builder,
        item,
        item.attributes(),
        &rules,
        CONSUMED,
        &mut out.findings,
        VENDOR,
    );
}

/// Span duration and status; an ERROR status message is error text (content).
fn span_facts(builder: &mut RecordBuilder, span: &Span) {
    if !builder.has(attr::DURATION_MS)
        && span.start_time_unix_nano != 0
        && span.end_time_unix_nano >= span.start_time_unix_nano
    {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(millis as i64));
    }
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
    if span.status_code == 2 && !span.status_message.is_empty() && !builder.has(attr::ERROR_MESSAGE)
    {
        let _ = builder.set(attr::ERROR_MESSAGE, Value::Str(span.status_message.to_string()));
    }
}

/// The tool a `dispatch_tool_call` span dispatched: `gen_ai.tool.name`, else the `tool`
/// field of the legacy `input` JSON, else the `WAITING_TOOL_START: <tool>` event.
fn dispatched_tool(item: &Item<'_>, span: &Span) -> Option<String> {
    if let Some(name) = text(item, "gen_ai.tool.name") {
        return Some(name);
    }
    if let Some((name, _)) = legacy_input(item) {
        return Some(name);
    }
    span.events.iter().find_map(|event| {
        event
            .name
            .strip_prefix("WAITING_TOOL_START: ")
            .map(|it| it.trim().to_owned())
            .filter(|it| !it.is_empty())
    })
}

/// The legacy `input` attribute: `{"tool": <name>, "arguments": {…}}` → name and arguments JSON.
fn legacy_input(item: &Item<'_>) -> Option<(String, Option<String>)> {
    let raw = text(item, "input")?;
    let serde_json::Value::Object(map) = serde_json::from_str::<serde_json::Value>(&raw).ok()?
    else {
        return None;
    };
    let name = map
        .get("tool")
        .and_then(|it| it.as_str())
        .filter(|it| !it.is_empty())?
        .to_owned();
    let arguments = map.get("arguments").map(|it| it.to_string());
    Some((name, arguments))
}

/// What a Goose tool does, from its name (`shell`, or `<extension>__<tool>` for extensions).
fn tool_category(name: &str) -> &'static str {
    let base = name.rsplit("__").next().unwrap_or(name);
    match base {
        "shell" | "bash" => "shell",
        "text_editor" | "edit" | "write" | "apply_patch" | "str_replace" => "edit",
        "read" | "list_windows" | "view" => "read",
        "glob" | "grep" | "search" | "rg" => "search",
        "web_fetch" | "fetch" | "web_search" => "web",
        "subagent" | "dynamic_task" | "summon" => "agent",
        _ if name.contains("__") && !name.starts_with("developer__") => "mcp",
        _ => "other",
    }
}

/// Category, shell command and file path (content) of a tool record.
fn tool_details(builder: &mut RecordBuilder) {
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS]);
}

/// `result` of a tool completion as success.
fn result_success(result: &str) -> Option<bool> {
    match result.to_ascii_lowercase().as_str() {
        "success" | "ok" => Some(true),
        "error" | "failure" | "failed" | "cancelled" | "denied" => Some(false),
        _ => None,
    }
}

/// Aggregated usage on a turn-level span is kept, under its own key, out of `gen_ai.usage.*`.
fn keep_usage_as_vendor(builder: &mut RecordBuilder, item: &Item<'_>) {
    for kv in item.attributes() {
        if kv.key.starts_with("gen_ai.usage.") {
            let _ = builder.vendor_attr(&kv.key, &kv.value);
        }
    }
}

/// What a Goose span stands for: by name, else (for names this adapter does not know) by
/// its GenAI `gen_ai.operation.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Prompt,
    Turn,
    Call,
    Tool,
    Other,
}

fn role(item: &Item<'_>, span: &Span) -> Role {
    match span.name.as_str() {
        "reply" => Role::Prompt,
        "reply_stream" => Role::Turn,
        "stream_response_from_provider" | "complete" => Role::Call,
        "dispatch_tool_call" => Role::Tool,
        _ => match text(item, "gen_ai.operation.name").as_deref() {
            Some("chat" | "text_completion" | "generate_content") => Role::Call,
            Some("execute_tool") => Role::Tool,
            Some("invoke_agent") => Role::Turn,
            _ => Role::Other,
        },
    }
}

fn map_span(
    item: &Item<'_>,
    span: &Span,
    pairs: &ToolPairs,
    llm_spans: &HashSet<Vec<u8>>,
    out: &mut Normalized,
    seen: &mut HashSet<String>,
) {
    let name = span.name.as_str();
    let role = role(item, span);
    let kind = match role {
        Role::Prompt => RecordKind::UserPrompt,
        Role::Turn => RecordKind::Turn,
        Role::Call
            if name != "stream_response_from_provider"
                && llm_spans.contains(&span.parent_span_id) =>
        {
            out.ignored.push((
                item.id,
                format!("`{name}` inside `stream_response_from_provider` is the same model call").into(),
            ));
            return;
        }
        Role::Call if span.status_code == 2 => RecordKind::ApiError,
        Role::Call => RecordKind::LlmCall,
        Role::Tool => RecordKind::ToolCall,
        Role::Other => RecordKind::Passthrough,
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, name);
    common(&mut builder, item, role == Role::Call, out);
    span_facts(&mut builder, span);
    match role {
        Role::Prompt => {
            keep_usage_as_vendor(&mut builder, item);
            if let Some(prompt) = text(item, "user_message").or_else(|| text(item, "trace_input")) {
                let _ = builder.set(
                    attr::PROMPT_LENGTH,
                    Value::Int(prompt.chars().count() as i64),
                );
                let _ = builder.set(attr::PROMPT_TEXT, Value::Str(prompt));
            }
        }
        Role::Turn => {
            keep_usage_as_vendor(&mut builder, item);
            if let Some(answer) = text(item, "trace_output") {
                let _ = builder.set(
                    attr::RESPONSE_LENGTH,
                    Value::Int(answer.chars().count() as i64),
                );
                let _ = builder.set(attr::RESPONSE_TEXT, Value::Str(answer));
            }
        }
        Role::Call => {
            if kind == RecordKind::ApiError && !builder.has(attr::ERROR_TYPE) {
                let _ = builder.set(attr::ERROR_TYPE, Value::Str("api_error".to_owned()));
            }
        }
        Role::Tool => {
            if let Some((tool, arguments)) = legacy_input(item) {
                if !builder.has(attr::TOOL_NAME) {
                    let _ = builder.set(attr::TOOL_NAME, Value::Str(tool));
                }
                if let Some(arguments) = arguments {
                    if !builder.has(attr::TOOL_ARGUMENTS) {
                        let _ = builder.set(attr::TOOL_ARGUMENTS, Value::Str(arguments));
                    }
                }
            }
            if !builder.has(attr::TOOL_NAME) {
                let _ =
                    builder.set_opt(attr::TOOL_NAME, dispatched_tool(item, span).map(Value::Str));
            }
            if let Some(result) = pairs.result_of_span.get(&item.id) {
                let _ = builder.set_opt(attr::SUCCESS, result_success(result).map(Value::Bool));
            }
            tool_details(&mut builder);
        }
        Role::Other => {
            if seen.insert(format!("span {name}")) {
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
        }
    }
    out.records.push(builder.finish());
}

fn map_log(
    item: &Item<'_>,
    record: &LogRecord,
    pairs: &ToolPairs,
    out: &mut Normalized,
    seen: &mut HashSet<String>,
) {
    let scope = item.scope.name.as_str();
    let goose_scope = scope.is_empty()
        || scope == "goose"
        || scope.starts_with("goose_")
        || scope.starts_with("goose::");
    if !goose_scope {
        out.ignored.push((
            item.id,
            "log record of a dependency of Goose (not agent telemetry)".into(),
        ));
        return;
    }
    if (1..=8).contains(&record.severity_number) {
        out.ignored.push((
            item.id,
            "debug or trace log record (OTEL_LOG_LEVEL below info)".into(),
        ));
        return;
    }
    let body = body_text(record).unwrap_or_default();
    if body == TOOL_STARTED {
        out.ignored.push((
            item.id,
            "`Tool call started` marks the start of a call its completion describes".into(),
        ));
        return;
    }
    if body == TOOL_COMPLETED && pairs.paired_logs.contains(&item.id) {
        out.ignored.push((
            item.id,
            "the dispatch_tool_call span describes the same tool call".into(),
        ));
        return;
    }
    let (kind, name): (RecordKind, &str) = if body == TOOL_COMPLETED {
        (RecordKind::ToolCall, TOOL_COMPLETED)
    } else if let Some(known) = KNOWN_MESSAGES.iter().find(|it| **it == body) {
        (RecordKind::Passthrough, known)
    } else if body.contains(MODEL_MESSAGE) {
        (RecordKind::Passthrough, MODEL_RECORD_NAME)
    } else {
        (RecordKind::Passthrough, "log")
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, name);
    common(&mut builder, item, false, out);
    if kind == RecordKind::ToolCall {
        if let Some(result) = text(item, "result") {
            let _ = builder.set_opt(attr::SUCCESS, result_success(&result).map(Value::Bool));
        }
        tool_details(&mut builder);
    } else if name == MODEL_RECORD_NAME {
        // The body is a fixed message around the model name, the only place 1.43 names it.
        if let Some((_, model)) = body.split_once(MODEL_MESSAGE) {
            let model = model.trim();
            if !model.is_empty() && !model.contains(char::is_whitespace) {
                let _ = builder.set(
                    attr::REQUEST_MODEL,
                    Value::Str(crate::adapter::normalize_model(model)),
                );
            }
        }
    } else if name == "log" {
        if record.severity_number >= 17 && !body.is_empty() {
            let _ = builder.set(attr::ERROR_MESSAGE, Value::Str(body));
        }
        if seen.insert(format!("log {scope}")) {
            out.findings.push(
                Finding::new(
                    "unknown_log_message",
                    Level::Improvement,
                    format!("a log message of scope `{scope}` is not in the adapter's list; kept as passthrough without its text"),
                )
                .for_vendor(VENDOR)
                .at(item.location("body")),
            );
        }
    }
    out.records.push(builder.finish());
}

fn map_metric(item: &Item<'_>, name: &str, out: &mut Normalized, seen: &mut HashSet<String>) {
    let (canonical, unit) = match METRICS.iter().find(|(vendor, _, _)| *vendor == name) {
        Some((_, canonical, unit)) => (*canonical, *unit),
        None => {
            let documented = KNOWN_UNMAPPED_METRIC_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix));
            if !documented && seen.insert(format!("metric {name}")) {
                out.findings.push(
                    Finding::new(
                        "unknown_metric_name",
                        Level::Improvement,
                        format!(
                            "metric `{name}` is not in the adapter's list; kept under its own name"
                        ),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("name")),
                );
            }
            (name, "")
        }
    };
    let mut builder = metric_record(
        VENDOR,
        RecordKind::MetricPoint,
        item,
        canonical,
        unit,
        plain_number,
    );
    common(&mut builder, item, false, out);
    if let Some(result) = text(item, "result") {
        match result_success(&result) {
            Some(success) => {
                let _ = builder.set(attr::SUCCESS, Value::Bool(success));
            }
            None => {
                let _ = builder.vendor_metadata("result", &AnyValue::String(result.into()));
            }
        }
    }
    out.records.push(builder.finish());
}
