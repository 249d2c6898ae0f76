//! Renders `docs/schema.md` from the schema's own tables, so the document cannot drift from
//! the code (a test compares them; `cargo xtask codegen` rewrites it).

use std::fmt::Write;

use super::attributes::{self, Class};
use super::RecordKind;

/// What each record kind means and which keys it usually carries.
pub fn kind_doc(kind: RecordKind) -> (&'static str, &'static [&'static str]) {
    use attributes as a;
    match kind {
        RecordKind::Session => (
            "One agent session, derived from every record that names it (not from one input item).",
            &[a::SESSION_START_TIME, a::SESSION_END_TIME, a::SESSION_RECORD_COUNT, a::SESSION_MODELS, a::VENDOR_VERSION, a::USER_ID],
        ),
        RecordKind::UserPrompt => (
            "The user submitted a prompt; a turn starts.",
            &[a::PROMPT_ID, a::PROMPT_LENGTH, a::PROMPT_TEXT, a::COMMAND_NAME],
        ),
        RecordKind::AssistantResponse => (
            "The assistant answered with text.",
            &[a::PROMPT_ID, a::REQUEST_MODEL, a::RESPONSE_LENGTH, a::RESPONSE_TEXT],
        ),
        RecordKind::LlmCall => (
            "One successful model API call.",
            &[
                a::PROVIDER_NAME,
                a::REQUEST_MODEL,
                a::INPUT_TOKENS,
                a::OUTPUT_TOKENS,
                a::CACHE_READ_INPUT_TOKENS,
                a::CACHE_CREATION_INPUT_TOKENS,
                a::COST_USD_MICROS,
                a::DURATION_MS,
                a::TTFT_MS,
                a::REQUEST_ID,
            ],
        ),
        RecordKind::ApiError => (
            "One failed model API call, a refusal, or retries exhausted.",
            &[a::REQUEST_MODEL, a::HTTP_STATUS_CODE, a::ERROR_TYPE, a::ERROR_MESSAGE, a::ATTEMPT, a::DURATION_MS],
        ),
        RecordKind::ToolCall => (
            "One tool invocation and its result. Shell commands are tool calls with category `shell`.",
            &[
                a::TOOL_NAME,
                a::TOOL_CALL_ID,
                a::TOOL_CATEGORY,
                a::SUCCESS,
                a::DURATION_MS,
                a::TOOL_ARGUMENTS,
                a::TOOL_RESULT,
                a::SHELL_COMMAND,
                a::SHELL_EXIT_CODE,
                a::FILE_PATH,
            ],
        ),
        RecordKind::ToolDecision => (
            "A permission decision about a tool call. Edit decisions are tool decisions with category `edit`.",
            &[a::TOOL_NAME, a::TOOL_CALL_ID, a::TOOL_CATEGORY, a::DECISION, a::DECISION_SOURCE],
        ),
        RecordKind::Turn => (
            "One interaction (a user turn) reported as a span.",
            &[a::INTERACTION_SEQUENCE, a::DURATION_MS, a::PROMPT_LENGTH, a::PROMPT_TEXT],
        ),
        RecordKind::Commit => ("Commits made by the agent, from a commit counter.", &[a::COUNT, a::METRIC_VALUE, a::METRIC_DELTA]),
        RecordKind::PullRequest => {
            ("Pull requests created by the agent, from a counter.", &[a::COUNT, a::METRIC_VALUE, a::METRIC_DELTA])
        }
        RecordKind::MetricPoint => (
            "One metric data point, with its canonical metric name, unit, temporality, value and delta.",
            &[a::METRIC_NAME, a::METRIC_SOURCE_NAME, a::METRIC_UNIT, a::METRIC_TEMPORALITY, a::METRIC_VALUE, a::METRIC_DELTA],
        ),
        RecordKind::Passthrough => (
            "A vendor event, metric or span with no canonical home, kept so nothing is lost; its attributes are vendor attributes.",
            &[],
        ),
    }
}

/// The full text of `docs/schema.md`.
pub fn document() -> String {
    let mut out = String::new();
    out.push_str("# Canonical schema\n\n");
    out.push_str("<!-- Generated from src/schema by `cargo xtask codegen`; do not edit by hand. -->\n\n");
    out.push_str("Every adapter maps its vendor's OTLP logs, metrics and spans onto records of this schema.\n");
    out.push_str("A record is one JSON object with `kind`, `vendor`, `session_id`, `time_unix_nano`, `capture_mode`, `attributes` (canonical keys below), `vendor_attributes` (vendor keys with no canonical home, resource ones as `resource.<key>`) and `source` (file, signal, OTLP locator and vendor name of the input item).\n\n");
    out.push_str("## Rules\n\n");
    out.push_str("- Absent stays absent: a key the vendor did not send is missing, never zero.\n");
    out.push_str("- Cost is exact: integer micro-USD in `coding_agent.cost.usd_micros`, converted from the vendor's decimal text, never through float arithmetic.\n");
    out.push_str("- `gen_ai.usage.input_tokens` includes cache reads and cache creation (OTel GenAI semantics). Vendors that report uncached input (Claude Code) are converted by their adapter; token metric points keep the vendor's own split in `gen_ai.token.type`.\n");
    out.push_str("- Durations are integer milliseconds unless the unit says otherwise.\n");
    out.push_str("- Privacy classes: `metadata` keys survive every capture mode, `identity` keys are removed in `minimal`, `content` keys survive only in `full`. Vendor attributes are default-deny: in `metadata_only` a string, array, map or bytes value keeps only its wire type and length, in `minimal` it is removed. A secret scrubber runs over every surviving string in every mode.\n\n");
    out.push_str("## Record kinds\n\n| kind | meaning | usual keys |\n|---|---|---|\n");
    for kind in RecordKind::ALL {
        let (meaning, keys) = kind_doc(kind);
        let keys: Vec<String> = keys.iter().map(|it| format!("`{it}`")).collect();
        let _ = writeln!(out, "| `{}` | {meaning} | {} |", kind.as_str(), keys.join(", "));
    }
    out.push_str("\n## Attribute keys\n\n| key | type | unit | class | meaning |\n|---|---|---|---|---|\n");
    for spec in attributes::ALL {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            spec.key,
            spec.ty,
            spec.unit,
            spec.class.as_str(),
            spec.doc.replace('|', "\\|")
        );
    }
    let content: Vec<String> =
        attributes::ALL.iter().filter(|it| it.class == Class::Content).map(|it| format!("`{}`", it.key)).collect();
    let _ = writeln!(out, "\nContent keys (only in `full`): {}.", content.join(", "));
    out
}
