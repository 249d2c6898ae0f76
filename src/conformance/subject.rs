//! What the rules look at: each capture prepared once (normalized in every mode, detected per
//! resource group, re-run where a rule needs a second opinion), each vendor's share of the
//! captures, and the facts of the whole run.
//!
//! Preparing is where the adapters run, so it is also where a panicking adapter is caught:
//! the panic becomes data for `CA-ADAPT-002`, and the other rules of that capture see no output.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::adapter::{self, Adapter, Item};
use crate::adapters;
use crate::capture::{Capture, Request};
use crate::detect::{self, Evidence, Strength};
use crate::normalize::{self, Options, Output};
use crate::otlp::{self, encode, Encoding, Signal};
use crate::schema::CaptureMode;

/// One capture, normalized every way the rules need.
pub struct CaptureRun<'a> {
    /// The capture's name (`claude_code/2.1.321/text_answer`).
    pub id: String,
    /// The capture.
    pub capture: &'a Capture,
    /// The vendor the capture belongs to (manifest, else folder); `None` for a loose file.
    pub vendor: Option<String>,
    /// Every accountable item, in arrival order.
    pub items: Vec<Item<'a>>,
    /// Detection of every resource group of every request.
    pub groups: Vec<GroupDetection>,
    /// The pipeline's output in each capture mode, or the panic message of an adapter.
    pub outputs: Result<ModeOutputs, String>,
    /// A second `full` run, for determinism.
    pub repeat: Option<Output>,
    /// A `full` run over the capture re-encoded in the other OTLP encoding (JSON ↔ protobuf),
    /// or why that capture could not be built.
    pub reencoded: Result<Output, String>,
    /// Each checked adapter forced onto every item (`metadata_only`), or its panic message.
    pub forced: Vec<(&'static str, Result<Output, String>)>,
}

/// The pipeline's output in each capture mode.
#[derive(Debug)]
pub struct ModeOutputs {
    /// `minimal`.
    pub minimal: Output,
    /// `metadata_only`.
    pub metadata_only: Output,
    /// `full`.
    pub full: Output,
}

impl ModeOutputs {
    /// Every mode with its output.
    pub fn all(&self) -> [(CaptureMode, &Output); 3] {
        [
            (CaptureMode::Minimal, &self.minimal),
            (CaptureMode::MetadataOnly, &self.metadata_only),
            (CaptureMode::Full, &self.full),
        ]
    }

    /// The output of one mode.
    pub fn get(&self, mode: CaptureMode) -> &Output {
        match mode {
            CaptureMode::Minimal => &self.minimal,
            CaptureMode::MetadataOnly => &self.metadata_only,
            CaptureMode::Full => &self.full,
        }
    }

    /// The output of one mode, mutable (tests plant defects this way).
    pub fn get_mut(&mut self, mode: CaptureMode) -> &mut Output {
        match mode {
            CaptureMode::Minimal => &mut self.minimal,
            CaptureMode::MetadataOnly => &mut self.metadata_only,
            CaptureMode::Full => &mut self.full,
        }
    }
}

/// Detection of one resource group, recomputed independently of the pipeline.
#[derive(Debug, Clone)]
pub struct GroupDetection {
    /// Index of the request in the capture.
    pub request: usize,
    /// Index of the resource group in the request.
    pub resource: usize,
    /// The request file.
    pub file: String,
    /// The request's signal.
    pub signal: Signal,
    /// OTLP path of the group (`resourceLogs[0]`).
    pub locator: String,
    /// What the group shows about its sender.
    pub evidence: Evidence,
    /// Every adapter with any evidence, with its strength and why.
    pub matches: Vec<(&'static str, Strength, String)>,
    /// The adapter detection picks.
    pub winner: Option<&'static str>,
    /// Accountable items in the group.
    pub items: usize,
}

impl<'a> CaptureRun<'a> {
    /// Normalizes `capture` every way the rules need; `adapters` are the adapters whose
    /// contract is checked by forcing them onto the capture.
    pub fn prepare(
        id: &str,
        capture: &'a Capture,
        vendor: Option<String>,
        adapters: &[&'static dyn Adapter],
    ) -> CaptureRun<'a> {
        let items = adapter::items(capture);
        let groups = detect_groups(capture, &items);
        let outputs = guarded(|| ModeOutputs {
            minimal: normalize::normalize(capture, &Options::new(CaptureMode::Minimal)),
            metadata_only: normalize::normalize(capture, &Options::new(CaptureMode::MetadataOnly)),
            full: normalize::normalize(capture, &Options::new(CaptureMode::Full)),
        });
        let repeat = match &outputs {
            Ok(_) => guarded(|| normalize::normalize(capture, &Options::new(CaptureMode::Full))).ok(),
            Err(_) => None,
        };
        let reencoded = match reencode(capture) {
            Ok(other) => guarded(|| normalize::normalize(&other, &Options::new(CaptureMode::Full))),
            Err(why) => Err(why),
        };
        let forced = adapters
            .iter()
            .map(|adapter| {
                let options = Options { capture_mode: CaptureMode::MetadataOnly, force_vendor: Some(*adapter) };
                (adapter.name(), guarded(|| normalize::normalize(capture, &options)))
            })
            .collect();
        CaptureRun { id: id.to_owned(), capture, vendor, items, groups, outputs, repeat, reencoded, forced }
    }

