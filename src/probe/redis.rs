//! `redis://[[user]:password@]host[:6379][/db]` (`rediss://` over TLS): ready
//! when `PING` is answered `+PONG`.
//!
//! With a password, `AUTH [user] password` goes first, and a refused AUTH is
//! not ready. Without one, `-NOAUTH` is an answer from a running server that
//! wants a password: ready; but before AUTH the server answers nothing else,
//! so whether it is still loading cannot be seen, and the ready line says so.
//! `-LOADING` (the dataset is still being read into memory) and every other
//! error reply are not ready.

use tokio_rustls::TlsConnector;

use super::outcome::{Failure, Ready};
use super::tls::Tls;
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 6379;

#[derive(Clone)]
pub struct Redis {
    endpoint: Endpoint,
    tls: Option<TlsConnector>,
    user: Option<String>,
    password: Option<String>,
}

impl Redis {
    pub fn from_url(url: &Url, tls: &Tls) -> Result<Self, String> {
        if url.user.is_some() && url.password.is_none() {
            return Err("a Redis user needs a password, as redis://user:password@host".into());
        }
        Ok(Redis {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            tls: match url.scheme.as_str() {
                "rediss" => Some(tls.connector()?),
                _ => None,
            },
            user: url.user.clone(),
            password: url.password.clone(),
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, self.tls.as_ref()).await?;
        let mut commands = Vec::new();
        if let Some(password) = &self.password {
            let auth = ["AUTH"]
                .into_iter()
                .chain(self.user.as_deref())
                .chain([password.as_str()]);
            commands.extend(command(auth));
        }
        commands.extend(command(["PING"]));
        wire.send(&commands).await?;

        if self.password.is_some() {
            let reply = wire.line().await?;
            match reply.strip_prefix('-') {
                None if reply == "+OK" => {}
                Some(error) => return Err(Failure::new(format!("AUTH was refused: {error}"))),
                None => return Err(not_redis(&reply)),
            }
        }
        let reply = wire.line().await?;
        match reply.strip_prefix('-') {
            None if reply == "+PONG" => Ok(Ready::default()),
            // Without the password, whether it is still loading cannot be seen.
            Some(error) if error.starts_with("NOAUTH") && self.password.is_none() => {
                Ok(Ready::noted(
                    "the server wants a password, so loading was not checked (give it in the URL)",
                ))
            }
            Some(error) if error.starts_with("LOADING") => Err(Failure::new(format!(
                "Redis is loading its dataset into memory: {error}"
            ))),
            Some(error) => Err(Failure::new(format!(
                "PING was answered with an error: {error}"
            ))),
            None => Err(not_redis(&reply)),
        }
    }
}

/// A command as a RESP array of bulk strings.
fn command<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let words: Vec<&str> = words.into_iter().collect();
    let mut encoded = format!("*{}\r\n", words.len()).into_bytes();
    for word in words {
        encoded.extend_from_slice(format!("${}\r\n", word.len()).as_bytes());
        encoded.extend_from_slice(word.as_bytes());
        encoded.extend_from_slice(b"\r\n");
    }
    encoded
}

fn not_redis(reply: &str) -> Failure {
    Failure::new(format!(
        "not a Redis server (answered {})",
        preview(reply.as_bytes())
    ))
}
