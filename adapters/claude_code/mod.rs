//! Claude Code (`@anthropic-ai/claude-code`): events (logs), metrics and beta spans.
//!
//! ## What it maps
//! - Events (scope `com.anthropic.claude_code.events`; body `claude_code.<name>`, attribute
//!   `event.name` = `<name>`): `user_prompt` → `user_prompt`, `assistant_response` →
//!   `assistant_response`, `api_request` → `llm_call`, `api_error`, `api_refusal` and
//!   `api_retries_exhausted` → `api_error`, `tool_result` → `tool_call`, `tool_decision` →
//!   `tool_decision`, `api_request_body`/`api_response_body` → `passthrough` carrying the body
//!   as content; every other documented event → `passthrough` (no finding); an undocumented
//!   event → `passthrough` with an `unknown_event_name` finding.
//! - Metrics (scope `com.anthropic.claude_code`): every point → `metric_point`, except
//!   `claude_code.commit.count` → `commit` and `claude_code.pull_request.count` →
//!   `pull_request`. Cost points are converted from USD to exact micro-USD.
//! - Spans (scope `com.anthropic.claude_code.tracing`, only with
//!   `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1`): `claude_code.interaction` → `turn`;
//!   `claude_code.llm_request` → `llm_call`, `claude_code.tool` → `tool_call`,
//!   `claude_code.tool.blocked_on_user` → `tool_decision`, unless an event describes the same
//!   call (same request id or tool use id): then the span is *ignored* with that reason, so a
//!   call is never counted twice; `claude_code.tool.execution` and `claude_code.hook` →
//!   `passthrough` with their known attributes mapped.
//!
//! ## Rules
//! - Tokens: Claude Code's `input_tokens` excludes cache reads and cache creation (Anthropic
//!   usage semantics); `gen_ai.usage.input_tokens` is their sum. Token metric points keep the
//!   vendor's split, named in the canonical vocabulary: its `input` is `input_uncached`.
//! - Cost: `cost_usd_micros` when sent, else `cost_usd` converted exactly.
//! - Model: kept raw in `coding_agent.model.raw` when it differs from the normalized
//!   `gen_ai.request.model` (metrics say `claude-opus-4-8[1m]`, events `claude-opus-4-8`).
//! - User identity: the record's own `user.id`, `user.email`, `user.account_uuid` /
//!   `user.account_id` and `organization.id` win; the resource's are used only when the
//!   record has none; when both are set and differ, the record's wins and a
//!   `user_id_conflict` finding says so.
//! - Content (prompt, response, tool parameters and input, commands, file paths, error text,
//!   raw API bodies) goes into content keys; `<REDACTED>` placeholders are not content and are
//!   dropped, so absent stays absent.
//!
//! ## Vendor quirks
//! - Numbers as strings: `prompt_length`, hook counters, `success` (`"true"`) arrive as
//!   `stringValue` next to genuine `intValue`s in the same record (every capture under
//!   `corpus/claude_code/`; see `text_answer`); they are coerced.
//! - `event.timestamp` repeats the record time as ISO-8601 text; it is dropped.
//! - `OTEL_SERVICE_NAME` rewrites `service.name` but not the scopes, so detection by scope
//!   still finds Claude Code (`service_name_leak`), with a finding.

use std::collections::{HashMap, HashSet};

