//! GitHub Copilot CLI (`@github/copilot`): GenAI-semconv spans with span events, and metrics.
//! The CLI sends no logs.
//!
//! ## What it maps
//! - Spans (scope `github.copilot`), told apart by the first word of the span name, else by
//!   `gen_ai.operation.name`:
//!   - `invoke_agent [agent]` (one per user turn, the root; subagents nest their own) → `turn`.
//!   - `chat <model>` (one per model API call attempt) → `llm_call`; a failed attempt (status
//!     `error` or an `error.type`) → `api_error`.
//!   - `execute_tool <tool> …` → `tool_call`.
//!   - `plan` and `invoke_workflow [workflow]` → `passthrough` (documented, no finding); any
//!     other span → `passthrough` with an `unknown_span_name` finding.
//!   - A span exported twice (same trace and span id) is *ignored* the second time.
//! - Span events (the CLI's events are span events, not logs):
//!   - `github.copilot.user.message` → a `user_prompt` record of its own (source: the span).
//!   - `github.copilot.session.usage_info` (context window after each model call),
//!     `github.copilot.sandbox.enforcement_state` (sandbox posture of a tool run),
//!     `gen_ai.client.operation.exception` and `exception` are folded into their span's record
//!     (last event wins for repeated keys; exception type and message become error keys).
//!   - Every other documented event (hooks, compaction, truncation, shutdown, abort, skills, MCP
//!     server lifecycle, notifications, sandbox decisions, …) → a `passthrough` record of its
//!     own; an undocumented one → `passthrough` with an `unknown_span_event_name` finding.
//! - Metrics (scope `github.copilot`, cumulative): every point → `metric_point`.
//!   `gen_ai.client.inference.usage.{input,output,cache_read.input,cache_write.input,
//!   reasoning.output}_tokens` → `coding_agent.token.usage` with `gen_ai.token.type`
//!   `input`/`output`/`cache_read`/`cache_creation`/`reasoning`;
//!   `gen_ai.client.inference.duration` → `coding_agent.api.request.duration`;
//!   `gen_ai.invoke_agent.duration` → `coding_agent.turn.duration`;
//!   `github.copilot.tool.call.count` → `coding_agent.tool.call.count`;
//!   `github.copilot.tool.call.duration` → `coding_agent.tool.call.duration`;
//!   `github.copilot.code.lines_{added,removed}` → `coding_agent.lines_of_code.count` with
//!   `coding_agent.lines.type`. The other documented metrics keep their own names (no finding);
//!   an undocumented one keeps its name with an `unknown_metric_name` finding.
//!
//! ## Rules
//! - Count once: `invoke_agent` carries the *sum* of its `chat` children's tokens, so only
//!   `chat` spans are `llm_call`s and only they carry `gen_ai.usage.*`. On any other span
//!   (`turn`, `passthrough`) usage attributes are kept as declared vendor metadata under
//!   `aggregate.<key>` (`aggregate.gen_ai.usage.input_tokens`), never in canonical keys. This
//!   holds whatever request the children arrive in, because the parent is never summed.
//! - Tokens: `gen_ai.usage.input_tokens` already includes cache reads (OpenAI usage
//!   semantics), so it maps one to one; `cache_write`/`cache_creation` →
//!   `gen_ai.usage.cache_creation.input_tokens`; `reasoning.output_tokens` (part of output) →
//!   `coding_agent.usage.reasoning_tokens`. The pre-rename underscore names
//!   (`gen_ai.usage.cache_read_tokens`, …) map the same way. Should a call report more cached
//!   than total input tokens, the input is evidently uncached: the cache tokens are added and an
//!   `input_tokens_exclude_cache` finding says so. Token metric points keep the CLI's split,
//!   which is already the canonical vocabulary: `input` includes `cache_read` and
//!   `cache_creation`, `output` includes `reasoning` (sum only types that do not overlap).
//! - Cost: the CLI reports no money. `github.copilot.cost` is a premium-request *multiplier*
//!   and `github.copilot.nano_aiu` an AI-unit count: both stay vendor metadata under their own
//!   keys and never become `coding_agent.cost.usd_micros`.
//! - Durations: spans give `coding_agent.duration_ms` (end − start); chat
//!   `gen_ai.response.time_to_first_chunk` (seconds) → `coding_agent.ttft_ms`. Every
//!   seconds-valued metric (all duration histograms) is converted to milliseconds, unit `ms`,
//!   whether or not it gets a canonical name. Histogram points carry their observation count in
//!   `coding_agent.metric.count` and their sum as the value.
//! - Ids: `gen_ai.conversation.id` is the session (a span without it takes its trace's);
//!   `github.copilot.interaction_id` (chat) and `github.copilot.user.message.interaction_id`
//!   (the user message event, also set on its turn; `execute_tool` spans carry none and take
//!   their enclosing turn's) → `coding_agent.prompt.id`;
//!   `github.copilot.service_request_id` → `coding_agent.request.id`; `enduser.pseudo.id` /
//!   `enduser.id` → `coding_agent.user.id`. Chat attempts of one model round (same parent span,
//!   interaction id and `github.copilot.turn_id`) are numbered by start time into
//!   `coding_agent.attempt`.
//! - Tool calls: `success` is false for a span with status `error` or an `error.type`, true
//!   otherwise (the exit code of a shell command is kept apart: `process.exit.code` →
//!   `coding_agent.shell.exit_code`);
//!   `coding_agent.tool.category` from the tool name (`bash`/`powershell` and their
//!   `read_`/`write_`/`stop_`/`list_` companions → `shell`, `view` → `read`,
//!   `edit`/`create`/`apply_patch` → `edit`, `glob`/`grep` → `search`, `web_fetch`/`web_search` →
//!   `web`, `task`/`read_agent`/`list_agents` → `agent`, a tool with MCP parameters → `mcp`);
//!   a call refused by the permission rules (`error.type` `denied`) also gets
//!   `coding_agent.decision` `reject`, the only trace of that decision.
//! - Content (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`) goes into content keys:
//!   `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`,
//!   `github.copilot.tool.parameters.command` (and `command` read out of the arguments) →
//!   `coding_agent.shell.command`, `github.copilot.tool.parameters.file_path` (and
//!   `path`/`file_path` of the arguments) → `coding_agent.file.path`; sandbox decision
//!   `command`/`denied_command` → `coding_agent.shell.command` and `denied_resource` →
//!   `coding_agent.file.path`; the text of the last user
//!   message of `invoke_agent`'s `gen_ai.input.messages` → `coding_agent.prompt.text` of its first
//!   `user_prompt` record (of the turn when it has none), its assistant text of
//!   `gen_ai.output.messages` → `coding_agent.response.text` of the turn; exception and hook
//!   error messages and a failed span's status message → `coding_agent.error.message`. Known
//!   content without a canonical key (the raw `gen_ai.input.messages`/`gen_ai.output.messages`,
//!   `gen_ai.system_instructions`, `gen_ai.tool.definitions`, `gen_ai.tool.description`,
//!   `process.executable.path`, sandbox policy paths) and every undeclared attribute (also
//!   `process.executable.name`, which Copilot gates as content in sandbox events, and the
//!   configured skill, MCP server and custom agent name lists) stay vendor
//!   attributes, which the privacy layer denies by default. Only ids, enumerations and counts
//!   are declared metadata (`keep` rows).
//! - Span names are metadata (`source.name`), so they are rebuilt from what is known to be a
//!   name: the operation word plus the model, tool, agent or workflow name when that word
//!   equals the span's own attribute (`execute_tool bash bash` → `execute_tool bash`); an
//!   unknown span keeps its first word only. A raw name that differs is kept as the
//!   default-deny vendor attribute `span.name`.
//!
//! ## Vendor quirks
//! - Numbers as strings: OTLP/JSON `intValue`s (span, event and point attributes, e.g.
//!   `server.port`, token counts) and metric `asInt`/`count` are JSON strings (every JSON
//!   capture, e.g. `text_answer`); the decoder and coercions read them.
//! - `invoke_agent` repeats the sum of its chats' input and output tokens but not their cache
//!   reads (`shell_tool_call`: 1300 = 650 + 650, 76 = 55 + 21).
//! - `execute_tool bash bash` names the tool twice (`shell_tool_call`).
//! - `gen_ai.provider.name` is `github` even when the model runs on a BYOK provider (every
//!   capture; they were recorded against an OpenAI-compatible BYOK endpoint); it is kept as sent.
//! - `github.copilot.cost` is `0.0` on every chat span in BYOK mode (`text_answer`).
//! - Each failed HTTP attempt is its own `chat` span with status `error` /
//!   `Model call failed`, `error.type` `ModelCallError`, finish reason `error`, no usage, and a
//!   `gen_ai.client.operation.exception` event naming only the type; the retry that succeeds is
//!   a normal `chat` span of the same turn id. The metrics count the failed attempts in their own
//!   streams (with `error.type`, token sums 0) (`api_error`).
//! - `github.copilot.session.usage_info` is emitted once per model call attempt, with the same
//!   numbers after a failed attempt (`api_error`: three events, one successful call).
//! - The user prompt reaches `gen_ai.input.messages` wrapped in a
//!   `<current_datetime>…</current_datetime>` block, which is stripped from
//!   `coding_agent.prompt.text` (`content_flags_on`).
//! - With content capture on, `gen_ai.system_instructions` and `gen_ai.tool.definitions`
//!   (tens of kilobytes) are repeated on `invoke_agent` and on every `chat` span
//!   (`content_flags_on`).
//! - `github.copilot.tool.call.count` sends `success` as a `boolValue`, and the metric points
//!   carry no conversation id, so metric records have no session (`shell_tool_call`).
//! - Protobuf and JSON bodies carry the same data (`shell_tool_call_protobuf`).

