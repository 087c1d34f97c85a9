//! `http://host[:80]/path`, `https://host[:443]/path`,
//! `http+unix://%2Frun%2Fapp.sock/path`: ready when the request is answered
//! with a status `--http-status` lists (2xx by default) and, if asked, a
//! body that matches (`--http-match`) and holds the JSON values asked for
//! (`--http-json`).
//!
//! The request is GET unless `--http-method` says otherwise (POST when a
//! `--http-body` is given), with any `--http-header`s. A target's URL
//! fragment (`#status=…&json=…`) overrides any of these for that target
//! alone, and is never sent. Redirects are followed only when asked
//! (`--http-follow`, `#follow`): up to [`MOST_REDIRECTS`] hops, each on a
//! fresh connection, all within the one attempt's bound; else a 3xx is an
//! answer like any other. One request a hop, read with hyper (its header
//! buffer bounded); the body is read only when it must show something, and
//! then only its first 64 KiB.

use std::future::Future;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HOST, HeaderName, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio_rustls::TlsConnector;

use super::body::{Body, Expectations, JsonExpectation, Pattern};
use super::outcome::{Failure, Ready};
use super::tls::{Tls, described};
use super::wire::{Io, MOST_READ, open, open_unix, socket_path};
use crate::url::{Endpoint, Key, Url, percent_decoded};

/// How many redirects one attempt follows, as browsers and Go's client do.
const MOST_REDIRECTS: usize = 10;

/// How http(s) targets ask, and which answers make them ready: the global
/// options, which a target's fragment keys override.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub statuses: Statuses,
    /// `None`: GET, or POST when there is a body.
    pub method: Option<Method>,
    /// Sent with every request.
    pub headers: Vec<Header>,
    pub body: Option<String>,
    pub expectations: Expectations,
    /// Follow redirects.
    pub follow: bool,
}

/// A request header, from `Name: value`.
#[derive(Debug, Clone)]
pub struct Header {
    name: HeaderName,
    value: HeaderValue,
}

#[derive(Clone)]
pub struct Http {
    first: Hop,
    /// For https hops: the first, or one a redirect leads to.
    tls: Option<TlsConnector>,
    method: Method,
    headers: Vec<Header>,
    body: Bytes,
    statuses: Statuses,
    expectations: Expectations,
    follow: bool,
}

/// Where one request goes.
#[derive(Clone, PartialEq)]
struct Hop {
    address: Address,
    /// What is sent as the Host header: the URL's host, and its port if not the default.
    host: String,
    /// The path and query, as the request line carries them.
    path: Uri,
}

#[derive(Clone, PartialEq)]
enum Address {
    Tcp {
        endpoint: Endpoint,
        https: bool,
    },
    /// `http+unix://`: the socket's path is the URL's host, percent-encoded.
    Unix(PathBuf),
}

/// The statuses that count as ready, as `200-299,401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses(Vec<RangeInclusive<u16>>);

impl HttpSettings {
    /// These settings with a target's fragment keys over them: each key
    /// given replaces the option of the same meaning (all its values, for
    /// the repeatable `header` and `json`).
    fn with_keys(&self, keys: &[Key]) -> Result<HttpSettings, String> {
        let mut settings = self.clone();
        let given =
            |name: &str| -> Vec<&Key> { keys.iter().filter(|key| key.name == name).collect() };
        let last = |name: &str| given(name).last().map(|key| key.value.as_str());
        if let Some(list) = last("status") {
            settings.statuses = list.parse()?;
        }
        if let Some(method) = last("method") {
            settings.method = Some(method_named(method)?);
        }
        if !given("header").is_empty() {
            settings.headers = given("header")
                .into_iter()
                .map(|key| Header::from_str(&key.value))
                .collect::<Result<_, _>>()?;
        }
        if let Some(body) = last("body") {
            settings.body = Some(body.to_owned());
        }
        if let Some(pattern) = last("match") {
            settings.expectations.matches = Some(Pattern::new(pattern)?);
        }
        if !given("json").is_empty() {
            settings.expectations.json = given("json")
                .into_iter()
                .map(|key| JsonExpectation::new(&key.value))
                .collect::<Result<_, _>>()?;
        }
        if let Some(follow) = last("follow") {
            settings.follow = match follow {
                "" | "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(format!(
                        "#follow={other:?}: write #follow, or #follow=false"
                    ));
                }
            };
        }
        Ok(settings)
    }
}

