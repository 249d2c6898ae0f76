//! Canonical attribute keys: one constant each, and [`ALL`], the table `docs/schema.md` is generated from.
//!
//! Keys live in the `gen_ai.*` namespace of the OpenTelemetry GenAI conventions where one exists,
//! and in `coding_agent.*` otherwise. The privacy class of each key decides what the privacy layer
//! keeps in each capture mode (see `crate::privacy`).

/// What the privacy layer may keep of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Kept in every mode: counts, names, ids, durations, categories.
    Metadata,
    /// Who the user is: kept in `metadata_only` and `full`, removed in `minimal`.
    Identity,
    /// Prompt, response, tool arguments and output, commands, paths, error text: `full` only.
    Content,
}

impl Class {
    /// The lowercase name used in the schema document.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Metadata => "metadata",
            Class::Identity => "identity",
            Class::Content => "content",
        }
    }
}

/// One canonical attribute key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrSpec {
    /// The key.
    pub key: &'static str,
    /// Value type: `string`, `int`, `double`, `bool` or `string[]`.
    pub ty: &'static str,
    /// Unit (UCUM-style), empty when unitless.
    pub unit: &'static str,
    /// Privacy class.
    pub class: Class,
    /// What it means.
    pub doc: &'static str,
}

/// Looks up a key's spec.
pub fn spec(key: &str) -> Option<&'static AttrSpec> {
    ALL.iter().find(|it| it.key == key)
}