use std::collections::{HashMap, HashSet};

use crate::adapter::{
    apply_rules, as_f64, as_string, keep, metric_record, passthrough, plain_number, resource_key, rule, Adapter,
    AttrRule, Conv, Item, ItemData, ItemId, Normalized, Point, RecordBuilder, Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, KeyValue, Span, SpanEvent};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The GitHub Copilot CLI adapter.
pub struct CopilotCli;

const VENDOR: &str = "copilot_cli";

static SIGNATURE: Signature = Signature {
    scope_prefixes: &["github.copilot"],
    service_names: &["github-copilot"],
    name_prefixes: &["github.copilot."],
};

/// Attributes of spans, span events and metric points.
const RULES: &[AttrRule] = &[
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule("gen_ai.response.finish_reasons", attr::FINISH_REASONS, Conv::StrList),
    rule("gen_ai.usage.input_tokens", attr::INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.output_tokens", attr::OUTPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.cache_read.input_tokens", attr::CACHE_READ_INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.cache_read_tokens", attr::CACHE_READ_INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.cache_creation.input_tokens", attr::CACHE_CREATION_INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.cache_write.input_tokens", attr::CACHE_CREATION_INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.cache_creation_tokens", attr::CACHE_CREATION_INPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.reasoning.output_tokens", attr::REASONING_OUTPUT_TOKENS, Conv::Int),
    rule("gen_ai.usage.reasoning_tokens", attr::REASONING_OUTPUT_TOKENS, Conv::Int),
    rule("gen_ai.request.reasoning.level", attr::EFFORT, Conv::Str),
    rule("gen_ai.token.type", attr::TOKEN_TYPE, Conv::Str),
    rule("github.copilot.interaction_id", attr::PROMPT_ID, Conv::Str),
    rule("github.copilot.user.message.interaction_id", attr::PROMPT_ID, Conv::Str),
    rule("github.copilot.service_request_id", attr::REQUEST_ID, Conv::Str),
    rule("error.type", attr::ERROR_TYPE, Conv::Str),
    rule("exception.type", attr::ERROR_TYPE, Conv::Str),
    rule("exception.message", attr::ERROR_MESSAGE, Conv::Str),
    rule("github.copilot.hook.error_message", attr::ERROR_MESSAGE, Conv::Str),
    rule("github.copilot.error_status_code", attr::HTTP_STATUS_CODE, Conv::Int),
    rule("gen_ai.tool.name", attr::TOOL_NAME, Conv::Str),
    rule("gen_ai.tool.call.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("gen_ai.tool.call.arguments", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("gen_ai.tool.call.result", attr::TOOL_RESULT, Conv::Str),
    rule("github.copilot.tool.parameters.command", attr::SHELL_COMMAND, Conv::Str),
    rule("github.copilot.tool.parameters.file_path", attr::FILE_PATH, Conv::Str),
    rule("github.copilot.sandbox.command", attr::SHELL_COMMAND, Conv::Str),
    rule("github.copilot.sandbox.denied_command", attr::SHELL_COMMAND, Conv::Str),
    rule("github.copilot.sandbox.denied_resource", attr::FILE_PATH, Conv::Str),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("process.exit.code", attr::SHELL_EXIT_CODE, Conv::Int),
    rule("github.copilot.success", attr::SUCCESS, Conv::Bool),
    rule("enduser.pseudo.id", attr::USER_ID, Conv::Str),
    rule("enduser.id", attr::USER_ID, Conv::Str),
    // Vendor attributes known to be metadata: ids, enumerations, counts, product names.
    keep("gen_ai.operation.name"),
    keep("gen_ai.response.model"),
    keep("gen_ai.request.stream"),
    keep("gen_ai.request.previous_response.id"),
    keep("gen_ai.conversation.compacted"),
    keep("gen_ai.token.modality"),
    keep("gen_ai.tool.type"),
    keep("gen_ai.agent.id"),
    keep("gen_ai.agent.name"),
    keep("gen_ai.agent.version"),
    keep("gen_ai.workflow.name"),
    keep("server.address"),
    keep("server.port"),
    keep("github.copilot.cost"),
    keep("github.copilot.nano_aiu"),
    keep("github.copilot.server_duration"),
    keep("github.copilot.time_to_first_chunk"),
    keep("github.copilot.initiator"),
    keep("github.copilot.turn_id"),
    keep("github.copilot.turn_count"),
    keep("github.copilot.agent.type"),
    keep("github.copilot.user.message.source"),
    keep("github.copilot.user.message.agent_mode"),
    keep("github.copilot.user.message.turn_id"),
    keep("github.copilot.token_limit"),
    keep("github.copilot.current_tokens"),
    keep("github.copilot.messages_length"),
    keep("github.copilot.pre_tokens"),
    keep("github.copilot.post_tokens"),
    keep("github.copilot.pre_messages"),
    keep("github.copilot.post_messages"),
    keep("github.copilot.tokens_removed"),
    keep("github.copilot.messages_removed"),
    keep("github.copilot.performed_by"),
    keep("github.copilot.shutdown_type"),
    keep("github.copilot.total_premium_requests"),
    keep("github.copilot.total_api_duration_ms"),
    keep("github.copilot.total_nano_aiu"),
    keep("github.copilot.lines_added"),
    keep("github.copilot.lines_removed"),
    keep("github.copilot.files_modified_count"),
    keep("github.copilot.events_removed"),
    keep("github.copilot.up_to_event_id"),
    keep("github.copilot.error_code"),
    keep("github.copilot.error_type"),
    keep("github.copilot.error_service_request_id"),
    keep("github.copilot.error_provider_call_id"),
    keep("github.copilot.git.commit_sha"),
    keep("github.copilot.hook.type"),
    keep("github.copilot.hook.invocation_id"),
    keep("github.copilot.hook.duration"),
    keep("github.copilot.hook.decision"),
    keep("github.copilot.skill.invocation_trigger"),
    keep("github.copilot.skill.source"),
    keep("github.copilot.skill.plugin_version"),
    keep("github.copilot.mcp.server.state"),
    keep("github.copilot.mcp.server.name_hash"),
    keep("github.copilot.mcp.server.plugin_version"),
    keep("github.copilot.mcp.server.source"),
    keep("github.copilot.mcp.server.transport"),
    keep("github.copilot.tool.parameters.mcp_server_name_hash"),
    keep("github.copilot.tool.parameters.mcp_tool_name"),
    keep("github.copilot.tool.parameters.edit_type"),
    keep("github.copilot.permission.kind"),
    keep("github.copilot.permission.tool_name"),
    keep("github.copilot.permission.result"),
    keep("github.copilot.workflow.status"),
    keep("github.copilot.workflow.consumed_subagents"),
    keep("github.copilot.workflow.consumed_nano_aiu"),
    keep("github.copilot.workflow.elapsed_ms"),
    keep("github.copilot.workflow.failure_type"),
    keep("github.copilot.workflow.run_id"),
    keep("github.copilot.workflow.attempt"),
    keep("github.copilot.external_tool.name"),
    keep("github.copilot.external_tool.call_id"),
    keep("github.copilot.system.notification.type"),
    keep("github.copilot.system.notification.agent_id"),
    keep("github.copilot.system.notification.agent_type"),
    keep("github.copilot.system.notification.status"),
    keep("github.copilot.system.notification.shell_id"),
    keep("github.copilot.system.notification.exit_code"),
    keep("github.copilot.custom_notification.source"),
    keep("github.copilot.custom_notification.name"),
    keep("github.copilot.custom_notification.version"),
    keep("github.copilot.session.timing.phase"),
    keep("github.copilot.session.timing.start_offset_ms"),
    keep("github.copilot.session.timing.duration_ms"),
    keep("github.copilot.session.timing.ordinal"),
    keep("github.copilot.changeboarding.action"),
    keep("github.copilot.changeboarding.arm"),
    keep("github.copilot.changeboarding.target_kind"),
    keep("github.copilot.changeboarding.discount_shown"),
    keep("github.copilot.changeboarding.source"),
    keep("github.copilot.sandbox.decision_kind"),
    keep("github.copilot.sandbox.control"),
    keep("github.copilot.sandbox.outcome"),
    keep("github.copilot.sandbox.enforcement_point"),
    keep("github.copilot.sandbox.platform"),
    keep("github.copilot.sandbox.backend"),
    keep("github.copilot.sandbox.denial_class"),
    keep("github.copilot.sandbox.denial_confidence"),
    keep("github.copilot.sandbox.bypass_source"),
    keep("github.copilot.sandbox.permissive_source"),
    keep("github.copilot.sandbox.proxy_mode"),
    keep("github.copilot.sandbox.access"),
    keep("github.copilot.sandbox.allow_outbound"),
    keep("github.copilot.sandbox.allow_local_network"),
    keep("github.copilot.sandbox.allow_bypass"),
    keep("github.copilot.sandbox.git_auth"),
    keep("github.copilot.sandbox.gh_auth"),
    keep("github.copilot.sandbox.keychain_access"),
    keep("github.copilot.sandbox.add_current_working_directory"),
    keep("github.copilot.sandbox.readwrite_paths_count"),
    keep("github.copilot.sandbox.readonly_paths_count"),
    keep("github.copilot.sandbox.denied_paths_count"),
    keep("github.copilot.sandbox.duration_ms"),
    keep("github.copilot.sandbox.learning.candidate_count"),
    keep("github.copilot.sandbox.learning.reported_count"),
    keep("github.copilot.sandbox.learning.omitted_count"),
    keep("github.copilot.sandbox.learning.truncated"),
];

/// Keys read by hand: the session and the time to first chunk (converted).
const CONSUMED: &[&str] = &["gen_ai.conversation.id", "gen_ai.response.time_to_first_chunk"];

/// Usage attributes: canonical on `chat` spans only; aggregates everywhere else.
const USAGE_KEYS: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
];

/// Span events folded into their span's record.
const FOLDED_EVENTS: &[&str] = &[
    "github.copilot.session.usage_info",
    "github.copilot.sandbox.enforcement_state",
    "gen_ai.client.operation.exception",
    "exception",
];

/// The user message event, which becomes a `user_prompt` record.
const USER_MESSAGE_EVENT: &str = "github.copilot.user.message";

/// Documented span events with no canonical home: a `passthrough` record each, no finding.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "github.copilot.hook.start",
    "github.copilot.hook.end",
    "github.copilot.hook.error",
    "github.copilot.session.truncation",
    "github.copilot.session.compaction_start",
    "github.copilot.session.compaction_complete",
    "github.copilot.session.context_changed",
    "github.copilot.session.snapshot_rewind",
    "github.copilot.session.shutdown",
    "github.copilot.session.abort",
    "github.copilot.session.timing",
    "github.copilot.skill.invoked",
    "github.copilot.mcp.server.lifecycle",
    "github.copilot.custom_notification",
    "github.copilot.system.notification",
    "github.copilot.permission.result",
    "github.copilot.sandbox.policy_resolved",
    "github.copilot.sandbox.access",
    "github.copilot.sandbox.spawn",
    "github.copilot.sandbox.attestation",
    "github.copilot.sandbox.access_denied",
    "github.copilot.sandbox.access_recorded",
    "github.copilot.sandbox.bypass_decided",
    "github.copilot.sandbox.permissive_retry_decided",
    "github.copilot.sandbox.permissive_retry_completed",
    "mcp.server.lifecycle",
];

