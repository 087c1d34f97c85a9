//! The plumbing every network probe shares: resolve and connect (to all of a
//! name's addresses at once), optionally TLS, then send a request and read a
//! bounded reply.
//!
//! No read here has a timeout of its own: the attempt as a whole is cut off
//! by its caller. What is bounded here is size, so a server that streams
//! megabytes cannot make waitfor buffer them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

use super::outcome::{Failure, Ready, Stage};
use super::tls;
use crate::deadline::AttemptBound;
use crate::human;
use crate::secret;
use crate::url::{Endpoint, Host};

/// The most bytes waitfor reads from one server in one attempt.
pub const MOST_READ: usize = 64 * 1024;

/// A connection, plain or TLS: what the protocol code talks through.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Resolves `endpoint` afresh and connects to the first of its addresses that
/// accepts. All addresses are tried at once, so one that drops packets cannot
/// use up the attempt before a working one is reached.
pub async fn connect(endpoint: &Endpoint) -> Result<TcpStream, Failure> {
    connect_any(endpoint)
        .await
        .map_err(|failure| failure.at(Stage::Connect))
}

async fn connect_any(endpoint: &Endpoint) -> Result<TcpStream, Failure> {
    let addresses = resolve(endpoint).await?;
    // For a name, say which of its addresses failed how; a literal is its own address.
    let named = matches!(endpoint.host, Host::Name(_));
    let connect_to = move |address: SocketAddr| async move {
        let failure = |reason: String| match named {
            true => Failure::new(format!("{address}: {reason}")),
            false => Failure::new(reason),
        };
        let stream = TcpStream::connect(address)
            .await
            .map_err(|error| failure(human::io_error(&error)))?;
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
            Ok(Err(failure)) => failures.push(failure.to_string()),
            Err(panicked) => failures.push(panicked.to_string()),
        }
    }
    Err(Failure::new(failures.join("; ")))
}

/// Asks every server of a cluster at once (`ask`, one attempt at one of
/// them): the first that answers ready counts, as a client needs one; else
/// every server's failure, each after its address, at the first one's stage.
pub async fn any_server<F, A>(servers: &[Endpoint], ask: F) -> Result<Ready, Failure>
where
    F: Fn(Endpoint) -> A,
    A: Future<Output = Result<Ready, Failure>> + Send + 'static,
{
    if let [server] = servers {
        return ask(server.clone()).await;
    }
    let mut asking = JoinSet::new();
    for server in servers {
        let answer = ask(server.clone());
        let server = server.clone();
        asking.spawn(async move { (server, answer.await) });
    }
    let mut failures = Vec::new();
    while let Some(joined) = asking.join_next().await {
        match joined {
            Ok((_, Ok(ready))) => return Ok(ready),
            Ok((server, Err(failure))) => failures.push((server, failure)),
            Err(panicked) => return Err(Failure::new(panicked.to_string())),
        }
    }
    let stage = failures
        .first()
        .map(|(_, failure)| failure.stage.clone())
        .unwrap_or_default();
    let said: Vec<String> = failures
        .iter()
        .map(|(server, failure)| format!("{}:{}: {failure}", server.host, server.port))
        .collect();
    Err(Failure::new(said.join("; ")).at(stage))
}

/// The addresses of `endpoint` now: a literal as it is, a name through the
/// system resolver (so waitfor sees names exactly as the COMMAND will).
async fn resolve(endpoint: &Endpoint) -> Result<Vec<SocketAddr>, Failure> {
    let name = match &endpoint.host {
        Host::Ip(address) => return Ok(vec![SocketAddr::new(*address, endpoint.port)]),
        Host::Name(name) => name,
    };
    let lookup = tokio::net::lookup_host((name.as_str(), endpoint.port));
    // The lookup ends with the attempt, saying so: a resolver that does not
    // answer is not a server that does not answer.
    let resolved = match AttemptBound::current() {
        Some(bound) => tokio::time::timeout_at(bound.ends, lookup)
            .await
            .map_err(|_| {
                Failure::new(format!(
                    "name lookup of {name} got no answer within {}",
                    human::duration(bound.within)
                ))
            })?,
        None => lookup.await,
    }
    .map_err(|error| {
        Failure::new(format!(
            "cannot resolve {name}: {}",
            human::io_error(&error)
        ))
    })?;
    let addresses: Vec<_> = resolved.collect();
    if addresses.is_empty() {
        return Err(Failure::new(format!("cannot resolve {name}: no addresses")));
    }
    Ok(addresses)
}

/// Connects to `endpoint`, with a TLS handshake on top where `tls` is given.
pub async fn open(endpoint: &Endpoint, tls: Option<&TlsConnector>) -> Result<Box<dyn Io>, Failure> {
    let stream = connect(endpoint).await?;
    Ok(match tls {
        Some(connector) => Box::new(
            tls::handshake(connector, &endpoint.host, stream)
                .await
                .map_err(|failure| failure.at(Stage::Connect))?,
        ),
        None => Box::new(stream),
    })
}

