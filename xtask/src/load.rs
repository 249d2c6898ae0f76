//! `cargo xtask load`: a bounded load test of `codetel collect` on loopback.
//!
//! Starts the collector (the release binary, a fresh database in a temporary folder, a free
//! port on 127.0.0.1), or uses one already running (`--url`), then keeps `--connections`
//! keep-alive connections busy for `--seconds`, each posting `/v1/logs` requests of exactly
//! `--batch` log records. The records are the corpus's real log records (every vendor),
//! re-timed so that no two bodies are equal. Request n comes from session n mod `--sessions`:
//! every session id codetel reads in a record is replaced, and each session gets its own
//! `service.instance.id`, as separate CLI processes have, so the collector sees many
//! sessions, as a shared collector does (`--sessions 1` is the adversarial case: one session
//! sending everything, the merge window always full). Each template is encoded once before the
//! timed phase; a request's body is a copy with its session, instance and times patched in
//! the bytes (the client shares the two cores with the collector, so it must cost little; its
//! CPU and the collector's are printed). A request counts once its 200 arrives, which the
//! collector sends only after the transaction holding it committed; `partialSuccess.rejectedLogRecords` is
//! subtracted from the accepted records.
//!
//! Prints accepted records/s, request latency (p50, p99, max), errors, and the collector's
//! resident memory after each third of the run and at its peak (`VmHWM`), so a reader can
//! see whether memory stays flat while the database grows. Everything is bounded: time,
//! connections, and a 30 s timeout per request; only 127.0.0.1 is ever a target.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use codetel::capture::{self, Input};
use codetel::otlp::{encode, AnyValue, Encoding, ExportRequest, KeyValue, LogRecord, Resource, ResourceLogs, Scope, ScopeLogs};
use prost::Message as _;

/// What `cargo xtask load` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// A collector already listening (`http://127.0.0.1:4318`); `None`: start one.
    pub url: Option<String>,
    /// The `codetel` binary to start.
    pub binary: PathBuf,
    /// How long to send.
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Log records per request.
    pub batch: usize,
    /// Distinct session ids the records are spread over.
    pub sessions: usize,
    /// Body encoding.
    pub encoding: Encoding,
    /// `--merge-window-seconds` passed to a started collector.
    pub merge_window: u64,
}

/// Runs the load test and prints its figures.
pub fn run(config: &LoadConfig) -> Result<()> {
    let root = crate::record::xtask_dir().parent().map(PathBuf::from).unwrap_or_default();
    let templates = build_requests(&root.join("corpus"), config)?;
    println!(
        "load: requests of {} log records ({}) cycling over {} templates, each body unique, {} sessions, {} connections, {} s",
        config.batch,
        config.encoding.as_str(),
        templates.len(),
        config.sessions,
        config.connections,
        config.seconds
    );

    let workdir = std::env::temp_dir().join(format!("codetel-load-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let (address, mut collector) = match &config.url {
        Some(url) => (parse_loopback(url)?, None),
        None => {
            let (address, child) = start_collector(config, &workdir)?;
            (address, Some(child))
        }
    };
    let res = drive(config, address, &templates, collector.as_ref().map(Child::id));
    if let Some(child) = &mut collector {
        stop(child);
        if res.is_ok() {
            // After a clean shutdown: what the run left on disk (database and WAL).
            let size: u64 = ["load.db", "load.db-wal"]
                .iter()
                .filter_map(|name| std::fs::metadata(workdir.join(name)).ok())
                .map(|it| it.len())
                .sum();
            println!("| database size after shutdown | {:.1} MiB |", size as f64 / 1048576.0);
        }
    }
    let _ = std::fs::remove_dir_all(&workdir);
    res
}

fn parse_loopback(url: &str) -> Result<SocketAddr> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let address: SocketAddr = host_port.parse().with_context(|| format!("--url {url}: expected http://127.0.0.1:PORT"))?;
    if !address.ip().is_loopback() {
        bail!("--url {url}: the load test only targets loopback addresses");
    }
    Ok(address)
}

