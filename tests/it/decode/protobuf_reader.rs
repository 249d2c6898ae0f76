//! The hand-written protobuf reader (`otlp::proto::decode`) against the reference path it
//! replaced (`otlp::proto::decode_via_prost`: prost into `opentelemetry-proto`'s messages,
//! then converted): the same model and problems for every body, or both an error. Over every
//! real body of the corpus (protobuf as sent, JSON re-encoded as protobuf), over mutations of
//! them, and over bodies written byte by byte for each rule of the wire format prost applies.

use codetel::capture;
use codetel::otlp::{self, encode, proto, AnyValue, Decoded, Encoding, MetricData, Signal};

use crate::support;

/// Both paths on `body`; asserts they agree and returns the outcome. Models are compared by
/// their Debug form, so a NaN (`!=` itself) compares as written.
fn agree(signal: Signal, body: &[u8], context: &str) -> Option<Decoded> {
    let direct = proto::decode(signal, body);
    let reference = proto::decode_via_prost(signal, body);
    match (direct, reference) {
        (Ok(direct), Ok(reference)) => {
            assert_eq!(
                format!("{direct:?}"),
                format!("{reference:?}"),
                "{context}: results differ"
            );
            // The reader alone (no fallback for `string_value_strindex`) reads the same model.
            let alone =
                proto::decode_without_fallback(signal, body).expect("the reader accepts it");
            assert_eq!(
                format!("{:?}", alone.request),
                format!("{:?}", reference.request),
                "{context}: models differ"
            );
            Some(direct)
        }
        (
            Err(otlp::DecodeError::Protobuf { signal: a, .. }),
            Err(otlp::DecodeError::Protobuf { signal: b, .. }),
        ) => {
            assert_eq!((a, b), (signal, signal), "{context}");
            None
        }
        (direct, reference) => {
            panic!("{context}: the reader gives {direct:?}\nprost gives {reference:?}")
        }
    }
}

fn accepted(signal: Signal, body: &[u8], context: &str) -> Decoded {
    agree(signal, body, context).unwrap_or_else(|| panic!("{context}: rejected"))
}

fn rejected(signal: Signal, body: &[u8], context: &str) {
    assert!(agree(signal, body, context).is_none(), "{context}: accepted");
}

/// Every request body of the corpus as protobuf: as sent, or the JSON body re-encoded.
fn corpus_protobuf_bodies() -> Vec<(String, Signal, Vec<u8>)> {
    let mut res = Vec::new();
    for dir in support::corpus_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = capture::parse_body_name(&file) else {
                continue;
            };
            let (signal, raw) = match capture::read_body(&entry.path(), &name) {
                Ok(body) => (body.signal, body.bytes),
                // A protobuf body named without its signal, or JSON that names none.
                Err(capture::LoadError::Unrecognized { .. } | capture::LoadError::Decode { .. }) => continue,
                Err(error) => panic!("{error}"),
            };
            let context = entry.path().display().to_string();
            match name.encoding {
                Encoding::Protobuf => res.push((context, signal, raw)),
                Encoding::Json => {
                    if let Ok(decoded) = otlp::json::decode(signal, &raw) {
                        res.push((
                            format!("{context} as protobuf"),
                            signal,
                            encode::to_protobuf(&decoded.request),
                        ));
                    }
                }
            }
        }
    }
    res
}

#[test]
fn every_corpus_body_reads_the_same_as_with_prost() {
    let bodies = corpus_protobuf_bodies();
    assert!(bodies.len() > 300, "the corpus has {} bodies", bodies.len());
    let sent_as_protobuf = bodies.iter().filter(|it| !it.0.ends_with("as protobuf")).count();
    assert!(sent_as_protobuf > 10, "{sent_as_protobuf} protobuf bodies");
    let mut items = 0;
    for (context, signal, body) in &bodies {
        items += accepted(*signal, body, context).request.item_count();
    }
    assert!(items > 1000, "{items} items");
    // Also the other two request types: the bytes are a valid message of each, or not.
    for (context, signal, body) in bodies.iter().step_by(7) {
        for other in Signal::ALL.into_iter().filter(|it| it != signal) {
            agree(other, body, &format!("{context} read as {other}"));
        }
    }
}

