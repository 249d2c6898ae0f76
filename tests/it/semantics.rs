//! Semantics made equal: the same usage reported as a delta stream and as a cumulative stream
//! normalizes to the same totals, and every token type comes from the one vocabulary.

use std::collections::BTreeMap;

use codetel::normalize::{self, Options};
use codetel::schema::{CanonicalRecord, CaptureMode, Value};

use crate::support::{corpus_dirs, load, root};

/// Sum of `coding_agent.metric.delta` per (metric name, token type) over token and cost points.
fn usage_totals(records: &[CanonicalRecord]) -> BTreeMap<(String, String), f64> {
    let text = |record: &CanonicalRecord, key: &str| match record.attributes.get(key) {
        Some(Value::Str(it)) => it.clone(),
        _ => String::new(),
    };
    let mut totals = BTreeMap::new();
    for record in records {
        let name = text(record, "coding_agent.metric.name");
        if name != "coding_agent.token.usage" && name != "coding_agent.cost.usage" {
            continue;
        }
        let delta = match record.attributes.get("coding_agent.metric.delta") {
            Some(Value::Int(it)) => *it as f64,
            Some(Value::Double(it)) => *it,
            _ => panic!("metric point without a delta: {record:?}"),
        };
        *totals.entry((name, text(record, "gen_ai.token.type"))).or_insert(0.0) += delta;
    }
    totals
}

fn totals_of(capture: &str) -> BTreeMap<(String, String), f64> {
    let capture = load(&root().join("corpus").join(capture));
    usage_totals(&normalize::normalize(&capture, &Options::new(CaptureMode::MetadataOnly)).records)
}

#[test]
fn delta_and_cumulative_streams_of_the_same_usage_have_the_same_totals() {
    // Each pair is the same scripted run recorded once per temporality; the mock model reports
    // fixed usage, so the totals must agree exactly.
    let pairs = [
        ("codex/0.169.0/text_answer", "codex/0.169.0/cumulative_temporality"),
        ("opencode/1.18.33/plugin_temporality_delta", "opencode/1.18.33/plugin_temporality_setting_ignored_cumulative"),
    ];
    for (delta, cumulative) in pairs {
        let from_delta = totals_of(delta);
        assert!(!from_delta.is_empty(), "{delta} has no usage metrics");
        assert_eq!(from_delta, totals_of(cumulative), "{delta} vs {cumulative}");
    }
}

#[test]
fn token_types_come_from_the_one_vocabulary() {
    const VOCABULARY: [&str; 9] =
        ["input", "input_uncached", "cache_read", "cache_creation", "output", "output_visible", "reasoning", "tool", "total"];
    for dir in corpus_dirs() {
        let capture = load(&dir);
        for record in normalize::normalize(&capture, &Options::new(CaptureMode::MetadataOnly)).records {
            if let Some(Value::Str(token_type)) = record.attributes.get("gen_ai.token.type") {
                assert!(VOCABULARY.contains(&token_type.as_str()), "{}: token type `{token_type}`", dir.display());
            }
        }
    }
}
