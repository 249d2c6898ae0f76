//! Rich export requests built with the `opentelemetry-proto` prost types: every `AnyValue`
//! variant (nested arrays and kvlists, bytes, empty), ids, every metric kind with both
//! temporalities, span events, links and status, and log bodies of each kind. The same
//! requests are encoded to protobuf and to OTLP/JSON in several spellings by the
//! equivalence tests.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

pub fn any(value: Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue { key: key.to_owned(), value: Some(any(value)), ..Default::default() }
}

fn string(text: &str) -> Value {
    Value::StringValue(text.to_owned())
}

/// One attribute per `AnyValue` variant and edge value, plus a duplicate key and a
/// `KeyValue` without a value.
pub fn every_any_value() -> Vec<KeyValue> {
    vec![
        kv("str", string("héllo \"quoted\" \\ / \n\t\u{1} 🙂 end")),
        kv("str.empty", string("")),
        kv("bool.true", Value::BoolValue(true)),
        kv("bool.false", Value::BoolValue(false)),
        kv("int.zero", Value::IntValue(0)),
        kv("int.min", Value::IntValue(i64::MIN)),
        kv("int.max", Value::IntValue(i64::MAX)),
        kv("int.beyond.f64", Value::IntValue(9_007_199_254_740_993)),
        kv("int.negative", Value::IntValue(-42)),
        kv("double.fraction", Value::DoubleValue(0.1)),
        kv("double.cost", Value::DoubleValue(0.00027)),
        kv("double.tiny", Value::DoubleValue(-1.5e-300)),
        kv("double.max", Value::DoubleValue(f64::MAX)),
        kv("double.integral", Value::DoubleValue(3.0)),
        kv("double.inf", Value::DoubleValue(f64::INFINITY)),
        kv("double.neg_inf", Value::DoubleValue(f64::NEG_INFINITY)),
        kv("bytes", Value::BytesValue(vec![0, 1, 2, 0xfe, 0xff, b'a'])),
        kv("bytes.empty", Value::BytesValue(Vec::new())),
        kv(
            "array.nested",
            Value::ArrayValue(ArrayValue {
                values: vec![
                    any(string("a")),
                    any(Value::IntValue(1)),
                    AnyValue { value: None },
                    any(Value::ArrayValue(ArrayValue {
                        values: vec![
                            any(Value::ArrayValue(ArrayValue { values: vec![] })),
                            any(Value::KvlistValue(KeyValueList {
                                values: vec![kv("deep", Value::BoolValue(true))],
                            })),
                        ],
                    })),
                ],
            }),
        ),
        kv("array.empty", Value::ArrayValue(ArrayValue::default())),
        kv(
            "kvlist.nested",
            Value::KvlistValue(KeyValueList {
                values: vec![
                    kv("inner.string", string("x")),
                    kv("inner.double", Value::DoubleValue(-2.5)),
                    kv(
                        "inner.kvlist",
                        Value::KvlistValue(KeyValueList {
                            values: vec![kv(
                                "innermost",
                                Value::ArrayValue(ArrayValue { values: vec![any(string("y"))] }),
                            )],
                        }),
                    ),
                ],
            }),
        ),
        kv("kvlist.empty", Value::KvlistValue(KeyValueList::default())),
        KeyValue {
            key: "empty.value".into(),
            value: Some(AnyValue { value: None }),
            ..Default::default()
        },
        KeyValue { key: "no.value".into(), value: None, ..Default::default() },
        // Codex sends `thread.id` twice with two types; both must survive, in order.
        kv("thread.id", Value::IntValue(7)),
        kv("thread.id", string("0199a-uuid")),
    ]
}

fn resource(service: &str) -> Resource {
    Resource {
        attributes: vec![
            kv("service.name", string(service)),
            kv("service.version", string("1.2.3")),
        ],
        dropped_attributes_count: 2,
        entity_refs: Vec::new(),
    }
}

fn scope(name: &str) -> InstrumentationScope {
    InstrumentationScope {
        name: name.to_owned(),
        version: "0.9.0".to_owned(),
        attributes: vec![kv("scope.attr", Value::IntValue(5))],
        dropped_attributes_count: 0,
    }
}

pub const TRACE_ID: [u8; 16] = [
    0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71,
];
pub const SPAN_ID: [u8; 8] = [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10];
pub const PARENT_ID: [u8; 8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xAB];

