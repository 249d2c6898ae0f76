//! Rewriting a capture before it is sent, on the decoded model (then re-encoded):
//! `--rebase-time` shifts every timestamp so the capture ends now, keeping every interval;
//! `--fresh-ids` gives sessions, conversations, prompts, traces and spans new ids, the same
//! new id for the same old one across every signal of the capture, so repeated replays into
//! one backend do not collide (a collector deduplicates identical bodies and merges sessions).

use std::collections::HashMap;

use crate::otlp::{AnyValue, ExportRequest, KeyValue, MetricData};

/// Calls `visit` on every non-zero timestamp of a request (record, observed, start, end,
/// span event times). Zero means "unset" in OTLP and stays unset.
pub fn for_each_time(request: &mut ExportRequest, visit: &mut dyn FnMut(&mut u64)) {
    let mut visit = |time: &mut u64| {
        if *time != 0 {
            visit(time);
        }
    };
    match request {
        ExportRequest::Logs(resources) => {
            for record in resources.iter_mut().flat_map(|it| &mut it.scope_logs).flat_map(|it| &mut it.log_records) {
                visit(&mut record.time_unix_nano);
                visit(&mut record.observed_time_unix_nano);
            }
        }
        ExportRequest::Metrics(resources) => {
            for metric in resources.iter_mut().flat_map(|it| &mut it.scope_metrics).flat_map(|it| &mut it.metrics) {
                match &mut metric.data {
                    MetricData::Missing => {}
                    MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                        for point in points {
                            visit(&mut point.start_time_unix_nano);
                            visit(&mut point.time_unix_nano);
                        }
                    }
                    MetricData::Histogram { points, .. } => {
                        for point in points {
                            visit(&mut point.start_time_unix_nano);
                            visit(&mut point.time_unix_nano);
                        }
                    }
                    MetricData::ExponentialHistogram { points, .. } => {
                        for point in points {
                            visit(&mut point.start_time_unix_nano);
                            visit(&mut point.time_unix_nano);
                        }
                    }
                    MetricData::Summary { points } => {
                        for point in points {
                            visit(&mut point.start_time_unix_nano);
                            visit(&mut point.time_unix_nano);
                        }
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for span in resources.iter_mut().flat_map(|it| &mut it.scope_spans).flat_map(|it| &mut it.spans) {
                visit(&mut span.start_time_unix_nano);
                visit(&mut span.end_time_unix_nano);
                for event in &mut span.events {
                    visit(&mut event.time_unix_nano);
                }
            }
        }
    }
}

/// The latest timestamp of a whole capture, if it has any.
pub fn capture_end(models: &mut [ExportRequest]) -> Option<u64> {
    let mut latest = 0u64;
    for model in models.iter_mut() {
        for_each_time(model, &mut |time| latest = latest.max(*time));
    }
    (latest > 0).then_some(latest)
}

/// Shifts every timestamp so the latest one becomes `now_unix_nanos`; intervals are kept.
/// Returns the shift in nanoseconds (positive: moved forward).
pub fn rebase_time(models: &mut [ExportRequest], now_unix_nanos: u64) -> i128 {
    let Some(end) = capture_end(models) else { return 0 };
    let shift = i128::from(now_unix_nanos) - i128::from(end);
    for model in models.iter_mut() {
        for_each_time(model, &mut |time| {
            *time = (i128::from(*time) + shift).clamp(1, i128::from(u64::MAX)) as u64;
        });
    }
    shift
}

/// Whether an attribute key names a session, conversation or prompt id (also a parent's or a
/// resumed session's: the same old id must map to the same new id wherever it appears), a
/// model request or tool call id (adapters merge a span into the event of the same request or
/// tool use: two replays sharing them would be merged into each other by a collector), or the
/// sending process (`service.instance.id`, what a collector groups a sender's requests by).
pub fn is_identity_key(key: &str) -> bool {
    const SUFFIXES: [&str; 13] = [
        "session.id",
        "session_id",
        "conversation.id",
        "conversation_id",
        "prompt.id",
        "prompt_id",
        "request.id",
        "request_id",
        "tool_use.id",
        "tool_use_id",
        "call.id",
        "call_id",
        "service.instance.id",
    ];
    SUFFIXES.iter().any(|suffix| key.ends_with(suffix))
}

/// Old id → new id, shared by every request of one capture replay.
#[derive(Debug, Default)]
pub struct IdMap {
    strings: HashMap<String, String>,
    bytes: HashMap<Vec<u8>, Vec<u8>>,
    /// New ids handed out, so two old ids never get the same new one.
    used: std::collections::HashSet<String>,
}

impl IdMap {
    /// The new string id of an old one: the same shape (length, separators, case), every hex
    /// digit replaced by a random one, so a UUID stays a UUID.
    fn string(&mut self, old: &str) -> String {
        if old.is_empty() {
            return String::new();
        }
        if let Some(new) = self.strings.get(old) {
            return new.clone();
        }
        let reshape = || -> String {
            old.chars()
                .map(|it| {
                    if it.is_ascii_digit() || ('a'..='f').contains(&it) {
                        char::from(b"0123456789abcdef"[fastrand::usize(..16)])
                    } else if ('A'..='F').contains(&it) {
                        char::from(b"0123456789ABCDEF"[fastrand::usize(..16)])
                    } else {
                        it
                    }
                })
                .collect()
        };
        // A short id has few shapes: after some tries, a suffix keeps the map injective.
        let new = (0..16)
            .map(|_| reshape())
            .find(|it| it != old && !self.used.contains(it))
            .unwrap_or_else(|| format!("{old}-{}", self.used.len() + 1));
        let _ = self.used.insert(new.clone());
        let _ = self.strings.insert(old.to_owned(), new.clone());
        new
    }

    /// The new binary id (trace or span id) of an old one, same length, never all zeros
    /// (an all-zero id means "none" in OTLP).
    fn bytes(&mut self, old: &[u8]) -> Vec<u8> {
        if old.is_empty() || old.iter().all(|it| *it == 0) {
            return old.to_vec();
        }
        self.bytes
            .entry(old.to_vec())
            .or_insert_with(|| {
                let mut new: Vec<u8> = (0..old.len()).map(|_| fastrand::u8(..)).collect();
                new[0] |= 1;
                new
            })
            .clone()
    }

    /// Rewrites the ids of one capture's requests in place, consistently across them: first
    /// every value of an identity attribute gets its new id, then every occurrence of those
    /// old ids in any other string (Codex repeats the conversation id as `thread_id` and
    /// inside `Thread { thread_id: ".." }`; log bodies may quote it) is replaced too, so no
    /// trace of the old identity is left to tie two replays together.
    pub fn rewrite_all(&mut self, requests: &mut [ExportRequest]) {
        for request in requests.iter_mut() {
            walk_attributes(request, &mut |attribute| {
                if is_identity_key(&attribute.key) {
                    if let AnyValue::String(value) = &attribute.value {
                        let _ = self.string(value);
                    }
                }
            });
        }
        // Shorter ids could match inside unrelated text: only exact identity values then.
        let mut embedded: Vec<(String, String)> =
            self.strings.iter().filter(|(old, _)| old.len() >= 8).map(|(old, new)| (old.clone(), new.clone())).collect();
        // Longest first, so an id that contains another is replaced whole.
        embedded.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        for request in requests.iter_mut() {
            walk_attributes(request, &mut |attribute| {
                if is_identity_key(&attribute.key) {
                    if let AnyValue::String(value) = &mut attribute.value {
                        if let Some(new) = self.strings.get(value.as_str()) {
                            *value = new.as_str().into();
                            return;
                        }
                    }
                }
                replace_embedded(&mut attribute.value, &embedded);
            });
            walk_bodies(request, &mut |body| replace_embedded(body, &embedded));
            self.binary_ids(request);
        }
    }

    fn binary_ids(&mut self, request: &mut ExportRequest) {
        match request {
            ExportRequest::Logs(resources) => {
                for record in resources.iter_mut().flat_map(|it| &mut it.scope_logs).flat_map(|it| &mut it.log_records) {
                    record.trace_id = self.bytes(&record.trace_id);
                    record.span_id = self.bytes(&record.span_id);
                }
            }
            ExportRequest::Metrics(_) => {}
            ExportRequest::Traces(resources) => {
                for span in resources.iter_mut().flat_map(|it| &mut it.scope_spans).flat_map(|it| &mut it.spans) {
                    span.trace_id = self.bytes(&span.trace_id);
                    span.span_id = self.bytes(&span.span_id);
                    span.parent_span_id = self.bytes(&span.parent_span_id);
                    for link in &mut span.links {
                        link.trace_id = self.bytes(&link.trace_id);
                        link.span_id = self.bytes(&link.span_id);
                    }
                }
            }
        }
    }

    /// The new id of an old string id, if it was rewritten.
    pub fn new_string_id(&self, old: &str) -> Option<&str> {
        self.strings.get(old).map(String::as_str)
    }
}

fn replace_embedded(value: &mut AnyValue, ids: &[(String, String)]) {
    match value {
        AnyValue::String(text) => {
            for (old, new) in ids {
                if text.contains(old.as_str()) {
                    *text = text.replace(old.as_str(), new).into();
                }
            }
        }
        AnyValue::Array(values) => values.iter_mut().for_each(|it| replace_embedded(it, ids)),
        AnyValue::KvList(pairs) => pairs.iter_mut().for_each(|it| replace_embedded(&mut it.value, ids)),
        _ => {}
    }
}

/// Calls `visit` on every attribute of a request: resource, scope, log record, data point,
/// span, span event and link attributes.
fn walk_attributes(request: &mut ExportRequest, visit: &mut dyn FnMut(&mut KeyValue)) {
    let mut all = |attributes: &mut Vec<KeyValue>| attributes.iter_mut().for_each(&mut *visit);
    match request {
        ExportRequest::Logs(resources) => {
            for resource in resources {
                all(&mut resource.resource.attributes);
                for scope in &mut resource.scope_logs {
                    all(&mut scope.scope.attributes);
                    scope.log_records.iter_mut().for_each(|it| all(&mut it.attributes));
                }
            }
        }
        ExportRequest::Metrics(resources) => {
            for resource in resources {
                all(&mut resource.resource.attributes);
                for scope in &mut resource.scope_metrics {
                    all(&mut scope.scope.attributes);
                    for metric in &mut scope.metrics {
                        match &mut metric.data {
                            MetricData::Missing => {}
                            MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                                points.iter_mut().for_each(|it| all(&mut it.attributes))
                            }
                            MetricData::Histogram { points, .. } => points.iter_mut().for_each(|it| all(&mut it.attributes)),
                            MetricData::ExponentialHistogram { points, .. } => {
                                points.iter_mut().for_each(|it| all(&mut it.attributes))
                            }
                            MetricData::Summary { points } => points.iter_mut().for_each(|it| all(&mut it.attributes)),
                        }
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for resource in resources {
                all(&mut resource.resource.attributes);
                for scope in &mut resource.scope_spans {
                    all(&mut scope.scope.attributes);
                    for span in &mut scope.spans {
                        all(&mut span.attributes);
                        span.events.iter_mut().for_each(|it| all(&mut it.attributes));
                        span.links.iter_mut().for_each(|it| all(&mut it.attributes));
                    }
                }
            }
        }
    }
}

/// Calls `visit` on every log record body.
fn walk_bodies(request: &mut ExportRequest, visit: &mut dyn FnMut(&mut AnyValue)) {
    if let ExportRequest::Logs(resources) = request {
        for record in resources.iter_mut().flat_map(|it| &mut it.scope_logs).flat_map(|it| &mut it.log_records) {
            if let Some(body) = &mut record.body {
                visit(body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{LogRecord, ResourceLogs, ScopeLogs};

    fn logs(session: &str, time: u64, trace: Vec<u8>) -> ExportRequest {
        ExportRequest::Logs(vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: time,
                    attributes: vec![KeyValue { key: "session.id".into(), value: AnyValue::String(session.into()) }],
                    trace_id: trace,
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }])
    }

    fn first(request: &ExportRequest) -> &LogRecord {
        match request {
            ExportRequest::Logs(it) => &it[0].scope_logs[0].log_records[0],
            _ => unreachable!("a logs request"),
        }
    }

    #[test]
    fn rebasing_keeps_intervals_and_ends_now() {
        let mut models = vec![logs("a", 1_000, vec![]), logs("a", 3_000, vec![])];
        let shift = rebase_time(&mut models, 10_000);
        assert_eq!(shift, 7_000);
        assert_eq!(first(&models[0]).time_unix_nano, 8_000);
        assert_eq!(first(&models[1]).time_unix_nano, 10_000);
    }

    #[test]
    fn the_same_old_id_gets_the_same_new_id_and_keeps_its_shape() {
        let uuid = "3b3911aa-64d9-4c81-a8e4-8f765e6e053a";
        let mut map = IdMap::default();
        let mut models = vec![logs(uuid, 1, vec![7; 16]), logs(uuid, 2, vec![7; 16])];
        if let ExportRequest::Logs(it) = &mut models[1] {
            it[0].scope_logs[0].log_records[0].attributes.push(KeyValue {
                key: "key".into(),
                value: AnyValue::String(format!("Thread {{ thread_id: \"{uuid}\" }}").into()),
            });
        }
        map.rewrite_all(&mut models);
        let (a, b) = (&models[0], &models[1]);
        let new = first(a).attributes[0].value.as_str().unwrap_or_default().to_owned();
        assert_ne!(new, uuid);
        assert_eq!(new.len(), uuid.len());
        assert_eq!(new.matches('-').count(), 4);
        assert_eq!(first(b).attributes[0].value.as_str(), Some(new.as_str()));
        assert_eq!(first(a).trace_id, first(b).trace_id);
        assert_ne!(first(a).trace_id, vec![7; 16]);
        assert_eq!(first(b).attributes[1].value.as_str(), Some(format!("Thread {{ thread_id: \"{new}\" }}").as_str()));
        assert!(is_identity_key("gen_ai.conversation.id") && is_identity_key("prompt_id") && !is_identity_key("user.id"));
    }
}
