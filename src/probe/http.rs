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
//!
//! A redirect is the server's word, so it is followed as curl and browsers
//! follow one (RFC 9110 §15.4), and never further: only to http or https
//! (never into `http+unix` or another scheme: a remote server must not make
//! waitfor talk to a local socket), never from https to plain http; 303, and
//! 301 or 302 after a POST, become a GET without a body; once a hop leaves
//! the first scheme, host and port, every header the user gave
//! (`Authorization`, `Cookie`, keys…) and the body stay behind.

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
use crate::human;
use crate::secret;
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
    pub(super) name: HeaderName,
    pub(super) value: HeaderValue,
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

    /// `Name: value` (the value trimmed). The value is a secret: kept at
    /// once, and never quoted, nor is anything that may be part of it.
    fn from_str(text: &str) -> Result<Self, String> {
        let Some((name, value)) = text.split_once(':') else {
            // Without a ':' nothing tells the name from the value: quote neither.
            secret::keep(text.trim());
            return Err(
                "a header has no ':' between its name and value (write Name: value)".into(),
            );
        };
        let (name, value) = (name.trim(), value.trim());
        secret::keep(value);
        Ok(Header {
            name: HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                secret::keep(name);
                "a header's name (before the ':') is not a header name".to_owned()
            })?,
            value: HeaderValue::from_str(value)
                .map_err(|_| format!("header {name}: its value is not one line of text"))?,
        })
    }
}

