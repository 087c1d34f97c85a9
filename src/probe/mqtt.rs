//! `mqtt://[user:password@]host[:1883]`: ready when the broker answers an
//! MQTT 3.1.1 CONNECT with a CONNACK that accepts it.
//!
//! A clean-session CONNECT with a client id of its own per attempt (so two
//! targets on one broker never take over each other's session), then the
//! 4-byte CONNACK. Accepted (0): ready, and DISCONNECT is sent. "Bad user
//! name or password" (4) and "not authorised" (5) are answers from a running
//! broker: ready when the URL gave no credentials, not ready when it gave
//! some. "Server unavailable" (3) and the rest: not ready.

use std::sync::atomic::{AtomicU32, Ordering};

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 1883;
const CONNECT: u8 = 0x10;
const CONNACK: [u8; 2] = [0x20, 0x02];
const DISCONNECT: [u8; 2] = [0xe0, 0x00];
/// Protocol name "MQTT", level 4 (3.1.1).
const PROTOCOL: &[u8] = b"\x00\x04MQTT\x04";
/// How long the broker may keep the session without hearing from waitfor.
const KEEP_ALIVE_SECONDS: u16 = 30;

#[derive(Clone)]
pub struct Mqtt {
    endpoint: Endpoint,
    user: Option<String>,
    password: Option<String>,
}

impl Mqtt {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_path()?;
        if url.password.is_some() && url.user.is_none() {
            return Err("an MQTT password needs a user, as mqtt://user:password@host".into());
        }
        for text in [&url.user, &url.password].into_iter().flatten() {
            if text.len() > usize::from(u16::MAX) {
                return Err("the MQTT user or password is longer than 65535 bytes".into());
            }
        }
        Ok(Mqtt {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            user: url.user.clone(),
            password: url.password.clone(),
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(&self.connect_packet()).await?;
        let reply = wire.take(4).await?;
        if reply[..2] != CONNACK {
            return Err(Failure::new(format!(
                "not an MQTT broker (answered {})",
                preview(&reply)
            )));
        }
        let with_credentials = self.user.is_some();
        match reply[3] {
            0 => {
                // Politeness only: the attempt is over either way.
                let _ = wire.send(&DISCONNECT).await;
                Ok(Ready::default())
            }
            4 | 5 if !with_credentials => Ok(Ready::default()),
            4 => Err(Failure::new("the broker refused the user name or password")),
            5 => Err(Failure::new("the broker says the user is not authorised")),
            3 => Err(Failure::new("the broker says it is unavailable")),
            1 => Err(Failure::new("the broker refused MQTT 3.1.1")),
            code => Err(Failure::new(format!(
                "the broker refused the connection (code {code})"
            ))),
        }
    }

    fn connect_packet(&self) -> Vec<u8> {
        static ATTEMPTS: AtomicU32 = AtomicU32::new(0);
        let client_id = format!(
            "waitfor-{}-{}",
            std::process::id(),
            ATTEMPTS.fetch_add(1, Ordering::Relaxed)
        );
        // Clean session, and a flag for each credential given.
        let flags = 0x02
            | self.user.as_ref().map_or(0, |_| 0x80)
            | self.password.as_ref().map_or(0, |_| 0x40);
        let mut body = PROTOCOL.to_vec();
        body.push(flags);
        body.extend_from_slice(&KEEP_ALIVE_SECONDS.to_be_bytes());
        for text in [Some(&client_id), self.user.as_ref(), self.password.as_ref()]
            .into_iter()
            .flatten()
        {
            body.extend_from_slice(&(text.len() as u16).to_be_bytes());
            body.extend_from_slice(text.as_bytes());
        }
        let mut packet = vec![CONNECT];
        // The remaining length, 7 bits a byte, low bits first.
        let mut remaining = body.len();
        loop {
            let byte = (remaining % 128) as u8;
            remaining /= 128;
            packet.push(if remaining > 0 { byte | 0x80 } else { byte });
            if remaining == 0 {
                break;
            }
        }
        packet.extend_from_slice(&body);
        packet
    }
}
