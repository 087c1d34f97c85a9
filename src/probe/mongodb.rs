//! `mongodb://[user:password@]host[:27017][,host2…][/db][?replicaSet=NAME&authSource=DB][#collection=NAME][#secondary]`:
//! ready when the server is a writable primary (with `?replicaSet=`, when
//! the set has a primary; with `#secondary`, a secondary will do), the
//! login succeeds if credentials are given, and `#collection=` exists.
//!
//! The handshake every driver sends first: `hello` over OP_MSG, or, for a
//! server that predates it, `isMaster` with `helloOk` over OP_QUERY. With
//! credentials, a SCRAM login against the URL's database (or `authSource`):
//! SCRAM-SHA-256 where the server lists it for the user
//! (`saslSupportedMechs`), else SCRAM-SHA-1; the server's signature is
//! checked; a refused login is not ready, said by its code name, the
//! password never. `#collection=NAME` asks `listCollections` with the name
//! as a filter value, never inside a command's text. Several hosts are
//! asked at once; the first that answers as wanted counts.

use super::bson::{self, Read, Value};
use super::outcome::{Failure, Ready, Stage};
use super::scram::{Hash, Scram};
use super::wire::{self, Wire, preview};
use crate::human;
use crate::url::{Endpoint, Url, percent_decoded};
use md5::{Digest, Md5};

const DEFAULT_PORT: u16 = 27017;
const OP_REPLY: i32 = 1;
const OP_QUERY: i32 = 2004;
const OP_MSG: i32 = 2013;
/// The server's code for a command it does not know (`hello` before 4.4.2).
const COMMAND_NOT_FOUND: f64 = 59.0;

#[derive(Clone)]
pub struct Mongo {
    servers: Vec<Endpoint>,
    database: String,
    auth_source: String,
    login: Option<(String, String)>,
    replica_set: Option<String>,
    secondary: bool,
    collection: Option<String>,
}

type Document = Vec<(String, Read)>;

