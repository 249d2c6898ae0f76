//! End-to-end against the reference collector in-process: re-encoding is lossless (every
//! capture, replayed as recorded, as JSON, as protobuf, gzip-compressed and over gRPC, stores
//! exactly the records `normalize` makes of it, `source.file` aside), `--fresh-ids` and
//! `--rebase-time` make repeated replays distinct, and `--verify` finds no difference.

use std::collections::BTreeSet;

use codetel::capture::Capture;
use codetel::normalize::{self, Options as NormalizeOptions};
use codetel::otlp::Encoding;
use codetel::replay::{self, verify, Options, Protocol, Speed, Transport};
use codetel::schema::{CaptureMode, RecordKind};

use super::harness::*;
use crate::support::{corpus_dirs, root};

/// `normalize` of a capture folder as stored by a collector (derived session records aside).
fn expected(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let capture = Capture::load_dir(dir).expect("load capture");
    normalize::normalize(&capture, &NormalizeOptions::new(CaptureMode::MetadataOnly))
        .records
        .iter()
        .filter(|it| it.kind != RecordKind::Session)
        .map(|it| serde_json::to_value(it).expect("JSON"))
        .collect()
}

fn stored(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let store = codetel::store::Store::open_existing(&dir.join("codetel.db")).expect("open database");
    store.records(None).expect("records").into_iter().map(|it| it.record).collect()
}

/// Replays one capture in one variant into a fresh collector; the difference, if any.
async fn replay_variant(
    capture_dir: std::path::PathBuf,
    name: &'static str,
    encoding: Option<Encoding>,
    gzip: Option<bool>,
    protocol: Protocol,
) -> Option<String> {
    let dir = temp_dir("encodings");
    let running = collector(&dir, protocol == Protocol::Grpc).await;
    let transport = match protocol {
        Protocol::Http => http(&base(&running)),
        Protocol::Grpc => Transport::grpc(
            &format!("http://{}", running.grpc_addr.expect("gRPC is on")),
            Vec::new(),
            std::time::Duration::from_secs(30),
        )
        .expect("gRPC transport"),
    };
    let options = Options { encoding, gzip, protocol, ..fast_options() };
    let (_, report) = run(load(&capture_dir), transport, options).await;
    stop(running).await;
    let label = format!("{} ({name})", capture_dir.display());
    if report.total.failed + report.total.retried + report.total.rejected > 0 {
        return Some(format!("{label}: not all accepted at once\n{}", report.table()));
    }
    verify::diff(&stored(&dir), &expected(&capture_dir), false).map(|it| format!("{label}: stored records differ\n{it}"))
}

// Many collectors, each waiting on SQLite commits: several at once keep the test short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_capture_in_every_encoding_stores_the_same_records() {
    let variants: [(&str, Option<Encoding>, Option<bool>, Protocol); 6] = [
        ("as recorded", None, None, Protocol::Http),
        ("json", Some(Encoding::Json), Some(false), Protocol::Http),
        ("protobuf", Some(Encoding::Protobuf), Some(false), Protocol::Http),
        ("json+gzip", Some(Encoding::Json), Some(true), Protocol::Http),
        ("protobuf+gzip", Some(Encoding::Protobuf), Some(true), Protocol::Http),
        ("grpc+gzip", None, Some(true), Protocol::Grpc),
    ];
    let captures = corpus_dirs();
    assert!(captures.len() > 10, "the corpus is there");
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for capture_dir in &captures {
        for (name, encoding, gzip, protocol) in variants {
            let (capture_dir, permits) = (capture_dir.clone(), permits.clone());
            let _ = tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore");
                replay_variant(capture_dir, name, encoding, gzip, protocol).await
            });
        }
    }
    let mut differences = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Some(difference) = result.expect("task") {
            differences.push(difference);
        }
    }
    assert!(differences.is_empty(), "{} replays differ:\n{}", differences.len(), differences.join("\n"));
}

#[tokio::test]
async fn fresh_ids_and_rebased_time_keep_repeated_replays_apart_and_verify_clean() {
    let dir = temp_dir("fresh_ids");
    let running = collector(&dir, false).await;
    let captures = load(&claude("traces_beta"));
    let original_sessions: BTreeSet<String> = verify::session_ids(&expected(&claude("traces_beta"))).into_iter().collect();
    let options = Options { fresh_ids: true, rebase_time: true, repeat: 2, concurrency: 2, ..fast_options() };
    let before = codetel::collector::unix_nanos_now();
    let (run, report) = run(captures.clone(), http(&base(&running)), options).await;
    assert_eq!(report.total.failed + report.total.rejected, 0, "{}", report.table());
    assert_eq!(run.prepared.len(), 2);
    let client = client();
    let mut seen = BTreeSet::new();
    for prepared in &run.prepared {
        let want = verify::expected_records(&captures[prepared.capture], prepared, CaptureMode::MetadataOnly);
        let sessions = verify::session_ids(&want);
        assert!(!sessions.is_empty());
        for session in &sessions {
            assert!(!original_sessions.contains(session), "session id {session} was not rewritten");
            assert!(seen.insert(session.clone()), "session id {session} reused across repetitions");
        }
        // Rebased: the capture ends when its replay started, not in the recorded past.
        let latest = want.iter().filter_map(|it| it["time_unix_nano"].as_u64()).max().expect("timed records");
        assert!(latest >= before, "latest record time {latest} is before the replay ({before})");
        let got = verify::stored_records(&client, &base(&running), &[], &sessions).await.expect("read back");
        if let Some(difference) = verify::diff(&got, &verify::by_sessions(&want, &sessions), false) {
            panic!("repetition {}: stored records differ\n{difference}", prepared.repetition);
        }
    }
    // Every span and log of both replays was stored: nothing was deduplicated away.
    assert_eq!(stored(&dir).len(), 2 * expected(&claude("traces_beta")).len());
    stop(running).await;
}

#[tokio::test]
async fn offsets_follow_recorded_arrival_times_scaled_by_speed() {
    let capture = load(&root().join("corpus/opencode/1.18.33/plugin_prompt_canary_traces_disabled")).remove(0);
    assert!(capture.requests.iter().all(|it| it.arrival_unix_nanos.is_some()), "imported captures carry _ts");
    let realtime = replay::offsets(&capture, Speed::Factor(1.0));
    let double = replay::offsets(&capture, Speed::Factor(2.0));
    assert_eq!(realtime[0], std::time::Duration::ZERO);
    assert!(realtime.windows(2).all(|it| it[0] <= it[1]), "never back in time");
    assert!(realtime.last() > Some(&std::time::Duration::ZERO), "the capture spans some time");
    for (one, two) in realtime.iter().zip(&double) {
        let expected = one.as_secs_f64() / 2.0;
        assert!((two.as_secs_f64() - expected).abs() < 1e-6);
    }
    assert!(replay::offsets(&capture, Speed::Max).iter().all(|it| it.is_zero()));
    // Without header times the bodies' own timestamps give the gaps.
    let recorder = load(&claude("bash_tool_call")).remove(0);
    assert!(recorder.requests.iter().all(|it| it.arrival_unix_nanos.is_none()));
    let from_bodies = replay::offsets(&recorder, Speed::Factor(1.0));
    assert_eq!(from_bodies.len(), recorder.requests.len());
    assert!(from_bodies.windows(2).all(|it| it[0] <= it[1]));
}
