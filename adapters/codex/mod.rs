//! Codex CLI (`@openai/codex`): log events, metrics and `tracing` spans.
//!
//! ## What it maps
//! - Log events (scope `codex_otel.log_only`; the name is the attribute `event.name` =
//!   `codex.<name>`):
//!   - `codex.user_prompt` → `user_prompt`; `codex.agent_response` → `assistant_response`;
//!     `codex.tool_decision` → `tool_decision`; `codex.tool_result` → `tool_call`.
//!   - `codex.api_request` / `codex.websocket_request` → one `llm_call` per successful model
//!     call (2xx, no error), carrying the token counts of the `codex.sse_event` (or
//!     `codex.websocket_event`) of kind `response.completed` that completes it; a failed
//!     attempt (non-2xx status or an error message) → `api_error`.
//!   - `codex.sse_event` / `codex.websocket_event`: the token-carrying `response.completed`
//!     event is merged into its request's `llm_call` and *ignored* (or becomes the `llm_call`
//!     itself when no request event precedes it); an event with an error message →
//!     `api_error`; every other stream event (one per SSE event: `response.created`,
//!     deltas, …) is *ignored*: it holds only a per-event timing that the `codex.sse_event`
//!     metric already counts.
//!   - `codex.turn_cost` → `passthrough` with `usage.estimated_usd` as exact micro-USD cost;
//!     `codex.conversation_starts`, `codex.startup_phase`, `codex.turn_ttft` and the other
//!     documented events → `passthrough` (no finding); an undocumented event → `passthrough`
//!     with an `unknown_event_name` finding; a record with no `event.name` → *ignored* when it
//!     is a DEBUG/TRACE diagnostic (`flushing OTEL metrics`), else `passthrough` with a
//!     `missing_event_name` finding.
//! - Metrics (meter `codex`): every point → `metric_point`. Canonical names for token usage
//!   (`codex.turn.token_usage`), cost (`codex.turn.cost_microusd`), API requests, tool calls,
//!   sessions (`codex.thread.started`), turns and turn latencies; every other documented name is
//!   kept under its own name; an undocumented one also gets an `unknown_metric_name` finding.
//! - Spans (tracer named after the originator, `codex_exec`; hundreds per run):
//!   `session_task.turn` → `turn` (its turn token totals stay vendor attributes, never
//!   `gen_ai.usage.*`, since its model calls carry them); `run_turn` → `turn` only when no
//!   `session_task.turn` describes the same turn id; `handle_responses` with
//!   `gen_ai.usage.*` → `llm_call` and a tool dispatch span (`tool_name` + `call_id`, named
//!   after the tool) → `tool_call`, each only when no log event describes the same call
//!   (same trace for model calls, same `call_id` for tools): then *ignored* with that reason.
//!   Every other span is an internal `tracing` span and is *ignored* with one reason, not a
//!   finding each.
//!
//! ## Rules
//! - Session: `conversation.id`; spans without it use the string-valued `thread.id` (the same
//!   UUID), then the conversation of another item of the same trace.
//! - Tokens: OpenAI usage semantics. `input_token_count` already *includes* the cached tokens,
//!   so it is `gen_ai.usage.input_tokens` as is; `cached_token_count` is the cache-read subset,
//!   `cache_write_token_count` the cache-creation subset, `reasoning_token_count` goes to
//!   `coding_agent.usage.reasoning_tokens` (a subset of `output_token_count`). One model call is
//!   one `llm_call`: the request event, its completion event and its `handle_responses` span
//!   never each count.
//! - Token metric points keep Codex's `token_type` normalized: `input` (cached included, as
//!   Codex counts it), `cached_input` → `cache_read`, `cache_write_input` → `cache_creation`,
//!   `output`, `reasoning_output` → `reasoning`, and `total` (= input + output) kept as
//!   `total`, so summing every type of a stream counts tokens twice.
//! - Cost only where Codex reports money: `codex.turn.cost_microusd` is already micro-USD;
//!   `codex.turn_cost` carries USD (`usage.estimated_usd`). Nothing else has a cost.
//! - `attempt` is 0-based on the wire; `coding_agent.attempt` is 1 for the first try.
//! - Decisions: `approved*` → `accept`, `denied`/`abort`/`timed_out` → `reject` (the raw value
//!   stays a vendor attribute); the decision source is lowercased (`Config` → `config`).
//! - Content: prompt, response, tool `arguments` and `output`, the shell command and
//!   `apply_patch` file paths parsed out of the arguments, error messages → content keys.
//!   `"[REDACTED]"` (the prompt with `log_user_prompt` off) means absent. Unknown attributes
//!   stay vendor attributes (default-deny); numbers Codex sends as strings (`*_count`, `*_ms`,
//!   `*_length`, …) are kept as integers so they survive `metadata_only`.
//!
//! ## Vendor quirks
//! - `LogRecord.eventName` is a source location (`event otel/src/events/session_telemetry.rs:803`),
//!   not the event name; log `timeUnixNano` is `0` (the observed time is used) and the body is
//!   null (every capture under `corpus/codex/`; see `text_answer`).
//! - Numbers are typed at random: `duration_ms`, `prompt_length`, `input_token_count`,
//!   `output_token_count`, `tool_token_count` are strings, `attempt`, `cached_token_count`,
//!   `reasoning_token_count` are ints, `success` is the string `"true"` (`shell_tool_call`).
//! - `tool_token_count` on `response.completed` is the call's *total* tokens (input + output),
//!   not tool tokens (`text_answer`: 1218 = 1200 + 18); kept as a vendor attribute.
//! - Two `codex.sse_event` records of kind `response.completed` per call: one with only a
//!   duration, one with the token counts (`text_answer`).
//! - Codex ALWAYS exports `codex.tool_result` `arguments` and `output`, content switches or not
//!   (`shell_tool_call`: the command and file path canaries are in the capture).
//! - `success` is `"true"` when a command ran, whatever it returned; the exit status is only in
//!   the status lines `exec_command` puts before `Output:` (`Process exited with code 3`,
//!   `file_tools`), read into `coding_agent.shell.exit_code` (never from the output itself).
//! - The assistant text is exported only for messages with `phase = final_answer`
//!   (`content_flags_on`: the commentary message before the tool call has no event).
//! - One span carries `thread.id` twice, as an int (OS thread) and as a string (the
//!   conversation UUID): `codex.exec`, `exec_command`, `session_task.turn` (`shell_tool_call`).
//! - `session_task.turn` ends last and leaves in a later batch than the rest of the turn; in a
//!   run that exits on an error it reaches the collector only if an export tick comes first
//!   (`api_error`: the failed turn, zero token totals, span status unset). `run_turn` stands in
//!   as the turn when `session_task.turn` is missing (seen in a trial recording whose last batch
//!   was lost, not in the corpus).
//! - A 429 is never retried and `codex exec` then exits 1 without flushing the exporters; only
//!   short batch intervals get the error out (`api_error`, whose 500 attempt is retried).
//! - Trace-safe twins of the log events arrive as span events named by source location with
//!   `target = codex_otel.trace_safe`; they are part of their (ignored) span.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::adapter::{
    apply_rules, as_i64, as_string, metric_record, passthrough, plain_number, resource_key, rule, usd_to_micros,
    Adapter, AttrRule, Conv, Item, ItemData, ItemId, Normalized, RecordBuilder, Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, KeyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The Codex CLI adapter.
pub struct Codex;

const VENDOR: &str = "codex";

static SIGNATURE: Signature = Signature {
    // `codex_otel.log_only`, `codex_otel::metrics::client`, the meter `codex`, and tracers named
    // after the originator (`codex_exec`, `codex_cli_rs`, `codex_tui`, `codex-app-server`).
    scope_prefixes: &["codex_otel", "codex"],
    service_names: &["codex_exec", "codex_cli_rs", "codex_tui", "codex-app-server", "codex-cli"],
    name_prefixes: &["codex."],
};