use crate::adapter::{
    apply_rules, as_i64, as_string, command_and_path_from_arguments, keep, metric_record, passthrough, plain_number,
    resource_key, rule, usd_number_to_micros, Adapter, AttrRule, Conv, Item, ItemData, Normalized, RecordBuilder,
    Signature,
};
use crate::finding::{Finding, Level};
use crate::otlp::{AnyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// The Claude Code adapter.
pub struct ClaudeCode;

const VENDOR: &str = "claude_code";

static SIGNATURE: Signature = Signature {
    scope_prefixes: &["com.anthropic.claude_code"],
    service_names: &["claude-code", "claude-code-desktop"],
    name_prefixes: &["claude_code."],
};

/// Attributes every Claude Code record may carry.
const STANDARD: &[AttrRule] = &[
    rule("app.version", attr::VENDOR_VERSION, Conv::Str),
    rule("app.entrypoint", attr::ENTRYPOINT, Conv::Str),
    rule("terminal.type", attr::TERMINAL_TYPE, Conv::Str),
    rule("prompt.id", attr::PROMPT_ID, Conv::Str),
    rule("event.sequence", attr::EVENT_SEQUENCE, Conv::Int),
    rule("model", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("query_source", attr::QUERY_SOURCE, Conv::Str),
    rule("speed", attr::SPEED, Conv::Str),
    rule("effort", attr::EFFORT, Conv::Str),
    rule("request_id", attr::REQUEST_ID, Conv::Str),
    rule("duration_ms", attr::DURATION_MS, Conv::Int),
    rule("ttft_ms", attr::TTFT_MS, Conv::Int),
    rule("attempt", attr::ATTEMPT, Conv::Int),
    rule("status_code", attr::HTTP_STATUS_CODE, Conv::Int),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("tool_name", attr::TOOL_NAME, Conv::Str),
    rule("tool_use_id", attr::TOOL_CALL_ID, Conv::Str),
    rule("gen_ai.tool.call.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("tool_source", attr::TOOL_SOURCE, Conv::Str),
    rule("decision", attr::DECISION, Conv::Str),
    rule("decision_type", attr::DECISION, Conv::Str),
    rule("source", attr::DECISION_SOURCE, Conv::Str),
    rule("decision_source", attr::DECISION_SOURCE, Conv::Str),
    rule("tool_input_size_bytes", attr::TOOL_INPUT_SIZE, Conv::Int),
    rule("tool_result_size_bytes", attr::TOOL_RESULT_SIZE, Conv::Int),
    rule("tool_parameters", attr::TOOL_PARAMETERS, Conv::Str),
    rule("tool_input", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("full_command", attr::SHELL_COMMAND, Conv::Str),
    rule("file_path", attr::FILE_PATH, Conv::Str),
    rule("error", attr::ERROR_MESSAGE, Conv::Str),
    rule("error_type", attr::ERROR_TYPE, Conv::Str),
    rule("prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("user_prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("prompt_text", attr::PROMPT_TEXT, Conv::Str),
    rule("user_prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("response_length", attr::RESPONSE_LENGTH, Conv::Int),
    rule("response", attr::RESPONSE_TEXT, Conv::Str),
    rule("command_name", attr::COMMAND_NAME, Conv::Str),
    rule("output_tokens", attr::OUTPUT_TOKENS, Conv::Int),
    rule("cache_read_tokens", attr::CACHE_READ_INPUT_TOKENS, Conv::Int),
    rule("cache_creation_tokens", attr::CACHE_CREATION_INPUT_TOKENS, Conv::Int),
    rule("cost_usd_micros", attr::COST_USD_MICROS, Conv::Int),
    rule("cost_usd", attr::COST_USD_MICROS, Conv::UsdToMicros),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule("gen_ai.response.finish_reasons", attr::FINISH_REASONS, Conv::StrList),
    rule("interaction.sequence", attr::INTERACTION_SEQUENCE, Conv::Int),
    rule("interaction.duration_ms", attr::DURATION_MS, Conv::Int),
    rule("body_length", attr::API_BODY_LENGTH, Conv::Int),
    rule("body", attr::API_BODY, Conv::Str),
    rule("body_ref", attr::FILE_PATH, Conv::Str),
    rule("start_type", attr::SESSION_START_TYPE, Conv::Str),
    rule("language", attr::LANGUAGE, Conv::Str),
    // Vendor attributes known to be metadata: ids, enumerations, product names.
    keep("anthropic.provider"),
    keep("anthropic.custom_base_url"),
    keep("message.uuid"),
    keep("client_request_id"),
    keep("permission_mode"),
    keep("command_source"),
    keep("mcp_server_scope"),
    keep("plugin.name"),
    keep("plugin.version"),
    keep("plugin.scope"),
    keep("plugin_id_hash"),
    keep("marketplace.name"),
    keep("enabled_via"),
    keep("safe_mode"),
    keep("is_plugin"),
    keep("status"),
    keep("transport_type"),
    keep("server_scope"),
    keep("trigger"),
    keep("from_mode"),
    keep("to_mode"),
    keep("hook_event"),
    keep("hook_type"),
    keep("hook_source"),
    keep("agent_type"),
    keep("error_code"),
    keep("error_name"),
    keep("auth_method"),
    keep("action"),
    keep("mention_type"),
    keep("cache_creation_5m_tokens"),
    keep("cache_creation_1h_tokens"),
    keep("managed_settings.trigger"),
    keep("managed_settings.source_behavior"),
    keep("managed_settings.helper.state"),
    keep("managed_settings.helper.applied"),
    keep("query_source_safe"),
    keep("tool_name_safe"),
    keep("bash_command_class"),
    keep("gen_ai.operation.name"),
    keep("gen_ai.provider.name"),
    keep("gen_ai.conversation.id"),
    keep("llm_request.context"),
    keep("stop_reason"),
    keep("response.has_tool_call"),
    keep("agent_id"),
    keep("parent_agent_id"),
    keep("message.id"),
    keep("request_body_id"),
    keep("parent.source"),
];

/// Keys read by hand (identity, session, names, uncached input tokens) or dropped as
/// redundant (`event.timestamp`, `span.type`).
const CONSUMED: &[&str] = &[
    "session.id",
    "user.id",
    "user.email",
    "user.account_uuid",
    "user.account_id",
    "organization.id",
    "event.name",
    "event.timestamp",
    "span.type",
    "input_tokens",
    "gen_ai.system",
    "type",
];

/// Documented events with no canonical home: passthrough, no finding.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "permission_mode_changed",
    "auth",
    "mcp_server_connection",
    "internal_error",
    "plugin_installed",
    "plugin_loaded",
    "skill_activated",
    "at_mention",
    "hook_registered",
    "hook_execution_start",
    "hook_execution_complete",
    "hook_plugin_metrics",
    "compaction",
    "subagent_completed",
    "feedback_survey",
    "retention_sweep",
    "startup",
    "exit",
    "managed_settings_resolved",
];

const REDACTED_PLACEHOLDERS: &[&str] = &["<REDACTED>", "[REDACTED]"];

impl Adapter for ClaudeCode {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let mut unknown_names: HashSet<String> = HashSet::new();
        // Events and metrics first: spans that describe the same call are merged into the
        // event's record, whichever signal arrived first. Content order, not arrival order:
        // when two events name one call id, which one a span completes must not depend on
        // how the exporter batched them.
        let ordered = crate::adapter::in_content_order(items);
        for item in ordered.iter().copied() {
            match item.data {
                ItemData::Log(record) => map_event(item, record, &mut out, &mut unknown_names),
                ItemData::Point { metric, .. } => map_metric(item, &metric.name, &mut out, &mut unknown_names),
                ItemData::Span(_) => {}
            }
        }
        let twins = EventTwins::index(&out, items);
        // Spans merge into their event twin in content order (start, end, ids), not arrival
        // order: when a tool span and its execution child both describe one tool use, what
        // the first adds wins, and that must not depend on how the exporter batched them.
        let spans = ordered.iter().filter_map(|item| match item.data {
            ItemData::Span(span) => Some((*item, span)),
            _ => None,
        });
        for (item, span) in spans {
            map_span(item, span, &twins, &mut out, &mut unknown_names);
        }
        out
    }

    /// Only spans and the events a span can merge into ([`EventTwins`]) join other items;
    /// every other event is mapped by `map_event` from itself alone. Metric points are left at
    /// the default: their records are indexed with the events'.
    fn may_join_other_items(&self, item: &Item<'_>) -> bool {
        match item.data {
            ItemData::Log(record) => match event_name(record) {
                Some(name) => TWIN_EVENTS.contains(&name.as_str()),
                None => false,
            },
            ItemData::Point { .. } | ItemData::Span(_) => true,
        }
    }
}

/// The events a span can describe too (the names [`EventTwins::index`] looks for).
const TWIN_EVENTS: [&str; 4] = ["api_request", "api_error", "tool_result", "tool_decision"];

/// Where the event records of each call are, so a span describing the same call adds its
/// details to that record instead of counting the call twice.
#[derive(Default)]
struct EventTwins {
    /// Request id or client request id → index of the `api_request`/`api_error` record.
    calls: HashMap<String, usize>,
    /// Tool use id → index of the `tool_result` record.
    tool_results: HashMap<String, usize>,
    /// Tool use id → index of the `tool_decision` record.
    tool_decisions: HashMap<String, usize>,
    /// Span id of each `claude_code.tool` span → its tool use id (children carry none).
    tool_span_ids: HashMap<Vec<u8>, String>,
}

impl EventTwins {
    fn index(out: &Normalized, items: &[Item<'_>]) -> EventTwins {
        let mut twins = EventTwins::default();
        for (index, record) in out.records.iter().enumerate() {
            let name = record.source.as_ref().map(|it| it.name.as_str()).unwrap_or("");
            let text = |key: &str| match record.attributes.get(key) {
                Some(Value::Str(it)) if !it.is_empty() => Some(it.clone()),
                _ => None,
            };
            match name {
                "claude_code.api_request" | "claude_code.api_error" => {
                    if let Some(id) = text(attr::REQUEST_ID) {
                        let _ = twins.calls.insert(id, index);
                    }
                    if let Some(Value::Str(id)) = record.vendor_attributes.get("client_request_id") {
                        let _ = twins.calls.insert(id.clone(), index);
                    }
                }
                "claude_code.tool_result" => {
                    if let Some(id) = text(attr::TOOL_CALL_ID) {
                        let _ = twins.tool_results.insert(id, index);
                    }
                }
                "claude_code.tool_decision" => {
                    if let Some(id) = text(attr::TOOL_CALL_ID) {
                        let _ = twins.tool_decisions.insert(id, index);
                    }
                }
                _ => {}
            }
        }
        for item in items {
            let ItemData::Span(span) = item.data else { continue };
            if span.name == "claude_code.tool" && !span.span_id.is_empty() {
                let id = ["tool_use_id", "gen_ai.tool.call.id"]
                    .iter()
                    .find_map(|key| item.attr(key).and_then(as_string).filter(|it| !it.is_empty()));
                if let Some(id) = id {
                    let _ = twins.tool_span_ids.insert(span.span_id.clone(), id);
                }
            }
        }
        twins
    }

    /// The event record describing the same call as `span`, with a sentence saying which.
    fn twin_of(&self, item: &Item<'_>, span: &Span) -> Option<(usize, String)> {
        let text = |key: &str| item.attr(key).and_then(as_string).filter(|it| !it.is_empty());
        let tool_use_id = || {
            text("tool_use_id")
                .or_else(|| text("gen_ai.tool.call.id"))
                .or_else(|| self.tool_span_ids.get(&span.parent_span_id).cloned())
        };
        match span.name.as_str() {
            "claude_code.llm_request" => ["request_id", "client_request_id"].iter().find_map(|key| {
                let id = text(key)?;
                let index = *self.calls.get(&id)?;
                Some((index, "merged into the api_request event of the same request".to_owned()))
            }),
            "claude_code.tool" | "claude_code.tool.execution" => {
                let id = tool_use_id()?;
                let index = *self.tool_results.get(&id)?;
                Some((index, "merged into the tool_result event of the same tool use".to_owned()))
            }
            "claude_code.tool.blocked_on_user" => {
                let id = tool_use_id()?;
                let index = *self.tool_decisions.get(&id)?;
                Some((index, "merged into the tool_decision event of the same tool use".to_owned()))
            }
            _ => None,
        }
    }
}

/// The unprefixed event name: attribute `event.name`, else the body without `claude_code.`.
fn event_name(record: &LogRecord) -> Option<String> {
    if let Some(AnyValue::String(name)) = crate::otlp::find_attr(&record.attributes, "event.name") {
        return Some(name.strip_prefix("claude_code.").unwrap_or(name).to_owned());
    }
    match &record.body {
        Some(AnyValue::String(body)) => body.strip_prefix("claude_code.").map(str::to_owned),
        _ => None,
    }
}

/// Sets what every record carries: session, identity (by the stated rule), resource facts,
/// then the attribute table.
fn common(builder: &mut RecordBuilder, item: &Item<'_>, out: &mut Normalized) {
    let _ = builder.session(item.attr("session.id").and_then(as_string));
    identity(builder, item, out);
    for (key, canonical) in [
        ("service.name", attr::SERVICE_NAME),
        ("os.type", attr::OS_TYPE),
        ("os.version", attr::OS_VERSION),
        ("host.arch", attr::HOST_ARCH),
    ] {
        let _ = builder.set_opt(canonical, item.resource_attr(key).and_then(as_string).map(Value::Str));
    }
    let _ = builder.set_opt(attr::HOST_NAME, item.resource_attr("host.name").and_then(as_string).map(Value::Str));
    apply_rules(builder, item, item.attributes(), STANDARD, CONSUMED, &mut out.findings, VENDOR);
    // The CLI version: the record's `app.version` when sent, else the resource's.
    if !builder.has(attr::VENDOR_VERSION) {
        let _ =
            builder.set_opt(attr::VENDOR_VERSION, item.resource_attr("service.version").and_then(as_string).map(Value::Str));
    }
    for kv in &item.resource.attributes {
        let mapped = matches!(
            kv.key.as_str(),
            "service.name" | "service.version" | "os.type" | "os.version" | "host.arch" | "host.name"
        ) || IDENTITY_KEYS.iter().any(|(key, _)| *key == kv.key);
        if !mapped {
            let _ = builder.vendor_attr_owned(resource_key(&kv.key), &kv.value);
        }
    }
    drop_placeholders(builder);
}

const IDENTITY_KEYS: &[(&str, &str)] = &[
    ("user.id", attr::USER_ID),
    ("user.email", attr::USER_EMAIL),
    ("user.account_uuid", attr::USER_ACCOUNT_ID),
    ("user.account_id", attr::USER_ACCOUNT_ID),
    ("organization.id", attr::ORGANIZATION_ID),
];

fn identity(builder: &mut RecordBuilder, item: &Item<'_>, out: &mut Normalized) {
    for (key, canonical) in IDENTITY_KEYS {
        if builder.has(canonical) {
            continue;
        }
        let own = item.attr(key).and_then(as_string).filter(|it| !it.is_empty());
        let resource = item.resource_attr(key).and_then(as_string).filter(|it| !it.is_empty());
        if let (Some(own), Some(resource)) = (&own, &resource) {
            if own != resource {
                out.findings.push(
                    Finding::new(
                        "user_id_conflict",
                        Level::Improvement,
                        format!("`{key}` differs between the record and its resource; the record's value is used"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location(key)),
                );
            }
        }
        let _ = builder.set_opt(canonical, own.or(resource).map(Value::Str));
    }
}

/// `<REDACTED>` is the CLI saying "content not captured": absent, not content.
fn drop_placeholders(builder: &mut RecordBuilder) {
    for key in [attr::PROMPT_TEXT, attr::RESPONSE_TEXT, attr::TOOL_PARAMETERS, attr::TOOL_ARGUMENTS] {
        if let Some(Value::Str(text)) = builder.get(key) {
            if REDACTED_PLACEHOLDERS.contains(&text.as_str()) {
                builder.remove(key);
            }
        }
    }
}

/// Input tokens in GenAI semantics: Claude Code's uncached input plus cache reads and creation.
fn input_tokens(builder: &mut RecordBuilder, item: &Item<'_>) {
    let Some(uncached) = item.attr("input_tokens").and_then(as_i64) else { return };
    let cached = |key| match builder.get(key) {
        Some(Value::Int(it)) => *it,
        _ => 0,
    };
    // Saturating: a vendor may send any int64, and normalizing never panics.
    let total = uncached.saturating_add(cached(attr::CACHE_READ_INPUT_TOKENS)).saturating_add(cached(attr::CACHE_CREATION_INPUT_TOKENS));
    let _ = builder.set(attr::INPUT_TOKENS, Value::Int(total));
}

/// What a tool does, from its name.
fn tool_category(name: &str) -> &'static str {
    match name {
        "Bash" | "BashOutput" | "KillShell" | "KillBash" | "PowerShell" => "shell",
        "Edit" | "MultiEdit" | "Write" | "NotebookEdit" => "edit",
        "Read" | "NotebookRead" | "LS" => "read",
        "Glob" | "Grep" | "ToolSearch" => "search",
        "WebFetch" | "WebSearch" => "web",
        "Task" | "Agent" => "agent",
        "mcp_tool" => "mcp",
        other if other.starts_with("mcp__") => "mcp",
        _ => "other",
    }
}

/// Tool records: category, and the shell command or file path out of `tool_parameters` /
/// `tool_input` when the CLI sent them (content keys, so privacy decides).
fn tool_details(builder: &mut RecordBuilder) {
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    command_and_path_from_arguments(builder, &[attr::TOOL_PARAMETERS, attr::TOOL_ARGUMENTS]);
}

fn map_event(item: &Item<'_>, record: &LogRecord, out: &mut Normalized, unknown_names: &mut HashSet<String>) {
    let Some(name) = event_name(record) else {
        out.rejected.push((item.id, "log record without `event.name` or a `claude_code.` body".into()));
        out.findings.push(
            Finding::new("missing_event_name", Level::Violation, "a Claude Code log record names no event")
                .for_vendor(VENDOR)
                .at(item.location("event.name")),
        );
        return;
    };
    let kind = match name.as_str() {
        "user_prompt" => RecordKind::UserPrompt,
        "assistant_response" => RecordKind::AssistantResponse,
        "api_request" => RecordKind::LlmCall,
        "api_error" | "api_refusal" | "api_retries_exhausted" => RecordKind::ApiError,
        "tool_result" => RecordKind::ToolCall,
        "tool_decision" => RecordKind::ToolDecision,
        _ => RecordKind::Passthrough,
    };
    let full_name = format!("claude_code.{name}");
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &full_name);
    common(&mut builder, item, out);
    match name.as_str() {
        "api_request" => {
            input_tokens(&mut builder, item);
            let _ = builder.set(attr::PROVIDER_NAME, Value::Str("anthropic".to_owned()));
        }
        "api_error" => {
            if let Some(Value::Int(status)) = builder.get(attr::HTTP_STATUS_CODE) {
                let status = status.to_string();
                let _ = builder.set(attr::ERROR_TYPE, Value::Str(status));
            }
        }
        "api_refusal" => {
            let _ = builder.set(attr::ERROR_TYPE, Value::Str("refusal".to_owned()));
        }
        "api_retries_exhausted" => {
            let _ = builder.set(attr::ERROR_TYPE, Value::Str("retries_exhausted".to_owned()));
            let _ = builder.set_opt(attr::ATTEMPT, item.attr("total_attempts").and_then(as_i64).map(Value::Int));
        }
        "tool_result" | "tool_decision" => tool_details(&mut builder),
        "api_request_body" | "api_response_body" => {
            let direction = if name == "api_request_body" { "request" } else { "response" };
            let _ = builder.set(attr::API_BODY_DIRECTION, Value::Str(direction.to_owned()));
        }
        other => {
            let known = kind != RecordKind::Passthrough || KNOWN_PASSTHROUGH_EVENTS.contains(&other);
            if !known && unknown_names.insert(full_name.clone()) {
                out.findings.push(
                    Finding::new(
                        "unknown_event_name",
                        Level::Improvement,
                        format!("event `{full_name}` is not in the adapter's list; kept as passthrough"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("event.name")),
                );
            }
        }
    }
    out.records.push(builder.finish());
}

/// Canonical name, record kind and unit of each documented metric.
fn metric_target(name: &str) -> Option<(&'static str, RecordKind, &'static str)> {
    Some(match name {
        "claude_code.session.count" => ("coding_agent.session.count", RecordKind::MetricPoint, "1"),
        "claude_code.lines_of_code.count" => ("coding_agent.lines_of_code.count", RecordKind::MetricPoint, "1"),
        "claude_code.pull_request.count" => ("coding_agent.pull_request.count", RecordKind::PullRequest, "1"),
        "claude_code.commit.count" => ("coding_agent.commit.count", RecordKind::Commit, "1"),
        "claude_code.cost.usage" => ("coding_agent.cost.usage", RecordKind::MetricPoint, "micro-USD"),
        "claude_code.token.usage" => ("coding_agent.token.usage", RecordKind::MetricPoint, "{token}"),
        "claude_code.code_edit_tool.decision" => {
            ("coding_agent.code_edit_tool.decision", RecordKind::MetricPoint, "1")
        }
        "claude_code.active_time.total" => ("coding_agent.active_time", RecordKind::MetricPoint, "s"),
        _ => return None,
    })
}

fn map_metric(item: &Item<'_>, name: &str, out: &mut Normalized, unknown_names: &mut HashSet<String>) {
    let (canonical, kind, unit): (&str, RecordKind, &str) = match metric_target(name) {
        Some(it) => it,
        None => {
            if unknown_names.insert(name.to_owned()) {
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
            (name, RecordKind::MetricPoint, "")
        }
    };
    let value_conv = if name == "claude_code.cost.usage" { usd_number_to_micros } else { plain_number };
    let mut builder = metric_record(VENDOR, kind, item, canonical, unit, value_conv);
    common(&mut builder, item, out);
    if let Some(kind_value) = item.attr("type").and_then(as_string) {
        let key = match name {
            "claude_code.token.usage" => Some(attr::TOKEN_TYPE),
            "claude_code.lines_of_code.count" => Some(attr::LINES_TYPE),
            "claude_code.active_time.total" => Some(attr::ACTIVE_TIME_TYPE),
            _ => None,
        };
        match key {
            Some(key) => {
                let value = match (key, kind_value.as_str()) {
                    // Claude Code's `input` excludes the cache: a different quantity from the
                    // canonical `input`, so it gets its own name.
                    (attr::TOKEN_TYPE, "input") => "input_uncached".to_owned(),
                    (_, "cacheRead") => "cache_read".to_owned(),
                    (_, "cacheCreation") => "cache_creation".to_owned(),
                    (_, other) => other.to_owned(),
                };
                let _ = builder.set(key, Value::Str(value));
            }
            None => {
                let _ = builder.vendor_attr("type", &AnyValue::String(kind_value.into()));
            }
        }
    }
    if matches!(kind, RecordKind::Commit | RecordKind::PullRequest) {
        if let Some(Value::Int(count)) = builder.get(attr::METRIC_VALUE) {
            let count = *count;
            let _ = builder.set(attr::COUNT, Value::Int(count));
        }
    }
    out.records.push(builder.finish());
}

fn map_span(
    item: &Item<'_>,
    span: &Span,
    twins: &EventTwins,
    out: &mut Normalized,
    unknown_names: &mut HashSet<String>,
) {
    let text = |key: &str| item.attr(key).and_then(as_string).filter(|it| !it.is_empty());
    let kind = match span.name.as_str() {
        "claude_code.interaction" => RecordKind::Turn,
        "claude_code.llm_request" => RecordKind::LlmCall,
        "claude_code.tool" => RecordKind::ToolCall,
        "claude_code.tool.blocked_on_user" => RecordKind::ToolDecision,
        "claude_code.tool.execution" | "claude_code.hook" => RecordKind::Passthrough,
        other => {
            if unknown_names.insert(other.to_owned()) {
                out.findings.push(
                    Finding::new(
                        "unknown_span_name",
                        Level::Improvement,
                        format!("span `{other}` is not in the adapter's list; kept as passthrough"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("name")),
                );
            }
            let mut builder = passthrough(VENDOR, item, other);
            let _ = builder.session(text("session.id"));
            out.records.push(builder.finish());
            return;
        }
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &span.name);
    common(&mut builder, item, out);
    if span.end_time_unix_nano > span.start_time_unix_nano && span.start_time_unix_nano != 0 && !builder.has(attr::DURATION_MS) {
        let millis = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000;
        let _ = builder.set(attr::DURATION_MS, Value::Int(millis as i64));
    }
    let status = match span.status_code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    let _ = builder.set(attr::SPAN_STATUS, Value::Str(status.to_owned()));
    match span.name.as_str() {
        "claude_code.llm_request" => {
            input_tokens(&mut builder, item);
            let _ = builder.set(attr::PROVIDER_NAME, Value::Str("anthropic".to_owned()));
        }
        "claude_code.tool" | "claude_code.tool.blocked_on_user" => tool_details(&mut builder),
        _ => {}
    }
    // Span events: `tool.output` (OTEL_LOG_TOOL_CONTENT) carries the tool's input and output,
    // content kept only as the result key; `gen_ai.request.attempt` repeats span attributes.
    for event in &span.events {
        if event.name == "tool.output" {
            let text: Vec<String> = event.attributes.iter().filter_map(|it| as_string(&it.value)).collect();
            if !text.is_empty() && !builder.has(attr::TOOL_RESULT) {
                let _ = builder.set(attr::TOOL_RESULT, Value::Str(text.join("\n")));
            }
        }
    }
    let record = builder.finish();
    match twins.twin_of(item, span) {
        Some((index, reason)) => {
            // The event already counts this call: the span only adds what the event lacks
            // (finish reasons, tool output, span ids), and is accounted as ignored.
            if let Some(target) = out.records.get_mut(index) {
                for (key, value) in record.attributes {
                    if matches!(key, attr::TRACE_ID | attr::SPAN_ID | attr::PARENT_SPAN_ID | attr::SPAN_STATUS | attr::DURATION_MS) {
                        continue;
                    }
                    let _ = target.attributes.entry(key).or_insert(value);
                }
                for (key, value) in record.vendor_attributes {
                    if !target.vendor_attributes.contains_key(&key) {
                        if record.vendor_metadata.contains(&key) {
                            let _ = target.vendor_metadata.insert(key.clone());
                        }
                        let _ = target.vendor_attributes.insert(key, value);
                    }
                }
            }
            out.ignored.push((item.id, reason.into()));
        }
        None => out.records.push(record),
    }
}
