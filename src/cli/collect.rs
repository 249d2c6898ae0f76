//! `codetel collect`: run the reference collector until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use codetel::collector::auth::Tokens;
use codetel::collector::forward::{ForwardConfig, Protocol};
use codetel::collector::{self, Config, DEFAULT_MAX_BODY_BYTES};
use codetel::schema::CaptureMode;

use super::sessions::IdentityArgs;
use super::DbArg;

/// `codetel collect`.
#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// OTLP/HTTP listen address (JSON and protobuf, gzip).
    #[arg(long, default_value = "127.0.0.1:4318")]
    http: SocketAddr,
    /// Do not listen for OTLP/HTTP.
    #[arg(long)]
    no_http: bool,
    /// OTLP/gRPC listen address (off unless given), for example 127.0.0.1:4317.
    #[arg(long)]
    grpc: Option<SocketAddr>,
    #[command(flatten)]
    db: DbArg,
    /// Privacy mode of the stored records: minimal, metadata-only or full.
    #[arg(long, default_value = "metadata-only", value_parser = parse_mode)]
    capture_mode: CaptureMode,
    /// Answer 415 to protobuf, like a JSON-only backend.
    #[arg(long)]
    json_only: bool,
    /// Largest request body, before and after decompression.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Requests read, decoded or stored at once; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// Tokens file: one `tenant:token` (or bare `token`) per line. Required off loopback.
    #[arg(long, value_name = "FILE")]
    auth_tokens_file: Option<PathBuf>,
    /// Environment variable holding tokens in the same format.
    #[arg(long, value_name = "VAR")]
    auth_tokens_env: Option<String>,
    /// Header a token may also come in (besides Authorization: Bearer or Basic), e.g. X-ScoreFlow-Token.
    #[arg(long, value_name = "NAME")]
    auth_header: Option<String>,
    /// Do not keep request bodies (only their hash); `codetel export` then has nothing to export.
    #[arg(long)]
    no_raw_bodies: bool,
    /// Seconds during which a later log or trace request of the same session is normalized
    /// together with an earlier one (span/event twins merge as in `normalize`); forwarding
    /// waits this long. 0 normalizes each request alone.
    #[arg(long, default_value_t = 60)]
    merge_window_seconds: u64,
    /// Also write every request into this capture folder as it arrives (corpus layout).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Forward canonical records as OTLP logs to this endpoint.
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// Forwarding protocol: http/json, http/protobuf or grpc.
    #[arg(long, default_value = "http/protobuf", value_parser = parse_protocol)]
    forward_protocol: Protocol,
    /// A header sent upstream, `K=V` (repeat). Put secrets in --forward-headers-env instead.
    #[arg(long = "forward-header", value_name = "K=V", value_parser = parse_header)]
    forward_headers: Vec<(String, String)>,
    /// Environment variable holding upstream headers as `k=v,k2=v2` (the OTEL_EXPORTER_OTLP_HEADERS format).
    #[arg(long, value_name = "VAR")]
    forward_headers_env: Option<String>,
    /// Payloads waiting for the upstream before new requests get 503.
    #[arg(long, default_value_t = 100_000)]
    forward_queue_max: usize,
}

fn parse_mode(text: &str) -> Result<CaptureMode, String> {
    CaptureMode::parse(text).ok_or_else(|| format!("`{text}`: expected minimal, metadata-only or full"))
}

fn parse_protocol(text: &str) -> Result<Protocol, String> {
    Protocol::parse(text).ok_or_else(|| format!("`{text}`: expected http/json, http/protobuf or grpc"))
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.trim().to_owned())),
        _ => Err("expected K=V".to_owned()),
    }
}

