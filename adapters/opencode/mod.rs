//! opencode (`opencode-ai`): two emitters under one vendor id, told apart per item.
//!
//! 1. The community plugin `@devtheops/opencode-plugin-otel` (scope `com.opencode`): Claude
//!    Code–style events (logs), `<prefix>*` metrics and OpenInference spans. See [`plugin`].
//! 2. opencode's native OpenTelemetry (scopes `opencode` and `opencode@<version>`): generic
//!    Effect service logs, hundreds of Effect spans, `Tool.execute`, and with
//!    `experimental.openTelemetry` the Vercel AI SDK's `ai.*` spans. See [`native`].
//!
//! ## What it maps
//! - Plugin events: `user_prompt` → `user_prompt`, `api_request` → `llm_call`, `api_error` →
//!   `api_error`, `tool_result` → `tool_call`, `tool_decision` → `tool_decision`, `commit` →
//!   `commit` (count 1); `session.created`, `session.idle`, `session.error`,
//!   `subtask_invoked` → `passthrough`; any other event → `passthrough` with an
//!   `unknown_event_name` finding. An `api_request`/`api_error`/`tool_result` event whose span
//!   twin is in the capture is *ignored* (the span is the richer record of the same call).
//! - Plugin metrics (`<prefix>` + name, any prefix): `session.count`, `token.usage`,
//!   `cost.usage` (micro-USD), `lines_of_code.count`/`.total`, `commit.count`, `tool.duration`
//!   (ms), `cache.count`, `session.duration` (ms), `message.count`, `session.token.total`,
//!   `session.cost.total` (micro-USD), `model.usage` (→ `coding_agent.api.request.count`),
//!   `retry.count`, `subtask.count` → `metric_point`; an unknown name → `metric_point` under its
//!   own name with an `unknown_metric_name` finding.
//! - Plugin spans, by `openinference.span.kind` (the name carries the configurable prefix):
//!   `AGENT` (`<prefix>session`) → `turn`; `LLM` (`<prefix>llm`) → `llm_call`, or `api_error`
//!   when its status is ERROR; `TOOL` (`<prefix>tool.<tool>`) → `tool_call`.
//! - Native spans: `Tool.execute` → `tool_call` (its `ai.toolCall` twin, same call id, is
//!   ignored and its arguments and result are folded in); `ai.streamText.doStream` (and the
//!   other AI SDK `ai.*.doStream` / `ai.*.doGenerate` provider calls) → `llm_call`, or
//!   `api_error` when failed; `LLM.run` (one model request) → `llm_call`, or `api_error` when a
//!   `stream error` log was written in it, unless AI SDK provider calls run below it (then
//!   ignored: they are the records); the outer `ai.streamText` (`ai.generateText`, …) is
//!   ignored when provider calls run below it and is the `llm_call` otherwise;
//!   `SessionPrompt.prompt` (one user prompt through the whole agent loop) → `turn`; other
//!   `ai.*` spans → `passthrough`; every other span (Effect services, storage, `sql.execute`,
//!   `http.server …`) is ignored with a reason.
//! - Native logs (service logs, no event name) are ignored; the `stream` log written inside
//!   an `LLM.run` lends that call its provider, model, session and calling agent, and a
//!   `stream error` log makes its `LLM.run` an `api_error` (it becomes a record of its own only
//!   when no span in the capture records the failure).
//!
//! ## Rules
//! - Tokens: the plugin's `input_tokens` / `llm.token_count.prompt` / `token.usage{type=input}`
//!   exclude cache reads and writes (opencode's `tokens.input`), so `gen_ai.usage.input_tokens`
//!   = input + cacheRead + cacheCreation; token metric points keep the vendor split in
//!   `gen_ai.token.type` (`input` → `input_uncached`, `cacheRead` → `cache_read`,
//!   `cacheCreation` → `cache_creation`).
//!   opencode's `output` is the provider's output count, which includes reasoning for the
//!   providers that report reasoning; `reasoning` is kept as the subset
//!   `coding_agent.usage.reasoning_tokens`. AI SDK usage on native spans already includes cached
//!   input (OpenAI semantics) except for Anthropic/Bedrock providers, where the cached part is
//!   added (the rule opencode itself applies).
//! - Cost: `cost_usd`, `llm.cost.total`, `cost.usage` and `session.cost.total` are USD →
//!   exact micro-USD. Session totals (`session.total_cost_usd`, `total_cost_usd`,
//!   `session.total_tokens`) aggregate the calls and are never put into `gen_ai.usage.*` or
//!   `coding_agent.cost.usd_micros`; they stay vendor attributes.
//! - `unknown` is the plugin's placeholder for an agent or model it was not told: a model of
//!   `unknown` is absent, not a model.
//! - Content: prompt (`input.value` on LLM/AGENT spans, `prompt` on `user_prompt`), answer
//!   (`output.value` on LLM spans, `ai.response.text`), tool arguments (`tool.parameters`,
//!   `ai.toolCall.args`) and output (`output.value` on TOOL spans, `ai.toolCall.result`), error
//!   text (`error`, `tool.error`, span status messages), and the permission title of
//!   `tool_decision` (opencode's title is the command or path being approved) go into content
//!   keys; the shell command and file path are also read out of the tool arguments.
//!   OpenInference's message-list twins (`llm.input_messages`, `llm.output_messages`) and MIME
//!   types repeat those values and are dropped.
//!
//! ## Vendor quirks
//! - The plugin's event names are bare (`api_request`, `tool_result`, `user_prompt`): the same
//!   names Claude Code puts in `event.name`. Only the scope `com.opencode` (and `service.name`)
//!   tells them apart (every `plugin_*` capture).
//! - `OPENCODE_METRIC_PREFIX=claude_code.` renames the plugin's metrics *and* spans to
//!   `claude_code.*` while the scope stays `com.opencode`: detection still says opencode and
//!   reports a `vendor_evidence_conflict`; the adapter strips any prefix and says which one it
//!   saw in a `metric_prefix` finding (`plugin_metric_prefix_claude_code`).
//! - The plugin's resource `app.version` is the *plugin's* version (0.8.0), not opencode's, so
//!   it is not `coding_agent.vendor.version`; it stays `resource.app.version`.
//! - The plugin sends every counter as `asDouble`, cumulative by default
//!   (`plugin_tool_call_httpjson`), delta only through
//!   `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` (`plugin_temporality_delta`);
//!   `OPENCODE_OTLP_METRICS_TEMPORALITY` is not read at 0.8.0
//!   (`plugin_temporality_setting_ignored_cumulative`).
//! - Plugin logs carry no trace context at 0.8.0; an event is paired with its span by session,
//!   start millisecond (and tool name): `api_request`'s time is the message's creation time,
//!   which is the `llm` span's start, and `tool_result`'s is the tool's start
//!   (`plugin_tool_call_httpjson`). Newer plugin versions stamp the span id on the event, which
//!   is used first.
//! - The prompt given to `opencode run` reaches the plugin wrapped in double quotes, so
//!   `prompt_length` counts two extra characters (`plugin_text_answer_httpjson`: 14 for
//!   `What is 2+2?`).
//! - A one-shot `opencode run` exits before the plugin flushes: the `api_request` event and the
//!   token metrics are lost while the `llm` span survives, which then is the `llm_call`
//!   (`plugin_oneshot_run_loses_last_export`).
//! - `OPENCODE_DISABLE_TRACES=session,llm,tool` removes every span (and with them all prompt
//!   text); events then are the only call records (`plugin_prompt_canary_traces_disabled`).
//! - Native service logs have no event name; their body is an array `[message, "<context>"]`
//!   whose context only looks like JSON (`undefined`, unquoted errors) and holds paths and,
//!   around a bash call, the command: they are ignored; from `stream` / `stream error` only
//!   the `providerID`, `modelID`, `session.id` and `agent` fields (ids and names) are read, and
//!   the error context goes to `coding_agent.error.message` (`shell_tool_call`, `api_error`).
//! - Native telemetry without `experimental.openTelemetry` has no tokens, model, prompt or
//!   answer on any span: `LLM.run` has no attributes, so its `llm_call` gets provider, model,
//!   session and agent from its `stream` log, and loses them when the CLI exits before the
//!   last log batch is flushed (`text_answer`: the second call). `LLM.run` ends once the stream
//!   is set up (3–120 ms), so its duration is not used.
//! - A failed model request leaves its `LLM.run` span with status OK; only an Error-severity
//!   `stream error` log written in that span tells, with the AI SDK error class
//!   (`AI_APICallError`) but no HTTP status (`api_error`: a 500 and a 429, then success).
//! - With `experimental.openTelemetry`, `LLM.run` → `ai.streamText` → `ai.streamText.doStream`
//!   nest in one trace, and `ai.toolCall` sits under `ai.streamText` while `Tool.execute` sits
//!   under `SessionTools.resolve`; AI SDK usage includes cached input (`noCacheTokens` +
//!   `cacheReadTokens`) and output includes reasoning (`textTokens` + `reasoningTokens`);
//!   `ai.response.msToFirstChunk` is a fractional millisecond count, rounded into
//!   `coding_agent.ttft_ms` (`content_flags_on`).
//! - Native span status messages hold local paths (`NotFound: FileSystem.readFile (<HOME>/…)`,
//!   with exception events and stack traces): those spans are ignored, and a status message
//!   only ever reaches `coding_agent.error.message` (`text_answer`).
//! - Spans other than `Tool.execute` and the AI SDK's carry no session id; a span without one
//!   takes its `stream` log's, else the one session its trace names (`text_answer`).
mod native;
mod plugin;

