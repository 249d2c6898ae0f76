//! A total order on decoded OTLP content, compared field by field without writing anything out.
//!
//! Adapters that pair items (a span with the event describing the same call) must not depend
//! on the order items arrived in: [`crate::adapter::in_content_order`] sorts by time and ids,
//! then by content. Content used to be compared as `Debug` text, which formatted a metric's
//! every point once per point of a tied run (quadratic, and the costliest step of some
//! adapters). Any total order does; this one compares fields in declaration order, doubles
//! by [`f64::total_cmp`] (so NaN has a place), and variants by their declaration index.

use std::cmp::Ordering;

use crate::adapter::{ItemData, Point};
use crate::otlp::{
    AnyValue, ExponentialHistogramDataPoint, HistogramDataPoint, KeyValue, LogRecord, Metric,
    NumberDataPoint, NumberValue, Span, SpanEvent, SpanLink, SummaryDataPoint,
};

/// Compares two items' payloads (not their positions).
pub fn cmp_item_data(a: &ItemData<'_>, b: &ItemData<'_>) -> Ordering {
    match (a, b) {
        (ItemData::Log(a), ItemData::Log(b)) => cmp_log(a, b),
        (ItemData::Span(a), ItemData::Span(b)) => cmp_span(a, b),
        (ItemData::Point { metric: ma, point: pa }, ItemData::Point { metric: mb, point: pb }) => {
            cmp_metric_header(ma, mb).then_with(|| cmp_point(*pa, *pb))
        }
        _ => item_rank(a).cmp(&item_rank(b)),
    }
}

fn item_rank(data: &ItemData<'_>) -> u8 {
    match data {
        ItemData::Log(_) => 0,
        ItemData::Point { .. } => 1,
        ItemData::Span(_) => 2,
    }
}

/// Compares two attribute values.
pub fn cmp_any(a: &AnyValue, b: &AnyValue) -> Ordering {
    match (a, b) {
        (AnyValue::Empty, AnyValue::Empty) => Ordering::Equal,
        (AnyValue::String(a), AnyValue::String(b)) => a.cmp(b),
        (AnyValue::Bool(a), AnyValue::Bool(b)) => a.cmp(b),
        (AnyValue::Int(a), AnyValue::Int(b)) => a.cmp(b),
        (AnyValue::Double(a), AnyValue::Double(b)) => a.total_cmp(b),
        (AnyValue::Bytes(a), AnyValue::Bytes(b)) => a.cmp(b),
        (AnyValue::Array(a), AnyValue::Array(b)) => cmp_slices(a, b, cmp_any),
        (AnyValue::KvList(a), AnyValue::KvList(b)) => cmp_attributes(a, b),
        _ => any_rank(a).cmp(&any_rank(b)),
    }
}

fn any_rank(value: &AnyValue) -> u8 {
    match value {
        AnyValue::Empty => 0,
        AnyValue::String(_) => 1,
        AnyValue::Bool(_) => 2,
        AnyValue::Int(_) => 3,
        AnyValue::Double(_) => 4,
        AnyValue::Bytes(_) => 5,
        AnyValue::Array(_) => 6,
        AnyValue::KvList(_) => 7,
    }
}

/// Compares attribute lists as sent (key, then value, pair by pair).
pub fn cmp_attributes(a: &[KeyValue], b: &[KeyValue]) -> Ordering {
    cmp_slices(a, b, cmp_key_value)
}

/// Compares two attributes: key, then value.
pub fn cmp_key_value(a: &KeyValue, b: &KeyValue) -> Ordering {
    a.key.cmp(&b.key).then_with(|| cmp_any(&a.value, &b.value))
}

/// Compares two lists element by element, then by length.
pub fn cmp_slices<T>(a: &[T], b: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = cmp(x, y);
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn cmp_f64s(a: &[f64], b: &[f64]) -> Ordering {
    cmp_slices(a, b, |x, y| x.total_cmp(y))
}

fn cmp_opt_f64(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.total_cmp(&b),
    }
}

fn cmp_opt_any(a: Option<&AnyValue>, b: Option<&AnyValue>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => cmp_any(a, b),
    }
}

