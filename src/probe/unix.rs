//! `unix:///path/to.sock`: ready when a connection to the socket is accepted.

use std::path::PathBuf;

use tokio::net::UnixStream;

use super::outcome::{Failure, Ready, describe};
use crate::url::Url;

/// The longest path `sun_path` holds, less its terminating NUL.
const PATH_AT_MOST: usize = 107;

#[derive(Clone)]
pub struct Unix {
    path: PathBuf,
}

impl Unix {
    pub fn from_url(url: &Url) -> Result<Self, String> {
        let path = url.absolute_path()?;
        let length = path.as_os_str().len();
        if length > PATH_AT_MOST {
            return Err(format!(
                "the socket path is {length} bytes long; a unix socket address holds at most {PATH_AT_MOST}"
            ));
        }
        Ok(Unix { path })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        UnixStream::connect(&self.path)
            .await
            .map(|_| Ready::default())
            .map_err(|error| Failure::new(describe(&error)))
    }
}
