//! `postgres://[user@]host[:5432][/db]`: ready when the server answers a
//! startup message the way `pg_isready` counts as accepting connections.
//!
//! Sends a protocol 3.0 StartupMessage (user `postgres` unless the URL names
//! one; no password is ever sent) and reads the first message back:
//! - an Authentication request (`R`): accepting connections, ready;
//! - an ErrorResponse (`E`) with SQLSTATE 57P03 ("the database system is
//!   starting up", "... in recovery mode", "... shutting down"): not ready;
//! - any other ErrorResponse (no such role or database, pg_hba refuses,
//!   too many clients): the server is up and answering, ready, as pg_isready;
//! - anything else: not PostgreSQL.
//!
//! With a password in the URL it logs in for real, because "the server is
//! up" is not "my app can log in": SCRAM-SHA-256 (the server's signature
//! checked too), md5 or a cleartext password, whichever the server asks
//! for; then, with `#table=NAME` (`schema.table` allowed), it asks whether
//! that table exists yet (migrations have run); then it says Terminate, as
//! a client ending its session does. A refused password, a database that
//! does not exist, a table not there yet: not ready.

use md5::{Digest, Md5};

use super::outcome::{Failure, Ready};
use super::scram::{Hash, Scram};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Key, Url};

const DEFAULT_PORT: u16 = 5432;
/// Protocol version 3.0, as the StartupMessage carries it.
const PROTOCOL_3_0: u32 = 3 << 16;
/// SQLSTATE cannot_connect_now: the one error that means "up but not ready".
const CANNOT_CONNECT_NOW: &str = "57P03";

/// SQLSTATE invalid_password, and invalid_authorization_specification.
const REFUSED_LOGIN: [&str; 2] = ["28P01", "28000"];

#[derive(Clone)]
pub struct Postgres {
    endpoint: Endpoint,
    user: String,
    database: String,
    password: Option<String>,
    /// `#table=`: a table that must exist, as `schema.table` or `table`.
    table: Option<String>,
}

