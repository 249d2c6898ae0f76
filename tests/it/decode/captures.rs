//! Real bodies from real CLIs. The fixtures under `tests/it/data/decode/` (see its README)
//! must decode cleanly with the facts their capture READMEs state. Each protobuf fixture, written
//! out as OTLP/JSON in every spelling, must decode to the same model (the real-data twin of
//! the equivalence tests). When the shared capture folder is present, every body in it is
//! decoded and the names per run are compared with the `[observed]` lists of its `capture.toml`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use codetel::otlp::{
    find_attr, json, proto, AnyValue, Decoded, ExportRequest, MetricData, NumberValue, Signal,
    Temporality,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;

use super::equivalence::assert_same;
use super::spec_json::{Encoder, Spelling};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/decode").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The signal in a capture file name (`0004_v1_traces.json`).
fn signal_of(file_name: &str) -> Option<Signal> {
    let stem = file_name.split('.').next()?;
    Signal::parse(stem.rsplit('_').next()?)
}

/// Decodes a capture body by its file name (`.pb` protobuf, `.json` OTLP/JSON).
fn decode_file(file_name: &str, bytes: &[u8]) -> Result<Decoded, codetel::otlp::DecodeError> {
    let signal = signal_of(file_name).unwrap_or_else(|| panic!("no signal in {file_name}"));
    if file_name.ends_with(".pb") {
        proto::decode(signal, bytes)
    } else {
        json::decode(signal, bytes)
    }
}

/// What a run's `[observed]` section lists: log `event.name`s, metric names, span names and
/// temporalities.
#[derive(Debug, Default, PartialEq)]
struct Names {
    log_events: BTreeSet<String>,
    metrics: BTreeSet<String>,
    spans: BTreeSet<String>,
    temporalities: BTreeSet<i32>,
}

impl Names {
    fn add(&mut self, request: &ExportRequest) {
        match request {
            ExportRequest::Logs(resources) => {
                for record in
                    resources.iter().flat_map(|it| &it.scope_logs).flat_map(|it| &it.log_records)
                {
                    if let Some(AnyValue::String(name)) =
                        find_attr(&record.attributes, "event.name")
                    {
                        self.log_events.insert(name.to_string());
                    }
                }
            }
            ExportRequest::Metrics(resources) => {
                for metric in
                    resources.iter().flat_map(|it| &it.scope_metrics).flat_map(|it| &it.metrics)
                {
                    self.metrics.insert(metric.name.to_string());
                    if let Some(temporality) = metric.data.temporality() {
                        self.temporalities.insert(temporality.as_i32());
                    }
                }
            }
            ExportRequest::Traces(resources) => {
                for span in resources.iter().flat_map(|it| &it.scope_spans).flat_map(|it| &it.spans)
                {
                    self.spans.insert(span.name.to_string());
                }
            }
        }
    }
}

#[test]
fn real_protobuf_fixtures_decode_with_the_stated_facts() {
    let logs = decode_file(
        "0000_v1_logs.pb",
        &fixture("opencode_plugin_03_tool_grpc_protobuf_0000_v1_logs.pb"),
    )
    .expect("decodes");
    assert!(logs.problems.is_empty(), "{:?}", logs.problems);
    let mut names = Names::default();
    names.add(&logs.request);
    assert_eq!(
        names.log_events,
        BTreeSet::from(["session.created".to_owned(), "user_prompt".to_owned()])
    );
    let ExportRequest::Logs(resources) = &logs.request else { panic!("logs") };
    assert_eq!(
        find_attr(&resources[0].resource.attributes, "service.name").and_then(AnyValue::as_str),
        Some("opencode")
    );
    assert_eq!(resources[0].scope_logs[0].scope.name, "com.opencode");

    let traces = decode_file(
        "0002_v1_traces.pb",
        &fixture("opencode_plugin_03_tool_grpc_protobuf_0002_v1_traces.pb"),
    )
    .expect("decodes");
    assert!(traces.problems.is_empty(), "{:?}", traces.problems);
    let ExportRequest::Traces(resources) = &traces.request else { panic!("traces") };
    let spans = &resources[0].scope_spans[0].spans;
    let summary: Vec<(&str, i32, i32, bool)> = spans
        .iter()
        .map(|it| (it.name.as_str(), it.kind, it.status_code, it.parent_span_id.is_empty()))
        .collect();
    // Tool spans are children of the session span; llm spans are CLIENT; all status OK.
    assert_eq!(
        summary,
        [
            ("opencode.tool.bash", 1, 1, false),
            ("opencode.llm", 3, 1, false),
            ("opencode.llm", 3, 1, false),
            ("opencode.session", 1, 1, true)
        ]
    );
    assert!(spans
        .iter()
        .all(|it| it.trace_id.len() == 16 && it.span_id.len() == 8 && it.flags == 257));
    assert!(spans[..3].iter().all(|it| it.parent_span_id == spans[3].span_id));

    let metrics =
        decode_file("0004_v1_metrics.pb", &fixture("goose_text-protobuf_0004_v1_metrics.pb"))
            .expect("decodes");
    assert!(metrics.problems.is_empty(), "{:?}", metrics.problems);
    let ExportRequest::Metrics(resources) = &metrics.request else { panic!("metrics") };
    let scope = &resources[0].scope_metrics[0];
    assert_eq!(
        (scope.scope.name.as_str(), scope.scope.version.as_str()),
        ("tracing/tracing-opentelemetry", "0.33.0")
    );
    // Every goose metric is a cumulative monotonic int sum; session_tokens is 132.
    for metric in &scope.metrics {
        let MetricData::Sum { points, temporality: Temporality::Cumulative, is_monotonic: true } =
            &metric.data
        else {
            panic!("{}: {:?}", metric.name, metric.data)
        };
        assert!(matches!(points[0].value, NumberValue::Int(_)), "{}", metric.name);
    }
    let tokens =
        scope.metrics.iter().find(|it| it.name == "goose.session_tokens").expect("session_tokens");
    let MetricData::Sum { points, .. } = &tokens.data else { panic!("sum") };
    assert_eq!(points[0].value, NumberValue::Int(132));
    assert_eq!(metrics.request.item_count(), 5);
}

