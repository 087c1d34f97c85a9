//! `unix:///path/to.sock`: ready when a connection to the socket is accepted.

use std::path::PathBuf;

use tokio::net::UnixStream;

use super::{Failure, Ready, describe};
use crate::target::Url;

#[derive(Clone)]
pub struct Unix {
    path: PathBuf,
}

impl Unix {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(Unix {
            path: url.absolute_path()?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        UnixStream::connect(&self.path)
            .await
            .map(|_| Ready::default())
            .map_err(|error| Failure::new(describe(&error)))
    }
}