impl Postgres {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let user = url.user.clone().unwrap_or_else(|| "postgres".to_owned());
        let database = url.path.trim_start_matches('/');
        let database = database.split(['?', '#']).next().unwrap_or_default();
        let table = table(&url.keys()?)?;
        if table.is_some() && url.password.is_none() {
            return Err("#table needs a login: give the password, as postgres://user:password@host/db#table=NAME".into());
        }
        Ok(Postgres {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            database: match database {
                "" => user.clone(),
                database => database.to_owned(),
            },
            user,
            password: url.password.clone(),
            table,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(&self.startup_message()).await?;
        if let Some(password) = &self.password {
            return self.log_in(&mut wire, password).await;
        }
        let header = wire.take(5).await?;
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        match (header[0], length) {
            (b'R', 8..) => Ok(Ready::default()),
            (b'E', 5..) => {
                let body = wire.take(length - 4).await?;
                let (code, message) = error_fields(&body);
                match code.as_deref() {
                    Some(CANNOT_CONNECT_NOW) => Err(Failure::new(format!(
                        "PostgreSQL is not accepting connections yet: {}",
                        message.as_deref().unwrap_or(CANNOT_CONNECT_NOW)
                    ))),
                    Some(_) => Ok(Ready::default()),
                    None => Err(not_postgres(&header)),
                }
            }
            _ => Err(not_postgres(&header)),
        }
    }

    /// Logs in with `password`, checks the table if asked, and ends the session.
    async fn log_in(&self, wire: &mut Wire, password: &str) -> Result<Ready, Failure> {
        let mut scram = None;
        loop {
            let (kind, body) = message(wire).await?;
            match kind {
                b'R' => {
                    let code = be32(&body, 0)?;
                    match code {
                        0 => {}
                        3 => wire.send(&frame(b'p', &cstring(password))).await?,
                        5 => {
                            let salt = body.get(4..8).ok_or_else(|| not_postgres(&body))?;
                            wire.send(&frame(
                                b'p',
                                &cstring(&md5_password(&self.user, password, salt)),
                            ))
                            .await?;
                        }
                        10 => {
                            let mechanisms = String::from_utf8_lossy(&body[4..]).into_owned();
                            if !mechanisms.split('\0').any(|m| m == "SCRAM-SHA-256") {
                                return Err(Failure::new(format!(
                                    "the server offers no login waitfor speaks ({})",
                                    mechanisms.trim_matches('\0').replace('\0', ", ")
                                )));
                            }
                            // The user is the startup message's: SCRAM's own is left empty.
                            let exchange = Scram::new(Hash::Sha256, "")?;
                            let first = exchange.client_first();
                            let mut initial = cstring("SCRAM-SHA-256");
                            initial.extend_from_slice(&(first.len() as u32).to_be_bytes());
                            initial.extend_from_slice(first.as_bytes());
                            wire.send(&frame(b'p', &initial)).await?;
                            scram = Some(exchange);
                        }
                        11 => {
                            let exchange = scram.as_mut().ok_or_else(|| not_postgres(&body))?;
                            let reply = exchange.client_final(password, &body[4..])?;
                            wire.send(&frame(b'p', reply.as_bytes())).await?;
                        }
                        12 => {
                            let exchange = scram.as_ref().ok_or_else(|| not_postgres(&body))?;
                            exchange.verify_server(&body[4..])?;
                        }
                        other => {
                            return Err(Failure::new(format!(
                                "the server asks for a login waitfor does not speak (method {other})"
                            )));
                        }
                    }
                }
                b'E' => return Err(self.refused(&body)),
                // Parameters and the key for cancelling: nothing to do until ReadyForQuery.
                b'S' | b'K' | b'N' => {}
                b'Z' => break,
                _ => return Err(not_postgres(&body)),
            }
        }
        let outcome = match &self.table {
            Some(table) => self.table_exists(wire, table).await,
            None => Ok(Ready::default()),
        };
        // Terminate: the session ends as a client's does, nothing left in the server's log.
        let _ = wire.send(&frame(b'X', &[])).await;
        outcome
    }

    /// Whether `table` exists. The name goes to the server as a parameter
    /// of the extended protocol (Parse, Bind, Execute, Sync), never inside
    /// the statement's text, so no setting of the server's
    /// (`standard_conforming_strings`) can make a name a statement.
    async fn table_exists(&self, wire: &mut Wire, table: &str) -> Result<Ready, Failure> {
        let mut parse = cstring("");
        parse.extend(cstring("SELECT to_regclass($1) IS NOT NULL"));
        // One parameter, its type left for the server to infer.
        parse.extend(1u16.to_be_bytes());
        parse.extend(0u32.to_be_bytes());
        let mut bind = [cstring(""), cstring("")].concat();
        // No format codes (all text), one parameter, no result format codes.
        bind.extend(0u16.to_be_bytes());
        bind.extend(1u16.to_be_bytes());
        bind.extend((table.len() as u32).to_be_bytes());
        bind.extend(table.as_bytes());
        bind.extend(0u16.to_be_bytes());
        let mut execute = cstring("");
        execute.extend(0u32.to_be_bytes());
        let asked = [
            frame(b'P', &parse),
            frame(b'B', &bind),
            frame(b'E', &execute),
            frame(b'S', &[]),
        ];
        wire.send(&asked.concat()).await?;
        let mut exists = None;
        loop {
            let (kind, body) = message(wire).await?;
            match kind {
                // A DataRow: one column, its text `t` or `f`.
                b'D' => exists = Some(body.get(6) == Some(&b't')),
                b'E' => {
                    return Err(Failure::new(format!(
                        "asking for table {table} failed: {}",
                        error_fields(&body).1.unwrap_or_default()
                    )));
                }
                b'Z' => break,
                _ => {}
            }
        }
        match exists {
            Some(true) => Ok(Ready::default()),
            _ => Err(Failure::new(format!("table {table} does not exist yet"))),
        }
    }

    /// A login the server refused, in words.
    fn refused(&self, body: &[u8]) -> Failure {
        let (code, message) = error_fields(body);
        let message = message.unwrap_or_default();
        match code.as_deref() {
            Some(CANNOT_CONNECT_NOW) => Failure::new(format!(
                "PostgreSQL is not accepting connections yet: {message}"
            )),
            Some(code) if REFUSED_LOGIN.contains(&code) => {
                Failure::new(format!("authentication failed for user {}", self.user))
            }
            Some(_) => Failure::new(format!("the login was refused: {message}")),
            None => not_postgres(body),
        }
    }

    fn startup_message(&self) -> Vec<u8> {
        let mut body = PROTOCOL_3_0.to_be_bytes().to_vec();
        for (key, value) in [
            ("user", self.user.as_str()),
            ("database", self.database.as_str()),
            ("application_name", "waitfor"),
        ] {
            for text in [key, value] {
                body.extend_from_slice(text.as_bytes());
                body.push(0);
            }
        }
        body.push(0);
        let mut message = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        message.extend_from_slice(&body);
        message
    }
}

/// `#table=NAME`, if given.
fn table(keys: &[Key]) -> Result<Option<String>, String> {
    match keys.iter().rfind(|key| key.name == "table") {
        Some(key) if key.value.is_empty() => Err("#table= needs a table name".into()),
        Some(key) => Ok(Some(key.value.clone())),
        None => Ok(None),
    }
}

/// The next message: its type and its body.
async fn message(wire: &mut Wire) -> Result<(u8, Vec<u8>), Failure> {
    let header = wire.take(5).await?;
    let length = be32(&header, 1)? as usize;
    if length < 4 {
        return Err(not_postgres(&header));
    }
    Ok((header[0], wire.take(length - 4).await?))
}

fn be32(bytes: &[u8], at: usize) -> Result<u32, Failure> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| not_postgres(bytes))
}

/// A frontend message: its type, its length, its body.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = vec![kind];
    message.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    message.extend_from_slice(body);
    message
}

fn cstring(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// `md5` + md5(md5(password + user) + salt), in hex, as PostgreSQL's md5 method wants.
fn md5_password(user: &str, password: &str, salt: &[u8]) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let inner = hex(&Md5::digest(format!("{password}{user}").as_bytes()));
    let mut outer = Md5::new();
    outer.update(inner.as_bytes());
    outer.update(salt);
    format!("md5{}", hex(&outer.finalize()))
}

/// The SQLSTATE (`C`) and message (`M`) fields of an ErrorResponse body.
fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let (mut code, mut message) = (None, None);
    for field in body.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let value = String::from_utf8_lossy(&field[1..]).into_owned();
        match field[0] {
            b'C' => code = Some(value),
            b'M' => message = Some(value),
            _ => {}
        }
    }
    (code, message)
}

fn not_postgres(reply: &[u8]) -> Failure {
    Failure::new(format!(
        "not a PostgreSQL server (answered {})",
        preview(reply)
    ))
}
