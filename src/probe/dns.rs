//! `dns://NAME[#type=A|AAAA|CNAME|SRV|TXT|MX][#expect=VALUE][#server=IP[:PORT]]`:
//! a name that resolves — the Kubernetes init container's "until the
//! Service's name exists" (`until nslookup myservice; do sleep 2; done`).
//!
//! Without keys: ready when the system resolver finds an address for NAME,
//! exactly as the COMMAND will look it up (`/etc/hosts`, the search list,
//! the nameservers of `/etc/resolv.conf`); a name that does not exist
//! (NXDOMAIN), one with no address, and a resolver that fails or does not
//! answer are each said in words, as far as the resolver tells them apart.
//!
//! With keys: one query of that type (A unless `#type` says, or AAAA for an
//! IPv6 `#expect`) for NAME as written (no search list), to the nameservers
//! of `/etc/resolv.conf` (all at once; the first answer counts) or to
//! `#server`, over UDP and again over TCP when the answer is truncated.
//! Ready when the answer holds a record of the type, and, with `#expect`,
//! one that holds it: an address (A, AAAA), a name (CNAME, the target of an
//! SRV or the exchange of an MX record), or for TXT a regular expression
//! the text must match. Every reply is hostile: its ID and question must be
//! the query's (others are ignored, a few dozen at most), names are read
//! with at most 16 compression pointers, each pointing back, and what it
//! holds is shown escaped and shortened.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use super::body::Pattern;
use super::outcome::{Failure, Ready, Stage};
use super::wire::{MOST_READ, Wire};
use crate::human;
use crate::local_file;
use crate::url::{Endpoint, Host, Url, percent_decoded};

/// Where the nameservers are, when `#server` names none.
const RESOLV_CONF: &str = "/etc/resolv.conf";
/// The most of resolv.conf that is read.
const RESOLV_CONF_AT_MOST: u64 = 64 * 1024;
/// How many replies that answer another query one query ignores.
const STRAY_REPLIES_AT_MOST: usize = 32;
/// How many compression pointers one name may follow.
const POINTERS_AT_MOST: usize = 16;

#[derive(Clone)]
pub struct Dns {
    /// The name, without a trailing dot.
    name: String,
    /// `None`: the system resolver, as the COMMAND will resolve the name.
    query: Option<Query>,
}

