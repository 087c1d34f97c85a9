//! `host:port`, `[v6addr]:port`, `tcp://host:port`: ready when a connection is accepted.
//!
//! The connection is closed at once without sending anything; for a service
//! that must answer before it counts as ready, use its own scheme.

use super::outcome::{Failure, Ready};
use super::wire::connect;
use crate::url::{Endpoint, Url};

#[derive(Clone)]
pub struct Tcp {
    endpoint: Endpoint,
}

impl Tcp {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        url.without_path()?;
        Ok(Tcp {
            endpoint: url.endpoint(None)?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        connect(&self.endpoint).await.map(|_| Ready::default())
    }
}
