//! Property tests over generated OTLP, each run once per adapter in `adapters::ALL` with data
//! shaped like that vendor's telemetry ([`seeds`]: its scopes, `service.name`, real event,
//! metric and span names and attribute keys from the corpus, plus random ones).
//!
//! Properties (one module each):
//! - [`accounting`]: whatever arrives, normalizing never panics and accounts for every item:
//!   inputs = items + decoder rejects = normalized + ignored + rejected, per vendor too;
//! - [`encodings`]: the JSON (in any spelling) and protobuf encodings of the same data decode
//!   to the same model and normalize to the same records;
//! - [`order`]: normalizing is deterministic, and shuffling the items of a scope list changes
//!   no record but its source locator;
//! - [`totals`]: a duplicated batch or a re-exported cumulative point does not change metric
//!   totals, and delta and cumulative encodings of one stream give the same totals;
//! - [`canary`]: a canary planted in any string attribute, body or resource attribute reaches
//!   `metadata_only` records only under keys the schema classes as metadata, and never a
//!   finding.
//!
//! Case count: `PROPTEST_CASES` per property and vendor (default [`DEFAULT_CASES`], which
//! keeps `cargo test` fast on two cores); run with `PROPTEST_CASES=1000` for a deeper search.
//! Seed: fixed by default ([`DEFAULT_SEED`]), so `cargo test` and CI check the same cases
//! every time and never fail by chance; `PROPTEST_RNG_SEED=<number>` explores other cases.
//! A failure is shrunk, then saved under `proptest-regressions/<property>/<vendor>.txt` and
//! replayed first by every later run: commit those files.

mod accounting;
mod canary;
mod encodings;
mod model;
mod order;
mod seeds;
mod totals;
mod wire;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};

use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options, Output};
use codetel::otlp::{self, DecodeError, Decoded, Encoding, ExportRequest, Signal};
use codetel::schema::CaptureMode;

use self::seeds::VendorSeed;

/// Cases per property and vendor when `PROPTEST_CASES` is not set.
pub const DEFAULT_CASES: u32 = 32;

/// The generator seed when `PROPTEST_RNG_SEED` is not set.
pub const DEFAULT_SEED: u64 = 0x00c0_de7e_1e5e;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|it| it.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// Runs `test` on values of `strategy(seed)` for every vendor, each vendor with its own
/// regression file; panics naming the property, the vendor and the shrunk input.
pub fn for_each_vendor<S, F>(property: &str, strategy: impl Fn(&'static VendorSeed) -> S, test: F)
where
    S: Strategy,
    F: Fn(&'static VendorSeed, S::Value) -> Result<(), TestCaseError>,
{
    for seed in seeds::all() {
        let path: &'static str = Box::leak(format!("proptest-regressions/{property}/{}.txt", seed.name()).into_boxed_str());
        let rng_seed = match std::env::var("PROPTEST_RNG_SEED") {
            Ok(_) => Config::default().rng_seed,
            Err(_) => RngSeed::Fixed(DEFAULT_SEED),
        };
        let config = Config {
            cases: cases(),
            rng_seed,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
            // Shrinking a capture is slow in a debug build; a bounded search still finds a
            // small case, and the seed is saved either way.
            max_shrink_time: 60_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        if let Err(error) = runner.run(&strategy(seed), |value| test(seed, value)) {
            panic!("property `{property}` fails for vendor `{}`: {error}", seed.name());
        }
    }
}

/// A capture of already decoded requests (no bytes involved), files named in arrival order.
pub fn capture_of(requests: &[ExportRequest]) -> Capture {
    let requests = requests
        .iter()
        .enumerate()
        .map(|(index, request)| Request {
            file: format!("{:04}-{}", index + 1, request.signal()),
            signal: request.signal(),
            encoding: Encoding::Json,
            gzip: false,
            decoded: Decoded { request: request.clone(), problems: Vec::new() },
        })
        .collect();
    Capture { path: "generated".into(), manifest: None, requests }
}

/// A capture decoded from bodies, as the loader and the collector decode them (gzip by magic
/// number). File names carry no extension, so both encodings of a body get the same name.
pub fn decode_capture(bodies: &[(Signal, Encoding, Vec<u8>)]) -> Result<Capture, DecodeError> {
    let mut requests = Vec::with_capacity(bodies.len());
    for (index, (signal, encoding, body)) in bodies.iter().enumerate() {
        let decoded = otlp::decode(*signal, *encoding, body)?;
        requests.push(Request {
            file: format!("{:04}-{signal}", index + 1),
            signal: *signal,
            encoding: *encoding,
            gzip: otlp::is_gzip(body),
            decoded,
        });
    }
    Ok(Capture { path: "generated".into(), manifest: None, requests })
}

/// Normalizes with detection on.
pub fn normalize(capture: &Capture, mode: CaptureMode) -> Output {
    normalize::normalize(capture, &Options::new(mode))
}

/// Gzip-compresses a body.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}