/// How a metric maps: canonical name, the unit after conversion (`None`: the metric's own
/// unit), whether its values are seconds to convert to milliseconds, and a fixed attribute.
struct MetricTarget {
    canonical: &'static str,
    unit: Option<&'static str>,
    seconds: bool,
    fixed: Option<(&'static str, &'static str)>,
}

const fn target(canonical: &'static str, unit: Option<&'static str>, seconds: bool) -> MetricTarget {
    MetricTarget { canonical, unit, seconds, fixed: None }
}

const fn tokens(token_type: &'static str) -> MetricTarget {
    MetricTarget {
        canonical: "coding_agent.token.usage",
        unit: Some("{token}"),
        seconds: false,
        fixed: Some((attr::TOKEN_TYPE, token_type)),
    }
}

const fn lines(lines_type: &'static str) -> MetricTarget {
    MetricTarget {
        canonical: "coding_agent.lines_of_code.count",
        unit: Some("1"),
        seconds: false,
        fixed: Some((attr::LINES_TYPE, lines_type)),
    }
}

/// Every documented metric. Metrics that measure what another already counts (the per-call
/// token histograms next to the usage counters, `gen_ai.execute_tool.duration` next to
/// `github.copilot.tool.call.duration`, `gen_ai.client.operation.duration` next to both agent
/// and tool durations) keep their own names, so no canonical total counts a thing twice.
fn metric_target(name: &str) -> Option<MetricTarget> {
    Some(match name {
        "gen_ai.client.inference.usage.input_tokens" => tokens("input"),
        "gen_ai.client.inference.usage.output_tokens" => tokens("output"),
        "gen_ai.client.inference.usage.cache_read.input_tokens" => tokens("cache_read"),
        "gen_ai.client.inference.usage.cache_write.input_tokens"
        | "gen_ai.client.inference.usage.cache_creation.input_tokens" => tokens("cache_creation"),
        "gen_ai.client.inference.usage.reasoning.output_tokens" => tokens("reasoning"),
        "gen_ai.client.inference.duration" => target("coding_agent.api.request.duration", Some("ms"), true),
        "gen_ai.invoke_agent.duration" => target("coding_agent.turn.duration", Some("ms"), true),
        "github.copilot.tool.call.count" => target("coding_agent.tool.call.count", Some("1"), false),
        "github.copilot.tool.call.duration" => target("coding_agent.tool.call.duration", Some("ms"), true),
        "github.copilot.code.lines_added" => lines("added"),
        "github.copilot.code.lines_removed" => lines("removed"),
        "gen_ai.client.inference.time_to_first_chunk"
        | "gen_ai.client.inference.time_per_output_chunk"
        | "gen_ai.client.operation.duration"
        | "gen_ai.client.operation.time_to_first_chunk"
        | "gen_ai.client.operation.time_per_output_chunk"
        | "gen_ai.invoke_workflow.duration"
        | "gen_ai.execute_tool.duration"
        | "github.copilot.sandbox.spawn.duration" => target(static_name(name), Some("ms"), true),
        "gen_ai.client.inference.operation.input_tokens"
        | "gen_ai.client.inference.operation.output_tokens"
        | "gen_ai.client.token.usage"
        | "gen_ai.invoke_agent.inference_calls"
        | "gen_ai.invoke_agent.tool_calls"
        | "github.copilot.agent.turn.count"
        | "github.copilot.changeboarding.model_nudge.count"
        | "github.copilot.mcp.server.connection.count"
        | "github.copilot.sandbox.operation.count"
        | "github.copilot.sandbox.policy.path.count" => target(static_name(name), None, false),
        _ => return None,
    })
}