use crate::adapter::{as_string, resource_key, Adapter, Item, ItemData, Normalized, RecordBuilder, Signature};
use crate::otlp::{find_attr, AnyValue, Span};
use crate::schema::{attributes as attr, Value};

/// The opencode adapter (plugin and native telemetry).
pub struct Opencode;

const VENDOR: &str = "opencode";

static SIGNATURE: Signature = Signature {
    // `com.opencode` is the plugin; `opencode` and `opencode@<version>` are native.
    scope_prefixes: &["com.opencode", "opencode"],
    service_names: &["opencode"],
    name_prefixes: &["opencode."],
};

impl Adapter for Opencode {
    fn name(&self) -> &'static str {
        VENDOR
    }

    fn signature(&self) -> &'static Signature {
        &SIGNATURE
    }

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {
        let mut out = Normalized::default();
        let (plugin_items, native_items): (Vec<Item<'_>>, Vec<Item<'_>>) = items
            .iter()
            .copied()
            .partition(|item| emitter(item) == Emitter::Plugin);
        plugin::normalize(&plugin_items, &mut out);
        native::normalize(&native_items, &mut out);
        out
    }

    /// Audited against `normalize`: the only items mapped from themselves alone are plugin
    /// events that no plugin span can be the twin of (`plugin::event_may_join`: no span id
    /// stamped on them, and not `api_request`, `api_error` or `tool_result`, the names matched
    /// by session and start time): `map_event` reads only the item itself, the span twins (which
    /// such an event never matches) and the set of names already reported (findings, not
    /// records). Everything else may join: plugin spans make twin events ignored; native logs
    /// lend their provider to an `LLM.run` span or turn it into an `api_error`; native spans pair
    /// with each other (`Tool.execute` with `ai.toolCall`, `LLM.run` with the AI SDK calls below
    /// it); plugin metrics are not merged anyway.
    fn may_join_other_items(&self, item: &Item<'_>) -> bool {
        match item.data {
            ItemData::Log(record) if emitter(item) == Emitter::Plugin => plugin::event_may_join(record),
            _ => true,
        }
    }
}

