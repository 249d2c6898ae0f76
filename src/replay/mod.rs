//! `codetel replay`: sends recorded captures to a live OTLP endpoint and checks what it answers.
//!
//! - [`source`]: captures with their recorded bodies, paths, media types and arrival times;
//! - [`rewrite`]: `--rebase-time` and `--fresh-ids` on the decoded model;
//! - [`send`]: one request over OTLP/HTTP or OTLP/gRPC, the answer read as the specification
//!   defines it, and the retry policy;
//! - [`report`]: per capture and signal: sent, accepted, rejected, retried, failed, latency
//!   percentiles and the endpoint's answers; table, JSON, JUnit and Markdown;
//! - [`verify`]: reads back what a codetel reference collector stored and diffs it with what
//!   `normalize` makes of the same (rewritten) capture.
//!
//! The unit of concurrency is one replay of one capture (a "job"): its requests go out in
//! arrival order, one at a time, so a collector sees them in the order the CLI sent them
//! (merge windows and cumulative metrics depend on it); `--concurrency` jobs run at once.

pub mod report;
pub mod rewrite;
pub mod send;
pub mod source;
pub mod verify;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::otlp::{self, Encoding, ExportRequest};

pub use report::Report;
pub use send::{Answer, RetryPolicy, Transport, Wire};
pub use source::{RecordedRequest, ReplayCapture};

/// OTLP/HTTP or OTLP/gRPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP.
    Http,
    /// OTLP/gRPC (bodies are sent as protobuf messages).
    Grpc,
}

/// How fast recorded gaps are replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// No waiting between requests.
    Max,
    /// Recorded gaps divided by this factor (1.0: real time).
    Factor(f64),
}

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(text: &str) -> Result<Speed, String> {
        match text {
            "max" => Ok(Speed::Max),
            "realtime" => Ok(Speed::Factor(1.0)),
            other => match other.trim_end_matches('x').parse::<f64>() {
                Ok(it) if it > 0.0 && it.is_finite() => Ok(Speed::Factor(it)),
                _ => Err(format!("speed must be realtime, max or a positive factor such as 10, not `{text}`")),
            },
        }
    }
}

/// Everything a replay can be told.
#[derive(Debug, Clone)]
pub struct Options {
    /// Re-encode every body (`None`: as recorded).
    pub encoding: Option<Encoding>,
    /// Compress (`Some(true)`) or not (`Some(false)`); `None`: as recorded.
    pub gzip: Option<bool>,
    /// HTTP or gRPC.
    pub protocol: Protocol,
    /// Shift every timestamp so each capture ends when its replay starts.
    pub rebase_time: bool,
    /// Give sessions, conversations, prompts, traces and spans new ids per replay.
    pub fresh_ids: bool,
    /// Pacing of recorded gaps.
    pub speed: Speed,
    /// Jobs (capture replays) at once.
    pub concurrency: usize,
    /// Replays of each capture.
    pub repeat: u32,
    /// The most requests (attempts) per second over all jobs.
    pub rate: Option<f64>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            encoding: None,
            gzip: None,
            protocol: Protocol::Http,
            rebase_time: false,
            fresh_ids: false,
            speed: Speed::Max,
            concurrency: 1,
            repeat: 1,
            rate: None,
            retry: RetryPolicy::default(),
            progress: false,
        }
    }
}

/// One capture replay made ready: what goes on the wire, when, and the (possibly rewritten)
/// models it was made from.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Index of the capture in the list given to [`run`].
    pub capture: usize,
    /// Which repetition (0-based).
    pub repetition: u32,
    /// The requests, in arrival order.
    pub wires: Vec<Wire>,
    /// When each request is due, from the start of the replay.
    pub offsets: Vec<Duration>,
    /// The models after rewriting (what the endpoint is expected to store).
    pub models: Vec<ExportRequest>,
}

/// Makes one replay of a capture ready. `now_unix_nanos` is the end time for `--rebase-time`.
pub fn prepare(capture: &ReplayCapture, index: usize, repetition: u32, options: &Options, now_unix_nanos: u64) -> Prepared {
    let mut models: Vec<ExportRequest> = capture.requests.iter().map(|it| it.model.clone()).collect();
    if options.rebase_time {
        let _ = rewrite::rebase_time(&mut models, now_unix_nanos);
    }
    if options.fresh_ids {
        rewrite::IdMap::default().rewrite_all(&mut models);
    }
    let rewritten = options.rebase_time || options.fresh_ids;
    let wires = capture
        .requests
        .iter()
        .zip(&models)
        .map(|(request, model)| wire(request, model, rewritten, options))
        .collect();
    Prepared { capture: index, repetition, wires, offsets: offsets(capture, options.speed), models }
}