/// The documented metric names as `'static` strings (the table above matched them).
fn static_name(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "gen_ai.client.inference.time_to_first_chunk",
        "gen_ai.client.inference.time_per_output_chunk",
        "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
        "gen_ai.invoke_workflow.duration",
        "gen_ai.execute_tool.duration",
        "github.copilot.sandbox.spawn.duration",
        "gen_ai.client.inference.operation.input_tokens",
        "gen_ai.client.inference.operation.output_tokens",
        "gen_ai.client.token.usage",
        "gen_ai.invoke_agent.inference_calls",
        "gen_ai.invoke_agent.tool_calls",
        "github.copilot.agent.turn.count",
        "github.copilot.changeboarding.model_nudge.count",
        "github.copilot.mcp.server.connection.count",
        "github.copilot.sandbox.operation.count",
        "github.copilot.sandbox.policy.path.count",
    ];
    NAMES.iter().copied().find(|it| *it == name).unwrap_or("")
}

/// What a span is, by its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Agent,
    Chat,
    Tool,
    Workflow,
    Plan,
    Unknown,
}

impl Family {
    fn of(span: &Span, item: &Item<'_>) -> Family {
        let by_word = |word: &str| match word {
            "invoke_agent" => Family::Agent,
            "chat" | "text_completion" | "generate_content" => Family::Chat,
            "execute_tool" => Family::Tool,
            "invoke_workflow" => Family::Workflow,
            "plan" => Family::Plan,
            _ => Family::Unknown,
        };
        let first = span.name.split_whitespace().next().unwrap_or("");
        match by_word(first) {
            Family::Unknown => {
                item.attr("gen_ai.operation.name").and_then(|it| it.as_str()).map_or(Family::Unknown, by_word)
            }
            family => family,
        }
    }