impl Mongo {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let servers = url.endpoints(DEFAULT_PORT)?;
        let (path, query) = url.path.split_once('?').unwrap_or((url.path, ""));
        let database = percent_decoded(path.trim_start_matches('/'))?;
        if database.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
            return Err(format!(
                "{} is not a MongoDB database name",
                human::quoted(&database)
            ));
        }
        let parameter = |name: &str| -> Result<Option<String>, String> {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| percent_decoded(value))
                .next_back()
                .transpose()
        };
        let login = url.login("mongodb://user:password@host")?;
        let keys = url.keys()?;
        let collection = keys
            .iter()
            .rfind(|key| key.name == "collection")
            .map(|key| key.value.clone());
        if collection
            .as_deref()
            .is_some_and(|name| name.is_empty() || name.contains('\0'))
        {
            return Err("#collection= needs a collection's name".into());
        }
        Ok(Mongo {
            servers,
            auth_source: parameter("authSource")?.unwrap_or_else(|| match database.is_empty() {
                true => "admin".to_owned(),
                false => database.clone(),
            }),
            database: match database.is_empty() {
                true => "test".to_owned(),
                false => database,
            },
            login,
            replica_set: parameter("replicaSet")?,
            secondary: keys.iter().any(|key| key.name == "secondary"),
            collection,
        })
    }

    /// Every host at once: the first that answers as wanted counts.
    pub async fn check(&self) -> Result<Ready, Failure> {
        wire::any_server(&self.servers, |server| {
            let probe = self.clone();
            async move { probe.asked(&server).await }
        })
        .await
    }

    async fn asked(&self, server: &Endpoint) -> Result<Ready, Failure> {
        let mut connection = Connection::open(server).await?;
        let mut hello = vec![("hello", Value::Int(1)), ("$db", Value::Text("admin"))];
        let listed = self
            .login
            .as_ref()
            .map(|(user, _)| format!("{}.{user}", self.auth_source));
        if let Some(listed) = &listed {
            hello.push(("saslSupportedMechs", Value::Text(listed)));
        }
        let answer = match connection.command(&hello).await? {
            answer if refused_as(&answer, COMMAND_NOT_FOUND) => {
                connection = Connection::open(server).await?;
                let mut is_master =
                    vec![("isMaster", Value::Int(1)), ("helloOk", Value::Bool(true))];
                if let Some(listed) = &listed {
                    is_master.push(("saslSupportedMechs", Value::Text(listed)));
                }
                connection.query(&is_master).await?
            }
            answer => answer,
        };
        if !bson::truthy(&answer, "ok") {
            return Err(refusal("hello", &answer));
        }
        self.judged(&answer)?;
        if let Some((user, password)) = &self.login {
            let sha256 = matches!(bson::field(&answer, "saslSupportedMechs"),
                Some(Read::Document(mechanisms)) if mechanisms.iter().any(|(_, m)| *m == Read::Text("SCRAM-SHA-256".into())));
            connection
                .log_in(&self.auth_source, user, password, sha256)
                .await?;
        }
        if let Some(collection) = &self.collection {
            let filter = bson::document(&[("name", Value::Text(collection))]);
            let answer = connection
                .command(&[
                    ("listCollections", Value::Int(1)),
                    ("filter", Value::Document(filter)),
                    ("nameOnly", Value::Bool(true)),
                    ("$db", Value::Text(&self.database)),
                ])
                .await?;
            if !bson::truthy(&answer, "ok") {
                return Err(refusal("listCollections", &answer));
            }
            let first_batch = match bson::field(&answer, "cursor") {
                Some(Read::Document(cursor)) => bson::field(cursor, "firstBatch"),
                _ => None,
            };
            match first_batch {
                Some(Read::Document(batch)) if !batch.is_empty() => {}
                Some(Read::Document(_)) => {
                    return Err(Failure::new(format!(
                        "collection {} does not exist yet in {}",
                        human::quoted(collection),
                        self.database
                    ))
                    .at(Stage::Answered("no collection".into())));
                }
                _ => return Err(not_mongo(b"a listCollections answer without a cursor")),
            }
        }
        Ok(Ready::default())
    }

    /// A writable primary; a member of the set named whose set has a
    /// primary; or, with `#secondary`, a secondary.
    fn judged(&self, hello: &Document) -> Result<(), Failure> {
        let not_ready =
            |said: String| Err(Failure::new(said).at(Stage::Answered("not primary".into())));
        let primary = bson::truthy(hello, "isWritablePrimary") || bson::truthy(hello, "ismaster");
        let set = bson::text(hello, "setName");
        match (&self.replica_set, set) {
            (Some(wanted), Some(set)) if wanted != set => {
                return not_ready(format!(
                    "the server is a member of replica set {set:?}, not {wanted:?}"
                ));
            }
            (Some(wanted), None) => {
                return not_ready(format!(
                    "the server is not a member of a replica set (not {wanted:?})"
                ));
            }
            _ => {}
        }
        if primary || (self.secondary && bson::truthy(hello, "secondary")) {
            return Ok(());
        }
        match (&self.replica_set, bson::text(hello, "primary")) {
            (Some(_), Some(_)) => Ok(()),
            (Some(wanted), None) => not_ready(format!("replica set {wanted:?} has no primary yet")),
            (None, _) if bson::truthy(hello, "secondary") => {
                not_ready("the server is a secondary (#secondary accepts one)".to_owned())
            }
            (None, _) => not_ready("the server is not a writable primary yet".to_owned()),
        }
    }
}

/// Whether a command's answer is a refusal with `code`.
fn refused_as(answer: &Document, code: f64) -> bool {
    !bson::truthy(answer, "ok") && bson::field(answer, "code") == Some(&Read::Number(code))
}

/// A command refused: its code name and message.
fn refusal(command: &str, answer: &Document) -> Failure {
    let name = bson::text(answer, "codeName").unwrap_or("an error");
    let message = bson::text(answer, "errmsg").unwrap_or_default();
    Failure::new(format!(
        "the server refused {command}: {name} ({})",
        human::shortened(message)
    ))
}

fn not_mongo(reply: &[u8]) -> Failure {
    Failure::new(format!(
        "not a MongoDB server (answered {})",
        preview(reply)
    ))
}

/// A connection and the IDs of its requests.
struct Connection {
    wire: Wire,
    request: i32,
}

impl Connection {
    async fn open(server: &Endpoint) -> Result<Self, Failure> {
        Ok(Connection {
            wire: Wire::open(server, None).await?,
            request: 0,
        })
    }

