//! `mysql://[user[:password]@]host[:3306]` (`mariadb://`): ready when the
//! server sends its protocol-10 handshake and answers a login, which ends
//! the conversation the way `mysqladmin ping` does.
//!
//! Reading the greeting and hanging up is not harmless: the server counts
//! every connection that leaves its handshake unanswered against the client's
//! address, and after `max_connect_errors` of them (100 by default) blocks
//! that address for every client until `FLUSH HOSTS`. So the probe answers
//! the handshake: as the URL's user with its password (the scramble the
//! server's plugin asks for), or as user `waitfor` with none. The server's
//! answer to the login is the readiness signal:
//! - OK: logged in; COM_QUIT is sent and the server closes;
//! - ERR (Access denied, ...) without a password in the URL: the server is
//!   up and checking logins, ready, as `mysqladmin ping` counts it; with a
//!   password, the login was refused: not ready;
//! - an ERR packet instead of the greeting (too many connections, host
//!   blocked): not ready; anything else: not MySQL.
//!
//! With a password, the login names the URL's database (`mysql://…/app`),
//! so a database that does not exist is not ready; and `#table=NAME`
//! (`schema.table` allowed) then asks `information_schema` whether the table
//! exists yet (migrations have run), before COM_QUIT.

use ring::digest::{Algorithm, SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 3306;
/// Who logs in when the URL names no user: a name that says who it is in the server's log.
const DEFAULT_USER: &str = "waitfor";
const PROTOCOL_10: u8 = 10;
const OK_PACKET: u8 = 0x00;
const MORE_DATA: u8 = 0x01;
const AUTH_SWITCH: u8 = 0xfe;
const ERR_PACKET: u8 = 0xff;
const EOF_PACKET: u8 = 0xfe;
const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;
/// CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH.
const CAPABILITIES: u32 = 0x1 | 0x200 | 0x8000 | 0x8_0000;
/// CLIENT_CONNECT_WITH_DB: the login names a database.
const WITH_DATABASE: u32 = 0x8;
/// The packets of a one-column, one-row result: column count, column, EOF, row, EOF.
const RESULT_PACKETS: usize = 5;
/// utf8mb3_general_ci: known to every MySQL and MariaDB.
const CHARSET: u8 = 33;
/// caching_sha2_password's "the password was found in the cache".
const FAST_AUTH_OK: u8 = 3;
/// How many packets of the login exchange waitfor reads at most.
const LOGIN_PACKETS_AT_MOST: usize = 4;

#[derive(Clone)]
pub struct Mysql {
    endpoint: Endpoint,
    user: String,
    password: Option<String>,
    /// Named in the login, with a password only (without one, nothing is asked of the server).
    database: Option<String>,
    /// `#table=`: as `table` (in the URL's database) or `schema.table`.
    table: Option<String>,
}

impl Mysql {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let table = url
            .keys()?
            .into_iter()
            .rfind(|key| key.name == "table")
            .map(|key| key.value);
        if table.as_deref() == Some("") {
            return Err("#table= needs a table name".into());
        }
        if table.is_some() && url.password.is_none() {
            return Err("#table needs a login: give the password, as mysql://user:password@host/db#table=NAME".into());
        }
        let database = url.path.trim_start_matches('/');
        let database = database.split('?').next().unwrap_or_default();
        Ok(Mysql {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            user: url.user.clone().unwrap_or_else(|| DEFAULT_USER.to_owned()),
            password: url.password.clone(),
            database: Some(database.to_owned()).filter(|d| !d.is_empty() && url.password.is_some()),
            table,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        let greeting = packet(&mut wire, 0).await?;
        let (plugin, nonce) = match greeting.first() {
            // Version 10, then the server's version as a NUL-terminated string.
            Some(&PROTOCOL_10) => parse_greeting(&greeting).ok_or_else(|| not_mysql(&greeting))?,
            Some(&ERR_PACKET) => {
                return Err(Failure::new(format!(
                    "MySQL refused the connection: {}",
                    error_text(&greeting)
                )));
            }
            _ => return Err(not_mysql(&greeting)),
        };
        // Each side numbers its packet one past the last it received.
        let mut sequence = 1;
        send(
            &mut wire,
            sequence,
            &self.handshake_response(&plugin, &nonce),
        )
        .await?;
        for _ in 0..LOGIN_PACKETS_AT_MOST {
            let reply = packet(&mut wire, sequence.wrapping_add(1)).await?;
            sequence = sequence.wrapping_add(2);
            match reply.first() {
                Some(&OK_PACKET) => {
                    let outcome = match &self.table {
                        Some(table) => self.table_exists(&mut wire, table).await,
                        None => Ok(Ready::default()),
                    };
                    // Politeness: the server closes on COM_QUIT; the attempt is over either way.
                    let _ = send(&mut wire, 0, &[COM_QUIT]).await;
                    return outcome;
                }
                Some(&ERR_PACKET) if self.password.is_some() => {
                    return Err(Failure::new(format!(
                        "MySQL refused the login: {}",
                        error_text(&reply)
                    )));
                }
                Some(&ERR_PACKET) => return Ok(Ready::default()),
                Some(&AUTH_SWITCH) => {
                    let (plugin, nonce) = split_auth_switch(&reply[1..]);
                    send(&mut wire, sequence, &self.scramble(&plugin, &nonce)).await?;
                }
                Some(&MORE_DATA) if reply.get(1) == Some(&FAST_AUTH_OK) => {}
                Some(&MORE_DATA) => {
                    // caching_sha2_password wants the password in clear, over TLS
                    // or RSA: the server is up and answering, the login unchecked.
                    return Ok(Ready::noted(
                        "the server wants the password over TLS, so the login was not checked",
                    ));
                }
                _ => return Err(not_mysql(&reply)),
            }
        }
        Err(Failure::new(format!(
            "MySQL did not end the login within {LOGIN_PACKETS_AT_MOST} packets"
        )))
    }

    /// Whether `table` exists, asked of `information_schema` after the
    /// login. The names are compared as hexadecimal digits (`HEX(table_name)
    /// = '7573657273'`), so the statement holds no character of theirs that
    /// any `sql_mode` (`NO_BACKSLASH_ESCAPES` or not) could read as SQL.
    async fn table_exists(&self, wire: &mut Wire, table: &str) -> Result<Ready, Failure> {
        let (schema, name) = match table.split_once('.') {
            Some((schema, name)) => (format!("HEX(table_schema) = '{}'", hex(schema)), name),
            None => ("table_schema = DATABASE()".to_owned(), table),
        };
        let query = format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE {schema} AND HEX(table_name) = '{}'",
            hex(name)
        );
        let mut command = vec![COM_QUERY];
        command.extend_from_slice(query.as_bytes());
        send(wire, 0, &command).await?;
        let mut count = None;
        for sequence in 1..=RESULT_PACKETS as u8 {
            let reply = packet(wire, sequence).await?;
            match (reply.first(), sequence) {
                (Some(&ERR_PACKET), _) => {
                    return Err(Failure::new(format!(
                        "asking for table {table} failed: {}",
                        error_text(&reply)
                    )));
                }
                // The row: one length-encoded text, the count.
                (Some(&length), 4) if length != EOF_PACKET => {
                    count = reply.get(1..1 + length as usize).map(|text| text != b"0");
                }
                _ => {}
            }
        }
        match count {
            Some(true) => Ok(Ready::default()),
            Some(false) => Err(Failure::new(format!("table {table} does not exist yet"))),
            None => Err(Failure::new(format!(
                "asking for table {table} got no answer waitfor reads"
            ))),
        }
    }

    /// HandshakeResponse41: capabilities, limits, user, auth response, plugin
    /// (and the database, with a password).
    fn handshake_response(&self, plugin: &str, nonce: &[u8]) -> Vec<u8> {
        let capabilities = match self.database {
            Some(_) => CAPABILITIES | WITH_DATABASE,
            None => CAPABILITIES,
        };
        let mut payload = capabilities.to_le_bytes().to_vec();
        payload.extend_from_slice(&(16u32 << 20).to_le_bytes());
        payload.push(CHARSET);
        payload.extend_from_slice(&[0; 23]);
        payload.extend_from_slice(self.user.as_bytes());
        payload.push(0);
        let scramble = self.scramble(plugin, nonce);
        payload.push(scramble.len() as u8);
        payload.extend_from_slice(&scramble);
        if let Some(database) = &self.database {
            payload.extend_from_slice(database.as_bytes());
            payload.push(0);
        }
        payload.extend_from_slice(plugin.as_bytes());
        payload.push(0);
        payload
    }

    /// What `plugin` wants for the password and the server's `nonce`: empty
    /// without a password, or for a plugin waitfor does not know.
    fn scramble(&self, plugin: &str, nonce: &[u8]) -> Vec<u8> {
        let Some(password) = self.password.as_deref().filter(|p| !p.is_empty()) else {
            return Vec::new();
        };
        let hash = |algorithm: &'static Algorithm, parts: &[&[u8]]| {
            digest(algorithm, &parts.concat()).as_ref().to_vec()
        };
        let xor = |a: Vec<u8>, b: Vec<u8>| a.iter().zip(b).map(|(x, y)| x ^ y).collect();
        let password = password.as_bytes();
        match plugin {
            // SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw)))
            "mysql_native_password" => {
                let once = hash(&SHA1_FOR_LEGACY_USE_ONLY, &[password]);
                let twice = hash(&SHA1_FOR_LEGACY_USE_ONLY, &[&once]);
                xor(once, hash(&SHA1_FOR_LEGACY_USE_ONLY, &[nonce, &twice]))
            }
            // SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce)
            "caching_sha2_password" => {
                let once = hash(&SHA256, &[password]);
                let twice = hash(&SHA256, &[&once]);
                xor(once, hash(&SHA256, &[&twice, nonce]))
            }
            _ => Vec::new(),
        }
    }
}