impl Http {
    pub fn from_url(url: &Url, settings: &HttpSettings, tls: &Tls) -> Result<Self, String> {
        let settings = settings.with_keys(&url.keys()?)?;
        // The body, the option's or the target's own, is a secret as a header's value is.
        if let Some(body) = &settings.body {
            secret::keep(body);
        }
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

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut asked = Asked {
            hop: self.first.clone(),
            method: self.method.clone(),
            body: self.body.clone(),
            own_origin: true,
        };
        let mut visited = vec![asked.hop.clone()];
        loop {
            let answer = self.request(&asked).await?;
            let redirect = answer
                .location
                .clone()
                .filter(|_| self.follow && followed(answer.status));
            let Some(location) = redirect else {
                return self.judged(answer);
            };
            let hop = asked.hop.redirected(&location);
            // Where it leads is the server's word: quoted, never read as anything but text.
            let location = human::quoted(&location);
            let hop = hop.map_err(|reason| {
                Failure::new(format!(
                    "HTTP {} redirects to {location}, which waitfor does not follow: {reason}",
                    answer.status
                ))
            })?;
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
            asked = asked.redirected(hop, answer.status, &self.first);
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
    async fn request(&self, asked: &Asked) -> Result<Answer, Failure> {
        let hop = &asked.hop;
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
            .method(asked.method.clone())
            .uri(hop.path.clone())
            .header(HOST, &hop.host)
            .header(USER_AGENT, concat!("waitfor/", env!("CARGO_PKG_VERSION")));
        // The user's headers go to the target's own origin only.
        let headers = match asked.own_origin {
            true => &self.headers[..],
            false => &[],
        };
        for header in headers {
            request = request.header(&header.name, &header.value);
        }
        let request = request
            .body(Full::new(asked.body.clone()))
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
                driven(
                    &mut connection,
                    first_bytes(response.into_body(), MOST_READ),
                )
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

/// One request on a fresh `stream` (a client's own: a Kubernetes API
/// server's), answered with its status and the first `at_most` bytes of its body.
pub(super) async fn exchange(
    stream: Box<dyn Io>,
    request: Request<Full<Bytes>>,
    at_most: usize,
) -> Result<(StatusCode, Body), Failure> {
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MOST_READ)
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(failure)?;
    let mut connection = Some(connection);
    let response = driven(&mut connection, sender.send_request(request))
        .await
        .map_err(failure)?;
    let status = response.status();
    let body = driven(&mut connection, first_bytes(response.into_body(), at_most))
        .await
        .map_err(failure)?;
    Ok((status, body))
}

/// What one request asks, and of whom: after a redirect, perhaps another
/// method, no body, and none of the user's headers.
struct Asked {
    hop: Hop,
    method: Method,
    body: Bytes,
    /// Whether every hop so far kept the first one's scheme, host and port.
    own_origin: bool,
}

impl Asked {
    /// What to ask of `hop`, where a `status` redirect leads from this
    /// request to it, as RFC 9110 §15.4 and browsers have it.
    fn redirected(self, hop: Hop, status: StatusCode, first: &Hop) -> Asked {
        let own_origin = self.own_origin && hop.address == first.address;
        let to_get = status == StatusCode::SEE_OTHER && self.method != Method::HEAD
            || matches!(status.as_u16(), 301 | 302) && self.method == Method::POST;
        let (method, body) = match (to_get, own_origin) {
            (true, _) => (Method::GET, Bytes::new()),
            // 307 and 308 keep the method; the body stays with its origin.
            (false, true) => (self.method, self.body),
            (false, false) => (self.method, Bytes::new()),
        };
        Asked {
            hop,
            method,
            body,
            own_origin,
        }
    }
}

/// Whether a status is a redirect that a `Location` makes: 301, 302, 303, 307, 308.
fn followed(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
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

/// The first `at_most` bytes of a body, and whether there was more.
async fn first_bytes(mut body: Incoming, at_most: usize) -> Result<Body, hyper::Error> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        let room = at_most - bytes.len();
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

    /// Where a `Location` sent in answer to this hop leads; an error where
    /// it leads anywhere but to http or https, or from https to http.
    fn redirected(&self, location: &str) -> Result<Hop, String> {
        let https = matches!(self.address, Address::Tcp { https: true, .. });
        let scheme = if https { "https" } else { "http" };
        let absolute = location
            .split_once(':')
            .filter(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']));
        if let Some((to, _)) = absolute {
            let to = to.to_ascii_lowercase();
            if to != "http" && to != "https" {
                return Err("only http and https are followed".into());
            }
            if https && to == "http" {
                return Err("it leaves https for plain http".into());
            }
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
        assert_eq!(led("HTTPS://secure/"), "https secure:443 secure /");
        for refused in [
            "ftp://x/",
            "http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/app/kill",
            "HTTP+UNIX://%2Fvar%2Frun%2Fdocker.sock/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(hop.redirected(refused).is_err(), "{refused}");
        }
        let secure = Hop::from_url(&Url::split("https://web/a").unwrap()).unwrap();
        assert!(secure.redirected("http://web/b").is_err());
        assert!(secure.redirected("//web/b").is_ok());
    }

    #[test]
    fn a_redirect_to_another_origin_takes_nothing_of_the_users() {
        let first = Hop::from_url(&Url::split("http://web:8080/a").unwrap()).unwrap();
        let post = |method: Method| Asked {
            hop: first.clone(),
            method,
            body: Bytes::from("secret body"),
            own_origin: true,
        };
        let to = |location: &str| first.redirected(location).unwrap();
        let status = |code: u16| StatusCode::from_u16(code).unwrap();
        // Within the origin, 307 and 308 keep method and body; 301/302 after POST and 303 do not.
        for code in [307, 308] {
            let asked = post(Method::POST).redirected(to("/b"), status(code), &first);
            assert_eq!(
                (asked.method, &asked.body[..], asked.own_origin),
                (Method::POST, &b"secret body"[..], true)
            );
        }
        for (code, method) in [(301, Method::POST), (302, Method::POST), (303, Method::PUT)] {
            let asked = post(method).redirected(to("/b"), status(code), &first);
            assert_eq!((asked.method, asked.body.is_empty()), (Method::GET, true));
        }
        // Another port, host or scheme: no body, no headers, and that stays so.
        for location in [
            "http://web:8081/b",
            "http://other:8080/b",
            "https://web:8080/b",
        ] {
            let asked = post(Method::PUT).redirected(to(location), status(307), &first);
            assert!(!asked.own_origin && asked.body.is_empty(), "{location}");
            let back = asked.redirected(to("/a"), status(307), &first);
            assert!(!back.own_origin, "{location}");
        }
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