    /// The vendor detection gave an item's resource group.
    pub fn vendor_of(&self, item: &Item<'_>) -> Option<&'static str> {
        self.groups
            .iter()
            .find(|it| it.request == item.id.request as usize && it.resource == item.id.resource as usize)
            .and_then(|it| it.winner)
    }

    /// Vendors detection picked for any group of this capture.
    pub fn claimed_by(&self) -> Vec<&'static str> {
        let mut vendors: Vec<&'static str> = self.groups.iter().filter_map(|it| it.winner).collect();
        vendors.sort_unstable();
        vendors.dedup();
        vendors
    }
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        if let Some(text) = payload.downcast_ref::<&str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic without a message".to_owned()
        }
    })
}

fn detect_groups(capture: &Capture, items: &[Item<'_>]) -> Vec<GroupDetection> {
    let mut groups = Vec::new();
    for (request_index, request) in capture.requests.iter().enumerate() {
        for (resource_index, evidence) in detect::evidence(&request.decoded.request).into_iter().enumerate() {
            let matches = adapters::ALL
                .iter()
                .filter_map(|adapter| detect::strength(*adapter, &evidence).map(|(strength, why)| (adapter.name(), strength, why)))
                .collect();
            let winner = detect::detect(adapters::ALL, &evidence).adapter.map(|it| it.name());
            let n_items = items
                .iter()
                .filter(|it| it.id.request as usize == request_index && it.id.resource as usize == resource_index)
                .count();
            groups.push(GroupDetection {
                request: request_index,
                resource: resource_index,
                file: request.file.clone(),
                signal: request.signal,
                locator: format!("{}[{resource_index}]", resource_field(request.signal)),
                evidence,
                matches,
                winner,
                items: n_items,
            });
        }
    }
    groups
}

/// The OTLP/JSON field holding a signal's resource groups.
pub(crate) fn resource_field(signal: Signal) -> &'static str {
    match signal {
        Signal::Logs => "resourceLogs",
        Signal::Metrics => "resourceMetrics",
        Signal::Traces => "resourceSpans",
    }
}

/// The capture with every request encoded in the other OTLP encoding and decoded again.
fn reencode(capture: &Capture) -> Result<Capture, String> {
    let mut requests = Vec::with_capacity(capture.requests.len());
    for request in &capture.requests {
        let (encoding, bytes) = match request.encoding {
            Encoding::Json => (Encoding::Protobuf, encode::to_protobuf(&request.decoded.request)),
            Encoding::Protobuf => (Encoding::Json, encode::to_json(&request.decoded.request)),
        };
        let decoded = otlp::decode(request.signal, encoding, &bytes)
            .map_err(|error| format!("{} re-encoded as {} does not decode: {error}", request.file, encoding.as_str()))?;
        // The decoder's problems with the original stay with the original: re-encoding can
        // only carry what was read, so the re-encoded request keeps the original's problems.
        let decoded = otlp::Decoded { request: decoded.request, problems: request.decoded.problems.clone() };
        requests.push(Request { decoded, encoding, ..request.clone() });
    }
    Ok(Capture { path: capture.path.clone(), manifest: capture.manifest.clone(), requests })
}

/// One vendor's captures: every capture in which detection gave it a resource group.
pub struct VendorRun<'a> {
    /// The vendor id.
    pub vendor: &'static str,
    /// Its adapter.
    pub adapter: &'static dyn Adapter,
    /// The captures it claimed.
    pub captures: Vec<&'a CaptureRun<'a>>,
}

impl<'a> VendorRun<'a> {
    /// Collects the captures `adapter` claimed.
    pub fn new(adapter: &'static dyn Adapter, capture_runs: &'a [CaptureRun<'a>]) -> VendorRun<'a> {
        let vendor = adapter.name();
        let captures = capture_runs.iter().filter(|it| it.claimed_by().contains(&vendor)).collect();
        VendorRun { vendor, adapter, captures }
    }
}

/// What the whole run saw.
pub struct RunFacts<'a> {
    /// Captures checked.
    pub captures: usize,
    /// Input items over every capture (log records, data points, spans, decoder rejects).
    pub inputs: usize,
    /// The adapters checked, with the number of captures in which each claimed something and
    /// the number of captures whose folder or manifest names its vendor.
    pub adapters: Vec<(&'static str, usize, usize)>,
    /// The `--vendor` filter, if any.
    pub vendor_filter: Option<String>,
    /// The captures, for run rules that need them.
    pub capture_runs: &'a [CaptureRun<'a>],
}

impl<'a> RunFacts<'a> {
    /// Gathers the facts.
    pub fn new(
        capture_runs: &'a [CaptureRun<'a>],
        adapters: &[&'static dyn Adapter],
        vendor_filter: Option<String>,
    ) -> RunFacts<'a> {
        let inputs = capture_runs
            .iter()
            .map(|run| {
                run.capture
                    .requests
                    .iter()
                    .map(|it| it.decoded.request.item_count() + it.decoded.rejected_items())
                    .sum::<usize>()
            })
            .sum();
        let adapters = adapters
            .iter()
            .map(|adapter| {
                let name = adapter.name();
                let claimed = capture_runs.iter().filter(|it| it.claimed_by().contains(&name)).count();
                let named = capture_runs.iter().filter(|it| it.vendor.as_deref() == Some(name)).count();
                (name, claimed, named)
            })
            .collect();
        RunFacts { captures: capture_runs.len(), inputs, adapters, vendor_filter, capture_runs }
    }
}