    /// Sends one message and reads the answer's first document.
    async fn exchange(&mut self, opcode: i32, body: &[u8]) -> Result<Document, Failure> {
        self.request += 1;
        let mut message = ((body.len() + 16) as i32).to_le_bytes().to_vec();
        message.extend_from_slice(&self.request.to_le_bytes());
        message.extend_from_slice(&0i32.to_le_bytes());
        message.extend_from_slice(&opcode.to_le_bytes());
        message.extend_from_slice(body);
        self.wire.send(&message).await?;
        let header = self.wire.take(16).await?;
        let le32 = |at: usize| i32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
        let (length, responding_to, answered) = (le32(0), le32(8), le32(12));
        let length = usize::try_from(length)
            .ok()
            .filter(|&l| l >= 16)
            .ok_or_else(|| not_mongo(&header))?;
        let rest = self.wire.take(length - 16).await?;
        if responding_to != self.request {
            return Err(not_mongo(&header));
        }
        let document = match answered {
            // Flags, then sections: the body (kind 0) is the answer.
            OP_MSG if rest.get(4) == Some(&0) => rest.get(5..),
            // Flags, cursor ID, starting from, number returned.
            OP_REPLY => rest.get(20..),
            _ => None,
        };
        document
            .and_then(bson::read)
            .map(|(document, _)| document)
            .ok_or_else(|| not_mongo(&rest))
    }

    /// A command over OP_MSG.
    async fn command(&mut self, fields: &[(&str, Value<'_>)]) -> Result<Document, Failure> {
        let mut body = 0u32.to_le_bytes().to_vec();
        body.push(0);
        body.extend_from_slice(&bson::document(fields));
        self.exchange(OP_MSG, &body).await
    }

    /// A command over OP_QUERY on `admin.$cmd`, for servers before OP_MSG.
    async fn query(&mut self, fields: &[(&str, Value<'_>)]) -> Result<Document, Failure> {
        let mut body = 0i32.to_le_bytes().to_vec();
        body.extend_from_slice(b"admin.$cmd\0");
        body.extend_from_slice(&0i32.to_le_bytes());
        body.extend_from_slice(&(-1i32).to_le_bytes());
        body.extend_from_slice(&bson::document(fields));
        self.exchange(OP_QUERY, &body).await
    }

    /// A SCRAM login (SHA-256, or SHA-1 with MongoDB's digest of the password).
    async fn log_in(
        &mut self,
        source: &str,
        user: &str,
        password: &str,
        sha256: bool,
    ) -> Result<(), Failure> {
        let (mechanism, hash, password) = match sha256 {
            true => ("SCRAM-SHA-256", Hash::Sha256, password.to_owned()),
            false => {
                let digest = Md5::digest(format!("{user}:mongo:{password}").as_bytes());
                let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
                crate::secret::keep(&hex);
                ("SCRAM-SHA-1", Hash::Sha1, hex)
            }
        };
        let mut scram = Scram::new(hash, user)?;
        let first = scram.client_first();
        let answer = self
            .command(&[
                ("saslStart", Value::Int(1)),
                ("mechanism", Value::Text(mechanism)),
                ("payload", Value::Binary(first.as_bytes())),
                ("autoAuthorize", Value::Int(1)),
                ("$db", Value::Text(source)),
            ])
            .await?;
        let server_first = sasl_payload(&answer)?;
        let conversation = match bson::field(&answer, "conversationId") {
            Some(Read::Number(id)) => *id as i32,
            _ => return Err(not_mongo(b"a saslStart answer without a conversationId")),
        };
        let client_final = scram.client_final(&password, &server_first)?;
        let mut answer = self
            .command(&[
                ("saslContinue", Value::Int(1)),
                ("conversationId", Value::Int(conversation)),
                ("payload", Value::Binary(client_final.as_bytes())),
                ("$db", Value::Text(source)),
            ])
            .await?;
        scram.verify_server(&sasl_payload(&answer)?)?;
        // A server that wants one more round, with nothing to say in it.
        if !bson::truthy(&answer, "done") {
            answer = self
                .command(&[
                    ("saslContinue", Value::Int(1)),
                    ("conversationId", Value::Int(conversation)),
                    ("payload", Value::Binary(b"")),
                    ("$db", Value::Text(source)),
                ])
                .await?;
            sasl_payload(&answer)?;
        }
        Ok(())
    }
}

/// A SASL step's payload, or the server's refusal of the login.
fn sasl_payload(answer: &Document) -> Result<Vec<u8>, Failure> {
    if !bson::truthy(answer, "ok") {
        return Err(refusal("the login", answer).at(Stage::Answered("login refused".into())));
    }
    match bson::field(answer, "payload") {
        Some(Read::Binary(payload)) => Ok(payload.clone()),
        _ => Err(not_mongo(b"a SASL answer without a payload")),
    }
}
