//! The reference collector behind `codetel collect`: a spec-exact OTLP receiver (HTTP and
//! gRPC) that normalizes what it receives, stores raw requests and canonical records in
//! SQLite, answers session queries, records captures and forwards upstream.
//!
//! - [`http`]: OTLP/HTTP (`/v1/logs`, `/v1/metrics`, `/v1/traces`, JSON and protobuf on one
//!   port, gzip) and the read API (`/api/sessions`, `/api/sessions/{id}`, `/api/status`,
//!   `/api/records`);
//! - [`grpc`]: OTLP/gRPC with the `opentelemetry-proto` tonic services;
//! - [`auth`]: tokens, tenants, constant-time checks;
//! - [`ingest`]: decode → normalize → metric deltas against stored state → one transaction;
//! - [`status`]: OTLP responses and `google.rpc.Status`;
//! - [`canonical_otlp`]: canonical records as OTLP logs and back (the forwarding format);
//! - [`forward`]: the upstream queue and its retry rules;
//! - [`record`]: capture folders in the corpus layout (`--record`, `codetel export`).
//!
//! A request is acknowledged only after its transaction commits; shutdown stops accepting,
//! lets in-flight requests finish, stops the forwarder (its queue stays in the database) and
//! checkpoints the database.

pub mod auth;
pub mod canonical_otlp;
pub mod forward;
pub mod grpc;
pub mod http;
pub mod ingest;
pub mod record;
pub mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::normalize::Options;
use crate::schema::CaptureMode;
use crate::store::sessions::IdentityPolicy;
use crate::store::{Store, StoreError};

use self::auth::Tokens;
use self::forward::ForwardConfig;
use self::ingest::{ForwardQueueing, Ingestor};

/// The OTLP default body limit: 64 MiB after decompression.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 << 20;

/// Now, in Unix nanoseconds.
pub fn unix_nanos_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|it| it.as_nanos() as u64).unwrap_or(0)
}

/// Everything `codetel collect` can be told.
#[derive(Debug)]
pub struct Config {
    /// OTLP/HTTP listen address (`None`: no HTTP).
    pub http: Option<SocketAddr>,
    /// OTLP/gRPC listen address (`None`: no gRPC).
    pub grpc: Option<SocketAddr>,
    /// The database file.
    pub db: PathBuf,
    /// Privacy mode of the stored records.
    pub capture_mode: CaptureMode,
    /// Tokens; `None` turns authentication off (allowed on loopback only).
    pub tokens: Option<Tokens>,
    /// Answer 415 to protobuf.
    pub json_only: bool,
    /// Body limit, before and after decompression.
    pub max_body_bytes: usize,
    /// Requests read, decoded or stored at once; more get 503.
    pub max_in_flight: usize,
    /// Time a client has to send its body.
    pub body_timeout: Duration,
    /// `Retry-After` seconds sent with 503.
    pub retry_after_seconds: u64,
    /// Keep request bodies in the database (needed for `codetel export` and for the merge
    /// window).
    pub keep_raw_bodies: bool,
    /// How long after a log or trace request a later request of the same session is still
    /// normalized together with it (so an adapter can merge a span into the event describing
    /// the same call, as `normalize` does for a whole capture). Forwarding of a request waits
    /// until its window has closed. Zero: every request is normalized alone.
    pub merge_window: Duration,
    /// Write each request into this capture folder as it arrives.
    pub record_dir: Option<PathBuf>,
    /// Who the user is, which session is a subagent's parent.
    pub identity: IdentityPolicy,
    /// Forward canonical records upstream.
    pub forward: Option<ForwardConfig>,
    /// The most payloads waiting for the upstream before ingest answers 503.
    pub forward_queue_max: usize,
}

impl Config {
    /// Defaults: HTTP on 127.0.0.1:4318, no gRPC, `metadata_only`, no auth, 64 MiB, 64 in
    /// flight, raw bodies kept, no forwarding.
    pub fn new(db: PathBuf) -> Config {
        Config {
            http: Some(SocketAddr::from(([127, 0, 0, 1], 4318))),
            grpc: None,
            db,
            capture_mode: CaptureMode::MetadataOnly,
            tokens: None,
            json_only: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_in_flight: 64,
            body_timeout: Duration::from_secs(30),
            retry_after_seconds: 1,
            keep_raw_bodies: true,
            merge_window: Duration::from_secs(60),
            record_dir: None,
            identity: IdentityPolicy::default(),
            forward: None,
            forward_queue_max: 100_000,
        }
    }
}

/// Why the collector did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is refused (for example no authentication on a public address).
    #[error("{0}")]
    Config(String),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A listener could not be bound, or the record folder created.
    #[error("{what}: {cause}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        cause: std::io::Error,
    },
}

/// A running collector.
#[derive(Debug)]
pub struct Running {
    /// The bound HTTP address.
    pub http_addr: Option<SocketAddr>,
    /// The bound gRPC address.
    pub grpc_addr: Option<SocketAddr>,
    shutdown: tokio::sync::watch::Sender<bool>,
    servers: Vec<tokio::task::JoinHandle<Result<(), String>>>,
    forwarder: Option<tokio::task::JoinHandle<()>>,
    ingestor: Arc<Ingestor>,
}

