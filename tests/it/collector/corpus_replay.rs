//! Every corpus capture replayed into the collector over HTTP, each body as recorded with its
//! content type and encoding, stores exactly the records `normalize` makes of the capture.
//!
//! What the collector legitimately does differently, and how it is compared:
//! - derived `session` records are not stored: sessions are computed at query time from all
//!   stored records; the session rows are compared with `normalize`'s session records
//!   (start, end, record count, models) instead;
//! - the tenant is stored beside each record (a column), not in it.

use std::collections::BTreeMap;

use codetel::capture::Capture;
use codetel::normalize::{self, Options};
use codetel::schema::{attributes as attr, CaptureMode, RecordKind, Value};

use super::harness::*;
use crate::support::corpus_dirs;

#[tokio::test]
async fn every_capture_replayed_over_http_stores_what_normalize_makes_of_it() {
    let client = client();
    let captures = corpus_dirs();
    assert!(!captures.is_empty(), "the corpus is empty");
    for mode in [CaptureMode::MetadataOnly, CaptureMode::Full] {
        for capture_dir in &captures {
            let dir = temp_dir("corpus_replay");
            let mut config = config(&dir);
            config.capture_mode = mode;
            let running = serve(config).await;
            let replies = replay(&client, &base(&running), capture_dir, &[]).await;
            let rows = send(&client, reqwest::Method::GET, &format!("{}/api/sessions", base(&running)), None, Vec::new(), &[]).await.json();
            stop(running).await;
            let label = format!("{} ({})", capture_dir.display(), mode.as_str());

            let capture = Capture::load_dir(capture_dir).expect("load capture");
            let output = normalize::normalize(&capture, &Options::new(mode));
            // Nothing this capture holds is rejected, so every answer is a full success.
            if output.accounting.totals.rejected == 0 {
                for reply in &replies {
                    if reply.header("content-type") == Some("application/json") {
                        assert_eq!(reply.json(), serde_json::json!({}), "{label}");
                    } else {
                        assert!(reply.body.is_empty(), "{label}: an empty protobuf response has no partial_success");
                    }
                }
            }
            let expected: Vec<serde_json::Value> = output
                .records
                .iter()
                .filter(|it| it.kind != RecordKind::Session)
                .map(|it| serde_json::to_value(it).expect("JSON"))
                .collect();
            let stored = stored_records(&dir.join("codetel.db"));
            assert_same_records(&stored, &expected, &label);

            // Sessions: every derived session record has its row, with the same figures.
            let mut by_id: BTreeMap<String, &serde_json::Value> = BTreeMap::new();
            fn walk<'a>(row: &'a serde_json::Value, out: &mut BTreeMap<String, &'a serde_json::Value>) {
                if let Some(id) = row["session_id"].as_str() {
                    let _ = out.insert(id.to_owned(), row);
                }
                for child in row["children"].as_array().into_iter().flatten() {
                    walk(child, out);
                }
            }
            for row in rows.as_array().into_iter().flatten() {
                walk(row, &mut by_id);
            }
            for session in output.records.iter().filter(|it| it.kind == RecordKind::Session) {
                let id = session.session_id.clone().expect("session id");
                let row = by_id.get(&id).unwrap_or_else(|| panic!("{label}: no row for session {id}"));
                let int = |key: &str| match session.attributes.get(key) {
                    Some(Value::Int(it)) => Some(*it),
                    _ => None,
                };
                assert_eq!(row["start_unix_nano"].as_i64(), int(attr::SESSION_START_TIME), "{label}: {id} start");
                assert_eq!(row["end_unix_nano"].as_i64(), int(attr::SESSION_END_TIME), "{label}: {id} end");
                assert_eq!(row["records"].as_i64(), int(attr::SESSION_RECORD_COUNT), "{label}: {id} records");
                let models = match session.attributes.get(attr::SESSION_MODELS) {
                    Some(Value::StrList(it)) => it.clone(),
                    _ => Vec::new(),
                };
                let row_models: Vec<String> =
                    row["models"].as_array().into_iter().flatten().filter_map(|it| it.as_str().map(str::to_owned)).collect();
                assert_eq!(row_models, models, "{label}: {id} models");
            }
        }
    }
}
