//! `kafka://[user:password@]host[:9092][,host2[:9092]…][#topic=NAME]`:
//! ready when the cluster names at least one broker and a controller, and
//! each topic asked for exists with a leader for every partition.
//!
//! A well-behaved client's first words: ApiVersions v3 (v0 again if the
//! broker answers UNSUPPORTED_VERSION), then, with credentials, a SASL login
//! (SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, the first of these the broker
//! enables), then Metadata: v4, which never creates a topic it is asked
//! about, or v1 where the broker speaks nothing newer (a broker that creates
//! topics on demand would then create it). Without `#topic`, Metadata asks
//! for no topic at all (an empty list: brokers only). Several bootstrap
//! servers are asked at once; one that answers for the cluster is enough,
//! as a client needs one. A refused login is not ready and said in words.

use super::outcome::{Failure, Ready, Stage};
use super::scram::{Hash, Scram};
use super::wire::{self, Wire, preview};
use crate::human;
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 9092;
const CLIENT_ID: &str = "waitfor";

/// API keys, and the versions waitfor speaks of each.
const METADATA: i16 = 3;
const API_VERSIONS: i16 = 18;
const SASL_HANDSHAKE: i16 = 17;
const SASL_AUTHENTICATE: i16 = 36;

/// Error codes the probe tells apart.
const UNSUPPORTED_VERSION: i16 = 35;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;

/// The SASL mechanisms waitfor speaks, the one it prefers first.
const MECHANISMS: [&str; 3] = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"];

#[derive(Clone)]
pub struct Kafka {
    bootstrap: Vec<Endpoint>,
    login: Option<(String, String)>,
    topics: Vec<String>,
}

impl Kafka {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_path()?;
        let bootstrap = url.endpoints(DEFAULT_PORT)?;
        let login = url.login("kafka://user:password@host")?;
        let mut topics = Vec::new();
        for key in url.keys()?.iter().filter(|key| key.name == "topic") {
            for topic in key.value.split(',').filter(|topic| !topic.is_empty()) {
                topic_name(topic)?;
                topics.push(topic.to_owned());
            }
        }
        Ok(Kafka {
            bootstrap,
            login,
            topics,
        })
    }

    /// Every bootstrap server at once: the first that answers for the cluster counts.
    pub async fn check(&self) -> Result<Ready, Failure> {
        wire::any_server(&self.bootstrap, |server| {
            let probe = self.clone();
            async move { probe.asked(&server).await }
        })
        .await
    }

    async fn asked(&self, server: &Endpoint) -> Result<Ready, Failure> {
        let mut broker = Broker::open(server).await?;
        let versions = broker.api_versions().await?;
        if let Some((user, password)) = &self.login {
            let mechanism = match broker.sasl_handshake(MECHANISMS[0]).await? {
                Handshake::Accepted => MECHANISMS[0],
                Handshake::Enabled(enabled) => {
                    let Some(mechanism) = MECHANISMS
                        .into_iter()
                        .find(|m| enabled.iter().any(|e| e == m))
                    else {
                        return Err(Failure::new(format!(
                            "the broker offers no login waitfor speaks ({})",
                            enabled.join(", ")
                        )));
                    };
                    // The broker closes the connection after a mechanism it does not enable.
                    broker = Broker::open(server).await?;
                    broker.api_versions().await?;
                    match broker.sasl_handshake(mechanism).await? {
                        Handshake::Accepted => mechanism,
                        Handshake::Enabled(_) => {
                            return Err(Failure::new(format!("the broker refused {mechanism}")));
                        }
                    }
                }
            };
            broker.log_in(mechanism, user, password).await?;
        }
        let version = versions.metadata()?;
        let metadata = broker.metadata(version, &self.topics).await;
        // A broker that requires a login closes the connection at the first other request.
        let metadata = match (metadata, &self.login) {
            (Err(failure), None) => {
                return Err(Failure::new(format!(
                    "{failure}: does the broker require a login? (kafka://user:password@host)"
                ))
                .at(failure.stage));
            }
            (metadata, _) => metadata?,
        };
        metadata.judged(&self.topics)
    }
}