/// Refuses to listen on a non-loopback address without authentication.
pub fn check_auth_required(addresses: &[SocketAddr], has_tokens: bool) -> Result<(), StartError> {
    if has_tokens {
        return Ok(());
    }
    match addresses.iter().find(|it| !it.ip().is_loopback()) {
        Some(address) => Err(StartError::Config(format!(
            "listening on {address} (not a loopback address) requires authentication: \
             give tokens with --auth-tokens-file FILE or --auth-tokens-env VAR"
        ))),
        None => Ok(()),
    }
}

/// Opens the database, binds the listeners and starts serving.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let addresses: Vec<SocketAddr> = config.http.iter().chain(config.grpc.iter()).copied().collect();
    if addresses.is_empty() {
        return Err(StartError::Config("nothing to listen on: give --http or --grpc".to_owned()));
    }
    check_auth_required(&addresses, config.tokens.is_some())?;
    if let Some(forward) = &config.forward {
        forward::validate(forward).map_err(StartError::Config)?;
    }
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&db)?;
        // Requests wait for the commit: checkpoints run beside it, not in it, and its fsync
        // runs outside the store's lock.
        store.checkpoint_in_background()?;
        store.sync_commits_outside()?;
        Ok::<Store, crate::store::StoreError>(store)
    })
        .await
        .map_err(|error| StartError::Config(format!("opening the database: {error}")))??;
    let forward_queueing = config
        .forward
        .as_ref()
        .map(|it| ForwardQueueing { protobuf: it.protocol.protobuf(), max_pending: config.forward_queue_max });
    let record_dir = config.record_dir.clone();
    let ingestor = Arc::new(
        Ingestor::new(
            store,
            Options::new(config.capture_mode),
            config.keep_raw_bodies,
            config.identity.clone(),
            forward_queueing,
            record_dir.clone(),
            if config.keep_raw_bodies { config.merge_window } else { Duration::ZERO },
        )
        .map_err(|cause| StartError::Io {
            what: format!("--record {}", record_dir.map(|it| it.display().to_string()).unwrap_or_default()),
            cause,
        })?,
    );
    let tokens = config.tokens.map(Arc::new);
    let permits = Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1)));
    let (shutdown, _) = tokio::sync::watch::channel(false);
    let mut servers = Vec::new();

    let mut http_addr = None;
    if let Some(address) = config.http {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|cause| StartError::Io { what: format!("binding --http {address}"), cause })?;
        http_addr = listener.local_addr().ok();
        let state = Arc::new(http::HttpState {
            ingestor: ingestor.clone(),
            tokens: tokens.clone(),
            max_body_bytes: config.max_body_bytes,
            json_only: config.json_only,
            body_timeout: config.body_timeout,
            permits: permits.clone(),
            retry_after_seconds: config.retry_after_seconds,
        });
        let mut stop = shutdown.subscribe();
        servers.push(tokio::spawn(async move {
            axum::serve(listener, http::router(state))
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|it| *it).await;
                })
                .await
                .map_err(|error| format!("HTTP server: {error}"))
        }));
    }

    let mut grpc_addr = None;
    if let Some(address) = config.grpc {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|cause| StartError::Io { what: format!("binding --grpc {address}"), cause })?;
        grpc_addr = listener.local_addr().ok();
        let (logs, metrics, traces) = grpc::services(grpc::GrpcState {
            ingestor: ingestor.clone(),
            tokens: tokens.clone(),
            max_body_bytes: config.max_body_bytes,
            permits: permits.clone(),
        });
        let mut stop = shutdown.subscribe();
        servers.push(tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(logs)
                .add_service(metrics)
                .add_service(traces)
                .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), async move {
                    let _ = stop.wait_for(|it| *it).await;
                })
                .await
                .map_err(|error| format!("gRPC server: {error}"))
        }));
    }

    let forwarder = config.forward.map(|forward_config| {
        let stop = shutdown.subscribe();
        tokio::spawn(forward::run(ingestor.clone(), forward_config, stop))
    });
    Ok(Running { http_addr, grpc_addr, shutdown, servers, forwarder, ingestor })
}

impl Running {
    /// The shared ingest state (tests and the CLI read the database through it).
    pub fn ingestor(&self) -> &Arc<Ingestor> {
        &self.ingestor
    }

    /// Stops accepting, lets in-flight requests finish, stops the forwarder and checkpoints
    /// the database. Errors of the servers are returned after everything stopped.
    pub async fn shutdown(self) -> Result<(), String> {
        let _ = self.shutdown.send(true);
        let mut errors = Vec::new();
        for server in self.servers {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => errors.push(error),
                Err(error) => errors.push(format!("server task: {error}")),
            }
        }
        if let Some(forwarder) = self.forwarder {
            let _ = forwarder.await;
        }
        let ingestor = self.ingestor.clone();
        let checkpoint = tokio::task::spawn_blocking(move || ingestor.with_store(|store| store.checkpoint())).await;
        if let Ok(Err(error)) = checkpoint {
            errors.push(error.to_string());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}