/// A method as given: `post` is POST.
pub fn method_named(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{text:?} is not an HTTP method"))
}

impl FromStr for Header {
    type Err = String;

    /// `Name: value` (the value trimmed).
    fn from_str(text: &str) -> Result<Self, String> {
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("header {:?}: write it as Name: value", header_name(text)))?;
        let name = name.trim();
        Ok(Header {
            name: HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("header {name:?}: not a header name"))?,
            value: HeaderValue::from_str(value.trim())
                .map_err(|_| format!("header {name}: its value is not one line of text"))?,
        })
    }
}

/// What of a header may be quoted in a message: its name, never its value.
fn header_name(text: &str) -> &str {
    text.split(':').next().unwrap_or_default().trim()
}

impl Header {
    /// The value, which output masks wherever it might appear.
    pub fn value(&self) -> String {
        String::from_utf8_lossy(self.value.as_bytes()).into_owned()
    }
}

impl Http {
    pub fn from_url(url: &Url, settings: &HttpSettings, tls: &Tls) -> Result<Self, String> {
        let settings = settings.with_keys(&url.keys()?)?;
        let first = Hop::from_url(url)?;
        let https = matches!(first.address, Address::Tcp { https: true, .. });
        let tls = match https || settings.follow {
            true => Some(tls.connector()?),
            false => None,
        };
        let method = match (&settings.method, &settings.body) {
            (Some(method), _) => method.clone(),
            (None, Some(_)) => Method::POST,
            (None, None) => Method::GET,
        };
        Ok(Http {
            first,
            tls,
            method,
            headers: settings.headers,
            body: Bytes::from(settings.body.unwrap_or_default()),
            statuses: settings.statuses,
            expectations: settings.expectations,
            follow: settings.follow,
        })
    }