/// A topic name as Kafka allows it: 1 to 249 of `A-Z a-z 0-9 . _ -`.
fn topic_name(topic: &str) -> Result<(), String> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    match !topic.is_empty() && topic.len() <= 249 && topic.bytes().all(allowed) {
        true => Ok(()),
        false => Err(format!(
            "#topic={}: a Kafka topic is 1 to 249 of A-Z a-z 0-9 . _ -",
            human::quoted(topic)
        )),
    }
}

/// A connection to one broker, and the correlation IDs of its requests.
struct Broker {
    wire: Wire,
    correlation: i32,
}

/// The versions of the Metadata API the broker speaks.
struct Versions {
    metadata: Option<(i16, i16)>,
}

enum Handshake {
    Accepted,
    /// The mechanism asked for is not enabled; these are.
    Enabled(Vec<String>),
}

/// What Metadata said of the cluster.
struct Metadata {
    brokers: usize,
    controller: i32,
    topics: Vec<Topic>,
}

struct Topic {
    error: i16,
    name: String,
    /// Each partition's index and leader.
    partitions: Vec<(i32, i32)>,
}

impl Broker {
    async fn open(server: &Endpoint) -> Result<Self, Failure> {
        Ok(Broker {
            wire: Wire::open(server, None).await?,
            correlation: 0,
        })
    }

    /// Sends a request (header v1, or v2 for a flexible version) and reads
    /// its response's body, after the correlation ID (and, for a flexible
    /// response but ApiVersions', its tagged fields).
    async fn call(
        &mut self,
        key: i16,
        version: i16,
        body: &[u8],
        flexible: bool,
    ) -> Result<Vec<u8>, Failure> {
        self.correlation += 1;
        let mut request = Vec::with_capacity(body.len() + 32);
        request.extend_from_slice(&key.to_be_bytes());
        request.extend_from_slice(&version.to_be_bytes());
        request.extend_from_slice(&self.correlation.to_be_bytes());
        put_string(&mut request, CLIENT_ID);
        if flexible {
            request.push(0);
        }
        request.extend_from_slice(body);
        let mut framed = (request.len() as u32).to_be_bytes().to_vec();
        framed.extend_from_slice(&request);
        self.wire.send(&framed).await?;
        let size = self.wire.take(4).await?;
        let size = i32::from_be_bytes([size[0], size[1], size[2], size[3]]);
        let response = match usize::try_from(size) {
            Ok(size) if size >= 4 => self.wire.take(size).await?,
            _ => return Err(not_kafka(&size.to_be_bytes())),
        };
        if response[..4] != self.correlation.to_be_bytes() {
            return Err(not_kafka(&response));
        }
        let skip = match flexible && key != API_VERSIONS {
            true => {
                let mut reader = Reader::new(&response[4..]);
                reader.tagged_fields().ok_or_else(|| not_kafka(&response))?;
                4 + reader.at
            }
            false => 4,
        };
        Ok(response[skip..].to_vec())
    }

