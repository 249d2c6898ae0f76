//! opencode's native OpenTelemetry: Effect service logs and spans, `Tool.execute`, and with
//! `experimental.openTelemetry` the Vercel AI SDK's `ai.*` spans. The rules and quirks are in
//! the parent module's doc.

use std::collections::{HashMap, HashSet};

use super::{drop_empty_content, resource, span_facts, text, tool_details, VENDOR};
use crate::adapter::{
    apply_rules, as_f64, as_i64, keep, metric_record, plain_number, rule, AttrRule, Conv, Item, ItemData,
    Normalized, RecordBuilder,
};
use crate::otlp::{AnyValue, LogRecord, Span};
use crate::schema::{attributes as attr, RecordKind, Value};

/// Why native service logs are not mapped.
const SERVICE_LOG: &str =
    "opencode service log (a message and its context, no event name): not agent telemetry";
/// Why a `stream error` log is not a record of its own.
const STREAM_ERROR_FOLDED: &str =
    "opencode `stream error` log: folded into the api_error record of the LLM.run span it was logged in";
/// Why a `stream error` log is not a record of its own when the AI SDK spans are on.
const STREAM_ERROR_OF_PROVIDER_CALL: &str =
    "opencode `stream error` log: the failed AI SDK provider-call span below its LLM.run is the api_error record";
/// Why the Effect runtime's spans are not mapped.
const INTERNAL_SPAN: &str =
    "opencode internal span (Effect service, storage, SQL or HTTP server step): no agent semantics";

