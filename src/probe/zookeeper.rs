//! `zookeeper://host[:2181]` (`zk://`): ready when the four-letter word
//! `srvr` is answered with a `Mode:` line (standalone, leader or follower):
//! the server is serving.
//!
//! `srvr` is the one four-letter word ZooKeeper 3.5 and later allow by
//! default. A server that is up but not part of a quorum answers "This
//! ZooKeeper instance is not currently serving requests": not ready, and
//! said so; a server that does not allow `srvr` says that too.

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 2181;

#[derive(Clone)]
pub struct Zookeeper {
    endpoint: Endpoint,
}

impl Zookeeper {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        url.without_path()?;
        Ok(Zookeeper {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(b"srvr").await?;
        // The server answers, then closes the connection.
        let reply = wire.until_closed().await?;
        let text = String::from_utf8_lossy(&reply);
        if text.lines().any(|line| line.starts_with("Mode: ")) {
            return Ok(Ready::default());
        }
        let first = text.lines().next().unwrap_or_default().trim();
        Err(Failure::new(match first {
            "This ZooKeeper instance is not currently serving requests" => {
                "ZooKeeper is not serving requests yet (no quorum)".to_owned()
            }
            _ if first.contains("is not in the whitelist") => {
                format!("ZooKeeper does not allow srvr: {first}")
            }
            _ => format!("not a ZooKeeper server (answered {})", preview(&reply)),
        }))
    }
}
