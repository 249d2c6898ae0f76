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
//! - tokens are integers on both sides and must match exactly, type by type of the canonical
//!   vocabulary (`input` includes cache tokens, `input_uncached` does not, `output` includes
//!   reasoning, `output_visible` does not; see `gen_ai.token.type` in `docs/schema.md`).
//!
//! Metric points without a session id are attributed to the capture's one session of that
//! vendor, when there is exactly one (Codex metrics carry no conversation id).
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
    attribute_sessionless_metrics(&mut sessions);
    sessions
}

/// Metric points without a session id (Codex sends none) belong to the one session whose
/// events a capture holds, when it holds exactly one for that vendor: a capture is one CLI
/// run. With several sessions they cannot be attributed and stay unreconciled.
fn attribute_sessionless_metrics(sessions: &mut BTreeMap<(&'static str, String), Session>) {
    let vendors: BTreeSet<&'static str> = sessions.keys().map(|it| it.0).collect();
    for vendor in vendors {
        let with_events: Vec<String> = sessions
            .iter()
            .filter(|((v, id), it)| *v == vendor && !id.is_empty() && (it.cost_events > 0 || !it.event_tokens.is_empty()))
            .map(|((_, id), _)| id.clone())
            .collect();
        let [only] = with_events.as_slice() else { continue };
        let Some(sessionless) = sessions.get_mut(&(vendor, String::new())) else { continue };
        let metric_cost = std::mem::take(&mut sessionless.metric_cost);
        let cost_points = std::mem::take(&mut sessionless.cost_points);
        let metric_tokens = std::mem::take(&mut sessionless.metric_tokens);
        let target = sessions.entry((vendor, only.clone())).or_default();
        target.metric_cost += metric_cost;
        target.cost_points += cost_points;
        for (token_type, (sum, n)) in metric_tokens {
            let entry = target.metric_tokens.entry(token_type).or_default();
            entry.0 += sum;
            entry.1 += n;
        }
    }
}

fn short(session_id: &str) -> String {
    if session_id.is_empty() {
        "(no session id)".to_owned()
    } else {
        session_id.chars().take(8).collect()
    }
}

/// What the rules below actually compared in a capture, by vendor: sessions with both sides
/// of cost, and (session, token type) pairs (a test keeps them from passing on nothing).
pub fn compared(run: &CaptureRun<'_>) -> BTreeMap<&'static str, (usize, usize)> {
    let mut res: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    for ((vendor, _), session) in sessions(run) {
        let entry = res.entry(vendor).or_default();
        entry.0 += usize::from(session.cost_events > 0 && session.cost_points > 0);
        entry.1 += token_comparisons(&session).len();
    }
    res
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

/// How each token type of the canonical vocabulary (`gen_ai.token.type`) is computed from an
/// `llm_call`'s token keys: keys added, keys subtracted. `tool` and `total` have no event
/// counterpart and are not compared.
const TOKEN_TYPES: &[(&str, &[&str], &[&str])] = &[
    ("input", &[attr::INPUT_TOKENS], &[]),
    ("input_uncached", &[attr::INPUT_TOKENS], &[attr::CACHE_READ_INPUT_TOKENS, attr::CACHE_CREATION_INPUT_TOKENS]),
    ("cache_read", &[attr::CACHE_READ_INPUT_TOKENS], &[]),
    ("cache_creation", &[attr::CACHE_CREATION_INPUT_TOKENS], &[]),
    ("output", &[attr::OUTPUT_TOKENS], &[]),
    ("output_visible", &[attr::OUTPUT_TOKENS], &[attr::REASONING_OUTPUT_TOKENS]),
    ("reasoning", &[attr::REASONING_OUTPUT_TOKENS], &[]),
];

/// (token type, event sum, metric sum) for every type a session lets us compare.
fn token_comparisons(session: &Session) -> Vec<(&'static str, f64, f64)> {
    let event = |key: &str| session.event_tokens.get(key).filter(|it| it.1 > 0).map(|it| it.0);
    let mut res = Vec::new();
    for (token_type, added, subtracted) in TOKEN_TYPES {
        let Some((metric, _)) = session.metric_tokens.get(*token_type) else { continue };
        // The events must carry what the type is made of; a part they never send counts 0.
        let Some(base) = added.iter().map(|key| event(key)).sum::<Option<f64>>() else { continue };
        let events = base - subtracted.iter().map(|key| event(key).unwrap_or(0.0)).sum::<f64>();
        res.push((*token_type, events, *metric));
    }
    res
}

/// CA-XSIG-002.
pub(super) fn tokens_reconcile(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for ((vendor, session_id), session) in sessions(run) {
        for (token_type, events, metric) in token_comparisons(&session) {
            if events != metric {
                res.push(
                    Observation::new(format!(
                        "session {}: events carry {events} `{token_type}` token(s), the `{TOKEN_METRIC}` stream {metric}",
                        short(&session_id)
                    ))
                    .vendor(Some(vendor)),
                );
            }
        }
    }
    res
}