fn wire(request: &RecordedRequest, model: &ExportRequest, rewritten: bool, options: &Options) -> Wire {
    let items = model.item_count();
    let as_recorded = !rewritten && options.encoding.is_none() && options.gzip.is_none() && options.protocol == Protocol::Http;
    if as_recorded {
        return Wire {
            signal: request.signal,
            http_path: request.http_path.clone(),
            encoding: request.encoding,
            content_type: request.content_type.clone(),
            gzip: otlp::is_gzip(&request.body),
            body: request.body.clone(),
            items,
        };
    }
    let encoding = match options.protocol {
        Protocol::Grpc => Encoding::Protobuf,
        Protocol::Http => options.encoding.unwrap_or(request.encoding),
    };
    let gzip = options.gzip.unwrap_or(request.gzip);
    let plain = match encoding {
        Encoding::Json => otlp::encode::to_json(model),
        Encoding::Protobuf => otlp::encode::to_protobuf(model),
    };
    // Over gRPC compression is tonic's business: the message stays plain here.
    let body = if gzip && options.protocol == Protocol::Http { gzip_bytes(&plain) } else { plain };
    let content_type = if encoding == request.encoding && !request.over_grpc {
        request.content_type.clone()
    } else {
        crate::collector::status::content_type(encoding).to_owned()
    };
    Wire { signal: request.signal, http_path: request.http_path.clone(), encoding, content_type, gzip, body, items }
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// When each request is due: the recorded gaps (header `_ts`, else the latest timestamp in
/// the body), never going back in time, divided by the speed factor; all zero at `max`.
pub fn offsets(capture: &ReplayCapture, speed: Speed) -> Vec<Duration> {
    let factor = match speed {
        Speed::Max => return vec![Duration::ZERO; capture.requests.len()],
        Speed::Factor(it) => it,
    };
    let arrivals: Vec<Option<u64>> =
        capture.requests.iter().map(|it| it.arrival_unix_nanos.or_else(|| it.latest_body_time())).collect();
    let Some(first) = arrivals.iter().flatten().next().copied() else {
        return vec![Duration::ZERO; capture.requests.len()];
    };
    let mut previous = 0u64;
    arrivals
        .iter()
        .map(|arrival| {
            let gap = arrival.map(|it| it.saturating_sub(first)).unwrap_or(previous).max(previous);
            previous = gap;
            Duration::from_nanos(gap).div_f64(factor)
        })
        .collect()
}

/// What happened to one request.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Index of the capture.
    pub capture: usize,
    /// Repetition.
    pub repetition: u32,
    /// Request index in the capture.
    pub request: usize,
    /// The signal.
    pub signal: otlp::Signal,
    /// How it was sent: `json`, `protobuf+gzip`, `grpc`, ...
    pub sent_as: String,
    /// Items it held.
    pub items: usize,
    /// Retries made.
    pub retries: u32,
    /// Latency of every attempt.
    pub latencies: Vec<Duration>,
    /// Every answer, the final one last.
    pub answers: Vec<Answer>,
}

impl Outcome {
    /// The final answer.
    pub fn last(&self) -> Option<&Answer> {
        self.answers.last()
    }
}

