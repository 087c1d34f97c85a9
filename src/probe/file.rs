//! `file:///path`: ready when the path exists (a file a sidecar writes, a
//! mounted secret, a socket's directory).

use std::path::PathBuf;

use super::outcome::{Failure, Ready};
use crate::human;
use crate::url::Url;

#[derive(Clone)]
pub struct File {
    path: PathBuf,
}

impl File {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(File {
            path: url.absolute_path()?,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        match tokio::fs::try_exists(&self.path).await {
            Ok(true) => Ok(Ready::default()),
            Ok(false) => Err(Failure::new("does not exist")),
            Err(error) => Err(Failure::new(human::io_error(&error))),
        }
    }
}
