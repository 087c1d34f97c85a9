//! `nats://[user:password@|token@]host[:4222]`: ready when the server sends
//! INFO and answers PING with PONG.
//!
//! The server speaks first (`INFO {...}`); waitfor then sends CONNECT (with
//! the URL's credentials, if any) and PING, and reads until PONG. An
//! "Authorization Violation" when the URL gave no credentials is an answer
//! from a running server that wants some: ready. Any other `-ERR` is not.

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 4222;
/// How many lines waitfor reads looking for PONG (`+OK`, `INFO` and `PING` may come first).
const MOST_LINES: usize = 8;

#[derive(Clone)]
pub struct Nats {
    endpoint: Endpoint,
    /// The `"user"`/`"pass"` or `"auth_token"` fields of CONNECT, as JSON.
    credentials: String,
}

impl Nats {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_path()?;
        let credentials = match (&url.user, &url.password) {
            (Some(user), Some(password)) => {
                format!(
                    r#","user":{},"pass":{}"#,
                    json_string(user),
                    json_string(password)
                )
            }
            (Some(token), None) | (None, Some(token)) => {
                format!(r#","auth_token":{}"#, json_string(token))
            }
            (None, None) => String::new(),
        };
        Ok(Nats {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            credentials,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        let info = wire.line().await?;
        if !info.starts_with("INFO ") {
            return Err(not_nats(&info));
        }
        let connect = format!(
            "CONNECT {{\"verbose\":false,\"pedantic\":false,\"name\":\"waitfor\",\"lang\":\"rust\",\"version\":\"{}\"{}}}\r\nPING\r\n",
            env!("CARGO_PKG_VERSION"),
            self.credentials
        );
        wire.send(connect.as_bytes()).await?;
        for _ in 0..MOST_LINES {
            let line = wire.line().await?;
            match line.as_str() {
                "PONG" => return Ok(Ready::default()),
                "+OK" => {}
                "PING" => wire.send(b"PONG\r\n").await?,
                info if info.starts_with("INFO ") => {}
                error if error.starts_with("-ERR") => {
                    let anonymous = self.credentials.is_empty();
                    return match error.contains("Authorization Violation") && anonymous {
                        true => Ok(Ready::default()),
                        false => Err(Failure::new(format!("the server answered {error}"))),
                    };
                }
                other => return Err(not_nats(other)),
            }
        }
        Err(Failure::new(format!(
            "no PONG in the first {MOST_LINES} lines"
        )))
    }
}

fn not_nats(line: &str) -> Failure {
    Failure::new(format!(
        "not a NATS server (sent {})",
        preview(line.as_bytes())
    ))
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
