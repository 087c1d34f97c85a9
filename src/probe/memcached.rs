//! `memcached://host[:11211]`: ready when `version` is answered `VERSION …`.
//!
//! The text protocol's `version` is the one command memcached answers
//! without touching its data, with or without SASL configured for the
//! binary protocol; anything else (`ERROR`, an HTTP reply, silence) is not
//! memcached.

use super::outcome::{Failure, Ready};
use super::wire::{Wire, preview};
use crate::url::{Endpoint, Url};

const DEFAULT_PORT: u16 = 11211;

#[derive(Clone)]
pub struct Memcached {
    endpoint: Endpoint,
}

impl Memcached {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        url.without_path()?;
        Ok(Memcached {
            endpoint: url.endpoint(Some(DEFAULT_PORT))?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut wire = Wire::open(&self.endpoint, None).await?;
        wire.send(b"version\r\n").await?;
        let reply = wire.line().await?;
        match reply.strip_prefix("VERSION ") {
            Some(_) => Ok(Ready::default()),
            None => Err(Failure::new(format!(
                "not a memcached server (answered {})",
                preview(reply.as_bytes())
            ))),
        }
    }
}
