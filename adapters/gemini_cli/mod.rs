//! Gemini CLI (`@google/gemini-cli`): events (logs), metrics and spans, all under the
//! instrumentation scope `gemini-cli`.
//!
//! ## What it maps
//! - Events (attribute `event.name`, prefixed `gemini_cli.`; the body is a human sentence and is
//!   never read): `user_prompt` → `user_prompt`; `api_response` → `llm_call`; `api_error` →
//!   `api_error`; `tool_call` → `tool_call`, plus a `tool_decision` from the same record when it
//!   carries a `decision`; `api_request` → `passthrough` carrying the request contents as
//!   `coding_agent.api.body`; `model_routing`, `config`, `startup_stats`, `file_operation` and
//!   every other event of the CLI's own list → `passthrough` (no finding); an unknown
//!   `gemini_cli.*` event → `passthrough` with an `unknown_event_name` finding.
//! - The GenAI semconv event `gen_ai.client.inference.operation.details` is emitted twice per
//!   model call (request half without usage, then response half with `gen_ai.usage.*`, or an
//!   error half without usage): it describes the same call as `gemini_cli.api_request` /
//!   `api_response` / `api_error`, so it is *ignored* with that reason and a call is counted once;
//!   the response half's `gen_ai.response.id`, which `api_response` lacks, is added to the
//!   `llm_call` of its `api_response` (the k-th response half of a session pairs with its k-th
//!   `api_response`: the CLI logs them one after the other).
//!   Only when a session has more response halves than `api_response` events (logs of the CLI's
//!   own events lost) does a surplus response half become the `llm_call`.
//! - Metrics (all cumulative): `gemini_cli.session.count`, `api.request.count`,
//!   `api.request.latency`, `token.usage`, `tool.call.count`, `tool.call.latency`,
//!   `model_routing.latency`, `startup.duration`, `lines.changed`, `file.operation.count` →
//!   `metric_point` with canonical names (`coding_agent.*`); `gen_ai.client.operation.duration`
//!   (seconds, converted to ms) and `gen_ai.client.token.usage` keep their semconv names because
//!   they count the same calls and tokens as the CLI's own metrics (never add the two up); other
//!   metrics of the CLI's list keep their own names (no finding); unknown ones keep their names
//!   with an `unknown_metric_name` finding. Histogram points carry their observation count in
//!   `coding_agent.metric.count` and their sum as the value.
//! - Spans (`telemetry.traces`): `llm_call` and `tool_call` describe the same calls as the
//!   `api_response`/`api_error` and `tool_call` events, so they are *ignored* with that reason,
//!   matched by count per session (see Rules). A `tool_call` span adds its `gen_ai.tool.call_id`,
//!   which the event lacks, to the event's `tool_call` and `tool_decision` records (paired by
//!   the batch span id the event was logged under and the tool name, else the first unpaired
//!   event of the session with that tool). A surplus span (events lost) becomes the `llm_call`
//!   (or `api_error` when its status is error) or `tool_call`.
//!   `schedule_tool_calls` (the batch around a turn's tool calls), `user_prompt`,
//!   `system_prompt` and `agent_call` → `passthrough`; other spans (HTTP instrumentation) →
//!   `passthrough` with an `unknown_span_name` finding.
//!
//! ## Rules
//! - Tokens: Gemini's `input_token_count` is the API's `promptTokenCount`, which *includes*
//!   `cachedContentTokenCount` (Gemini API semantics; the mock reports 1200 prompt with 800
//!   cached and the CLI passes both through unchanged). It is already GenAI input, so
//!   `gen_ai.usage.input_tokens` = `input_token_count` + `tool_token_count`
//!   (`toolUsePromptTokenCount`, prompt tokens of tool use that the API counts outside
//!   `promptTokenCount`), and `gen_ai.usage.cache_read.input_tokens` =
//!   `cached_content_token_count`. `candidatesTokenCount` excludes thinking, so
//!   `gen_ai.usage.output_tokens` = `output_token_count` + `thoughts_token_count` and
//!   `coding_agent.usage.reasoning_tokens` = `thoughts_token_count`; input + output then equals
//!   the CLI's `total_token_count`, kept as a vendor attribute. Token metric points keep the
//!   vendor's split in `gen_ai.token.type` (`input`, `output`, `cache` → `cache_read`,
//!   `thought` → `reasoning`, `tool`); Gemini's `input` points include the `cache_read` ones.
//! - No cost: the CLI reports no money, so `coding_agent.cost.usd_micros` is never set.
//! - Session: `session.id` of the record (also on the resource; spans carry it as
//!   `gen_ai.conversation.id`). User identity: `installation.id` → `coding_agent.user.id`,
//!   `user.email` (Google login only) → `coding_agent.user.email`.
//! - Calls counted once: per session, the k-th `llm_call` span is a twin when the session's
//!   `api_response` + `api_error` events (or response halves of the details event) number more
//!   than k; the same for `tool_call` spans against `tool_call` events. The CLI writes the event
//!   and the span of a call from the same code path, so the numbers match when nothing was lost;
//!   span ids cannot decide it because the CLI logs streamed responses after their span ended
//!   and tool events under the batch span (see quirks).
//! - Known metadata among the vendor attributes (`auth_type`, approval modes, routing source,
//!   startup phases, file operation and extension, `gen_ai.response.model`, ...) is declared
//!   with `keep`, so `metadata_only` keeps those values; everything else stays default-deny.
//! - Tool decisions: `accept` → `accept`; `auto_accept` (the user chose "allow always") →
//!   `accept` from `user_permanent`; `modify` (edited, then run) → `accept` from
//!   `user_temporary`; `reject` → `reject`. The CLI reports `accept` both for calls a user
//!   approved once and for calls its policy allowed without asking (`--yolo`, allow rules), so
//!   `accept` gets the source `config` only when the record says `interactive: false` (nobody
//!   could have approved), and no source otherwise; `reject` gets none.
//! - Tool source: `tool_type` `native` → `builtin`, `mcp` → `mcp`.
//! - Content goes into content keys only: the prompt (`prompt`), request contents
//!   (`request_text`, span `gen_ai.input.messages`) → `coding_agent.api.body`, raw response
//!   (`response_text`) → `coding_agent.api.body` plus its text parts →
//!   `coding_agent.response.text`, tool arguments (`function_args`) →
//!   `gen_ai.tool.call.arguments` with `command` → `coding_agent.shell.command` and
//!   `file_path`/`dir_path` → `coding_agent.file.path`, error text → `coding_agent.error.message`.
//!   Known content without a canonical key (`gen_ai.system_instructions`,
//!   `gen_ai.tool.definitions`, `gen_ai.output.messages` of the details event, `reasoning` of
//!   `model_routing`, tool `metadata`) and the resource's `process.command_args` (which holds the
//!   prompt, see quirks) stay vendor attributes, which the privacy layer denies by default. The
//!   log body is never read: it repeats error messages. From the tool `metadata` JSON only its
//!   diff statistics and a shell call's `exitCode` (→ `coding_agent.shell.exit_code`; the CLI
//!   sends it only when non-zero, `file_tools`) are read.
//! - `{}` (an empty `AnyValue`) is how the CLI spells null: such attributes are absent.
//!
//! ## Vendor quirks
//! - `service.version` is the Node.js version (`v20.20.2`), not the CLI's; no other attribute
//!   or scope version names the CLI version (scopes: logs `gemini-cli` without version, metrics
//!   version `""`, traces `v1`), so `coding_agent.vendor.version` stays absent and the Node
//!   version is kept as the vendor attribute `resource.service.version` (every capture under
//!   `corpus/gemini_cli/`, e.g. `text_answer`).
//! - The prompt leaks through the resource attribute `process.command_args`
//!   (`[node, …, gemini, "-p", "<prompt>"]`) on every logs, metrics and traces request, even with
//!   `logPrompts` off (`content_flags_off`: the prompt and its fake `AIza…` key appear only there).
//! - Every `-p` run makes two model calls: the router's classifier on
//!   `gemini-*-flash-lite` (`role` `utility_router`, JSON output) and the main call (`role`
//!   `main`); both are `llm_call`s, told apart by `coding_agent.query_source` (`text_answer`).
//! - `prompt_id` equals the session id in `-p` mode (`text_answer`).
//! - The response of a streamed call is logged after its `llm_call` span ended, so
//!   `api_response` of a main call has no trace context while its `api_request` has
//!   (`shell_tool_call`); `tool_call` events carry the span id of the `schedule_tool_calls`
//!   batch, not of their `tool_call` span, and no tool call id (the span has
//!   `gen_ai.tool.call_id`) (`shell_tool_call`).
//! - A count the API does not send is reported as 0, not left out: the mock sends no
//!   `toolUsePromptTokenCount`, yet every `api_response` has `tool_token_count` 0 (`text_answer`).
//! - `finish_reasons` has one entry per streamed chunk, although only the last chunk carries a
//!   finish reason: a two-chunk answer reports `["stop", "stop"]` (`text_answer`); kept as sent.
//! - Each failed attempt is its own `api_error` event and error-status `llm_call` span with an
//!   `exception` span event (message and stack trace); `gemini_cli.api.request.count` counts a
//!   failed attempt twice (one point with `error_type`, one without) and
//!   `api.request.latency` records its latency twice (`api_error`).
//! - Durations are integers except `plan.approval_mode_duration`'s `duration_ms`, a double; it
//!   is rounded to integer ms (`text_answer`).
//! - `decision` is `accept` for calls auto-approved by `--yolo`, as for calls a user approved once
//!   (`shell_tool_call`); see the decision rule.