#[derive(Clone)]
struct Query {
    kind: RecordType,
    expect: Option<Expect>,
    /// `#server`; `None`: the nameservers of resolv.conf, read at each attempt.
    server: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecordType {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Srv,
}

/// What one record of the answer must hold.
#[derive(Clone)]
enum Expect {
    Address(IpAddr),
    /// Lower case, without a trailing dot.
    Name(String),
    Text(Pattern),
}

/// One record of the type asked, as the answer holds it.
#[derive(Debug, PartialEq, Eq)]
enum Record {
    Address(IpAddr),
    /// A CNAME's target, an MX's exchange, an SRV's target (with its port).
    Name {
        name: String,
        port: Option<u16>,
    },
    Text(String),
}

impl Dns {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        url.without_path()?;
        let name = percent_decoded(url.authority)?;
        let name = name.strip_suffix('.').unwrap_or(&name).to_ascii_lowercase();
        match Host::parse(&name)? {
            Host::Name(_) => {}
            Host::Ip(_) => return Err(format!("{name} is an address, not a name to resolve")),
        }
        let keys = url.keys()?;
        let last = |wanted: &str| keys.iter().rfind(|key| key.name == wanted);
        let (kind, expect, server) = (last("type"), last("expect"), last("server"));
        if kind.is_none() && expect.is_none() && server.is_none() {
            return Ok(Dns { name, query: None });
        }
        let kind = match kind {
            Some(key) => RecordType::named(&key.value)?,
            None if expect.is_some_and(|key| key.value.parse::<Ipv6Addr>().is_ok()) => {
                RecordType::Aaaa
            }
            None => RecordType::A,
        };
        let expect = expect.map(|key| kind.expect(&key.value)).transpose()?;
        let server = server.map(|key| server_address(&key.value)).transpose()?;
        Ok(Dns {
            name,
            query: Some(Query {
                kind,
                expect,
                server,
            }),
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        match &self.query {
            None => self.resolved().await,
            Some(query) => query.asked(&self.name).await,
        }
    }

    /// Through the system resolver, as the COMMAND will resolve the name.
    async fn resolved(&self) -> Result<Ready, Failure> {
        let name = &self.name;
        match tokio::net::lookup_host((name.as_str(), 0))
            .await
            .map(|a| a.count())
        {
            Ok(1..) => Ok(Ready::default()),
            Ok(0) => Err(Failure::new(format!("{name} has no address"))
                .at(Stage::Answered("no answer".into()))),
            Err(error) => Err(resolver_failure(name, &error.to_string())),
        }
    }
}

/// The system resolver's error in words. getaddrinfo tells little: these
/// are its messages, musl's and glibc's, for what the DNS answered.
fn resolver_failure(name: &str, error: &str) -> Failure {
    let (said, state) =
        if error.contains("Name does not resolve") || error.contains("Name or service not known") {
            (format!("{name} does not exist (NXDOMAIN)"), "NXDOMAIN")
        } else if error.contains("no usable address") || error.contains("No address associated") {
            (
                format!("{name} exists but has no address (no answer)"),
                "no answer",
            )
        } else if error.contains("Temporary failure in name resolution") {
            return Failure::new(format!(
                "the resolver failed or did not answer for {name} (SERVFAIL, or no reply from the \
             nameservers of {RESOLV_CONF})"
            ));
        } else {
            return Failure::new(format!("cannot resolve {name}: {error}"));
        };
    Failure::new(said).at(Stage::Answered(state.into()))
}

impl Query {
    /// One query, to `#server` or to every nameserver of resolv.conf at once.
    async fn asked(&self, name: &str) -> Result<Ready, Failure> {
        let servers = match self.server {
            Some(server) => vec![server],
            None => nameservers(Path::new(RESOLV_CONF)).map_err(Failure::new)?,
        };
        let message = query_message(name, self.kind);
        let mut queries = JoinSet::new();
        for server in servers {
            let message = message.clone();
            let (name, kind) = (name.to_owned(), self.kind);
            queries.spawn(async move { exchange(server, &message, &name, kind).await });
        }
        let mut failures = Vec::new();
        while let Some(joined) = queries.join_next().await {
            match joined {
                Ok(Ok(answer)) => return self.judged(name, answer),
                Ok(Err(failure)) => failures.push(failure),
                Err(panicked) => failures.push(Failure::new(panicked.to_string())),
            }
        }
        let stage = failures
            .first()
            .map(|f| f.stage.clone())
            .unwrap_or_default();
        let said: Vec<String> = failures.iter().map(ToString::to_string).collect();
        Err(Failure::new(said.join("; ")).at(stage))
    }

    /// Ready when a record of the type is there (and holds what is expected).
    fn judged(&self, name: &str, answer: Answer) -> Result<Ready, Failure> {
        let kind = self.kind;
        let not_ready = |said: String, state: &str| {
            Err(Failure::new(said).at(Stage::Answered(state.to_owned())))
        };
        let Answer {
            server,
            rcode,
            records,
        } = answer;
        match rcode {
            0 => {}
            3 => {
                return not_ready(
                    format!("{name} does not exist (NXDOMAIN from {server})"),
                    "NXDOMAIN",
                );
            }
            2 => {
                return Err(Failure::new(format!(
                    "{server} answered SERVFAIL for {name}"
                )));
            }
            5 => {
                return Err(Failure::new(format!(
                    "{server} REFUSED the query for {name}"
                )));
            }
            other => {
                return Err(Failure::new(format!(
                    "{server} answered rcode {other} for {name}"
                )));
            }
        }
        if records.is_empty() {
            return not_ready(
                format!("{name} has no {kind} record (NOERROR from {server}, no answer)"),
                "no answer",
            );
        }
        let Some(expect) = &self.expect else {
            return Ok(Ready::default());
        };
        if records.iter().any(|record| expect.holds(record)) {
            return Ok(Ready::default());
        }
        let found: Vec<String> = records.iter().take(5).map(ToString::to_string).collect();
        let more = match records.len() > 5 {
            true => format!(" and {} more", records.len() - 5),
            false => String::new(),
        };
        not_ready(
            format!("{name} has {kind} {}{more}, not {expect}", found.join(", ")),
            "not as expected",
        )
    }
}

impl RecordType {
    fn named(text: &str) -> Result<Self, String> {
        Ok(match text.to_ascii_uppercase().as_str() {
            "A" => RecordType::A,
            "AAAA" => RecordType::Aaaa,
            "CNAME" => RecordType::Cname,
            "MX" => RecordType::Mx,
            "TXT" => RecordType::Txt,
            "SRV" => RecordType::Srv,
            _ => {
                return Err(format!(
                    "#type={}: one of A, AAAA, CNAME, SRV, TXT, MX",
                    human::quoted(text)
                ));
            }
        })
    }

    fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
        }
    }

    /// `#expect` as what a record of this type holds.
    fn expect(self, text: &str) -> Result<Expect, String> {
        let quoted = human::quoted(text);
        match self {
            RecordType::A | RecordType::Aaaa => {
                let address: IpAddr = text
                    .parse()
                    .map_err(|_| format!("#expect={quoted}: an {self} record holds an address"))?;
                match (self, address) {
                    (RecordType::A, IpAddr::V4(_)) | (RecordType::Aaaa, IpAddr::V6(_)) => {
                        Ok(Expect::Address(address))
                    }
                    _ => Err(format!("#expect={quoted}: an {self} record cannot hold it")),
                }
            }
            RecordType::Cname | RecordType::Mx | RecordType::Srv => {
                let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
                match Host::parse(&name) {
                    Ok(Host::Name(_)) => Ok(Expect::Name(name)),
                    _ => Err(format!(
                        "#expect={quoted}: an {self} record holds a host name"
                    )),
                }
            }
            RecordType::Txt => Ok(Expect::Text(Pattern::new(text)?)),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Srv => "SRV",
        })
    }
}

impl Expect {
    fn holds(&self, record: &Record) -> bool {
        match (self, record) {
            (Expect::Address(wanted), Record::Address(address)) => wanted == address,
            (Expect::Name(wanted), Record::Name { name, .. }) => wanted == name,
            (Expect::Text(pattern), Record::Text(text)) => pattern.is_match(text),
            _ => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Address(address) => write!(f, "{address}"),
            Expect::Name(name) => f.write_str(name),
            Expect::Text(pattern) => write!(f, "matching {pattern}"),
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Address(address) => write!(f, "{address}"),
            Record::Name { name, port: None } => f.write_str(name),
            Record::Name {
                name,
                port: Some(port),
            } => write!(f, "{name}:{port}"),
            Record::Text(text) => write!(f, "{:?}", human::shortened(text)),
        }
    }
}

/// `IP` or `IP:PORT` (`[v6]:PORT`), port 53 by default.
fn server_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(address, 53));
    }
    text.parse().map_err(|_| {
        format!(
            "#server={}: an IP address, or IP:PORT ([v6]:PORT)",
            human::quoted(text)
        )
    })
}

/// The nameservers resolv.conf lists (port 53), or 127.0.0.1 when it lists
/// none, as the C library does.
fn nameservers(path: &Path) -> Result<Vec<SocketAddr>, String> {
    let text = local_file::read(path, RESOLV_CONF_AT_MOST)?;
    let servers: Vec<SocketAddr> = String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.split_whitespace().next())
        // An IPv6 link-local address may carry its interface (`fe80::1%eth0`).
        .filter_map(|address| address.split('%').next()?.parse::<IpAddr>().ok())
        .map(|address| SocketAddr::new(address, 53))
        .take(3)
        .collect();
    Ok(match servers.is_empty() {
        true => vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)],
        false => servers,
    })
}

/// A query for `name`'s records of `kind`, recursion desired, with an ID
/// of its own: the ID is the first two bytes, the question follows the header.
fn query_message(name: &str, kind: RecordType) -> Vec<u8> {
    let id = rand_id();
    let mut message = Vec::with_capacity(name.len() + 18);
    message.extend_from_slice(&id.to_be_bytes());
    // Flags: RD. One question, no answer, authority or additional records.
    message.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    message.extend_from_slice(&question(name, kind));
    message
}

