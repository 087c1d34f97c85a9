//! Readiness probes, one module per kind of target, and the plumbing they share.
//!
//! A probe makes one attempt and says ready (`Ok`) or why not (`Failure`). It
//! does not retry and does not bound its own time: the caller in `wait.rs`
//! cuts every attempt off at its deadline, so a probe may simply await.

mod tcp;

use std::fmt;
use std::io;
use std::net::SocketAddr;

use nix::errno::Errno;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::target::{Endpoint, Host, Kind};

/// Why one attempt did not find the target ready, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(String);

impl Failure {
    pub fn new(reason: impl Into<String>) -> Self {
        Failure(reason.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One attempt at the target.
pub async fn check(kind: &Kind) -> Result<(), Failure> {
    match kind {
        Kind::Tcp(endpoint) => tcp::check(endpoint).await,
    }
}

/// Resolves `endpoint` afresh and connects to the first of its addresses that
/// accepts. All addresses are tried at once, so one that drops packets cannot
/// use up the attempt before a working one is reached.
async fn connect(endpoint: &Endpoint) -> Result<TcpStream, Failure> {
    let addresses = resolve(endpoint).await?;
    // For a name, say which of its addresses failed how; a literal is its own address.
    let named = matches!(endpoint.host, Host::Name(_));
    let connect_to = move |address: SocketAddr| async move {
        let failure = |reason: String| match named {
            true => Failure(format!("{address}: {reason}")),
            false => Failure(reason),
        };
        let stream = TcpStream::connect(address)
            .await
            .map_err(|error| failure(describe(&error)))?;
        // On loopback, a connect to a closed port in the ephemeral range can
        // be its own peer (TCP simultaneous open): that is nobody listening.
        if stream.local_addr().ok() == Some(address) {
            return Err(failure(
                "nothing listens (the connection reached itself)".into(),
            ));
        }
        Ok(stream)
    };
    if let [address] = addresses[..] {
        return connect_to(address).await;
    }
    let mut attempts = JoinSet::new();
    for address in addresses {
        attempts.spawn(connect_to(address));
    }
    let mut failures = Vec::new();
    while let Some(joined) = attempts.join_next().await {
        match joined {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(failure)) => failures.push(failure.0),
            Err(panicked) => failures.push(panicked.to_string()),
        }
    }
    Err(Failure(failures.join("; ")))
}

/// The addresses of `endpoint` now: a literal as it is, a name through the
/// system resolver (so waitfor sees names exactly as the COMMAND will).
async fn resolve(endpoint: &Endpoint) -> Result<Vec<SocketAddr>, Failure> {
    let name = match &endpoint.host {
        Host::Ip(address) => return Ok(vec![SocketAddr::new(*address, endpoint.port)]),
        Host::Name(name) => name,
    };
    let resolved = tokio::net::lookup_host((name.as_str(), endpoint.port))
        .await
        .map_err(|error| Failure(format!("cannot resolve {name}: {}", describe(&error))))?;
    let addresses: Vec<_> = resolved.collect();
    if addresses.is_empty() {
        return Err(Failure(format!("cannot resolve {name}: no addresses")));
    }
    Ok(addresses)
}

/// An I/O error as a short phrase: "connection refused", not "Connection refused (os error 111)".
fn describe(error: &io::Error) -> String {
    let text = match error.raw_os_error() {
        Some(code) => Errno::from_raw(code).desc().to_owned(),
        // What std says of a getaddrinfo failure, less its preamble.
        None => error
            .to_string()
            .trim_start_matches("failed to lookup address information: ")
            .to_owned(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