/// Attributes of log events and spans with a canonical key.
const RULES: &[AttrRule] = &[
    rule("app.version", attr::VENDOR_VERSION, Conv::Str),
    rule("terminal.type", attr::TERMINAL_TYPE, Conv::Str),
    rule("originator", attr::ENTRYPOINT, Conv::Str),
    rule("model", attr::REQUEST_MODEL, Conv::Model),
    rule("slug", attr::REQUEST_MODEL, Conv::Model),
    rule("user.account_id", attr::USER_ACCOUNT_ID, Conv::Str),
    rule("user.email", attr::USER_EMAIL, Conv::Str),
    rule("user.id", attr::USER_ID, Conv::Str),
    rule("user_id", attr::USER_ID, Conv::Str),
    rule("reasoning_effort", attr::EFFORT, Conv::Str),
    rule("codex.turn.reasoning_effort", attr::EFFORT, Conv::Str),
    rule("codex.request.reasoning_effort", attr::EFFORT, Conv::Str),
    rule("duration_ms", attr::DURATION_MS, Conv::Int),
    rule("ttft_ms", attr::TTFT_MS, Conv::Int),
    rule("http.response.status_code", attr::HTTP_STATUS_CODE, Conv::Int),
    rule("auth.request_id", attr::REQUEST_ID, Conv::Str),
    rule("error.message", attr::ERROR_MESSAGE, Conv::Str),
    rule("tool_name", attr::TOOL_NAME, Conv::Str),
    rule("call_id", attr::TOOL_CALL_ID, Conv::Str),
    rule("tool_source", attr::TOOL_SOURCE, Conv::Str),
    rule("tool_origin", attr::TOOL_SOURCE, Conv::Str),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("arguments", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("output", attr::TOOL_RESULT, Conv::Str),
    rule("arguments_length", attr::TOOL_INPUT_SIZE, Conv::Int),
    rule("output_length", attr::TOOL_RESULT_SIZE, Conv::Int),
    rule("prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("response", attr::RESPONSE_TEXT, Conv::Str),
    rule("response_length", attr::RESPONSE_LENGTH, Conv::Int),
    rule("turn.id", attr::PROMPT_ID, Conv::Str),
    rule("turn_id", attr::PROMPT_ID, Conv::Str),
];

/// Keys read by hand (session, names, attempt, decisions, tokens), dropped as redundant
/// (`event.timestamp` repeats the record time) or as `tracing` internals of every span (source
/// file and line, thread name, target module: the same on every span of a callsite).
const CONSUMED: &[&str] = &[
    "conversation.id",
    "thread.id",
    "event.name",
    "event.timestamp",
    "attempt",
    "input_token_count",
    "output_token_count",
    "cached_token_count",
    "cache_write_token_count",
    "reasoning_token_count",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "codex.usage.reasoning_output_tokens",
    "code.file.path",
    "code.module.name",
    "code.line.number",
    "code.filepath",
    "code.lineno",
    "code.namespace",
    "thread.name",
    "target",
    "level",
];

/// Suffixes of vendor keys whose string values are counts or durations, kept as integers.
const NUMERIC_SUFFIXES: &[&str] =
    &["_count", "_ms", "_ns", "_length", "_tokens", "_bytes", "_seq", "_window", "_limit"];

/// The placeholder Codex sends instead of the prompt when `log_user_prompt` is off.
const REDACTED_PLACEHOLDERS: &[&str] = &["[REDACTED]", "<REDACTED>"];

/// Documented log events with no canonical home: passthrough, no finding.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "conversation_starts",
    "startup_phase",
    "turn_ttft",
    "turn_cost",
    "sandbox_outcome",
    "auth_recovery",
    "websocket_connect",
    "plugin_install_suggestion",
    "plugin_install_elicitation_sent",
    "skill_invocation",
    "guardian_assessment",
];

/// Why the many spans with no canonical meaning are ignored (one reason, so the accounting
/// stays readable).
const INTERNAL_SPAN: &str = "internal tracing span (no canonical meaning)";

impl Adapter for Codex {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let context = Context::collect(items);
        let mut reported: HashSet<String> = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            match item.data {
                ItemData::Log(record) => map_event(index, items, record, &context, &mut out, &mut reported),
                ItemData::Point { metric, .. } => map_metric(item, &metric.name, &mut out, &mut reported),
                ItemData::Span(span) => map_span(item, span, &context, &mut out),
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// What the mapping of one item needs to know about the others.

/// Cross-item facts, gathered before mapping.
#[derive(Default)]
struct Context<'a> {
    /// Request event index → the index of the `response.completed` event carrying its tokens.
    completion_of: HashMap<usize, usize>,
    /// Completion events merged into a request's `llm_call`.
    merged_completions: HashSet<usize>,
    /// Trace ids of the model-request events: their `handle_responses` spans are twins.
    /// (Raw bytes, borrowed from the items: most spans are looked up and ignored, and
    /// spelling every id out in hex showed in profiles.)
    request_traces: HashSet<&'a [u8]>,
    /// Conversations with model-request events, for spans whose trace no event shares.
    request_conversations: HashSet<String>,
    /// `call_id`s that a `codex.tool_result` event describes.
    tool_results: HashSet<String>,
    /// Turn ids that a `session_task.turn` span describes.
    task_turns: HashSet<String>,
    /// Trace id → conversation id, from any item that has both.
    conversation_of_trace: HashMap<&'a [u8], String>,
    /// Conversation id → the provider name its `codex.conversation_starts` event announced.
    provider_of: HashMap<String, String>,
}

impl<'a> Context<'a> {
    fn collect(items: &'a [Item<'a>]) -> Context<'a> {
        let mut context = Context::default();
        // Model-request and completion events per conversation, in time order.
        let mut streams: BTreeMap<String, Vec<(u64, ItemId, usize, bool)>> = BTreeMap::new();
        for (index, item) in items.iter().enumerate() {
            let conversation = conversation_id(item);
            let trace: &[u8] = match item.data {
                ItemData::Log(record) => &record.trace_id,
                ItemData::Span(span) => &span.trace_id,
                ItemData::Point { .. } => &[],
            };
            if let (Some(conversation), false) = (&conversation, trace.is_empty()) {
                let _ = context.conversation_of_trace.entry(trace).or_insert_with(|| conversation.clone());
            }
            match item.data {
                ItemData::Log(record) => {
                    let Some(name) = event_name(record) else { continue };
                    let key = conversation.clone().unwrap_or_default();
                    let time = item.time_unix_nano().unwrap_or(0);
                    match name.as_str() {
                        "api_request" | "websocket_request" => {
                            if !trace.is_empty() {
                                let _ = context.request_traces.insert(trace);
                            }
                            if let Some(conversation) = &conversation {
                                let _ = context.request_conversations.insert(conversation.clone());
                            }
                            if request_succeeded(item) {
                                streams.entry(key).or_default().push((time, item.id, index, true));
                            }
                        }
                        "sse_event" | "websocket_event" if carries_tokens(item) => {
                            streams.entry(key).or_default().push((time, item.id, index, false));
                        }
                        "tool_result" => {
                            if let Some(call_id) = text(item, "call_id") {
                                let _ = context.tool_results.insert(call_id);
                            }
                        }
                        "conversation_starts" => {
                            if let (Some(conversation), Some(provider)) = (conversation, text(item, "provider_name")) {
                                let _ = context.provider_of.insert(conversation, provider);
                            }
                        }
                        _ => {}
                    }
                }
                ItemData::Span(span) if span.name == "session_task.turn" => {
                    if let Some(turn) = text(item, "turn.id").or_else(|| text(item, "turn_id")) {
                        let _ = context.task_turns.insert(turn);
                    }
                }
                _ => {}
            }
        }
        // A completion belongs to the latest request before it that has none yet: requests of
        // one conversation are sequential, and a request whose stream broke has no completion.
        for events in streams.values_mut() {
            events.sort_by_key(|(time, id, _, _)| (*time, *id));
            let mut pending: Vec<usize> = Vec::new();
            for (_, _, index, is_request) in events.iter() {
                if *is_request {
                    pending.push(*index);
                } else if let Some(request) = pending.pop() {
                    let _ = context.completion_of.insert(request, *index);
                    let _ = context.merged_completions.insert(*index);
                }
            }
        }
        context
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by every signal.

/// A non-empty string attribute (numbers spelled out).
fn text(item: &Item<'_>, key: &str) -> Option<String> {
    item.attr(key).and_then(as_string).filter(|it| !it.is_empty())
}

/// The conversation (session) id: `conversation.id`, else the string-valued `thread.id` (spans
/// send an int `thread.id` too, the OS thread), else `thread_id`.
fn conversation_id(item: &Item<'_>) -> Option<String> {
    if let Some(id) = text(item, "conversation.id") {
        return Some(id);
    }
    let thread = item
        .attributes()
        .iter()
        .filter(|kv| kv.key == "thread.id")
        .find_map(|kv| kv.value.as_str().filter(|it| !it.is_empty()).map(str::to_owned));
    thread.or_else(|| text(item, "thread_id"))
}

/// The unprefixed event name from the `event.name` attribute (never `LogRecord.eventName`).
fn event_name(record: &LogRecord) -> Option<String> {
    match crate::otlp::find_attr(&record.attributes, "event.name") {
        Some(AnyValue::String(name)) if !name.trim().is_empty() => {
            let name = name.trim();
            Some(name.strip_prefix("codex.").unwrap_or(name).to_owned())
        }
        _ => None,
    }
}

/// A model request that reports no error and no non-2xx status: an `llm_call`, not an
/// `api_error`. (A request event with neither status nor error says nothing failed.)
fn request_succeeded(item: &Item<'_>) -> bool {
    let status = item.attr("http.response.status_code").and_then(as_i64);
    let error = text(item, "error.message");
    error.is_none() && status.is_none_or(|it| (200..300).contains(&it))
}

/// The stream event that carries the call's token usage.
fn carries_tokens(item: &Item<'_>) -> bool {
    ["input_token_count", "output_token_count"].iter().any(|key| item.attr(key).and_then(as_i64).is_some())
}

/// Sets session, resource facts and the attribute table; vendor keys holding numbers as text
/// are kept as integers.
fn common(
    builder: &mut RecordBuilder,
    item: &Item<'_>,
    session: Option<String>,
    read_by_hand: &[&str],
    out: &mut Normalized,
) {
    let _ = builder.session(session);
    for (key, canonical) in [
        ("service.name", attr::SERVICE_NAME),
        ("host.name", attr::HOST_NAME),
        ("host.arch", attr::HOST_ARCH),
        ("os.type", attr::OS_TYPE),
        ("os", attr::OS_TYPE),
        ("os.version", attr::OS_VERSION),
        ("os_version", attr::OS_VERSION),
    ] {
        if !builder.has(canonical) {
            let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
        }
    }
    let consumed: Vec<&str> = CONSUMED.iter().chain(read_by_hand).copied().collect();
    let (numeric, rest): (Vec<&KeyValue>, Vec<&KeyValue>) = item.attributes().iter().partition(|kv| {
        !consumed.contains(&kv.key.as_str())
            && !RULES.iter().any(|it| it.vendor_key == kv.key)
            && NUMERIC_SUFFIXES.iter().any(|suffix| kv.key.ends_with(suffix))
            && matches!(&kv.value, AnyValue::String(text) if text.trim().parse::<i64>().is_ok())
    });
    let rest: Vec<KeyValue> = rest.into_iter().cloned().collect();
    apply_rules(builder, item, &rest, RULES, &consumed, &mut out.findings, VENDOR);
    for kv in numeric {
        if let Some(number) = as_i64(&kv.value) {
            let _ = builder.vendor_attr(&kv.key, &AnyValue::Int(number));
        }
    }
    // The OS thread number of a span (the string `thread.id` is the session, read above).
    if let Some(thread) =
        item.attributes().iter().find(|kv| kv.key == "thread.id" && matches!(kv.value, AnyValue::Int(_)))
    {
        let _ = builder.vendor_attr("thread.id", &thread.value);
    }
    if !builder.has(attr::VENDOR_VERSION) {
        let _ = builder
            .set_opt(attr::VENDOR_VERSION, item.resource_attr("service.version").and_then(as_string).map(Value::Str));
    }
    resource_vendor_attrs(builder, item);
    for key in [attr::PROMPT_TEXT, attr::RESPONSE_TEXT] {
        if let Some(Value::Str(value)) = builder.get(key) {
            if REDACTED_PLACEHOLDERS.contains(&value.trim()) {
                builder.remove(key);
            }
        }
    }
}

/// Resource attributes without a canonical key, as `resource.<key>` vendor attributes. The
/// `telemetry.sdk.*` triple names the exporter library, the same on every record, and is left out.
fn resource_vendor_attrs(builder: &mut RecordBuilder, item: &Item<'_>) {
    for kv in &item.resource.attributes {
        let mapped = matches!(
            kv.key.as_str(),
            "service.name"
                | "service.version"
                | "host.name"
                | "host.arch"
                | "os.type"
                | "os"
                | "os.version"
                | "os_version"
        ) || kv.key.starts_with("telemetry.sdk.");
        if !mapped {
            let _ = builder.vendor_attr_owned(resource_key(&kv.key), &kv.value);
        }
    }
}

/// Token counts of a model call, from a completion event or a `handle_responses` span.
fn tokens(builder: &mut RecordBuilder, source: &Item<'_>) {
    let read = |keys: &[&str]| keys.iter().find_map(|key| source.attr(key).and_then(as_i64)).map(Value::Int);
    for (canonical, keys) in [
        (attr::INPUT_TOKENS, &["input_token_count", "gen_ai.usage.input_tokens"][..]),
        (attr::OUTPUT_TOKENS, &["output_token_count", "gen_ai.usage.output_tokens"][..]),
        (attr::CACHE_READ_INPUT_TOKENS, &["cached_token_count", "gen_ai.usage.cache_read.input_tokens"][..]),
        (attr::CACHE_CREATION_INPUT_TOKENS, &["cache_write_token_count", "gen_ai.usage.cache_write.input_tokens"][..]),
        (attr::REASONING_OUTPUT_TOKENS, &["reasoning_token_count", "codex.usage.reasoning_output_tokens"][..]),
    ] {
        let _ = builder.set_opt(canonical, read(keys));
    }
    if !builder.has(attr::TTFT_MS) {
        let _ = builder.set_opt(attr::TTFT_MS, source.attr("ttft_ms").and_then(as_i64).map(Value::Int));
    }
    // Named for tool tokens but holding the call's total (input + output).
    if let Some(total) = source.attr("tool_token_count").and_then(as_i64) {
        let _ = builder.vendor_attr("tool_token_count", &AnyValue::Int(total));
    }
}

/// What a tool does, from its name.
fn tool_category(name: &str, mcp_server: bool) -> &'static str {
    if mcp_server {
        return "mcp";
    }
    match name {
        "exec_command" | "shell" | "shell_command" | "local_shell" | "unified_exec" | "write_stdin"
        | "container.exec" => "shell",
        "apply_patch" | "write_file" | "edit_file" => "edit",
        "read_file" | "view_image" | "list_dir" => "read",
        "grep_files" | "file_search" | "tool_search" => "search",
        "web_search" | "web_fetch" => "web",
        "spawn_agent" | "send_input" | "wait_agent" | "close_agent" | "multi_agent_v1" => "agent",
        other if other.starts_with("mcp__") => "mcp",
        _ => "other",
    }
}

/// Tool records: category, and the command or patched file path out of the arguments (content
/// keys, so privacy decides), plus their sizes when Codex did not send them.
fn tool_details(builder: &mut RecordBuilder, item: &Item<'_>) {
    let mcp = text(item, "mcp_server").is_some();
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name, mcp);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    for (content, size) in [(attr::TOOL_ARGUMENTS, attr::TOOL_INPUT_SIZE), (attr::TOOL_RESULT, attr::TOOL_RESULT_SIZE)]
    {
        if let Some(Value::Str(value)) = builder.get(content) {
            let length = value.len() as i64;
            if !builder.has(size) {
                let _ = builder.set(size, Value::Int(length));
            }
        }
    }
    if let Some(Value::Str(result)) = builder.get(attr::TOOL_RESULT) {
        if let Some(code) = exit_code_from_status_lines(result) {
            let _ = builder.set(attr::SHELL_EXIT_CODE, Value::Int(code));
        }
    }
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS]);
    let Some(Value::Str(arguments)) = builder.get(attr::TOOL_ARGUMENTS).cloned() else { return };
    let parsed = serde_json::from_str::<serde_json::Value>(&arguments).ok();
    let object = parsed.as_ref().and_then(|it| it.as_object());
    // `apply_patch` arguments are the patch itself (raw or as `input`): its file headers name
    // the paths it touches.
    let patch = object.and_then(|map| map.get("input")).and_then(|it| it.as_str()).unwrap_or(&arguments);
    let path = patch.lines().find_map(|line| {
        ["*** Add File: ", "*** Update File: ", "*** Delete File: "]
            .iter()
            .find_map(|prefix| line.strip_prefix(prefix))
            .map(|path| path.trim().to_owned())
            .filter(|path| !path.is_empty())
    });
    if let Some(path) = path {
        let _ = builder.set(attr::FILE_PATH, Value::Str(path));
    }
}

