//! Shared helpers: a reference collector on 127.0.0.1:0 with its database in a fresh folder,
//! corpus captures loaded for replay, and fast replay options.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use codetel::collector::Running;
use codetel::replay::{self, Options, ReplayCapture, RetryPolicy, Transport};

use crate::collector::harness as collector_harness;
use crate::support::root;

/// A fresh, empty folder under the target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    collector_harness::temp_dir(&format!("replay-{name}"))
}

/// Starts a reference collector on 127.0.0.1:0 (HTTP, and gRPC when asked) in `dir`.
pub async fn collector(dir: &Path, grpc: bool) -> Running {
    let mut config = collector_harness::config(dir);
    if grpc {
        config.grpc = Some(([127, 0, 0, 1], 0).into());
    }
    collector_harness::serve(config).await
}

pub use crate::collector::harness::{base, stop};

/// A Claude Code 2.1.321 capture folder of the corpus.
pub fn claude(scenario: &str) -> PathBuf {
    root().join("corpus/claude_code/2.1.321").join(scenario)
}

/// Loads captures for replay.
pub fn load(path: &Path) -> Vec<ReplayCapture> {
    match replay::source::load(path) {
        Ok(it) => it,
        Err(error) => panic!("cannot load {}: {error}", path.display()),
    }
}

/// Options for tests: as recorded, no pacing, quick retries.
pub fn fast_options() -> Options {
    Options {
        retry: RetryPolicy {
            max_retries: 3,
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(3),
        },
        ..Options::default()
    }
}

/// An HTTP transport to `url` with a generous time limit.
pub fn http(url: &str) -> Transport {
    Transport::http(url, Vec::new(), Duration::from_secs(30)).expect("transport")
}

/// Runs a replay and builds its report.
pub async fn run(captures: Vec<ReplayCapture>, transport: Transport, options: Options) -> (replay::Run, replay::Report) {
    let captures = Arc::new(captures);
    let run = replay::run(captures.clone(), transport, options).await;
    let report = replay::Report::new("test", &captures, &run.outcomes, run.elapsed);
    (run, report)
}

/// An HTTP client for the read API.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("HTTP client")
}