fn start_collector(config: &LoadConfig, workdir: &Path) -> Result<(SocketAddr, Child)> {
    if !config.binary.is_file() {
        bail!("{} not found: run `cargo build --release` first (or pass --binary)", config.binary.display());
    }
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let log = workdir.join("collector.log");
    let mut child = Command::new(&config.binary)
        .args(["collect", "--http", &address.to_string(), "--merge-window-seconds", &config.merge_window.to_string()])
        .arg("--db")
        .arg(workdir.join("load.db"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .with_context(|| format!("starting {}", config.binary.display()))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the collector exited ({status}): {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        if Instant::now() > deadline {
            bail!("the collector did not listen on {address} within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((address, child))
}

/// SIGTERM (a clean shutdown), then a kill after 10 s: only the child this command started.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Every log record of the corpus with its resource and scope.
fn corpus_records(corpus: &Path) -> Result<Vec<(Resource, Scope, LogRecord)>> {
    let mut res = Vec::new();
    for input in capture::discover(corpus)? {
        let Input::Dir(dir) = input else { continue };
        let capture = capture::Capture::load_dir(&dir)?;
        // The session ids as codetel reads them, wherever the CLI put them (attributes of any
        // spelling, ids embedded in other values): each becomes a marker that `body` turns
        // into the session of the request being sent.
        let options = codetel::normalize::Options::new(codetel::schema::CaptureMode::MetadataOnly);
        let mut session_ids: Vec<String> = codetel::normalize::normalize(&capture, &options)
            .records
            .into_iter()
            .filter_map(|it| it.session_id)
            .filter(|it| it.len() >= 8)
            .collect();
        session_ids.sort();
        session_ids.dedup();
        for request in capture.requests {
            let ExportRequest::Logs(resources) = request.decoded.request else { continue };
            for resource_logs in resources {
                for scope_logs in resource_logs.scope_logs {
                    for mut record in scope_logs.log_records {
                        let mut resource = resource_logs.resource.clone();
                        mark_sessions(&mut resource.attributes, &session_ids);
                        mark_sessions(&mut record.attributes, &session_ids);
                        if let Some(body) = &mut record.body {
                            mark_value(body, &session_ids);
                        }
                        res.push((resource, scope_logs.scope.clone(), record));
                    }
                }
            }
        }
    }
    if res.is_empty() {
        bail!("no log records under {}", corpus.display());
    }
    Ok(res)
}

/// Stands for the session id in templates.
const SESSION_MARKER: &str = "codetel-load-session";

fn mark_sessions(attributes: &mut [KeyValue], session_ids: &[String]) {
    for attribute in attributes {
        mark_value(&mut attribute.value, session_ids);
    }
}

fn mark_value(value: &mut AnyValue, session_ids: &[String]) {
    match value {
        AnyValue::String(text) => {
            for id in session_ids {
                if text.contains(id.as_str()) {
                    *text = text.replace(id.as_str(), SESSION_MARKER).into();
                }
            }
        }
        AnyValue::Array(values) => values.iter_mut().for_each(|it| mark_value(it, session_ids)),
        AnyValue::KvList(pairs) => mark_sessions(pairs, session_ids),
        _ => {}
    }
}

/// Puts session `n` where a template has the marker.
fn set_session(attributes: &mut [KeyValue], n: usize) {
    for attribute in attributes {
        set_session_value(&mut attribute.value, n);
    }
}

fn set_session_value(value: &mut AnyValue, n: usize) {
    match value {
        AnyValue::String(text) if text.contains(SESSION_MARKER) => *text = text.replace(SESSION_MARKER, &format!("load-session-{n:08}")).into(),
        AnyValue::Array(values) => values.iter_mut().for_each(|it| set_session_value(it, n)),
        AnyValue::KvList(pairs) => set_session(pairs, n),
        _ => {}
    }
}

/// Makes a resource the resource of CLI process `n`: its own `service.instance.id`, as
/// separate processes have, so records that name no session are tied to their own sender.
fn set_instance(resource: &mut Resource, n: usize) {
    let value = AnyValue::String(format!("load-instance-{n:08}").into());
    match resource.attributes.iter_mut().find(|it| it.key == "service.instance.id") {
        Some(attribute) => attribute.value = value,
        None => resource.attributes.push(KeyValue { key: "service.instance.id".into(), value }),
    }
}

/// Requests of exactly `batch` records each, cycling through the corpus records; enough
/// distinct requests that consecutive ones never repeat a session's data exactly.
fn build_requests(corpus: &Path, config: &LoadConfig) -> Result<Vec<ExportRequest>> {
    let records = corpus_records(corpus)?;
    let n_requests = (records.len() * 4).div_ceil(config.batch).clamp(64, 4096);
    let base_time = 1_790_000_000_000_000_000u64;
    let mut requests = Vec::with_capacity(n_requests);
    let mut next = 0usize;
    for index in 0..n_requests {
        let mut resources: Vec<ResourceLogs> = Vec::new();
        for offset in 0..config.batch {
            let (resource, scope, record) = &records[next % records.len()];
            next += 1;
            let mut record = record.clone();
            record.time_unix_nano = base_time + (index * config.batch + offset) as u64 * 1_000_000;
            let resource = resource.clone();
            // Consecutive records of one resource and scope share an envelope, as exporters batch.
            match resources.last_mut() {
                Some(last) if last.resource == resource && last.scope_logs.last().is_some_and(|it| it.scope == *scope) => {
                    if let Some(scope_logs) = last.scope_logs.last_mut() {
                        scope_logs.log_records.push(record);
                    }
                }
                _ => resources.push(ResourceLogs {
                    resource,
                    scope_logs: vec![ScopeLogs { scope: scope.clone(), log_records: vec![record], schema_url: Default::default() }],
                    schema_url: Default::default(),
                }),
            }
        }
        requests.push(ExportRequest::Logs(resources));
    }
    Ok(requests)
}

/// The `sequence`-th request body: a template with its record times moved past every earlier
/// request's, so no two bodies are equal (the collector acknowledges a byte-identical retry
/// without storing it again, which would measure nothing).
fn body(templates: &[ExportRequest], sequence: usize, batch: usize, sessions: usize, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Json => encode::to_json(&instance(templates, sequence, batch, sessions)),
        Encoding::Protobuf => encode::to_protobuf(&instance(templates, sequence, batch, sessions)),
    }
}

/// The `sequence`-th request before encoding (see [`body`]).
fn instance(templates: &[ExportRequest], sequence: usize, batch: usize, sessions: usize) -> ExportRequest {
    let mut request = templates[sequence % templates.len()].clone();
    let shift = (sequence / templates.len()) as u64 * (templates.len() * batch) as u64 * 1_000_000;
    // Requests take turns over every session, whatever the number of templates: request n
    // comes from session n mod `sessions`, as if that many CLIs each sent a batch in turn.
    let session = sequence % sessions.max(1);
    if let ExportRequest::Logs(resources) = &mut request {
        for resource_logs in resources.iter_mut() {
            set_session(&mut resource_logs.resource.attributes, session);
            set_instance(&mut resource_logs.resource, session);
            for record in resource_logs.scope_logs.iter_mut().flat_map(|it| &mut it.log_records) {
                record.time_unix_nano += shift;
                set_session(&mut record.attributes, session);
                if let Some(body) = &mut record.body {
                    set_session_value(body, session);
                }
            }
        }
    }
    request
}

/// A template encoded once, with where its session and instance numbers and its record times
/// sit in the bytes: a unique body is then a copy with those patched, so the client spends
/// next to no CPU per request (it shares the two cores with the collector).
struct Encoded {
    bytes: Vec<u8>,
    /// Offsets of the 8 digits of every `load-session-NNNNNNNN` and `load-instance-NNNNNNNN`.
    numbers: Vec<usize>,
    /// Offsets of every record time: 8 little-endian bytes (protobuf) or 19 digits (JSON).
    times: Vec<usize>,
}

/// Encodes template `index` (sequence `index`: no time shift) and finds what to patch; `None`
/// when a time is not found exactly once (such a template is encoded per request instead).
fn pre_encode(templates: &[ExportRequest], index: usize, batch: usize, sessions: usize, encoding: Encoding) -> Option<Encoded> {
    let request = instance(templates, index, batch, sessions);
    let bytes = match encoding {
        Encoding::Json => encode::to_json(&request),
        Encoding::Protobuf => encode::to_protobuf(&request),
    };
    let find_all = |needle: &[u8]| -> Vec<usize> {
        bytes.windows(needle.len()).enumerate().filter(|(_, it)| *it == needle).map(|(at, _)| at).collect()
    };
    let mut numbers = Vec::new();
    for prefix in [&b"load-session-"[..], b"load-instance-"] {
        for at in find_all(prefix) {
            let digits = at + prefix.len();
            if bytes.get(digits..digits + 8).is_some_and(|it| it.iter().all(u8::is_ascii_digit)) {
                numbers.push(digits);
            }
        }
    }
    let ExportRequest::Logs(resources) = &request else { return None };
    let mut times = Vec::new();
    for record in resources.iter().flat_map(|it| &it.scope_logs).flat_map(|it| &it.log_records) {
        let found: Vec<usize> = match encoding {
            Encoding::Protobuf => find_all(&record.time_unix_nano.to_le_bytes()),
            Encoding::Json => {
                let digits = record.time_unix_nano.to_string();
                let not_digit = |at: Option<&u8>| !at.is_some_and(u8::is_ascii_digit);
                find_all(digits.as_bytes())
                    .into_iter()
                    .filter(|at| digits.len() == 19 && not_digit(at.checked_sub(1).and_then(|it| bytes.get(it))) && not_digit(bytes.get(at + 19)))
                    .collect()
            }
        };
        let [at] = found[..] else { return None };
        times.push(at);
    }
    Some(Encoded { bytes, numbers, times })
}

/// The `sequence`-th body from its template's pre-encoded bytes: what [`body`] would encode.
fn patched(encoded: &Encoded, templates: usize, sequence: usize, batch: usize, sessions: usize, encoding: Encoding) -> Option<Vec<u8>> {
    let shift = (sequence / templates) as u64 * (templates * batch) as u64 * 1_000_000;
    let number = format!("{:08}", sequence % sessions.max(1));
    if number.len() != 8 {
        return None;
    }
    let mut bytes = encoded.bytes.clone();
    for &at in &encoded.numbers {
        bytes[at..at + 8].copy_from_slice(number.as_bytes());
    }
    for &at in &encoded.times {
        match encoding {
            Encoding::Protobuf => {
                let time = u64::from_le_bytes(bytes[at..at + 8].try_into().ok()?) + shift;
                bytes[at..at + 8].copy_from_slice(&time.to_le_bytes());
            }
            Encoding::Json => {
                let time: u64 = std::str::from_utf8(&bytes[at..at + 19]).ok()?.parse().ok()?;
                let text = (time + shift).to_string();
                if text.len() != 19 {
                    return None;
                }
                bytes[at..at + 19].copy_from_slice(text.as_bytes());
            }
        }
    }
    Some(bytes)
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(address: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let writer = stream.try_clone()?;
        Ok(Connection { reader: BufReader::new(stream), writer })
    }

    /// Posts a body, returns the status and the response body.
    fn post(&mut self, address: SocketAddr, content_type: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST /v1/logs HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes())?;
        self.writer.write_all(body)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|it| it.parse().ok()).context("no HTTP status line")?;
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                bail!("connection closed in the headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
        let mut response = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                response.extend_from_slice(&chunk[..size]);
            }
        } else {
            response.resize(length, 0);
            self.reader.read_exact(&mut response)?;
        }
        Ok((status, response))
    }
}

/// Rejected log records reported in an `ExportLogsServiceResponse`.
fn rejected(encoding: Encoding, response: &[u8]) -> usize {
    match encoding {
        Encoding::Protobuf => {
            opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse::decode(response)
                .ok()
                .and_then(|it| it.partial_success)
                .map_or(0, |it| it.rejected_log_records.max(0) as usize)
        }
        Encoding::Json => serde_json::from_slice::<serde_json::Value>(response)
            .ok()
            .and_then(|it| {
                let value = it.get("partialSuccess")?.get("rejectedLogRecords")?.clone();
                value.as_u64().or_else(|| value.as_str()?.parse().ok())
            })
            .map_or(0, |it| it as usize),
    }
}

#[derive(Default)]
struct ThreadResult {
    latencies_us: Vec<u64>,
    accepted: usize,
    errors: usize,
}

fn memory(pid: u32) -> (Option<u64>, Option<u64>) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|it| it.starts_with(name)).and_then(|it| it.split_whitespace().nth(1)).and_then(|it| it.parse::<u64>().ok())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`: on a shared
/// machine the rate moves with the load, but CPU per request does not, so it is printed too.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Bytes the process had sent to the storage layer (`write_bytes` of `/proc/<pid>/io`): the
/// WAL, the checkpoints into the database file, every thread.
fn disk_writes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines().find_map(|line| line.strip_prefix("write_bytes:")).and_then(|it| it.trim().parse().ok())
}

fn drive(config: &LoadConfig, address: SocketAddr, templates: &[ExportRequest], pid: Option<u32>) -> Result<()> {
    let content_type = match config.encoding {
        Encoding::Json => "application/json",
        Encoding::Protobuf => "application/x-protobuf",
    };
    let encoded: Vec<Option<Encoded>> =
        (0..templates.len()).map(|index| pre_encode(templates, index, config.batch, config.sessions, config.encoding)).collect();
    let on_the_fly = encoded.iter().filter(|it| it.is_none()).count();
    if on_the_fly > 0 {
        println!("load: {on_the_fly} of {} templates are encoded per request (a record time not found exactly once in the bytes)", templates.len());
    }
    let encoded = Arc::new(encoded);
    let templates = Arc::new(templates.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let collector_cpu_before = pid.and_then(|it| cpu_seconds(&it.to_string()));
    let collector_writes_before = pid.and_then(disk_writes);
    let client_cpu_before = cpu_seconds("self");
    let mut threads = Vec::new();
    for _ in 0..config.connections {
        let (templates, encoded, next, stop) = (Arc::clone(&templates), Arc::clone(&encoded), Arc::clone(&next), Arc::clone(&stop));
        let (encoding, batch, sessions) = (config.encoding, config.batch, config.sessions);
        threads.push(std::thread::spawn(move || {
            let mut res = ThreadResult::default();
            let mut connection = None;
            while !stop.load(Ordering::Relaxed) {
                let sequence = next.fetch_add(1, Ordering::Relaxed);
                let body = encoded[sequence % templates.len()]
                    .as_ref()
                    .and_then(|it| patched(it, templates.len(), sequence, batch, sessions, encoding))
                    .unwrap_or_else(|| body(&templates, sequence, batch, sessions, encoding));
                if connection.is_none() {
                    connection = Connection::open(address).ok();
                }
                let Some(open) = connection.as_mut() else {
                    res.errors += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let sent = Instant::now();
                match open.post(address, content_type, &body) {
                    Ok((200, response)) => {
                        res.latencies_us.push(sent.elapsed().as_micros() as u64);
                        res.accepted += batch.saturating_sub(rejected(encoding, &response));
                    }
                    Ok(_) => res.errors += 1,
                    Err(_) => {
                        res.errors += 1;
                        connection = None;
                    }
                }
            }
            res
        }));
    }
    // Memory after each third of the run: flat means streaming, growth means buffering.
    let mut rss_samples = Vec::new();
    for third in 1..=3u64 {
        let until = started + Duration::from_millis(config.seconds * 1000 * third / 3);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        if let Some(pid) = pid {
            rss_samples.push(memory(pid).0);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let (mut accepted, mut errors) = (0usize, 0usize);
    for thread in threads {
        let res = thread.join().unwrap_or_default();
        latencies.extend(res.latencies_us);
        accepted += res.accepted;
        errors += res.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let collector_cpu = pid.and_then(|it| cpu_seconds(&it.to_string())).zip(collector_cpu_before).map(|(after, before)| after - before);
    let collector_writes = pid.and_then(disk_writes).zip(collector_writes_before).map(|(after, before)| after.saturating_sub(before));
    let client_cpu = cpu_seconds("self").zip(client_cpu_before).map(|(after, before)| after - before);
    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index] as f64 / 1000.0
    };
    println!("| figure | value |");
    println!("|---|---|");
    println!("| requests acknowledged (200) | {} |", latencies.len());
    println!("| log records accepted | {accepted} |");
    println!("| errors (non-200 or I/O) | {errors} |");
    println!("| elapsed | {elapsed:.1} s |");
    println!("| accepted records/s | {:.0} |", accepted as f64 / elapsed);
    println!("| requests/s | {:.0} |", latencies.len() as f64 / elapsed);
    println!("| latency p50 | {:.2} ms |", percentile(0.50));
    println!("| latency p99 | {:.2} ms |", percentile(0.99));
    println!("| latency max | {:.2} ms |", latencies.last().map_or(f64::NAN, |it| *it as f64 / 1000.0));
    if let Some(pid) = pid {
        let mib = |kib: Option<u64>| kib.map_or("?".to_owned(), |it| format!("{:.1} MiB", it as f64 / 1024.0));
        let samples: Vec<String> = rss_samples.iter().map(|it| mib(*it)).collect();
        println!("| collector RSS after each third | {} |", samples.join(", "));
        println!("| collector peak RSS (VmHWM) | {} |", mib(memory(pid).1));
    }
    let per_request = |cpu: Option<f64>| match cpu {
        Some(seconds) if !latencies.is_empty() => format!(
            "{seconds:.1} s ({:.0}% of one core), {:.2} ms per request",
            seconds / elapsed * 100.0,
            seconds * 1000.0 / latencies.len() as f64
        ),
        _ => "?".to_owned(),
    };
    if pid.is_some() {
        println!("| collector CPU (user + system) | {} |", per_request(collector_cpu));
        if let (Some(bytes), false) = (collector_writes, latencies.is_empty()) {
            println!(
                "| collector disk writes | {:.1} MiB, {:.1} KiB per request |",
                bytes as f64 / 1048576.0,
                bytes as f64 / 1024.0 / latencies.len() as f64
            );
        }
    }
    println!("| load client CPU (user + system) | {} |", per_request(client_cpu));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patching pre-encoded bytes is only a shortcut: it must give exactly the body encoding
    /// the request would, for any sequence number, session count and encoding.
    #[test]
    fn patched_bodies_equal_encoded_ones() {
        let corpus = crate::record::xtask_dir().parent().expect("repository").join("corpus");
        let batch = 100;
        let config = LoadConfig {
            url: None,
            binary: PathBuf::new(),
            seconds: 1,
            connections: 1,
            batch,
            sessions: 1,
            encoding: Encoding::Protobuf,
            merge_window: 60,
        };
        // The templates depend on the batch size only.
        let templates = build_requests(&corpus, &config).expect("templates");
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            for sessions in [1, 1000] {
                let mut patched_count = 0;
                for sequence in [0, 5, templates.len() + 1, templates.len() * 3 + 2, 99_999] {
                    let index = sequence % templates.len();
                    let Some(encoded) = pre_encode(&templates, index, batch, sessions, encoding) else { continue };
                    let patched = patched(&encoded, templates.len(), sequence, batch, sessions, encoding).expect("patch");
                    assert!(patched == body(&templates, sequence, batch, sessions, encoding), "{encoding:?} {sessions} {sequence}");
                    patched_count += 1;
                }
                assert!(patched_count > 0, "no template could be pre-encoded ({encoding:?})");
            }
        }
    }
}