/// Spreads attempts so no more than `rate` per second start, over all jobs.
#[derive(Debug)]
struct RateLimiter {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl RateLimiter {
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// The result of a run: every outcome and every prepared replay (for `--verify`).
#[derive(Debug)]
pub struct Run {
    /// Outcomes in completion order of jobs, arrival order within a job.
    pub outcomes: Vec<Outcome>,
    /// What was sent, per job, in job order.
    pub prepared: Vec<Prepared>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// Sends `repeat` replays of every capture through `transport`.
pub async fn run(captures: Arc<Vec<ReplayCapture>>, transport: Transport, options: Options) -> Run {
    let started = Instant::now();
    let total_requests: u64 =
        captures.iter().map(|it| it.requests.len() as u64).sum::<u64>() * u64::from(options.repeat.max(1));
    let progress = options.progress.then(|| {
        let bar = indicatif::ProgressBar::new(total_requests);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} requests {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar
    });
    let counters = Arc::new(Counters::default());
    let limiter = options.rate.filter(|it| *it > 0.0).map(|rate| {
        Arc::new(RateLimiter { interval: Duration::from_secs_f64(1.0 / rate), next: tokio::sync::Mutex::new(Instant::now()) })
    });
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let transport = Arc::new(transport);
    let options = Arc::new(options);
    let mut tasks = tokio::task::JoinSet::new();
    let mut job = 0usize;
    for repetition in 0..options.repeat.max(1) {
        for index in 0..captures.len() {
            let (captures, transport, options) = (captures.clone(), transport.clone(), options.clone());
            let (semaphore, limiter, progress, counters) =
                (semaphore.clone(), limiter.clone(), progress.clone(), counters.clone());
            let order = job;
            job += 1;
            let _ = tasks.spawn(async move {
                // Closed only if the run is dropped, and then nothing is waiting for this.
                let _permit = semaphore.acquire_owned().await;
                let prepared = prepare(&captures[index], index, repetition, &options, crate::collector::unix_nanos_now());
                let outcomes = replay_one(&prepared, &transport, &options, limiter.as_deref(), progress.as_ref(), &counters).await;
                (order, prepared, outcomes)
            });
        }
    }
    let mut done = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Ok(it) = result {
            done.push(it);
        }
    }
    done.sort_by_key(|it| it.0);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let mut outcomes = Vec::new();
    let mut prepared = Vec::new();
    for (_, job, job_outcomes) in done {
        prepared.push(job);
        outcomes.extend(job_outcomes);
    }
    Run { outcomes, prepared, elapsed: started.elapsed() }
}

#[derive(Debug, Default)]
struct Counters {
    records: std::sync::atomic::AtomicU64,
    errors: std::sync::atomic::AtomicU64,
}

async fn replay_one(
    prepared: &Prepared,
    transport: &Transport,
    options: &Options,
    limiter: Option<&RateLimiter>,
    progress: Option<&indicatif::ProgressBar>,
    counters: &Counters,
) -> Vec<Outcome> {
    use std::sync::atomic::Ordering::Relaxed;
    let start = Instant::now();
    let mut outcomes = Vec::new();
    for (request, (wire, offset)) in prepared.wires.iter().zip(&prepared.offsets).enumerate() {
        tokio::time::sleep_until((start + *offset).into()).await;
        let mut outcome = Outcome {
            capture: prepared.capture,
            repetition: prepared.repetition,
            request,
            signal: wire.signal,
            sent_as: sent_as(wire, options.protocol),
            items: wire.items,
            retries: 0,
            latencies: Vec::new(),
            answers: Vec::new(),
        };
        loop {
            if let Some(limiter) = limiter {
                limiter.wait().await;
            }
            let (answer, took) = transport.attempt(wire).await;
            outcome.latencies.push(took);
            let retry_after = match &answer {
                Answer::Refused { retry_after, .. } => *retry_after,
                _ => None,
            };
            let retry = answer.retryable() && outcome.retries < options.retry.max_retries;
            outcome.answers.push(answer);
            if !retry {
                break;
            }
            outcome.retries += 1;
            tokio::time::sleep(options.retry.delay(outcome.retries, retry_after)).await;
        }
        match outcome.last() {
            Some(Answer::Accepted { rejected, .. }) => {
                let _ = counters.records.fetch_add(wire.items as u64, Relaxed);
                if *rejected > 0 {
                    let _ = counters.errors.fetch_add(1, Relaxed);
                }
            }
            _ => {
                let _ = counters.errors.fetch_add(1, Relaxed);
            }
        }
        if let Some(bar) = progress {
            bar.inc(1);
            bar.set_message(format!("{} records, {} errors", counters.records.load(Relaxed), counters.errors.load(Relaxed)));
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// `json`, `protobuf+gzip`, `grpc`, `grpc+gzip`.
fn sent_as(wire: &Wire, protocol: Protocol) -> String {
    let base = match protocol {
        Protocol::Grpc => "grpc",
        Protocol::Http => wire.encoding.as_str(),
    };
    if wire.gzip {
        format!("{base}+gzip")
    } else {
        base.to_owned()
    }
}
