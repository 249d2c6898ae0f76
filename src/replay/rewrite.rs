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

    fn attributes(&mut self, attributes: &mut [KeyValue]) {
        for attribute in attributes {
            if is_identity_key(&attribute.key) {
                if let AnyValue::String(value) = &mut attribute.value {
                    *value = self.string(value);
                }
            }
        }
    }

    /// Rewrites one request's ids in place.
    pub fn rewrite(&mut self, request: &mut ExportRequest) {
        match request {
            ExportRequest::Logs(resources) => {
                for resource in resources {
                    self.attributes(&mut resource.resource.attributes);
                    for record in resource.scope_logs.iter_mut().flat_map(|it| &mut it.log_records) {
                        self.attributes(&mut record.attributes);
                        record.trace_id = self.bytes(&record.trace_id);
                        record.span_id = self.bytes(&record.span_id);
                    }
                }
            }
            ExportRequest::Metrics(resources) => {
                for resource in resources {
                    self.attributes(&mut resource.resource.attributes);
                    for metric in resource.scope_metrics.iter_mut().flat_map(|it| &mut it.metrics) {
                        match &mut metric.data {
                            MetricData::Missing => {}
                            MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                                points.iter_mut().for_each(|it| self.attributes(&mut it.attributes))
                            }
                            MetricData::Histogram { points, .. } => {
                                points.iter_mut().for_each(|it| self.attributes(&mut it.attributes))
                            }
                            MetricData::ExponentialHistogram { points, .. } => {
                                points.iter_mut().for_each(|it| self.attributes(&mut it.attributes))
                            }
                            MetricData::Summary { points } => {
                                points.iter_mut().for_each(|it| self.attributes(&mut it.attributes))
                            }
                        }
                    }
                }
            }
            ExportRequest::Traces(resources) => {
                for resource in resources {
                    self.attributes(&mut resource.resource.attributes);
                    for span in resource.scope_spans.iter_mut().flat_map(|it| &mut it.spans) {
                        self.attributes(&mut span.attributes);
                        span.trace_id = self.bytes(&span.trace_id);
                        span.span_id = self.bytes(&span.span_id);
                        span.parent_span_id = self.bytes(&span.parent_span_id);
                        for event in &mut span.events {
                            self.attributes(&mut event.attributes);
                        }
                        for link in &mut span.links {
                            self.attributes(&mut link.attributes);
                            link.trace_id = self.bytes(&link.trace_id);
                            link.span_id = self.bytes(&link.span_id);
                        }
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
        let mut a = logs(uuid, 1, vec![7; 16]);
        let mut b = logs(uuid, 2, vec![7; 16]);
        map.rewrite(&mut a);
        map.rewrite(&mut b);
        let new = first(&a).attributes[0].value.as_str().unwrap_or_default().to_owned();
        assert_ne!(new, uuid);
        assert_eq!(new.len(), uuid.len());
        assert_eq!(new.matches('-').count(), 4);
        assert_eq!(first(&b).attributes[0].value.as_str(), Some(new.as_str()));
        assert_eq!(first(&a).trace_id, first(&b).trace_id);
        assert_ne!(first(&a).trace_id, vec![7; 16]);
        assert!(is_identity_key("gen_ai.conversation.id") && is_identity_key("prompt_id") && !is_identity_key("user.id"));
    }
}