#[test]
fn real_json_fixtures_decode_with_the_stated_facts() {
    let logs = decode_file(
        "0000_v1_logs.json",
        &fixture("opencode_plugin_01_text_http_json_0000_v1_logs.json"),
    )
    .expect("decodes");
    assert!(logs.problems.is_empty(), "{:?}", logs.problems);
    let ExportRequest::Logs(resources) = &logs.request else { panic!("logs") };
    let records = &resources[0].scope_logs[0].log_records;
    assert_eq!(records.len(), 2);
    // `intValue` as a JSON number (OTel JS): prompt_length counts the wrapping quotes, 14.
    assert_eq!(find_attr(&records[1].attributes, "prompt_length"), Some(&AnyValue::Int(14)));
    assert_eq!(records[0].body, Some(AnyValue::String("session.created".into())));

    let metrics = decode_file(
        "0005_v1_metrics.json",
        &fixture("opencode_plugin_01_text_http_json_0005_v1_metrics.json"),
    )
    .expect("decodes");
    assert!(metrics.problems.is_empty(), "{:?}", metrics.problems);
    assert_eq!(metrics.request.item_count(), 13);
    let ExportRequest::Metrics(resources) = &metrics.request else { panic!("metrics") };
    let metric = |name: &str| {
        resources[0].scope_metrics[0]
            .metrics
            .iter()
            .find(|it| it.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let MetricData::Sum { points, .. } = &metric("opencode.cost.usage").data else { panic!("sum") };
    assert_eq!(points[0].value, NumberValue::Double(0.00027));
    let MetricData::Sum { points, .. } = &metric("opencode.token.usage").data else {
        panic!("sum")
    };
    let tokens: Vec<(Option<&str>, NumberValue)> = points
        .iter()
        .map(|it| (find_attr(&it.attributes, "type").and_then(AnyValue::as_str), it.value))
        .collect();
    assert!(tokens.contains(&(Some("input"), NumberValue::Double(20.0))), "{tokens:?}");
    assert!(tokens.contains(&(Some("cacheRead"), NumberValue::Double(100.0))), "{tokens:?}");
    let MetricData::Histogram { points, temporality } = &metric("opencode.session.duration").data
    else {
        panic!("histogram")
    };
    assert_eq!(*temporality, Temporality::Cumulative);
    assert_eq!(points[0].bucket_counts.len(), points[0].explicit_bounds.len() + 1);

    let traces =
        decode_file("0003_v1_traces.json", &fixture("goose_text-json-patched_0003_v1_traces.json"))
            .expect("decodes");
    assert!(traces.problems.is_empty(), "{:?}", traces.problems);
    let ExportRequest::Traces(resources) = &traces.request else { panic!("traces") };
    let spans = &resources[0].scope_spans[0].spans;
    let names: Vec<&str> = spans.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(names, ["reply", "stream_response_from_provider", "reply_stream"]);
    // `parentSpanId: ""` on the roots means no parent; `reply` and `reply_stream` are in different traces.
    assert!(spans[0].parent_span_id.is_empty() && spans[2].parent_span_id.is_empty());
    assert_eq!(spans[1].parent_span_id, spans[2].span_id);
    assert_ne!(spans[0].trace_id, spans[2].trace_id);
    assert!(spans.iter().all(|it| it.kind == 1 && it.status_code == 0 && it.flags == 257));
    assert_eq!(spans[1].events.len(), 2);
    assert_eq!(find_attr(&spans[0].attributes, "code.line.number"), Some(&AnyValue::Int(1549)));
}

#[test]
fn real_protobuf_fixtures_decode_equal_when_written_as_json() {
    let cases = [
        ("opencode_plugin_03_tool_grpc_protobuf_0000_v1_logs.pb", Signal::Logs),
        ("opencode_plugin_03_tool_grpc_protobuf_0002_v1_traces.pb", Signal::Traces),
        ("goose_text-protobuf_0004_v1_metrics.pb", Signal::Metrics),
    ];
    for (name, signal) in cases {
        let bytes = fixture(name);
        let from_protobuf = proto::decode(signal, &bytes).expect("decodes");
        for (spelling_name, spelling) in Spelling::all() {
            let encoder = Encoder::new(spelling);
            let value = match signal {
                Signal::Logs => {
                    encoder.logs(&ExportLogsServiceRequest::decode(&bytes[..]).expect("prost"))
                }
                Signal::Metrics => encoder
                    .metrics(&ExportMetricsServiceRequest::decode(&bytes[..]).expect("prost")),
                Signal::Traces => {
                    encoder.traces(&ExportTraceServiceRequest::decode(&bytes[..]).expect("prost"))
                }
            };
            let from_json =
                json::decode(signal, encoder.to_text(&value).as_bytes()).expect("decodes");
            assert_same(&from_json, &from_protobuf, &format!("{name}, spelling {spelling_name}"));
        }
    }
}

/// The shared capture folder, when this machine has it (`CODETEL_SHARED_CAPTURES` overrides).
fn shared_captures() -> Option<PathBuf> {
    let path = std::env::var_os("CODETEL_SHARED_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/captures"));
    path.is_dir().then_some(path)
}

/// Bodies known to be damaged in the shared captures, with why. They must fail as JSON
/// syntax errors (or decode, once fixed), never as anything else.
const KNOWN_DAMAGED: &[(&str, &str)] = &[(
    "goose/tool-json-patched/0004_v1_traces.json",
    "the path scrub replaced `\\\"` with `\"` inside a string at line 1076 (content-length 37607, file 37588)",
)];

#[test]
fn shared_captures_decode_with_the_names_their_manifests_state() {
    let Some(root) = shared_captures() else {
        eprintln!("shared captures not present; skipped");
        return;
    };
    let mut bodies = 0;
    let mut runs_checked = 0;
    let mut vendor_dirs: Vec<PathBuf> =
        read_dir_sorted(&root).into_iter().filter(|it| it.is_dir()).collect();
    vendor_dirs.sort();
    for vendor_dir in vendor_dirs {
        for run in read_dir_sorted(&vendor_dir).into_iter().filter(|it| it.is_dir()) {
            let mut names = Names::default();
            for file in read_dir_sorted(&run) {
                let file_name =
                    file.file_name().and_then(|it| it.to_str()).unwrap_or_default().to_owned();
                if !(file_name.ends_with(".pb") || file_name.ends_with(".json")) {
                    continue;
                }
                let relative =
                    file.strip_prefix(&root).unwrap_or(&file).to_string_lossy().into_owned();
                let bytes = std::fs::read(&file).expect("readable");
                bodies += 1;
                match decode_file(&file_name, &bytes) {
                    Ok(decoded) => {
                        assert!(decoded.problems.is_empty(), "{relative}: {:?}", decoded.problems);
                        assert!(decoded.request.item_count() > 0, "{relative}: no items");
                        names.add(&decoded.request);
                    }
                    Err(codetel::otlp::DecodeError::Json { line, .. })
                        if KNOWN_DAMAGED.iter().any(|(path, _)| *path == relative) =>
                    {
                        eprintln!("{relative}: known damaged capture (JSON error at line {line})");
                    }
                    Err(error) => panic!("{relative}: {error}"),
                }
            }
            if let Some(observed) = observed_names(&run) {
                let run_name =
                    run.file_name().map(|it| it.to_string_lossy().into_owned()).unwrap_or_default();
                assert_eq!(
                    names, observed,
                    "{run_name}: decoded names differ from capture.toml [observed]"
                );
                runs_checked += 1;
            }
        }
    }
    assert!(bodies >= 100, "expected the whole shared corpus, found {bodies} bodies");
    assert!(
        runs_checked >= 11,
        "expected every opencode_plugin run to state [observed], got {runs_checked}"
    );
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut res: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable")
        .filter_map(|it| it.ok())
        .map(|it| it.path())
        .collect();
    res.sort();
    res
}

/// The `[observed]` section of a run's `capture.toml`, if it has one.
fn observed_names(run: &Path) -> Option<Names> {
    let text = std::fs::read_to_string(run.join("capture.toml")).ok()?;
    let manifest: toml::Table = text.parse().expect("capture.toml parses");
    let observed = manifest.get("observed")?.as_table()?;
    let strings = |key: &str| -> BTreeSet<String> {
        observed
            .get(key)
            .and_then(|it| it.as_array())
            .map(|items| items.iter().filter_map(|it| it.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let temporalities = observed
        .get("metric_temporality")
        .and_then(|it| it.as_array())
        .map(|items| items.iter().filter_map(|it| it.as_integer()).map(|it| it as i32).collect())
        .unwrap_or_default();
    Some(Names {
        log_events: strings("log_events"),
        metrics: strings("metrics"),
        spans: strings("spans"),
        temporalities,
    })
}