    /// The operation word and the attributes that may hold the name following it.
    fn naming(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Family::Agent => ("invoke_agent", &["gen_ai.agent.name"]),
            Family::Chat => ("chat", &["gen_ai.request.model", "gen_ai.response.model"]),
            Family::Tool => ("execute_tool", &["gen_ai.tool.name"]),
            Family::Workflow => ("invoke_workflow", &["gen_ai.workflow.name"]),
            Family::Plan => ("plan", &[]),
            Family::Unknown => ("", &[]),
        }
    }
}

impl Adapter for CopilotCli {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let index = TraceIndex::build(items);
        let mut reported: HashSet<String> = HashSet::new();
        let mut seen_spans: HashSet<(Vec<u8>, Vec<u8>)> = HashSet::new();
        for item in items {
            match item.data {
                ItemData::Span(span) => {
                    if !span.trace_id.is_empty()
                        && !span.span_id.is_empty()
                        && !seen_spans.insert((span.trace_id.clone(), span.span_id.clone()))
                    {
                        out.ignored
                            .push((item.id, "duplicate of an earlier span with the same trace and span id".into()));
                        continue;
                    }
                    map_span(item, span, &index, &mut out, &mut reported);
                }
                ItemData::Point { metric, point } => map_metric(item, &metric.name, point, &mut out, &mut reported),
                ItemData::Log(_) => map_log(item, &mut out, &mut reported),
            }
        }
        out
    }

    /// Log records are kept as passthrough by `map_log` from themselves alone, and the trace
    /// index reads spans only.
    fn may_join_other_items(&self, item: &Item<'_>) -> bool {
        !matches!(item.data, ItemData::Log(_))
    }
}

/// One model round: trace, parent span, interaction id and `github.copilot.turn_id`.
type RoundKey = (Vec<u8>, Vec<u8>, String, String);

/// Facts that need more than one span: each trace's session, and attempt numbers of chats.
#[derive(Default)]
struct TraceIndex {
    /// Trace id → (start time, `gen_ai.conversation.id`) of its earliest span that has one
    /// (ties by id), so the choice does not depend on the order spans arrived in.
    sessions: HashMap<Vec<u8>, (u64, String)>,
    /// Chat span item → its 1-based attempt within its model round.
    attempts: HashMap<ItemId, i64>,
    /// (trace id, span id) → parent span id, to walk up from a span to its turn.
    parents: HashMap<(Vec<u8>, Vec<u8>), Vec<u8>>,
    /// (trace id, span id) of each span with a user message → the message's interaction id.
    prompts: HashMap<(Vec<u8>, Vec<u8>), String>,
}