/// Which of the two emitters sent an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emitter {
    Plugin,
    Native,
}

/// The scope decides; without a known scope (a forced vendor, detection by `service.name`),
/// the data's shape does: only the plugin names events, sends metrics and marks spans with
/// an OpenInference kind.
fn emitter(item: &Item<'_>) -> Emitter {
    let scope = item.scope.name.as_str();
    if scope.starts_with("com.opencode") {
        return Emitter::Plugin;
    }
    if scope == "opencode" || scope.starts_with("opencode@") {
        return Emitter::Native;
    }
    match item.data {
        ItemData::Log(record) => {
            if find_attr(&record.attributes, "event.name").is_some() {
                Emitter::Plugin
            } else {
                Emitter::Native
            }
        }
        ItemData::Point { .. } => Emitter::Plugin,
        ItemData::Span(span) => {
            if find_attr(&span.attributes, "openinference.span.kind").is_some() {
                Emitter::Plugin
            } else {
                Emitter::Native
            }
        }
    }
}

/// A non-empty string attribute of the item.
fn text(item: &Item<'_>, key: &str) -> Option<String> {
    item.attr(key)
        .and_then(as_string)
        .filter(|it| !it.trim().is_empty())
}

/// Resource facts every record carries: service name, CLI version (native only: the plugin's
/// `app.version` is its own), OS and host; every other resource attribute is kept as
/// `resource.<key>`.
fn resource(builder: &mut RecordBuilder, item: &Item<'_>) {
    for kv in &item.resource.attributes {
        let canonical = match kv.key.as_str() {
            "service.name" => Some(attr::SERVICE_NAME),
            "service.version" => Some(attr::VENDOR_VERSION),
            "os.type" => Some(attr::OS_TYPE),
            "os.version" => Some(attr::OS_VERSION),
            "host.arch" => Some(attr::HOST_ARCH),
            "host.name" => Some(attr::HOST_NAME),
            _ => None,
        };
        match (canonical, as_string(&kv.value).filter(|it| !it.is_empty())) {
            (Some(key), Some(value)) => {
                if !builder.has(key) {
                    let _ = builder.set(key, Value::Str(value));
                }
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
}

/// Resource attributes known to hold versions, channels and ids only: kept in
/// `metadata_only` (the plugin's own version, the native run id and release channel).
const RESOURCE_METADATA: &[&str] = &[
    "app.version",
    "deployment.environment.name",
    "opencode.client",
    "opencode.run",
    "service.instance.id",
    "service.namespace",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
];

/// Span facts: duration (when no attribute gave one) and status. The status message can
/// hold error text and paths, so it only ever becomes content.
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

/// What an opencode tool does, from its name (built-ins of opencode 1.x; MCP tools are
/// `<server>_<tool>` and land in `other`).
fn tool_category(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "bash" | "shell" => "shell",
        "edit" | "write" | "patch" | "multiedit" | "apply_patch" => "edit",
        "read" | "list" | "ls" => "read",
        "glob" | "grep" | "codesearch" | "lsp" => "search",
        "webfetch" | "websearch" => "web",
        "task" => "agent",
        _ => "other",
    }
}

/// Category, and the shell command or file path out of the tool arguments (content keys).
fn tool_details(builder: &mut RecordBuilder) {
    if let Some(Value::Str(name)) = builder.get(attr::TOOL_NAME) {
        let category = tool_category(name);
        let _ = builder.set(attr::TOOL_CATEGORY, Value::Str(category.to_owned()));
    }
    crate::adapter::command_and_path_from_arguments(builder, &[attr::TOOL_ARGUMENTS]);
}

/// An empty prompt, answer or tool text is no content (a tool-calling turn's
/// `ai.response.text` is `""`): absent stays absent.
fn drop_empty_content(builder: &mut RecordBuilder) {
    for key in [
        attr::PROMPT_TEXT,
        attr::RESPONSE_TEXT,
        attr::TOOL_ARGUMENTS,
        attr::TOOL_RESULT,
        attr::ERROR_MESSAGE,
    ] {
        if matches!(builder.get(key), Some(Value::Str(text)) if text.trim().is_empty()) {
            builder.remove(key);
        }
    }
}

/// Milliseconds of a nanosecond time, the precision opencode stamps events and spans with.
fn millis(nanos: u64) -> u64 {
    nanos / 1_000_000
}

/// Whether a value is the plugin's `unknown` placeholder (or empty).
fn is_placeholder(value: &AnyValue) -> bool {
    match value.as_str() {
        Some(text) => text.trim().is_empty() || text == "unknown",
        None => false,
    }
}
