//! `unix:///path/to.sock`: ready when a connection to the socket is accepted.

use std::path::PathBuf;

use super::outcome::{Failure, Ready};
use super::wire::{open_unix, socket_path};
use crate::url::Url;

#[derive(Clone)]
pub struct Unix {
    path: PathBuf,
}

impl Unix {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(Unix {
            path: socket_path(url.absolute_path()?)?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        open_unix(&self.path).await.map(|_| Ready::default())
    }
}