/// The payload of the next packet (a 3-byte length, the sequence number,
/// the payload), which must carry `sequence`.
async fn packet(wire: &mut Wire, sequence: u8) -> Result<Vec<u8>, Failure> {
    let header = wire.take(4).await?;
    let length = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    if length == 0 || header[3] != sequence {
        return Err(not_mysql(&header));
    }
    wire.take(length).await
}

async fn send(wire: &mut Wire, sequence: u8, payload: &[u8]) -> Result<(), Failure> {
    let length = (payload.len() as u32).to_le_bytes();
    let mut packet = vec![length[0], length[1], length[2], sequence];
    packet.extend_from_slice(payload);
    wire.send(&packet).await
}

/// The auth plugin a protocol-10 greeting names, and its 20-byte nonce.
fn parse_greeting(greeting: &[u8]) -> Option<(String, Vec<u8>)> {
    let version_end = 1 + greeting[1..].iter().position(|&b| b == 0)?;
    // Connection id (4), then the first 8 bytes of the nonce and a filler.
    let rest = greeting.get(version_end + 1 + 4..)?;
    let mut nonce = rest.get(..8)?.to_vec();
    // Capabilities (2), charset (1), status (2), capabilities (2), nonce length (1), reserved (10).
    let Some(after) = rest.get(8 + 1 + 2 + 1 + 2 + 2 + 1 + 10..) else {
        // A pre-4.1 server: no second part, no plugin.
        return Some(("mysql_native_password".to_owned(), nonce));
    };
    let part_2_end = after.iter().position(|&b| b == 0).unwrap_or(after.len());
    nonce.extend_from_slice(&after[..part_2_end]);
    let plugin = after.get(part_2_end + 1..).unwrap_or_default();
    let plugin = plugin.split(|&b| b == 0).next().unwrap_or_default();
    let plugin = match plugin {
        [] => "mysql_native_password".to_owned(),
        name => String::from_utf8_lossy(name).into_owned(),
    };
    Some((plugin, nonce))
}

