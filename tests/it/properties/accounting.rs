//! Whatever arrives, normalizing never panics and every input item is accounted for.
//!
//! The books, precisely: the items written (log records, spans, data points, one per metric
//! without its data field, one per junk element in an item list) = `inputs` = items the
//! decoder produced + items it rejected = normalized + ignored + rejected, in total and per
//! vendor; `normalized` = the distinct items some record names; `records` = the records.
//! Bodies that are not even JSON or protobuf any more (bytes flipped, cut, inserted) must
//! fail with an error, never a panic, and when they still decode the books still balance.

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;

use codetel::adapter;
use codetel::capture::Capture;
use codetel::otlp::{encode, Encoding};
use codetel::schema::CaptureMode;

use super::wire::{self, Dialect, Rng};
use super::{decode_capture, for_each_vendor, gzip, model, normalize};

fn check_books(capture: &Capture, expected_inputs: Option<usize>) -> Result<(), TestCaseError> {
    let decoded_items = adapter::items(capture).len();
    let decoder_rejects: usize = capture.requests.iter().map(|it| it.decoded.rejected_items()).sum();
    for mode in CaptureMode::ALL {
        let output = normalize(capture, mode);
        let accounting = &output.accounting;
        let totals = accounting.totals;
        prop_assert!(totals.balances(), "{mode:?}: {totals:?}");
        prop_assert_eq!(totals.inputs, decoded_items + decoder_rejects, "{:?}: inputs = items + decoder rejects", mode);
        if let Some(expected) = expected_inputs {
            prop_assert_eq!(totals.inputs, expected, "{:?}: inputs = items written", mode);
        }
        for (vendor, counts) in &accounting.by_vendor {
            prop_assert!(counts.balances(), "{mode:?}: {vendor}: {counts:?}");
        }
        let named: BTreeSet<_> = output.records.iter().filter_map(|it| it.item).collect();
        prop_assert_eq!(named.len(), totals.normalized, "{:?}: normalized = distinct items named by records", mode);
        prop_assert_eq!(accounting.records, output.records.len());
        prop_assert_eq!(accounting.records_by_kind.values().sum::<usize>(), output.records.len());
        let reasons: usize = accounting.reasons.values().sum();
        prop_assert_eq!(reasons, totals.ignored + totals.rejected, "{:?}: every ignored or rejected item has a reason", mode);
    }
    Ok(())
}

#[test]
fn every_item_of_a_garbled_request_is_accounted_for() {
    for_each_vendor(
        "accounting",
        |seed| (model::requests(seed), vec(any::<u64>(), 4), vec(0u8..4, 4)),
        |_, (requests, spellings, encodings)| {
            let mut expected = 0;
            let mut bodies = Vec::new();
            for ((request, spelling), encoding) in requests.iter().zip(spellings).zip(encodings) {
                expected += request.item_count() + model::metrics_without_data(request);
                let body = match encoding {
                    0 => encode::to_protobuf(request),
                    _ => {
                        let written = wire::write(request, spelling, Dialect::Garbled);
                        expected += written.junk_items;
                        written.body
                    }
                };
                let (encoding, body) = match encoding {
                    0 => (Encoding::Protobuf, body),
                    3 => (Encoding::Json, gzip(&body)),
                    _ => (Encoding::Json, body),
                };
                bodies.push((request.signal(), encoding, body));
            }
            let capture = match decode_capture(&bodies) {
                Ok(it) => it,
                Err(error) => return Err(TestCaseError::fail(format!("a garbled body must still decode: {error}"))),
            };
            check_books(&capture, Some(expected))
        },
    );
}

/// Flips, cuts and inserts bytes.
fn mutate(body: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        if body.is_empty() {
            body.push(b'{');
            continue;
        }
        let position = rng.below(body.len());
        match rng.below(4) {
            0 => body[position] ^= 1 << rng.below(8),
            1 => body.truncate(position),
            2 => body.insert(position, [b'"', b'{', b'[', b'\\', 0xff, 0x80, b'0'][rng.below(7)]),
            _ => {
                let _ = body.remove(position);
            }
        }
    }
}

#[test]
fn a_mutated_body_fails_cleanly_or_still_balances() {
    for_each_vendor(
        "mutated_bodies",
        |seed| (model::any_request(seed), any::<u64>(), any::<bool>()),
        |_, (request, seed, as_protobuf)| {
            let mut rng = Rng::new(seed);
            let (encoding, mut body) = if as_protobuf {
                (Encoding::Protobuf, encode::to_protobuf(&request))
            } else {
                (Encoding::Json, wire::write(&request, seed, Dialect::Garbled).body)
            };
            mutate(&mut body, &mut rng);
            if rng.chance(20) {
                // A gzip stream cut short or corrupted must be an error too.
                body = gzip(&body);
                mutate(&mut body, &mut rng);
            }
            if let Ok(capture) = decode_capture(&[(request.signal(), encoding, body)]) {
                check_books(&capture, None)?;
            }
            Ok(())
        },
    );
}
