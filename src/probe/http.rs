//! `http://host[:80]/path`, `https://host[:443]/path`: ready when a GET is
//! answered with a status `--http-status` lists (2xx by default).
//!
//! Redirects are not followed unless asked (`HttpSettings::follow`, which
//! dockerize and wait-for users rely on): then up to [`MOST_REDIRECTS`] hops,
//! each on a fresh connection, all within the one attempt's bound; else a
//! 3xx counts as an answer like any other, so list it in `--http-status` if
//! it means ready. One request a hop, read with hyper (its header buffer
//! bounded); the body is never read.

use std::ops::RangeInclusive;
use std::str::FromStr;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::header::{HOST, HeaderName, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio_rustls::TlsConnector;

use super::outcome::{Failure, Ready, describe};
use super::tls::Tls;
use super::wire::{MOST_READ, open};
use crate::url::{Endpoint, Url};

/// How many redirects one attempt follows, as browsers and Go's client do.
const MOST_REDIRECTS: usize = 10;

/// How http(s) targets ask, and which answers make them ready.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub statuses: Statuses,
    /// Sent with every request, as `Name: value`.
    pub headers: Vec<(String, String)>,
    /// Follow redirects.
    pub follow: bool,
}

#[derive(Clone)]
pub struct Http {
    first: Hop,
    /// For https hops: the first, or one a redirect leads to.
    tls: Option<TlsConnector>,
    headers: Vec<(HeaderName, HeaderValue)>,
    statuses: Statuses,
    follow: bool,
}

/// Where one request goes.
#[derive(Clone, PartialEq)]
struct Hop {
    endpoint: Endpoint,
    https: bool,
    /// What is sent as the Host header: the URL's host, and its port if not the default.
    host: String,
    /// The path and query, as the request line carries them.
    path: Uri,
}

/// The statuses that count as ready, as `200-299,401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses(Vec<RangeInclusive<u16>>);

impl Http {
    pub fn from_url(url: &Url, settings: &HttpSettings, tls: &Tls) -> Result<Self, String> {
        let first = Hop::from_url(url)?;
        let tls = match first.https || settings.follow {
            true => Some(tls.connector()?),
            false => None,
        };
        let headers = settings
            .headers
            .iter()
            .map(|(name, value)| {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("header {name:?}: not a header name"))?;
                let value = HeaderValue::from_str(value)
                    .map_err(|_| format!("header {name}: its value is not one line of text"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        Ok(Http {
            first,
            tls,
            headers,
            statuses: settings.statuses.clone(),
            follow: settings.follow,
        })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut hop = self.first.clone();
        let mut visited = vec![hop.clone()];
        loop {
            let (status, location) = self.request(&hop).await?;
            let redirect = location.filter(|_| self.follow && status.is_redirection());
            let Some(location) = redirect else {
                return self.answered(status);
            };
            hop = hop.redirected(&location).map_err(Failure::new)?;
            if visited.contains(&hop) {
                return Err(Failure::new(format!(
                    "redirect loop: HTTP {status} back to {location}"
                )));
            }
            if visited.len() > MOST_REDIRECTS {
                return Err(Failure::new(format!(
                    "more than {MOST_REDIRECTS} redirects (the last to {location})"
                )));
            }
            visited.push(hop.clone());
        }
    }

    fn answered(&self, status: StatusCode) -> Result<Ready, Failure> {
        match self.statuses.contains(status.as_u16()) {
            true => Ok(Ready {
                http_status: Some(status.as_u16()),
                ..Ready::default()
            }),
            false if status.is_redirection() && !self.follow => Err(Failure::answered(
                status.as_u16(),
                format!(
                    "answered HTTP {status} (redirects are not followed; --http-status can list it)"
                ),
            )),
            false => Err(Failure::answered(
                status.as_u16(),
                format!("answered HTTP {status}"),
            )),
        }
    }

    /// One request on a fresh connection: the status, and where it redirects.
    async fn request(&self, hop: &Hop) -> Result<(StatusCode, Option<String>), Failure> {
        let tls = match hop.https {
            true => self.tls.as_ref(),
            false => None,
        };
        let stream = open(&hop.endpoint, tls).await?;
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(MOST_READ)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(failure)?;
        let mut request = Request::get(hop.path.clone())
            .header(HOST, &hop.host)
            .header(USER_AGENT, concat!("waitfor/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request
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
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned);
        Ok((response.status(), location))
    }
}

impl Hop {
    fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        let (default_port, https) = match url.scheme.as_str() {
            "https" => (443, true),
            "http" => (80, false),
            other => return Err(format!("{other}:// is not http or https")),
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
        Ok(Hop {
            endpoint,
            https,
            host,
            path: uri(&path)?,
        })
    }

    /// Where a `Location` sent in answer to this hop leads.
    fn redirected(&self, location: &str) -> Result<Hop, String> {
        let scheme = if self.https { "https" } else { "http" };
        if location.contains("://") {
            return Hop::from_url(&Url::split(location)?);
        }
        if let Some(authority) = location.strip_prefix("//") {
            return Hop::from_url(&Url::split(&format!("{scheme}://{authority}"))?);
        }
        let path = match location.starts_with('/') {
            true => location.to_owned(),
            false => {
                let base = self.path.path();
                format!("{}{location}", &base[..=base.rfind('/').unwrap_or(0)])
            }
        };
        Ok(Hop {
            path: uri(&path)?,
            ..self.clone()
        })
    }
}

/// A path and query as the request line carries them; the fragment is the
/// client's own business, never sent.
fn uri(path: &str) -> Result<Uri, String> {
    let path = path.split('#').next().unwrap_or("/");
    Uri::from_str(path).map_err(|error| format!("path {path:?}: {error}"))
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
    fn where_a_redirect_leads() {
        let hop = Hop::from_url(&Url::split("http://web:8080/a/b?x=1").unwrap()).unwrap();
        let led = |location: &str| {
            let next = hop.redirected(location).unwrap();
            let scheme = if next.https { "https" } else { "http" };
            format!("{scheme} {} {} {}", next.endpoint, next.host, next.path)
        };
        assert_eq!(led("/ok"), "http web:8080 web:8080 /ok");
        assert_eq!(led("c?y=2"), "http web:8080 web:8080 /a/c?y=2");
        assert_eq!(led("//other/p"), "http other:80 other /p");
        assert_eq!(led("https://secure/"), "https secure:443 secure /");
        assert!(hop.redirected("ftp://x/").is_err());
    }

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
