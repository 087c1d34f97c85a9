//! `grpc://host:port[/service]` (`grpcs://` over TLS): ready when the
//! standard health service (`grpc.health.v1.Health/Check`) answers SERVING
//! for the service, or for the whole server when none is named — the check
//! Kubernetes' gRPC probes and `grpc_health_probe` make. `#header=Name:value`
//! (repeatable) sends metadata with the call (a `user-agent` replaces
//! waitfor's); `#servername=NAME` is the name a grpcs server's certificate is
//! checked against (and sent as SNI) instead of the URL's host.
//!
//! gRPC is HTTP/2, spoken here through the `h2` crate rather than a gRPC
//! framework: the one call is a POST whose body and answer are a few bytes of
//! protobuf, written and read by hand below. NOT_SERVING, UNKNOWN and an
//! unknown service (NOT_FOUND) are not ready, and say which; a server without
//! the health service (UNIMPLEMENTED) is not ready, saying the health service
//! is missing; a server that does not answer in HTTP/2 with a gRPC reply is
//! "not gRPC", quoting what it said. Each attempt ends its connection with a
//! GOAWAY, as a client that is done does.

use std::io::ErrorKind;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsConnector;

use super::http::Header;
use super::outcome::{Failure, Ready, Stage};
use super::tls::{self, Tls};
use super::wire::{self, Io, MOST_READ, preview};
use crate::human;
use crate::url::{Endpoint, Host, Url, percent_decoded};

const CHECK: &str = "/grpc.health.v1.Health/Check";

#[derive(Clone)]
pub struct Grpc {
    endpoint: Endpoint,
    tls: Option<TlsConnector>,
    /// Whether TLS shows the server a client certificate.
    client_identity: bool,
    /// `scheme://authority/grpc.health.v1.Health/Check`.
    uri: String,
    /// The service asked about; empty for the whole server.
    service: String,
    /// Metadata sent with the call.
    headers: Vec<Header>,
    /// The name TLS checks instead of the URL's host.
    server_name: Option<Host>,
}

impl Grpc {
    pub fn from_url(url: &Url, tls: &Tls) -> Result<Self, String> {
        url.without_credentials()?;
        let (connector, scheme) = match url.scheme.as_str() {
            "grpcs" => (Some(tls.http2_connector()?), "https"),
            _ => (None, "http"),
        };
        let service = percent_decoded(url.path.strip_prefix('/').unwrap_or(url.path))?;
        if service.contains(['?', '/']) {
            return Err(format!(
                "\"{}\" is not a gRPC service name (write it as package.Service)",
                human::quoted(&service)
            ));
        }
        let keys = url.keys()?;
        let headers = keys
            .iter()
            .filter(|key| key.name == "header")
            .map(|key| key.value.parse())
            .collect::<Result<_, _>>()
            .map_err(|error| format!("#header: {error}"))?;
        let server_name = match keys.iter().rfind(|key| key.name == "servername") {
            Some(_) if connector.is_none() => {
                return Err("#servername: only a grpcs:// target uses TLS".into());
            }
            Some(key) => Some(Host::parse(&key.value).map_err(|e| format!("#servername: {e}"))?),
            None => None,
        };
        Ok(Grpc {
            endpoint: url.endpoint(None)?,
            tls: connector,
            client_identity: tls.has_identity(),
            uri: format!("{scheme}://{}{CHECK}", url.authority),
            service,
            headers,
            server_name,
        })
    }

    /// The connection, TLS checking the server name given if there is one.
    async fn open(&self) -> Result<Box<dyn Io>, Failure> {
        match (&self.tls, &self.server_name) {
            (Some(connector), Some(name)) => {
                let stream = wire::connect(&self.endpoint).await?;
                let stream = tls::handshake(connector, name, stream)
                    .await
                    .map_err(|failure| failure.at(Stage::Connect))?;
                Ok(Box::new(stream))
            }
            _ => wire::open(&self.endpoint, self.tls.as_ref()).await,
        }
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let io = self.open().await?;
        let (io, heard) = Heard::new(io);
        let heard = &*heard;
        // h2 would take a 16 MiB header block from a server, and a window of
        // 1 MiB: what one health answer needs is a small part of that.
        let (client, mut connection) = h2::client::Builder::new()
            .max_header_list_size(HEADERS_AT_MOST)
            .initial_window_size(MOST_READ as u32)
            .initial_connection_window_size(MOST_READ as u32)
            .enable_push(false)
            .handshake(io)
            .await
            .map_err(|error| self.failed(&error, heard))?;
        let mut call = Box::pin(self.call(client));
        let answer = tokio::select! {
            answer = &mut call => answer,
            ended = &mut connection => return Err(match ended {
                Err(error) => self.failed(&error, heard),
                Ok(()) => self.closed(heard),
            }),
        };
        let status = answer.map_err(|error| self.failed(&error, heard))??;
        // With the call and its handle gone, the connection says GOAWAY and closes.
        drop(call);
        let _ = connection.await;
        self.judged(status)
    }

