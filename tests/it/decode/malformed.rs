//! One table: a case per real-exporter quirk the JSON decoder must accept silently, per
//! malformation it must survive with a located [`Problem`], and per body it must refuse
//! with a [`DecodeError`].

use codetel::otlp::{
    json, AnyValue, DecodeError, Decoded, ExportRequest, LogRecord, MetricData, NumberValue,
    Signal, Span, Temporality,
};

const LOG0: &str = "resourceLogs[0].scopeLogs[0].logRecords[0]";
const METRIC0: &str = "resourceMetrics[0].scopeMetrics[0].metrics[0]";
const SPAN0: &str = "resourceSpans[0].scopeSpans[0].spans[0]";

fn logs(records: &str) -> String {
    format!(
        r#"{{"resourceLogs":[{{"resource":{{}},"scopeLogs":[{{"scope":{{"name":"s"}},"logRecords":[{records}]}}]}}]}}"#
    )
}

fn metrics(metrics: &str) -> String {
    format!(r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{metrics}]}}]}}]}}"#)
}

fn spans(spans: &str) -> String {
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#)
}

fn log_records(decoded: &Decoded) -> Vec<&LogRecord> {
    let ExportRequest::Logs(resources) = &decoded.request else { panic!("not logs") };
    resources.iter().flat_map(|it| &it.scope_logs).flat_map(|it| &it.log_records).collect()
}

fn all_spans(decoded: &Decoded) -> Vec<&Span> {
    let ExportRequest::Traces(resources) = &decoded.request else { panic!("not traces") };
    resources.iter().flat_map(|it| &it.scope_spans).flat_map(|it| &it.spans).collect()
}

fn metric_data(decoded: &Decoded) -> Vec<&MetricData> {
    let ExportRequest::Metrics(resources) = &decoded.request else { panic!("not metrics") };
    resources
        .iter()
        .flat_map(|it| &it.scope_metrics)
        .flat_map(|it| &it.metrics)
        .map(|it| &it.data)
        .collect()
}

fn number_values(decoded: &Decoded) -> Vec<NumberValue> {
    metric_data(decoded)
        .into_iter()
        .flat_map(|data| match data {
            MetricData::Gauge { points } | MetricData::Sum { points, .. } => points.clone(),
            _ => Vec::new(),
        })
        .map(|it| it.value)
        .collect()
}

#[derive(Debug)]
enum ErrorKind {
    /// `DecodeError::Json` at this line.
    Json {
        line: usize,
    },
    UnknownSignal,
}

enum Expect {
    Decoded {
        items: usize,
        /// (locator, field, rejected_items) of every problem, in order.
        problems: Vec<(String, &'static str, usize)>,
        check: Option<fn(&Decoded)>,
    },
    Fails(ErrorKind),
}

struct Case {
    name: &'static str,
    signal: Signal,
    body: Vec<u8>,
    expect: Expect,
}

fn ok(name: &'static str, signal: Signal, body: String, items: usize) -> Case {
    Case {
        name,
        signal,
        body: body.into_bytes(),
        expect: Expect::Decoded { items, problems: vec![], check: None },
    }
}

fn fails(name: &'static str, signal: Signal, body: impl Into<Vec<u8>>, kind: ErrorKind) -> Case {
    Case { name, signal, body: body.into(), expect: Expect::Fails(kind) }
}

impl Case {
    fn problem(mut self, locator: &str, field: &'static str, rejected: usize) -> Case {
        if let Expect::Decoded { problems, .. } = &mut self.expect {
            problems.push((locator.to_owned(), field, rejected));
        }
        self
    }

