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

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 5432;
/// Protocol version 3.0, as the StartupMessage carries it.
const PROTOCOL_3_0: u32 = 3 << 16;
/// SQLSTATE cannot_connect_now: the one error that means "up but not ready".
const CANNOT_CONNECT_NOW: &str = "57P03";

#[derive(Clone)]
pub struct Postgres {
    endpoint: Endpoint,
    user: String,
    database: String,
}

impl Postgres {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let user = url.user.clone().unwrap_or_else(|| "postgres".to_owned());
        let database = url.path.trim_start_matches('/');
        let database = database.split(['?', '#']).next().unwrap_or_default();
        Ok(Postgres {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            database: match database {
                "" => user.clone(),
                database => database.to_owned(),
            },
            user,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(&self.startup_message()).await?;
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
