//! Recorded captures: a folder of request bodies in arrival order plus a manifest.
//!
//! Layout of `corpus/<vendor>/<cli-version>/<scenario>/`:
//! - `capture.toml`: the [`Manifest`];
//! - `NNNN-<signal>.<json|pb>[.gz]`: each OTLP request body exactly as received (de-chunked),
//!   numbered in arrival order from 0001;
//! - `NNNN-<signal>.headers.json`: its method, path and headers, auth values removed.

pub mod manifest;

pub use manifest::{ExpectedCounts, Manifest, Provenance, MANIFEST_FILE};
