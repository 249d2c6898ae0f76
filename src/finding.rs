//! Findings: what codetel has to say about its input, in weaver's shape (id, level, message,
//! where). Adapters and the pipeline report odd data as findings instead of failing.

use serde::Serialize;

/// How much a finding matters (weaver's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Worth knowing; nothing is wrong.
    Information,
    /// The input or mapping could be better; nothing was lost.
    Improvement,
    /// A rule was broken: data was lost, leaked, misread or double-counted.
    Violation,
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Location {
    /// The request file, relative to its capture folder (with `:line` for JSONL).
    pub file: String,
    /// OTLP path of the item (`resourceLogs[0].scopeLogs[0].logRecords[3]`), empty for a whole file.
    pub locator: String,
    /// The attribute or field concerned, empty when none.
    pub field: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable snake_case id naming the problem seen (`unknown_event_name`).
    pub id: &'static str,
    /// Severity.
    pub level: Level,
    /// The vendor concerned, when known.
    pub vendor: Option<&'static str>,
    /// One readable sentence; never contains content values.
    pub message: String,
    /// Where, when it points at input.
    pub location: Option<Location>,
}

impl Finding {
    /// A finding without a location.
    pub fn new(id: &'static str, level: Level, message: impl Into<String>) -> Finding {
        Finding { id, level, vendor: None, message: message.into(), location: None }
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }

    /// Sets the vendor when known.
    pub fn for_vendor_opt(mut self, vendor: Option<&'static str>) -> Finding {
        self.vendor = vendor;
        self
    }

    /// Sets the vendor.
    pub fn for_vendor(mut self, vendor: &'static str) -> Finding {
        self.vendor = Some(vendor);
        self
    }
}
