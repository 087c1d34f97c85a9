//! `mysql://host[:3306]` (`mariadb://`): ready when the server sends its
//! protocol-10 handshake.
//!
//! The server speaks first: a packet (3-byte length, sequence 0) whose payload
//! starts with protocol version 10 and the server's version string. An ERR
//! packet instead (too many connections, host blocked) is not ready; anything
//! else is not MySQL. Nothing is sent and no login is tried, so credentials in
//! the URL are accepted and ignored.

use super::Failure;
use super::wire::{Wire, preview};
use crate::target::{Endpoint, Url};

const DEFAULT_PORT: u16 = 3306;
const PROTOCOL_10: u8 = 10;
const ERR_PACKET: u8 = 0xff;

#[derive(Clone)]
pub struct Mysql {
    endpoint: Endpoint,
}

impl Mysql {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(Mysql {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
        })
    }

    pub async fn check(&self) -> Result<(), Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        let header = wire.take(4).await?;
        let length = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let sequence = header[3];
        if sequence != 0 || length < 2 {
            return Err(not_mysql(&header));
        }
        let payload = wire.take(length).await?;
        match payload[0] {
            // Version 10, then the server's version as a NUL-terminated string.
            PROTOCOL_10 if payload[1..].contains(&0) => Ok(()),
            ERR_PACKET if payload.len() >= 3 => {
                let code = u16::from_le_bytes([payload[1], payload[2]]);
                // Protocol 4.1 puts '#' and a 5-character SQLSTATE before the message.
                let message = match payload.get(3) {
                    Some(b'#') => payload.get(9..).unwrap_or_default(),
                    _ => &payload[3..],
                };
                Err(Failure::new(format!(
                    "MySQL refused the connection: {code} {}",
                    String::from_utf8_lossy(message)
                )))
            }
            _ => Err(not_mysql(&payload)),
        }
    }
}

fn not_mysql(reply: &[u8]) -> Failure {
    Failure::new(format!("not a MySQL server (sent {})", preview(reply)))
}