/// Parses `k=v,k2=v2` (values percent-decoded as the OTLP exporter spec says for `%20`, `%2C`, `%3D`).
fn parse_header_list(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|it| !it.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            anyhow::bail!("a header entry is not `k=v` (entry {} of the list)", headers.len() + 1);
        };
        let value = value.trim().replace("%20", " ").replace("%2C", ",").replace("%3D", "=").replace("%25", "%");
        headers.push((name.trim().to_owned(), value));
    }
    Ok(headers)
}

fn config(args: CollectArgs) -> anyhow::Result<Config> {
    let mut config = Config::new(args.db.db);
    config.http = (!args.no_http).then_some(args.http);
    config.grpc = args.grpc;
    config.capture_mode = args.capture_mode;
    config.json_only = args.json_only;
    config.max_body_bytes = args.max_body_bytes;
    config.max_in_flight = args.max_in_flight;
    config.keep_raw_bodies = !args.no_raw_bodies;
    config.merge_window = Duration::from_secs(args.merge_window_seconds);
    config.record_dir = args.record;
    config.identity = args.identity.policy();
    let mut tokens: Option<Tokens> = None;
    if let Some(path) = &args.auth_tokens_file {
        tokens = Some(Tokens::from_file(path, args.auth_header.clone())?);
    }
    if let Some(name) = &args.auth_tokens_env {
        let more = Tokens::from_env(name, args.auth_header.clone())?;
        match &mut tokens {
            Some(existing) => existing.extend(more),
            None => tokens = Some(more),
        }
    }
    if args.auth_header.is_some() && tokens.is_none() {
        anyhow::bail!("--auth-header needs tokens: --auth-tokens-file FILE or --auth-tokens-env VAR");
    }
    config.tokens = tokens;
    if let Some(url) = args.forward {
        let mut headers = args.forward_headers;
        if let Some(name) = &args.forward_headers_env {
            let text = std::env::var(name).with_context(|| format!("environment variable {name}"))?;
            headers.extend(parse_header_list(&text).with_context(|| format!("${name}"))?);
        }
        config.forward = Some(ForwardConfig {
            url,
            protocol: args.forward_protocol,
            headers,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        });
        config.forward_queue_max = args.forward_queue_max;
    }
    Ok(config)
}

/// SIGTERM and SIGINT, installed before the listeners open so a signal arriving during
/// start-up is not the default (immediate) termination.
struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// Runs `codetel collect` until SIGINT or SIGTERM; exits 0 after a clean shutdown.
pub fn run(args: CollectArgs) -> anyhow::Result<()> {
    let config = config(args)?;
    let db = config.db.clone();
    let mode = config.capture_mode;
    let auth = config.tokens.is_some();
    let forward = config.forward.as_ref().map(|it| it.url.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let mut signals = Signals::install()?;
        let running = collector::start(config).await?;
        if let Some(address) = running.http_addr {
            eprintln!("codetel collect: OTLP/HTTP on http://{address} (/v1/logs, /v1/metrics, /v1/traces; JSON and protobuf)");
        }
        if let Some(address) = running.grpc_addr {
            eprintln!("codetel collect: OTLP/gRPC on {address}");
        }
        eprintln!(
            "codetel collect: database {}, capture mode {}, authentication {}{}",
            db.display(),
            mode.as_str(),
            if auth { "on" } else { "off (loopback only)" },
            forward.map(|it| format!(", forwarding to {it}")).unwrap_or_default()
        );
        let signal = signals.next().await;
        eprintln!("codetel collect: {signal}: finishing in-flight requests");
        running.shutdown().await.map_err(|error| anyhow::anyhow!(error))?;
        eprintln!("codetel collect: stopped");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_use_the_otlp_exporter_format() -> anyhow::Result<()> {
        let headers = parse_header_list("x-token=a%3Db, authorization=Basic%20abc")?;
        assert_eq!(
            headers,
            vec![("x-token".to_owned(), "a=b".to_owned()), ("authorization".to_owned(), "Basic abc".to_owned())]
        );
        assert!(parse_header_list("novalue").is_err());
        Ok(())
    }
}
