//! Storage: a 200 means committed (a SIGKILL right after loses nothing); SIGTERM and SIGINT
//! finish in-flight requests and exit 0; raw requests are kept as received and export back
//! into capture folders that normalize to the same records.

use std::path::Path;
use std::process::Command;

use codetel::capture::Capture;
use codetel::normalize::{self, Options};
use codetel::schema::CaptureMode;
use codetel::store::Store;

use super::harness::*;
use super::process;
use crate::support::corpus_dirs;

/// Every record of a capture normalized (session records included), as JSON.
fn normalize_all(dir: &Path) -> Vec<serde_json::Value> {
    let capture = Capture::load_dir(dir).expect("load capture");
    normalize::normalize(&capture, &Options::new(CaptureMode::MetadataOnly))
        .records
        .iter()
        .map(|it| serde_json::to_value(it).expect("JSON"))
        .collect()
}

#[tokio::test]
async fn a_sigkill_after_200_loses_nothing() {
    let dir = temp_dir("kill9");
    let db = dir.join("codetel.db");
    let mut collector = process::start(&db, &[], &[]);
    let client = client();
    let mut requests = 0;
    for capture in corpus_dirs() {
        requests += replay(&client, &collector.base, &capture, &[]).await.len();
    }
    assert!(requests > 0);
    // What a reader sees after the last 200, while the collector still runs (WAL readers see
    // committed data only); a SIGKILL must not take any of it away.
    let committed = stored_records(&db);
    assert!(!committed.is_empty());
    collector.kill_9();
    assert_eq!(stored_requests(&db), requests, "every acknowledged request is in the database");
    assert_eq!(stored_records(&db), committed, "with every record it produced");
}

#[tokio::test]
async fn sigterm_lets_the_in_flight_request_finish_then_exits_0() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir("sigterm");
    let db = dir.join("codetel.db");
    let mut collector = process::start(&db, &[], &[]);
    let address = collector.base.trim_start_matches("http://").to_owned();
    let body = std::fs::read(capture_dir("bash_tool_call").join("0001-logs.json")).expect("body");

    // `Expect: 100-continue`: the server says "100 Continue" when the handler starts reading
    // the body, so the request is provably in flight when the signal arrives.
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /v1/logs HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut continue_line = [0u8; 25];
    stream.read_exact(&mut continue_line).await.expect("read 100 Continue");
    assert!(continue_line.starts_with(b"HTTP/1.1 100 Continue"), "{}", String::from_utf8_lossy(&continue_line));

    collector.signal("TERM");
    // The process is waiting for us; new connections are no longer accepted.
    stream.write_all(&body).await.expect("send the rest");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await.expect("read answer");
    assert!(answer.contains("200 OK"), "{answer}");
    let status = collector.wait();
    assert!(status.success(), "exit status {status}: {:?}", collector.stderr());
    let stderr = collector.stderr().join("\n");
    assert!(stderr.contains("SIGTERM") && stderr.contains("stopped"), "{stderr}");
    assert!(tokio::net::TcpStream::connect(&address).await.is_err(), "the port is closed");
    assert_eq!(stored_requests(&db), 1);
    assert!(!stored_records(&db).is_empty());
}