fn cmp_log(a: &LogRecord, b: &LogRecord) -> Ordering {
    (a.time_unix_nano, a.observed_time_unix_nano, a.severity_number)
        .cmp(&(b.time_unix_nano, b.observed_time_unix_nano, b.severity_number))
        .then_with(|| a.event_name.cmp(&b.event_name))
        .then_with(|| a.severity_text.cmp(&b.severity_text))
        .then_with(|| cmp_opt_any(a.body.as_ref(), b.body.as_ref()))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| {
            (a.dropped_attributes_count, a.flags, &a.trace_id, &a.span_id).cmp(&(
                b.dropped_attributes_count,
                b.flags,
                &b.trace_id,
                &b.span_id,
            ))
        })
}

fn cmp_span(a: &Span, b: &Span) -> Ordering {
    (a.start_time_unix_nano, a.end_time_unix_nano, &a.trace_id, &a.span_id, &a.parent_span_id)
        .cmp(&(b.start_time_unix_nano, b.end_time_unix_nano, &b.trace_id, &b.span_id, &b.parent_span_id))
        .then_with(|| (&a.name, a.kind, a.status_code, &a.status_message).cmp(&(&b.name, b.kind, b.status_code, &b.status_message)))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| cmp_slices(&a.events, &b.events, cmp_span_event))
        .then_with(|| cmp_slices(&a.links, &b.links, cmp_span_link))
        .then_with(|| {
            (&a.trace_state, a.flags, a.dropped_attributes_count).cmp(&(&b.trace_state, b.flags, b.dropped_attributes_count))
        })
}

fn cmp_span_event(a: &SpanEvent, b: &SpanEvent) -> Ordering {
    (a.time_unix_nano, &a.name)
        .cmp(&(b.time_unix_nano, &b.name))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
}

fn cmp_span_link(a: &SpanLink, b: &SpanLink) -> Ordering {
    (&a.trace_id, &a.span_id, &a.trace_state)
        .cmp(&(&b.trace_id, &b.span_id, &b.trace_state))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
}

/// A metric without its points (the point is compared on its own: comparing the whole
/// metric per point is what made the old order quadratic).
fn cmp_metric_header(a: &Metric, b: &Metric) -> Ordering {
    (&a.name, a.data.kind_name(), &a.unit, &a.description)
        .cmp(&(&b.name, b.data.kind_name(), &b.unit, &b.description))
        .then_with(|| {
            let temporality = |metric: &Metric| metric.data.temporality().map(|it| it.as_i32());
            temporality(a).cmp(&temporality(b))
        })
}

fn cmp_point(a: Point<'_>, b: Point<'_>) -> Ordering {
    match (a, b) {
        (Point::Number(a), Point::Number(b)) => cmp_number_point(a, b),
        (Point::Histogram(a), Point::Histogram(b)) => cmp_histogram_point(a, b),
        (Point::ExponentialHistogram(a), Point::ExponentialHistogram(b)) => cmp_exponential_point(a, b),
        (Point::Summary(a), Point::Summary(b)) => cmp_summary_point(a, b),
        _ => point_rank(a).cmp(&point_rank(b)),
    }
}

fn point_rank(point: Point<'_>) -> u8 {
    match point {
        Point::Number(_) => 0,
        Point::Histogram(_) => 1,
        Point::ExponentialHistogram(_) => 2,
        Point::Summary(_) => 3,
    }
}

fn cmp_number_value(a: NumberValue, b: NumberValue) -> Ordering {
    let rank = |value: NumberValue| match value {
        NumberValue::Missing => 0,
        NumberValue::Int(_) => 1,
        NumberValue::Double(_) => 2,
    };
    match (a, b) {
        (NumberValue::Int(a), NumberValue::Int(b)) => a.cmp(&b),
        (NumberValue::Double(a), NumberValue::Double(b)) => a.total_cmp(&b),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn cmp_number_point(a: &NumberDataPoint, b: &NumberDataPoint) -> Ordering {
    (a.time_unix_nano, a.start_time_unix_nano)
        .cmp(&(b.time_unix_nano, b.start_time_unix_nano))
        .then_with(|| cmp_number_value(a.value, b.value))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| a.flags.cmp(&b.flags))
}

fn cmp_histogram_point(a: &HistogramDataPoint, b: &HistogramDataPoint) -> Ordering {
    (a.time_unix_nano, a.start_time_unix_nano, a.count)
        .cmp(&(b.time_unix_nano, b.start_time_unix_nano, b.count))
        .then_with(|| cmp_opt_f64(a.sum, b.sum))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| a.bucket_counts.cmp(&b.bucket_counts))
        .then_with(|| cmp_f64s(&a.explicit_bounds, &b.explicit_bounds))
        .then_with(|| cmp_opt_f64(a.min, b.min))
        .then_with(|| cmp_opt_f64(a.max, b.max))
        .then_with(|| a.flags.cmp(&b.flags))
}

