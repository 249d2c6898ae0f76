//! The schema document is generated from the code and must be current; records are written as
//! JSON the same way by every writer.

use codetel::normalize::{normalize, Options};
use codetel::schema::CaptureMode;

use crate::support::{corpus_dirs, load, root};

#[test]
fn schema_document_is_current() {
    let path = root().join("docs/schema.md");
    let expected = codetel::schema::document::document();
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &expected).expect("write docs/schema.md");
            return;
        }
        panic!("docs/schema.md is stale: run `cargo xtask codegen` (or UPDATE_EXPECT=1 cargo test)");
    }
}

#[test]
fn attribute_keys_are_unique_and_namespaced() {
    let mut seen = std::collections::BTreeSet::new();
    for spec in codetel::schema::attributes::ALL {
        assert!(seen.insert(spec.key), "duplicate key {}", spec.key);
        assert!(
            spec.key.starts_with("gen_ai.") || spec.key.starts_with("coding_agent."),
            "{} is outside gen_ai.* and coding_agent.*",
            spec.key
        );
        assert!(["string", "int", "double", "bool", "string[]"].contains(&spec.ty), "{}: type {}", spec.key, spec.ty);
    }
}

#[test]
fn every_corpus_record_in_every_mode_is_written_as_serde_json_writes_it() {
    let mut records = 0;
    for dir in corpus_dirs() {
        let capture = load(&dir);
        for mode in CaptureMode::ALL {
            for record in normalize(&capture, &Options::new(mode)).records {
                let by_serde = serde_json::to_string(&record).expect("serializes");
                assert_eq!(record.to_json(), by_serde, "{} ({mode:?})", dir.display());
                records += 1;
            }
        }
    }
    assert!(records > 3 * 3000, "compared only {records} records: is the corpus there?");
}