#[tokio::test]
async fn sigint_stops_cleanly_with_exit_0() {
    let dir = temp_dir("sigint");
    let db = dir.join("codetel.db");
    let mut collector = process::start(&db, &["--grpc", "127.0.0.1:0"], &[]);
    let client = client();
    let _ = replay(&client, &collector.base, &capture_dir("text_answer"), &[]).await;
    collector.signal("INT");
    let status = collector.wait();
    assert!(status.success(), "exit status {status}: {:?}", collector.stderr());
    assert!(collector.stderr().iter().any(|it| it.contains("SIGINT")));
    // Checkpointed on the way out: the database is whole without its WAL.
    let wal = dir.join("codetel.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).map(|it| it.len()).unwrap_or(0) == 0, "WAL folded back");
    assert_eq!(stored_requests(&db), 2);
}

#[tokio::test]
async fn the_raw_request_is_stored_as_received() {
    let dir = temp_dir("raw");
    let running = serve(config(&dir)).await;
    let client = client();
    let capture = capture_dir("traces_beta_protobuf_gzip");
    let before = codetel::collector::unix_nanos_now();
    let _ = replay(&client, &base(&running), &capture, &[("authorization", "Bearer not-checked-but-never-stored")]).await;
    stop(running).await;
    let store = Store::open_existing(&dir.join("codetel.db")).expect("db");
    let stored = store.requests(None).expect("requests");
    let recorded = recorded(&capture);
    assert_eq!(stored.len(), recorded.len());
    for (stored, recorded) in stored.iter().zip(&recorded) {
        assert_eq!(stored.body.as_deref(), Some(&recorded.body[..]), "the body exactly as received (still gzip)");
        assert_eq!(stored.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(stored.encoding, "protobuf");
        assert_eq!(stored.path, recorded.path);
        assert_eq!(stored.transport, "http");
        assert_eq!(stored.tenant, "default");
        assert!(stored.received_unix_nano >= before);
        assert!(!stored.headers_json.contains("never-stored"), "{}", stored.headers_json);
    }
}

#[tokio::test]
async fn export_writes_a_capture_that_normalizes_to_the_same_records() {
    let dir = temp_dir("export");
    let running = serve(config(&dir)).await;
    let client = client();
    let first = capture_dir("traces_beta_protobuf_gzip");
    let second = capture_dir("bash_tool_call");
    let _ = replay(&client, &base(&running), &first, &[]).await;
    stop(running).await;
    let db = dir.join("codetel.db");

    let out = dir.join("exported");
    let run = Command::new(env!("CARGO_BIN_EXE_codetel"))
        .args(["export", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run export");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(normalize_all(&out), normalize_all(&first), "same records, same file names");
    let again = Command::new(env!("CARGO_BIN_EXE_codetel")).args(["export", "--db"]).arg(&db).arg("--out").arg(&out).output().expect("run");
    assert!(!again.status.success(), "never writes into a non-empty folder");

    // Two sessions in the database; --session exports one.
    let running = serve(config(&dir)).await;
    let _ = replay(&client, &base(&running), &second, &[]).await;
    stop(running).await;
    let one = dir.join("one-session");
    let run = Command::new(env!("CARGO_BIN_EXE_codetel"))
        .args(["export", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&one)
        .args(["--session", BASH_SESSION])
        .output()
        .expect("run export");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let exported = Capture::load_dir(&one).expect("load");
    assert_eq!(exported.requests.len(), 2);
    let sessions: std::collections::BTreeSet<String> =
        normalize_all(&one).iter().filter_map(|it| it["session_id"].as_str().map(str::to_owned)).collect();
    assert_eq!(sessions.into_iter().collect::<Vec<_>>(), [BASH_SESSION]);

    // The bodies come back byte for byte, the ones the database keeps LZ4-compressed too.
    let bodies = |dir: &std::path::Path| -> Vec<Vec<u8>> {
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.file_name().and_then(|it| it.to_str()).is_some_and(|it| it.ends_with(".json") && !it.ends_with(".headers.json")))
            .map(|path| std::fs::read(path).expect("body"))
            .collect();
        bodies.sort();
        bodies
    };
    assert_eq!(bodies(&one), bodies(&second));
    let packed: i64 = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM requests WHERE body_codec = 'lz4'", [], |row| row.get(0))
        .expect("count");
    assert!(packed >= 2, "the JSON bodies of bash_tool_call are stored compressed ({packed} are)");
}

#[tokio::test]
async fn record_writes_each_request_into_a_capture_folder_as_it_arrives() {
    let dir = temp_dir("record");
    let record = dir.join("live");
    let mut config = config(&dir);
    config.record_dir = Some(record.clone());
    let running = serve(config).await;
    let client = client();
    let capture = capture_dir("api_retry_then_success");
    let _ = replay(&client, &base(&running), &capture, &[("x-api-key", "secret-key-value")]).await;
    // A duplicate is not recorded twice.
    let _ = replay(&client, &base(&running), &capture, &[]).await;
    stop(running).await;
    assert_eq!(normalize_all(&record), normalize_all(&capture));
    for entry in std::fs::read_dir(&record).expect("read").flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).expect("read")).into_owned();
        assert!(!text.contains("secret-key-value"), "{} carries a credential", entry.path().display());
    }
    let headers: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record.join("0001-logs.headers.json")).expect("headers")).expect("JSON");
    assert_eq!(headers["path"], "/v1/logs");
    assert_eq!(headers["headers"]["content-type"], "application/json");
}

#[tokio::test]
async fn without_raw_bodies_only_the_hash_is_kept() {
    let dir = temp_dir("no_raw");
    let mut config = config(&dir);
    config.keep_raw_bodies = false;
    let running = serve(config).await;
    let client = client();
    let _ = replay(&client, &base(&running), &capture_dir("text_answer"), &[]).await;
    // Deduplication still works from the hash.
    let _ = replay(&client, &base(&running), &capture_dir("text_answer"), &[]).await;
    stop(running).await;
    let store = Store::open_existing(&dir.join("codetel.db")).expect("db");
    let requests = store.requests(None).expect("requests");
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|it| it.body.is_none()));
    assert!(!stored_records(&dir.join("codetel.db")).is_empty(), "records are still stored");
}