impl TraceIndex {
    fn build(items: &[Item<'_>]) -> TraceIndex {
        let mut index = TraceIndex::default();
        // (trace, parent span, interaction id, turn id) → (start time, span id, item) of each
        // chat: ties in start time go by span id, not by arrival order.
        let mut rounds: HashMap<RoundKey, Vec<(u64, Vec<u8>, ItemId)>> = HashMap::new();
        let mut seen: HashSet<(Vec<u8>, Vec<u8>)> = HashSet::new();
        for item in items {
            let ItemData::Span(span) = item.data else { continue };
            if !span.span_id.is_empty() && !seen.insert((span.trace_id.clone(), span.span_id.clone())) {
                continue;
            }
            if !span.span_id.is_empty() {
                let key = (span.trace_id.clone(), span.span_id.clone());
                if !span.parent_span_id.is_empty() {
                    let _ = index.parents.insert(key.clone(), span.parent_span_id.clone());
                }
                let interaction = span
                    .events
                    .iter()
                    .filter(|it| it.name == USER_MESSAGE_EVENT)
                    .find_map(|it| crate::otlp::find_attr(&it.attributes, "github.copilot.user.message.interaction_id"))
                    .and_then(as_string)
                    .filter(|it| !it.is_empty());
                if let Some(interaction) = interaction {
                    let _ = index.prompts.insert(key, interaction);
                }
            }
            if let Some(session) = text(item, "gen_ai.conversation.id") {
                if !span.trace_id.is_empty() {
                    let candidate = (span.start_time_unix_nano, session);
                    let earliest = index.sessions.entry(span.trace_id.clone()).or_insert_with(|| candidate.clone());
                    if candidate < *earliest {
                        *earliest = candidate;
                    }
                }
            }
            if Family::of(span, item) == Family::Chat {
                if let (Some(interaction), Some(turn)) =
                    (text(item, "github.copilot.interaction_id"), text(item, "github.copilot.turn_id"))
                {
                    let key = (span.trace_id.clone(), span.parent_span_id.clone(), interaction, turn);
                    rounds.entry(key).or_default().push((span.start_time_unix_nano, span.span_id.clone(), item.id));
                }
            }
        }
        for mut calls in rounds.into_values() {
            calls.sort();
            for (position, (_, _, id)) in calls.into_iter().enumerate() {
                let _ = index.attempts.insert(id, position as i64 + 1);
            }
        }
        index
    }

    fn session(&self, item: &Item<'_>, span: &Span) -> Option<String> {
        text(item, "gen_ai.conversation.id").or_else(|| self.sessions.get(&span.trace_id).map(|(_, session)| session.clone()))
    }

    /// The interaction id of the nearest enclosing span with a user message (tool spans carry
    /// none of their own; their turn does).
    fn prompt_of_ancestors(&self, span: &Span) -> Option<String> {
        let mut current = span.parent_span_id.clone();
        // Bounded: a malformed capture may hold a parent cycle.
        for _ in 0..32 {
            if current.is_empty() {
                return None;
            }
            let key = (span.trace_id.clone(), current);
            if let Some(prompt) = self.prompts.get(&key) {
                return Some(prompt.clone());
            }
            current = self.parents.get(&key)?.clone();
        }
        None
    }
}

/// A non-empty attribute as text.
fn text(item: &Item<'_>, key: &str) -> Option<String> {
    item.attr(key).and_then(as_string).filter(|it| !it.is_empty())
}

/// Whether `word` looks like a name (an operation, model, tool or event name), not free text.
fn name_like(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 96
        && word.chars().all(|it| it.is_ascii_alphanumeric() || matches!(it, '.' | '_' | '-' | ':' | '/' | '@'))
}

/// The span name as this adapter reports it (see the module doc's rules): only words known
/// to be names survive, so a span name can never carry a command or a path into metadata.
fn report_name(family: Family, span: &Span, item: &Item<'_>) -> String {
    let mut words = span.name.split_whitespace();
    let first = words.next().unwrap_or("");
    let (operation, name_keys) = family.naming();
    if family == Family::Unknown {
        return if name_like(first) { first.to_owned() } else { "span".to_owned() };
    }
    match words.next() {
        Some(second)
            if name_like(second)
                && name_keys.iter().any(|key| item.attr(key).and_then(|it| it.as_str()) == Some(second)) =>
        {
            format!("{operation} {second}")
        }
        _ => operation.to_owned(),
    }
}

/// Sets what every record carries: resource facts, then the item's attribute table.
fn common(
    builder: &mut RecordBuilder,
    item: &Item<'_>,
    attributes: &[KeyValue],
    consumed: &[&str],
    out: &mut Normalized,
) {
    for (key, canonical) in [
        ("service.name", attr::SERVICE_NAME),
        ("os.type", attr::OS_TYPE),
        ("os.version", attr::OS_VERSION),
        ("host.arch", attr::HOST_ARCH),
        ("host.name", attr::HOST_NAME),
    ] {
        let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
    }
    let version = item
        .resource_attr("service.version")
        .and_then(as_string)
        .filter(|it| !it.is_empty())
        .or_else(|| Some(item.scope.version.to_string()).filter(|it| !it.is_empty()));
    let _ = builder.set_opt(attr::VENDOR_VERSION, version.map(Value::Str));
    for kv in &item.resource.attributes {
        match kv.key.as_str() {
            "service.name" | "service.version" | "os.type" | "os.version" | "host.arch" | "host.name" => {}
            // `copilot-otel-<pid>-0` and the client kind: ids, not content.
            "service.instance.id" | "client.kind" => {
                let _ = builder.vendor_metadata_owned(resource_key(&kv.key), &kv.value);
            }
            _ => {
                let _ = builder.vendor_attr_owned(resource_key(&kv.key), &kv.value);
            }
        }
    }
    apply_rules(builder, item, attributes, RULES, consumed, &mut out.findings, VENDOR);
}

fn span_facts(builder: &mut RecordBuilder, span: &Span) {
    if span.start_time_unix_nano != 0 && span.end_time_unix_nano >= span.start_time_unix_nano {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(i64::try_from(millis).unwrap_or(i64::MAX)));
    }
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
}

