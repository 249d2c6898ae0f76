//! The canonical schema: the only serialized contract of codetel.
//!
//! Every adapter maps its vendor's telemetry onto [`CanonicalRecord`]s; the JSONL output of
//! `codetel normalize`, the snapshots and (later) the collector's storage are this type.
//! Attribute keys are constants in [`attributes`], each with its type, unit, meaning and
//! privacy class; `docs/schema.md` is generated from that table and checked by a test.
//!
//! Rules that hold for every record:
//! - Absent stays absent: an attribute the vendor did not send is missing, never zero.
//! - Cost is exact: integer micro-USD, no float noise.
//! - `gen_ai.usage.input_tokens` *includes* cache reads and cache creation, as the OTel GenAI
//!   conventions say; adapters of vendors that report uncached input (Claude Code) convert.

pub mod attributes;
pub mod document;
mod jsonl;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::otlp::Signal;

/// What a canonical record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// One agent session (derived from the records that name it).
    Session,
    /// The user submitted a prompt (a turn starts).
    UserPrompt,
    /// The assistant answered (text response event).
    AssistantResponse,
    /// One model API call, successful, with tokens and cost.
    LlmCall,
    /// One failed model API call (or retries exhausted).
    ApiError,
    /// One tool invocation with its result.
    ToolCall,
    /// A permission decision about a tool call (accept or reject, and who decided).
    ToolDecision,
    /// One interaction (a user turn) as a span.
    Turn,
    /// A git commit made by the agent.
    Commit,
    /// A pull request created by the agent.
    PullRequest,
    /// One metric data point, normalized.
    MetricPoint,
    /// A vendor event, metric or span with no canonical home; kept so nothing is lost.
    Passthrough,
}

impl RecordKind {
    /// Every kind, in declaration order.
    pub const ALL: [RecordKind; 12] = [
        RecordKind::Session,
        RecordKind::UserPrompt,
        RecordKind::AssistantResponse,
        RecordKind::LlmCall,
        RecordKind::ApiError,
        RecordKind::ToolCall,
        RecordKind::ToolDecision,
        RecordKind::Turn,
        RecordKind::Commit,
        RecordKind::PullRequest,
        RecordKind::MetricPoint,
        RecordKind::Passthrough,
    ];

    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Session => "session",
            RecordKind::UserPrompt => "user_prompt",
            RecordKind::AssistantResponse => "assistant_response",
            RecordKind::LlmCall => "llm_call",
            RecordKind::ApiError => "api_error",
            RecordKind::ToolCall => "tool_call",
            RecordKind::ToolDecision => "tool_decision",
            RecordKind::Turn => "turn",
            RecordKind::Commit => "commit",
            RecordKind::PullRequest => "pull_request",
            RecordKind::MetricPoint => "metric_point",
            RecordKind::Passthrough => "passthrough",
        }
    }
}

/// The privacy mode a record was produced under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// Usage only: no content, no identity, no unknown vendor attributes.
    Minimal,
    /// The default: metadata and identity; no content; unknown strings reduced to type and length.
    #[default]
    MetadataOnly,
    /// Everything, with secrets scrubbed.
    Full,
}

impl CaptureMode {
    /// Every mode.
    pub const ALL: [CaptureMode; 3] = [CaptureMode::Minimal, CaptureMode::MetadataOnly, CaptureMode::Full];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMode::Minimal => "minimal",
            CaptureMode::MetadataOnly => "metadata_only",
            CaptureMode::Full => "full",
        }
    }

    /// Parses `minimal`, `metadata_only` (or `metadata-only`) and `full`.
    pub fn parse(text: &str) -> Option<CaptureMode> {
        match text {
            "minimal" => Some(CaptureMode::Minimal),
            "metadata_only" | "metadata-only" => Some(CaptureMode::MetadataOnly),
            "full" => Some(CaptureMode::Full),
            _ => None,
        }
    }
}