    /// ApiVersions v3, as clients ask first; v0 if the broker does not speak v3.
    async fn api_versions(&mut self) -> Result<Versions, Failure> {
        let mut body = Vec::new();
        put_compact_string(&mut body, CLIENT_ID);
        put_compact_string(&mut body, env!("CARGO_PKG_VERSION"));
        body.push(0);
        let answer = self.call(API_VERSIONS, 3, &body, true).await?;
        let error = Reader::new(&answer)
            .i16()
            .ok_or_else(|| not_kafka(&answer))?;
        // An older broker answers v3 with UNSUPPORTED_VERSION, in v0's form.
        let (answer, compact) = match error {
            UNSUPPORTED_VERSION => (self.call(API_VERSIONS, 0, &[], false).await?, false),
            _ => (answer, true),
        };
        let mut reader = Reader::new(&answer);
        let error = reader.i16().ok_or_else(|| not_kafka(&answer))?;
        if error != 0 {
            return Err(Failure::new(format!(
                "the broker answered ApiVersions with {}",
                error_name(error)
            )));
        }
        let count = match compact {
            true => reader.compact_count(),
            false => reader.count(),
        }
        .ok_or_else(|| not_kafka(&answer))?;
        let mut metadata = None;
        for _ in 0..count {
            let (key, min, max) = (reader.i16(), reader.i16(), reader.i16());
            let (key, min, max) = key
                .zip(min)
                .zip(max)
                .map(|((k, n), x)| (k, n, x))
                .ok_or_else(|| not_kafka(&answer))?;
            if compact {
                reader.tagged_fields().ok_or_else(|| not_kafka(&answer))?;
            }
            if key == METADATA {
                metadata = Some((min, max));
            }
        }
        Ok(Versions { metadata })
    }

    async fn sasl_handshake(&mut self, mechanism: &str) -> Result<Handshake, Failure> {
        let mut body = Vec::new();
        put_string(&mut body, mechanism);
        let answer = self.call(SASL_HANDSHAKE, 1, &body, false).await?;
        let mut reader = Reader::new(&answer);
        let error = reader.i16().ok_or_else(|| not_kafka(&answer))?;
        let enabled = (0..reader.count().ok_or_else(|| not_kafka(&answer))?)
            .map(|_| reader.string())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| not_kafka(&answer))?;
        match error {
            0 => Ok(Handshake::Accepted),
            UNSUPPORTED_SASL_MECHANISM => Ok(Handshake::Enabled(enabled)),
            other => Err(Failure::new(format!(
                "the broker refused the SASL handshake: {}",
                error_name(other)
            ))),
        }
    }

    /// One SaslAuthenticate round: the broker's bytes, or its refusal in words.
    async fn authenticate(&mut self, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
        let mut body = (bytes.len() as i32).to_be_bytes().to_vec();
        body.extend_from_slice(bytes);
        let answer = self.call(SASL_AUTHENTICATE, 1, &body, false).await?;
        let mut reader = Reader::new(&answer);
        let error = reader.i16().ok_or_else(|| not_kafka(&answer))?;
        let message = reader.nullable_string().ok_or_else(|| not_kafka(&answer))?;
        if error != 0 {
            return Err(Failure::new(format!(
                "the broker refused the login: {}{}",
                error_name(error),
                message.map(|m| format!(" ({m})")).unwrap_or_default()
            ))
            .at(Stage::Answered("login refused".into())));
        }
        reader
            .bytes()
            .map(<[u8]>::to_vec)
            .ok_or_else(|| not_kafka(&answer))
    }

    async fn log_in(&mut self, mechanism: &str, user: &str, password: &str) -> Result<(), Failure> {
        let hash = match mechanism {
            "PLAIN" => {
                self.authenticate(format!("\0{user}\0{password}").as_bytes())
                    .await?;
                return Ok(());
            }
            "SCRAM-SHA-256" => Hash::Sha256,
            _ => Hash::Sha512,
        };
        let mut scram = Scram::new(hash, user)?;
        let server_first = self.authenticate(scram.client_first().as_bytes()).await?;
        let client_final = scram.client_final(password, &server_first)?;
        let server_final = self.authenticate(client_final.as_bytes()).await?;
        scram.verify_server(&server_final)
    }

    /// Metadata for `topics` only (none: the brokers alone).
    async fn metadata(&mut self, version: i16, topics: &[String]) -> Result<Metadata, Failure> {
        let mut body = (topics.len() as i32).to_be_bytes().to_vec();
        for topic in topics {
            put_string(&mut body, topic);
        }
        if version >= 4 {
            // allow_auto_topic_creation: asking must never create a topic.
            body.push(0);
        }
        let answer = self.call(METADATA, version, &body, false).await?;
        metadata(&answer, version).ok_or_else(|| not_kafka(&answer))
    }
}