fn map_span(item: &Item<'_>, span: &Span, index: &TraceIndex, out: &mut Normalized, reported: &mut HashSet<String>) {
    let family = Family::of(span, item);
    let failed = span.status_code == 2 || text(item, "error.type").is_some();
    let kind = match family {
        Family::Agent => RecordKind::Turn,
        Family::Chat if failed => RecordKind::ApiError,
        Family::Chat => RecordKind::LlmCall,
        Family::Tool => RecordKind::ToolCall,
        Family::Workflow | Family::Plan | Family::Unknown => RecordKind::Passthrough,
    };
    let name = report_name(family, span, item);
    if family == Family::Unknown && reported.insert(format!("span {name}")) {
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
    let session = index.session(item, span);
    // Passthrough spans go through the attribute table too (not `passthrough`), so known
    // content and metadata are classed like everywhere else.
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &name);
    let _ = builder.session(session.clone());
    let mut consumed: Vec<&str> = CONSUMED.to_vec();
    if family != Family::Chat {
        consumed.extend_from_slice(USAGE_KEYS);
    }
    common(&mut builder, item, item.attributes(), &consumed, out);
    span_facts(&mut builder, span);
    if name != span.name {
        let _ = builder.vendor_attr("span.name", &AnyValue::String(span.name.clone()));
    }
    if family != Family::Chat {
        // Sums over the span's children: declared metadata under a name that says so.
        for key in USAGE_KEYS {
            if let Some(value) = item.attr(key).filter(|it| !matches!(it, AnyValue::Empty)) {
                let _ = builder.vendor_metadata(&format!("aggregate.{key}"), value);
            }
        }
    }
    match family {
        Family::Chat => chat_details(&mut builder, item, index, out),
        Family::Tool => tool_details(&mut builder, item, failed),
        _ => {}
    }
    // The turn's prompt: the user text of its input messages, placed on its first
    // `user_prompt` record, or on the turn when it has none.
    let prompt_text = (family == Family::Agent)
        .then(|| {
            item.attr("gen_ai.input.messages")
                .and_then(|it| it.as_str())
                .and_then(|it| message_text(it, "user", Which::Last))
        })
        .flatten()
        .map(|it| strip_datetime(&it));
    if family == Family::Agent {
        if let Some(answer) = item
            .attr("gen_ai.output.messages")
            .and_then(|it| it.as_str())
            .and_then(|it| message_text(it, "assistant", Which::All))
        {
            let _ = builder.set(attr::RESPONSE_LENGTH, Value::Int(answer.chars().count() as i64));
            let _ = builder.set(attr::RESPONSE_TEXT, Value::Str(answer));
        }
    }
    let mut prompt_text = prompt_text;
    let mut extra = Vec::new();
    for event in &span.events {
        if FOLDED_EVENTS.contains(&event.name.as_str()) {
            apply_rules(&mut builder, item, &event.attributes, RULES, CONSUMED, &mut out.findings, VENDOR);
            continue;
        }
        let mut event_builder = event_record(item, event, session.clone(), out, reported);
        if event.name == USER_MESSAGE_EVENT {
            if let Some(prompt) = prompt_text.take() {
                let _ = event_builder.set(attr::PROMPT_LENGTH, Value::Int(prompt.chars().count() as i64));
                let _ = event_builder.set(attr::PROMPT_TEXT, Value::Str(prompt));
            }
            // The turn belongs to the prompt that started it.
            if !builder.has(attr::PROMPT_ID) {
                let _ = builder.set_opt(attr::PROMPT_ID, event_builder.get(attr::PROMPT_ID).cloned());
            }
        }
        extra.push(event_builder.finish());
    }
    if let Some(prompt) = prompt_text {
        let _ = builder.set(attr::PROMPT_LENGTH, Value::Int(prompt.chars().count() as i64));
        let _ = builder.set(attr::PROMPT_TEXT, Value::Str(prompt));
    }
    if !builder.has(attr::PROMPT_ID) {
        let _ = builder.set_opt(attr::PROMPT_ID, index.prompt_of_ancestors(span).map(Value::Str));
    }
    // The status message says less than an exception event's message: it comes last.
    if span.status_code == 2 && !span.status_message.is_empty() && !builder.has(attr::ERROR_MESSAGE) {
        let _ = builder.set(attr::ERROR_MESSAGE, Value::Str(span.status_message.to_string()));
    }
    out.records.push(builder.finish());
    out.records.extend(extra);
}

/// A record of its own for a span event: `user_prompt` for the user message, `passthrough`
/// otherwise (with a finding when the event is not documented).
fn event_record(
    item: &Item<'_>,
    event: &SpanEvent,
    session: Option<String>,
    out: &mut Normalized,
    reported: &mut HashSet<String>,
) -> RecordBuilder {
    let name = if name_like(&event.name) { event.name.to_string() } else { "span_event".to_owned() };
    let kind = if event.name == USER_MESSAGE_EVENT { RecordKind::UserPrompt } else { RecordKind::Passthrough };
    if kind == RecordKind::Passthrough
        && !KNOWN_PASSTHROUGH_EVENTS.contains(&event.name.as_str())
        && reported.insert(format!("event {name}"))
    {
        out.findings.push(
            Finding::new(
                "unknown_span_event_name",
                Level::Improvement,
                format!("span event `{name}` is not in the adapter's list; kept as passthrough"),
            )
            .for_vendor(VENDOR)
            .at(item.location("events")),
        );
    }
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &name);
    let _ = builder.session(session).time(Some(event.time_unix_nano).filter(|it| *it != 0).or(item.time_unix_nano()));
    common(&mut builder, item, &event.attributes, CONSUMED, out);
    if name != event.name {
        let _ = builder.vendor_attr("event.name", &AnyValue::String(event.name.clone()));
    }
    builder
}

fn chat_details(builder: &mut RecordBuilder, item: &Item<'_>, index: &TraceIndex, out: &mut Normalized) {
    if let Some(seconds) = item.attr("gen_ai.response.time_to_first_chunk").and_then(as_f64) {
        if seconds.is_finite() && seconds >= 0.0 {
            let _ = builder.set(attr::TTFT_MS, Value::Int((seconds * 1000.0).round() as i64));
        }
    }
    if let Some(attempt) = index.attempts.get(&item.id) {
        let _ = builder.set(attr::ATTEMPT, Value::Int(*attempt));
    }
    let count = |builder: &RecordBuilder, key| match builder.get(key) {
        Some(Value::Int(it)) => Some(*it),
        _ => None,
    };
    // Input includes cache in OTel GenAI and in every observed Copilot call; a call that
    // reports more cached than total input tokens cannot, so its input is the uncached part.
    if let Some(input) = count(builder, attr::INPUT_TOKENS) {
        let cached = count(builder, attr::CACHE_READ_INPUT_TOKENS).unwrap_or(0)
            + count(builder, attr::CACHE_CREATION_INPUT_TOKENS).unwrap_or(0);
        if cached > input {
            let _ = builder.set(attr::INPUT_TOKENS, Value::Int(input.saturating_add(cached)));
            out.findings.push(
                Finding::new(
                    "input_tokens_exclude_cache",
                    Level::Information,
                    "a call reports more cache tokens than input tokens; its input was read as uncached and the cache tokens added",
                )
                .for_vendor(VENDOR)
                .at(item.location("gen_ai.usage.input_tokens")),
            );
        }
    }
}

