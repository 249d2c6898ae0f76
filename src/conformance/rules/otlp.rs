//! `CA-OTLP-*`: OTLP in and out. A capture normalizes identically whichever OTLP encoding
//! carried it, and the canonical records, re-encoded as OTLP logs
//! ([`crate::conformance::otlp_output`]), survive protobuf and OTLP/JSON unchanged.

use crate::conformance::otlp_output;
use crate::conformance::{CaptureRun, Observation};
use crate::otlp::{self, encode, Encoding, Signal};
use crate::schema::CaptureMode;

/// CA-OTLP-001.
pub(super) fn output_round_trips(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    for mode in [CaptureMode::MetadataOnly, CaptureMode::Full] {
        let records = &outputs.get(mode).records;
        let request = otlp_output::to_request(records);
        if request.item_count() != records.len() {
            res.push(Observation::new(format!(
                "{}: {} canonical record(s) became {} OTLP log record(s)",
                mode.as_str(),
                records.len(),
                request.item_count()
            )));
        }
        for (encoding, bytes) in
            [(Encoding::Protobuf, encode::to_protobuf(&request)), (Encoding::Json, encode::to_json(&request))]
        {
            let what = format!("{}: the records encoded as OTLP {}", mode.as_str(), encoding.as_str());
            match otlp::decode(Signal::Logs, encoding, &bytes) {
                Err(error) => res.push(Observation::new(format!("{what} do not decode: {error}"))),
                Ok(decoded) => {
                    for problem in &decoded.problems {
                        res.push(Observation::new(format!("{what} decode with a problem at {} {}: {}", problem.locator, problem.field, problem.message)));
                    }
                    if decoded.request != request {
                        let index = otlp_output::first_difference(&request, &decoded.request);
                        let mut observation = Observation::new(format!("{what} decode to different data"));
                        if let Some(record) = index.and_then(|it| otlp_output::grouped_order(records).get(it).copied()) {
                            observation = super::about(record, "", format!("{what} decode to different data, first at `{}`", super::describe(record)));
                        }
                        res.push(observation);
                    }
                }
            }
        }
    }
    res
}

/// CA-OTLP-002.
pub(super) fn encoding_blind(run: &CaptureRun<'_>) -> Vec<Observation> {
    let Ok(outputs) = &run.outputs else { return Vec::new() };
    match &run.reencoded {
        Err(why) => vec![Observation::new(why.clone())],
        Ok(other) => {
            let same_records = serde_json::to_string(&outputs.full.records).ok() == serde_json::to_string(&other.records).ok();
            let same_books = outputs.full.accounting == other.accounting;
            if same_records && same_books {
                return Vec::new();
            }
            let first = outputs.full.records.iter().zip(&other.records).find(|(a, b)| a != b).map(|it| it.0);
            vec![match first {
                Some(record) => super::about(
                    record,
                    "",
                    format!("re-encoded in the other OTLP encoding, the capture normalizes differently, first at `{}`", super::describe(record)),
                ),
                None => Observation::new("re-encoded in the other OTLP encoding, the capture normalizes to other record counts or accounting"),
            }]
        }
    }
}
