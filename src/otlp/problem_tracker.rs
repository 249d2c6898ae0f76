//! Where-am-I bookkeeping shared by the JSON and protobuf decoders, so both report a
//! [`Problem`] with the same locator, field and wording for the same data.
//!
//! The decoders push a path segment when they step into a field or a list element and pop
//! it on the way out. Rendering the path into strings happens only when a problem is
//! recorded, so the happy path never allocates. Because most fields are scalars that cannot
//! contain anything, a field can also be merely *noted* ([`ProblemTracker::note_field`]):
//! it joins the path only if a container is entered under it ([`ProblemTracker::enter_noted`])
//! or a problem is reported while it is noted, which saves a push and pop per scalar.
//! A path is split in two at the innermost *item* (a resource or scope entry, log record,
//! metric, data point or span): the part up to the item is the [`Problem::locator`], the rest
//! the [`Problem::field`].

use super::text::TextSource;
use super::Problem;

/// One step of an OTLP path: a field (by its canonical lowerCamelCase name, whatever
/// spelling the wire used) or a list index.
#[derive(Debug, Clone, Copy)]
enum Segment {
    Field(&'static str),
    Index(usize),
}

/// Longest quoted value in a problem message, in characters: enough to recognise the value,
/// short enough that a misplaced prompt does not end up in a report.
const QUOTE_LIMIT: usize = 40;

/// Collects problems and knows the OTLP path of the value being decoded.
#[derive(Debug, Default)]
pub(crate) struct ProblemTracker {
    problems: Vec<Problem>,
    path: Vec<Segment>,
    /// A field noted but not yet pushed: the innermost step when set.
    noted: Option<&'static str>,
    /// `path` lengths at which an item starts (innermost last).
    item_starts: Vec<usize>,
    /// Index of the first element of the next list read: the length of the list it is
    /// appended to when a repeated JSON key is given twice.
    list_base: usize,
    /// The JSON body being decoded, which string values are sliced from. It lives here
    /// because the tracker is the one state every JSON reader is handed; the protobuf
    /// reader leaves it empty.
    pub(crate) strings: TextSource,
}

impl ProblemTracker {
    /// Steps into the field `name` (canonical lowerCamelCase).
    pub(crate) fn enter_field(&mut self, name: &'static str) {
        self.path.push(Segment::Field(name));
    }

    /// Notes that the value of field `name` is being read, without pushing it yet; clear it
    /// with [`ProblemTracker::clear_noted`] after reading.
    pub(crate) fn note_field(&mut self, name: &'static str) {
        self.noted = Some(name);
    }

    /// Forgets the noted field (its value has been read).
    pub(crate) fn clear_noted(&mut self) {
        self.noted = None;
    }

    /// Pushes the noted field, if any, because a container is entered under it. Returns
    /// whether it did, so the caller can [`ProblemTracker::leave`] when done.
    pub(crate) fn enter_noted(&mut self) -> bool {
        match self.noted.take() {
            Some(name) => {
                self.path.push(Segment::Field(name));
                true
            }
            None => false,
        }
    }

    /// Numbers the elements of the next list read from `base` on (see `list_base`).
    pub(crate) fn set_list_base(&mut self, base: usize) {
        self.list_base = base;
    }

    /// The base for the list being read, reset to 0 for any list inside it.
    pub(crate) fn take_list_base(&mut self) -> usize {
        std::mem::take(&mut self.list_base)
    }

    /// Steps into list element `index`; `is_item` when the element is an accountable item or
    /// an envelope of items, so problems inside it are located at it.
    pub(crate) fn enter_index(&mut self, index: usize, is_item: bool) {
        self.path.push(Segment::Index(index));
        if is_item {
            self.item_starts.push(self.path.len());
        }
    }

    /// Steps out of the innermost field or element.
    pub(crate) fn leave(&mut self) {
        if self.item_starts.last() == Some(&self.path.len()) {
            self.item_starts.pop();
        }
        self.path.pop();
    }

