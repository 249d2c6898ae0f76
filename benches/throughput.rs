//! Throughput over the real corpus: codetel's decoders and whole pipeline beside the DOM floor
//! and the OTLP/JSON decode a Rust collector would reach for today.
//!
//! The input is every request body of every capture under `corpus/` (all vendors), repeated
//! until it passes `CODETEL_BENCH_MB` megabytes (default 100), built at start and never
//! written to disk. JSON bodies are the bytes the CLIs sent (a protobuf capture contributes
//! its spec OTLP/JSON re-encoding); protobuf bodies are the protobuf encoding of the same
//! data. A JSON body that `opentelemetry-proto`'s serde types cannot decode is left out of
//! every variant, so all variants see the same bytes (the count is printed).
//!
//! Variants, one criterion benchmark each, then one side-by-side table (best of three passes
//! per variant, MB/s and input records/s, ratios to `opentelemetry-proto`):
//! - `serde_json_value`: `serde_json::from_slice::<serde_json::Value>`, the DOM floor;
//! - `opentelemetry_proto_serde`: `opentelemetry-proto` 0.33 with `with-serde`;
//! - `codetel_json_decode`: `codetel::otlp::json::decode`;
//! - `codetel_protobuf_decode`: `codetel::otlp::proto::decode`, the same data as protobuf;
//! - `codetel_protobuf_decode_via_prost`: the reference path the protobuf reader replaced
//!   (prost into `opentelemetry-proto`'s messages, then converted into the same model);
//! - `codetel_normalize_json`, `codetel_normalize_protobuf`: decode, detect, adapt, derive,
//!   privacy (`metadata_only`) and serialize the records as JSONL (`CanonicalRecord::write_json`,
//!   what `codetel normalize` writes), capture by capture.
//!
//! codetel's variants decode from the buffer the body is held in (`decode_shared` with a
//! `Bytes` handle, a reference count), as `codetel normalize` does with the file it read: the
//! decoded strings are slices of that buffer. The other variants read the same bytes.
//!
//! Run: `cargo bench --bench throughput` (`-- --quick` for a shorter criterion phase).
//!
//! Instruction counts, which do not move with the machine's load: `CODETEL_BENCH_ONCE=1` runs
//! every variant once, without criterion, each in its own function named `once_<variant>`, so
//! `valgrind --tool=callgrind --toggle-collect='*once_<variant>'` counts that variant alone
//! (no trailing `*`: `once_codetel_protobuf_decode*` would also match `..._via_prost`). An
//! uncounted warm-up pass runs first, so no variant pays the process's one-time set-up.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use codetel::capture::{self, Capture, Input, Request};
use codetel::normalize::{self, Options};
use codetel::otlp::{self, encode, Encoding, Signal};
use codetel::schema::CaptureMode;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// One request body in both encodings.
struct Body {
    signal: Signal,
    json: Bytes,
    protobuf: Bytes,
    /// Accountable items (log records, data points, spans).
    records: usize,
}

/// The bodies of one capture, in arrival order.
struct CaptureBodies {
    bodies: Vec<Body>,
}

struct BenchInput {
    captures: Vec<CaptureBodies>,
    json_bytes: usize,
    protobuf_bytes: usize,
    records: usize,
    left_out: usize,
    distinct_bodies: usize,
}

fn target_bytes() -> usize {
    std::env::var("CODETEL_BENCH_MB").ok().and_then(|it| it.parse::<usize>().ok()).unwrap_or(100) * 1_000_000
}

fn otel_proto_decodes(signal: Signal, json: &[u8]) -> bool {
    match signal {
        Signal::Logs => serde_json::from_slice::<ExportLogsServiceRequest>(json).is_ok(),
        Signal::Metrics => serde_json::from_slice::<ExportMetricsServiceRequest>(json).is_ok(),
        Signal::Traces => serde_json::from_slice::<ExportTraceServiceRequest>(json).is_ok(),
    }
}