pub fn logs_request() -> ExportLogsServiceRequest {
    let bodies: Vec<Option<AnyValue>> = vec![
        Some(any(string("a plain body"))),
        Some(any(Value::IntValue(12))),
        Some(any(Value::BytesValue(vec![9, 8, 7]))),
        Some(any(Value::ArrayValue(ArrayValue {
            values: vec![any(string("stream")), any(string("{\"providerID\":\"mock\"}"))],
        }))),
        Some(any(Value::KvlistValue(KeyValueList {
            values: vec![kv("k", Value::DoubleValue(1.5))],
        }))),
        Some(AnyValue { value: None }),
        None,
    ];
    let mut records: Vec<LogRecord> = bodies
        .into_iter()
        .enumerate()
        .map(|(index, body)| LogRecord {
            time_unix_nano: 1_795_267_927_279_000_000 + index as u64,
            observed_time_unix_nano: 1_795_267_927_280_000_000,
            severity_number: 9 + index as i32,
            severity_text: "INFO".to_owned(),
            body,
            attributes: vec![
                kv("event.name", string("codex.tool_result")),
                kv("seq", Value::IntValue(index as i64)),
            ],
            dropped_attributes_count: index as u32,
            flags: 1,
            trace_id: TRACE_ID.to_vec(),
            span_id: SPAN_ID.to_vec(),
            event_name: format!("event otel/src/events/session_telemetry.rs:{index}"),
        })
        .collect();
    // Codex: time 0, no ids, no body.
    records.push(LogRecord {
        observed_time_unix_nano: 1_795_267_933_337_922_066,
        severity_number: 9,
        severity_text: "INFO".to_owned(),
        attributes: every_any_value(),
        ..Default::default()
    });
    ExportLogsServiceRequest {
        resource_logs: vec![
            ResourceLogs {
                resource: Some(resource("codex_exec")),
                scope_logs: vec![
                    ScopeLogs {
                        scope: Some(scope("codex_otel.log_only")),
                        log_records: records,
                        schema_url: "https://opentelemetry.io/schemas/1.26.0".to_owned(),
                    },
                    ScopeLogs {
                        scope: None,
                        log_records: vec![LogRecord::default()],
                        schema_url: Default::default(),
                    },
                ],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".to_owned(),
            },
            ResourceLogs { resource: None, scope_logs: vec![], schema_url: Default::default() },
        ],
    }
}

fn number_point(
    value: Option<number_data_point::Value>,
    attributes: Vec<KeyValue>,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: 1_795_267_978_634_649_301,
        time_unix_nano: 1_795_267_978_954_071_043,
        exemplars: vec![Exemplar {
            filtered_attributes: vec![kv("ignored", Value::BoolValue(true))],
            time_unix_nano: 5,
            span_id: SPAN_ID.to_vec(),
            trace_id: TRACE_ID.to_vec(),
            value: Some(exemplar::Value::AsDouble(0.5)),
        }],
        flags: 0,
        value,
    }
}

fn metric(name: &str, data: Option<Data>) -> Metric {
    Metric {
        name: name.to_owned(),
        description: format!("{name} description"),
        unit: "{call}".to_owned(),
        metadata: vec![kv("metadata.ignored", string("x"))],
        data,
    }
}

pub fn metrics_request() -> ExportMetricsServiceRequest {
    use number_data_point::Value as Number;
    let type_attr = |token_type: &str| vec![kv("type", string(token_type))];
    let metrics = vec![
        metric(
            "gauge.mixed",
            Some(Data::Gauge(Gauge {
                data_points: vec![
                    number_point(Some(Number::AsInt(-7)), vec![]),
                    number_point(Some(Number::AsDouble(2.5)), type_attr("input")),
                    number_point(Some(Number::AsDouble(4.0)), vec![]),
                    number_point(None, vec![]),
                ],
            })),
        ),
        metric(
            "sum.delta.monotonic",
            Some(Data::Sum(Sum {
                data_points: vec![
                    number_point(Some(Number::AsInt(i64::MAX)), type_attr("output")),
                    number_point(Some(Number::AsInt(1)), every_any_value()),
                ],
                aggregation_temporality: 1,
                is_monotonic: true,
            })),
        ),
        metric(
            "sum.cumulative",
            Some(Data::Sum(Sum {
                data_points: vec![number_point(Some(Number::AsDouble(0.00054)), vec![])],
                aggregation_temporality: 2,
                is_monotonic: false,
            })),
        ),
        metric(
            "histogram.delta",
            Some(Data::Histogram(Histogram {
                data_points: vec![
                    HistogramDataPoint {
                        attributes: type_attr("latency"),
                        start_time_unix_nano: 1,
                        time_unix_nano: 2,
                        count: 9_007_199_254_740_993,
                        sum: Some(123.25),
                        bucket_counts: vec![0, 1, 9_007_199_254_740_993, u64::MAX],
                        explicit_bounds: vec![0.0, 5.0, 7.5],
                        exemplars: vec![],
                        flags: 1,
                        min: Some(-1.0),
                        max: Some(1e9),
                    },
                    HistogramDataPoint {
                        count: 0,
                        sum: None,
                        min: None,
                        max: None,
                        ..Default::default()
                    },
                ],
                aggregation_temporality: 1,
            })),
        ),
        metric(
            "histogram.cumulative",
            Some(Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    count: 3,
                    sum: Some(0.0),
                    bucket_counts: vec![3],
                    ..Default::default()
                }],
                aggregation_temporality: 2,
            })),
        ),
        metric(
            "exponential.histogram",
            Some(Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![
                    ExponentialHistogramDataPoint {
                        attributes: type_attr("size"),
                        start_time_unix_nano: 10,
                        time_unix_nano: 20,
                        count: 17,
                        sum: Some(-3.5),
                        scale: -3,
                        zero_count: 4,
                        positive: Some(Buckets { offset: -2, bucket_counts: vec![1, 0, 5] }),
                        negative: Some(Buckets { offset: 3, bucket_counts: vec![7] }),
                        flags: 0,
                        exemplars: vec![],
                        min: Some(-9.0),
                        max: Some(11.0),
                        zero_threshold: 0.001,
                    },
                    ExponentialHistogramDataPoint { scale: 20, ..Default::default() },
                ],
                aggregation_temporality: 2,
            })),
        ),
        metric(
            "summary",
            Some(Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: vec![],
                    start_time_unix_nano: 100,
                    time_unix_nano: 200,
                    count: 1000,
                    sum: 5123.5,
                    quantile_values: vec![
                        ValueAtQuantile { quantile: 0.0, value: 1.0 },
                        ValueAtQuantile { quantile: 0.5, value: 4.25 },
                        ValueAtQuantile { quantile: 1.0, value: f64::INFINITY },
                    ],
                    flags: 1,
                }],
            })),
        ),
        metric(
            "sum.unspecified.temporality",
            Some(Data::Sum(Sum {
                data_points: vec![],
                aggregation_temporality: 0,
                is_monotonic: false,
            })),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource("github-copilot")),
            scope_metrics: vec![
                ScopeMetrics {
                    scope: Some(scope("github.copilot")),
                    metrics,
                    schema_url: Default::default(),
                },
                ScopeMetrics {
                    scope: Some(InstrumentationScope::default()),
                    metrics: vec![],
                    schema_url: "s".to_owned(),
                },
            ],
            schema_url: Default::default(),
        }],
    }
}