/// `coding_agent.vendor`: Vendor id of the adapter that produced the record (`claude_code`, `codex`, ...).
pub const VENDOR: &str = "coding_agent.vendor";
/// `coding_agent.vendor.version`: Version of the CLI that emitted the telemetry, as the CLI reports it (Gemini's Node version in `service.version` is not used).
pub const VENDOR_VERSION: &str = "coding_agent.vendor.version";
/// `coding_agent.session.id`: The CLI session id (Claude Code `session.id`, Codex `conversation.id`, ...). Also the record's top-level `session_id`.
pub const SESSION_ID: &str = "coding_agent.session.id";
/// `coding_agent.capture_mode`: Privacy mode the record was produced under: `minimal`, `metadata_only` or `full`.
pub const CAPTURE_MODE: &str = "coding_agent.capture_mode";
/// `coding_agent.prompt.id`: Id tying together every record of one user prompt (a turn).
pub const PROMPT_ID: &str = "coding_agent.prompt.id";
/// `coding_agent.event.sequence`: Vendor's monotonic per-session event counter.
pub const EVENT_SEQUENCE: &str = "coding_agent.event.sequence";
/// `coding_agent.trace_id`: W3C trace id (32 lowercase hex) of the span or of the span active when a log was emitted.
pub const TRACE_ID: &str = "coding_agent.trace_id";
/// `coding_agent.span_id`: Span id (16 lowercase hex).
pub const SPAN_ID: &str = "coding_agent.span_id";
/// `coding_agent.parent_span_id`: Parent span id (16 lowercase hex); absent on root spans.
pub const PARENT_SPAN_ID: &str = "coding_agent.parent_span_id";
/// `coding_agent.user.id`: Stable user or installation id as the CLI stamped it (Claude Code: a 64-hex install id).
pub const USER_ID: &str = "coding_agent.user.id";
/// `coding_agent.user.email`: User e-mail when the CLI sends one.
pub const USER_EMAIL: &str = "coding_agent.user.email";
/// `coding_agent.user.account_id`: Vendor account id (Claude Code `user.account_uuid`, falling back to `user.account_id`).
pub const USER_ACCOUNT_ID: &str = "coding_agent.user.account_id";
/// `coding_agent.organization.id`: Vendor organization id.
pub const ORGANIZATION_ID: &str = "coding_agent.organization.id";
/// `coding_agent.host.name`: Host name of the machine running the CLI.
pub const HOST_NAME: &str = "coding_agent.host.name";
/// `coding_agent.terminal.type`: Terminal or IDE the CLI ran in (`vscode`, `tmux`, ...).
pub const TERMINAL_TYPE: &str = "coding_agent.terminal.type";
/// `coding_agent.entrypoint`: How the CLI was launched (`cli`, `sdk-ts`, ...).
pub const ENTRYPOINT: &str = "coding_agent.entrypoint";
/// `gen_ai.provider.name`: Model provider (`anthropic`, `openai`, `gcp.gemini`, ...).
pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
/// `gen_ai.request.model`: Model name, normalized: context-window and other bracketed suffixes removed (`claude-opus-4-8[1m]` becomes `claude-opus-4-8`).
pub const REQUEST_MODEL: &str = "gen_ai.request.model";
/// `coding_agent.model.raw`: Model name exactly as the vendor sent it, when it differs from `gen_ai.request.model`.
pub const MODEL_RAW: &str = "coding_agent.model.raw";
/// `gen_ai.response.id`: Provider's response id.
pub const RESPONSE_ID: &str = "gen_ai.response.id";
/// `gen_ai.response.finish_reasons`: Why the model stopped (`end_turn`, `tool_use`, ...).
pub const FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `coding_agent.request.id`: Provider API request id (Claude Code `req_...`).
pub const REQUEST_ID: &str = "coding_agent.request.id";
/// `coding_agent.query_source`: Which part of the agent made the call (`repl_main_thread`, `compact`, a subagent, ...).
pub const QUERY_SOURCE: &str = "coding_agent.query_source";
/// `coding_agent.speed`: Speed tier of the request (`fast`), when the vendor sends one.
pub const SPEED: &str = "coding_agent.speed";
/// `coding_agent.effort`: Reasoning effort level of the request, when the vendor sends one.
pub const EFFORT: &str = "coding_agent.effort";
/// `gen_ai.usage.input_tokens`: Input tokens *including* cache reads and cache creation (OTel GenAI semantics). Claude Code's `input_tokens` excludes them; its adapter adds them.
pub const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens`: Output tokens (including reasoning tokens where the vendor counts them in).
pub const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens`: Input tokens served from the prompt cache; a subset of `gen_ai.usage.input_tokens`.
pub const CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_creation.input_tokens`: Input tokens written to the prompt cache; a subset of `gen_ai.usage.input_tokens`.
pub const CACHE_CREATION_INPUT_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
/// `coding_agent.usage.reasoning_tokens`: Reasoning (thinking) tokens; a subset of output tokens.
pub const REASONING_OUTPUT_TOKENS: &str = "coding_agent.usage.reasoning_tokens";
/// `coding_agent.cost.usd_micros`: Cost in exact integer micro-USD, as the vendor estimated it. Absent when the vendor reports no money (a multiplier is never passed off as cost).
pub const COST_USD_MICROS: &str = "coding_agent.cost.usd_micros";
/// `coding_agent.duration_ms`: Duration of the call, tool run or turn.
pub const DURATION_MS: &str = "coding_agent.duration_ms";
/// `coding_agent.ttft_ms`: Time to first token of a model call.
pub const TTFT_MS: &str = "coding_agent.ttft_ms";
/// `coding_agent.attempt`: Attempt number of an API call (1 = first try).
pub const ATTEMPT: &str = "coding_agent.attempt";
/// `coding_agent.http.status_code`: HTTP status code of a failed API call.
pub const HTTP_STATUS_CODE: &str = "coding_agent.http.status_code";
/// `coding_agent.error.type`: Error category (`rate_limit`, an HTTP status, an error class name); never message text.
pub const ERROR_TYPE: &str = "coding_agent.error.type";
/// `coding_agent.error.message`: Error message text; may echo prompt, command or file content.
pub const ERROR_MESSAGE: &str = "coding_agent.error.message";
/// `coding_agent.success`: Whether the tool call or operation succeeded.
pub const SUCCESS: &str = "coding_agent.success";
/// `gen_ai.tool.name`: Tool name as the agent calls it (`Bash`, `Edit`, `exec_command`, ...).
pub const TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.call.id`: Id of one tool call, joining decisions, results and spans.
pub const TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `coding_agent.tool.category`: What the tool does: `shell`, `edit`, `read`, `search`, `web`, `agent`, `mcp`, `other`. Shell commands and edit decisions are tool records with category `shell` or `edit`.
pub const TOOL_CATEGORY: &str = "coding_agent.tool.category";
/// `coding_agent.tool.source`: Where the tool comes from (`builtin`, `mcp`, ...).
pub const TOOL_SOURCE: &str = "coding_agent.tool.source";
/// `coding_agent.tool.input_size_bytes`: Size of the tool input in bytes.
pub const TOOL_INPUT_SIZE: &str = "coding_agent.tool.input_size_bytes";
/// `coding_agent.tool.result_size_bytes`: Size of the tool result in bytes.
pub const TOOL_RESULT_SIZE: &str = "coding_agent.tool.result_size_bytes";
/// `gen_ai.tool.call.arguments`: Tool call arguments (JSON text).
pub const TOOL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `gen_ai.tool.call.result`: Tool output.
pub const TOOL_RESULT: &str = "gen_ai.tool.call.result";
/// `coding_agent.tool.parameters`: Vendor's structured tool parameters (JSON text; holds commands and paths).
pub const TOOL_PARAMETERS: &str = "coding_agent.tool.parameters";
/// `coding_agent.shell.command`: Shell command text.
pub const SHELL_COMMAND: &str = "coding_agent.shell.command";
/// `coding_agent.shell.exit_code`: Exit status of a shell command, from a structured field or the CLI's own status line (never read from the command's output).
pub const SHELL_EXIT_CODE: &str = "coding_agent.shell.exit_code";
/// `coding_agent.file.path`: A file path the tool touched.
pub const FILE_PATH: &str = "coding_agent.file.path";
/// `coding_agent.decision`: Permission decision: `accept` or `reject`.
pub const DECISION: &str = "coding_agent.decision";
/// `coding_agent.decision.source`: Who decided (`config`, `hook`, `user_permanent`, `user_temporary`, `user_abort`, `user_reject`).
pub const DECISION_SOURCE: &str = "coding_agent.decision.source";
/// `coding_agent.prompt.length`: Length of the user prompt in characters.
pub const PROMPT_LENGTH: &str = "coding_agent.prompt.length";
/// `coding_agent.prompt.text`: User prompt text.
pub const PROMPT_TEXT: &str = "coding_agent.prompt.text";
/// `coding_agent.response.length`: Length of the assistant response in characters.
pub const RESPONSE_LENGTH: &str = "coding_agent.response.length";
/// `coding_agent.response.text`: Assistant response text.
pub const RESPONSE_TEXT: &str = "coding_agent.response.text";
/// `coding_agent.command.name`: Slash command name the prompt invoked, as the vendor reports it without details.
pub const COMMAND_NAME: &str = "coding_agent.command.name";
/// `coding_agent.api.body`: Raw model API request or response body.
pub const API_BODY: &str = "coding_agent.api.body";
/// `coding_agent.api.body_length`: Length of the raw API body.
pub const API_BODY_LENGTH: &str = "coding_agent.api.body_length";
/// `coding_agent.api.body_direction`: `request` or `response`, for raw API body records.
pub const API_BODY_DIRECTION: &str = "coding_agent.api.body_direction";
/// `coding_agent.interaction.sequence`: 1-based number of the turn within the session.
pub const INTERACTION_SEQUENCE: &str = "coding_agent.interaction.sequence";
/// `coding_agent.metric.name`: Canonical metric name (`coding_agent.token.usage`, `coding_agent.cost.usage`, ...).
pub const METRIC_NAME: &str = "coding_agent.metric.name";
/// `coding_agent.metric.source_name`: The vendor's metric name.
pub const METRIC_SOURCE_NAME: &str = "coding_agent.metric.source_name";
/// `coding_agent.metric.unit`: Unit of `coding_agent.metric.value` after normalization (`{token}`, `micro-USD`, `s`, `ms`, `1`).
pub const METRIC_UNIT: &str = "coding_agent.metric.unit";
/// `coding_agent.metric.temporality`: Temporality as sent: `delta`, `cumulative`, or `gauge` for gauges.
pub const METRIC_TEMPORALITY: &str = "coding_agent.metric.temporality";
/// `coding_agent.metric.value`: The data point's value as sent (a sum's running total when cumulative). Integer-valued streams serialize without a fraction.
pub const METRIC_VALUE: &str = "coding_agent.metric.value";
/// `coding_agent.metric.delta`: The increase this point adds to the stream's total: the value itself for delta streams, the difference to the previous point of the same stream for cumulative ones. 0 for a point that repeats an earlier one of its stream (same start time, time and value: a retried or re-exported batch), whatever the temporality.
pub const METRIC_DELTA: &str = "coding_agent.metric.delta";
/// `coding_agent.metric.start_time_unix_nano`: Start of the aggregation interval.
pub const METRIC_START_TIME: &str = "coding_agent.metric.start_time_unix_nano";
/// `gen_ai.token.type`: Token type of a token metric point, from one vocabulary with one meaning per value (see the schema document).
pub const TOKEN_TYPE: &str = "gen_ai.token.type";
/// `coding_agent.lines.type`: `added` or `removed`, for lines-of-code metric points.
pub const LINES_TYPE: &str = "coding_agent.lines.type";
/// `coding_agent.active_time.type`: `user` or `cli`, for active-time metric points.
pub const ACTIVE_TIME_TYPE: &str = "coding_agent.active_time.type";
/// `coding_agent.language`: Programming language of an edited file, as the vendor classifies it.
pub const LANGUAGE: &str = "coding_agent.language";
/// `coding_agent.session.start_type`: How the session started (`fresh`, `resume`, `continue`).
pub const SESSION_START_TYPE: &str = "coding_agent.session.start_type";
/// `coding_agent.session.start_time_unix_nano`: Earliest time of any record of the session (session records).
pub const SESSION_START_TIME: &str = "coding_agent.session.start_time_unix_nano";
/// `coding_agent.session.end_time_unix_nano`: Latest time of any record of the session (session records).
pub const SESSION_END_TIME: &str = "coding_agent.session.end_time_unix_nano";
/// `coding_agent.session.record_count`: How many canonical records name the session (session records).
pub const SESSION_RECORD_COUNT: &str = "coding_agent.session.record_count";
/// `coding_agent.session.models`: Normalized models used in the session (session records).
pub const SESSION_MODELS: &str = "coding_agent.session.models";
/// `coding_agent.count`: How many occurrences a record stands for (commit and pull-request records from counters).
pub const COUNT: &str = "coding_agent.count";
/// `coding_agent.span.status`: Span status code: `unset`, `ok` or `error`.
pub const SPAN_STATUS: &str = "coding_agent.span.status";

