//! `amqp://host[:5672]`: ready when the broker answers the AMQP 0-9-1
//! protocol header with Connection.Start.
//!
//! Sends `AMQP\0\0\x09\x01` and reads one frame: a method frame on channel 0
//! whose class and method are 10, 10 (connection.start). A broker that wants
//! another protocol version answers with its own header instead: not ready.
//! No login is tried, so credentials and vhost in the URL are accepted and
//! ignored.

use super::wire::{Wire, preview};
use super::{Failure, Ready};
use crate::target::{Endpoint, Url};

const DEFAULT_PORT: u16 = 5672;
const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";
const METHOD_FRAME: u8 = 1;
const FRAME_END: u8 = 0xce;
/// Class 10 (connection), method 10 (start).
const CONNECTION_START: [u8; 4] = [0, 10, 0, 10];

#[derive(Clone)]
pub struct Amqp {
    endpoint: Endpoint,
}

impl Amqp {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(Amqp {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
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
        let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
        if header[0] != METHOD_FRAME || header[1..3] != [0, 0] || size < 4 {
            return Err(not_amqp(&header));
        }
        let frame = wire.take(size + 1).await?;
        match frame[..4] == CONNECTION_START && frame[size] == FRAME_END {
            true => Ok(Ready::default()),
            false => Err(not_amqp(&frame)),
        }
    }
}

fn not_amqp(reply: &[u8]) -> Failure {
    Failure::new(format!(
        "not an AMQP 0-9-1 broker (answered {})",
        preview(reply)
    ))
}