fn cmp_exponential_point(a: &ExponentialHistogramDataPoint, b: &ExponentialHistogramDataPoint) -> Ordering {
    (a.time_unix_nano, a.start_time_unix_nano, a.count, a.scale, a.zero_count)
        .cmp(&(b.time_unix_nano, b.start_time_unix_nano, b.count, b.scale, b.zero_count))
        .then_with(|| cmp_opt_f64(a.sum, b.sum))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| (&a.positive, &a.negative).cmp(&(&b.positive, &b.negative)))
        .then_with(|| cmp_opt_f64(a.min, b.min))
        .then_with(|| cmp_opt_f64(a.max, b.max))
        .then_with(|| a.flags.cmp(&b.flags))
}

fn cmp_summary_point(a: &SummaryDataPoint, b: &SummaryDataPoint) -> Ordering {
    (a.time_unix_nano, a.start_time_unix_nano, a.count)
        .cmp(&(b.time_unix_nano, b.start_time_unix_nano, b.count))
        .then_with(|| a.sum.total_cmp(&b.sum))
        .then_with(|| cmp_attributes(&a.attributes, &b.attributes))
        .then_with(|| {
            cmp_slices(&a.quantile_values, &b.quantile_values, |x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)))
        })
        .then_with(|| a.flags.cmp(&b.flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: AnyValue) -> KeyValue {
        KeyValue { key: key.into(), value }
    }

    #[test]
    fn values_of_different_types_and_nan_have_a_place() {
        let values = [
            AnyValue::Empty,
            AnyValue::String("b".into()),
            AnyValue::String("a".into()),
            AnyValue::Double(f64::NAN),
            AnyValue::Double(-1.0),
            AnyValue::Int(3),
            AnyValue::KvList(vec![kv("k", AnyValue::Int(1))]),
            AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Int(2)]),
            AnyValue::Array(vec![AnyValue::Int(1)]),
        ];
        let mut sorted = values.to_vec();
        sorted.sort_by(cmp_any);
        let mut reversed = values.to_vec();
        reversed.reverse();
        reversed.sort_by(cmp_any);
        // A total order: the result does not depend on where the values started.
        assert_eq!(format!("{sorted:?}"), format!("{reversed:?}"));
        assert_eq!(sorted[0], AnyValue::Empty);
        assert_eq!(sorted[1], AnyValue::String("a".into()));
        assert_eq!(sorted[3], AnyValue::Int(3));
        assert!(matches!(sorted[4], AnyValue::Double(it) if it == -1.0));
        assert!(matches!(sorted[5], AnyValue::Double(it) if it.is_nan()));
        assert_eq!(sorted[6], AnyValue::Array(vec![AnyValue::Int(1)]));
        assert!(matches!(sorted[8], AnyValue::KvList(_)));
        for (a, b) in sorted.iter().zip(&sorted[1..]) {
            assert_eq!(cmp_any(a, b), Ordering::Less, "{a:?} < {b:?}");
            assert_eq!(cmp_any(b, a), Ordering::Greater);
        }
    }

    #[test]
    fn log_records_differing_only_deep_in_an_attribute_are_ordered() {
        let record = |value: i64| LogRecord {
            attributes: vec![kv("a", AnyValue::KvList(vec![kv("deep", AnyValue::Int(value))]))],
            ..LogRecord::default()
        };
        let (one, two) = (record(1), record(2));
        assert_eq!(cmp_item_data(&ItemData::Log(&one), &ItemData::Log(&two)), Ordering::Less);
        assert_eq!(cmp_item_data(&ItemData::Log(&two), &ItemData::Log(&one)), Ordering::Greater);
        assert_eq!(cmp_item_data(&ItemData::Log(&one), &ItemData::Log(&one.clone())), Ordering::Equal);
    }
}
