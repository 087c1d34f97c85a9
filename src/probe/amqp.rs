//! `amqp://[user:password@]host[:5672][/vhost]`: ready when the broker
//! answers the AMQP 0-9-1 protocol header with Connection.Start, and, when
//! the URL gives credentials, lets them log in to the vhost.
//!
//! Sends `AMQP\0\0\x09\x01` and reads one frame: a method frame on channel 0
//! whose class and method are 10, 10 (connection.start). A broker that wants
//! another protocol version answers with its own header instead: not ready.
//!
//! AMQP has no way to leave before logging in: RabbitMQ logs a warning
//! ("client unexpectedly closed TCP connection") for every connection that
//! ends there. So with credentials the probe goes on as a client does:
//! Start-Ok (PLAIN), Tune-Ok, Open of the vhost, then Close, answered by
//! Close-Ok, and the broker logs an ordinary connection; a refused login or
//! vhost is not ready. Without credentials it ends after Connection.Start,
//! which is the warning.

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url, percent_decoded};

const DEFAULT_PORT: u16 = 5672;
const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";
const METHOD_FRAME: u8 = 1;
const FRAME_END: u8 = 0xce;
/// The connection class, and its methods waitfor sends or expects.
const CONNECTION: u16 = 10;
const START: u16 = 10;
const START_OK: u16 = 11;
const TUNE: u16 = 30;
const TUNE_OK: u16 = 31;
const OPEN: u16 = 40;
const OPEN_OK: u16 = 41;
const CLOSE: u16 = 50;
const CLOSE_OK: u16 = 51;
/// AMQP's reply code for a normal close.
const REPLY_SUCCESS: u16 = 200;

#[derive(Clone)]
pub struct Amqp {
    endpoint: Endpoint,
    login: Option<Login>,
}

#[derive(Clone)]
struct Login {
    user: String,
    password: String,
    vhost: String,
}