/// What a tool does, from its name.
fn tool_category(name: &str) -> &'static str {
    let shell = |base: &str| matches!(base, "bash" | "powershell" | "shell" | "pwsh");
    match name {
        _ if shell(name) => "shell",
        _ if ["read_", "write_", "stop_", "list_"]
            .iter()
            .any(|prefix| name.strip_prefix(prefix).is_some_and(shell)) =>
        {
            "shell"
        }
        "view" | "read_file" | "show_file" => "read",
        "edit" | "create" | "apply_patch" | "str_replace_editor" | "str_replace" | "write_file" => "edit",
        "glob" | "grep" | "rg" | "search" => "search",
        "web_fetch" | "web_search" | "fetch" => "web",
        "task" | "read_agent" | "list_agents" | "write_agent" => "agent",
        _ => "other",
    }
}

fn tool_details(builder: &mut RecordBuilder, item: &Item<'_>, failed: bool) {
    let _ = builder.set(attr::SUCCESS, Value::Bool(!failed));
    // A call the permission rules refused (`--deny-tool`) fails with `error.type` `denied`
    // (`search_tools`): the only trace of the decision, as no event reports it.
    if text(item, "error.type").as_deref() == Some("denied") {
        let _ = builder.set(attr::DECISION, Value::Str("reject".to_owned()));
    }
    let mcp = [
        "github.copilot.tool.parameters.mcp_server_name",
        "github.copilot.tool.parameters.mcp_server_name_hash",
        "github.copilot.tool.parameters.mcp_tool_name",
    ]
    .iter()
    .any(|key| item.attr(key).is_some());
    if mcp {
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str("mcp".to_owned()));
        let _ = builder.set(attr::TOOL_SOURCE, Value::Str("mcp".to_owned()));
    } else if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    // The command and path out of the arguments, when the CLI sent them (content keys).
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS]);
}

/// Which messages of a role to read.
#[derive(Clone, Copy)]
enum Which {
    /// The last one (the user message that started a turn, not the history before it).
    Last,
    /// All of them (every answer of the turn).
    All,
}

/// The text parts of the messages of `role` in a GenAI messages JSON (`[{role, parts: [{type:
/// "text", content}]}]`), joined by blank lines; `None` when there is none or it does not parse.
fn message_text(messages: &str, role: &str, which: Which) -> Option<String> {
    let serde_json::Value::Array(messages) = serde_json::from_str::<serde_json::Value>(messages).ok()? else {
        return None;
    };
    let of_role: Vec<&serde_json::Value> =
        messages.iter().filter(|message| message.get("role").and_then(|it| it.as_str()) == Some(role)).collect();
    let chosen = match which {
        Which::Last => &of_role[of_role.len().saturating_sub(1)..],
        Which::All => &of_role[..],
    };
    let texts: Vec<&str> = chosen
        .iter()
        .filter_map(|message| message.get("parts").and_then(|it| it.as_array()))
        .flatten()
        .filter(|part| part.get("type").and_then(|it| it.as_str()) == Some("text"))
        .filter_map(|part| part.get("content").and_then(|it| it.as_str()))
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

/// Removes the `<current_datetime>…</current_datetime>` block the CLI puts before the prompt.
fn strip_datetime(prompt: &str) -> String {
    const OPEN: &str = "<current_datetime>";
    const CLOSE: &str = "</current_datetime>";
    let trimmed = prompt.trim_start();
    if let Some(rest) = trimmed.strip_prefix(OPEN) {
        if let Some(end) = rest.find(CLOSE) {
            return rest[end + CLOSE.len()..].trim_start().to_owned();
        }
    }
    prompt.to_owned()
}

/// Seconds to milliseconds, kept to the microsecond.
fn seconds_to_millis(seconds: f64) -> Value {
    plain_number((seconds * 1_000_000.0).round() / 1000.0)
}

fn map_metric(item: &Item<'_>, name: &str, point: Point<'_>, out: &mut Normalized, reported: &mut HashSet<String>) {
    let target = match metric_target(name) {
        Some(it) => it,
        None => {
            if reported.insert(format!("metric {name}")) {
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
            MetricTarget { canonical: "", unit: None, seconds: false, fixed: None }
        }
    };
    let canonical = if target.canonical.is_empty() { name } else { target.canonical };
    let own_unit = match item.data {
        ItemData::Point { metric, .. } => metric.unit.to_string(),
        _ => String::new(),
    };
    let unit = target.unit.map_or(own_unit, str::to_owned);
    let value_conv = if target.seconds { seconds_to_millis } else { plain_number };
    let mut builder = metric_record(VENDOR, RecordKind::MetricPoint, item, canonical, &unit, value_conv);
    common(&mut builder, item, item.attributes(), CONSUMED, out);
    if let Some((key, value)) = target.fixed {
        let _ = builder.set(key, Value::Str(value.to_owned()));
    }
    let count = match point {
        Point::Histogram(it) => Some(it.count),
        Point::ExponentialHistogram(it) => Some(it.count),
        Point::Summary(it) => Some(it.count),
        Point::Number(_) => None,
    };
    if let Some(count) = count {
        let _ = builder.set(attr::METRIC_COUNT, Value::Int(i64::try_from(count).unwrap_or(i64::MAX)));
    }
    out.records.push(builder.finish());
}

/// The CLI sends no logs; one that arrives anyway is kept as passthrough (attributes
/// default-deny, the body not read) and reported once.
fn map_log(item: &Item<'_>, out: &mut Normalized, reported: &mut HashSet<String>) {
    if reported.insert("log".to_owned()) {
        out.findings.push(
            Finding::new(
                "unexpected_log_record",
                Level::Improvement,
                "the Copilot CLI exports no logs; a log record was kept as passthrough",
            )
            .for_vendor(VENDOR)
            .at(item.location("")),
        );
    }
    let name = text(item, "event.name").filter(|it| name_like(it)).unwrap_or_else(|| "log_record".to_owned());
    let mut builder = passthrough(VENDOR, item, &name);
    let _ = builder.session(text(item, "gen_ai.conversation.id").or_else(|| text(item, "session.id")));
    out.records.push(builder.finish());
}