/// The longest path `sun_path` holds, less its terminating NUL.
const SOCKET_PATH_AT_MOST: usize = 107;

/// `path`, if a unix socket address can hold it.
pub fn socket_path(path: PathBuf) -> Result<PathBuf, String> {
    let length = path.as_os_str().len();
    match length <= SOCKET_PATH_AT_MOST {
        true => Ok(path),
        false => Err(format!(
            "the socket path is {length} bytes long; a unix socket address holds at most {SOCKET_PATH_AT_MOST}"
        )),
    }
}

/// Connects to the unix socket at `path`.
pub async fn open_unix(path: &Path) -> Result<Box<dyn Io>, Failure> {
    let stream = UnixStream::connect(path)
        .await
        .map_err(|error| Failure::new(human::io_error(&error)))?;
    Ok(Box::new(stream))
}

/// A connection with a read buffer, for protocols that are a few messages each way.
pub struct Wire {
    stream: Box<dyn Io>,
    /// Bytes read but not yet taken.
    unread: Vec<u8>,
    /// Bytes read in all, held to [`MOST_READ`].
    read: usize,
}

impl Wire {
    pub async fn open(endpoint: &Endpoint, tls: Option<&TlsConnector>) -> Result<Self, Failure> {
        Ok(Wire {
            stream: open(endpoint, tls).await?,
            unread: Vec::new(),
            read: 0,
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|error| Failure::new(format!("sending failed: {}", tls::described(&error))))?;
        self.stream
            .flush()
            .await
            .map_err(|error| Failure::new(format!("sending failed: {}", tls::described(&error))))
    }

    /// The next `count` bytes of the reply.
    pub async fn take(&mut self, count: usize) -> Result<Vec<u8>, Failure> {
        if count > MOST_READ {
            return Err(Failure::new(format!(
                "announced a reply of {count} bytes, more than the {MOST_READ} waitfor reads"
            )));
        }
        while self.unread.len() < count {
            self.fill().await?;
        }
        Ok(self.unread.drain(..count).collect())
    }

    /// Everything the server sends until it closes the connection (within the size bound).
    pub async fn until_closed(&mut self) -> Result<Vec<u8>, Failure> {
        while self.read_more().await? > 0 {}
        Ok(std::mem::take(&mut self.unread))
    }

    /// The next line of the reply, without its CRLF.
    pub async fn line(&mut self) -> Result<String, Failure> {
        loop {
            if let Some(end) = self.unread.windows(2).position(|pair| pair == b"\r\n") {
                let line: Vec<u8> = self.unread.drain(..end + 2).take(end).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            self.fill().await?;
        }
    }

    /// Reads what the server has sent next; a closed connection is an error.
    async fn fill(&mut self) -> Result<(), Failure> {
        let count = self.read_more().await?;
        if count == 0 {
            return Err(Failure::new(match self.read {
                0 => "the connection was closed without a reply".to_owned(),
                _ => format!(
                    "the connection was closed in the middle of a reply: {}",
                    preview(&self.unread)
                ),
            }));
        }
        Ok(())
    }

    /// Reads what the server has sent next, within the size bound: how
    /// many bytes, 0 when it has closed the connection.
    async fn read_more(&mut self) -> Result<usize, Failure> {
        if self.read >= MOST_READ {
            return Err(Failure::new(format!(
                "sent more than {MOST_READ} bytes without a complete reply: {}",
                preview(&self.unread)
            )));
        }
        let mut chunk = vec![0; (MOST_READ - self.read).min(8 * 1024)];
        let count = self.stream.read(&mut chunk).await.map_err(|error| {
            Failure::new(format!(
                "reading the reply failed: {}",
                tls::described(&error)
            ))
        })?;
        self.read += count;
        self.unread.extend_from_slice(&chunk[..count]);
        Ok(count)
    }
}

/// How many characters of a server's words [`preview`] shows.
const PREVIEW: usize = 40;

/// The start of what a server sent, printable, for saying what it was
/// instead: its secrets masked first (a server may echo what it was sent),
/// then escaped, then cut.
pub fn preview(bytes: &[u8]) -> String {
    let text = secret::screened(&String::from_utf8_lossy(bytes));
    // Escaping only lengthens: the first PREVIEW characters shown come from the first PREVIEW.
    let start: String = secret::masked_start(&text, PREVIEW)
        .escape_debug()
        .collect();
    match text.chars().nth(PREVIEW).is_some() || start.chars().count() > PREVIEW {
        true => format!("\"{}\"...", start.chars().take(PREVIEW).collect::<String>()),
        false => format!("\"{start}\""),
    }
}
