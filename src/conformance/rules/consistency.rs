//! `CA-XSIG-*`: the events and the metric streams of one session tell the same story.
//!
//! Vendors report spend twice: per API call in events (`llm_call` records with
//! `coding_agent.cost.usd_micros` and token counts) and as counters
//! (`coding_agent.cost.usage`, `coding_agent.token.usage` by `gen_ai.token.type`). Per
//! (vendor, session), the sum over the events must equal the sum of the metric deltas,
//! within the vendor's own rounding:
//! - cost: each side rounds each value to a whole micro-USD at most once (the events send
//!   integer micro-USD or USD text, the metric a USD double converted exactly), so the sums may
//!   differ by at most one micro-USD per value summed;
//! - tokens are integers on both sides and must match exactly. The metric's `input` type is
//!   the vendor's own notion of input, which may or may not include cache tokens, so it must
//!   equal either the events' inclusive input or their input minus cache reads and creation.
//!
//! A session with only one side (metrics off, logs off) has nothing to reconcile. But when a
//! vendor's events and metrics both report cost in a capture and never name the same
//! session, that is a finding too: one side carries a stale session id.

use std::collections::{BTreeMap, BTreeSet};

use crate::conformance::{CaptureRun, Observation};
use crate::schema::attributes as attr;
use crate::schema::{CanonicalRecord, RecordKind, Value};

/// Canonical cost counter.
pub const COST_METRIC: &str = "coding_agent.cost.usage";
/// Canonical token counter.
pub const TOKEN_METRIC: &str = "coding_agent.token.usage";

fn number(record: &CanonicalRecord, key: &str) -> Option<f64> {
    match record.attributes.get(key) {
        Some(Value::Int(it)) => Some(*it as f64),
        Some(Value::Double(it)) => Some(*it),
        _ => None,
    }
}

fn text<'a>(record: &'a CanonicalRecord, key: &str) -> Option<&'a str> {
    match record.attributes.get(key) {
        Some(Value::Str(it)) => Some(it),
        _ => None,
    }
}

/// Sums of one session.
#[derive(Default)]
struct Session {
    event_cost: f64,
    cost_events: usize,
    metric_cost: f64,
    cost_points: usize,
    /// Event token sums by canonical key, with how many events carried each.
    event_tokens: BTreeMap<&'static str, (f64, usize)>,
    /// Metric token deltas by token type, with the number of points.
    metric_tokens: BTreeMap<String, (f64, usize)>,
}