/// The question section: the name as labels, its type, class IN.
fn question(name: &str, kind: RecordType) -> Vec<u8> {
    let mut question = Vec::new();
    for label in name.split('.') {
        question.push(label.len() as u8);
        question.extend_from_slice(label.as_bytes());
    }
    question.push(0);
    question.extend_from_slice(&kind.code().to_be_bytes());
    question.extend_from_slice(&1u16.to_be_bytes());
    question
}

/// An ID no off-path sender can guess in advance: std's hasher keys come
/// from the system's random source.
fn rand_id() -> u16 {
    RandomState::new().build_hasher().finish() as u16
}

/// What a nameserver answered.
struct Answer {
    server: SocketAddr,
    rcode: u8,
    records: Vec<Record>,
}

/// Sends `message` to `server` over UDP, and over TCP if the answer is
/// truncated; the answer to it, read as records of `kind`.
async fn exchange(
    server: SocketAddr,
    message: &[u8],
    name: &str,
    kind: RecordType,
) -> Result<Answer, Failure> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let unreachable =
        |error: std::io::Error| Failure::new(format!("{server}: {}", human::io_error(&error)));
    let socket = UdpSocket::bind(local).await.map_err(unreachable)?;
    socket.connect(server).await.map_err(unreachable)?;
    socket
        .send(message)
        .await
        .map_err(|e| unreachable(e).at(Stage::Connect))?;
    let mut reply = vec![0; MOST_READ];
    let mut stray = 0;
    loop {
        let count = socket
            .recv(&mut reply)
            .await
            .map_err(|e| unreachable(e).at(Stage::Connect))?;
        match parsed(&reply[..count], message, kind) {
            Ok(Parsed::Truncated) => return over_tcp(server, message, kind).await,
            Ok(Parsed::Answer(rcode, records)) => {
                return Ok(Answer {
                    server,
                    rcode,
                    records,
                });
            }
            Err(Stray) if stray < STRAY_REPLIES_AT_MOST => stray += 1,
            Err(Stray) => {
                return Err(Failure::new(format!(
                    "{server} sent {stray} replies that answer no query of waitfor's for {name}"
                )));
            }
        }
    }
}

/// The same query over TCP, each message after its length in two bytes.
async fn over_tcp(server: SocketAddr, message: &[u8], kind: RecordType) -> Result<Answer, Failure> {
    let endpoint = Endpoint {
        host: Host::Ip(server.ip()),
        port: server.port(),
    };
    let mut wire = Wire::open(&endpoint, None).await?;
    let mut framed = (message.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    wire.send(&framed).await?;
    let length = wire.take(2).await?;
    let reply = wire
        .take(usize::from(u16::from_be_bytes([length[0], length[1]])))
        .await?;
    match parsed(&reply, message, kind) {
        Ok(Parsed::Answer(rcode, records)) => Ok(Answer {
            server,
            rcode,
            records,
        }),
        Ok(Parsed::Truncated) => Err(Failure::new(format!(
            "{server} truncated its answer over TCP too"
        ))),
        Err(Stray) => Err(Failure::new(format!(
            "{server} answered over TCP with a message that is not an answer to the query"
        ))),
    }
}

/// A reply that is no answer to the query sent: another ID or question,
/// not a response, or not a DNS message that can be read.
#[derive(Debug, PartialEq, Eq)]
struct Stray;

#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    /// The answer did not fit (TC): ask again over TCP.
    Truncated,
    /// The response code and the records of the type asked.
    Answer(u8, Vec<Record>),
}