/// A small xorshift generator: fixed seed, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_corpus_bodies_read_the_same_as_with_prost() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0, 0);
    for (context, signal, body) in corpus_protobuf_bodies().iter().filter(|it| it.2.len() < 20_000)
    {
        for round in 0..12 {
            let mut mutated = body.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(mutated.len());
                match rng.below(5) {
                    0 => mutated.truncate(at),
                    1 if !mutated.is_empty() => mutated[at] ^= 1 << rng.below(8),
                    2 if !mutated.is_empty() => mutated[at] = rng.next() as u8,
                    3 => mutated.insert(at, rng.next() as u8),
                    _ if !mutated.is_empty() => drop(mutated.remove(at)),
                    _ => {}
                }
            }
            match agree(*signal, &mutated, &format!("{context}, mutation {round}")) {
                Some(_) => ok += 1,
                None => err += 1,
            }
        }
    }
    // Both outcomes must be exercised, or the comparison proves little.
    assert!(ok > 100 && err > 100, "{ok} accepted, {err} rejected");
}

// -----------------------------------------------------------------------------------------
// Bodies written byte by byte.

fn varint(mut value: u64) -> Vec<u8> {
    let mut res = Vec::new();
    while value >= 0x80 {
        res.push((value as u8) | 0x80);
        value >>= 7;
    }
    res.push(value as u8);
    res
}

fn key(tag: u32, wire_type: u8) -> Vec<u8> {
    varint(u64::from(tag) << 3 | u64::from(wire_type))
}

fn len_field(tag: u32, content: &[u8]) -> Vec<u8> {
    [key(tag, 2), varint(content.len() as u64), content.to_vec()].concat()
}

fn varint_field(tag: u32, value: u64) -> Vec<u8> {
    [key(tag, 0), varint(value)].concat()
}

fn fixed64_field(tag: u32, value: u64) -> Vec<u8> {
    [key(tag, 1), value.to_le_bytes().to_vec()].concat()
}

fn fixed32_field(tag: u32, value: u32) -> Vec<u8> {
    [key(tag, 5), value.to_le_bytes().to_vec()].concat()
}

fn group(tag: u32, content: &[u8]) -> Vec<u8> {
    [key(tag, 3), content.to_vec(), key(tag, 4)].concat()
}

/// A logs request of one record with the given fields (ResourceLogs.scope_logs = 2,
/// ScopeLogs.log_records = 2).
fn logs_with_record(record: &[u8]) -> Vec<u8> {
    len_field(1, &len_field(2, &len_field(2, record)))
}

fn string_attribute(key_text: &str, value: &str) -> Vec<u8> {
    len_field(
        6,
        &[len_field(1, key_text.as_bytes()), len_field(2, &len_field(1, value.as_bytes()))]
            .concat(),
    )
}

/// A metrics request of one metric with the given fields.
fn metrics_with_metric(metric: &[u8]) -> Vec<u8> {
    len_field(1, &len_field(2, &len_field(2, metric)))
}

/// A traces request of one span with the given fields.
fn traces_with_span(span: &[u8]) -> Vec<u8> {
    len_field(1, &len_field(2, &len_field(2, span)))
}

fn the_record(decoded: &Decoded) -> &otlp::LogRecord {
    match &decoded.request {
        otlp::ExportRequest::Logs(list) => &list[0].scope_logs[0].log_records[0],
        other => panic!("not logs: {other:?}"),
    }
}

fn the_metric(decoded: &Decoded) -> &otlp::Metric {
    match &decoded.request {
        otlp::ExportRequest::Metrics(list) => &list[0].scope_metrics[0].metrics[0],
        other => panic!("not metrics: {other:?}"),
    }
}

fn the_span(decoded: &Decoded) -> &otlp::Span {
    match &decoded.request {
        otlp::ExportRequest::Traces(list) => &list[0].scope_spans[0].spans[0],
        other => panic!("not traces: {other:?}"),
    }
}