fn sessions(run: &CaptureRun<'_>) -> BTreeMap<(&'static str, String), Session> {
    let mut sessions: BTreeMap<(&'static str, String), Session> = BTreeMap::new();
    let Ok(outputs) = &run.outputs else { return sessions };
    for record in &outputs.full.records {
        if record.kind == RecordKind::Session {
            continue;
        }
        let key = (record.vendor, record.session_id.clone().unwrap_or_default());
        let metric = text(record, attr::METRIC_NAME);
        if record.kind == RecordKind::MetricPoint {
            let Some(delta) = number(record, attr::METRIC_DELTA) else { continue };
            match metric {
                Some(COST_METRIC) => {
                    let session = sessions.entry(key).or_default();
                    session.metric_cost += delta;
                    session.cost_points += 1;
                }
                Some(TOKEN_METRIC) => {
                    let token_type = text(record, attr::TOKEN_TYPE).unwrap_or("(no type)").to_owned();
                    let entry = sessions.entry(key).or_default().metric_tokens.entry(token_type).or_default();
                    entry.0 += delta;
                    entry.1 += 1;
                }
                _ => {}
            }
            continue;
        }
        if let Some(cost) = number(record, attr::COST_USD_MICROS) {
            let session = sessions.entry(key.clone()).or_default();
            session.event_cost += cost;
            session.cost_events += 1;
        }
        if record.kind == RecordKind::LlmCall {
            for token_key in [
                attr::INPUT_TOKENS,
                attr::OUTPUT_TOKENS,
                attr::CACHE_READ_INPUT_TOKENS,
                attr::CACHE_CREATION_INPUT_TOKENS,
                attr::REASONING_OUTPUT_TOKENS,
            ] {
                if let Some(tokens) = number(record, token_key) {
                    let entry = sessions.entry(key.clone()).or_default().event_tokens.entry(token_key).or_default();
                    entry.0 += tokens;
                    entry.1 += 1;
                }
            }
        }
    }
    sessions
}

fn short(session_id: &str) -> String {
    if session_id.is_empty() {
        "(no session id)".to_owned()
    } else {
        session_id.chars().take(8).collect()
    }
}

/// How many (vendor, session) pairs of a capture have both sides of cost, and of tokens: what
/// the rules below actually compared (a test keeps them from passing on nothing).
pub fn compared_sessions(run: &CaptureRun<'_>) -> (usize, usize) {
    let sessions = sessions(run);
    let cost = sessions.values().filter(|it| it.cost_events > 0 && it.cost_points > 0).count();
    let tokens = sessions.values().filter(|it| !it.event_tokens.is_empty() && !it.metric_tokens.is_empty()).count();
    (cost, tokens)
}

/// CA-XSIG-001.
pub(super) fn cost_reconciles(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let sessions = sessions(run);
    let mut only_events: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut only_metrics: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for ((vendor, session_id), session) in &sessions {
        match (session.cost_events > 0, session.cost_points > 0) {
            (true, true) => {
                let tolerance = (session.cost_events + session.cost_points) as f64;
                let difference = (session.event_cost - session.metric_cost).abs();
                if difference > tolerance {
                    res.push(Observation::new(format!(
                        "session {}: {} event(s) cost {} micro-USD, the `{COST_METRIC}` stream adds up to {} over {} point(s); off by {} (rounding allows {})",
                        short(session_id),
                        session.cost_events,
                        session.event_cost,
                        session.metric_cost,
                        session.cost_points,
                        difference,
                        tolerance
                    ))
                    .vendor(Some(vendor)));
                }
            }
            (true, false) => {
                let _ = only_events.entry(vendor).or_default().insert(short(session_id));
            }
            (false, true) => {
                let _ = only_metrics.entry(vendor).or_default().insert(short(session_id));
            }
            (false, false) => {}
        }
    }
    for (vendor, event_sessions) in &only_events {
        if let Some(metric_sessions) = only_metrics.get(vendor) {
            res.push(
                Observation::new(format!(
                    "cost events name session(s) {event_sessions:?} and the `{COST_METRIC}` stream session(s) {metric_sessions:?}: they never meet, so one side carries a stale session id"
                ))
                .vendor(Some(vendor)),
            );
        }
    }
    res
}

/// The metric token types and the event keys they reconcile with.
const TOKEN_TYPES: &[(&str, &str)] = &[
    ("output", attr::OUTPUT_TOKENS),
    ("cache_read", attr::CACHE_READ_INPUT_TOKENS),
    ("cache_creation", attr::CACHE_CREATION_INPUT_TOKENS),
    ("reasoning", attr::REASONING_OUTPUT_TOKENS),
];

/// CA-XSIG-002.
pub(super) fn tokens_reconcile(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for ((vendor, session_id), session) in sessions(run) {
        let event = |key: &str| session.event_tokens.get(key).filter(|it| it.1 > 0).map(|it| it.0);
        let mismatch = |token_type: &str, events: f64, metric: f64| {
            Observation::new(format!(
                "session {}: events carry {events} {token_type} token(s), the `{TOKEN_METRIC}` stream {metric}",
                short(&session_id)
            ))
            .vendor(Some(vendor))
        };
        for (token_type, key) in TOKEN_TYPES {
            if let (Some(events), Some((metric, _))) = (event(key), session.metric_tokens.get(*token_type)) {
                if events != *metric {
                    res.push(mismatch(token_type, events, *metric));
                }
            }
        }
        if let (Some(inclusive), Some((metric, _))) = (event(attr::INPUT_TOKENS), session.metric_tokens.get("input")) {
            let cached = event(attr::CACHE_READ_INPUT_TOKENS).unwrap_or(0.0) + event(attr::CACHE_CREATION_INPUT_TOKENS).unwrap_or(0.0);
            if *metric != inclusive && *metric != inclusive - cached {
                res.push(Observation::new(format!(
                    "session {}: events carry {inclusive} input token(s) ({} without cache), the `{TOKEN_METRIC}` stream {metric} of type input",
                    short(&session_id),
                    inclusive - cached
                ))
                .vendor(Some(vendor)));
            }
        }
    }
    res
}