/// Reads `reply` as the answer to `query`, keeping the records of `kind`.
fn parsed(reply: &[u8], query: &[u8], kind: RecordType) -> Result<Parsed, Stray> {
    if reply.len() < 12 || reply[..2] != query[..2] {
        return Err(Stray);
    }
    let flags = u16::from_be_bytes([reply[2], reply[3]]);
    let count = |at: usize| usize::from(u16::from_be_bytes([reply[at], reply[at + 1]]));
    // QR set (a response), opcode QUERY, one question: the one asked.
    if flags & 0x8000 == 0 || flags & 0x7800 != 0 || count(4) != 1 {
        return Err(Stray);
    }
    let asked = &query[12..];
    if reply
        .get(12..12 + asked.len())
        .map(|q| q.to_ascii_lowercase())
        != Some(asked.to_ascii_lowercase())
    {
        return Err(Stray);
    }
    if flags & 0x0200 != 0 {
        return Ok(Parsed::Truncated);
    }
    let rcode = (flags & 0x000f) as u8;
    let mut at = 12 + asked.len();
    let mut records = Vec::new();
    for _ in 0..count(6) {
        let (record, next) = record(reply, at, kind).ok_or(Stray)?;
        records.extend(record);
        at = next;
    }
    Ok(Parsed::Answer(rcode, records))
}

/// The resource record at `at`: itself if it is of `kind` (class IN), and where the next begins.
fn record(message: &[u8], at: usize, kind: RecordType) -> Option<(Option<Record>, usize)> {
    let (_, at) = name(message, at)?;
    let field = |at: usize| {
        Some(u16::from_be_bytes([
            *message.get(at)?,
            *message.get(at + 1)?,
        ]))
    };
    let (rtype, class, length) = (field(at)?, field(at + 2)?, usize::from(field(at + 8)?));
    let data_at = at + 10;
    let data = message.get(data_at..data_at + length)?;
    let next = data_at + length;
    if rtype != kind.code() || class != 1 {
        return Some((None, next));
    }
    let record = match kind {
        RecordType::A => Record::Address(IpAddr::V4(<[u8; 4]>::try_from(data).ok()?.into())),
        RecordType::Aaaa => Record::Address(IpAddr::V6(<[u8; 16]>::try_from(data).ok()?.into())),
        RecordType::Cname => Record::Name {
            name: name(message, data_at)?.0,
            port: None,
        },
        // Preference, then the exchange.
        RecordType::Mx => Record::Name {
            name: name(message, data_at + 2)?.0,
            port: None,
        },
        // Priority, weight, port, then the target.
        RecordType::Srv => Record::Name {
            name: name(message, data_at + 6)?.0,
            port: Some(field(data_at + 4)?),
        },
        RecordType::Txt => Record::Text(text(data)?),
    };
    Some((Some(record), next))
}