/// `Tool.execute` and `ai.*` attributes with a canonical home.
const RULES: &[AttrRule] = &[
    rule("tool.name", attr::TOOL_NAME, Conv::Str),
    rule("tool.call_id", attr::TOOL_CALL_ID, Conv::Str),
    rule("ai.toolCall.name", attr::TOOL_NAME, Conv::Str),
    rule("ai.toolCall.id", attr::TOOL_CALL_ID, Conv::Str),
    rule("ai.toolCall.args", attr::TOOL_ARGUMENTS, Conv::Str),
    rule("ai.toolCall.result", attr::TOOL_RESULT, Conv::Str),
    rule("ai.model.id", attr::REQUEST_MODEL, Conv::Model),
    rule("gen_ai.request.model", attr::REQUEST_MODEL, Conv::Model),
    rule("ai.model.provider", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.system", attr::PROVIDER_NAME, Conv::Str),
    rule("gen_ai.provider.name", attr::PROVIDER_NAME, Conv::Str),
    rule("ai.response.id", attr::RESPONSE_ID, Conv::Str),
    rule("gen_ai.response.id", attr::RESPONSE_ID, Conv::Str),
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
    rule("ai.response.text", attr::RESPONSE_TEXT, Conv::Str),
    rule("ai.result.text", attr::RESPONSE_TEXT, Conv::Str),
    rule(
        "ai.usage.outputTokenDetails.reasoningTokens",
        attr::REASONING_OUTPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "ai.usage.reasoningTokens",
        attr::REASONING_OUTPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "ai.usage.inputTokenDetails.cacheReadTokens",
        attr::CACHE_READ_INPUT_TOKENS,
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
        "ai.usage.inputTokenDetails.cacheWriteTokens",
        attr::CACHE_CREATION_INPUT_TOKENS,
        Conv::Int,
    ),
    rule(
        "gen_ai.usage.cache_creation.input_tokens",
        attr::CACHE_CREATION_INPUT_TOKENS,
        Conv::Int,
    ),
    // ids and fixed operation names: vendor metadata kept in `metadata_only`
    keep("message.id"),
    keep("ai.operationId"),
    keep("ai.telemetry.functionId"),
    keep("operation.name"),
    keep("resource.name"),
    keep("ai.response.model"),
    keep("gen_ai.response.model"),
];

/// Read by hand: session ids, token counts whose meaning depends on the provider, the
/// time to first chunk (a fractional millisecond count).
const CONSUMED: &[&str] = &[
    "session.id",
    "ai.telemetry.metadata.sessionId",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "ai.usage.inputTokenDetails.noCacheTokens",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "ai.response.msToFirstChunk",
];

/// The AI SDK's outer operation spans; their `.doStream` / `.doGenerate` children are the
/// provider calls.
const AI_OPERATIONS: &[&str] = &[
    "ai.streamText",
    "ai.generateText",
    "ai.streamObject",
    "ai.generateObject",
];

/// opencode's span around one model request (it ends once the stream is set up).
const LLM_RUN: &str = "LLM.run";
/// opencode's span around one user prompt, from the user message to the end of the agent loop.
const PROMPT: &str = "SessionPrompt.prompt";

pub(super) fn normalize(items: &[Item<'_>], out: &mut Normalized) {
    let context = Context::collect(items);
    for item in items {
        match item.data {
            ItemData::Log(record) => map_log(item, record, &context, out),
            ItemData::Point { .. } => map_unexpected_metric(item, out),
            ItemData::Span(span) => map_span(item, span, &context, out),
        }
    }
}

/// What a `stream` / `stream error` service log says about the model request of its span.
#[derive(Debug, Default, Clone)]
struct StreamLog {
    provider: Option<String>,
    model: Option<String>,
    session: Option<String>,
    agent: Option<String>,
    /// The `stream error` context text (content: it quotes the provider's error message).
    error: Option<String>,
    /// The error class (`AI_APICallError`), a category.
    error_type: Option<String>,
}

/// Cross-item facts of a capture's native telemetry. Ids and names are borrowed from the
/// items: the context is built for every span, and copying each id showed in profiles.
#[derive(Default)]
struct Context<'a> {
    /// Span id → (parent span id, name), to walk ancestors.
    parents: HashMap<&'a [u8], (&'a [u8], &'a str)>,
    /// Spans with an AI SDK provider call below them (`ai.streamText`, `LLM.run`, …).
    above_provider_calls: HashSet<&'a [u8]>,
    /// Spans with a *failed* AI SDK provider call below them.
    above_failed_provider_calls: HashSet<&'a [u8]>,
    /// `Tool.execute` call ids.
    tool_executes: HashSet<String>,
    /// `ai.toolCall` spans by call id.
    ai_tool_calls: HashMap<String, Item<'a>>,
    /// `stream` / `stream error` logs by the span they were logged in.
    stream_logs: HashMap<&'a [u8], StreamLog>,
    /// The session ids seen in each trace (span attributes and log contexts).
    trace_sessions: HashMap<&'a [u8], HashSet<String>>,
    /// The capture's `LLM.run` span ids.
    llm_runs: HashSet<&'a [u8]>,
}

impl<'a> Context<'a> {
    fn collect(items: &[Item<'a>]) -> Context<'a> {
        let mut context = Context::default();
        let mut provider_calls = Vec::new();
        for item in items {
            match item.data {
                ItemData::Span(span) => {
                    if !span.span_id.is_empty() {
                        let _ = context.parents.insert(
                            &span.span_id,
                            (&span.parent_span_id, span.name.as_str()),
                        );
                    }
                    if is_provider_call(&span.name) {
                        provider_calls.push((&span.parent_span_id[..], span.status_code == 2));
                    }
                    if span.name == LLM_RUN && !span.span_id.is_empty() {
                        let _ = context.llm_runs.insert(&span.span_id);
                    }
                    if let Some(session) = session_of(item) {
                        context
                            .trace_sessions
                            .entry(&span.trace_id)
                            .or_default()
                            .insert(session);
                    }
                    match span.name.as_str() {
                        "Tool.execute" => {
                            if let Some(id) = text(item, "tool.call_id") {
                                let _ = context.tool_executes.insert(id);
                            }
                        }
                        "ai.toolCall" => {
                            if let Some(id) = text(item, "ai.toolCall.id") {
                                let _ = context.ai_tool_calls.insert(id, *item);
                            }
                        }
                        _ => {}
                    }
                }
                ItemData::Log(record) => {
                    let Some((message, details)) = log_message(record) else {
                        continue;
                    };
                    if let Some(session) = details
                        .as_deref()
                        .and_then(|it| context_field(it, "session.id"))
                    {
                        context
                            .trace_sessions
                            .entry(&record.trace_id)
                            .or_default()
                            .insert(session);
                    }
                    if record.span_id.is_empty() {
                        continue;
                    }
                    match message.as_str() {
                        "stream" => {
                            let entry = context
                                .stream_logs
                                .entry(&record.span_id)
                                .or_default();
                            let details = details.unwrap_or_default();
                            entry.provider = entry
                                .provider
                                .take()
                                .or_else(|| context_field(&details, "providerID"));
                            entry.model = entry
                                .model
                                .take()
                                .or_else(|| context_field(&details, "modelID"));
                            entry.session = entry
                                .session
                                .take()
                                .or_else(|| context_field(&details, "session.id"));
                            entry.agent = entry
                                .agent
                                .take()
                                .or_else(|| context_field(&details, "agent"));
                        }
                        "stream error" => {
                            let entry = context
                                .stream_logs
                                .entry(&record.span_id)
                                .or_default();
                            let details = details.unwrap_or_default();
                            entry.error_type = error_class(&details);
                            entry.error = Some(details);
                        }
                        _ => {}
                    }
                }
                ItemData::Point { .. } => {}
            }
        }
        // Every ancestor of a provider call aggregates it (bounded walk: ids can repeat in
        // hostile input).
        for (mut parent, failed) in provider_calls {
            for _ in 0..64 {
                if parent.is_empty() {
                    break;
                }
                let new_failure = failed && context.above_failed_provider_calls.insert(parent);
                if !context.above_provider_calls.insert(parent) && !new_failure {
                    break;
                }
                match context.parents.get(parent) {
                    Some((next, _)) => parent = next,
                    None => break,
                }
            }
        }
        context
    }

    /// The one session of a trace, when the trace names exactly one.
    fn trace_session(&self, trace_id: &[u8]) -> Option<String> {
        let sessions = self.trace_sessions.get(trace_id)?;
        if sessions.len() == 1 {
            sessions.iter().next().cloned()
        } else {
            None
        }
    }

    /// The nearest `LLM.run` at or above a span (an AI SDK call runs inside one), and the name
    /// of that `LLM.run`'s parent; bounded, since ids can repeat in hostile input.
    fn llm_run_of<'s>(&'s self, span: &'s Span) -> Option<(&'s [u8], Option<&'s str>)> {
        let mut id: &[u8] = &span.span_id;
        let mut name = span.name.as_str();
        for _ in 0..16 {
            let (parent, _) = self.parents.get(id)?;
            if name == LLM_RUN {
                let parent_name = self.parents.get(parent).map(|(_, it)| *it);
                return Some((id, parent_name));
            }
            let (_, parent_name) = self.parents.get(parent)?;
            id = parent;
            name = parent_name;
        }
        None
    }
}

fn is_provider_call(name: &str) -> bool {
    name.starts_with("ai.") && (name.ends_with(".doStream") || name.ends_with(".doGenerate"))
}

/// The session id a span names itself.
fn session_of(item: &Item<'_>) -> Option<String> {
    text(item, "session.id").or_else(|| text(item, "ai.telemetry.metadata.sessionId"))
}

/// A service log's message and context: the body is `[message, "<context>"]` or a string.
fn log_message(record: &LogRecord) -> Option<(String, Option<String>)> {
    match record.body.as_ref()? {
        AnyValue::String(message) => Some((message.to_string(), None)),
        AnyValue::Array(values) => {
            let message = values.first()?.as_str()?.to_owned();
            let details = values.get(1).and_then(|it| it.as_str()).map(str::to_owned);
            Some((message, details))
        }
        _ => None,
    }
}

/// One `"key":"value"` field of a service log context. The context only looks like JSON
/// (it prints `undefined` and unquoted errors), so it is scanned, not parsed; only plain
/// values (ids and names, no quotes or backslashes) are taken.
fn context_field(details: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\":\"");
    let start = details.find(&needle)? + needle.len();
    let rest = &details[start..];
    let end = rest.find('"')?;
    let value = &rest[..end];
    (!value.is_empty() && value.len() <= 200 && !value.contains('\\')).then(|| value.to_owned())
}

/// The error class in a `stream error` context (`AI_APICallError: …` → `AI_APICallError`).
fn error_class(details: &str) -> Option<String> {
    details
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|word| {
            word.len() > 5
                && word.ends_with("Error")
                && word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        })
        .map(str::to_owned)
}