impl Versions {
    /// The Metadata version to ask in: 4 where the broker speaks it, else 1.
    fn metadata(&self) -> Result<i16, Failure> {
        match self.metadata {
            Some((min, max)) if min <= 4 && max >= 4 => Ok(4),
            Some((min, max)) if min <= 1 && max >= 1 => Ok(1),
            Some((min, max)) => Err(Failure::new(format!(
                "the broker speaks Metadata v{min} to v{max}, none that waitfor speaks (v1, v4)"
            ))),
            None => Err(Failure::new("the broker does not list the Metadata API")),
        }
    }
}

/// A Metadata response body of `version` (1 or 4).
fn metadata(answer: &[u8], version: i16) -> Option<Metadata> {
    let mut reader = Reader::new(answer);
    if version >= 3 {
        reader.i32()?;
    }
    let brokers = reader.count()?;
    for _ in 0..brokers {
        reader.i32()?;
        reader.string()?;
        reader.i32()?;
        reader.nullable_string()?;
    }
    if version >= 2 {
        reader.nullable_string()?;
    }
    let controller = reader.i32()?;
    let mut topics = Vec::new();
    for _ in 0..reader.count()? {
        let error = reader.i16()?;
        let name = reader.string()?;
        reader.u8()?;
        let mut partitions = Vec::new();
        for _ in 0..reader.count()? {
            reader.i16()?;
            let index = reader.i32()?;
            let leader = reader.i32()?;
            for _ in 0..2 {
                for _ in 0..reader.count()? {
                    reader.i32()?;
                }
            }
            partitions.push((index, leader));
        }
        topics.push(Topic {
            error,
            name,
            partitions,
        });
    }
    Some(Metadata {
        brokers,
        controller,
        topics,
    })
}

impl Metadata {
    fn judged(&self, wanted: &[String]) -> Result<Ready, Failure> {
        let not_ready =
            |said: String| Err(Failure::new(said).at(Stage::Answered("not ready".into())));
        if self.brokers == 0 {
            return not_ready("the cluster names no broker yet".to_owned());
        }
        if self.controller < 0 {
            return not_ready(format!(
                "the cluster has {} but no controller yet",
                human::count(self.brokers as u64, "broker", "brokers")
            ));
        }
        for name in wanted {
            let Some(topic) = self.topics.iter().find(|topic| topic.name == *name) else {
                return not_ready(format!("the broker said nothing of topic {name}"));
            };
            match topic.error {
                0 => {}
                UNKNOWN_TOPIC_OR_PARTITION => {
                    return not_ready(format!("topic {name} does not exist yet"));
                }
                other => return not_ready(format!("topic {name}: {}", error_name(other))),
            }
            if topic.partitions.is_empty() {
                return not_ready(format!("topic {name} has no partitions yet"));
            }
            let leaderless: Vec<String> = topic
                .partitions
                .iter()
                .filter(|(_, leader)| *leader < 0)
                .map(|(index, _)| index.to_string())
                .collect();
            if !leaderless.is_empty() {
                return not_ready(format!(
                    "topic {name}: no leader yet for partition {}",
                    leaderless.join(", ")
                ));
            }
        }
        Ok(Ready::default())
    }
}

/// A Kafka error code by its name, where waitfor knows it.
fn error_name(code: i16) -> String {
    let name = match code {
        3 => "UNKNOWN_TOPIC_OR_PARTITION",
        5 => "LEADER_NOT_AVAILABLE",
        29 => "TOPIC_AUTHORIZATION_FAILED",
        31 => "CLUSTER_AUTHORIZATION_FAILED",
        33 => "UNSUPPORTED_SASL_MECHANISM",
        34 => "ILLEGAL_SASL_STATE",
        35 => "UNSUPPORTED_VERSION",
        58 => "SASL_AUTHENTICATION_FAILED",
        _ => return format!("error {code}"),
    };
    name.to_owned()
}