    /// The health check's call: the answer's serving status, or why there is none.
    async fn call(&self, client: SendRequest<Bytes>) -> Result<Result<u64, Failure>, h2::Error> {
        let mut client = client.ready().await?;
        let mut request = http::Request::post(&self.uri)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("user-agent", concat!("waitfor/", env!("CARGO_PKG_VERSION")))
            .body(())
            .expect("the URI was parsed as a URL");
        // The user's metadata, each name replacing waitfor's value of it.
        let sent = request.headers_mut();
        for header in &self.headers {
            sent.remove(&header.name);
        }
        for header in &self.headers {
            sent.append(&header.name, header.value.clone());
        }
        let (response, mut body) = client.send_request(request, false)?;
        body.send_data(Bytes::from(framed(&request_message(&self.service))), true)?;
        let (head, mut answer) = response.await?.into_parts();
        if head.status != http::StatusCode::OK {
            return Ok(Err(Failure::new(format!(
                "not gRPC: the HTTP/2 server answered {}",
                head.status
            ))));
        }
        let content_type = head
            .headers
            .get("content-type")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        if !content_type.starts_with("application/grpc") {
            return Ok(Err(Failure::new(format!(
                "not gRPC: the HTTP/2 server answered with content-type {}",
                preview(content_type.as_bytes())
            ))));
        }
        // A call refused at once is answered by headers alone ("trailers-only").
        if let Some(refused) = call_failure(&head.headers, &self.named()) {
            return Ok(Err(refused));
        }
        let mut message = Vec::new();
        while let Some(data) = answer.data().await {
            let data = data?;
            let _ = answer.flow_control().release_capacity(data.len());
            message.extend_from_slice(&data);
            if message.len() > MOST_READ {
                return Ok(Err(Failure::new(
                    "the health service's answer is too large",
                )));
            }
        }
        let trailers = answer.trailers().await?.unwrap_or_default();
        if let Some(refused) = call_failure(&trailers, &self.named()) {
            return Ok(Err(refused));
        }
        Ok(serving_status(&message))
    }

    /// Why HTTP/2 failed, in words: what the server said instead when it was
    /// not HTTP/2, else the connection's error.
    fn failed(&self, error: &h2::Error, heard: &First) -> Failure {
        if let Some(not_http2) = not_http2(heard) {
            return not_http2;
        }
        if let Some(io) = error.get_io() {
            return match io.kind() {
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof => {
                    self.closed_quietly()
                }
                _ => Failure::new(tls::described(io)),
            };
        }
        match error.reason() {
            Some(reason) if error.is_go_away() && error.is_remote() => {
                Failure::new(format!("the server ended the HTTP/2 connection ({reason})"))
            }
            _ => Failure::new(format!("HTTP/2: {error}")),
        }
    }

    /// The connection ended before the answer did.
    fn closed(&self, heard: &First) -> Failure {
        not_http2(heard).unwrap_or_else(|| self.closed_quietly())
    }

    /// The connection ended before the answer, with nothing to quote.
    fn closed_quietly(&self) -> Failure {
        // gRPC servers (BoringSSL) refuse a client certificate, or its
        // absence, by closing without a TLS alert: only a guess can be given.
        Failure::new(match (&self.tls, self.client_identity) {
            (None, _) => "the server closed the connection before it answered",
            (Some(_), false) => {
                "the server closed the TLS connection before it answered: does it require a \
                 client certificate? (--client-cert, --client-key)"
            }
            (Some(_), true) => {
                "the server closed the TLS connection before it answered: did it refuse the \
                 client certificate?"
            }
        })
    }