/// `coding_agent.service.name`: Resource `service.name` exactly as sent (a shell-wide OTEL_SERVICE_NAME shows up here).
pub const SERVICE_NAME: &str = "coding_agent.service.name";
/// `coding_agent.os.type`: Operating system type of the machine running the CLI.
pub const OS_TYPE: &str = "coding_agent.os.type";
/// `coding_agent.os.version`: Operating system version.
pub const OS_VERSION: &str = "coding_agent.os.version";
/// `coding_agent.host.arch`: CPU architecture.
pub const HOST_ARCH: &str = "coding_agent.host.arch";
/// `coding_agent.metric.count`: Number of observations in a histogram or summary point.
pub const METRIC_COUNT: &str = "coding_agent.metric.count";

/// Every canonical key, in schema-document order.
pub static ALL: &[AttrSpec] = &[
    AttrSpec { key: VENDOR, ty: "string", unit: "", class: Class::Metadata, doc: "Vendor id of the adapter that produced the record (`claude_code`, `codex`, ...)." },
    AttrSpec { key: VENDOR_VERSION, ty: "string", unit: "", class: Class::Metadata, doc: "Version of the CLI that emitted the telemetry, as the CLI reports it (Gemini's Node version in `service.version` is not used)." },
    AttrSpec { key: SESSION_ID, ty: "string", unit: "", class: Class::Metadata, doc: "The CLI session id (Claude Code `session.id`, Codex `conversation.id`, ...). Also the record's top-level `session_id`." },
    AttrSpec { key: CAPTURE_MODE, ty: "string", unit: "", class: Class::Metadata, doc: "Privacy mode the record was produced under: `minimal`, `metadata_only` or `full`." },
    AttrSpec { key: PROMPT_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Id tying together every record of one user prompt (a turn)." },
    AttrSpec { key: EVENT_SEQUENCE, ty: "int", unit: "", class: Class::Metadata, doc: "Vendor's monotonic per-session event counter." },
    AttrSpec { key: TRACE_ID, ty: "string", unit: "", class: Class::Metadata, doc: "W3C trace id (32 lowercase hex) of the span or of the span active when a log was emitted." },
    AttrSpec { key: SPAN_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Span id (16 lowercase hex)." },
    AttrSpec { key: PARENT_SPAN_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Parent span id (16 lowercase hex); absent on root spans." },
    AttrSpec { key: USER_ID, ty: "string", unit: "", class: Class::Identity, doc: "Stable user or installation id as the CLI stamped it (Claude Code: a 64-hex install id)." },
    AttrSpec { key: USER_EMAIL, ty: "string", unit: "", class: Class::Identity, doc: "User e-mail when the CLI sends one." },
    AttrSpec { key: USER_ACCOUNT_ID, ty: "string", unit: "", class: Class::Identity, doc: "Vendor account id (Claude Code `user.account_uuid`, falling back to `user.account_id`)." },
    AttrSpec { key: ORGANIZATION_ID, ty: "string", unit: "", class: Class::Identity, doc: "Vendor organization id." },
    AttrSpec { key: HOST_NAME, ty: "string", unit: "", class: Class::Identity, doc: "Host name of the machine running the CLI." },
    AttrSpec { key: TERMINAL_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "Terminal or IDE the CLI ran in (`vscode`, `tmux`, ...)." },
    AttrSpec { key: ENTRYPOINT, ty: "string", unit: "", class: Class::Metadata, doc: "How the CLI was launched (`cli`, `sdk-ts`, ...)." },
    AttrSpec { key: PROVIDER_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "Model provider (`anthropic`, `openai`, `gcp.gemini`, ...)." },
    AttrSpec { key: REQUEST_MODEL, ty: "string", unit: "", class: Class::Metadata, doc: "Model name, normalized: context-window and other bracketed suffixes removed (`claude-opus-4-8[1m]` becomes `claude-opus-4-8`)." },
    AttrSpec { key: MODEL_RAW, ty: "string", unit: "", class: Class::Metadata, doc: "Model name exactly as the vendor sent it, when it differs from `gen_ai.request.model`." },
    AttrSpec { key: RESPONSE_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Provider's response id." },
    AttrSpec { key: FINISH_REASONS, ty: "string[]", unit: "", class: Class::Metadata, doc: "Why the model stopped (`end_turn`, `tool_use`, ...)." },
    AttrSpec { key: REQUEST_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Provider API request id (Claude Code `req_...`)." },
    AttrSpec { key: QUERY_SOURCE, ty: "string", unit: "", class: Class::Metadata, doc: "Which part of the agent made the call (`repl_main_thread`, `compact`, a subagent, ...)." },
    AttrSpec { key: SPEED, ty: "string", unit: "", class: Class::Metadata, doc: "Speed tier of the request (`fast`), when the vendor sends one." },
    AttrSpec { key: EFFORT, ty: "string", unit: "", class: Class::Metadata, doc: "Reasoning effort level of the request, when the vendor sends one." },
    AttrSpec { key: INPUT_TOKENS, ty: "int", unit: "{token}", class: Class::Metadata, doc: "Input tokens *including* cache reads and cache creation (OTel GenAI semantics). Claude Code's `input_tokens` excludes them; its adapter adds them." },
    AttrSpec { key: OUTPUT_TOKENS, ty: "int", unit: "{token}", class: Class::Metadata, doc: "Output tokens (including reasoning tokens where the vendor counts them in)." },
    AttrSpec { key: CACHE_READ_INPUT_TOKENS, ty: "int", unit: "{token}", class: Class::Metadata, doc: "Input tokens served from the prompt cache; a subset of `gen_ai.usage.input_tokens`." },
    AttrSpec { key: CACHE_CREATION_INPUT_TOKENS, ty: "int", unit: "{token}", class: Class::Metadata, doc: "Input tokens written to the prompt cache; a subset of `gen_ai.usage.input_tokens`." },
    AttrSpec { key: REASONING_OUTPUT_TOKENS, ty: "int", unit: "{token}", class: Class::Metadata, doc: "Reasoning (thinking) tokens; a subset of output tokens." },
    AttrSpec { key: COST_USD_MICROS, ty: "int", unit: "micro-USD", class: Class::Metadata, doc: "Cost in exact integer micro-USD, as the vendor estimated it. Absent when the vendor reports no money (a multiplier is never passed off as cost)." },
    AttrSpec { key: DURATION_MS, ty: "int", unit: "ms", class: Class::Metadata, doc: "Duration of the call, tool run or turn." },
    AttrSpec { key: TTFT_MS, ty: "int", unit: "ms", class: Class::Metadata, doc: "Time to first token of a model call." },
    AttrSpec { key: ATTEMPT, ty: "int", unit: "", class: Class::Metadata, doc: "Attempt number of an API call (1 = first try)." },
    AttrSpec { key: HTTP_STATUS_CODE, ty: "int", unit: "", class: Class::Metadata, doc: "HTTP status code of a failed API call." },
    AttrSpec { key: ERROR_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "Error category (`rate_limit`, an HTTP status, an error class name); never message text." },
    AttrSpec { key: ERROR_MESSAGE, ty: "string", unit: "", class: Class::Content, doc: "Error message text; may echo prompt, command or file content." },
    AttrSpec { key: SUCCESS, ty: "bool", unit: "", class: Class::Metadata, doc: "Whether the tool call or operation succeeded." },
    AttrSpec { key: TOOL_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "Tool name as the agent calls it (`Bash`, `Edit`, `exec_command`, ...)." },
    AttrSpec { key: TOOL_CALL_ID, ty: "string", unit: "", class: Class::Metadata, doc: "Id of one tool call, joining decisions, results and spans." },
    AttrSpec { key: TOOL_CATEGORY, ty: "string", unit: "", class: Class::Metadata, doc: "What the tool does: `shell`, `edit`, `read`, `search`, `web`, `agent`, `mcp`, `other`. Shell commands and edit decisions are tool records with category `shell` or `edit`." },
    AttrSpec { key: TOOL_SOURCE, ty: "string", unit: "", class: Class::Metadata, doc: "Where the tool comes from (`builtin`, `mcp`, ...)." },
    AttrSpec { key: TOOL_INPUT_SIZE, ty: "int", unit: "By", class: Class::Metadata, doc: "Size of the tool input in bytes." },
    AttrSpec { key: TOOL_RESULT_SIZE, ty: "int", unit: "By", class: Class::Metadata, doc: "Size of the tool result in bytes." },
    AttrSpec { key: TOOL_ARGUMENTS, ty: "string", unit: "", class: Class::Content, doc: "Tool call arguments (JSON text)." },
    AttrSpec { key: TOOL_RESULT, ty: "string", unit: "", class: Class::Content, doc: "Tool output." },
    AttrSpec { key: TOOL_PARAMETERS, ty: "string", unit: "", class: Class::Content, doc: "Vendor's structured tool parameters (JSON text; holds commands and paths)." },
    AttrSpec { key: SHELL_COMMAND, ty: "string", unit: "", class: Class::Content, doc: "Shell command text." },
    AttrSpec { key: SHELL_EXIT_CODE, ty: "int", unit: "", class: Class::Metadata, doc: "Exit status of a shell command, from a structured field or the CLI's own status line (never read from the command's output)." },
    AttrSpec { key: FILE_PATH, ty: "string", unit: "", class: Class::Content, doc: "A file path the tool touched." },
    AttrSpec { key: DECISION, ty: "string", unit: "", class: Class::Metadata, doc: "Permission decision: `accept` or `reject`." },
    AttrSpec { key: DECISION_SOURCE, ty: "string", unit: "", class: Class::Metadata, doc: "Who decided (`config`, `hook`, `user_permanent`, `user_temporary`, `user_abort`, `user_reject`)." },
    AttrSpec { key: PROMPT_LENGTH, ty: "int", unit: "{char}", class: Class::Metadata, doc: "Length of the user prompt in characters." },
    AttrSpec { key: PROMPT_TEXT, ty: "string", unit: "", class: Class::Content, doc: "User prompt text." },
    AttrSpec { key: RESPONSE_LENGTH, ty: "int", unit: "{char}", class: Class::Metadata, doc: "Length of the assistant response in characters." },
    AttrSpec { key: RESPONSE_TEXT, ty: "string", unit: "", class: Class::Content, doc: "Assistant response text." },
    AttrSpec { key: COMMAND_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "Slash command name the prompt invoked, as the vendor reports it without details." },
    AttrSpec { key: API_BODY, ty: "string", unit: "", class: Class::Content, doc: "Raw model API request or response body." },
    AttrSpec { key: API_BODY_LENGTH, ty: "int", unit: "By", class: Class::Metadata, doc: "Length of the raw API body." },
    AttrSpec { key: API_BODY_DIRECTION, ty: "string", unit: "", class: Class::Metadata, doc: "`request` or `response`, for raw API body records." },
    AttrSpec { key: INTERACTION_SEQUENCE, ty: "int", unit: "", class: Class::Metadata, doc: "1-based number of the turn within the session." },
    AttrSpec { key: METRIC_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "Canonical metric name (`coding_agent.token.usage`, `coding_agent.cost.usage`, ...)." },
    AttrSpec { key: METRIC_SOURCE_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "The vendor's metric name." },
    AttrSpec { key: METRIC_UNIT, ty: "string", unit: "", class: Class::Metadata, doc: "Unit of `coding_agent.metric.value` after normalization (`{token}`, `micro-USD`, `s`, `ms`, `1`)." },
    AttrSpec { key: METRIC_TEMPORALITY, ty: "string", unit: "", class: Class::Metadata, doc: "Temporality as sent: `delta`, `cumulative`, or `gauge` for gauges." },
    AttrSpec { key: METRIC_VALUE, ty: "double", unit: "see unit", class: Class::Metadata, doc: "The data point's value as sent (a sum's running total when cumulative). Integer-valued streams serialize without a fraction." },
    AttrSpec { key: METRIC_DELTA, ty: "double", unit: "see unit", class: Class::Metadata, doc: "The increase this point adds to the stream's total: the value itself for delta streams, the difference to the previous point of the same stream for cumulative ones. 0 for a point that repeats an earlier one of its stream (same start time, time and value: a retried or re-exported batch), whatever the temporality." },
    AttrSpec { key: METRIC_START_TIME, ty: "int", unit: "ns", class: Class::Metadata, doc: "Start of the aggregation interval." },
    AttrSpec { key: TOKEN_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "Token type of a token metric point, from one vocabulary whose every value means one thing for every vendor: `input` (all input tokens, cache reads and creation included), `input_uncached` (input without cache reads and creation: Claude Code's `input`), `cache_read` and `cache_creation` (parts of input), `output` (all output, reasoning included), `output_visible` (output without reasoning: Gemini's `output`), `reasoning` (part of output), `tool` (tool-use prompt tokens a vendor counts apart from `input`), `total` (input plus output as the vendor totals them; never add it to the others). Sum only types that do not overlap." },
    AttrSpec { key: LINES_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "`added` or `removed`, for lines-of-code metric points." },
    AttrSpec { key: ACTIVE_TIME_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "`user` or `cli`, for active-time metric points." },
    AttrSpec { key: LANGUAGE, ty: "string", unit: "", class: Class::Metadata, doc: "Programming language of an edited file, as the vendor classifies it." },
    AttrSpec { key: SESSION_START_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "How the session started (`fresh`, `resume`, `continue`)." },
    AttrSpec { key: SESSION_START_TIME, ty: "int", unit: "ns", class: Class::Metadata, doc: "Earliest time of any record of the session (session records)." },
    AttrSpec { key: SESSION_END_TIME, ty: "int", unit: "ns", class: Class::Metadata, doc: "Latest time of any record of the session (session records)." },
    AttrSpec { key: SESSION_RECORD_COUNT, ty: "int", unit: "", class: Class::Metadata, doc: "How many canonical records name the session (session records)." },
    AttrSpec { key: SESSION_MODELS, ty: "string[]", unit: "", class: Class::Metadata, doc: "Normalized models used in the session (session records)." },
    AttrSpec { key: COUNT, ty: "int", unit: "", class: Class::Metadata, doc: "How many occurrences a record stands for (commit and pull-request records from counters)." },
    AttrSpec { key: SPAN_STATUS, ty: "string", unit: "", class: Class::Metadata, doc: "Span status code: `unset`, `ok` or `error`." },
    AttrSpec { key: SERVICE_NAME, ty: "string", unit: "", class: Class::Metadata, doc: "Resource `service.name` exactly as sent (a shell-wide OTEL_SERVICE_NAME shows up here)." },
    AttrSpec { key: OS_TYPE, ty: "string", unit: "", class: Class::Metadata, doc: "Operating system type of the machine running the CLI." },
    AttrSpec { key: OS_VERSION, ty: "string", unit: "", class: Class::Metadata, doc: "Operating system version." },
    AttrSpec { key: HOST_ARCH, ty: "string", unit: "", class: Class::Metadata, doc: "CPU architecture." },
    AttrSpec { key: METRIC_COUNT, ty: "int", unit: "", class: Class::Metadata, doc: "Number of observations in a histogram or summary point." },
];
