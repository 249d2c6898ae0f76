//! opencode's native OpenTelemetry: Effect service logs and spans, `Tool.execute`, and the
//! Vercel AI SDK's `ai.*` spans. The rules and quirks are in the parent module's doc.

use std::collections::{HashMap, HashSet};

use super::{resource, span_facts, text, tool_details, VENDOR};
use crate::adapter::{
    apply_rules, as_i64, rule, AttrRule, Conv, Item, ItemData, Normalized, RecordBuilder,
};
use crate::otlp::Span;
use crate::schema::{attributes as attr, RecordKind, Value};

/// Why native service logs are not mapped.
const SERVICE_LOG: &str =
    "opencode service log (a message and its JSON context, no event name): not agent telemetry";
/// Why the Effect runtime's spans are not mapped.
const INTERNAL_SPAN: &str =
    "opencode internal span (Effect service, storage, SQL or HTTP server step): no agent semantics";

/// `Tool.execute` and `ai.*` attributes.
const RULES: &[AttrRule] = &[
    rule("tool.name", attr::TOOL_NAME, Conv::Str),
    rule("tool.call_id", attr::TOOL_CALL_ID, Conv::Str),
    rule("ai.toolCall.name", attr::TOOL_NAME, Conv::Str),
    rule("ai.toolCall.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("ai.toolCall.args", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("ai.toolCall.result", attr::TOOL_RESULT, Conv::Str),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("ai.model.id", attr::REQUEST_MODEL, Conv::Model),
    rule("ai.model.provider", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.system", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule("ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule(
        "gen_ai.response.finish_reasons",
        attr::FINISH_REASONS,
        Conv::StrList,
    ),
    rule(
        "ai.response.finishReason",
        attr::FINISH_REASONS,
        Conv::StrList,
    ),
    rule("ai.response.msToFirstChunk", attr::TTFT_MS, Conv::Int),
    rule("ai.response.text", attr::RESPONSE_TEXT, Conv::Str),
    rule("ai.result.text", attr::RESPONSE_TEXT, Conv::Str),
    rule(
        "ai.usage.reasoningTokens",
        attr::REASONING_OUTPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "ai.usage.cachedInputTokens",
        attr::CACHE_READ_INPUT_TOKENS,
        Conv::Int,
    ),
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
];

/// Read by hand: session ids and the token counts whose semantics depend on the provider.
const CONSUMED: &[&str] = &[
    "session.id",
    "ai.telemetry.metadata.sessionId",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];

/// The AI SDK's outer operation spans; their `.doStream` / `.doGenerate` children are the
/// provider calls.
const AI_OPERATIONS: &[&str] = &[
    "ai.streamText",
    "ai.generateText",
    "ai.streamObject",
    "ai.generateObject",
];

pub(super) fn normalize(items: &[Item<'_>], out: &mut Normalized) {
    let spans = Spans::collect(items);
    for item in items {
        match item.data {
            ItemData::Log(_) => out.ignored.push((item.id, SERVICE_LOG.to_owned())),
            ItemData::Point { .. } => map_unexpected_metric(item, out),
            ItemData::Span(span) => map_span(item, span, &spans, out),
        }
    }
}

/// What the adapter needs to know about the native spans of a capture: which AI SDK
/// operations have provider-call children, and the `ai.toolCall` spans by tool call id.
#[derive(Default)]
struct Spans<'a> {
    parents_of_provider_calls: HashSet<Vec<u8>>,
    tool_executes: HashSet<String>,
    ai_tool_calls: HashMap<String, Item<'a>>,
}

impl<'a> Spans<'a> {
    fn collect(items: &[Item<'a>]) -> Spans<'a> {
        let mut spans = Spans::default();
        for item in items {
            let ItemData::Span(span) = item.data else {
                continue;
            };
            if is_provider_call(&span.name) && !span.parent_span_id.is_empty() {
                let _ = spans
                    .parents_of_provider_calls
                    .insert(span.parent_span_id.clone());
            }
            match span.name.as_str() {
                "Tool.execute" => {
                    if let Some(id) = text(item, "tool.call_id") {
                        let _ = spans.tool_executes.insert(id);
                    }
                }
                "ai.toolCall" => {
                    if let Some(id) = text(item, "ai.toolCall.id") {
                        let _ = spans.ai_tool_calls.insert(id, *item);
                    }
                }
                _ => {}
            }
        }
        spans
    }
}

fn is_provider_call(name: &str) -> bool {
    name.starts_with("ai.") && (name.ends_with(".doStream") || name.ends_with(".doGenerate"))
}

fn map_span(item: &Item<'_>, span: &Span, spans: &Spans<'_>, out: &mut Normalized) {
    let name = span.name.as_str();
    let kind = if name == "Tool.execute" {
        RecordKind::ToolCall
    } else if name == "ai.toolCall" {
        if let Some(id) = text(item, "ai.toolCall.id").filter(|id| spans.tool_executes.contains(id))
        {
            out.ignored.push((
                item.id,
                format!("the Tool.execute span of tool call {id} describes the same call"),
            ));
            return;
        }
        RecordKind::ToolCall
    } else if is_provider_call(name) {
        if span.status_code == 2 {
            RecordKind::ApiError
        } else {
            RecordKind::LlmCall
        }
    } else if AI_OPERATIONS.contains(&name) {
        if spans.parents_of_provider_calls.contains(&span.span_id) {
            out.ignored.push((item.id, format!("`{name}` aggregates its provider-call child spans, which are the llm_call records")));
            return;
        }
        if span.status_code == 2 {
            RecordKind::ApiError
        } else {
            RecordKind::LlmCall
        }
    } else if name.starts_with("ai.") {
        RecordKind::Passthrough
    } else {
        out.ignored.push((item.id, INTERNAL_SPAN.to_owned()));
        return;
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, name);
    let _ = builder.session(
        text(item, "session.id").or_else(|| text(item, "ai.telemetry.metadata.sessionId")),
    );
    resource(&mut builder, item);
    apply_rules(
        &mut builder,
        item,
        item.attributes(),
        RULES,
        CONSUMED,
        &mut out.findings,
        VENDOR,
    );
    span_facts(&mut builder, span);
    match kind {
        RecordKind::ToolCall => {
            if name == "Tool.execute" {
                fold_ai_tool_call(&mut builder, item, spans);
            }
            match span.status_code {
                1 => {
                    let _ = builder.set(attr::SUCCESS, Value::Bool(true));
                }
                2 => {
                    let _ = builder.set(attr::SUCCESS, Value::Bool(false));
                }
                _ => {}
            }
            tool_details(&mut builder);
        }
        RecordKind::LlmCall | RecordKind::ApiError => {
            usage(&mut builder, item);
            if kind == RecordKind::ApiError && !builder.has(attr::ERROR_TYPE) {
                let _ = builder.set(attr::ERROR_TYPE, Value::Str("api_error".to_owned()));
            }
        }
        _ => {}
    }
    out.records.push(builder.finish());
}

/// `Tool.execute` carries ids only; the AI SDK's `ai.toolCall` of the same call (ignored as
/// its twin) carries the arguments and result, which belong to the one tool call record.
fn fold_ai_tool_call(builder: &mut RecordBuilder, item: &Item<'_>, spans: &Spans<'_>) {
    let Some(id) = text(item, "tool.call_id") else {
        return;
    };
    let Some(twin) = spans.ai_tool_calls.get(&id) else {
        return;
    };
    for (key, canonical) in [
        ("ai.toolCall.args", attr::TOOL_ARGUMENTS),
        ("ai.toolCall.result", attr::TOOL_RESULT),
    ] {
        if let Some(value) = text(twin, key) {
            if !builder.has(canonical) {
                let _ = builder.set(canonical, Value::Str(value));
            }
        }
    }
}

/// Token usage of an AI SDK provider call. The AI SDK reports input tokens as the provider
/// does: including cached input for OpenAI-style providers, excluding it for Anthropic and
/// Bedrock, whose cached part is added here.
fn usage(builder: &mut RecordBuilder, item: &Item<'_>) {
    let first = |keys: &[&str]| keys.iter().find_map(|key| item.attr(key).and_then(as_i64));
    let output = first(&[
        "ai.usage.outputTokens",
        "gen_ai.usage.output_tokens",
        "ai.usage.completionTokens",
        "gen_ai.usage.completion_tokens",
    ]);
    let _ = builder.set_opt(attr::OUTPUT_TOKENS, output.map(Value::Int));
    let Some(input) = first(&[
        "ai.usage.inputTokens",
        "gen_ai.usage.input_tokens",
        "ai.usage.promptTokens",
        "gen_ai.usage.prompt_tokens",
    ]) else {
        return;
    };
    let provider = match builder.get(attr::PROVIDER_NAME) {
        Some(Value::Str(it)) => it.to_ascii_lowercase(),
        _ => String::new(),
    };
    let excludes_cache = provider.contains("anthropic") || provider.contains("bedrock");
    let cached = |key| match builder.get(key) {
        Some(Value::Int(it)) => *it,
        _ => 0,
    };
    let total = if excludes_cache {
        input + cached(attr::CACHE_READ_INPUT_TOKENS) + cached(attr::CACHE_CREATION_INPUT_TOKENS)
    } else {
        input
    };
    let _ = builder.set(attr::INPUT_TOKENS, Value::Int(total));
}

/// Native opencode sends no metrics; a point here came from an unknown scope and is kept.
fn map_unexpected_metric(item: &Item<'_>, out: &mut Normalized) {
    let ItemData::Point { metric, .. } = item.data else {
        return;
    };
    let mut builder = crate::adapter::metric_record(
        VENDOR,
        RecordKind::MetricPoint,
        item,
        &metric.name,
        "",
        crate::adapter::plain_number,
    );
    resource(&mut builder, item);
    out.records.push(builder.finish());
}