/// A canonical attribute value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer (token counts, micro-USD, milliseconds, ...).
    Int(i64),
    /// A floating-point number (only where the quantity is not countable).
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A list of strings (finish reasons, models).
    StrList(Vec<String>),
    /// Structured vendor data kept in `full` mode (arrays and maps of the wire).
    Json(serde_json::Value),
    /// What is left of a value whose text may not be shown: its wire type and length.
    Redacted(Redacted),
}

/// The shape of a value that privacy removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    /// The OTLP wire type (`stringValue`, `arrayValue`, `kvlistValue`, `bytesValue`).
    pub redacted: &'static str,
    /// Length in characters (strings), elements (arrays, maps) or bytes (bytes).
    pub length: usize,
}

/// Where a canonical record came from, so a reviewer can find the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    /// The request file, relative to the capture folder (`0003-logs.json`).
    pub file: String,
    /// The signal.
    #[serde(serialize_with = "serialize_signal")]
    pub signal: Signal,
    /// The OTLP path of the item, for example `resourceLogs[0].scopeLogs[0].logRecords[3]`.
    pub locator: String,
    /// The vendor's name for the item: event name, metric name or span name.
    pub name: String,
}

fn serialize_signal<S: serde::Serializer>(signal: &Signal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(signal.as_str())
}

/// One normalized record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanonicalRecord {
    /// What the record describes.
    pub kind: RecordKind,
    /// The vendor id (`claude_code`, `codex`, ...).
    pub vendor: &'static str,
    /// The session id, when the vendor sent one.
    pub session_id: Option<String>,
    /// When it happened, in Unix nanoseconds; `None` when the input had no usable time.
    pub time_unix_nano: Option<u64>,
    /// The privacy mode the record was produced under.
    pub capture_mode: CaptureMode,
    /// Canonical attributes (keys from [`attributes`]).
    pub attributes: BTreeMap<&'static str, Value>,
    /// Vendor attributes with no canonical key, under their wire key (resource ones as
    /// `resource.<key>`); after privacy: kept, reduced to [`Redacted`], or removed.
    pub vendor_attributes: BTreeMap<String, Value>,
    /// The input item it came from (`None` for derived records such as sessions).
    pub source: Option<SourceRef>,
    /// The item's position, for accounting; not part of the serialized contract.
    #[serde(skip)]
    pub item: Option<crate::capture::ItemId>,
    /// Keys of `vendor_attributes` the adapter declared metadata (ids, names, enumerations it
    /// knows carry no content): `metadata_only` keeps their scalar values instead of reducing
    /// them. Not serialized; an adapter must list a key explicitly for it to count.
    #[serde(skip)]
    pub vendor_metadata: std::collections::BTreeSet<String>,
}

impl Value {
    /// The type name the schema tables use (`string`, `int`, `double`, `bool`, `string[]`,
    /// `json`), or `redacted` for a value the privacy layer reduced.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::Bool(_) => "bool",
            Value::StrList(_) => "string[]",
            Value::Json(_) => "json",
            Value::Redacted(_) => "redacted",
        }
    }

    /// The one key of the JSON object that carries an OTLP `bytesValue` inside a [`Value::Json`].
    pub const BYTES_KEY: &'static str = "bytesValue";

    /// A vendor `bytesValue`, as `Value::Json({"bytesValue": "<base64>"})` (the OTLP/JSON shape).
    ///
    /// `Value` has no bytes variant; this one shape lets the privacy layer tell bytes from a map
    /// and report their length in bytes.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut map = serde_json::Map::new();
        map.insert(Value::BYTES_KEY.to_owned(), serde_json::Value::String(encoded));
        Value::Json(serde_json::Value::Object(map))
    }

    /// The number of bytes, if this value has the shape [`Value::from_bytes`] makes.
    pub fn bytes_len(&self) -> Option<usize> {
        use base64::Engine as _;
        let Value::Json(serde_json::Value::Object(map)) = self else { return None };
        if map.len() != 1 {
            return None;
        }
        let encoded = map.get(Value::BYTES_KEY)?.as_str()?;
        base64::engine::general_purpose::STANDARD.decode(encoded).ok().map(|it| it.len())
    }
}
