//! A tiny HTTP/1.1 server on loopback for the recorder's mock model and OTLP capture servers.
//!
//! Hand-written on `std::net` on purpose: the capture server must see each request body exactly
//! as it was sent (de-chunked, never decompressed or re-encoded), and the mock must control every
//! byte it answers. One thread per connection, keep-alive honoured, no TLS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Largest request body accepted; OTLP exports and model requests are far smaller.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// Longest header line accepted.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long a kept-alive connection may sit idle before the server drops it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, `HEAD`, ...
    pub method: String,
    /// The request target (path plus query).
    pub target: String,
    /// Header names as sent (case kept) with their values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body after removing chunked transfer framing; content encodings are left alone.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The path without its query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// An answer to send back.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers (`Content-Length` and `Connection` are added by the server).
    pub headers: Vec<(String, String)>,
    /// The full body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body and its content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, "application/json", value.to_string())
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// Turns a request into a response. Must not panic; a panic only loses that one connection.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A running server; dropping it does not stop it, call [`Server::stop`].
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1` on a free port and serves `handler` until stopped.
    pub fn start(name: &str, handler: Handler) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .with_context(|| format!("binding the {name} server on 127.0.0.1"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // Non-blocking accept so the loop can notice the stop flag.
        listener
            .set_nonblocking(true)
            .context("making the listener non-blocking")?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let server_name = name.to_string();
        let accept_thread = std::thread::Builder::new()
            .name(format!("{name}-accept"))
            .spawn(move || accept_loop(&server_name, &listener, &handler, &stop_flag))
            .with_context(|| format!("spawning the {name} accept thread"))?;
        Ok(Self {
            addr,
            stop,
            accept_thread: Some(accept_thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections. Open connections end when their client closes them.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            // The accept loop never panics on I/O; a join error only means it already ended.
            let _ = thread.join();
        }
    }
}

fn accept_loop(name: &str, listener: &TcpListener, handler: &Handler, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _peer)) => {
                let handler = Arc::clone(handler);
                let conn_name = name.to_string();
                let spawned = std::thread::Builder::new()
                    .name(format!("{name}-conn"))
                    .spawn(move || {
                        if let Err(err) = serve_connection(stream, &handler) {
                            eprintln!("[{conn_name}] connection ended: {err:#}");
                        }
                    });
                if let Err(err) = spawned {
                    eprintln!("[{name}] could not spawn a connection thread: {err}");
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(err) => {
                eprintln!("[{name}] accept failed: {err}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn serve_connection(stream: TcpStream, handler: &Handler) -> Result<()> {
    // Accepted sockets inherit non-blocking mode on some platforms; we want blocking reads.
    stream
        .set_nonblocking(false)
        .context("making the connection blocking")?;
    stream
        .set_read_timeout(Some(IDLE_TIMEOUT))
        .context("setting the read timeout")?;
    let mut writer = stream.try_clone().context("cloning the connection")?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader, &mut writer)? else {
            return Ok(());
        };
        let wants_close = request
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let response = handler(&request);
        write_response(&mut writer, &request, &response, wants_close)?;
        if wants_close {
            return Ok(());
        }
    }
}

/// Reads one request; `Ok(None)` when the client closed the connection between requests.
pub fn read_request(reader: &mut impl BufRead, writer: &mut impl Write) -> Result<Option<Request>> {
    let Some(request_line) = read_line(reader)? else {
        return Ok(None);
    };
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        bail!("malformed request line {request_line:?}");
    };
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader)? else {
            bail!("connection closed inside the headers");
        };
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            bail!("malformed header line {line:?}");
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
    };
    if request
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        writer
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .context("writing 100 Continue")?;
    }
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    request.body = if chunked {
        read_chunked_body(reader)?
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length
            .parse()
            .with_context(|| format!("bad Content-Length {length:?}"))?;
        if length > MAX_BODY_BYTES {
            bail!("body of {length} bytes is too large");
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).context("reading the body")?;
        body
    } else {
        Vec::new()
    };
    Ok(Some(request))
}

fn read_chunked_body(reader: &mut impl BufRead) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let Some(size_line) = read_line(reader)? else {
            bail!("connection closed inside a chunked body");
        };
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size line {size_line:?}"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                match read_line(reader)? {
                    Some(line) if !line.is_empty() => continue,
                    _ => break,
                }
            }
            return Ok(body);
        }
        if body.len() + size > MAX_BODY_BYTES {
            bail!("chunked body is too large");
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .context("reading a chunk")?;
        let mut crlf = [0u8; 2];
        reader
            .read_exact(&mut crlf)
            .context("reading the chunk terminator")?;
    }
}

/// Reads a CRLF- or LF-terminated line without its terminator; `None` at a clean EOF.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
        .context("reading a line")?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        bail!("line too long or cut off");
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn write_response(
    writer: &mut impl Write,
    request: &Request,
    response: &Response,
    close: bool,
) -> Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason_phrase(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    head.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    writer
        .write_all(head.as_bytes())
        .context("writing the response head")?;
    if request.method != "HEAD" {
        writer
            .write_all(&response.body)
            .context("writing the response body")?;
    }
    writer.flush().context("flushing the response")
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Request {
        let mut reader = std::io::Cursor::new(raw.to_vec());
        let mut sink = Vec::new();
        read_request(&mut reader, &mut sink)
            .expect("parses")
            .expect("has a request")
    }

    #[test]
    fn chunked_body_is_dechunked_byte_for_byte() {
        let request = parse(
            b"POST /v1/logs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\x00\x01\x02\r\n2;ext=1\r\nab\r\n0\r\n\r\n",
        );
        assert_eq!(request.body, b"\x00\x01\x02ab");
        assert_eq!(request.path(), "/v1/logs");
    }

    #[test]
    fn content_length_body_and_query_are_read() {
        let request = parse(b"POST /v1/messages?beta=true HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(request.body, b"{}");
        assert_eq!(request.path(), "/v1/messages");
        assert_eq!(request.target, "/v1/messages?beta=true");
    }
}