#[test]
fn singular_scalars_keep_the_last_value_and_repeated_messages_append() {
    let record = [
        len_field(3, b"first"),
        fixed64_field(1, 5),
        string_attribute("a", "1"),
        len_field(3, b"second"),
        fixed64_field(1, 7),
        string_attribute("b", "2"),
    ]
    .concat();
    let decoded = accepted(Signal::Logs, &logs_with_record(&record), "last wins");
    let record = the_record(&decoded);
    assert_eq!((record.severity_text.as_str(), record.time_unix_nano), ("second", 7));
    let keys: Vec<&str> = record.attributes.iter().map(|it| it.key.as_str()).collect();
    assert_eq!(keys, ["a", "b"]);
}

#[test]
fn a_singular_message_given_twice_is_merged() {
    // LogRecord.body twice: an array, then more of the array (merged), ...
    let array = |value: &str| len_field(5, &len_field(1, &len_field(1, value.as_bytes())));
    let body = [len_field(5, &array("x")), len_field(5, &array("y"))].concat();
    let decoded = accepted(Signal::Logs, &logs_with_record(&body), "body merged");
    let expected =
        AnyValue::Array(vec![AnyValue::String("x".into()), AnyValue::String("y".into())]);
    assert_eq!(the_record(&decoded).body, Some(expected));
    // ... then a string: the oneof's last variant wins.
    let body = [body, len_field(5, &len_field(1, b"z"))].concat();
    let decoded = accepted(Signal::Logs, &logs_with_record(&body), "body replaced");
    assert_eq!(the_record(&decoded).body, Some(AnyValue::String("z".into())));
    // An empty body message is a present, empty body.
    let decoded = accepted(Signal::Logs, &logs_with_record(&len_field(5, b"")), "empty body");
    assert_eq!(the_record(&decoded).body, Some(AnyValue::Empty));

    // ResourceLogs.resource twice: attributes appended, the dropped count overwritten.
    let resource_attribute = |name: &str| {
        len_field(1, &[len_field(1, name.as_bytes()), len_field(2, &len_field(1, b"v"))].concat())
    };
    let resource_logs = [
        len_field(1, &[resource_attribute("r1"), varint_field(2, 3)].concat()),
        len_field(2, &len_field(2, b"")),
        len_field(1, &[resource_attribute("r2"), varint_field(2, 4)].concat()),
    ]
    .concat();
    let decoded = accepted(Signal::Logs, &len_field(1, &resource_logs), "resource merged");
    let otlp::ExportRequest::Logs(list) = &decoded.request else { unreachable!() };
    let keys: Vec<&str> = list[0].resource.attributes.iter().map(|it| it.key.as_str()).collect();
    assert_eq!((keys, list[0].resource.dropped_attributes_count), (vec!["r1", "r2"], 4));

    // Metric.sum twice: points appended, temporality kept from the first; then a gauge wins.
    let point = |value: u64| len_field(1, &fixed64_field(6, value));
    let sum_once =
        [len_field(7, &[point(1), varint_field(2, 1), varint_field(3, 1)].concat())].concat();
    let sum_twice = [sum_once.clone(), len_field(7, &point(2))].concat();
    let decoded = accepted(Signal::Metrics, &metrics_with_metric(&sum_twice), "sum merged");
    match &the_metric(&decoded).data {
        MetricData::Sum { points, temporality, is_monotonic } => {
            assert_eq!((points.len(), temporality.as_i32(), *is_monotonic), (2, 1, true))
        }
        other => panic!("{other:?}"),
    }
    let then_gauge = [sum_twice, len_field(5, &point(3))].concat();
    let decoded = accepted(Signal::Metrics, &metrics_with_metric(&then_gauge), "gauge replaces");
    assert!(
        matches!(&the_metric(&decoded).data, MetricData::Gauge { points } if points.len() == 1)
    );

    // Span.status twice: merged field by field.
    let span = [
        len_field(15, &[len_field(2, b"bad"), varint_field(3, 2)].concat()),
        len_field(15, &len_field(2, b"worse")),
    ]
    .concat();
    let decoded = accepted(Signal::Traces, &traces_with_span(&span), "status merged");
    let span = the_span(&decoded);
    assert_eq!((span.status_code, span.status_message.as_str()), (2, "worse"));

    // ExponentialHistogramDataPoint.positive twice: offset overwritten, counts appended.
    let buckets = |offset: u64, count: u64| {
        len_field(8, &[varint_field(1, offset), varint_field(2, count)].concat())
    };
    let point = len_field(1, &[buckets(3, 10), buckets(5, 11)].concat());
    let decoded =
        accepted(Signal::Metrics, &metrics_with_metric(&len_field(10, &point)), "buckets merged");
    match &the_metric(&decoded).data {
        MetricData::ExponentialHistogram { points, .. } => {
            assert_eq!(points[0].positive, (-3, vec![10, 11]))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn repeated_scalars_read_packed_and_unpacked_alike() {
    let counts = [1u64, 300, 0, u64::MAX];
    let bounds = [0.5f64, -1.0, 1e300];
    let packed = [
        len_field(6, &counts.iter().flat_map(|it| it.to_le_bytes()).collect::<Vec<_>>()),
        len_field(7, &bounds.iter().flat_map(|it| it.to_le_bytes()).collect::<Vec<_>>()),
    ]
    .concat();
    let unpacked = [
        counts.iter().flat_map(|it| fixed64_field(6, *it)).collect::<Vec<_>>(),
        bounds.iter().flat_map(|it| fixed64_field(7, it.to_bits())).collect(),
    ]
    .concat();
    // Half packed, half not, also appends.
    let mixed = [
        len_field(6, &counts[..2].iter().flat_map(|it| it.to_le_bytes()).collect::<Vec<_>>()),
        fixed64_field(6, counts[2]),
        fixed64_field(6, counts[3]),
        len_field(7, &bounds.iter().flat_map(|it| it.to_le_bytes()).collect::<Vec<_>>()),
    ]
    .concat();
    for (name, point) in [("packed", packed), ("unpacked", unpacked), ("mixed", mixed)] {
        let body = metrics_with_metric(&len_field(9, &len_field(1, &point)));
        let decoded = accepted(Signal::Metrics, &body, name);
        match &the_metric(&decoded).data {
            MetricData::Histogram { points, .. } => {
                assert_eq!(points[0].bucket_counts, counts, "{name}");
                assert_eq!(points[0].explicit_bounds, bounds, "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // Exponential buckets are varints.
    let varints: Vec<u8> = counts.iter().flat_map(|it| varint(*it)).collect();
    for (name, buckets) in [
        ("packed varints", len_field(2, &varints)),
        ("unpacked varints", counts.iter().flat_map(|it| varint_field(2, *it)).collect()),
    ] {
        let body = metrics_with_metric(&len_field(10, &len_field(1, &len_field(9, &buckets))));
        let decoded = accepted(Signal::Metrics, &body, name);
        match &the_metric(&decoded).data {
            MetricData::ExponentialHistogram { points, .. } => {
                assert_eq!(points[0].negative.1, counts)
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A packed field whose length is not whole elements, or whose last varint runs past it.
    let body = metrics_with_metric(&len_field(9, &len_field(1, &len_field(6, &[0; 12]))));
    rejected(Signal::Metrics, &body, "packed fixed64 of 12 bytes");
    let body = metrics_with_metric(&len_field(
        10,
        &len_field(1, &len_field(9, &len_field(2, &[0x80, 0x80]))),
    ));
    rejected(Signal::Metrics, &body, "packed varint cut at the field's end");
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let known = [len_field(3, b"INFO"), string_attribute("k", "v")].concat();
    let unknown = [
        varint_field(99, u64::MAX),
        fixed64_field(98, 1),
        len_field(97, b"anything \xff not UTF-8"),
        fixed32_field(96, 1),
        group(
            95,
            &[varint_field(1, 1), len_field(2, b"x"), group(3, &fixed32_field(4, 0))].concat(),
        ),
        group(94, b""),
    ]
    .concat();
    let plain = accepted(Signal::Logs, &logs_with_record(&known), "known fields only");
    // Unknown fields before, between and after the known ones, at every level.
    let record = [
        unknown.clone(),
        known[..6].to_vec(),
        unknown.clone(),
        known[6..].to_vec(),
        unknown.clone(),
    ]
    .concat();
    let scope_logs = [unknown.clone(), len_field(2, &record), unknown.clone()].concat();
    let resource_logs = [unknown.clone(), len_field(2, &scope_logs)].concat();
    let body = [unknown.clone(), len_field(1, &resource_logs), unknown].concat();
    let with_unknown = accepted(Signal::Logs, &body, "unknown fields");
    assert_eq!(format!("{:?}", with_unknown.request), format!("{:?}", plain.request));
    // Fields prost knows but the model drops are read too: a wrong one fails the body.
    let entity_ref_not_utf8 = len_field(
        1,
        &[len_field(1, &len_field(3, &len_field(3, b"\xc3\x28"))), len_field(2, b"")].concat(),
    );
    rejected(Signal::Logs, &entity_ref_not_utf8, "EntityRef.id_keys not UTF-8");
    let dropped_events_wrong_type = traces_with_span(&fixed32_field(12, 1));
    rejected(Signal::Traces, &dropped_events_wrong_type, "Span.dropped_events_count as fixed32");
}

#[test]
fn malformed_groups_and_keys_are_rejected() {
    for (name, record) in [
        ("end group without start", key(9, 4)),
        ("group closed by another tag", [key(95, 3), key(94, 4)].concat()),
        ("group never closed", [key(95, 3), varint_field(1, 1)].concat()),
        ("wire type 6", key(50, 6)),
        ("wire type 7", key(50, 7)),
        ("tag 0", varint_field(0, 1)),
        ("key above u32", [varint(1 << 35), vec![0]].concat()),
        ("eleven-byte varint", [key(99, 0), vec![0xff; 10], vec![0]].concat()),
        ("tenth byte of 2", [key(99, 0), vec![0xff; 9], vec![2]].concat()),
    ] {
        rejected(Signal::Logs, &logs_with_record(&record), name);
    }
    // The longest valid varint.
    accepted(
        Signal::Logs,
        &logs_with_record(&[key(99, 0), vec![0xff; 9], vec![1]].concat()),
        "ten-byte varint",
    );
}

#[test]
fn a_wrong_wire_type_for_a_known_field_is_rejected() {
    for (name, record) in [
        ("time as varint", varint_field(1, 1)),
        ("severity as fixed64", fixed64_field(2, 1)),
        ("severity text as varint", varint_field(3, 1)),
        ("body as fixed32", fixed32_field(5, 1)),
        ("attributes as varint", varint_field(6, 1)),
        ("flags as fixed64", fixed64_field(8, 1)),
        ("trace id as group", group(9, b"")),
        ("value string as varint", len_field(5, &varint_field(1, 1))),
        ("value double as fixed32", len_field(5, &fixed32_field(4, 1))),
        ("value strindex as fixed64", len_field(5, &fixed64_field(8, 1))),
    ] {
        rejected(Signal::Logs, &logs_with_record(&record), name);
    }
}

#[test]
fn every_truncation_of_a_body_agrees() {
    let record = [
        fixed64_field(1, 1_700_000_000_000_000_000),
        varint_field(2, 9),
        len_field(3, "INFO é".as_bytes()),
        len_field(
            5,
            &len_field(
                5,
                &[
                    len_field(1, &varint_field(3, u64::MAX)),
                    len_field(1, &fixed64_field(4, 2.5f64.to_bits())),
                ]
                .concat(),
            ),
        ),
        string_attribute("event.name", "api_request"),
        fixed32_field(8, 1),
        len_field(9, &[1; 16]),
        len_field(10, &[2; 8]),
    ]
    .concat();
    let body = logs_with_record(&record);
    accepted(Signal::Logs, &body, "whole");
    let mut rejected_prefixes = 0;
    for len in 0..body.len() {
        if agree(Signal::Logs, &body[..len], &format!("first {len} bytes")).is_none() {
            rejected_prefixes += 1;
        }
    }
    assert!(
        rejected_prefixes > body.len() / 2,
        "{rejected_prefixes} of {} prefixes rejected",
        body.len()
    );
}

/// A logs request whose one attribute value nests `levels` arrays, then `innermost` inside.
fn nested(levels: usize, innermost: &[u8]) -> Vec<u8> {
    let mut any_value = innermost.to_vec();
    for _ in 0..levels {
        any_value = len_field(5, &len_field(1, &any_value));
    }
    logs_with_record(&len_field(6, &[len_field(1, b"deep"), len_field(2, &any_value)].concat()))
}

#[test]
fn the_recursion_limit_is_prosts_to_the_level() {
    // The deepest nesting prost accepts, found rather than assumed, then one more.
    let deepest =
        (0..60).rev().find(|levels| agree(Signal::Logs, &nested(*levels, b""), "empty").is_some());
    let deepest = deepest.expect("some nesting is accepted");
    assert!((40..60).contains(&deepest), "deepest accepted nesting: {deepest}");
    rejected(Signal::Logs, &nested(deepest + 1, b""), "one level deeper");
    // At the deepest level, a field inside the innermost message still counts: an unknown
    // varint is skipped under the same budget, a group one level further.
    for (name, innermost) in [
        ("a string", len_field(1, b"s")),
        ("an unknown varint", varint_field(99, 1)),
        ("an unknown group", group(99, b"")),
        ("an unknown group with a field", group(99, &varint_field(1, 1))),
        ("nested unknown groups", group(99, &group(98, &group(97, b"")))),
    ] {
        for levels in deepest.saturating_sub(2)..=deepest + 1 {
            agree(
                Signal::Logs,
                &nested(levels, &innermost),
                &format!("{name} under {levels} levels"),
            );
        }
    }
    // Groups alone can exhaust the budget too.
    let mut groups = Vec::new();
    for tag in 0..120 {
        groups = group(tag + 1, &groups);
    }
    rejected(Signal::Logs, &logs_with_record(&groups), "120 nested groups");
}

#[test]
fn non_utf8_strings_are_rejected_wherever_they_are() {
    let bad = b"ok \xc3\x28";
    for (name, body) in [
        ("severity text", logs_with_record(&len_field(3, bad))),
        ("attribute key", logs_with_record(&len_field(6, &len_field(1, bad)))),
        ("string value", logs_with_record(&len_field(5, &len_field(1, bad)))),
        ("event name", logs_with_record(&len_field(12, bad))),
        ("scope name", len_field(1, &len_field(2, &len_field(1, &len_field(1, bad))))),
        ("schema url", len_field(1, &len_field(3, bad))),
    ] {
        rejected(Signal::Logs, &body, name);
    }
    rejected(Signal::Metrics, &metrics_with_metric(&len_field(1, bad)), "metric name");
    rejected(Signal::Traces, &traces_with_span(&len_field(5, bad)), "span name");
    rejected(
        Signal::Traces,
        &traces_with_span(&len_field(15, &len_field(2, bad))),
        "status message",
    );
    // Bytes fields may hold anything.
    accepted(Signal::Logs, &logs_with_record(&len_field(5, &len_field(7, bad))), "bytes value");
}

#[test]
fn problems_are_the_same_and_in_the_same_order() {
    let span = [
        len_field(1, &[1; 3]),
        len_field(2, &[2; 9]),
        len_field(13, &[len_field(1, &[3; 16]), len_field(2, &[4; 4])].concat()),
        len_field(4, &[5; 7]),
        len_field(9, &[len_field(1, b"k"), len_field(2, &varint_field(8, 3))].concat()),
    ]
    .concat();
    let decoded = accepted(Signal::Traces, &traces_with_span(&span), "bad ids and a strindex");
    let fields: Vec<&str> = decoded.problems.iter().map(|it| it.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "traceId",
            "spanId",
            "parentSpanId",
            "attributes[0].value.stringValueStrindex",
            "links[0].spanId"
        ]
    );
    assert!(the_span(&decoded).trace_id.is_empty());
    // A strindex replaced by a later value of the same oneof is no problem.
    let record = len_field(5, &[varint_field(8, 1), len_field(1, b"now a string")].concat());
    let decoded = accepted(Signal::Logs, &logs_with_record(&record), "strindex replaced");
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    // Nor is one in a field the model does not keep (Metric.metadata).
    let metric = [
        len_field(1, b"m"),
        len_field(12, &[len_field(1, b"k"), len_field(2, &varint_field(8, 1))].concat()),
    ]
    .concat();
    let decoded = accepted(Signal::Metrics, &metrics_with_metric(&metric), "strindex in metadata");
    let messages: Vec<&str> = decoded.problems.iter().map(|it| it.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("metric has no data"), "{messages:?}");
}