/// The exit status in the status lines `exec_command` puts before the command's output
/// (`Process exited with code 3`, then `Output:`). Only those lines are read: the command's own
/// output, after `Output:`, could say anything. `None` while the process still runs.
fn exit_code_from_status_lines(result: &str) -> Option<i64> {
    let (status_lines, _output) = result.split_once("\nOutput:")?;
    status_lines.lines().find_map(|line| line.strip_prefix("Process exited with code ")?.trim().parse().ok())
}

/// Codex's decision values → `accept` / `reject`.
fn decision(raw: &str) -> Option<&'static str> {
    let lower = raw.trim().to_ascii_lowercase();
    if lower.starts_with("approved") || lower == "accept" || lower == "allow" {
        Some("accept")
    } else if ["denied", "deny", "abort", "aborted", "timed_out", "reject", "rejected"].contains(&lower.as_str()) {
        Some("reject")
    } else {
        None
    }
}

fn span_duration(builder: &mut RecordBuilder, span: &Span) {
    if span.start_time_unix_nano != 0 && span.end_time_unix_nano >= span.start_time_unix_nano {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(millis as i64));
    }
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
}

fn report_once(
    out: &mut Normalized,
    reported: &mut HashSet<String>,
    item: &Item<'_>,
    id: &'static str,
    name: &str,
    message: String,
) {
    if reported.insert(format!("{id}:{name}")) {
        out.findings.push(Finding::new(id, Level::Improvement, message).for_vendor(VENDOR).at(item.location(
            match id {
                "unknown_metric_name" => "name",
                _ => "event.name",
            },
        )));
    }
}