    /// What the check is about, as messages name it.
    fn named(&self) -> String {
        match self.service.as_str() {
            "" => "the server".to_owned(),
            service => format!("service {service:?}"),
        }
    }

    /// Ready only for SERVING.
    fn judged(&self, status: u64) -> Result<Ready, Failure> {
        let named = self.named();
        let (failure, state) = match status {
            1 => return Ok(Ready::default()),
            0 => (
                format!("the health service says {named} is UNKNOWN (its status is not set yet)"),
                "UNKNOWN".to_owned(),
            ),
            2 => (
                format!("the health service says {named} is NOT_SERVING"),
                "NOT_SERVING".to_owned(),
            ),
            3 => (
                format!("the health service says {named} is SERVICE_UNKNOWN"),
                "SERVICE_UNKNOWN".to_owned(),
            ),
            other => (
                format!("the health service answered status {other} for {named}, not SERVING"),
                other.to_string(),
            ),
        };
        Err(Failure::new(failure).at(Stage::Answered(state)))
    }
}

/// A gRPC message as it goes on the wire: not compressed, its length, itself.
fn framed(message: &[u8]) -> Vec<u8> {
    let length = u32::try_from(message.len()).expect("a service name is short");
    let mut framed = vec![0];
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(message);
    framed
}

/// `HealthCheckRequest { string service = 1; }` in protobuf: nothing for "".
fn request_message(service: &str) -> Vec<u8> {
    if service.is_empty() {
        return Vec::new();
    }
    let mut message = vec![0x0a];
    let mut length = service.len();
    while length >= 0x80 {
        message.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    message.push(length as u8);
    message.extend_from_slice(service.as_bytes());
    message
}

/// The `status` of a framed `HealthCheckResponse { ServingStatus status = 1; }`
/// (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING; protobuf leaves out a 0).
fn serving_status(framed: &[u8]) -> Result<u64, Failure> {
    let malformed = || {
        Failure::new(format!(
            "the health service's answer is not a HealthCheckResponse ({})",
            preview(framed)
        ))
    };
    let (header, message) = framed.split_at_checked(5).ok_or_else(malformed)?;
    let &[compressed, a, b, c, d] = header else {
        return Err(malformed());
    };
    if compressed != 0 {
        return Err(Failure::new(
            "the health service's answer is compressed, which waitfor did not ask for",
        ));
    }
    let length = u32::from_be_bytes([a, b, c, d]) as usize;
    let message = message.get(..length).ok_or_else(malformed)?;
    let mut status = 0;
    for field in Fields(message) {
        match field.ok_or_else(malformed)? {
            (1, Value::Varint(value)) => status = value,
            (1, _) => return Err(malformed()),
            _ => {}
        }
    }
    Ok(status)
}

/// One protobuf field's value, as far as its wire type tells.
enum Value {
    Varint(u64),
    Other,
}

/// The fields of a protobuf message: `(number, value)`, or `None` where it is malformed.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn skip(&mut self, length: u64) -> Option<()> {
        let length = usize::try_from(length).ok()?;
        self.0 = self.0.get(length..)?;
        Some(())
    }

    fn field(&mut self) -> Option<(u64, Value)> {
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8).map(|()| Value::Other)?,
            2 => {
                let length = self.varint()?;
                self.skip(length).map(|()| Value::Other)?
            }
            5 => self.skip(4).map(|()| Value::Other)?,
            _ => return None,
        };
        Some((key >> 3, value))
    }
}

impl Iterator for Fields<'_> {
    type Item = Option<(u64, Value)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_none() {
            self.0 = &[];
        }
        Some(field)
    }
}

/// The call's failure, if `grpc-status` says it failed; `named` is what was asked about.
fn call_failure(headers: &http::HeaderMap, named: &str) -> Option<Failure> {
    let code = headers.get("grpc-status")?;
    let code = String::from_utf8_lossy(code.as_bytes());
    if code == "0" {
        return None;
    }
    let message = headers
        .get("grpc-message")
        .map(|message| {
            let text = String::from_utf8_lossy(message.as_bytes()).into_owned();
            percent_decoded(&text).unwrap_or(text)
        })
        .filter(|message| !message.is_empty())
        .map(|message| format!(": {message}"))
        .unwrap_or_default();
    Some(Failure::new(match code.as_ref() {
        "12" => format!("the server has no gRPC health service (UNIMPLEMENTED{message})"),
        "5" => format!("the health service does not know {named} (NOT_FOUND{message})"),
        code => format!(
            "the health check failed: {}{message}",
            status_name(code).unwrap_or(&format!("status {}", preview(code.as_bytes())))
        ),
    }))
}