    fn check(mut self, check_fn: fn(&Decoded)) -> Case {
        if let Expect::Decoded { check, .. } = &mut self.expect {
            *check = Some(check_fn);
        }
        self
    }
}

fn cases() -> Vec<Case> {
    use Signal::{Logs, Metrics, Traces};
    let huge = "x".repeat(4 << 20);
    vec![
        // ---- Quirks of real exporters: accepted without problems.
        ok(
            "codex log: time \"0\", body null, intValue as string, empty ids, duplicate keys of two types",
            Logs,
            logs(
                r#"{"timeUnixNano":"0","observedTimeUnixNano":"1795267933337922066","severityNumber":9,
                "severityText":"INFO","body":null,"attributes":[
                {"key":"event.name","value":{"stringValue":"codex.tool_result"}},
                {"key":"tool_result_seq","value":{"intValue":"1"}},
                {"key":"thread.id","value":{"intValue":"7"}},{"key":"thread.id","value":{"stringValue":"0199a"}}],
                "flags":0,"traceId":"","spanId":"","eventName":"event otel/src/tool_result.rs:54"}"#,
            ),
            1,
        )
        .check(|decoded| {
            let record = log_records(decoded)[0];
            assert_eq!((record.time_unix_nano, record.observed_time_unix_nano), (0, 1_795_267_933_337_922_066));
            assert_eq!(record.body, None);
            assert_eq!(record.attributes[1].value, AnyValue::Int(1));
            assert_eq!(record.attributes[2].value, AnyValue::Int(7));
            assert_eq!(record.attributes[3].value, AnyValue::String("0199a".into()));
            assert!(record.trace_id.is_empty() && record.span_id.is_empty());
            assert_eq!(record.event_name, "event otel/src/tool_result.rs:54");
        }),
        ok(
            "codex metrics: asInt/count/bucketCounts as numbers, metadata [] and entityRefs []",
            Metrics,
            r#"{"resourceMetrics":[{"resource":{"attributes":[],"droppedAttributesCount":0,"entityRefs":[]},
            "scopeMetrics":[{"scope":{"name":"codex","version":""},"metrics":[
            {"name":"codex.api_request","description":"","unit":"","metadata":[],"sum":{"dataPoints":[
              {"attributes":[],"startTimeUnixNano":"1","timeUnixNano":"2","exemplars":[],"flags":0,"asInt":3}],
              "aggregationTemporality":1,"isMonotonic":true}},
            {"name":"codex.turn.token_usage","metadata":[],"histogram":{"dataPoints":[
              {"count":2,"sum":150.0,"bucketCounts":[0,1,1],"explicitBounds":[10,100],"min":20,"max":130}],
              "aggregationTemporality":1}}]}]}]}"#
                .to_owned(),
            2,
        )
        .check(|decoded| {
            let data = metric_data(decoded);
            let MetricData::Sum { points, temporality, is_monotonic } = data[0] else { panic!("sum") };
            assert_eq!((points[0].value, *temporality, *is_monotonic), (NumberValue::Int(3), Temporality::Delta, true));
            let MetricData::Histogram { points, .. } = data[1] else { panic!("histogram") };
            assert_eq!(points[0].count, 2);
            assert_eq!(points[0].bucket_counts, [0, 1, 1]);
            assert_eq!(points[0].explicit_bounds, [10.0, 100.0]);
            assert_eq!((points[0].sum, points[0].min, points[0].max), (Some(150.0), Some(20.0), Some(130.0)));
        }),
        ok(
            "copilot span: intValue as string, parentSpanId \"\", traceState \"\", status {message:\"\",code:0}",
            Traces,
            spans(
                r#"{"traceId":"d7cd15e385b84fac9b5fb3f4fdab04eb","spanId":"86f8a8014ab1d054","parentSpanId":"",
                "traceState":"","name":"invoke_agent","kind":1,"startTimeUnixNano":"1795267978634649301",
                "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}}],
                "status":{"message":"","code":0},"events":[],"links":[]}"#,
            ),
            1,
        )
        .check(|decoded| {
            let span = all_spans(decoded)[0];
            assert!(span.parent_span_id.is_empty());
            assert_eq!(span.attributes[0].value, AnyValue::Int(42));
            assert_eq!(span.start_time_unix_nano, 1_795_267_978_634_649_301);
            assert_eq!(span.span_id, [0x86, 0xf8, 0xa8, 0x01, 0x4a, 0xb1, 0xd0, 0x54]);
        }),
        ok(
            "copilot metrics: asInt, count and bucketCounts as strings",
            Metrics,
            metrics(
                r#"{"name":"github.copilot.tool.call.count","unit":"{call}","metadata":[],"sum":{"dataPoints":[
                {"attributes":[{"key":"success","value":{"boolValue":true}}],"startTimeUnixNano":"1",
                 "timeUnixNano":"2","exemplars":[],"flags":0,"asInt":"1"}],"aggregationTemporality":2,"isMonotonic":true}},
                {"name":"gen_ai.client.operation.duration","histogram":{"dataPoints":[
                {"count":"3","bucketCounts":["1","2","0"],"explicitBounds":[0.5,1]}],"aggregationTemporality":2}}"#,
            ),
            2,
        )
        .check(|decoded| {
            assert_eq!(number_values(decoded), [NumberValue::Int(1)]);
            let MetricData::Histogram { points, temporality } = metric_data(decoded)[1] else { panic!("histogram") };
            assert_eq!((points[0].count, &points[0].bucket_counts[..]), (3, &[1, 2, 0][..]));
            assert_eq!(*temporality, Temporality::Cumulative);
        }),
        ok(
            "gemini/qwen: null attribute as empty AnyValue {}",
            Logs,
            logs(r#"{"attributes":[{"key":"mcp_server_name","value":{}},{"key":"error","value":{}}]}"#),
            1,
        )
        .check(|decoded| {
            let record = log_records(decoded)[0];
            assert_eq!(record.attributes.len(), 2);
            assert!(record.attributes.iter().all(|it| it.value == AnyValue::Empty));
        }),
        ok(
            "opencode: body is an arrayValue of strings",
            Logs,
            logs(
                r#"{"severityNumber":9,"severityText":"Info","attributes":[{"key":"fiberId","value":{"intValue":16607}}],
                "body":{"arrayValue":{"values":[{"stringValue":"stream"},{"stringValue":"{\"providerID\":\"mock\"}"}]}}}"#,
            ),
            1,
        )
        .check(|decoded| {
            let body = log_records(decoded)[0].body.clone();
            let expected = vec![AnyValue::String("stream".into()), AnyValue::String("{\"providerID\":\"mock\"}".into())];
            assert_eq!(body, Some(AnyValue::Array(expected)));
        }),
        ok("empty top-level object {} is an empty logs request", Logs, "{}".to_owned(), 0),
        ok("empty top-level object {} is an empty metrics request", Metrics, " {} \n".to_owned(), 0),
        ok("unknown top-level keys only: an empty request", Traces, r#"{"partialSuccess":{}}"#.to_owned(), 0),
        ok(
            "unknown fields at every level, including deep ones",
            Traces,
            r#"{"x":{"a":[1,{"b":null}]},"resourceSpans":[{"future":1,"resource":{"entityRefs":[{"type":"host"}],"y":true,
            "attributes":[{"key":"k","value":{"stringValue":"v","futureValue":{"z":[]}},"keyStrindex":0}]},
            "scopeSpans":[{"u":"v","scope":{"name":"n","droppedAttributesCount":0,"q":[]},"spans":[{"name":"s",
            "droppedEventsCount":3,"w":{"deeper":{"deepest":[[[]]]}},"events":[{"name":"e","v":1}],
            "links":[{"flags":256,"spanId":"0102030405060708","r":"s"}],"status":{"code":1,"x":2}}]}]}]}"#
                .to_owned(),
            1,
        )
        .check(|decoded| {
            let span = all_spans(decoded)[0];
            assert_eq!((span.name.as_str(), span.status_code, span.events.len()), ("s", 1, 1));
            assert_eq!(span.links[0].span_id, [1, 2, 3, 4, 5, 6, 7, 8]);
        }),
        ok(
            "snake_case keys (the proto names) accepted leniently",
            Logs,
            r#"{"resource_logs":[{"scope_logs":[{"log_records":[{"time_unix_nano":"5","observed_time_unix_nano":6,
            "severity_number":9,"severity_text":"INFO","trace_id":"0102030405060708090a0b0c0d0e0f10",
            "span_id":"0102030405060708","event_name":"x","dropped_attributes_count":1}]}]}]}"#
                .to_owned(),
            1,
        )
        .check(|decoded| {
            let record = log_records(decoded)[0];
            assert_eq!((record.time_unix_nano, record.observed_time_unix_nano, record.severity_number), (5, 6, 9));
            assert_eq!((record.trace_id.len(), record.span_id.len(), record.dropped_attributes_count), (16, 8, 1));
        }),
        ok(
            "hex ids in upper and mixed case",
            Traces,
            spans(r#"{"traceId":"ABCDEF0123456789abcdef0123456789","spanId":"FeDcBa9876543210","parentSpanId":"0000000000000001"}"#),
            1,
        )
        .check(|decoded| {
            let span = all_spans(decoded)[0];
            assert_eq!(span.trace_id[0], 0xab);
            assert_eq!(span.span_id, [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]);
            assert_eq!(span.parent_span_id, [0, 0, 0, 0, 0, 0, 0, 1]);
        }),
        ok(
            "base64 ids of the right length: accepted, with informational problems",
            Logs,
            logs(r#"{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg="}"#),
            1,
        )
        .problem(LOG0, "traceId", 0)
        .problem(LOG0, "spanId", 0)
        .check(|decoded| {
            let record = log_records(decoded)[0];
            assert_eq!(record.trace_id, (1..=16).collect::<Vec<u8>>());
            assert_eq!(record.span_id, (1..=8).collect::<Vec<u8>>());
            assert!(decoded.problems[0].message.contains("base64"));
        }),
        ok(
            "enum value names for span kind and status code",
            Traces,
            spans(r#"{"kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_ERROR"}},{"kind":"4","status":{"code":1.0}}"#),
            2,
        )
        .check(|decoded| {
            let spans = all_spans(decoded);
            assert_eq!((spans[0].kind, spans[0].status_code), (2, 2));
            assert_eq!((spans[1].kind, spans[1].status_code), (4, 1));
        }),
        ok(
            "enum value names for temporality and severity",
            Metrics,
            metrics(r#"{"name":"m","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","dataPoints":[{"asInt":1}]}}"#),
            1,
        )
        .check(|decoded| assert_eq!(metric_data(decoded)[0].temporality(), Some(Temporality::Delta))),
        ok("severity number as a value name", Logs, logs(r#"{"severityNumber":"SEVERITY_NUMBER_WARN"}"#), 1)
            .check(|decoded| assert_eq!(log_records(decoded)[0].severity_number, 13)),
        ok(
            "doubles as \"NaN\", \"Infinity\", \"-Infinity\", integers and quoted numbers",
            Metrics,
            metrics(
                r#"{"name":"g","gauge":{"dataPoints":[{"asDouble":"NaN"},{"asDouble":"Infinity"},
                {"asDouble":"-Infinity"},{"asDouble":3},{"asDouble":"2.5"},{"asDouble":-7}]}}"#,
            ),
            6,
        )
        .check(|decoded| {
            let values: Vec<f64> = number_values(decoded).into_iter().map(|it| it.as_f64().unwrap_or(-1.0)).collect();
            assert!(values[0].is_nan());
            assert_eq!(&values[1..], [f64::INFINITY, f64::NEG_INFINITY, 3.0, 2.5, -7.0]);
        }),
        ok(
            "null where an object or list is expected means absent; null in a list of items is reported",
            Logs,
            r#"{"resourceLogs":[{"resource":null,"scopeLogs":[{"scope":null,"logRecords":[null,{"attributes":null,
            "body":null,"traceId":null,"timeUnixNano":null,"severityText":null}],"schemaUrl":null}]},
            {"scopeLogs":null},null]}"#
                .to_owned(),
            1,
        )
        // The sender put something in the place of a log record and of an envelope: each is
        // named, and since a null holds no data, nothing is counted as rejected.
        .problem("resourceLogs[0].scopeLogs[0].logRecords[0]", "", 0)
        .problem("resourceLogs[2]", "", 0),
        ok("a null span is reported", Traces, spans(r#"null,{"name":"s"}"#), 1)
            .problem("resourceSpans[0].scopeSpans[0].spans[0]", "", 0),
        ok("a null data point is reported", Metrics, metrics(r#"{"name":"m","gauge":{"dataPoints":[null,{"asInt":"1"}]}}"#), 1)
            .problem("resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]", "", 0),
        // As if the field were absent (the next case): a field that is null is not a list
        // element; either way the metric has no points and counts as one rejected item.
        ok("a null metric data field is absent", Metrics, metrics(r#"{"name":"m","sum":null}"#), 0)
            .problem(METRIC0, "", 1),
        ok("a metric without a data field", Metrics, metrics(r#"{"name":"m"}"#), 0).problem(METRIC0, "", 1),
        ok(
            "null inside AnyValue: variant null is empty, array element null keeps its slot",
            Logs,
            logs(r#"{"attributes":[{"key":"a","value":{"stringValue":null}},{"key":"b","value":null},
            {"key":"c","value":{"arrayValue":{"values":[null,{"intValue":1}]}}}]}"#),
            1,
        )
        .check(|decoded| {
            let attributes = &log_records(decoded)[0].attributes;
            assert_eq!(attributes[0].value, AnyValue::Empty);
            assert_eq!(attributes[1].value, AnyValue::Empty);
            assert_eq!(attributes[2].value, AnyValue::Array(vec![AnyValue::Empty, AnyValue::Int(1)]));
        }),
        ok("a UTF-8 byte order mark before the body", Logs, format!("\u{feff}{}", logs("{}")), 1),
        ok(
            "64-bit integers as integral floats",
            Logs,
            logs(r#"{"timeUnixNano":1.7e18,"observedTimeUnixNano":5.0,"attributes":[{"key":"i","value":{"intValue":-2e3}}]}"#),
            1,
        )
        .check(|decoded| {
            let record = log_records(decoded)[0];
            assert_eq!((record.time_unix_nano, record.observed_time_unix_nano), (1_700_000_000_000_000_000, 5));
            assert_eq!(record.attributes[0].value, AnyValue::Int(-2000));
        }),
        ok(
            "a request key given twice: both lists kept",
            Logs,
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}],"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}]}"#
                .to_owned(),
            3,
        ),
        ok("a huge string value", Logs, logs(&format!(r#"{{"body":{{"stringValue":"{huge}"}}}}"#)), 1)
            .check(|decoded| {
                let body = log_records(decoded)[0].body.clone();
                assert_eq!(body.as_ref().and_then(AnyValue::as_str).map(str::len), Some(4 << 20));
            }),
        // ---- Malformations: the field defaults or the item is left out, with a located problem.
        ok("timeUnixNano: true", Logs, logs(r#"{"timeUnixNano":true,"severityNumber":9}"#), 1)
            .problem(LOG0, "timeUnixNano", 0)
            .check(|decoded| {
                assert_eq!(log_records(decoded)[0].severity_number, 9);
                assert!(decoded.problems[0].message.contains("found true"));
            }),
        ok(
            "intValue: \"abc\"",
            Logs,
            logs(
                r#"{"attributes":[{"key":"a","value":{"intValue":"1"}},{"key":"b","value":{}},
                {"key":"c","value":{"intValue":"abc"}}]}"#,
            ),
            1,
        )
        .problem(LOG0, "attributes[2].value.intValue", 0)
        .check(|decoded| {
            let attribute = &log_records(decoded)[0].attributes[2];
            assert_eq!((attribute.key.as_str(), &attribute.value), ("c", &AnyValue::Empty));
            assert!(decoded.problems[0].message.contains("\"abc\""), "{}", decoded.problems[0].message);
        }),
        ok("attributes: 5", Logs, logs(r#"{"attributes":5,"severityText":"WARN"}"#), 1)
            .problem(LOG0, "attributes", 0)
            .check(|decoded| assert_eq!(log_records(decoded)[0].severity_text, "WARN")),
        ok("a log record that is a string", Logs, logs(r#"{},"oops",{}"#), 2)
            .problem("resourceLogs[0].scopeLogs[0].logRecords[1]", "", 1),
        ok("a log record that is an array", Logs, logs(r#"[{"severityNumber":9}]"#), 0).problem(LOG0, "", 1),
        ok("a metric that is a string", Metrics, metrics(r#""x",{"name":"g","gauge":{"dataPoints":[{"asInt":1}]}}"#), 1)
            .problem(METRIC0, "", 1),
        ok("a metric with no data", Metrics, metrics(r#"{"name":"m","unit":"1","metadata":[]}"#), 0)
            .problem(METRIC0, "", 1)
            .check(|decoded| assert_eq!(metric_data(decoded), [&MetricData::Missing])),
        ok("a metric whose data is not an object", Metrics, metrics(r#"{"name":"m","sum":5}"#), 0)
            .problem(METRIC0, "sum", 1)
            .check(|decoded| assert_eq!(metric_data(decoded), [&MetricData::Missing])),
        ok(
            "data points that are not objects",
            Metrics,
            metrics(r#"{"name":"m","sum":{"dataPoints":[{"asInt":1},7,"x"]}}"#),
            1,
        )
        .problem(&format!("{METRIC0}.sum.dataPoints[1]"), "", 1)
        .problem(&format!("{METRIC0}.sum.dataPoints[2]"), "", 1),
        ok("dataPoints that is not a list", Metrics, metrics(r#"{"name":"m","sum":{"dataPoints":{"asInt":1}}}"#), 0)
            .problem(METRIC0, "sum.dataPoints", 1),
        ok(
            "a metric with two data fields keeps the last",
            Metrics,
            metrics(r#"{"name":"m","gauge":{"dataPoints":[{"asInt":1},{"asInt":2}]},"sum":{"dataPoints":[{"asInt":3}]}}"#),
            1,
        )
        .problem(METRIC0, "", 2)
        .check(|decoded| assert_eq!(number_values(decoded), [NumberValue::Int(3)])),
        ok(
            "an unreadable bucket count keeps its slot",
            Metrics,
            metrics(r#"{"name":"h","histogram":{"dataPoints":[{"bucketCounts":["1","x",3]}]}}"#),
            1,
        )
        .problem(&format!("{METRIC0}.histogram.dataPoints[0]"), "bucketCounts[1]", 0)
        .check(|decoded| {
            let MetricData::Histogram { points, .. } = metric_data(decoded)[0] else { panic!("histogram") };
            assert_eq!(points[0].bucket_counts, [1, 0, 3]);
        }),
        ok("a trace id of the wrong length", Traces, spans(r#"{"traceId":"abc","name":"kept"}"#), 1)
            .problem(SPAN0, "traceId", 0)
            .check(|decoded| {
                let span = all_spans(decoded)[0];
                assert!(span.trace_id.is_empty());
                assert_eq!(span.name, "kept");
            }),
        ok("a span id with non-hex characters", Traces, spans(r#"{"spanId":"zz23456789abcdef"}"#), 1)
            .problem(SPAN0, "spanId", 0),
        ok(
            "a link span id of the wrong length",
            Traces,
            spans(r#"{"links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102"}]}"#),
            1,
        )
        .problem(SPAN0, "links[0].spanId", 0),
        ok("a parent span id that is a number", Traces, spans(r#"{"parentSpanId":12}"#), 1)
            .problem(SPAN0, "parentSpanId", 0),
        ok("negative times", Logs, logs(r#"{"timeUnixNano":"-5","observedTimeUnixNano":-5}"#), 1)
            .problem(LOG0, "timeUnixNano", 0)
            .problem(LOG0, "observedTimeUnixNano", 0),
        ok(
            "integers beyond 64 bits",
            Logs,
            logs(r#"{"timeUnixNano":"18446744073709551616","observedTimeUnixNano":1e30,"attributes":[{"key":"i","value":{"intValue":9223372036854775808}}]}"#),
            1,
        )
        .problem(LOG0, "timeUnixNano", 0)
        .problem(LOG0, "observedTimeUnixNano", 0)
        .problem(LOG0, "attributes[0].value.intValue", 0),
        ok("a 32-bit field out of range", Logs, logs(r#"{"severityNumber":1e10,"flags":-1}"#), 1)
            .problem(LOG0, "severityNumber", 0)
            .problem(LOG0, "flags", 0),
        ok("an unknown enum value name", Traces, spans(r#"{"kind":"SPAN_KIND_WEIRD"}"#), 1)
            .problem(SPAN0, "kind", 0),
        ok("bytesValue that is not base64", Logs, logs(r#"{"attributes":[{"key":"b","value":{"bytesValue":"!!!"}}]}"#), 1)
            .problem(LOG0, "attributes[0].value.bytesValue", 0),
        ok(
            "an AnyValue with two value fields keeps the last",
            Logs,
            logs(r#"{"attributes":[{"key":"a","value":{"stringValue":"s","intValue":2}}]}"#),
            1,
        )
        .problem(LOG0, "attributes[0].value", 0)
        .check(|decoded| assert_eq!(log_records(decoded)[0].attributes[0].value, AnyValue::Int(2))),
        ok(
            "a profiles-only stringValueStrindex",
            Logs,
            logs(r#"{"attributes":[{"key":"a","value":{"stringValueStrindex":3}}]}"#),
            1,
        )
        .problem(LOG0, "attributes[0].value.stringValueStrindex", 0),
        ok("an attribute that is not an object", Logs, logs(r#"{"attributes":[5,{"key":"a"}]}"#), 1)
            .problem(LOG0, "attributes[0]", 0)
            .check(|decoded| assert_eq!(log_records(decoded)[0].attributes.len(), 1)),
        ok("a scopeLogs entry that is not an object", Logs, r#"{"resourceLogs":[{"scopeLogs":[5]}]}"#.to_owned(), 0)
            .problem("resourceLogs[0].scopeLogs[0]", "", 1),
        ok("a resource that is a string", Logs, r#"{"resourceLogs":[{"resource":"x"}]}"#.to_owned(), 0)
            .problem("resourceLogs[0]", "resource", 0),
        ok("a body that is a bare string", Logs, logs(r#"{"body":"text"}"#), 1)
            .problem(LOG0, "body", 0)
            .check(|decoded| assert_eq!(log_records(decoded)[0].body, None)),
        ok("resourceLogs that is not a list", Logs, r#"{"resourceLogs":{}}"#.to_owned(), 0).problem("", "resourceLogs", 1),
        ok(
            "a long bad value is quoted truncated",
            Logs,
            logs(&format!(r#"{{"attributes":[{{"key":"a","value":{{"intValue":"{}"}}}}]}}"#, "9x".repeat(60))),
            1,
        )
        .problem(LOG0, "attributes[0].value.intValue", 0)
        .check(|decoded| {
            let message = &decoded.problems[0].message;
            assert!(message.contains(&format!("\"{}…\"", "9x".repeat(20))), "{message}");
            assert!(message.len() < 200, "{message}");
        }),
        // ---- Whole-body failures.
        fails("truncated body", Logs, r#"{"resourceLogs":["#, ErrorKind::Json { line: 1 }),
        fails("syntax error on line 3", Logs, "{\n\"resourceLogs\": [\n  {,}\n]}", ErrorKind::Json { line: 3 }),
        // Indented bodies lose their indentation before parsing (the decoder's compaction);
        // an error is still reported where it is in the body as sent.
        fails(
            "indented body, a raw line break inside a string",
            Logs,
            "{\n    \"resourceLogs\": [\n        {\"schemaUrl\": \"a\n        b\"}\n    ]\n}",
            // serde_json names the position after the line break it refused.
            ErrorKind::Json { line: 4 },
        ),
        fails(
            "indented body, two numbers split by a line break",
            Logs,
            "{\n    \"resourceLogs\": [],\n    \"x\": 1\n    2\n}",
            ErrorKind::Json { line: 4 },
        ),
        fails("top level is an array", Logs, "[]", ErrorKind::Json { line: 1 }),
        fails("top level is a string", Metrics, r#""resourceMetrics""#, ErrorKind::Json { line: 1 }),
        fails("top level is null", Traces, "null", ErrorKind::Json { line: 1 }),
        fails("trailing garbage", Logs, "{} x", ErrorKind::Json { line: 1 }),
        fails("empty body", Logs, "", ErrorKind::Json { line: 1 }),
        fails("invalid UTF-8 in a skipped value", Logs, &b"{\"resourceLogs\":[],\"x\":\"\xff\xfe\"}"[..], ErrorKind::Json { line: 1 }),
        fails(
            "invalid UTF-8 in a string value, line 2",
            Logs,
            &b"{\"resourceLogs\":[\n{\"schemaUrl\":\"a\xc3\x28\"}]}"[..],
            ErrorKind::Json { line: 2 },
        ),
        fails("another signal's key", Logs, r#"{"resourceSpans":[]}"#, ErrorKind::UnknownSignal),
        fails("two signals' keys", Metrics, r#"{"resourceMetrics":[],"resourceLogs":[]}"#, ErrorKind::UnknownSignal),
    ]
}

#[test]
fn every_quirk_and_malformation_decodes_as_expected() {
    let mut failures = Vec::new();
    for case in cases() {
        let result = json::decode(case.signal, &case.body);
        let outcome = std::panic::catch_unwind(|| check_case(&case, result));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|it| it.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

fn check_case(case: &Case, result: Result<Decoded, DecodeError>) {
    match (&case.expect, result) {
        (Expect::Decoded { items, problems, check }, Ok(decoded)) => {
            assert_eq!(decoded.request.signal(), case.signal);
            assert_eq!(decoded.request.item_count(), *items, "items");
            let actual: Vec<(String, &str, usize)> = decoded
                .problems
                .iter()
                .map(|it| (it.locator.clone(), it.field.as_str(), it.rejected_items))
                .collect();
            assert_eq!(&actual, problems, "problems: {:#?}", decoded.problems);
            for problem in &decoded.problems {
                assert!(
                    !problem.message.is_empty() && !problem.message.contains('\n'),
                    "{problem:?}"
                );
            }
            if let Some(check) = check {
                check(&decoded);
            }
        }
        (Expect::Fails(kind), Err(error)) => match (kind, &error) {
            (ErrorKind::Json { line }, DecodeError::Json { line: actual, message, .. }) => {
                assert_eq!(actual, line, "error line: {error}");
                assert!(!message.contains(" at line "), "position left in the message: {message}");
            }
            (ErrorKind::UnknownSignal, DecodeError::UnknownSignal { message }) => {
                assert!(message.contains("`resource"), "the message names the keys: {message}");
            }
            _ => panic!("expected {kind:?}, got {error:?}"),
        },
        (Expect::Decoded { .. }, Err(error)) => panic!("expected to decode, got {error}"),
        (Expect::Fails(kind), Ok(decoded)) => {
            panic!("expected {kind:?}, decoded {} items", decoded.request.item_count())
        }
    }
}