/// The name at `at` (lower case, escaped, without a trailing dot), and
/// where what follows it begins. A compression pointer must point back,
/// before the label it stands in, and a name follows a few at most.
fn name(message: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    let mut pointers = 0;
    let mut length = 0;
    loop {
        let size = *message.get(at)?;
        match size {
            0 => break,
            1..=63 => {
                let label = message.get(at + 1..at + 1 + usize::from(size))?;
                length += label.len() + 1;
                if length > 255 {
                    return None;
                }
                labels.push(human::escaped(&String::from_utf8_lossy(label)).to_ascii_lowercase());
                at += 1 + usize::from(size);
            }
            0xc0..=0xff => {
                let target =
                    usize::from(u16::from_be_bytes([size, *message.get(at + 1)?]) & 0x3fff);
                pointers += 1;
                if target >= at || pointers > POINTERS_AT_MOST {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
            }
            _ => return None,
        }
    }
    Some((labels.join("."), end.unwrap_or(at + 1)))
}

/// A TXT record's character strings, joined, as text.
fn text(mut data: &[u8]) -> Option<String> {
    let mut joined = Vec::new();
    while let Some((&size, rest)) = data.split_first() {
        joined.extend_from_slice(rest.get(..usize::from(size))?);
        data = &rest[usize::from(size)..];
    }
    Some(String::from_utf8_lossy(&joined).into_owned())
}

/// For the fuzz targets: `reply`, with the ID and question of a query for
/// each type put in place, read as its answer; every record said as output
/// would say it.
pub fn fuzzed_answers(reply: &[u8]) -> Vec<String> {
    let kinds = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Srv,
    ];
    let mut said = Vec::new();
    for kind in kinds {
        let query = query_message("web.test", kind);
        let mut reply = reply.to_vec();
        let question = &query[12..];
        if reply.len() >= 12 + question.len() {
            reply[..2].copy_from_slice(&query[..2]);
            reply[12..12 + question.len()].copy_from_slice(question);
        }
        if let Ok(Parsed::Answer(_, records)) = parsed(&reply, &query, kind) {
            said.extend(records.iter().map(ToString::to_string));
        }
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer to `query` with `answers` (each: type, data), names compressed to the question's.
    fn answer(query: &[u8], flags: u16, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut reply = query[..2].to_vec();
        reply.extend_from_slice(&(0x8180 | flags).to_be_bytes());
        reply.extend_from_slice(&[0, 1]);
        reply.extend_from_slice(&(answers.len() as u16).to_be_bytes());
        reply.extend_from_slice(&[0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..]);
        for (rtype, data) in answers {
            reply.extend_from_slice(&[0xc0, 12]);
            reply.extend_from_slice(&rtype.to_be_bytes());
            reply.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            reply.extend_from_slice(&(data.len() as u16).to_be_bytes());
            reply.extend_from_slice(data);
        }
        reply
    }

    #[test]
    fn records_are_read_from_an_answer() {
        let query = query_message("web.test", RecordType::Srv);
        let mut srv = vec![0, 10, 0, 5, 0x1f, 0x90];
        srv.extend_from_slice(b"\x03api\xc0\x0c");
        let reply = answer(&query, 0, &[(5, b"\xc0\x0c".to_vec()), (33, srv)]);
        assert_eq!(
            parsed(&reply, &query, RecordType::Srv),
            Ok(Parsed::Answer(
                0,
                vec![Record::Name {
                    name: "api.web.test".into(),
                    port: Some(8080)
                }]
            ))
        );
        let query = query_message("t.test", RecordType::Txt);
        let reply = answer(&query, 0, &[(16, b"\x04v=2;\x03ok\n".to_vec())]);
        assert_eq!(
            parsed(&reply, &query, RecordType::Txt),
            Ok(Parsed::Answer(0, vec![Record::Text("v=2;ok\n".into())]))
        );
        assert_eq!(
            parsed(&answer(&query, 0x0200, &[]), &query, RecordType::Txt),
            Ok(Parsed::Truncated)
        );
        assert_eq!(
            parsed(&answer(&query, 3, &[]), &query, RecordType::Txt),
            Ok(Parsed::Answer(3, vec![]))
        );
    }

    #[test]
    fn a_hostile_reply_is_a_stray() {
        let query = query_message("web.test", RecordType::A);
        let good = answer(&query, 0, &[(1, vec![10, 0, 0, 1])]);
        let mut other_id = good.clone();
        other_id[0] ^= 0xff;
        let mut not_a_response = good.clone();
        not_a_response[2] &= 0x7f;
        let other_name = answer(&query_message("web.tesu", RecordType::A), 0, &[]);
        let short_address = answer(&query, 0, &[(1, vec![10, 0, 0])]);
        for stray in [
            &other_id,
            &not_a_response,
            &good[..20].to_vec(),
            &short_address,
        ] {
            assert_eq!(
                parsed(stray, &query, RecordType::A),
                Err(Stray),
                "{stray:?}"
            );
        }
        assert!(parsed(&other_name, &query, RecordType::A).is_err());
        // A CNAME whose name points at itself: a loop, never followed.
        let query = query_message("web.test", RecordType::Cname);
        let mut looped = answer(&query, 0, &[(5, vec![0xc0, 0])]);
        let at = looped.len() - 2;
        looped[at + 1] = at as u8;
        assert_eq!(parsed(&looped, &query, RecordType::Cname), Err(Stray));
    }

    #[test]
    fn nameservers_are_read_from_resolv_conf() {
        let dir = std::env::temp_dir().join(format!("waitfor-resolv-{}", std::process::id()));
        std::fs::write(
            &dir,
            "# comment\nsearch a.test\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\noptions ndots:5\n",
        )
        .unwrap();
        assert_eq!(
            nameservers(&dir).unwrap(),
            [
                "10.0.0.2:53".parse().unwrap(),
                "[fe80::1]:53".parse().unwrap()
            ]
        );
        std::fs::write(&dir, "").unwrap();
        assert_eq!(
            nameservers(&dir).unwrap(),
            ["127.0.0.1:53".parse().unwrap()]
        );
        let _ = std::fs::remove_file(&dir);
    }
}