    /// Records a problem at the current path. `rejected_items` counts the accountable items
    /// that were left out because of it (0 when only the field was lost).
    pub(crate) fn report(&mut self, message: String, rejected_items: usize) {
        let split = self.item_starts.last().copied().unwrap_or(0).min(self.path.len());
        let (item, field) = self.path.split_at(split);
        let mut field = render(field);
        if let Some(name) = self.noted {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(name);
        }
        self.problems.push(Problem { locator: render(item), field, message, rejected_items });
    }

    /// How many problems have been recorded so far (lets a caller tell whether reading a
    /// value reported one).
    pub(crate) fn count(&self) -> usize {
        self.problems.len()
    }

    /// Records the problem of a metric whose data oneof is unset: every data point it had is
    /// lost, and since none can be counted, at least one is reported as rejected.
    pub(crate) fn report_metric_without_data(&mut self) {
        self.report(
            "metric has no data (none of gauge, sum, histogram, exponentialHistogram, summary); \
             its data points are lost"
                .to_owned(),
            1,
        );
    }

    /// The problems recorded, in the order they were found.
    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

/// `resourceLogs[0].scopeLogs[1]` from segments.
fn render(segments: &[Segment]) -> String {
    use std::fmt::Write;
    let mut res = String::new();
    for segment in segments {
        match segment {
            Segment::Field(name) => {
                if !res.is_empty() {
                    res.push('.');
                }
                res.push_str(name);
            }
            Segment::Index(index) => {
                let _ = write!(res, "[{index}]");
            }
        }
    }
    res
}

/// `text` in double quotes, cut to [`QUOTE_LIMIT`] characters (with `…` when cut), control
/// characters escaped so a message stays one line.
pub(crate) fn quote(text: &str) -> String {
    let mut res = String::with_capacity(text.len().min(QUOTE_LIMIT * 4) + 4);
    res.push('"');
    for (count, ch) in text.chars().enumerate() {
        if count == QUOTE_LIMIT {
            res.push('…');
            break;
        }
        res.extend(ch.escape_debug());
    }
    res.push('"');
    res
}

/// Expected id lengths in bytes.
pub(crate) const TRACE_ID_BYTES: usize = 16;
/// Expected span id length in bytes.
pub(crate) const SPAN_ID_BYTES: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_at_innermost_item() {
        let mut tracker = ProblemTracker::default();
        tracker.enter_field("resourceLogs");
        tracker.enter_index(0, true);
        tracker.enter_field("scopeLogs");
        tracker.enter_index(1, true);
        tracker.enter_field("logRecords");
        tracker.enter_index(3, true);
        tracker.enter_field("attributes");
        tracker.enter_index(2, false);
        tracker.enter_field("value");
        tracker.note_field("intValue");
        tracker.report("bad".to_owned(), 0);
        tracker.clear_noted();
        for _ in 0..3 {
            tracker.leave();
        }
        tracker.report("whole record".to_owned(), 1);
        tracker.leave();
        tracker.report("the list of records".to_owned(), 1);
        let problems = tracker.into_problems();
        assert_eq!(problems[0].locator, "resourceLogs[0].scopeLogs[1].logRecords[3]");
        assert_eq!(problems[0].field, "attributes[2].value.intValue");
        assert_eq!(problems[1].locator, "resourceLogs[0].scopeLogs[1].logRecords[3]");
        assert_eq!(problems[1].field, "");
        assert_eq!(problems[2].locator, "resourceLogs[0].scopeLogs[1]");
        assert_eq!(problems[2].field, "logRecords");
    }

    #[test]
    fn noted_field_joins_the_path_only_when_entered() {
        let mut tracker = ProblemTracker::default();
        tracker.enter_field("resourceSpans");
        tracker.enter_index(0, true);
        tracker.note_field("resource");
        assert!(tracker.enter_noted());
        tracker.note_field("attributes");
        tracker.report("noted".to_owned(), 0);
        assert!(tracker.enter_noted());
        assert!(!tracker.enter_noted());
        tracker.report("entered".to_owned(), 0);
        let problems = tracker.into_problems();
        assert_eq!(
            (problems[0].locator.as_str(), problems[0].field.as_str()),
            ("resourceSpans[0]", "resource.attributes")
        );
        assert_eq!(problems[1].field, "resource.attributes");
    }

    #[test]
    fn quote_truncates_and_escapes() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}…\"", "x".repeat(40)));
    }
}