/// A metric whose data oneof is unset: both decoders keep it as `Missing` and report the
/// same problem.
pub fn metrics_request_with_missing_data() -> ExportMetricsServiceRequest {
    let mut request = metrics_request();
    request.resource_metrics[0].scope_metrics[0].metrics.insert(1, metric("no.data", None));
    request
}

pub fn traces_request() -> ExportTraceServiceRequest {
    let full = Span {
        trace_id: TRACE_ID.to_vec(),
        span_id: SPAN_ID.to_vec(),
        trace_state: "rojo=00f067aa0ba902b7".to_owned(),
        parent_span_id: PARENT_ID.to_vec(),
        flags: 257,
        name: "chat gpt-4.1".to_owned(),
        kind: 3,
        start_time_unix_nano: 1_795_268_998_840_407_643,
        end_time_unix_nano: 1_795_268_999_971_783_912,
        attributes: every_any_value(),
        dropped_attributes_count: 1,
        events: vec![
            span::Event {
                time_unix_nano: 1_795_268_998_840_500_000,
                name: "github.copilot.user.message".to_owned(),
                attributes: vec![kv("content", string("hi"))],
                dropped_attributes_count: 3,
            },
            span::Event::default(),
        ],
        dropped_events_count: 4,
        links: vec![
            span::Link {
                trace_id: TRACE_ID.iter().rev().copied().collect(),
                span_id: PARENT_ID.to_vec(),
                trace_state: "k=v".to_owned(),
                attributes: vec![kv("link.kind", string("follows"))],
                dropped_attributes_count: 0,
                flags: 256,
            },
            span::Link::default(),
        ],
        dropped_links_count: 0,
        status: Some(Status { message: "NotFound: FileSystem.readFile".to_owned(), code: 2 }),
    };
    let root = Span {
        trace_id: TRACE_ID.to_vec(),
        span_id: PARENT_ID.to_vec(),
        name: "invoke_agent".to_owned(),
        kind: 1,
        status: Some(Status { message: String::new(), code: 0 }),
        ..Default::default()
    };
    let kinds = (0..=5).map(|kind| Span {
        name: format!("kind {kind}"),
        kind,
        status: Some(Status { message: String::new(), code: kind % 3 }),
        ..Default::default()
    });
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(resource("opencode")),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope("com.opencode")),
                    spans: [full, root].into_iter().chain(kinds).collect(),
                    schema_url: Default::default(),
                }],
                schema_url: Default::default(),
            },
            ResourceSpans {
                resource: Some(Resource::default()),
                scope_spans: vec![ScopeSpans {
                    scope: None,
                    spans: vec![Span::default()],
                    schema_url: Default::default(),
                }],
                schema_url: "https://opentelemetry.io/schemas/1.43.0".to_owned(),
            },
        ],
    }
}