/// The name of a gRPC status code.
fn status_name(code: &str) -> Option<&'static str> {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES.get(code.parse::<usize>().ok()?).copied()
}

/// "not gRPC", if what the server sent first is not HTTP/2 (whose first frame is SETTINGS).
fn not_http2(heard: &First) -> Option<Failure> {
    let first = heard
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone();
    match first.get(3) {
        _ if first.is_empty() => None,
        Some(&4) => None,
        _ if first.starts_with(b"HTTP/1.") => Some(Failure::new(format!(
            "not gRPC: an HTTP/1 server (it answered {})",
            preview(first.split(|&b| b == b'\r').next().unwrap_or(&first))
        ))),
        _ => Some(Failure::new(format!(
            "not gRPC (answered {})",
            preview(&first)
        ))),
    }
}

/// The most a server's headers (or trailers) may take, decoded: gRPC's
/// status and message, with room to spare.
const HEADERS_AT_MOST: u32 = 16 * 1024;

/// How many of the server's first bytes [`Heard`] keeps.
const FIRST_BYTES: usize = 64;

/// The first bytes a server sent, shared between the connection h2 owns and
/// the probe that words its failure.
type First = Mutex<Vec<u8>>;

/// A connection that keeps the first bytes the server sent, so a failure can
/// say what the server spoke when it was not HTTP/2.
struct Heard {
    io: Box<dyn Io>,
    first: Arc<First>,
}

impl Heard {
    /// The connection to hand to h2, and what it will have heard.
    fn new(io: Box<dyn Io>) -> (Self, Arc<First>) {
        let first = Arc::new(Mutex::new(Vec::new()));
        (
            Heard {
                io,
                first: Arc::clone(&first),
            },
            first,
        )
    }
}

impl AsyncRead for Heard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let mut first = self
            .first
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let room = FIRST_BYTES.saturating_sub(first.len());
        let new = &buf.filled()[before..];
        first.extend_from_slice(&new[..new.len().min(room)]);
        polled
    }
}

impl AsyncWrite for Heard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_its_service() {
        assert_eq!(request_message(""), b"");
        assert_eq!(request_message("a.B"), b"\x0a\x03a.B");
        let long = "s".repeat(200);
        assert_eq!(&request_message(&long)[..3], b"\x0a\xc8\x01");
        assert_eq!(framed(b"\x0a\x03a.B"), b"\0\0\0\0\x05\x0a\x03a.B");
    }

    #[test]
    fn the_answer_is_read_as_protobuf() {
        assert_eq!(serving_status(b"\0\0\0\0\x02\x08\x01"), Ok(1));
        assert_eq!(serving_status(b"\0\0\0\0\x02\x08\x02"), Ok(2));
        // UNKNOWN is 0, which protobuf leaves out.
        assert_eq!(serving_status(b"\0\0\0\0\0"), Ok(0));
        // Fields it does not know are skipped.
        assert_eq!(serving_status(b"\0\0\0\0\x06\x12\x02hi\x08\x01"), Ok(1));
        assert!(serving_status(b"\0\0\0\0\x05\x08").is_err());
        assert!(serving_status(b"\0\0\0").is_err());
        assert!(serving_status(b"\x01\0\0\0\x02\x08\x01").is_err());
        assert!(serving_status(b"\0\0\0\0\x02\x0a\x01").is_err());
    }

    #[test]
    fn status_codes_have_names() {
        assert_eq!(status_name("14"), Some("UNAVAILABLE"));
        assert_eq!(status_name("99"), None);
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-status", "12".parse().unwrap());
        headers.insert("grpc-message", "Method%20not%20found!".parse().unwrap());
        assert_eq!(
            call_failure(&headers, "the server").unwrap().to_string(),
            "the server has no gRPC health service (UNIMPLEMENTED: Method not found!)"
        );
        headers.insert("grpc-status", "0".parse().unwrap());
        assert!(call_failure(&headers, "the server").is_none());
    }
}