    /// The header values this target sends: secrets for output to mask.
    pub fn secrets(&self) -> Vec<String> {
        self.headers.iter().map(Header::value).collect()
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut hop = self.first.clone();
        let mut visited = vec![hop.clone()];
        loop {
            let answer = self.request(&hop).await?;
            let redirect = answer
                .location
                .clone()
                .filter(|_| self.follow && answer.status.is_redirection());
            let Some(location) = redirect else {
                return self.judged(answer);
            };
            hop = hop.redirected(&location).map_err(Failure::new)?;
            if visited.contains(&hop) {
                return Err(Failure::new(format!(
                    "redirect loop: HTTP {} back to {location}",
                    answer.status
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

    fn judged(&self, answer: Answer) -> Result<Ready, Failure> {
        let status = answer.status;
        if !self.statuses.contains(status.as_u16()) {
            let reason = match status.is_redirection() && !self.follow {
                true => format!(
                    "answered HTTP {status} (redirects are not followed; --http-follow follows them, --http-status can list it)"
                ),
                false => format!("answered HTTP {status}"),
            };
            return Err(Failure::answered(status.as_u16(), reason));
        }
        if let Some(body) = &answer.body {
            self.expectations.check(body)?;
        }
        Ok(Ready {
            http_status: Some(status.as_u16()),
            ..Ready::default()
        })
    }

    /// One request on a fresh connection.
    async fn request(&self, hop: &Hop) -> Result<Answer, Failure> {
        let stream: Box<dyn Io> = match &hop.address {
            Address::Tcp { endpoint, https } => {
                let tls = self.tls.as_ref().filter(|_| *https);
                open(endpoint, tls).await?
            }
            Address::Unix(path) => open_unix(path).await?,
        };
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(MOST_READ)
            .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(failure)?;
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(hop.path.clone())
            .header(HOST, &hop.host)
            .header(USER_AGENT, concat!("waitfor/", env!("CARGO_PKG_VERSION")));
        for header in &self.headers {
            request = request.header(&header.name, &header.value);
        }
        let request = request
            .body(Full::new(self.body.clone()))
            .map_err(|error| Failure::new(format!("cannot build the request: {error}")))?;
        // The connection must be driven for anything to be sent or read.
        let mut connection = Some(connection);
        let response = driven(&mut connection, sender.send_request(request))
            .await
            .map_err(failure)?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned);
        let wanted = self.statuses.contains(status.as_u16()) && self.expectations.any();
        let body = match wanted {
            true => Some(
                driven(&mut connection, first_bytes(response.into_body()))
                    .await
                    .map_err(failure)?,
            ),
            false => None,
        };
        Ok(Answer {
            status,
            location,
            body,
        })
    }
}

/// What one request was answered.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    /// Read only where the status is one wanted and the body must show something.
    body: Option<Body>,
}

/// Awaits `work` while driving `connection` (until it ends, after which it is `None`).
async fn driven<C, T>(
    connection: &mut Option<C>,
    work: impl Future<Output = Result<T, hyper::Error>>,
) -> Result<T, hyper::Error>
where
    C: Future<Output = Result<(), hyper::Error>> + Unpin,
{
    tokio::pin!(work);
    let Some(running) = connection.as_mut() else {
        return work.await;
    };
    let ended = tokio::select! {
        done = &mut work => return done,
        ended = running => ended,
    };
    *connection = None;
    // If it ended first, what the work comes to says why (a parse error, a close).
    match ended {
        Err(error) => Err(error),
        Ok(()) => work.await,
    }
}

/// The first [`MOST_READ`] bytes of a body, and whether there was more.
async fn first_bytes(mut body: Incoming) -> Result<Body, hyper::Error> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        let room = MOST_READ - bytes.len();
        if data.len() > room {
            bytes.extend_from_slice(&data[..room]);
            return Ok(Body { bytes, cut: true });
        }
        bytes.extend_from_slice(&data);
    }
    Ok(Body { bytes, cut: false })
}

impl Hop {
    fn from_url(url: &Url) -> Result<Self, String> {
        url.without_credentials()?;
        let path = match url.path {
            "" => "/".to_owned(),
            path if path.starts_with('/') => path.to_owned(),
            query => format!("/{query}"),
        };
        let path = uri(&path)?;
        let (default_port, https) = match url.scheme.as_str() {
            "https" => (443, true),
            "http" => (80, false),
            "http+unix" => {
                let socket = percent_decoded(url.authority)?;
                if !socket.starts_with('/') {
                    return Err(
                        "write the socket's absolute path, percent-encoded, as the host: \
                         http+unix://%2Frun%2Fapp.sock/path"
                            .to_owned(),
                    );
                }
                return Ok(Hop {
                    address: Address::Unix(socket_path(PathBuf::from(socket))?),
                    host: "localhost".to_owned(),
                    path,
                });
            }
            other => return Err(format!("{other}:// is not http or https")),
        };
        let endpoint = url.endpoint(Some(default_port))?;
        let host = match endpoint.port == default_port {
            true => endpoint.host.to_string(),
            false => endpoint.to_string(),
        };
        Ok(Hop {
            address: Address::Tcp { endpoint, https },
            host,
            path,
        })
    }

    /// Where a `Location` sent in answer to this hop leads.
    fn redirected(&self, location: &str) -> Result<Hop, String> {
        let scheme = match self.address {
            Address::Tcp { https: true, .. } => "https",
            _ => "http",
        };
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

/// A path and query as the request line carries them (a redirect's
/// fragment is the client's own business, never sent).
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
            text = format!("{text}: {}", described(io));
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
            let Address::Tcp { endpoint, https } = &next.address else {
                panic!("a TCP hop");
            };
            let scheme = if *https { "https" } else { "http" };
            format!("{scheme} {endpoint} {} {}", next.host, next.path)
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