impl Amqp {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let login = match (&url.user, &url.password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some(Login {
                user: user.clone(),
                password: password.clone(),
                vhost: vhost(url.path)?,
            }),
            _ => {
                return Err(
                    "an AMQP login needs a user and a password, as amqp://user:password@host"
                        .into(),
                );
            }
        };
        Ok(Amqp {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
            login,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(PROTOCOL_HEADER).await?;
        let header = wire.take(7).await?;
        if header.starts_with(b"AMQP") {
            let version = wire.take(1).await?;
            return Err(Failure::new(format!(
                "the broker wants another AMQP version ({})",
                preview(&[&header[4..], &version].concat())
            )));
        }
        let start = method_after(&mut wire, header).await?;
        if start.0 != (CONNECTION, START) {
            return Err(not_amqp(&start.1));
        }
        match &self.login {
            None => Ok(Ready::default()),
            Some(login) => login.log_in_and_close(&mut wire).await,
        }
    }
}

impl Login {
    /// Start-Ok, Tune, Tune-Ok, Open, Open-Ok, then Close and Close-Ok.
    async fn log_in_and_close(&self, wire: &mut Wire) -> Result<Ready, Failure> {
        // The capability makes a refused login a Connection.Close that says
        // why, not a silent hang-up seconds later.
        let capabilities = table(&[("authentication_failure_close", [&b"t"[..], &[1]].concat())]);
        let mut start_ok = table(&[
            (
                "connection_name",
                [&b"S"[..], &long_string(b"waitfor")].concat(),
            ),
            ("capabilities", [&b"F"[..], &capabilities].concat()),
        ]);
        start_ok.extend(short_string("PLAIN"));
        start_ok.extend(long_string(
            format!("\0{}\0{}", self.user, self.password).as_bytes(),
        ));
        start_ok.extend(short_string("en_US"));
        wire.send(&frame(START_OK, &start_ok)).await?;
        let tune = expect(wire, TUNE, "the login").await?;
        // Channel max (2) and frame max (4) as the broker proposes; no heartbeats.
        let mut tune_ok = tune.get(..6).ok_or_else(|| not_amqp(&tune))?.to_vec();
        tune_ok.extend_from_slice(&[0, 0]);
        wire.send(&frame(TUNE_OK, &tune_ok)).await?;
        let mut open = short_string(&self.vhost);
        open.extend(short_string(""));
        open.push(0);
        wire.send(&frame(OPEN, &open)).await?;
        expect(wire, OPEN_OK, &format!("vhost {:?}", self.vhost)).await?;
        let mut close = REPLY_SUCCESS.to_be_bytes().to_vec();
        close.extend(short_string(""));
        close.extend_from_slice(&[0, 0, 0, 0]);
        wire.send(&frame(CLOSE, &close)).await?;
        expect(wire, CLOSE_OK, "the close").await?;
        Ok(Ready::default())
    }
}

/// The next method of the connection class, which must be `wanted`; a
/// Connection.Close instead says why the broker refused `what`.
async fn expect(wire: &mut Wire, wanted: u16, what: &str) -> Result<Vec<u8>, Failure> {
    let header = wire.take(7).await?;
    let ((class, method), arguments) = method_after(wire, header).await?;
    match (class, method) {
        (CONNECTION, found) if found == wanted => Ok(arguments),
        (CONNECTION, CLOSE) => {
            let code = arguments
                .get(..2)
                .map_or(0, |c| u16::from_be_bytes([c[0], c[1]]));
            let text = arguments
                .get(2)
                .and_then(|&length| arguments.get(3..3 + usize::from(length)))
                .unwrap_or_default();
            Err(Failure::new(format!(
                "the broker refused {what}: {code} {}",
                String::from_utf8_lossy(text)
            )))
        }
        _ => Err(not_amqp(&arguments)),
    }
}

/// The method frame whose 7-byte `header` was just read: its class and
/// method, and its arguments.
async fn method_after(wire: &mut Wire, header: Vec<u8>) -> Result<((u16, u16), Vec<u8>), Failure> {
    let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    if header[0] != METHOD_FRAME || header[1..3] != [0, 0] || size < 4 {
        return Err(not_amqp(&header));
    }
    let body = wire.take(size.saturating_add(1)).await?;
    if body[size] != FRAME_END {
        return Err(not_amqp(&body));
    }
    let class = u16::from_be_bytes([body[0], body[1]]);
    let method = u16::from_be_bytes([body[2], body[3]]);
    Ok(((class, method), body[4..size].to_vec()))
}

/// A method frame of the connection class, on channel 0.
fn frame(method: u16, arguments: &[u8]) -> Vec<u8> {
    let mut frame = vec![METHOD_FRAME, 0, 0];
    frame.extend_from_slice(&((arguments.len() + 4) as u32).to_be_bytes());
    frame.extend_from_slice(&CONNECTION.to_be_bytes());
    frame.extend_from_slice(&method.to_be_bytes());
    frame.extend_from_slice(arguments);
    frame.push(FRAME_END);
    frame
}

fn short_string(text: &str) -> Vec<u8> {
    let bytes = &text.as_bytes()[..text.len().min(255)];
    [&[bytes.len() as u8][..], bytes].concat()
}

fn long_string(bytes: &[u8]) -> Vec<u8> {
    [&(bytes.len() as u32).to_be_bytes()[..], bytes].concat()
}

/// A field table; each value is already encoded, its type byte first.
fn table(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut fields = Vec::new();
    for (key, value) in entries {
        fields.extend(short_string(key));
        fields.extend_from_slice(value);
    }
    long_string(&fields)
}

/// The vhost a URL's path names: `/` when it names none (also for a lone
/// `/`, as users write it), otherwise the path, percent-decoded (`%2f` is `/`).
fn vhost(path: &str) -> Result<String, String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    match path.strip_prefix('/').unwrap_or(path) {
        "" => Ok("/".to_owned()),
        name => percent_decoded(name),
    }
}

fn not_amqp(reply: &[u8]) -> Failure {
    Failure::new(format!(
        "not an AMQP 0-9-1 broker (answered {})",
        preview(reply)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vhosts_from_paths() {
        assert_eq!(vhost("").unwrap(), "/");
        assert_eq!(vhost("/").unwrap(), "/");
        assert_eq!(vhost("/%2f").unwrap(), "/");
        assert_eq!(vhost("/shop?heartbeat=10").unwrap(), "shop");
    }
}