use std::collections::{HashMap, HashSet};

use crate::adapter::{
    apply_rules, as_bool, as_f64, as_i64, as_string, keep, metric_record, plain_number, resource_key, rule, Adapter,
    AttrRule, Conv, Item, ItemData, Normalized, Point, RecordBuilder, Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, KeyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The Gemini CLI adapter.
pub struct GeminiCli;

const VENDOR: &str = "gemini_cli";
const EVENT_PREFIX: &str = "gemini_cli.";
const DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";

static SIGNATURE: Signature =
    Signature { scope_prefixes: &["gemini-cli"], service_names: &["gemini-cli"], name_prefixes: &["gemini_cli."] };

/// Attributes with a canonical home, on any record that carries them.
const STANDARD: &[AttrRule] = &[
    rule("prompt_id", attr::PROMPT_ID, Conv::Str),
    rule("gen_ai.prompt.name", attr::PROMPT_ID, Conv::Str),
    rule("model", attr::REQUEST_MODEL, Conv::Model),
    rule("model_name", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("decision_model", attr::REQUEST_MODEL, Conv::Model),
    rule("routing.decision_model", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule("finish_reasons", attr::FINISH_REASONS, Conv::StrList),
    rule("gen_ai.response.finish_reasons", attr::FINISH_REASONS, Conv::StrList),
    rule("role", attr::QUERY_SOURCE, Conv::Str),
    rule("prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("request_text", attr::API_BODY, Conv::Str),
    rule("response_text", attr::API_BODY, Conv::Str),
    rule("function_name", attr::TOOL_NAME, Conv::Str),
    rule("gen_ai.tool.name", attr::TOOL_NAME, Conv::Str),
    rule("tool_name", attr::TOOL_NAME, Conv::Str),
    rule("gen_ai.tool.call_id", attr::TOOL_CALL_ID, Conv::Str),
    rule("gen_ai.tool.call.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("function_args", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("error.message", attr::ERROR_MESSAGE, Conv::Str),
    rule("error", attr::ERROR_MESSAGE, Conv::Str),
    rule("error_message", attr::ERROR_MESSAGE, Conv::Str),
    rule("error.type", attr::ERROR_TYPE, Conv::Str),
    rule("error_type", attr::ERROR_TYPE, Conv::Str),
    rule("programming_language", attr::LANGUAGE, Conv::Str),
    rule("os_platform", attr::OS_TYPE, Conv::Str),
    rule("os_release", attr::OS_VERSION, Conv::Str),
    rule("os_arch", attr::HOST_ARCH, Conv::Str),
    // Vendor attributes known to be metadata (enumerations, model and product names, phases):
    // `metadata_only` keeps their values.
    keep("auth_type"),
    keep("approval_mode"),
    keep("mode"),
    keep("from_mode"),
    keep("to_mode"),
    keep("decision_source"),
    keep("classifier_threshold"),
    keep("output_format"),
    keep("embedding_model"),
    keep("core_tools_enabled"),
    keep("phase"),
    keep("operation"),
    keep("mimetype"),
    keep("extension"),
    keep("agent_name"),
    keep("terminate_reason"),
    keep("strategy"),
    keep("correction"),
    keep("routing.approval_mode"),
    keep("routing.decision_source"),
    keep("routing.classifier_threshold"),
    keep("gen_ai.operation.name"),
    keep("gen_ai.response.model"),
    keep("gen_ai.agent.name"),
    keep("gen_ai.output.type"),
    keep("server.address"),
];

/// Keys every record reads by hand (session, identity, names, durations, decisions, status
/// codes) or drops as redundant (`event.timestamp` repeats the record time, `duration` repeats
/// `duration_ms`). Keys only some records read by hand are passed as `extra_consumed` by those.
const CONSUMED: &[&str] = &[
    "session.id",
    "gen_ai.conversation.id",
    "installation.id",
    "user.email",
    "event.name",
    "event.timestamp",
    "duration",
    "duration_ms",
    "routing_latency_ms",
    "status_code",
    "http.status_code",
    "decision",
    "tool_type",
];

/// Token counts `event_tokens` reads (`tool_token_count` and `total_token_count` stay vendor
/// attributes, as sent).
const EVENT_TOKEN_KEYS: &[&str] =
    &["input_token_count", "output_token_count", "cached_content_token_count", "thoughts_token_count"];

/// Keys read by the semconv paths (details event, spans): usage and messages.
const SEMCONV_KEYS: &[&str] = &["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.input.messages"];

/// Keys a tool span's content goes from into content keys.
const TOOL_SPAN_KEYS: &[&str] = &["gen_ai.input.messages", "gen_ai.output.messages"];

/// Keys metric points read by hand (the token or lines type).
const METRIC_KEYS: &[&str] = &["type", "gen_ai.token.type"];

/// Events of the CLI (0.61.0 source) with no canonical kind: passthrough without a finding.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "api_request",
    "config",
    "startup_stats",
    "model_routing",
    "ripgrep_fallback",
    "plan.approval_mode_duration",
    "plan.approval_mode_switch",
    "plan.execution",
    "file_operation",
    "tool_output_truncated",
    "tool_output_masking",
    "edit_strategy",
    "edit_correction",
    "slash_command",
    "slash_command.model",
    "chat_compression",
    "chat.invalid_chunk",
    "chat.content_retry",
    "chat.content_retry_failure",
    "network_retry_attempt",
    "conversation_finished",
    "flash_fallback",
    "web_fetch_fallback_attempt",
    "agent.start",
    "agent.finish",
    "agent.recovery_attempt",
    "extension_install",
    "extension_uninstall",
    "extension_update",
    "extension_enable",
    "extension_disable",
    "ide_connection",
    "rewind",
    "conseca.verdict",
    "conseca.policy_generation",
    "hook_call",
    "keychain.availability",
    "token_storage.initialization",
    "onboarding.start",
    "onboarding.success",
    "next_speaker_check",
    "llm_loop_check",
    "loop_detected",
    "malformed_json_response",
    "api_key_updated",
    "credits_used",
    "credit_purchase_click",
    "empty_wallet_menu_shown",
    "overage_menu_shown",
    "overage_option_selected",
    "kitty_sequence_overflow",
];

/// Spans of the CLI with no canonical kind of their own.
const KNOWN_PASSTHROUGH_SPANS: &[&str] = &["schedule_tool_calls", "user_prompt", "system_prompt", "agent_call"];

/// Auth types the CLI reports as Vertex AI in `gen_ai.provider.name`; everything else is the
/// Gemini API (`gcp.gen_ai`), as in the CLI's own `getGenAiProvider`.
const VERTEX_AUTH_TYPES: &[&str] = &["vertex-ai", "compute-default-credentials", "oauth-personal"];

/// The tool-call metadata keys the CLI sends even with prompt logging off (diff statistics).
const SAFE_METADATA_KEYS: &[&str] = &[
    "model_added_lines",
    "model_removed_lines",
    "model_added_chars",
    "model_removed_chars",
    "user_added_lines",
    "user_removed_lines",
    "user_added_chars",
    "user_removed_chars",
];

impl Adapter for GeminiCli {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let mut book = CallBook::collect(items);
        let mut joins = Joins::default();
        let mut reported: HashSet<String> = HashSet::new();
        // Events and metrics first, so twins (details events, spans) can add what the event
        // records lack, whichever signal arrived first. Twins are paired by position within
        // a session, so positions come from content, never from arrival.
        let ordered = crate::adapter::in_content_order(items);
        for item in ordered.iter().copied() {
            match item.data {
                ItemData::Log(record) => map_event(item, record, &mut book, &mut joins, &mut out, &mut reported),
                ItemData::Point { metric, point } => {
                    map_metric(item, &metric.name, &metric.unit, point, &mut out, &mut reported)
                }
                ItemData::Span(_) => {}
            }
        }
        joins.add_response_ids(&mut out);
        for item in ordered.iter().copied() {
            if let ItemData::Span(span) = item.data {
                map_span(item, span, &mut book, &mut joins, &mut out, &mut reported);
            }
        }
        out
    }
}

/// How many calls each session's events describe, and how many twins of them were seen so
/// far, so a call reported by an event, a semconv details event and a span is counted once.
#[derive(Default)]
struct CallBook {
    /// `api_response` events per session.
    responses: HashMap<String, usize>,
    /// `api_response` + `api_error` events per session.
    calls: HashMap<String, usize>,
    /// Response halves of the details event per session.
    response_details: HashMap<String, usize>,
    /// `tool_call` events per session.
    tool_events: HashMap<String, usize>,
    seen_response_details: HashMap<String, usize>,
    seen_llm_spans: HashMap<String, usize>,
    seen_tool_spans: HashMap<String, usize>,
}

impl CallBook {
    fn collect(items: &[Item<'_>]) -> CallBook {
        let mut book = CallBook::default();
        for item in items {
            let ItemData::Log(record) = item.data else { continue };
            let session = session_of(item);
            let counter = match event_name(record).as_deref() {
                Some("gemini_cli.api_response") => {
                    *book.responses.entry(session.clone()).or_default() += 1;
                    &mut book.calls
                }
                Some("gemini_cli.api_error") => &mut book.calls,
                Some("gemini_cli.tool_call") => &mut book.tool_events,
                Some(DETAILS_EVENT) if is_response_details(item) => &mut book.response_details,
                _ => continue,
            };
            *counter.entry(session).or_default() += 1;
        }
        book
    }

    /// Whether the next response half of the details event in `session` repeats an
    /// `api_response` event.
    fn details_is_twin(&mut self, session: &str) -> bool {
        let seen = self.seen_response_details.entry(session.to_owned()).or_default();
        *seen += 1;
        *seen <= self.responses.get(session).copied().unwrap_or(0)
    }

    /// Whether the next `llm_call` span in `session` repeats a call the logs describe.
    fn llm_span_is_twin(&mut self, session: &str) -> bool {
        let logged =
            self.calls.get(session).copied().unwrap_or(0).max(self.response_details.get(session).copied().unwrap_or(0));
        let seen = self.seen_llm_spans.entry(session.to_owned()).or_default();
        *seen += 1;
        *seen <= logged
    }

    /// Whether the next `tool_call` span in `session` repeats a `tool_call` event.
    fn tool_span_is_twin(&mut self, session: &str) -> bool {
        let seen = self.seen_tool_spans.entry(session.to_owned()).or_default();
        *seen += 1;
        *seen <= self.tool_events.get(session).copied().unwrap_or(0)
    }
}

/// Where the event records are, so twins can add what the events lack: the response id of the
/// details event's response half, the tool call id of the `tool_call` span.
#[derive(Default)]
struct Joins {
    /// Per session, the `llm_call` records of `api_response` events, in arrival order.
    responses: HashMap<String, Vec<usize>>,
    /// Per session, the response ids of twin response halves, in arrival order.
    response_ids: HashMap<String, Vec<Option<String>>>,
    /// `tool_call` event records in arrival order.
    tool_events: Vec<ToolEvent>,
}

/// One `tool_call` event's records and what pairs it with its span.
struct ToolEvent {
    session: String,
    /// The span id the event was logged under: its `schedule_tool_calls` batch span.
    batch_span_id: Vec<u8>,
    tool_name: Option<String>,
    /// Indexes of the `tool_call` record and, when there is one, its `tool_decision` record.
    records: Vec<usize>,
    joined: bool,
}

impl Joins {
    /// The k-th response half of a session pairs with its k-th `api_response`: the CLI writes
    /// both from the same call, one after the other.
    fn add_response_ids(&self, out: &mut Normalized) {
        for (session, ids) in &self.response_ids {
            let Some(indexes) = self.responses.get(session) else { continue };
            for (index, id) in indexes.iter().zip(ids) {
                let (Some(record), Some(id)) = (out.records.get_mut(*index), id) else { continue };
                let _ = record.attributes.entry(attr::RESPONSE_ID).or_insert_with(|| Value::Str(id.clone()));
            }
        }
    }

    /// Adds a `tool_call` span's call id to its event's records: the event logged under the
    /// span's parent (the batch) for the same tool, else the first unpaired event of the session
    /// for the same tool.
    fn add_tool_call_id(&mut self, item: &Item<'_>, span: &Span, session: &str, out: &mut Normalized) {
        let Some(call_id) =
            item.attr("gen_ai.tool.call_id").or_else(|| item.attr("gen_ai.tool.call.id")).and_then(as_string)
        else {
            return;
        };
        let tool_name = item.attr("gen_ai.tool.name").and_then(as_string);
        let candidates =
            |event: &&mut ToolEvent| !event.joined && event.session == session && event.tool_name == tool_name;
        let position = self
            .tool_events
            .iter_mut()
            .position(|event| {
                candidates(&event) && !span.parent_span_id.is_empty() && event.batch_span_id == span.parent_span_id
            })
            .or_else(|| self.tool_events.iter_mut().position(|event| candidates(&event)));
        let Some(event) = position.and_then(|it| self.tool_events.get_mut(it)) else { return };
        event.joined = true;
        for index in &event.records {
            if let Some(record) = out.records.get_mut(*index) {
                let _ = record.attributes.entry(attr::TOOL_CALL_ID).or_insert_with(|| Value::Str(call_id.clone()));
            }
        }
    }
}

/// The event name as sent in attribute `event.name` (prefixed `gemini_cli.`, or the semconv
/// details event).
fn event_name(record: &LogRecord) -> Option<String> {
    match crate::otlp::find_attr(&record.attributes, "event.name") {
        Some(AnyValue::String(name)) if !name.trim().is_empty() => Some(name.trim().to_owned()),
        _ => None,
    }
}

/// The session an item belongs to: its own `session.id`, a span's `gen_ai.conversation.id`,
/// else the resource's `session.id`; empty when none says.
fn session_of(item: &Item<'_>) -> String {
    let text = |value: Option<&AnyValue>| value.and_then(as_string).filter(|it| !it.is_empty());
    text(item.attr("session.id"))
        .or_else(|| text(item.attr("gen_ai.conversation.id")))
        .or_else(|| text(item.resource_attr("session.id")))
        .unwrap_or_default()
}

/// Whether a details event is the response half of a call (it has usage or a response id).
fn is_response_details(item: &Item<'_>) -> bool {
    ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.id"]
        .iter()
        .any(|key| item.attr(key).is_some_and(|it| !matches!(it, AnyValue::Empty)))
}

/// The item's attributes without `{}` values (the CLI's null: absent stays absent).
fn present(attributes: &[KeyValue]) -> Vec<KeyValue> {
    attributes.iter().filter(|it| !matches!(it.value, AnyValue::Empty)).cloned().collect()
}

/// Integer milliseconds from an int, a double (rounded) or a numeric string.
fn millis(value: &AnyValue) -> Option<i64> {
    as_i64(value).or_else(|| {
        let it = as_f64(value)?;
        (it.is_finite() && it.abs() < 9.0e15).then(|| it.round() as i64)
    })
}

/// Sets what every record carries: session, identity, resource facts, then the attribute
/// table (with `extra_consumed` left out), and the resource attributes with no canonical key
/// as `resource.<key>` vendor attributes.
fn common(
    builder: &mut RecordBuilder,
    item: &Item<'_>,
    kind: RecordKind,
    extra_consumed: &[&str],
    out: &mut Normalized,
) {
    let session = session_of(item);
    let _ = builder.session(Some(session));
    let text = |value: Option<&AnyValue>| value.and_then(as_string).filter(|it| !it.is_empty()).map(Value::Str);
    let _ = builder.set_opt(
        attr::USER_ID,
        text(item.attr("installation.id")).or_else(|| text(item.resource_attr("installation.id"))),
    );
    let _ = builder
        .set_opt(attr::USER_EMAIL, text(item.attr("user.email")).or_else(|| text(item.resource_attr("user.email"))));
    for (key, canonical) in RESOURCE_FACTS {
        let _ = builder.set_opt(canonical, text(item.resource_attr(key)));
    }
    let attributes = present(item.attributes());
    let consumed: Vec<&str> = CONSUMED.iter().chain(extra_consumed.iter()).copied().collect();
    apply_rules(builder, item, &attributes, STANDARD, &consumed, &mut out.findings, VENDOR);
    for kv in &item.resource.attributes {
        let mapped = kv.key == "session.id"
            || kv.key == "installation.id"
            || kv.key == "user.email"
            || RESOURCE_FACTS.iter().any(|(key, _)| *key == kv.key);
        if !mapped && !matches!(kv.value, AnyValue::Empty) {
            let key = resource_key(&kv.key);
            if RESOURCE_METADATA.contains(&kv.key.as_str()) {
                let _ = builder.vendor_metadata_owned(key, &kv.value);
            } else {
                let _ = builder.vendor_attr_owned(key, &kv.value);
            }
        }
    }
    let duration =
        ["duration_ms", "duration", "routing_latency_ms"].iter().find_map(|key| item.attr(key).and_then(millis));
    let _ = builder.set_opt(attr::DURATION_MS, duration.map(Value::Int));
    set_decision(builder, item, out);
    if let Some(tool_type) = item.attr("tool_type").and_then(as_string).filter(|it| !it.is_empty()) {
        let source = if tool_type == "native" { "builtin".to_owned() } else { tool_type };
        let _ = builder.set(attr::TOOL_SOURCE, Value::Str(source));
    }
    // A status code is the failed call's on an `api_error`, a plain vendor number elsewhere
    // (200 on every `api_response`); `http.status_code` repeats `status_code`.
    let status =
        item.attr("status_code").or_else(|| item.attr("http.status_code")).filter(|it| !matches!(it, AnyValue::Empty));
    if let Some(status) = status {
        match (kind, as_i64(status)) {
            (RecordKind::ApiError, Some(code)) => {
                let _ = builder.set(attr::HTTP_STATUS_CODE, Value::Int(code));
            }
            _ => {
                let _ = builder.vendor_attr("status_code", status);
            }
        }
    }
}

/// Resource attributes with a canonical key. `service.version` is not among them: it is the
/// Node.js version.
const RESOURCE_FACTS: &[(&str, &str)] = &[
    ("service.name", attr::SERVICE_NAME),
    ("host.name", attr::HOST_NAME),
    ("host.arch", attr::HOST_ARCH),
    ("os.type", attr::OS_TYPE),
    ("os.version", attr::OS_VERSION),
];

/// Resource attributes known to be metadata (the Node.js runtime), kept in `metadata_only`. The
/// other `process.*` attributes hold paths, the OS user and the argv with the prompt.
const RESOURCE_METADATA: &[&str] =
    &["service.version", "process.runtime.name", "process.runtime.version", "process.runtime.description"];

/// `gen_ai.provider.name` from the CLI's auth type when the record does not name it.
fn provider(builder: &mut RecordBuilder, item: &Item<'_>) {
    if builder.has(attr::PROVIDER_NAME) {
        return;
    }
    let auth_type = item.attr("auth_type").and_then(as_string).unwrap_or_default();
    let name = if VERTEX_AUTH_TYPES.contains(&auth_type.as_str()) { "gcp.vertex_ai" } else { "gcp.gen_ai" };
    let _ = builder.set(attr::PROVIDER_NAME, Value::Str(name.to_owned()));
}

/// Token counts of an `api_response` event, in GenAI semantics (see the module doc).
fn event_tokens(builder: &mut RecordBuilder, item: &Item<'_>) {
    let count = |key: &str| item.attr(key).and_then(as_i64);
    let input = count("input_token_count");
    let output = count("output_token_count");
    let cached = count("cached_content_token_count");
    let thoughts = count("thoughts_token_count");
    let tool = count("tool_token_count");
    if let Some(input) = input {
        let _ = builder.set(attr::INPUT_TOKENS, Value::Int(input.saturating_add(tool.unwrap_or(0))));
    }
    if let Some(output) = output {
        let _ = builder.set(attr::OUTPUT_TOKENS, Value::Int(output.saturating_add(thoughts.unwrap_or(0))));
    }
    let _ = builder.set_opt(attr::CACHE_READ_INPUT_TOKENS, cached.map(Value::Int));
    let _ = builder.set_opt(attr::REASONING_OUTPUT_TOKENS, thoughts.map(Value::Int));
}

/// Token counts of a semconv details event or span (`gen_ai.usage.*`, prompt tokens with cache).
fn semconv_tokens(builder: &mut RecordBuilder, item: &Item<'_>) {
    let count = |key: &str| item.attr(key).and_then(as_i64).map(Value::Int);
    let _ = builder.set_opt(attr::INPUT_TOKENS, count("gen_ai.usage.input_tokens"));
    let _ = builder.set_opt(attr::OUTPUT_TOKENS, count("gen_ai.usage.output_tokens"));
}

/// The text parts of a raw response (`response_text`: one `GenerateContentResponse` or an array
/// of streamed ones; span `gen_ai.output.messages`: `{role, parts}` objects), thoughts left out.
fn response_text(raw: &str) -> Option<String> {
    fn collect(value: &serde_json::Value, out: &mut String, depth: usize) {
        if depth > 6 {
            return;
        }
        match value {
            serde_json::Value::Array(values) => values.iter().for_each(|it| collect(it, out, depth + 1)),
            serde_json::Value::Object(map) => {
                if let Some(parts) = map.get("parts").and_then(|it| it.as_array()) {
                    for part in parts {
                        let thought = part.get("thought").and_then(|it| it.as_bool()).unwrap_or(false);
                        if let (Some(text), false) = (part.get("text").and_then(|it| it.as_str()), thought) {
                            out.push_str(text);
                        }
                    }
                    return;
                }
                for key in ["candidates", "content"] {
                    if let Some(inner) = map.get(key) {
                        collect(inner, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
    let parsed: serde_json::Value = serde_json::from_str(raw).ok()?;
    let mut out = String::new();
    collect(&parsed, &mut out, 0);
    (!out.is_empty()).then_some(out)
}

/// What a tool does, from its name (and `tool_type` `mcp`).
fn tool_category(name: &str, source: Option<&str>) -> &'static str {
    if source == Some("mcp") {
        return "mcp";
    }
    match name {
        "run_shell_command" | "list_background_processes" | "read_background_output" | "kill_background_process" => {
            "shell"
        }
        "write_file" | "replace" | "edit" | "smart_edit" => "edit",
        "read_file" | "read_many_files" | "list_directory" | "ls" => "read",
        "grep_search" | "grep" | "search_file_content" | "glob" => "search",
        "web_fetch" | "google_web_search" => "web",
        "invoke_agent" | "delegate_to_agent" | "codebase_investigator" => "agent",
        _ => "other",
    }
}

/// Tool records: category, and the shell command and file path out of the arguments JSON
/// (content keys, so privacy decides).
fn tool_details(builder: &mut RecordBuilder) {
    let source = match builder.get(attr::TOOL_SOURCE) {
        Some(Value::Str(it)) => Some(it.clone()),
        _ => None,
    };
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name, source.as_deref());
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    // The span's `gen_ai.input.messages` wraps the arguments in `{callId, name, args}`: the
    // shared helper unwraps `args`.
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS, attr::TOOL_PARAMETERS]);
}

/// The canonical decision and its source for the CLI's `decision` value.
fn decision(raw: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match raw {
        "accept" => ("accept", None),
        "auto_accept" => ("accept", Some("user_permanent")),
        "modify" => ("accept", Some("user_temporary")),
        "reject" => ("reject", None),
        _ => return None,
    })
}

/// Sets `coding_agent.decision` (and its source) from the item's `decision`; an unknown value
/// is kept as a vendor attribute and reported.
fn set_decision(builder: &mut RecordBuilder, item: &Item<'_>, out: &mut Normalized) {
    let Some(value) = item.attr("decision").filter(|it| !matches!(it, AnyValue::Empty)) else { return };
    let raw = as_string(value).unwrap_or_default();
    match decision(&raw) {
        Some((canonical, source)) => {
            // Without a terminal nobody can approve: an `accept` in a non-interactive run is the
            // policy's (`--yolo`, an allow rule), not a user's.
            let non_interactive = item.attr("interactive").and_then(as_bool) == Some(false);
            let source = source.or((canonical == "accept" && non_interactive).then_some("config"));
            let _ = builder.set(attr::DECISION, Value::Str(canonical.to_owned()));
            let _ = builder.set_opt(attr::DECISION_SOURCE, source.map(|it| Value::Str(it.to_owned())));
        }
        None => {
            out.findings.push(
                Finding::new(
                    "unknown_decision",
                    Level::Improvement,
                    // The value is not quoted: an unknown value is vendor text, which findings never carry
                    // (it stays in the vendor attribute, where the capture mode decides).
                    format!(
                        "tool decision of {} characters is not one the adapter knows; kept as a vendor attribute",
                        raw.chars().count()
                    ),
                )
                .for_vendor(VENDOR)
                .at(item.location("decision")),
            );
            let _ = builder.vendor_attr("decision", value);
        }
    }
}

/// Expands the diff statistics of a tool call's `metadata` JSON into integer vendor attributes
/// (`metadata.model_added_lines`, ...) and a shell call's `exitCode` into
/// `coding_agent.shell.exit_code`; the JSON itself stays a (default-denied) vendor attribute.
fn tool_metadata(builder: &mut RecordBuilder, item: &Item<'_>) {
    let Some(text) = item.attr("metadata").and_then(|it| it.as_str()) else { return };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else { return };
    for key in SAFE_METADATA_KEYS {
        if let Some(number) = map.get(*key).and_then(|it| it.as_i64()) {
            let _ = builder.vendor_attr(&format!("metadata.{key}"), &AnyValue::Int(number));
        }
    }
    // A shell call's metadata holds its exit status apart from the tool's `success` (the tool
    // succeeds when the command ran, whatever it returned).
    if let Some(code) = map.get("exitCode").and_then(|it| it.as_i64()) {
        let _ = builder.set(attr::SHELL_EXIT_CODE, Value::Int(code));
    }
}

fn report_once(
    out: &mut Normalized,
    reported: &mut HashSet<String>,
    id: &'static str,
    what: &str,
    name: &str,
    item: &Item<'_>,
    field: &str,
) {
    if reported.insert(format!("{id}:{name}")) {
        out.findings.push(
            Finding::new(
                id,
                Level::Improvement,
                format!("{what} `{name}` is not in the adapter's list; kept as passthrough"),
            )
            .for_vendor(VENDOR)
            .at(item.location(field)),
        );
    }
}

fn map_event(
    item: &Item<'_>,
    record: &LogRecord,
    book: &mut CallBook,
    joins: &mut Joins,
    out: &mut Normalized,
    reported: &mut HashSet<String>,
) {
    let Some(full_name) = event_name(record) else {
        out.findings.push(
            Finding::new(
                "missing_event_name",
                Level::Improvement,
                "a Gemini CLI log record names no event; kept as passthrough",
            )
            .for_vendor(VENDOR)
            .at(item.location("event.name")),
        );
        let mut builder = RecordBuilder::new(VENDOR, RecordKind::Passthrough, item, "gemini_cli.(unnamed)");
        common(&mut builder, item, RecordKind::Passthrough, &[], out);
        out.records.push(builder.finish());
        return;
    };
    if full_name == DETAILS_EVENT {
        map_details_event(item, book, joins, out);
        return;
    }
    let name = full_name.strip_prefix(EVENT_PREFIX).unwrap_or(&full_name).to_owned();
    let kind = match name.as_str() {
        "user_prompt" => RecordKind::UserPrompt,
        "api_response" => RecordKind::LlmCall,
        "api_error" => RecordKind::ApiError,
        "tool_call" => RecordKind::ToolCall,
        _ => RecordKind::Passthrough,
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &full_name);
    let extra_consumed: &[&str] = match name.as_str() {
        "api_response" => EVENT_TOKEN_KEYS,
        // The config event's `model` is a setting (`auto`), not a model that was called.
        "config" => &["model"],
        _ => &[],
    };
    common(&mut builder, item, kind, extra_consumed, out);
    let mut decision_record = None;
    match name.as_str() {
        "config" => {
            if let Some(value) = item.attr("model").filter(|it| !matches!(it, AnyValue::Empty)) {
                let _ = builder.vendor_metadata("model", value);
            }
        }
        "api_response" => {
            event_tokens(&mut builder, item);
            provider(&mut builder, item);
            if let Some(Value::Str(raw)) = builder.get(attr::API_BODY) {
                let text = response_text(raw);
                let _ = builder.set(attr::API_BODY_DIRECTION, Value::Str("response".to_owned()));
                let _ = builder.set_opt(attr::RESPONSE_TEXT, text.map(Value::Str));
            }
        }
        "api_error" => {
            provider(&mut builder, item);
            if !builder.has(attr::ERROR_TYPE) {
                if let Some(Value::Int(status)) = builder.get(attr::HTTP_STATUS_CODE) {
                    let status = status.to_string();
                    let _ = builder.set(attr::ERROR_TYPE, Value::Str(status));
                }
            }
        }
        "api_request" => {
            provider(&mut builder, item);
            if builder.has(attr::API_BODY) {
                let _ = builder.set(attr::API_BODY_DIRECTION, Value::Str("request".to_owned()));
            }
        }
        "tool_call" => {
            tool_details(&mut builder);
            tool_metadata(&mut builder, item);
            if builder.has(attr::DECISION) {
                decision_record = Some(tool_decision_record(item, &builder));
            }
        }
        "user_prompt" => {}
        _ => {
            if !KNOWN_PASSTHROUGH_EVENTS.contains(&name.as_str()) || !full_name.starts_with(EVENT_PREFIX) {
                report_once(out, reported, "unknown_event_name", "event", &full_name, item, "event.name");
            }
        }
    }
    let first = out.records.len();
    out.records.push(builder.finish());
    match name.as_str() {
        "api_response" => joins.responses.entry(session_of(item)).or_default().push(first),
        "tool_call" => joins.tool_events.push(ToolEvent {
            session: session_of(item),
            batch_span_id: record.span_id.clone(),
            tool_name: item.attr("function_name").and_then(as_string),
            records: if decision_record.is_some() { vec![first, first + 1] } else { vec![first] },
            joined: false,
        }),
        _ => {}
    }
    out.records.extend(decision_record);
}

/// The `tool_decision` a `tool_call` event implies: tool, call, category and decision only.
fn tool_decision_record(item: &Item<'_>, tool_call: &RecordBuilder) -> crate::schema::CanonicalRecord {
    let mut builder = RecordBuilder::new(VENDOR, RecordKind::ToolDecision, item, "gemini_cli.tool_call");
    let _ = builder.session(Some(session_of(item)));
    for key in [
        attr::USER_ID,
        attr::USER_EMAIL,
        attr::SERVICE_NAME,
        attr::HOST_NAME,
        attr::HOST_ARCH,
        attr::PROMPT_ID,
        attr::TOOL_NAME,
        attr::TOOL_CALL_ID,
        attr::TOOL_CATEGORY,
        attr::TOOL_SOURCE,
        attr::DECISION,
        attr::DECISION_SOURCE,
    ] {
        if let Some(value) = tool_call.get(key) {
            let _ = builder.set(key, value.clone());
        }
    }
    builder.finish()
}

/// `gen_ai.client.inference.operation.details`: the semconv twin of the CLI's own API events.
fn map_details_event(item: &Item<'_>, book: &mut CallBook, joins: &mut Joins, out: &mut Normalized) {
    if !is_response_details(item) {
        out.ignored.push((
            item.id,
            "gen_ai.client.inference.operation.details request or error half: the call is counted from its gemini_cli.api_response or api_error event".into(),
        ));
        return;
    }
    if book.details_is_twin(&session_of(item)) {
        let response_id = item.attr("gen_ai.response.id").and_then(as_string).filter(|it| !it.is_empty());
        joins.response_ids.entry(session_of(item)).or_default().push(response_id);
        out.ignored.push((
            item.id,
            "gen_ai.client.inference.operation.details response half: semconv twin of a gemini_cli.api_response event of the same session (its response id is added to that record)".into(),
        ));
        return;
    }
    // No api_response event for this call: the details event is the only record of it.
    let mut builder = RecordBuilder::new(VENDOR, RecordKind::LlmCall, item, DETAILS_EVENT);
    common(&mut builder, item, RecordKind::LlmCall, SEMCONV_KEYS, out);
    semconv_tokens(&mut builder, item);
    provider(&mut builder, item);
    if let Some(text) = item.attr("gen_ai.output.messages").and_then(|it| it.as_str()).and_then(response_text) {
        let _ = builder.set(attr::RESPONSE_TEXT, Value::Str(text));
    }
    request_messages(&mut builder, item);
    out.records.push(builder.finish());
}

/// `gen_ai.input.messages` (request contents) as the request body, when no body is set.
fn request_messages(builder: &mut RecordBuilder, item: &Item<'_>) {
    if builder.has(attr::API_BODY) {
        return;
    }
    if let Some(text) = item.attr("gen_ai.input.messages").and_then(as_string) {
        let _ = builder.set(attr::API_BODY, Value::Str(text));
        let _ = builder.set(attr::API_BODY_DIRECTION, Value::Str("request".to_owned()));
    }
}

/// Canonical name, record kind and unit of each metric with a canonical home.
fn metric_target(name: &str) -> Option<(&'static str, RecordKind, &'static str)> {
    Some(match name {
        "gemini_cli.session.count" => ("coding_agent.session.count", RecordKind::MetricPoint, "1"),
        "gemini_cli.api.request.count" => ("coding_agent.api.request.count", RecordKind::MetricPoint, "1"),
        "gemini_cli.api.request.latency" => ("coding_agent.api.request.duration", RecordKind::MetricPoint, "ms"),
        "gemini_cli.token.usage" => ("coding_agent.token.usage", RecordKind::MetricPoint, "{token}"),
        "gemini_cli.tool.call.count" => ("coding_agent.tool.call.count", RecordKind::MetricPoint, "1"),
        "gemini_cli.tool.call.latency" => ("coding_agent.tool.call.duration", RecordKind::MetricPoint, "ms"),
        "gemini_cli.model_routing.latency" => ("coding_agent.model_routing.duration", RecordKind::MetricPoint, "ms"),
        "gemini_cli.startup.duration" => ("coding_agent.startup.duration", RecordKind::MetricPoint, "ms"),
        "gemini_cli.lines.changed" => ("coding_agent.lines_of_code.count", RecordKind::MetricPoint, "1"),
        "gemini_cli.file.operation.count" => ("coding_agent.file.operation.count", RecordKind::MetricPoint, "1"),
        "gen_ai.client.operation.duration" => ("gen_ai.client.operation.duration", RecordKind::MetricPoint, "ms"),
        "gen_ai.client.token.usage" => ("gen_ai.client.token.usage", RecordKind::MetricPoint, "{token}"),
        _ => return None,
    })
}

/// Metrics of the CLI (0.61.0 source) kept under their own names without a finding.
const KNOWN_OTHER_METRICS: &[&str] = &[
    "gemini_cli.agent.duration",
    "gemini_cli.agent.recovery_attempt.count",
    "gemini_cli.agent.recovery_attempt.duration",
    "gemini_cli.agent.run.count",
    "gemini_cli.agent.turns",
    "gemini_cli.api.request.breakdown",
    "gemini_cli.chat.content_retry.count",
    "gemini_cli.chat.content_retry_failure.count",
    "gemini_cli.chat.invalid_chunk.count",
    "gemini_cli.chat_compression",
    "gemini_cli.cpu.usage",
    "gemini_cli.credit_purchase.count",
    "gemini_cli.event_loop.delay",
    "gemini_cli.exit.fail.count",
    "gemini_cli.hook_call.count",
    "gemini_cli.hook_call.latency",
    "gemini_cli.keychain.availability.count",
    "gemini_cli.memory.usage",
    "gemini_cli.model_routing.failure.count",
    "gemini_cli.network_retry.count",
    "gemini_cli.onboarding.duration",
    "gemini_cli.overage_option.count",
    "gemini_cli.performance.baseline.comparison",
    "gemini_cli.performance.regression",
    "gemini_cli.performance.regression.percentage_change",
    "gemini_cli.performance.score",
    "gemini_cli.plan.execution.count",
    "gemini_cli.slash_command.model.call_count",
    "gemini_cli.token.efficiency",
    "gemini_cli.token_storage.type.count",
    "gemini_cli.tool.execution.breakdown",
    "gemini_cli.tool.queue.depth",
    "gemini_cli.ui.flicker.count",
    "gemini_cli.ui.slow_render.latency",
];

fn seconds_to_millis(value: f64) -> Value {
    // Rounded to whole microseconds so `0.028` s becomes exactly 28 ms.
    plain_number((value * 1_000_000.0).round() / 1_000.0)
}

fn map_metric(
    item: &Item<'_>,
    name: &str,
    unit: &str,
    point: Point<'_>,
    out: &mut Normalized,
    reported: &mut HashSet<String>,
) {
    let (canonical, kind, canonical_unit) = match metric_target(name) {
        Some(it) => it,
        None => {
            if !KNOWN_OTHER_METRICS.contains(&name) && reported.insert(format!("metric:{name}")) {
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
            (name, RecordKind::MetricPoint, unit)
        }
    };
    let value_conv = if unit == "s" && canonical_unit == "ms" { seconds_to_millis } else { plain_number };
    let mut builder = metric_record(VENDOR, kind, item, canonical, canonical_unit, value_conv);
    common(&mut builder, item, kind, METRIC_KEYS, out);
    let count = match point {
        Point::Histogram(it) => Some(it.count),
        Point::ExponentialHistogram(it) => Some(it.count),
        Point::Summary(it) => Some(it.count),
        Point::Number(_) => None,
    };
    let _ = builder.set_opt(attr::METRIC_COUNT, count.and_then(|it| i64::try_from(it).ok()).map(Value::Int));
    let kind_value = item.attr("type").or_else(|| item.attr("gen_ai.token.type")).and_then(as_string);
    match (name, kind_value) {
        ("gemini_cli.token.usage" | "gen_ai.client.token.usage", Some(kind_value)) => {
            let token_type = match kind_value.as_str() {
                "cache" => "cache_read".to_owned(),
                "thought" => "reasoning".to_owned(),
                // Gemini counts thoughts apart from candidates: its `output` is the canonical
                // `output_visible`, not `output` (which includes reasoning).
                "output" => "output_visible".to_owned(),
                other => other.to_owned(),
            };
            let _ = builder.set(attr::TOKEN_TYPE, Value::Str(token_type));
        }
        ("gemini_cli.lines.changed", Some(kind_value)) => {
            let _ = builder.set(attr::LINES_TYPE, Value::Str(kind_value));
        }
        (_, Some(kind_value)) => {
            let _ = builder.vendor_attr("type", &AnyValue::String(kind_value.into()));
        }
        (_, None) => {}
    }
    if builder.has(attr::TOOL_NAME) {
        tool_details(&mut builder);
    }
    out.records.push(builder.finish());
}

fn span_status(builder: &mut RecordBuilder, span: &Span) {
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
    if span.start_time_unix_nano != 0 && span.end_time_unix_nano > span.start_time_unix_nano {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(millis as i64));
    }
}

fn map_span(
    item: &Item<'_>,
    span: &Span,
    book: &mut CallBook,
    joins: &mut Joins,
    out: &mut Normalized,
    reported: &mut HashSet<String>,
) {
    let session = session_of(item);
    match span.name.as_str() {
        "llm_call" => {
            if book.llm_span_is_twin(&session) {
                out.ignored.push((
                    item.id,
                    "llm_call span: the session's gemini_cli.api_response/api_error events count the same model call"
                        .into(),
                ));
                return;
            }
            // No event for this call: the span is its only record.
            let failed = span.status_code == 2;
            let kind = if failed { RecordKind::ApiError } else { RecordKind::LlmCall };
            let mut builder = RecordBuilder::new(VENDOR, kind, item, &span.name);
            common(&mut builder, item, kind, SEMCONV_KEYS, out);
            span_status(&mut builder, span);
            provider(&mut builder, item);
            request_messages(&mut builder, item);
            if failed {
                exception_details(&mut builder, span);
            } else {
                semconv_tokens(&mut builder, item);
                if let Some(text) =
                    item.attr("gen_ai.output.messages").and_then(|it| it.as_str()).and_then(response_text)
                {
                    let _ = builder.set(attr::RESPONSE_TEXT, Value::Str(text));
                }
            }
            out.records.push(builder.finish());
        }
        "tool_call" => {
            if book.tool_span_is_twin(&session) {
                joins.add_tool_call_id(item, span, &session, out);
                out.ignored.push((
                    item.id,
                    "tool_call span: the session's gemini_cli.tool_call events count the same tool call (its call id is added to that event's records)".into(),
                ));
                return;
            }
            let mut builder = RecordBuilder::new(VENDOR, RecordKind::ToolCall, item, &span.name);
            common(&mut builder, item, RecordKind::ToolCall, TOOL_SPAN_KEYS, out);
            span_status(&mut builder, span);
            let _ = builder.set(attr::SUCCESS, Value::Bool(span.status_code != 2));
            tool_span_content(&mut builder, item);
            tool_details(&mut builder);
            out.records.push(builder.finish());
        }
        other => {
            if !KNOWN_PASSTHROUGH_SPANS.contains(&other) {
                report_once(out, reported, "unknown_span_name", "span", other, item, "name");
            }
            let mut builder = RecordBuilder::new(VENDOR, RecordKind::Passthrough, item, other);
            if other == "schedule_tool_calls" {
                common(&mut builder, item, RecordKind::Passthrough, TOOL_SPAN_KEYS, out);
                tool_span_content(&mut builder, item);
            } else {
                common(&mut builder, item, RecordKind::Passthrough, &["gen_ai.input.messages"], out);
                request_messages(&mut builder, item);
            }
            span_status(&mut builder, span);
            out.records.push(builder.finish());
        }
    }
}

/// A tool span's request (`gen_ai.input.messages`) and result (`gen_ai.output.messages`) as
/// content keys.
fn tool_span_content(builder: &mut RecordBuilder, item: &Item<'_>) {
    if let Some(text) = item.attr("gen_ai.input.messages").and_then(as_string) {
        let _ = builder.set(attr::TOOL_PARAMETERS, Value::Str(text));
    }
    if let Some(text) = item.attr("gen_ai.output.messages").and_then(as_string) {
        if !builder.has(attr::TOOL_RESULT) {
            let _ = builder.set(attr::TOOL_RESULT, Value::Str(text));
        }
    }
}

/// Error type and message of a failed span from its `exception` event and status message.
fn exception_details(builder: &mut RecordBuilder, span: &Span) {
    for event in span.events.iter().filter(|it| it.name == "exception") {
        let find = |key: &str| crate::otlp::find_attr(&event.attributes, key).and_then(as_string);
        if !builder.has(attr::ERROR_TYPE) {
            let _ = builder.set_opt(attr::ERROR_TYPE, find("exception.type").map(Value::Str));
        }
        if !builder.has(attr::ERROR_MESSAGE) {
            let _ = builder.set_opt(attr::ERROR_MESSAGE, find("exception.message").map(Value::Str));
        }
    }
    if !builder.has(attr::ERROR_MESSAGE) && !span.status_message.is_empty() {
        let _ = builder.set(attr::ERROR_MESSAGE, Value::Str(span.status_message.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;
    use crate::normalize::{normalize, Options, Output};
    use crate::otlp::{ExportRequest, Signal};
    use crate::schema::{CanonicalRecord, CaptureMode};

    fn capture(scenario: &str) -> Capture {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/gemini_cli/0.61.0").join(scenario);
        Capture::load_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
    }

    fn only(mut capture: Capture, signals: &[Signal]) -> Capture {
        capture.requests.retain(|it| signals.contains(&it.signal));
        capture
    }

    /// Removes the log records whose `event.name` is `name`.
    fn without_event(mut capture: Capture, name: &str) -> Capture {
        for request in &mut capture.requests {
            if let ExportRequest::Logs(resources) = &mut request.decoded.request {
                for scope in resources.iter_mut().flat_map(|it| it.scope_logs.iter_mut()) {
                    scope.log_records.retain(|record| event_name(record).as_deref() != Some(name));
                }
            }
        }
        capture
    }

    fn run(capture: &Capture) -> Output {
        let output = normalize(capture, &Options::new(CaptureMode::Full));
        assert!(output.accounting.totals.balances(), "{:?}", output.accounting.totals);
        assert_eq!(output.accounting.totals.rejected, 0, "{:?}", output.accounting.reasons);
        assert!(!output.findings.iter().any(|it| it.id == "unaccounted_item"));
        output
    }

    fn of_kind(output: &Output, kind: RecordKind) -> Vec<&CanonicalRecord> {
        output.records.iter().filter(|it| it.kind == kind).collect()
    }

    fn source_names(records: &[&CanonicalRecord]) -> Vec<String> {
        records.iter().filter_map(|it| it.source.as_ref().map(|source| source.name.clone())).collect()
    }

    #[test]
    fn logs_and_spans_together_count_each_call_once() {
        let output = run(&capture("shell_tool_call"));
        let calls = of_kind(&output, RecordKind::LlmCall);
        assert_eq!(source_names(&calls), vec!["gemini_cli.api_response"; 3]);
        let tools = of_kind(&output, RecordKind::ToolCall);
        assert_eq!(source_names(&tools), vec!["gemini_cli.tool_call"]);
        assert_eq!(of_kind(&output, RecordKind::ToolDecision).len(), 1);
        // Tokens in GenAI semantics: cache included in input, thoughts included in output.
        let main = calls.iter().find(|it| it.attributes.get(attr::QUERY_SOURCE) == Some(&Value::Str("main".into())));
        let main = main.expect("a main call");
        assert_eq!(main.attributes.get(attr::INPUT_TOKENS), Some(&Value::Int(1200)));
        assert_eq!(main.attributes.get(attr::CACHE_READ_INPUT_TOKENS), Some(&Value::Int(800)));
        assert_eq!(main.attributes.get(attr::REASONING_OUTPUT_TOKENS), Some(&Value::Int(8)));
        assert_eq!(
            main.vendor_attributes.get("total_token_count").and_then(|it| match it {
                Value::Int(total) => Some(*total),
                _ => None,
            }),
            match (main.attributes.get(attr::INPUT_TOKENS), main.attributes.get(attr::OUTPUT_TOKENS)) {
                (Some(Value::Int(input)), Some(Value::Int(output))) => Some(input.saturating_add(*output)),
                _ => None,
            }
        );
        assert!(!main.attributes.contains_key(attr::VENDOR_VERSION), "service.version is Node's");
        let tool = tools[0];
        assert_eq!(
            tool.attributes.get(attr::SHELL_COMMAND),
            Some(&Value::Str("echo hello > out.txt && git status --short".into()))
        );
        assert_eq!(tool.attributes.get(attr::TOOL_CATEGORY), Some(&Value::Str("shell".into())));
        assert_eq!(tool.attributes.get(attr::TOOL_SOURCE), Some(&Value::Str("builtin".into())));
        let decision = of_kind(&output, RecordKind::ToolDecision)[0];
        // The span's call id joins the event's records.
        let call_id = tool.attributes.get(attr::TOOL_CALL_ID).cloned();
        assert!(matches!(&call_id, Some(Value::Str(id)) if id.starts_with("run_shell_command_")), "{call_id:?}");
        assert_eq!(decision.attributes.get(attr::TOOL_CALL_ID), call_id.as_ref());
        // The details event's response id joins each api_response record, in order.
        let response_ids: Vec<_> = calls.iter().map(|it| it.attributes.get(attr::RESPONSE_ID).cloned()).collect();
        assert_eq!(response_ids, (1..=3).map(|n| Some(Value::Str(format!("mockresp{n:012}")))).collect::<Vec<_>>());
        assert_eq!(decision.attributes.get(attr::DECISION), Some(&Value::Str("accept".into())));
        assert_eq!(decision.attributes.get(attr::DECISION_SOURCE), Some(&Value::Str("config".into())));
    }

    #[test]
    fn tool_call_ids_join_by_session_and_tool_without_trace_context() {
        let mut capture = capture("content_flags_on");
        for request in &mut capture.requests {
            if let ExportRequest::Logs(resources) = &mut request.decoded.request {
                for record in resources
                    .iter_mut()
                    .flat_map(|it| it.scope_logs.iter_mut())
                    .flat_map(|it| it.log_records.iter_mut())
                {
                    record.span_id.clear();
                    record.trace_id.clear();
                }
            }
        }
        let output = run(&capture);
        for tool in of_kind(&output, RecordKind::ToolCall) {
            let Some(Value::Str(name)) = tool.attributes.get(attr::TOOL_NAME) else { panic!("a tool name") };
            assert!(
                matches!(tool.attributes.get(attr::TOOL_CALL_ID), Some(Value::Str(id)) if id.starts_with(&format!("{name}__"))),
                "{name}: {:?}",
                tool.attributes.get(attr::TOOL_CALL_ID)
            );
        }
    }

    #[test]
    fn spans_alone_still_count_every_call() {
        let output = run(&only(capture("shell_tool_call"), &[Signal::Traces]));
        assert_eq!(source_names(&of_kind(&output, RecordKind::LlmCall)), vec!["llm_call"; 3]);
        let tools = of_kind(&output, RecordKind::ToolCall);
        assert_eq!(source_names(&tools), vec!["tool_call"]);
        let tool = tools[0];
        assert!(
            matches!(tool.attributes.get(attr::TOOL_CALL_ID), Some(Value::Str(id)) if id.starts_with("run_shell_command"))
        );
        assert_eq!(
            tool.attributes.get(attr::SHELL_COMMAND),
            Some(&Value::Str("echo hello > out.txt && git status --short".into()))
        );
        assert_eq!(output.accounting.totals.ignored, 0);
    }

    #[test]
    fn failed_spans_without_events_are_api_errors() {
        let output = run(&only(capture("api_error"), &[Signal::Traces]));
        let errors = of_kind(&output, RecordKind::ApiError);
        assert_eq!(errors.len(), 2);
        for error in errors {
            assert_eq!(error.attributes.get(attr::ERROR_TYPE), Some(&Value::Str("ApiError".into())));
            assert!(error.attributes.contains_key(attr::ERROR_MESSAGE));
        }
        assert_eq!(of_kind(&output, RecordKind::LlmCall).len(), 2);
    }

    #[test]
    fn details_events_stand_in_for_lost_api_responses() {
        let output = run(&without_event(capture("text_answer"), "gemini_cli.api_response"));
        let calls = of_kind(&output, RecordKind::LlmCall);
        assert_eq!(source_names(&calls), vec![DETAILS_EVENT; 2]);
        assert!(calls.iter().all(|it| it.attributes.get(attr::INPUT_TOKENS) == Some(&Value::Int(1200))));
        // The spans are still twins: the details events describe their calls.
        assert!(!source_names(&calls).contains(&"llm_call".to_owned()));
    }

    #[test]
    fn logs_alone_keep_the_same_counts() {
        let output = run(&only(capture("content_flags_on"), &[Signal::Logs]));
        assert_eq!(of_kind(&output, RecordKind::LlmCall).len(), 4);
        let tools = of_kind(&output, RecordKind::ToolCall);
        assert_eq!(tools.len(), 2);
        let write =
            tools.iter().find(|it| it.attributes.get(attr::TOOL_NAME) == Some(&Value::Str("write_file".into())));
        let write = write.expect("the write_file call");
        assert_eq!(write.attributes.get(attr::FILE_PATH), Some(&Value::Str("CANARY-GEMINI-PATH-8c3f/key.txt".into())));
        assert_eq!(write.attributes.get(attr::TOOL_CATEGORY), Some(&Value::Str("edit".into())));
        assert_eq!(write.vendor_attributes.get("metadata.model_added_lines"), Some(&Value::Int(1)));
        assert!(!write.attributes.contains_key(attr::TOOL_CALL_ID), "only the span knows the call id");
    }

    #[test]
    fn a_shell_call_keeps_its_exit_status_apart_from_success() {
        // file_tools: the command exits 3; Gemini reports the tool call a success and puts the
        // status in the call's metadata.
        let output = run(&capture("file_tools"));
        let tools = of_kind(&output, RecordKind::ToolCall);
        let shell = tools.iter().find(|it| it.attributes.get(attr::TOOL_CATEGORY) == Some(&Value::Str("shell".into())));
        let shell = shell.expect("the run_shell_command call");
        assert_eq!(shell.attributes.get(attr::SUCCESS), Some(&Value::Bool(true)));
        assert_eq!(shell.attributes.get(attr::SHELL_EXIT_CODE), Some(&Value::Int(3)));
        let others = tools.iter().filter(|it| it.attributes.get(attr::TOOL_CATEGORY) != Some(&Value::Str("shell".into())));
        assert!(others.clone().count() >= 3, "read_file, replace and write_file");
        assert!(others.into_iter().all(|it| !it.attributes.contains_key(attr::SHELL_EXIT_CODE)));
    }

    #[test]
    fn odd_records_become_findings_and_passthroughs() {
        let mut capture = only(capture("text_answer"), &[Signal::Logs]);
        let ExportRequest::Logs(resources) = &mut capture.requests[0].decoded.request else { panic!("a logs request") };
        let records = &mut resources[0].scope_logs[0].log_records;
        let template = records[0].clone();
        let set = |record: &mut LogRecord, key: &str, value: AnyValue| {
            record.attributes.retain(|it| it.key != key);
            record.attributes.push(KeyValue { key: key.into(), value });
        };
        let mut unnamed = template.clone();
        unnamed.attributes.retain(|it| it.key != "event.name");
        let mut unknown = template.clone();
        set(&mut unknown, "event.name", AnyValue::String("gemini_cli.brand_new_event".into()));
        let mut odd_response = template.clone();
        set(&mut odd_response, "event.name", AnyValue::String("gemini_cli.api_response".into()));
        set(&mut odd_response, "input_token_count", AnyValue::String("12".into()));
        set(&mut odd_response, "output_token_count", AnyValue::Double(f64::NAN));
        set(&mut odd_response, "duration_ms", AnyValue::Empty);
        set(&mut odd_response, "finish_reasons", AnyValue::Int(3));
        set(&mut odd_response, "response_text", AnyValue::String("[{\"candidates\": 7}]".into()));
        let mut odd_tool = template;
        set(&mut odd_tool, "event.name", AnyValue::String("gemini_cli.tool_call".into()));
        set(&mut odd_tool, "decision", AnyValue::String("ask_later".into()));
        set(&mut odd_tool, "function_args", AnyValue::String("{not json".into()));
        set(&mut odd_tool, "success", AnyValue::String("maybe".into()));
        records.extend([unnamed, unknown, odd_response, odd_tool]);
        let output = run(&capture);
        let ids: HashSet<&str> = output.findings.iter().map(|it| it.id).collect();
        for id in ["missing_event_name", "unknown_event_name", "unknown_decision", "uncoercible_value"] {
            assert!(ids.contains(id), "{id} missing from {ids:?}");
        }
        let odd = output.records.iter().find(|it| {
            it.kind == RecordKind::LlmCall && it.attributes.get(attr::INPUT_TOKENS) == Some(&Value::Int(12))
        });
        let odd = odd.expect("the odd api_response is still an llm_call");
        assert!(!odd.attributes.contains_key(attr::OUTPUT_TOKENS), "NaN is not a count");
        assert!(!odd.attributes.contains_key(attr::DURATION_MS), "{{}} is absent");
        assert!(!odd.attributes.contains_key(attr::RESPONSE_TEXT));
    }

    #[test]
    fn response_text_joins_text_parts_and_skips_thoughts() {
        let streamed = r#"[{"candidates":[{"content":{"role":"model","parts":[{"text":"2 + 2"}]}}]},
            {"candidates":[{"content":{"role":"model","parts":[{"text":"plan","thought":true},{"text":" is 4."}]}}]}]"#;
        assert_eq!(response_text(streamed).as_deref(), Some("2 + 2 is 4."));
        let single = r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"x","args":{}}}]}}]}"#;
        assert_eq!(response_text(single), None);
        let span_output = r#"[{"role":"model","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]"#;
        assert_eq!(response_text(span_output).as_deref(), Some("ab"));
        assert_eq!(response_text("not json"), None);
    }

    #[test]
    fn decisions_map_to_accept_or_reject() {
        assert_eq!(decision("accept"), Some(("accept", None)));
        assert_eq!(decision("auto_accept"), Some(("accept", Some("user_permanent"))));
        assert_eq!(decision("modify"), Some(("accept", Some("user_temporary"))));
        assert_eq!(decision("reject"), Some(("reject", None)));
        assert_eq!(decision("maybe"), None);
    }

    #[test]
    fn durations_round_and_seconds_convert() {
        assert_eq!(millis(&AnyValue::Double(305.113_429_9)), Some(305));
        assert_eq!(millis(&AnyValue::Int(28)), Some(28));
        assert_eq!(millis(&AnyValue::String("12".into())), Some(12));
        assert_eq!(millis(&AnyValue::Double(f64::NAN)), None);
        assert_eq!(seconds_to_millis(0.028), Value::Int(28));
        assert_eq!(seconds_to_millis(0.0015), Value::Double(1.5));
    }

    #[test]
    fn tools_are_categorized() {
        assert_eq!(tool_category("run_shell_command", Some("native")), "shell");
        assert_eq!(tool_category("write_file", None), "edit");
        assert_eq!(tool_category("read_file", None), "read");
        assert_eq!(tool_category("glob", None), "search");
        assert_eq!(tool_category("google_web_search", None), "web");
        assert_eq!(tool_category("anything", Some("mcp")), "mcp");
        assert_eq!(tool_category("update_topic", None), "other");
    }
}