fn load_capture(dir: &Path, left_out: &mut usize) -> CaptureBodies {
    let mut names: Vec<(capture::BodyName, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|it| {
                    let name = it.file_name().to_string_lossy().into_owned();
                    capture::parse_body_name(&name).map(|parsed| (parsed, name))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort_by(|a, b| (a.0.sequence, &a.1).cmp(&(b.0.sequence, &b.1)));
    let mut bodies = Vec::new();
    for (name, file) in names {
        let Ok(capture::RawBody { signal, bytes: raw, .. }) = capture::read_body(&dir.join(&file), &name) else { continue };
        let Ok(decoded) = otlp::decode(signal, name.encoding, &raw) else { continue };
        let (json, protobuf) = match name.encoding {
            Encoding::Json => (raw, encode::to_protobuf(&decoded.request)),
            Encoding::Protobuf => (encode::to_json(&decoded.request), raw),
        };
        if !otel_proto_decodes(signal, &json) {
            *left_out += 1;
            continue;
        }
        bodies.push(Body { signal, json: Bytes::from(json), protobuf: Bytes::from(protobuf), records: decoded.request.item_count() });
    }
    CaptureBodies { bodies }
}

fn build_input() -> BenchInput {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut left_out = 0;
    let once: Vec<CaptureBodies> = capture::discover(&root)
        .unwrap_or_default()
        .iter()
        .filter_map(|it| match it {
            Input::Dir(dir) => Some(load_capture(dir, &mut left_out)),
            Input::File(_) => None,
        })
        .filter(|it| !it.bodies.is_empty())
        .collect();
    let distinct_bodies = once.iter().map(|it| it.bodies.len()).sum();
    let once_bytes: usize = once.iter().flat_map(|it| &it.bodies).map(|it| it.json.len()).sum();
    let repeats = target_bytes().div_ceil(once_bytes.max(1));
    let mut captures = Vec::new();
    for _ in 0..repeats {
        for capture in &once {
            let bodies = capture
                .bodies
                .iter()
                // A copy of its own per repeat, so the input is as many distinct bytes as it says.
                .map(|it| Body {
                    signal: it.signal,
                    json: Bytes::copy_from_slice(&it.json),
                    protobuf: Bytes::copy_from_slice(&it.protobuf),
                    records: it.records,
                })
                .collect();
            captures.push(CaptureBodies { bodies });
        }
    }
    let all = || captures.iter().flat_map(|it| &it.bodies);
    let json_bytes = all().map(|it| it.json.len()).sum();
    let protobuf_bytes = all().map(|it| it.protobuf.len()).sum();
    let records = all().map(|it| it.records).sum();
    BenchInput { captures, json_bytes, protobuf_bytes, records, left_out, distinct_bodies }
}

fn serde_json_value(input: &BenchInput) -> usize {
    let mut n = 0;
    for body in input.captures.iter().flat_map(|it| &it.bodies) {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body.json) {
            n += usize::from(value.is_object());
        }
    }
    n
}

fn opentelemetry_proto_serde(input: &BenchInput) -> usize {
    let mut n = 0;
    for body in input.captures.iter().flat_map(|it| &it.bodies) {
        n += match body.signal {
            Signal::Logs => serde_json::from_slice::<ExportLogsServiceRequest>(&body.json).map_or(0, |it| it.resource_logs.len()),
            Signal::Metrics => {
                serde_json::from_slice::<ExportMetricsServiceRequest>(&body.json).map_or(0, |it| it.resource_metrics.len())
            }
            Signal::Traces => serde_json::from_slice::<ExportTraceServiceRequest>(&body.json).map_or(0, |it| it.resource_spans.len()),
        };
    }
    n
}

fn codetel_json_decode(input: &BenchInput) -> usize {
    let mut n = 0;
    for body in input.captures.iter().flat_map(|it| &it.bodies) {
        n += otlp::json::decode_shared(body.signal, body.json.clone()).map_or(0, |it| it.request.item_count());
    }
    n
}

fn codetel_protobuf_decode(input: &BenchInput) -> usize {
    let mut n = 0;
    for body in input.captures.iter().flat_map(|it| &it.bodies) {
        n += otlp::proto::decode_shared(body.signal, body.protobuf.clone()).map_or(0, |it| it.request.item_count());
    }
    n
}

fn codetel_protobuf_decode_via_prost(input: &BenchInput) -> usize {
    let mut n = 0;
    for body in input.captures.iter().flat_map(|it| &it.bodies) {
        n += otlp::proto::decode_via_prost(body.signal, &body.protobuf).map_or(0, |it| it.request.item_count());
    }
    n
}

/// The whole pipeline for every capture: decode, normalize, serialize the records as JSONL.
fn codetel_normalize(input: &BenchInput, encoding: Encoding, out: &mut Vec<u8>) -> usize {
    let options = Options::new(CaptureMode::MetadataOnly);
    let mut n = 0;
    for capture in &input.captures {
        let mut requests = Vec::with_capacity(capture.bodies.len());
        for (index, body) in capture.bodies.iter().enumerate() {
            let bytes = match encoding {
                Encoding::Json => body.json.clone(),
                Encoding::Protobuf => body.protobuf.clone(),
            };
            let Ok(decoded) = otlp::decode_shared(body.signal, encoding, bytes) else { continue };
            requests.push(Request { file: format!("{:04}-{}", index + 1, body.signal), signal: body.signal, encoding, gzip: false, decoded });
        }
        let capture = Capture { path: "bench".into(), manifest: None, requests };
        let output = normalize::normalize(&capture, &options);
        out.clear();
        for record in &output.records {
            record.write_json(out);
            out.push(b'\n');
        }
        n += output.accounting.totals.inputs;
    }
    n
}

type Variant = (&'static str, Encoding, fn(&BenchInput, &mut Vec<u8>) -> usize);

const VARIANTS: [Variant; 7] = [
    ("serde_json_value", Encoding::Json, |input, _| serde_json_value(input)),
    ("opentelemetry_proto_serde", Encoding::Json, |input, _| opentelemetry_proto_serde(input)),
    ("codetel_json_decode", Encoding::Json, |input, _| codetel_json_decode(input)),
    ("codetel_protobuf_decode", Encoding::Protobuf, |input, _| codetel_protobuf_decode(input)),
    ("codetel_protobuf_decode_via_prost", Encoding::Protobuf, |input, _| codetel_protobuf_decode_via_prost(input)),
    ("codetel_normalize_json", Encoding::Json, |input, out| codetel_normalize(input, Encoding::Json, out)),
    ("codetel_normalize_protobuf", Encoding::Protobuf, |input, out| codetel_normalize(input, Encoding::Protobuf, out)),
];

/// One call of `run`, in a function of its own name so callgrind can count it alone.
macro_rules! once_functions {
    ($($variant:ident),*) => {
        $(
            #[inline(never)]
            fn $variant(run: fn(&BenchInput, &mut Vec<u8>) -> usize, input: &BenchInput, out: &mut Vec<u8>) -> usize {
                black_box(run(black_box(input), out))
            }
        )*
        /// The once-functions in `VARIANTS` order.
        const ONCE: [fn(fn(&BenchInput, &mut Vec<u8>) -> usize, &BenchInput, &mut Vec<u8>) -> usize; 7] = [$($variant),*];
    };
}

once_functions!(
    once_serde_json_value,
    once_opentelemetry_proto_serde,
    once_codetel_json_decode,
    once_codetel_protobuf_decode,
    once_codetel_protobuf_decode_via_prost,
    once_codetel_normalize_json,
    once_codetel_normalize_protobuf
);

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let input = build_input();
    if std::env::var_os("CODETEL_BENCH_ONCE").is_some() {
        let mut out = Vec::with_capacity(1 << 20);
        // One uncounted pass of the JSON normalize first, as criterion's warm-up does: what a
        // process builds once (the scrubber's patterns, compiled on first use, and its regexes'
        // lazy DFA states) would otherwise be counted in whichever variant scrubs first.
        println!("warm-up: {}", codetel_normalize(&input, Encoding::Json, &mut out));
        for ((name, _, run), once) in VARIANTS.iter().zip(ONCE) {
            println!("{name}: {}", once(*run, &input, &mut out));
        }
        return;
    }
    println!(
        "input: {} captures ({} distinct bodies repeated; {} JSON bodies left out: opentelemetry-proto cannot decode them), \
         {:.1} MB JSON, {:.1} MB protobuf, {} records; built in {:.1} s",
        input.captures.len(),
        input.distinct_bodies,
        input.left_out,
        input.json_bytes as f64 / 1e6,
        input.protobuf_bytes as f64 / 1e6,
        input.records,
        started.elapsed().as_secs_f64()
    );
    let mut out = Vec::with_capacity(1 << 20);
    let mut group = c.benchmark_group("corpus");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, encoding, run) in VARIANTS {
        let bytes = match encoding {
            Encoding::Json => input.json_bytes,
            Encoding::Protobuf => input.protobuf_bytes,
        };
        group.throughput(Throughput::BytesDecimal(bytes as u64));
        group.bench_function(name, |b| b.iter(|| black_box(run(black_box(&input), &mut out))));
    }
    group.finish();

    // Side by side in one table, from this same process and input: best of three passes.
    let best = |run: fn(&BenchInput, &mut Vec<u8>) -> usize, out: &mut Vec<u8>| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let _ = black_box(run(&input, out));
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let seconds: Vec<f64> = VARIANTS.iter().map(|(_, _, run)| best(*run, &mut out)).collect();
    let reference = seconds[1];
    println!();
    println!("| variant | input | best of 3 (s) | MB/s | records/s | vs opentelemetry-proto |");
    println!("|---|---|---:|---:|---:|---:|");
    for ((name, encoding, _), seconds) in VARIANTS.iter().zip(&seconds) {
        let bytes = match encoding {
            Encoding::Json => input.json_bytes,
            Encoding::Protobuf => input.protobuf_bytes,
        };
        println!(
            "| {name} | {} | {seconds:.3} | {:.1} | {:.0} | {:.2}x |",
            encoding.as_str(),
            bytes as f64 / 1e6 / seconds,
            input.records as f64 / seconds,
            reference / seconds
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