fn map_log(item: &Item<'_>, record: &LogRecord, context: &Context<'_>, out: &mut Normalized) {
    let is_stream_error = log_message(record).is_some_and(|(message, _)| message == "stream error");
    if !is_stream_error {
        out.ignored.push((item.id, SERVICE_LOG.into()));
        return;
    }
    if context.llm_runs.contains(record.span_id.as_slice())
        && !context.above_provider_calls.contains(record.span_id.as_slice())
    {
        out.ignored.push((item.id, STREAM_ERROR_FOLDED.into()));
        return;
    }
    if context
        .above_failed_provider_calls
        .contains(record.span_id.as_slice())
    {
        out.ignored
            .push((item.id, STREAM_ERROR_OF_PROVIDER_CALL.into()));
        return;
    }
    // A failed model request with no record of its own in the capture (its span is missing,
    // or only successful AI SDK calls are below it): the log is its only record.
    let stream = context
        .stream_logs
        .get(record.span_id.as_slice())
        .cloned()
        .unwrap_or_default();
    let details = log_message(record).and_then(|(_, details)| details);
    let mut builder = RecordBuilder::new(VENDOR, RecordKind::ApiError, item, "stream error");
    let _ = builder.session(stream.session.clone().or_else(|| {
        details
            .as_deref()
            .and_then(|it| context_field(it, "session.id"))
    }));
    resource(&mut builder, item);
    stream_facts(&mut builder, &stream);
    let _ = builder.set_opt(attr::ERROR_MESSAGE, details.clone().map(Value::Str));
    let error_type = details
        .as_deref()
        .and_then(error_class)
        .unwrap_or_else(|| "stream_error".to_owned());
    let _ = builder.set(attr::ERROR_TYPE, Value::Str(error_type));
    out.records.push(builder.finish());
}

