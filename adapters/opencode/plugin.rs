//! The `@devtheops/opencode-plugin-otel` plugin: events, `<prefix>*` metrics, OpenInference
//! spans. The rules and quirks are in the parent module's doc.

use std::collections::{HashMap, HashSet};

use super::{
    drop_empty_content, is_placeholder, millis, resource, span_facts, text, tool_details, VENDOR,
};
use crate::adapter::{
    apply_rules, as_i64, as_string, keep, metric_record, plain_number, rule, usd_number_to_micros,
    AttrRule, Conv, Item, ItemData, Normalized, Point, RecordBuilder,
};
use crate::finding::{Finding, Level};
use crate::otlp::{find_attr, AnyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// Attributes of the plugin's events, metric points and spans.
const RULES: &[AttrRule] = &[
    // events and points
    rule("model", attr::REQUEST_MODEL, Conv::Model),
    rule("provider", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("prompt_length", attr::PROMPT_LENGTH, Conv::Int),
    rule("prompt", attr::PROMPT_TEXT, Conv::Str),
    rule("duration_ms", attr::DURATION_MS, Conv::Int),
    rule("output_tokens", attr::OUTPUT_TOKENS, Conv::Int),
    rule("reasoning_tokens", attr::REASONING_OUTPUT_TOKENS, Conv::Int),
    rule(
        "cache_read_tokens",
        attr::CACHE_READ_INPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "cache_creation_tokens",
        attr::CACHE_CREATION_INPUT_TOKENS,
        Conv::Int,
    ),
    rule("cost_usd", attr::COST_USD_MICROS, Conv::UsdToMicros),
    rule("tool_name", attr::TOOL_NAME, Conv::Str),
    rule("success", attr::SUCCESS, Conv::Bool),
    rule("tool_result_size_bytes", attr::TOOL_RESULT_SIZE, Conv::Int),
    rule("error", attr::ERROR_MESSAGE, Conv::Str),
    rule("decision", attr::DECISION, Conv::Str),
    // OpenInference span attributes
    rule("llm.model_name", attr::REQUEST_MODEL, Conv::Model),
    rule("llm.provider", attr::PROVIDER_NAME, Conv::Str),
    rule("llm.token_count.completion", attr::OUTPUT_TOKENS, Conv::Int),
    rule(
        "llm.token_count.completion_details.reasoning",
        attr::REASONING_OUTPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "llm.token_count.prompt_details.cache_read",
        attr::CACHE_READ_INPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "llm.token_count.prompt_details.cache_write",
        attr::CACHE_CREATION_INPUT_TOKENS,
        Conv::Int,
    ),
    rule("llm.finish_reason", attr::FINISH_REASONS, Conv::StrList),
    rule("llm.cost.total", attr::COST_USD_MICROS, Conv::UsdToMicros),
    rule("tool.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("tool.name", attr::TOOL_NAME, Conv::Str),
    rule("tool.parameters", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("tool.success", attr::SUCCESS, Conv::Bool),
    rule("tool.result_size_bytes", attr::TOOL_RESULT_SIZE, Conv::Int),
    rule("tool.error", attr::ERROR_MESSAGE, Conv::Str),
    // ids, agent names and enumerations: vendor metadata kept in `metadata_only`
    keep("project.id"),
    keep("agent"),
    keep("agent.name"),
    keep("agent.type"),
    keep("mode"),
];

/// Read by hand (session, names, uncached input, span content by kind) or dropped as
/// repetitions of other attributes (message lists, MIME types, `llm.system` = provider id).
const CONSUMED: &[&str] = &[
    "session.id",
    "event.name",
    "input_tokens",
    "llm.token_count.prompt",
    "openinference.span.kind",
    "input.value",
    "output.value",
    "input.mime_type",
    "output.mime_type",
    "llm.input_messages",
    "llm.output_messages",
    "llm.system",
    "type",
    "source",
    "tool_type",
];

/// Documented events with no canonical home: passthrough, no finding.
const KNOWN_PASSTHROUGH_EVENTS: &[&str] = &[
    "session.created",
    "session.idle",
    "session.error",
    "subtask_invoked",
];

pub(super) fn normalize(items: &[Item<'_>], out: &mut Normalized) {
    let twins = SpanTwins::collect(items);
    let mut seen = Seen::default();
    for item in items {
        match item.data {
            ItemData::Log(record) => map_event(item, record, &twins, out, &mut seen),
            ItemData::Point { metric, point } => {
                map_metric(item, &metric.name, point, out, &mut seen)
            }
            ItemData::Span(span) => map_span(item, span, out, &mut seen),
        }
    }
}

/// Names already reported, so each odd name is reported once.
#[derive(Default)]
struct Seen {
    names: HashSet<String>,
    prefixes: HashSet<String>,
}

/// The calls the plugin's spans describe, so the events about the same calls are not
/// counted twice: span ids (newer plugins stamp them on events) and, for 0.8.0 whose events
/// have no trace context, session + start millisecond (+ tool name).
#[derive(Default)]
struct SpanTwins {
    span_ids: HashMap<Vec<u8>, String>,
    llm_starts: HashMap<(String, u64), String>,
    tool_starts: HashMap<(String, String, u64), String>,
}

impl SpanTwins {
    fn collect(items: &[Item<'_>]) -> SpanTwins {
        let mut twins = SpanTwins::default();
        for item in items {
            let ItemData::Span(span) = item.data else {
                continue;
            };
            let session = text(item, "session.id").unwrap_or_default();
            let start = millis(span.start_time_unix_nano);
            match span_kind(span) {
                SpanKind::Llm => {
                    let _ = twins.llm_starts.insert((session, start), span.name.to_string());
                }
                SpanKind::Tool => {
                    let tool = text(item, "tool.name").unwrap_or_default();
                    let _ = twins
                        .tool_starts
                        .insert((session, tool, start), span.name.to_string());
                }
                SpanKind::Agent | SpanKind::Other => continue,
            }
            if !span.span_id.is_empty() {
                let _ = twins
                    .span_ids
                    .insert(span.span_id.clone(), span.name.to_string());
            }
        }
        twins
    }

    /// The span that describes the same call as this event, if it is in the capture.
    fn of_event(&self, item: &Item<'_>, record: &LogRecord, name: &str) -> Option<&String> {
        if let Some(span) = self.span_ids.get(&record.span_id) {
            return Some(span);
        }
        let session = text(item, "session.id").unwrap_or_default();
        let start = millis(record.time_unix_nano);
        match name {
            "api_request" | "api_error" => self.llm_starts.get(&(session, start)),
            "tool_result" => {
                let tool = text(item, "tool_name").unwrap_or_default();
                self.tool_starts.get(&(session, tool, start))
            }
            _ => None,
        }
    }
}

/// Whether a plugin event may be the twin of a span (see `Opencode::may_join_other_items`):
/// it carries a span id, or it is one of the events matched to spans by session and start.
/// An event without a name is rejected by itself.
pub(super) fn event_may_join(record: &LogRecord) -> bool {
    !record.span_id.is_empty()
        || matches!(event_name(record).as_deref(), Some("api_request" | "api_error" | "tool_result"))
}

/// The event name: attribute `event.name`, else a name-like string body.
fn event_name(record: &LogRecord) -> Option<String> {
    if let Some(name) = find_attr(&record.attributes, "event.name")
        .and_then(as_string)
        .filter(|it| !it.is_empty())
    {
        return Some(name);
    }
    match &record.body {
        Some(AnyValue::String(body))
            if !body.is_empty() && body.len() <= 64 && !body.contains(char::is_whitespace) =>
        {
            Some(body.to_string())
        }
        _ => None,
    }
}

/// What every plugin record carries: session, resource facts, the attribute table, and the
/// `unknown` placeholders removed.
fn common(builder: &mut RecordBuilder, item: &Item<'_>, out: &mut Normalized) {
    let _ = builder.session(text(item, "session.id"));
    resource(builder, item);
    let attributes: Vec<_> = item
        .attributes()
        .iter()
        .filter(|kv| {
            !(matches!(kv.key.as_str(), "model" | "llm.model_name") && is_placeholder(&kv.value))
        })
        .cloned()
        .collect();
    apply_rules(
        builder,
        item,
        &attributes,
        RULES,
        CONSUMED,
        &mut out.findings,
        VENDOR,
    );
}

/// `gen_ai.usage.input_tokens` = the plugin's uncached input + cache reads + cache writes.
fn input_tokens(builder: &mut RecordBuilder, uncached: Option<i64>) {
    let Some(uncached) = uncached else { return };
    let cached = |builder: &RecordBuilder, key| match builder.get(key) {
        Some(Value::Int(it)) => *it,
        _ => 0,
    };
    // Saturating: a vendor may send any int64, and normalizing never panics.
    let total = uncached
        .saturating_add(cached(builder, attr::CACHE_READ_INPUT_TOKENS))
        .saturating_add(cached(builder, attr::CACHE_CREATION_INPUT_TOKENS));
    let _ = builder.set(attr::INPUT_TOKENS, Value::Int(total));
}

/// `user_prompt`'s `model` is `provider/model`: split it.
fn split_provider_model(builder: &mut RecordBuilder, item: &Item<'_>) {
    let Some(raw) = text(item, "model").filter(|it| it != "unknown") else {
        return;
    };
    if let Some((provider, model)) = raw.split_once('/') {
        if !provider.is_empty() && !model.is_empty() {
            let _ = builder.set(attr::PROVIDER_NAME, Value::Str(provider.to_owned()));
            let _ = builder.set(
                attr::REQUEST_MODEL,
                Value::Str(crate::adapter::normalize_model(model)),
            );
            let _ = builder.set(attr::MODEL_RAW, Value::Str(raw));
        }
    }
}

/// opencode's permission replies as canonical decision sources.
fn decision_source(reply: &str) -> String {
    match reply {
        "once" | "allow" => "user_temporary".to_owned(),
        "always" | "allowAlways" => "user_permanent".to_owned(),
        "reject" | "deny" => "user_reject".to_owned(),
        other => other.to_owned(),
    }
}

fn map_event(
    item: &Item<'_>,
    record: &LogRecord,
    twins: &SpanTwins,
    out: &mut Normalized,
    seen: &mut Seen,
) {
    let Some(name) = event_name(record) else {
        out.rejected.push((
            item.id,
            "plugin log record without `event.name` or a name body".into(),
        ));
        out.findings.push(
            Finding::new(
                "missing_event_name",
                Level::Violation,
                "an opencode plugin log record names no event",
            )
            .for_vendor(VENDOR)
            .at(item.location("event.name")),
        );
        return;
    };
    if let Some(span) = twins.of_event(item, record, &name) {
        out.ignored.push((
            item.id,
            format!("the plugin's `{span}` span describes the same call as this `{name}` event").into(),
        ));
        return;
    }
    let kind = match name.as_str() {
        "user_prompt" => RecordKind::UserPrompt,
        "api_request" => RecordKind::LlmCall,
        "api_error" => RecordKind::ApiError,
        "tool_result" => RecordKind::ToolCall,
        "tool_decision" => RecordKind::ToolDecision,
        "commit" => RecordKind::Commit,
        _ => RecordKind::Passthrough,
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &name);
    common(&mut builder, item, out);
    match name.as_str() {
        "user_prompt" => split_provider_model(&mut builder, item),
        "api_request" | "api_error" => {
            input_tokens(&mut builder, item.attr("input_tokens").and_then(as_i64));
            if name == "api_error" && !builder.has(attr::ERROR_TYPE) {
                let _ = builder.set(attr::ERROR_TYPE, Value::Str("api_error".to_owned()));
            }
        }
        "tool_result" => tool_details(&mut builder),
        "tool_decision" => {
            // The plugin's `tool_name` here is opencode's permission *title* (the command or
            // path being approved): content. The tool itself is `tool_type`.
            if let Some(Value::Str(title)) = builder.get(attr::TOOL_NAME).cloned() {
                builder.remove(attr::TOOL_NAME);
                let _ = builder.set(attr::TOOL_PARAMETERS, Value::Str(title));
            }
            if let Some(tool) = text(item, "tool_type").filter(|it| it != "unknown") {
                let _ = builder.set(attr::TOOL_NAME, Value::Str(tool));
            }
            if let Some(reply) = text(item, "source") {
                let _ = builder.set(attr::DECISION_SOURCE, Value::Str(decision_source(&reply)));
            }
            tool_details(&mut builder);
        }
        "commit" => {
            let _ = builder.set(attr::COUNT, Value::Int(1));
        }
        other => {
            if !KNOWN_PASSTHROUGH_EVENTS.contains(&other)
                && seen.names.insert(format!("event {other}"))
            {
                out.findings.push(
                    Finding::new(
                        "unknown_event_name",
                        Level::Improvement,
                        format!("plugin event `{other}` is not in the adapter's list; kept as passthrough"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("event.name")),
                );
            }
        }
    }
    drop_empty_content(&mut builder);
    out.records.push(builder.finish());
}

/// The plugin's metric names without their prefix, with canonical name and unit.
const METRICS: &[(&str, &str, &str)] = &[
    (
        "session.token.total",
        "coding_agent.session.token.total",
        "{token}",
    ),
    (
        "session.cost.total",
        "coding_agent.session.cost.total",
        "micro-USD",
    ),
    ("session.duration", "coding_agent.session.duration", "ms"),
    ("session.count", "coding_agent.session.count", "1"),
    ("token.usage", "coding_agent.token.usage", "{token}"),
    ("cost.usage", "coding_agent.cost.usage", "micro-USD"),
    (
        "lines_of_code.count",
        "coding_agent.lines_of_code.count",
        "1",
    ),
    (
        "lines_of_code.total",
        "coding_agent.lines_of_code.total",
        "1",
    ),
    ("commit.count", "coding_agent.commit.count", "1"),
    ("tool.duration", "coding_agent.tool.duration", "ms"),
    ("cache.count", "coding_agent.cache.count", "1"),
    ("message.count", "coding_agent.message.count", "1"),
    ("model.usage", "coding_agent.api.request.count", "1"),
    ("retry.count", "coding_agent.api.retry.count", "1"),
    ("subtask.count", "coding_agent.subtask.count", "1"),
];

/// Splits `<prefix><base>` into the known base and the prefix (`OPENCODE_METRIC_PREFIX` is
/// concatenated verbatim, so any prefix is possible; the longest known base wins).
fn metric_base(name: &str) -> Option<(&'static (&'static str, &'static str, &'static str), &str)> {
    METRICS
        .iter()
        .filter(|(base, _, _)| name.ends_with(base))
        .max_by_key(|(base, _, _)| base.len())
        .map(|entry| (entry, &name[..name.len() - entry.0.len()]))
}

fn map_metric(
    item: &Item<'_>,
    name: &str,
    point: Point<'_>,
    out: &mut Normalized,
    seen: &mut Seen,
) {
    let (canonical, unit, base): (&str, &str, Option<&str>) = match metric_base(name) {
        Some(((base, canonical, unit), prefix)) => {
            if prefix != "opencode." && seen.prefixes.insert(prefix.to_owned()) {
                out.findings.push(
                    Finding::new(
                        "metric_prefix",
                        Level::Information,
                        format!(
                            "plugin metric and span names use the prefix `{prefix}` (OPENCODE_METRIC_PREFIX), not `opencode.`; mapped by their base names"
                        ),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("name")),
                );
            }
            (canonical, unit, Some(base))
        }
        None => {
            if seen.names.insert(format!("metric {name}")) {
                out.findings.push(
                    Finding::new(
                        "unknown_metric_name",
                        Level::Improvement,
                        format!("plugin metric `{name}` is not in the adapter's list; kept under its own name"),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("name")),
                );
            }
            (name, "", None)
        }
    };
    let usd = matches!(base, Some("cost.usage" | "session.cost.total"));
    let mut builder = metric_record(
        VENDOR,
        RecordKind::MetricPoint,
        item,
        canonical,
        unit,
        if usd {
            usd_number_to_micros
        } else {
            plain_number
        },
    );
    common(&mut builder, item, out);
    if let Point::Histogram(histogram) = point {
        let _ = builder.set(
            attr::METRIC_COUNT,
            Value::Int(histogram.count.min(i64::MAX as u64) as i64),
        );
    }
    if let Some(kind) = text(item, "type") {
        let normalized = match kind.as_str() {
            "cacheRead" => "cache_read".to_owned(),
            "cacheCreation" => "cache_creation".to_owned(),
            other => other.to_owned(),
        };
        match base {
            Some("token.usage") => {
                // The plugin's `input` excludes the cache (like Claude Code's): in the
                // canonical vocabulary that is `input_uncached`.
                let normalized = if normalized == "input" { "input_uncached".to_owned() } else { normalized };
                let _ = builder.set(attr::TOKEN_TYPE, Value::Str(normalized));
            }
            Some("lines_of_code.count" | "lines_of_code.total") => {
                let _ = builder.set(attr::LINES_TYPE, Value::Str(normalized));
            }
            _ => {
                let _ = builder.vendor_metadata("type", &AnyValue::String(kind.into()));
            }
        }
    }
    out.records.push(builder.finish());
}

/// The OpenInference kind of a plugin span; the name (whose prefix is configurable) only
/// when the kind is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpanKind {
    Agent,
    Llm,
    Tool,
    Other,
}

fn span_kind(span: &Span) -> SpanKind {
    match find_attr(&span.attributes, "openinference.span.kind").and_then(|it| it.as_str()) {
        Some("AGENT" | "CHAIN") => SpanKind::Agent,
        Some("LLM") => SpanKind::Llm,
        Some("TOOL") => SpanKind::Tool,
        Some(_) => SpanKind::Other,
        None if span.name.ends_with("session") => SpanKind::Agent,
        None if span.name.ends_with("llm") => SpanKind::Llm,
        None if span.name.contains("tool.") => SpanKind::Tool,
        None => SpanKind::Other,
    }
}

fn map_span(item: &Item<'_>, span: &Span, out: &mut Normalized, seen: &mut Seen) {
    let kind = match span_kind(span) {
        SpanKind::Agent => RecordKind::Turn,
        SpanKind::Llm if span.status_code == 2 => RecordKind::ApiError,
        SpanKind::Llm => RecordKind::LlmCall,
        SpanKind::Tool => RecordKind::ToolCall,
        SpanKind::Other => RecordKind::Passthrough,
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, &span.name);
    common(&mut builder, item, out);
    span_facts(&mut builder, span);
    let input = text(item, "input.value");
    let output = text(item, "output.value");
    match span_kind(span) {
        SpanKind::Agent => {
            // The run's prompt (newer plugins); the session totals stay vendor attributes.
            if let Some(prompt) = input {
                let _ = builder.set(
                    attr::PROMPT_LENGTH,
                    Value::Int(prompt.chars().count() as i64),
                );
                let _ = builder.set(attr::PROMPT_TEXT, Value::Str(prompt));
            }
        }
        SpanKind::Llm => {
            input_tokens(
                &mut builder,
                item.attr("llm.token_count.prompt").and_then(as_i64),
            );
            let _ = builder.set_opt(attr::PROMPT_TEXT, input.map(Value::Str));
            if let Some(answer) = output {
                let _ = builder.set(
                    attr::RESPONSE_LENGTH,
                    Value::Int(answer.chars().count() as i64),
                );
                let _ = builder.set(attr::RESPONSE_TEXT, Value::Str(answer));
            }
            if kind == RecordKind::ApiError && !builder.has(attr::ERROR_TYPE) {
                let _ = builder.set(attr::ERROR_TYPE, Value::Str("api_error".to_owned()));
            }
        }
        SpanKind::Tool => {
            if !builder.has(attr::TOOL_ARGUMENTS) {
                let _ = builder.set_opt(attr::TOOL_ARGUMENTS, input.map(Value::Str));
            }
            if span.status_code == 2 {
                // On failure the plugin puts the error text into `output.value` too.
                if !builder.has(attr::ERROR_MESSAGE) {
                    let _ = builder.set_opt(attr::ERROR_MESSAGE, output.map(Value::Str));
                }
            } else {
                let _ = builder.set_opt(attr::TOOL_RESULT, output.map(Value::Str));
            }
            tool_details(&mut builder);
        }
        SpanKind::Other => {
            if seen.names.insert(format!("span {}", span.name)) {
                out.findings.push(
                    Finding::new(
                        "unknown_span_name",
                        Level::Improvement,
                        format!(
                            "plugin span `{}` has no known OpenInference kind; kept as passthrough",
                            span.name
                        ),
                    )
                    .for_vendor(VENDOR)
                    .at(item.location("openinference.span.kind")),
                );
            }
        }
    }
    drop_empty_content(&mut builder);
    out.records.push(builder.finish());
}