// ---------------------------------------------------------------------------------------------
// Logs.

fn map_event(
    index: usize,
    items: &[Item<'_>],
    record: &LogRecord,
    context: &Context<'_>,
    out: &mut Normalized,
    reported: &mut HashSet<String>,
) {
    let item = &items[index];
    let Some(name) = event_name(record) else {
        // The exporter's own DEBUG line (`flushing OTEL metrics`) has no event name.
        if (1..9).contains(&record.severity_number) {
            out.ignored.push((item.id, "diagnostic log below INFO without an event name".into()));
            return;
        }
        report_once(
            out,
            reported,
            item,
            "missing_event_name",
            "",
            "a Codex log record has no `event.name` attribute; kept as passthrough".to_owned(),
        );
        let mut builder = passthrough(VENDOR, item, "codex.log");
        let _ = builder.session(conversation_id(item));
        out.records.push(builder.finish());
        return;
    };
    let session = conversation_id(item);
    let full_name = format!("codex.{name}");
    let kind = match name.as_str() {
        "user_prompt" => RecordKind::UserPrompt,
        "agent_response" => RecordKind::AssistantResponse,
        "tool_decision" => RecordKind::ToolDecision,
        "tool_result" => RecordKind::ToolCall,
        "api_request" | "websocket_request" => {
            if request_succeeded(item) {
                RecordKind::LlmCall
            } else {
                RecordKind::ApiError
            }
        }
        "sse_event" | "websocket_event" => {
            if text(item, "error.message").is_some() {
                RecordKind::ApiError
            } else if carries_tokens(item) {
                if context.merged_completions.contains(&index) {
                    out.ignored.push((
                        item.id,
                        "response.completed stream event: its token counts are merged into the llm_call of the request it completes"
                            .into(),
                    ));
                    return;
                }
                RecordKind::LlmCall
            } else {
                out.ignored.push((
                    item.id,
                    "stream event other than the token-carrying response.completed: per-event timing only (the codex.sse_event metric counts them)"
                        .into(),
                ));
                return;
            }
        }
        _ => RecordKind::Passthrough,
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &full_name);
    let read_by_hand: &[&str] = if name == "tool_decision" { &["decision", "source"] } else { &[] };
    common(&mut builder, item, session.clone(), read_by_hand, out);
    match name.as_str() {
        "api_request" | "websocket_request" | "sse_event" | "websocket_event" => {
            if let Some(attempt) = item.attr("attempt").and_then(as_i64) {
                let _ = builder.set(attr::ATTEMPT, Value::Int(attempt.saturating_add(1)));
            }
            if let Some(provider) = session.as_ref().and_then(|it| context.provider_of.get(it)) {
                let _ = builder.set(attr::PROVIDER_NAME, Value::Str(provider.trim().to_ascii_lowercase()));
            }
            if kind == RecordKind::LlmCall {
                // The request's own attributes hold no tokens; its completion event does (a
                // completion without a request is the llm_call itself).
                let source = context.completion_of.get(&index).and_then(|it| items.get(*it)).unwrap_or(item);
                tokens(&mut builder, source);
            } else {
                let error_type = match (builder.get(attr::HTTP_STATUS_CODE), name.as_str()) {
                    (Some(Value::Int(status)), _) => status.to_string(),
                    (_, "sse_event" | "websocket_event") => "stream_error".to_owned(),
                    _ => "transport_error".to_owned(),
                };
                let _ = builder.set(attr::ERROR_TYPE, Value::Str(error_type));
            }
            if let Some(kind) = item.attr("event.kind") {
                let _ = builder.vendor_attr("event.kind", kind);
            }
        }
        "tool_result" => tool_details(&mut builder, item),
        "tool_decision" => {
            tool_details(&mut builder, item);
            decision_fields(&mut builder, item);
        }
        "turn_ttft" => {
            // The turn's time to first token, sent as a duration.
            if let Some(Value::Int(ttft)) = builder.get(attr::DURATION_MS).cloned() {
                builder.remove(attr::DURATION_MS);
                let _ = builder.set(attr::TTFT_MS, Value::Int(ttft));
            }
        }
        "turn_cost" => {
            let _ = builder.set_opt(
                attr::COST_USD_MICROS,
                item.attr("usage.estimated_usd").and_then(usd_to_micros).map(Value::Int),
            );
        }
        "user_prompt" | "agent_response" => {}
        other => {
            if !KNOWN_PASSTHROUGH_EVENTS.contains(&other) {
                report_once(
                    out,
                    reported,
                    item,
                    "unknown_event_name",
                    &full_name,
                    format!("event `{full_name}` is not in the adapter's list; kept as passthrough"),
                );
            }
        }
    }
    out.records.push(builder.finish());
}

fn decision_fields(builder: &mut RecordBuilder, item: &Item<'_>) {
    if let Some(raw) = text(item, "decision") {
        if let Some(normalized) = decision(&raw) {
            let _ = builder.set(attr::DECISION, Value::Str(normalized.to_owned()));
        }
        let _ = builder.vendor_attr("decision", &AnyValue::String(raw.into()));
    }
    if let Some(source) = text(item, "source") {
        let _ = builder.set(attr::DECISION_SOURCE, Value::Str(source.to_ascii_lowercase()));
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics.

/// Canonical name and unit of the metrics with a cross-vendor meaning.
fn metric_target(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "codex.turn.token_usage" => ("coding_agent.token.usage", "{token}"),
        "codex.turn.cost_microusd" => ("coding_agent.cost.usage", "micro-USD"),
        "codex.api_request" | "codex.websocket.request" => ("coding_agent.api.request.count", "1"),
        "codex.api_request.duration_ms" | "codex.websocket.request.duration_ms" => {
            ("coding_agent.api.request.duration", "ms")
        }
        "codex.tool.call" => ("coding_agent.tool.call.count", "1"),
        "codex.tool.call.duration_ms" => ("coding_agent.tool.call.duration", "ms"),
        "codex.thread.started" => ("coding_agent.session.count", "1"),
        "codex.conversation.turn.count" => ("coding_agent.turn.count", "1"),
        "codex.turn.e2e_duration_ms" => ("coding_agent.turn.duration", "ms"),
        "codex.turn.ttft.duration_ms" => ("coding_agent.turn.ttft.duration", "ms"),
        "codex.turn.ttfm.duration_ms" => ("coding_agent.turn.ttfm.duration", "ms"),
        _ => return None,
    })
}

/// Documented metrics without a canonical name: kept under their own names, no finding.
const KNOWN_METRICS: &[&str] = &[
    "codex.sse_event",
    "codex.sse_event.duration_ms",
    "codex.websocket.event",
    "codex.websocket.event.duration_ms",
    "codex.websocket.connect",
    "codex.websocket.connect.duration_ms",
    "codex.responses_api_overhead.duration_ms",
    "codex.responses_api_inference_time.duration_ms",
    "codex.responses_api_engine_iapi_ttft.duration_ms",
    "codex.responses_api_engine_service_ttft.duration_ms",
    "codex.responses_api_engine_iapi_tbt.duration_ms",
    "codex.responses_api_engine_service_tbt.duration_ms",
    "codex.turn.tool.call",
    "codex.turn.memory",
    "codex.turn.network_proxy",
    "codex.turn.unified_exec.running_processes",
    "codex.tool.unified_exec",
    "codex.tools.registered",
    "codex.profile.usage",
    "codex.process.start",
    "codex.startup.phase.duration_ms",
    "codex.startup_prewarm.duration_ms",
    "codex.startup_prewarm.age_at_first_turn_ms",
    "codex.feature.state",
    "codex.auth.selection",
    "codex.auth.selection.duration",
    "codex.auth_storage.operation",
    "codex.auth_storage.duration",
    "codex.auth_storage.refresh_persist",
    "codex.auth_storage.refresh_persist.duration",
    "codex.cloud_config_bundle.load",
    "codex.cloud_config_bundle.fetch.duration_ms",
    "codex.cloud_config_bundle.fetch_attempt",
    "codex.cloud_config_bundle.fetch_final",
    "codex.db.backfill",
    "codex.db.backfill.duration_ms",
    "codex.db.error",
    "codex.sqlite.init.count",
    "codex.sqlite.init.duration_ms",
    "codex.shell_snapshot",
    "codex.shell_snapshot.command",
    "codex.shell_snapshot.duration_ms",
    "codex.shell_snapshot.wait_ms",
    "codex.skills.catalog.entries",
    "codex.skills.shadow_selection",
    "codex.skills.shadow_selection.catalog_entries",
    "codex.skills.shadow_selection.duration_ms",
    "codex.skills.shadow_selection.query_terms",
    "codex.skills.shadow_selection.reduction_bps",
    "codex.skills.shadow_selection.selected_entries",
    "codex.thread.skills.description_truncated_chars",
    "codex.thread.skills.enabled_total",
    "codex.thread.skills.kept_total",
    "codex.thread.skills.truncated",
    "codex.thread_history.sqlite_projection",
    "codex.rollout.size_bytes",
    "codex.rollout_compression.materialize",
    "codex.rollout_compression.read",
    "codex.rollout_compression.read.io_duration_ms",
    "codex.mcp.binding_catalog.raw_definition_json_bytes",
    "codex.mcp.call",
    "codex.mcp.call.duration_ms",
    "codex.hooks.run",
    "codex.hooks.run.duration_ms",
    "codex.guardian.turn.blocking_ms",
    "codex.guardian.review",
    "codex.guardian.review.duration_ms",
    "codex.multi_agent.spawn",
    "codex.multi_agent.spawn.failure",
    "codex.multi_agent.spawn.phase.duration_ms",
    "codex.multi_agent.wait.duration_ms",
    "codex.plugins.install_elicitation.sent",
    "codex.goal.token_count",
    // Goal lifecycle (create_goal in `more_tools`; the rest named next to it in the binary).
    "codex.goal.created",
    "codex.goal.resumed",
    "codex.goal.blocked",
    "codex.goal.usage_limited",
    "codex.goal.budget_limited",
    "codex.goal.completed",
    "codex.goal.duration_s",
    // Extra context items sent with a turn (`more_tools`: kind, stage, truncated).
    "codex.additional_context",
    "codex.additional_context.value_bytes",
    "codex.memories.usage",
];

fn map_metric(item: &Item<'_>, name: &str, out: &mut Normalized, reported: &mut HashSet<String>) {
    let own_unit = match item.data {
        ItemData::Point { metric, .. } => metric.unit.clone(),
        _ => Default::default(),
    };
    let (canonical, unit): (&str, &str) = match metric_target(name) {
        Some(it) => it,
        None => {
            if !KNOWN_METRICS.contains(&name) {
                report_once(
                    out,
                    reported,
                    item,
                    "unknown_metric_name",
                    name,
                    format!("metric `{name}` is not in the adapter's list; kept under its own name"),
                );
            }
            (name, own_unit.as_str())
        }
    };
    let mut builder = metric_record(VENDOR, RecordKind::MetricPoint, item, canonical, unit, plain_number);
    // `status` is an HTTP status only on request metrics; elsewhere it is a free category.
    let is_request_metric = canonical.starts_with("coding_agent.api.request");
    for kv in item.attributes() {
        let value = &kv.value;
        match kv.key.as_str() {
            "app.version" => {
                let _ = builder.set_opt(attr::VENDOR_VERSION, as_string(value).map(Value::Str));
            }
            "model" => {
                let _ = builder.set_opt(attr::REQUEST_MODEL, as_string(value).map(Value::Str));
            }
            "originator" => {
                let _ = builder.set_opt(attr::ENTRYPOINT, as_string(value).map(Value::Str));
            }
            "success" => match crate::adapter::as_bool(value) {
                Some(success) => {
                    let _ = builder.set(attr::SUCCESS, Value::Bool(success));
                }
                None => {
                    let _ = builder.vendor_attr(&kv.key, value);
                }
            },
            "tool" | "tool_name" => {
                let _ = builder.set_opt(attr::TOOL_NAME, as_string(value).map(Value::Str));
            }
            "status" if is_request_metric && as_i64(value).is_some() => {
                let _ = builder.set_opt(attr::HTTP_STATUS_CODE, as_i64(value).map(Value::Int));
            }
            "token_type" if name == "codex.turn.token_usage" => {
                let normalized = match as_string(value).unwrap_or_default().as_str() {
                    "cached_input" => "cache_read".to_owned(),
                    "cache_write_input" => "cache_creation".to_owned(),
                    "reasoning_output" => "reasoning".to_owned(),
                    other => other.to_owned(),
                };
                let _ = builder.set(attr::TOKEN_TYPE, Value::Str(normalized));
            }
            _ => {
                let _ = builder.vendor_attr(&kv.key, value);
            }
        }
    }
    for (key, canonical) in
        [("service.name", attr::SERVICE_NAME), ("host.name", attr::HOST_NAME), ("host.arch", attr::HOST_ARCH)]
    {
        let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
    }
    for (key, canonical) in [
        ("os.type", attr::OS_TYPE),
        ("os", attr::OS_TYPE),
        ("os.version", attr::OS_VERSION),
        ("os_version", attr::OS_VERSION),
    ] {
        if !builder.has(canonical) {
            let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
        }
    }
    if !builder.has(attr::VENDOR_VERSION) {
        let _ = builder
            .set_opt(attr::VENDOR_VERSION, item.resource_attr("service.version").and_then(as_string).map(Value::Str));
    }
    resource_vendor_attrs(&mut builder, item);
    if let ItemData::Point { point: crate::adapter::Point::Histogram(histogram), .. } = item.data {
        let _ = builder.set(attr::METRIC_COUNT, Value::Int(histogram.count as i64));
    }
    out.records.push(builder.finish());
}

// ---------------------------------------------------------------------------------------------
// Spans.

fn map_span(item: &Item<'_>, span: &Span, context: &Context<'_>, out: &mut Normalized) {
    // Most spans are internal and ignored: these tests are lazy, so such a span costs a few
    // attribute scans and nothing allocated.
    let has_tokens = || {
        ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"]
            .iter()
            .any(|key| item.attr(key).and_then(as_i64).is_some())
    };
    let is_tool_dispatch = || {
        text(item, "call_id").is_some()
            && text(item, "tool_name").is_some()
            && (text(item, "codex.tool.phase").as_deref() == Some("dispatch")
                || text(item, "tool_name").as_deref() == Some(span.name.as_str()))
    };
    let trace: &[u8] = &span.trace_id;
    let kind = match span.name.as_str() {
        "session_task.turn" => RecordKind::Turn,
        "run_turn" => {
            let turn = text(item, "turn.id").or_else(|| text(item, "turn_id"));
            if turn.is_some_and(|it| context.task_turns.contains(&it)) {
                out.ignored
                    .push((item.id, "run_turn span: the session_task.turn span describes the same turn".into()));
                return;
            }
            RecordKind::Turn
        }
        "handle_responses" if has_tokens() => {
            let conversation = conversation_id(item).or_else(|| context.conversation_of_trace.get(trace).cloned());
            let twin = context.request_traces.contains(trace)
                || conversation.is_some_and(|it| context.request_conversations.contains(&it));
            if twin {
                out.ignored.push((
                    item.id,
                    "handle_responses span with token usage: the codex.api_request event and its response.completed event describe the same model call"
                        .into(),
                ));
                return;
            }
            RecordKind::LlmCall
        }
        _ if is_tool_dispatch() => {
            if text(item, "call_id").is_some_and(|it| context.tool_results.contains(&it)) {
                out.ignored.push((
                    item.id,
                    "tool dispatch span: the codex.tool_result event describes the same call".into(),
                ));
                return;
            }
            RecordKind::ToolCall
        }
        _ => {
            out.ignored.push((item.id, INTERNAL_SPAN.into()));
            return;
        }
    };
    let session = conversation_id(item).or_else(|| context.conversation_of_trace.get(trace).cloned());
    // A dispatch span is named after its tool; any other name is not trusted as metadata.
    let name = if kind == RecordKind::ToolCall && text(item, "tool_name").as_deref() != Some(span.name.as_str()) {
        "tool_dispatch"
    } else {
        span.name.as_str()
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, name);
    common(&mut builder, item, session, &[], out);
    span_duration(&mut builder, span);
    match kind {
        RecordKind::LlmCall => tokens(&mut builder, item),
        RecordKind::ToolCall => tool_details(&mut builder, item),
        _ => {}
    }
    out.records.push(builder.finish());
}

#[cfg(test)]
mod tests {
    //! Built from small OTLP/JSON bodies in Codex's shapes (numbers as strings, `timeUnixNano`
    //! 0, null bodies, duplicate `thread.id`), run through the whole pipeline.

    use serde_json::{json, Value as Json};

    use super::*;
    use crate::capture::{Capture, Request};
    use crate::normalize::{normalize, Options, Output};
    use crate::otlp::{Encoding, Signal};
    use crate::schema::{CanonicalRecord, CaptureMode};

    const TRACE: &str = "0cb039f88a1a090f1902be332d9db672";
    const CONVERSATION: &str = "01a1fe79-e26c-7b73-8d29-4a86c2354f51";

    /// An OTLP/JSON attribute list; strings, ints (sent as JSON strings, as Codex does) and bools.
    fn attrs(pairs: &[(&str, Json)]) -> Json {
        Json::Array(
            pairs
                .iter()
                .map(|(key, value)| {
                    let typed = match value {
                        Json::Bool(it) => json!({ "boolValue": it }),
                        Json::Number(it) if it.is_i64() => json!({ "intValue": it.to_string() }),
                        Json::Number(it) => json!({ "doubleValue": it }),
                        Json::String(it) => json!({ "stringValue": it }),
                        _ => json!({}),
                    };
                    json!({ "key": key, "value": typed })
                })
                .collect(),
        )
    }

    fn resource() -> Json {
        json!({ "attributes": attrs(&[("service.name", json!("codex_exec")), ("service.version", json!("0.169.0"))]) })
    }

    /// A `codex.*` log event as Codex sends it; `time` is the observed time.
    fn event(name: &str, time: u64, trace: &str, extra: &[(&str, Json)]) -> Json {
        let mut pairs = vec![("event.name", json!(name)), ("conversation.id", json!(CONVERSATION))];
        pairs.extend(extra.iter().cloned());
        json!({
            "timeUnixNano": "0", "observedTimeUnixNano": time.to_string(), "severityNumber": 9,
            "severityText": "INFO", "body": null, "attributes": attrs(&pairs), "traceId": trace,
            "spanId": if trace.is_empty() { "" } else { "30f44d6390f1bb18" },
            "eventName": "event otel/src/events/session_telemetry.rs:803",
        })
    }

    fn logs(records: Vec<Json>) -> (Signal, Json) {
        (
            Signal::Logs,
            json!({ "resourceLogs": [{ "resource": resource(),
                "scopeLogs": [{ "scope": { "name": "codex_otel.log_only" }, "logRecords": records }] }] }),
        )
    }

    fn span(name: &str, span_id: &str, extra: &[(&str, Json)]) -> Json {
        json!({
            "traceId": TRACE, "spanId": span_id, "parentSpanId": "", "traceState": "", "flags": 257,
            "name": name, "kind": 1, "startTimeUnixNano": "1795270763000000000",
            "endTimeUnixNano": "1795270763250000000", "attributes": attrs(extra),
            "status": { "code": 0, "message": "" },
        })
    }

    fn traces(spans: Vec<Json>) -> (Signal, Json) {
        (
            Signal::Traces,
            json!({ "resourceSpans": [{ "resource": resource(),
                "scopeSpans": [{ "scope": { "name": "codex_exec" }, "spans": spans }] }] }),
        )
    }

    fn capture(bodies: Vec<(Signal, Json)>) -> Capture {
        let requests = bodies
            .into_iter()
            .enumerate()
            .map(|(index, (signal, body))| {
                let bytes = body.to_string().into_bytes();
                let decoded = crate::otlp::decode(signal, Encoding::Json, &bytes).expect("valid OTLP/JSON");
                Request {
                    file: format!("{:04}-{}.json", index + 1, signal.as_str()),
                    signal,
                    encoding: Encoding::Json,
                    gzip: false,
                    decoded,
                }
            })
            .collect();
        Capture { path: "memory".into(), manifest: None, requests }
    }

    fn run(capture: &Capture, mode: CaptureMode) -> Output {
        let output = normalize(capture, &Options::new(mode));
        let totals = &output.accounting.totals;
        assert!(totals.balances(), "{totals:?}");
        assert_eq!(totals.rejected, 0, "{:?}", output.accounting.reasons);
        assert!(
            !output.findings.iter().any(|it| it.id == "unaccounted_item"),
            "every item must be accounted for: {:?}",
            output.findings
        );
        output
    }

    fn of_kind(output: &Output, kind: RecordKind) -> Vec<&CanonicalRecord> {
        output.records.iter().filter(|it| it.kind == kind).collect()
    }

    fn int(record: &CanonicalRecord, key: &str) -> Option<i64> {
        match record.attributes.get(key) {
            Some(Value::Int(it)) => Some(*it),
            _ => None,
        }
    }

    fn text_of(record: &CanonicalRecord, key: &str) -> Option<String> {
        match record.attributes.get(key) {
            Some(Value::Str(it)) => Some(it.clone()),
            _ => None,
        }
    }

    fn completed_with_tokens(time: u64, input: i64, output: i64) -> Json {
        event(
            "codex.sse_event",
            time,
            "",
            &[
                ("event.kind", json!("response.completed")),
                ("input_token_count", json!(input.to_string())),
                ("output_token_count", json!(output.to_string())),
                ("cached_token_count", json!(1000)),
                ("cache_write_token_count", json!(0)),
                ("reasoning_token_count", json!(16)),
                ("tool_token_count", json!((input + output).to_string())),
                ("ttft_ms", json!(3)),
            ],
        )
    }

    #[test]
    fn one_llm_call_per_model_call_with_the_completion_tokens() {
        let request = |time, status: i64, attempt: i64, error: Option<&str>| {
            let mut extra = vec![
                ("duration_ms", json!("95")),
                ("http.response.status_code", json!(status)),
                ("attempt", json!(attempt)),
            ];
            if let Some(error) = error {
                extra.push(("error.message", json!(error)));
            }
            event("codex.api_request", time, TRACE, &extra)
        };
        let plain = |time, kind: &str| {
            event("codex.sse_event", time, "", &[("event.kind", json!(kind)), ("duration_ms", json!("0"))])
        };
        let capture = capture(vec![
            logs(vec![
                event("codex.conversation_starts", 10, TRACE, &[("provider_name", json!("OpenAI"))]),
                request(20, 200, 0, None),
                plain(21, "response.created"),
                plain(22, "response.output_text.delta"),
                plain(23, "response.completed"),
                completed_with_tokens(24, 1200, 18),
                request(30, 500, 0, Some("http 500")),
                request(40, 200, 1, None),
                completed_with_tokens(41, 1300, 40),
            ]),
            // The spans of the same calls, which must not count again.
            traces(vec![
                span(
                    "handle_responses",
                    "15ecd9e416dcb90f",
                    &[("gen_ai.usage.input_tokens", json!(1200)), ("gen_ai.usage.output_tokens", json!(18))],
                ),
                span("handle_responses", "c7c42a4be090a7c8", &[("codex.response.receive_wait_ms", json!(0.5))]),
            ]),
        ]);
        let output = run(&capture, CaptureMode::MetadataOnly);
        let calls = of_kind(&output, RecordKind::LlmCall);
        assert_eq!(calls.len(), 2, "two successful model calls");
        assert_eq!(
            calls.iter().map(|it| int(it, attr::INPUT_TOKENS)).collect::<Vec<_>>(),
            vec![Some(1200), Some(1300)],
            "each call carries its own completion's tokens, cached included"
        );
        assert_eq!(int(calls[1], attr::OUTPUT_TOKENS), Some(40));
        assert_eq!(int(calls[1], attr::CACHE_READ_INPUT_TOKENS), Some(1000));
        assert_eq!(int(calls[1], attr::REASONING_OUTPUT_TOKENS), Some(16));
        assert_eq!(int(calls[1], attr::ATTEMPT), Some(2), "attempt is 0-based on the wire");
        assert_eq!(int(calls[0], attr::DURATION_MS), Some(95));
        assert_eq!(text_of(calls[0], attr::PROVIDER_NAME).as_deref(), Some("openai"));
        assert_eq!(calls[0].session_id.as_deref(), Some(CONVERSATION));
        assert!(!calls[0].attributes.contains_key(attr::COST_USD_MICROS), "Codex reports no money here");
        let errors = of_kind(&output, RecordKind::ApiError);
        assert_eq!(errors.len(), 1);
        assert_eq!(int(errors[0], attr::HTTP_STATUS_CODE), Some(500));
        assert_eq!(text_of(errors[0], attr::ERROR_TYPE).as_deref(), Some("500"));
        assert!(!errors[0].attributes.contains_key(attr::ERROR_MESSAGE), "error text is content");
        assert_eq!(output.accounting.totals.ignored, 3 + 2 + 2, "3 timing events, 2 merged completions, 2 spans");
    }

    #[test]
    fn a_completion_without_its_request_is_the_llm_call() {
        let capture = capture(vec![logs(vec![completed_with_tokens(5, 900, 7)])]);
        let output = run(&capture, CaptureMode::MetadataOnly);
        let calls = of_kind(&output, RecordKind::LlmCall);
        assert_eq!(calls.len(), 1);
        assert_eq!(int(calls[0], attr::INPUT_TOKENS), Some(900));
        assert_eq!(int(calls[0], attr::TTFT_MS), Some(3));
    }

    #[test]
    fn spans_alone_give_turn_model_call_and_tool_call_once_each() {
        let turn = "01a1fe7a-bf61-75f3-ba1e-75e3f6d74a34";
        let capture = capture(vec![traces(vec![
            span(
                "session_task.turn",
                "e5364019a233651e",
                &[
                    ("thread.id", json!(4)),
                    ("thread.id", json!(CONVERSATION)),
                    ("turn.id", json!(turn)),
                    ("codex.turn.token_usage.input_tokens", json!(2400)),
                ],
            ),
            span("run_turn", "738d87ae00b041c2", &[("conversation.id", json!(CONVERSATION)), ("turn.id", json!(turn))]),
            span(
                "handle_responses",
                "11e0fc7e56516074",
                &[
                    ("gen_ai.usage.input_tokens", json!(1200)),
                    ("gen_ai.usage.cache_read.input_tokens", json!(1000)),
                    ("gen_ai.usage.output_tokens", json!(18)),
                    ("codex.usage.reasoning_output_tokens", json!(16)),
                ],
            ),
            span(
                "exec_command",
                "469d6c8ba553f6c1",
                &[
                    ("tool_name", json!("exec_command")),
                    ("call_id", json!("call_1")),
                    ("codex.tool.phase", json!("dispatch")),
                    ("conversation.id", json!(CONVERSATION)),
                ],
            ),
            span("unified_exec.exec_command", "d40a40b0773fb515", &[("call_id", json!("call_1"))]),
            span("fs.read_file", "0000000000000001", &[("sandboxed", json!(false))]),
        ])]);
        let output = run(&capture, CaptureMode::MetadataOnly);
        let turns = of_kind(&output, RecordKind::Turn);
        assert_eq!(turns.len(), 1, "run_turn is the same turn as session_task.turn");
        assert_eq!(turns[0].session_id.as_deref(), Some(CONVERSATION), "from the string-valued thread.id");
        assert!(
            !turns[0].attributes.keys().any(|key| key.starts_with("gen_ai.usage")),
            "turn totals must not count as model-call tokens"
        );
        assert_eq!(turns[0].vendor_attributes.get("thread.id"), Some(&Value::Int(4)));
        assert_eq!(int(turns[0], attr::DURATION_MS), Some(250));
        let calls = of_kind(&output, RecordKind::LlmCall);
        assert_eq!(calls.len(), 1);
        assert_eq!(int(calls[0], attr::INPUT_TOKENS), Some(1200));
        assert_eq!(int(calls[0], attr::REASONING_OUTPUT_TOKENS), Some(16));
        assert_eq!(calls[0].session_id.as_deref(), Some(CONVERSATION), "joined by trace id");
        let tools = of_kind(&output, RecordKind::ToolCall);
        assert_eq!(tools.len(), 1);
        assert_eq!(text_of(tools[0], attr::TOOL_CATEGORY).as_deref(), Some("shell"));
        assert_eq!(output.accounting.reasons.get(&format!("ignored: {INTERNAL_SPAN}")), Some(&2));
    }

    #[test]
    fn the_exit_status_is_read_from_the_status_lines_only() {
        let exited = "Chunk ID: 4b7948\nWall time: 0.0000 seconds\nProcess exited with code 3\nOriginal token count: 21\nOutput:\nboom\n";
        assert_eq!(exit_code_from_status_lines(exited), Some(3));
        assert_eq!(exit_code_from_status_lines("Process exited with code -1\nOutput:\n"), Some(-1));
        // The command's own output cannot set it, before or after a real status line.
        let forged = "Chunk ID: 1\nProcess running with session ID 7\nOutput:\nProcess exited with code 0\n";
        assert_eq!(exit_code_from_status_lines(forged), None);
        assert_eq!(exit_code_from_status_lines("Process exited with code 0"), None, "no Output: line, no status lines");
        assert_eq!(exit_code_from_status_lines("Process exited with code x\nOutput:\n"), None);
    }

    #[test]
    fn a_tool_span_with_a_tool_result_event_is_ignored() {
        let capture = capture(vec![
            logs(vec![event(
                "codex.tool_result",
                5,
                TRACE,
                &[("tool_name", json!("exec_command")), ("call_id", json!("call_1")), ("success", json!("true"))],
            )]),
            traces(vec![span(
                "exec_command",
                "469d6c8ba553f6c1",
                &[("tool_name", json!("exec_command")), ("call_id", json!("call_1"))],
            )]),
        ]);
        let output = run(&capture, CaptureMode::MetadataOnly);
        assert_eq!(of_kind(&output, RecordKind::ToolCall).len(), 1);
        assert_eq!(output.accounting.totals.ignored, 1);
    }

    #[test]
    fn content_lands_in_content_keys_and_never_in_metadata_only() {
        let patch = "*** Begin Patch\n*** Add File: SECRET-PATH-1/notes.md\n+SECRET-BODY-2\n*** End Patch";
        let capture = capture(vec![logs(vec![
            event("codex.user_prompt", 1, TRACE, &[("prompt", json!("[REDACTED]")), ("prompt_length", json!("42"))]),
            event(
                "codex.tool_result",
                2,
                TRACE,
                &[
                    ("tool_name", json!("exec_command")),
                    ("call_id", json!("call_1")),
                    ("arguments", json!("{\"cmd\":\"echo SECRET-CMD-3 > SECRET-PATH-4/x\"}")),
                    ("output", json!("SECRET-OUT-5")),
                    ("duration_ms", json!("51")),
                    ("success", json!("true")),
                ],
            ),
            event(
                "codex.tool_result",
                3,
                TRACE,
                &[("tool_name", json!("apply_patch")), ("call_id", json!("call_2")), ("arguments", json!(patch))],
            ),
            event(
                "codex.agent_response",
                4,
                TRACE,
                &[("response", json!("SECRET-RESP-6")), ("response_length", json!(13))],
            ),
            event(
                "codex.api_request",
                5,
                TRACE,
                &[("error.message", json!("SECRET-ERR-7 in /home/x")), ("attempt", json!(0))],
            ),
        ])]);
        let metadata = run(&capture, CaptureMode::MetadataOnly);
        let text = serde_json::to_string(&json!({ "r": metadata.records, "f": metadata.findings })).unwrap_or_default();
        assert!(!text.contains("SECRET"), "content leaked into metadata_only: {text}");
        let prompt = &of_kind(&metadata, RecordKind::UserPrompt)[0];
        assert_eq!(int(prompt, attr::PROMPT_LENGTH), Some(42));
        let errors = of_kind(&metadata, RecordKind::ApiError);
        assert_eq!(text_of(errors[0], attr::ERROR_TYPE).as_deref(), Some("transport_error"));

        let full = run(&capture, CaptureMode::Full);
        let prompt = &of_kind(&full, RecordKind::UserPrompt)[0];
        assert!(!prompt.attributes.contains_key(attr::PROMPT_TEXT), "[REDACTED] means absent");
        let tools = of_kind(&full, RecordKind::ToolCall);
        assert_eq!(text_of(tools[0], attr::SHELL_COMMAND).as_deref(), Some("echo SECRET-CMD-3 > SECRET-PATH-4/x"));
        assert_eq!(text_of(tools[0], attr::TOOL_RESULT).as_deref(), Some("SECRET-OUT-5"));
        assert_eq!(tools[0].attributes.get(attr::SUCCESS), Some(&Value::Bool(true)));
        assert_eq!(int(tools[0], attr::DURATION_MS), Some(51));
        assert_eq!(text_of(tools[1], attr::FILE_PATH).as_deref(), Some("SECRET-PATH-1/notes.md"));
        assert_eq!(text_of(tools[1], attr::TOOL_CATEGORY).as_deref(), Some("edit"));
        let response = &of_kind(&full, RecordKind::AssistantResponse)[0];
        assert_eq!(text_of(response, attr::RESPONSE_TEXT).as_deref(), Some("SECRET-RESP-6"));
    }

    #[test]
    fn odd_records_become_findings_and_passthrough_never_errors() {
        let debug = json!({
            "timeUnixNano": "0", "observedTimeUnixNano": "7", "severityNumber": 5, "severityText": "DEBUG",
            "body": { "stringValue": "flushing OTEL metrics" }, "attributes": [], "traceId": "", "spanId": "",
        });
        let nameless =
            json!({ "timeUnixNano": "0", "observedTimeUnixNano": "8", "severityNumber": 9, "attributes": [] });
        let capture = capture(vec![logs(vec![
            debug,
            nameless,
            event("codex.brand_new_event", 9, "", &[("duration_ms", json!("not a number"))]),
            event("codex.brand_new_event", 10, "", &[]),
            event("codex.tool_decision", 11, "", &[("decision", json!("denied")), ("source", json!("User"))]),
            event("codex.turn_cost", 12, "", &[("usage.estimated_usd", json!(0.0123))]),
            event(
                "codex.sse_event",
                13,
                "",
                &[("event.kind", json!("response.failed")), ("error.message", json!("boom"))],
            ),
        ])]);
        let output = run(&capture, CaptureMode::MetadataOnly);
        let ids: Vec<&str> = output.findings.iter().map(|it| it.id).collect();
        assert_eq!(ids.iter().filter(|it| **it == "unknown_event_name").count(), 1, "reported once per name");
        assert!(ids.contains(&"missing_event_name"));
        assert!(ids.contains(&"uncoercible_value"));
        assert_eq!(output.accounting.totals.ignored, 1, "only the DEBUG line");
        let decision = &of_kind(&output, RecordKind::ToolDecision)[0];
        assert_eq!(text_of(decision, attr::DECISION).as_deref(), Some("reject"));
        assert_eq!(text_of(decision, attr::DECISION_SOURCE).as_deref(), Some("user"));
        let cost = output
            .records
            .iter()
            .find(|it| it.source.as_ref().is_some_and(|source| source.name == "codex.turn_cost"))
            .expect("turn cost record");
        assert_eq!(int(cost, attr::COST_USD_MICROS), Some(12_300));
        let stream_error = &of_kind(&output, RecordKind::ApiError)[0];
        assert_eq!(text_of(stream_error, attr::ERROR_TYPE).as_deref(), Some("stream_error"));
    }

    #[test]
    fn token_metric_types_are_normalized_and_unknown_metrics_reported() {
        let point = |token_type: &str, sum: f64| {
            json!({ "attributes": attrs(&[("token_type", json!(token_type)), ("model", json!("gpt-5.1-codex"))]),
                    "startTimeUnixNano": "1", "timeUnixNano": "2", "count": 1, "sum": sum,
                    "bucketCounts": [1], "explicitBounds": [] })
        };
        let body = json!({ "resourceMetrics": [{ "resource": resource(), "scopeMetrics": [{ "scope": { "name": "codex" },
            "metrics": [
                { "name": "codex.turn.token_usage", "histogram": { "aggregationTemporality": 1, "dataPoints": [
                    point("input", 1200.0), point("cached_input", 1000.0), point("reasoning_output", 16.0),
                    point("cache_write_input", 0.0), point("total", 1218.0) ] } },
                { "name": "codex.api_request", "sum": { "aggregationTemporality": 1, "isMonotonic": true, "dataPoints": [
                    { "attributes": attrs(&[("status", json!("500")), ("success", json!("false"))]), "asInt": 2,
                      "startTimeUnixNano": "1", "timeUnixNano": "2" } ] } },
                { "name": "codex.turn.cost_microusd", "sum": { "aggregationTemporality": 1, "isMonotonic": true, "dataPoints": [
                    { "attributes": [], "asInt": 12300, "startTimeUnixNano": "1", "timeUnixNano": "2" } ] } },
                { "name": "codex.never.seen", "sum": { "aggregationTemporality": 1, "dataPoints": [
                    { "attributes": [], "asInt": 1, "startTimeUnixNano": "1", "timeUnixNano": "2" } ] } },
            ] }] }] });
        let output = run(&capture(vec![(Signal::Metrics, body)]), CaptureMode::MetadataOnly);
        let types: Vec<String> = output.records.iter().filter_map(|it| text_of(it, attr::TOKEN_TYPE)).collect();
        assert_eq!(types, vec!["input", "cache_read", "reasoning", "cache_creation", "total"]);
        let request = output
            .records
            .iter()
            .find(|it| text_of(it, attr::METRIC_NAME).as_deref() == Some("coding_agent.api.request.count"))
            .expect("request count");
        assert_eq!(int(request, attr::HTTP_STATUS_CODE), Some(500));
        assert_eq!(request.attributes.get(attr::SUCCESS), Some(&Value::Bool(false)));
        let cost = output
            .records
            .iter()
            .find(|it| text_of(it, attr::METRIC_NAME).as_deref() == Some("coding_agent.cost.usage"))
            .expect("cost point");
        assert_eq!(int(cost, attr::METRIC_VALUE), Some(12_300), "already micro-USD");
        let unknown: Vec<&str> =
            output.findings.iter().filter(|it| it.id == "unknown_metric_name").map(|it| it.message.as_str()).collect();
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].contains("codex.never.seen"));
    }

    #[test]
    fn decisions_normalize() {
        for (raw, expect) in [
            ("approved", Some("accept")),
            ("approved_for_session", Some("accept")),
            ("approved_execpolicy_amendment", Some("accept")),
            ("denied", Some("reject")),
            ("abort", Some("reject")),
            ("maybe", None),
        ] {
            assert_eq!(decision(raw), expect, "{raw}");
        }
    }
}
