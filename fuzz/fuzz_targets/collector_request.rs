//! Fuzzes the request path of an OTLP/HTTP collector, from the bytes of one request to the
//! books: path (signal), `Content-Type`, `Content-Encoding` and body → decode (gzip inflated
//! under a limit) → normalize in the default mode → accounting.
//! The first input byte chooses the request line and headers, the rest is the body.
//! Oracle: no panic; a decoded body's books balance (inputs = decoded items + decoder
//! rejects = normalized + ignored + rejected), in total and per vendor.
//!
//! It uses the collector's own media type rule (`collector::http::media_encoding`) and
//! gzip rule (declared or by magic number), and stops before storage: `codetel collect`
//! puts SQLite behind `otlp::decode` + `normalize`, the path fuzzed here.

#![no_main]

use codetel::capture::{Capture, Request};
use codetel::collector::http::media_encoding;
use codetel::normalize::{self, Options};
use codetel::otlp::{self, Signal};
use codetel::schema::CaptureMode;
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 4] = ["application/json", "application/x-protobuf", "application/json; charset=utf-8", "text/plain"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let signal = Signal::ALL[usize::from(selector % 3)];
    let content_type = CONTENT_TYPES[usize::from(selector / 3 % 4)];
    let declared_gzip = selector / 12 % 2 == 1;
    let Some(encoding) = media_encoding(Some(content_type), false) else { return };
    let inflated;
    let body = if declared_gzip || otlp::is_gzip(body) {
        match otlp::gunzip(body, 1 << 20) {
            Ok(it) => {
                inflated = it;
                &inflated[..]
            }
            Err(_) => return,
        }
    } else {
        body
    };
    let Ok(decoded) = otlp::decode(signal, encoding, body) else { return };
    let decoded_items = decoded.request.item_count();
    let decoder_rejects = decoded.rejected_items();
    let request = Request { file: format!("0001-{signal}"), signal, encoding, gzip: declared_gzip, decoded };
    let capture = Capture { path: "fuzz".into(), manifest: None, requests: vec![request] };
    let output = normalize::normalize(&capture, &Options::new(CaptureMode::MetadataOnly));
    let totals = output.accounting.totals;
    assert!(totals.balances(), "{totals:?}");
    assert_eq!(totals.inputs, decoded_items + decoder_rejects);
    for (vendor, counts) in &output.accounting.by_vendor {
        assert!(counts.balances(), "{vendor}: {counts:?}");
    }
});
