//! OTLP responses: `Export*ServiceResponse` with or without `partial_success`, and the
//! `google.rpc.Status` body of a failure, each in the encoding of the request.
//!
//! `google.rpc.Status` is not in `opentelemetry-proto`; it is three fields, declared here.
//! In OTLP/JSON the 64-bit `rejected_*` counts are decimal strings, as proto3 JSON says.

use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;

use crate::otlp::{Encoding, Signal};

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    /// A `google.rpc.Code`.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// A developer-facing message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Details (`google.protobuf.Any`); codetel sends none.
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<prost_types_any::Any>,
}

/// `google.protobuf.Any`, only so [`RpcStatus`] has the real shape.
pub mod prost_types_any {
    /// `google.protobuf.Any`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        /// Type URL.
        #[prost(string, tag = "1")]
        pub type_url: String,
        /// Serialized message.
        #[prost(bytes = "vec", tag = "2")]
        pub value: Vec<u8>,
    }
}

/// gRPC status codes used here (`google.rpc.Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 3: the data cannot be decoded.
    InvalidArgument,
    /// 16: no or wrong credentials.
    Unauthenticated,
    /// 8: over a size limit or throttled.
    ResourceExhausted,
    /// 14: overloaded; retry later.
    Unavailable,
    /// 13: the collector failed.
    Internal,
    /// 12: no such method or signal.
    Unimplemented,
}

impl Code {
    /// The numeric code.
    pub fn as_i32(self) -> i32 {
        match self {
            Code::InvalidArgument => 3,
            Code::ResourceExhausted => 8,
            Code::Unimplemented => 12,
            Code::Internal => 13,
            Code::Unavailable => 14,
            Code::Unauthenticated => 16,
        }
    }

    /// The HTTP status the OpenTelemetry Collector maps this code to (rule H15).
    pub fn http_status(self) -> u16 {
        match self {
            Code::InvalidArgument => 400,
            Code::Unauthenticated => 401,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 404,
            Code::Unavailable => 503,
            Code::Internal => 500,
        }
    }

    /// The tonic code.
    pub fn tonic(self) -> tonic::Code {
        match self {
            Code::InvalidArgument => tonic::Code::InvalidArgument,
            Code::ResourceExhausted => tonic::Code::ResourceExhausted,
            Code::Unimplemented => tonic::Code::Unimplemented,
            Code::Internal => tonic::Code::Internal,
            Code::Unavailable => tonic::Code::Unavailable,
            Code::Unauthenticated => tonic::Code::Unauthenticated,
        }
    }
}

/// The media type of an encoding.
pub fn content_type(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Json => "application/json",
        Encoding::Protobuf => "application/x-protobuf",
    }
}

/// The body of a failure, in `encoding`.
pub fn status_body(encoding: Encoding, code: Code, message: &str) -> Vec<u8> {
    match encoding {
        Encoding::Json => serde_json::to_vec(&serde_json::json!({ "code": code.as_i32(), "message": message }))
            .unwrap_or_default(),
        Encoding::Protobuf => {
            RpcStatus { code: code.as_i32(), message: message.to_owned(), details: Vec::new() }.encode_to_vec()
        }
    }
}

/// The success body: `partial_success` unset when nothing was rejected and there is nothing
/// to say; otherwise the count of the signal's items and the message.
pub fn success_body(encoding: Encoding, signal: Signal, rejected: usize, message: Option<&str>) -> Vec<u8> {
    let partial = rejected > 0 || message.is_some();
    let message = message.unwrap_or_default().to_owned();
    let rejected = rejected as i64;
    match encoding {
        Encoding::Json => {
            if !partial {
                return b"{}".to_vec();
            }
            let key = match signal {
                Signal::Logs => "rejectedLogRecords",
                Signal::Metrics => "rejectedDataPoints",
                Signal::Traces => "rejectedSpans",
            };
            let mut partial_success = serde_json::Map::new();
            if rejected > 0 {
                let _ = partial_success.insert(key.to_owned(), serde_json::Value::String(rejected.to_string()));
            }
            if !message.is_empty() {
                let _ = partial_success.insert("errorMessage".to_owned(), serde_json::Value::String(message));
            }
            serde_json::to_vec(&serde_json::json!({ "partialSuccess": partial_success })).unwrap_or_default()
        }
        Encoding::Protobuf => match signal {
            Signal::Logs => ExportLogsServiceResponse {
                partial_success: partial
                    .then_some(ExportLogsPartialSuccess { rejected_log_records: rejected, error_message: message }),
            }
            .encode_to_vec(),
            Signal::Metrics => ExportMetricsServiceResponse {
                partial_success: partial
                    .then_some(ExportMetricsPartialSuccess { rejected_data_points: rejected, error_message: message }),
            }
            .encode_to_vec(),
            Signal::Traces => ExportTraceServiceResponse {
                partial_success: partial
                    .then_some(ExportTracePartialSuccess { rejected_spans: rejected, error_message: message }),
            }
            .encode_to_vec(),
        },
    }
}
