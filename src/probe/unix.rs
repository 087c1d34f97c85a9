//! `unix:///path/to.sock`: ready when a connection to the socket is accepted.

use std::path::PathBuf;

use tokio::net::UnixStream;

use super::{Failure, describe};
use crate::target::Url;

#[derive(Clone)]
pub struct Unix {
    path: PathBuf,
}

impl Unix {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        Ok(Unix {
            path: absolute_path(url)?,
        })
    }

    pub async fn check(&self) -> Result<(), Failure> {
        UnixStream::connect(&self.path)
            .await
            .map(drop)
            .map_err(|error| Failure::new(describe(&error)))
    }
}

/// The path of a `unix:///path` or `file:///path` URL, which must be absolute
/// (three slashes: an empty host, then the path).
pub fn absolute_path(url: &Url) -> Result<PathBuf, String> {
    url.without_credentials()?;
    if !url.authority.is_empty() || !url.path.starts_with('/') {
        return Err(format!(
            "write an absolute path after {}:// as in {0}:///run/app.sock",
            url.scheme
        ));
    }
    Ok(PathBuf::from(url.path))
}