fn not_kafka(reply: &[u8]) -> Failure {
    Failure::new(format!("not a Kafka broker (answered {})", preview(reply)))
}

fn put_string(into: &mut Vec<u8>, text: &str) {
    into.extend_from_slice(&(text.len() as i16).to_be_bytes());
    into.extend_from_slice(text.as_bytes());
}

fn put_compact_string(into: &mut Vec<u8>, text: &str) {
    // Lengths plus one, as an unsigned varint: these are short, one byte.
    into.push(text.len() as u8 + 1);
    into.extend_from_slice(text.as_bytes());
}

/// Reads a response's fields, each `None` where the response ends too soon.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(self.at..self.at.checked_add(count)?)?;
        self.at += count;
        Some(taken)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// An array's length; a null array (-1) is empty. More elements than
    /// bytes left is a lie, caught before anything is allocated for them.
    fn count(&mut self) -> Option<usize> {
        let count = usize::try_from(self.i32()?.max(0)).ok()?;
        (count <= self.bytes.len() - self.at).then_some(count)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn compact_count(&mut self) -> Option<usize> {
        let count = usize::try_from(self.varint()?.saturating_sub(1)).ok()?;
        (count <= self.bytes.len() - self.at).then_some(count)
    }

    fn tagged_fields(&mut self) -> Option<()> {
        for _ in 0..self.varint()? {
            self.varint()?;
            let size = usize::try_from(self.varint()?).ok()?;
            self.take(size)?;
        }
        Some(())
    }

    fn string(&mut self) -> Option<String> {
        self.nullable_string()?
    }

    fn nullable_string(&mut self) -> Option<Option<String>> {
        let length = self.i16()?;
        if length < 0 {
            return Some(None);
        }
        let text = self.take(usize::try_from(length).ok()?)?;
        Some(Some(human::escaped(&String::from_utf8_lossy(text))))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let length = self.i32()?;
        self.take(usize::try_from(length.max(0)).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metadata_answer_is_judged() {
        let mut answer = Vec::new();
        answer.extend_from_slice(&0i32.to_be_bytes());
        answer.extend_from_slice(&1i32.to_be_bytes());
        answer.extend_from_slice(&7i32.to_be_bytes());
        put_string(&mut answer, "broker-7");
        answer.extend_from_slice(&9092i32.to_be_bytes());
        answer.extend_from_slice(&(-1i16).to_be_bytes());
        answer.extend_from_slice(&(-1i16).to_be_bytes());
        answer.extend_from_slice(&7i32.to_be_bytes());
        answer.extend_from_slice(&1i32.to_be_bytes());
        answer.extend_from_slice(&0i16.to_be_bytes());
        put_string(&mut answer, "orders");
        answer.push(0);
        answer.extend_from_slice(&2i32.to_be_bytes());
        for (index, leader) in [(0, 7), (1, -1)] {
            answer.extend_from_slice(&0i16.to_be_bytes());
            answer.extend_from_slice(&i32::to_be_bytes(index));
            answer.extend_from_slice(&i32::to_be_bytes(leader));
            answer.extend_from_slice(&0i32.to_be_bytes());
            answer.extend_from_slice(&0i32.to_be_bytes());
        }
        let cluster = metadata(&answer, 4).unwrap();
        assert!(cluster.judged(&[]).is_ok());
        assert_eq!(
            cluster.judged(&["orders".into()]).unwrap_err().to_string(),
            "topic orders: no leader yet for partition 1"
        );
        assert!(metadata(&answer[..answer.len() - 3], 4).is_none());
    }

    #[test]
    fn a_count_larger_than_the_answer_is_refused() {
        let mut reader = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 0]);
        assert_eq!(reader.count(), None);
    }
}