/// An AuthSwitchRequest's plugin name and nonce (without its trailing NUL).
fn split_auth_switch(body: &[u8]) -> (String, Vec<u8>) {
    let name_end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
    let nonce = body.get(name_end + 1..).unwrap_or_default();
    let nonce = nonce.strip_suffix(&[0]).unwrap_or(nonce);
    (
        String::from_utf8_lossy(&body[..name_end]).into_owned(),
        nonce.to_vec(),
    )
}

/// An ERR packet's code and message.
fn error_text(packet: &[u8]) -> String {
    let code = match packet.get(1..3) {
        Some(&[low, high]) => u16::from_le_bytes([low, high]),
        _ => return "an empty error".to_owned(),
    };
    // Protocol 4.1 puts '#' and a 5-character SQLSTATE before the message.
    let message = match packet.get(3) {
        Some(b'#') => packet.get(9..).unwrap_or_default(),
        _ => &packet[3..],
    };
    format!("{code} {}", String::from_utf8_lossy(message))
}

/// `text`'s bytes as upper-case hexadecimal digits, as MySQL's `HEX()` writes them.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

fn not_mysql(reply: &[u8]) -> Failure {
    Failure::new(format!("not a MySQL server (sent {})", preview(reply)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_scrambles_are_what_the_server_checks() {
        // The server keeps SHA1(SHA1(pw)) and checks that SHA1(reply XOR
        // SHA1(nonce + stored)) is the stored hash again.
        let probe = Mysql {
            endpoint: Endpoint::parse("db:3306", None).unwrap(),
            user: "app".into(),
            password: Some("s3cret".into()),
            database: None,
            table: None,
        };
        let nonce = b"abcdefghijklmnopqrst";
        let reply = probe.scramble("mysql_native_password", nonce);
        let sha1 = |b: &[u8]| digest(&SHA1_FOR_LEGACY_USE_ONLY, b).as_ref().to_vec();
        let stored = sha1(&sha1(b"s3cret"));
        let mask = sha1(&[&nonce[..], &stored].concat());
        let candidate: Vec<u8> = reply.iter().zip(mask).map(|(a, b)| a ^ b).collect();
        assert_eq!(sha1(&candidate), stored);
        // caching_sha2_password: the server keeps SHA256(SHA256(pw)) and checks
        // that SHA256(reply XOR SHA256(stored + nonce)) is it.
        let reply = probe.scramble("caching_sha2_password", nonce);
        let sha256 = |b: &[u8]| digest(&SHA256, b).as_ref().to_vec();
        let stored = sha256(&sha256(b"s3cret"));
        let mask = sha256(&[&stored[..], &nonce[..]].concat());
        let candidate: Vec<u8> = reply.iter().zip(mask).map(|(a, b)| a ^ b).collect();
        assert_eq!(sha256(&candidate), stored);
        assert!(probe.scramble("dialog", nonce).is_empty());
    }
}