/// Provider, model and calling agent from the request's `stream` log.
fn stream_facts(builder: &mut RecordBuilder, stream: &StreamLog) {
    if let Some(provider) = &stream.provider {
        if !builder.has(attr::PROVIDER_NAME) {
            let _ = builder.set(attr::PROVIDER_NAME, Value::Str(provider.clone()));
        }
    }
    if let Some(model) = &stream.model {
        if !builder.has(attr::REQUEST_MODEL) {
            let _ = builder.set(
                attr::REQUEST_MODEL,
                Value::Str(crate::adapter::normalize_model(model)),
            );
        }
    }
    if let Some(agent) = &stream.agent {
        let _ = builder.set(attr::QUERY_SOURCE, Value::Str(agent.clone()));
    }
}

fn map_span(item: &Item<'_>, span: &Span, context: &Context<'_>, out: &mut Normalized) {
    let name = span.name.as_str();
    let failed = span.status_code == 2;
    let kind = match name {
        "Tool.execute" => RecordKind::ToolCall,
        "ai.toolCall" => {
            if let Some(id) =
                text(item, "ai.toolCall.id").filter(|id| context.tool_executes.contains(id))
            {
                out.ignored.push((
                    item.id,
                    format!("the Tool.execute span of tool call {id} describes the same call").into(),
                ));
                return;
            }
            RecordKind::ToolCall
        }
        LLM_RUN | "ai.streamText" | "ai.generateText" | "ai.streamObject" | "ai.generateObject"
            if context.above_provider_calls.contains(span.span_id.as_slice()) =>
        {
            out.ignored.push((
                item.id,
                format!(
                    "`{name}` wraps AI SDK provider-call spans, which are the llm_call records"
                ).into(),
            ));
            return;
        }
        LLM_RUN => {
            let stream_failed = context
                .stream_logs
                .get(span.span_id.as_slice())
                .is_some_and(|it| it.error.is_some());
            if failed || stream_failed {
                RecordKind::ApiError
            } else {
                RecordKind::LlmCall
            }
        }
        _ if is_provider_call(name) || AI_OPERATIONS.contains(&name) => {
            if failed {
                RecordKind::ApiError
            } else {
                RecordKind::LlmCall
            }
        }
        PROMPT => RecordKind::Turn,
        _ if name.starts_with("ai.") => RecordKind::Passthrough,
        _ => {
            out.ignored.push((item.id, INTERNAL_SPAN.into()));
            return;
        }
    };
    let mut builder = RecordBuilder::new(VENDOR, kind, item, name);
    let stream = context
        .stream_logs
        .get(span.span_id.as_slice())
        .cloned()
        .unwrap_or_default();
    let session = session_of(item)
        .or_else(|| stream.session.clone())
        .or_else(|| context.trace_session(&span.trace_id));
    let _ = builder.session(session);
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
    if name == LLM_RUN {
        // LLM.run ends once the response stream is set up, long before the answer: its
        // duration is not the call's.
        builder.remove(attr::DURATION_MS);
    }
    match kind {
        RecordKind::ToolCall => {
            if name == "Tool.execute" {
                fold_ai_tool_call(&mut builder, item, context);
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
            if let Some(ttft) = item
                .attr("ai.response.msToFirstChunk")
                .and_then(as_f64)
                .filter(|it| it.is_finite() && *it >= 0.0)
            {
                let _ = builder.set(attr::TTFT_MS, Value::Int(ttft.round() as i64));
            }
            // Which agent made the call: from the `stream` log of the call's LLM.run (the AI SDK
            // spans run inside it), else `title` when opencode's title generation made it.
            if let Some((llm_run, parent)) = context.llm_run_of(span) {
                if let Some(run_stream) = context.stream_logs.get(llm_run) {
                    stream_facts(&mut builder, run_stream);
                }
                if parent == Some("SessionPrompt.ensureTitle") && !builder.has(attr::QUERY_SOURCE) {
                    let _ = builder.set(attr::QUERY_SOURCE, Value::Str("title".to_owned()));
                }
            }
            if kind == RecordKind::ApiError {
                if let Some(error) = &stream.error {
                    if !builder.has(attr::ERROR_MESSAGE) {
                        let _ = builder.set(attr::ERROR_MESSAGE, Value::Str(error.clone()));
                    }
                }
                let error_type = stream
                    .error_type
                    .clone()
                    .unwrap_or_else(|| "api_error".to_owned());
                if !builder.has(attr::ERROR_TYPE) {
                    let _ = builder.set(attr::ERROR_TYPE, Value::Str(error_type));
                }
            }
        }
        _ => {}
    }
    drop_empty_content(&mut builder);
    out.records.push(builder.finish());
}

/// `Tool.execute` carries ids only; the AI SDK's `ai.toolCall` of the same call (ignored as
/// its twin) carries the arguments and result, which belong to the one tool call record.
fn fold_ai_tool_call(builder: &mut RecordBuilder, item: &Item<'_>, context: &Context<'_>) {
    let Some(id) = text(item, "tool.call_id") else {
        return;
    };
    let Some(twin) = context.ai_tool_calls.get(&id) else {
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

/// Token usage of an AI SDK call. With the input details (`noCacheTokens`, `cacheReadTokens`,
/// `cacheWriteTokens`) the total is their sum; without them the AI SDK reports input the way
/// the provider does: including cached input for OpenAI-style providers, excluding it for
/// Anthropic and Bedrock, whose cached part is then added. Output includes reasoning.
fn usage(builder: &mut RecordBuilder, item: &Item<'_>) {
    let first = |keys: &[&str]| keys.iter().find_map(|key| item.attr(key).and_then(as_i64));
    let output = first(&[
        "ai.usage.outputTokens",
        "gen_ai.usage.output_tokens",
        "ai.usage.completionTokens",
        "gen_ai.usage.completion_tokens",
    ]);
    let _ = builder.set_opt(attr::OUTPUT_TOKENS, output.map(Value::Int));
    let cached = |builder: &RecordBuilder, key| match builder.get(key) {
        Some(Value::Int(it)) => *it,
        _ => 0,
    };
    let cache = cached(builder, attr::CACHE_READ_INPUT_TOKENS)
        + cached(builder, attr::CACHE_CREATION_INPUT_TOKENS);
    if let Some(uncached) = first(&["ai.usage.inputTokenDetails.noCacheTokens"]) {
        let _ = builder.set(attr::INPUT_TOKENS, Value::Int(uncached.saturating_add(cache)));
        return;
    }
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
    let total = if excludes_cache { input.saturating_add(cache) } else { input };
    let _ = builder.set(attr::INPUT_TOKENS, Value::Int(total));
}

/// Native opencode sends no metrics; a point here came without a known scope and is kept.
fn map_unexpected_metric(item: &Item<'_>, out: &mut Normalized) {
    let ItemData::Point { metric, .. } = item.data else {
        return;
    };
    let mut builder = metric_record(
        VENDOR,
        RecordKind::MetricPoint,
        item,
        &metric.name,
        "",
        plain_number,
    );
    resource(&mut builder, item);
    out.records.push(builder.finish());
}
