//! `http://host[:80]/path`, `https://host[:443]/path`: ready when a GET is
//! answered with a status `--http-status` lists (2xx by default).
//!
//! Redirects are not followed: a 3xx counts as an answer like any other, so
//! list it in `--http-status` if it means ready. One request per attempt, on
//! a fresh connection, read with hyper (its header buffer bounded); the body
//! is never read.

use std::ops::RangeInclusive;
use std::str::FromStr;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::header::{HOST, USER_AGENT};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio_rustls::TlsConnector;

use super::outcome::{Failure, Ready, describe};
use super::tls::Tls;
use super::wire::{MOST_READ, open};
use crate::url::{Endpoint, Url};

#[derive(Clone)]
pub struct Http {
    endpoint: Endpoint,
    tls: Option<TlsConnector>,
    /// What is sent as the Host header: the URL's host, and its port if not the default.
    host: String,
    /// The path and query, as the request line carries them.
    path: Uri,
    statuses: Statuses,
}

/// The statuses that count as ready, as `200-299,401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses(Vec<RangeInclusive<u16>>);

impl Http {
    pub fn from_url(url: &Url, statuses: &Statuses, tls: &Tls) -> Result<Self, String> {
        url.without_credentials()?;
        let (default_port, tls) = match url.scheme.as_str() {
            "https" => (443, Some(tls.connector()?)),
            _ => (80, None),
        };
        let endpoint = url.endpoint(Some(default_port))?;
        let host = match endpoint.port == default_port {
            true => endpoint.host.to_string(),
            false => endpoint.to_string(),
        };
        let path = match url.path {
            "" => "/".to_owned(),
            path if path.starts_with('/') => path.to_owned(),
            query => format!("/{query}"),
        };
        // The fragment is the client's own business, never sent.
        let path = path.split('#').next().unwrap_or("/");
        let path = Uri::from_str(path).map_err(|error| format!("path {path:?}: {error}"))?;
        Ok(Http {
            endpoint,
            tls,
            host,
            path,
            statuses: statuses.clone(),
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let stream = open(&self.endpoint, self.tls.as_ref()).await?;
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(MOST_READ)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(failure)?;
        let request = Request::get(self.path.clone())
            .header(HOST, &self.host)
            .header(USER_AGENT, concat!("waitfor/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|error| Failure::new(format!("cannot build the request: {error}")))?;
        // The connection must be driven while the response is awaited. If it
        // ends first, the request's own outcome says why (a parse error, a close).
        let response = sender.send_request(request);
        tokio::pin!(response);
        let response = tokio::select! {
            response = &mut response => response,
            ended = connection => match ended {
                Err(error) => Err(error),
                Ok(()) => response.await,
            },
        }
        .map_err(failure)?;
        let status = response.status();
        match self.statuses.contains(status.as_u16()) {
            true => Ok(Ready::default()),
            false if status.is_redirection() => Err(Failure::new(format!(
                "answered HTTP {status} (redirects are not followed; --http-status can list it)"
            ))),
            false => Err(Failure::new(format!("answered HTTP {status}"))),
        }
    }
}

/// hyper's words when bytes arrive with no request under way; it has no
/// predicate for that kind of error (checked with the version in Cargo.lock).
const SPOKE_FIRST: &str = "received unexpected message from connection";

fn failure(error: hyper::Error) -> Failure {
    if error.is_parse() {
        return Failure::new(format!("not an HTTP server: {error}"));
    }
    // An HTTP server never speaks before the request (the request is then canceled).
    let spoke_first =
        std::error::Error::source(&error).is_some_and(|c| c.to_string() == SPOKE_FIRST);
    if error.to_string() == SPOKE_FIRST || spoke_first {
        return Failure::new("not an HTTP server: it spoke before the request");
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        // An I/O error in the words every probe uses, not "... (os error 104)".
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            text = format!("{text}: {}", describe(io));
            break;
        }
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    Failure::new(format!("HTTP: {text}"))
}

impl Statuses {
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|range| range.contains(&status))
    }
}

impl Default for Statuses {
    fn default() -> Self {
        Statuses(vec![200..=299])
    }
}

impl FromStr for Statuses {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let status = |text: &str| match text.trim().parse::<u16>() {
            Ok(status @ 100..=599) => Ok(status),
            _ => Err(format!(
                "--http-status: {text:?} is not an HTTP status (100-599)"
            )),
        };
        let ranges = list
            .split(',')
            .map(|item| match item.split_once('-') {
                Some((low, high)) => {
                    let (low, high) = (status(low)?, status(high)?);
                    match low <= high {
                        true => Ok(low..=high),
                        false => Err(format!("--http-status: {item:?} is an empty range")),
                    }
                }
                None => status(item).map(|status| status..=status),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Statuses(ranges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists() {
        let statuses: Statuses = "200-299, 401".parse().unwrap();
        assert!(statuses.contains(204) && statuses.contains(401));
        assert!(!statuses.contains(302) && !statuses.contains(500));
        for bad in ["", "2xx", "99", "600", "300-200", "200-", "200,,204"] {
            assert!(bad.parse::<Statuses>().is_err(), "{bad:?} was accepted");
        }
    }
}
