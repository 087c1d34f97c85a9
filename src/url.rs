//! The URL and address vocabulary every probe takes its options from.
//!
//! A TARGET is split once into the parts all schemes share ([`Url`]): scheme,
//! percent-decoded credentials, authority and path. Probes read host and
//! port from it as an [`Endpoint`]. Host names are kept as names: they are
//! resolved again on every attempt, never here. This module knows nothing of
//! probes or targets; they build on it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

use crate::human;

/// A TARGET split into the parts every scheme shares. Credentials are
/// percent-decoded; the path (with any query) is kept as written.
#[derive(Debug)]
pub struct Url<'a> {
    /// Lower case; `tcp` for a bare `host:port`.
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// `host[:port]`, or `[v6addr][:port]`.
    pub authority: &'a str,
    /// Everything from the first `/` or `?` after the authority up to any
    /// `#`; may be empty.
    pub path: &'a str,
    /// What follows the first `#` after the authority: waitfor's own
    /// per-target keys ([`Url::keys`]), never sent to the server.
    pub fragment: Option<&'a str>,
}

/// One `key=value` of a TARGET's fragment (`#status=200&follow`), percent-decoded;
/// the value is empty for a key written alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub value: String,
}

/// A host and port, as written in `host:port`, `[v6addr]:port` or a URL authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: Host,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A literal address: connected to as it is, never resolved.
    Ip(IpAddr),
    /// A name: resolved through the system resolver on every attempt.
    Name(String),
}

/// Where the parts of a TARGET lie in its text: those that waitfor
/// percent-decodes (the user and password, the fragment), and the address
/// (host and port).
pub struct Layout {
    userinfo: std::ops::Range<usize>,
    address: std::ops::Range<usize>,
    fragment_from: usize,
}

impl Layout {
    pub fn of(text: &str) -> Self {
        let start = text.find("://").map_or(0, |at| at + 3);
        let authority_end = start
            + text[start..]
                .find(['/', '?', '#'])
                .unwrap_or(text.len() - start);
        // The same user and password that masking and Url::split see.
        let userinfo_end = userinfo_end(text, start).unwrap_or(start);
        let fragment_from = text[authority_end..]
            .find('#')
            .map_or(text.len(), |at| authority_end + at);
        let address_from = match userinfo_end == start {
            true => start,
            false => userinfo_end + 1,
        };
        Layout {
            userinfo: start..userinfo_end,
            address: address_from..authority_end,
            fragment_from,
        }
    }

    /// Whether the byte at `offset` is in the host or port.
    pub fn address_at(&self, offset: usize) -> bool {
        self.address.contains(&offset)
    }

    /// Whether the byte at `offset` is in a part that is percent-decoded.
    pub fn decoded_at(&self, offset: usize) -> bool {
        self.userinfo.contains(&offset) || offset > self.fragment_from
    }
}

/// The fragment keys whose values a label shows as written: what a target
/// checks, never what it sends. Every other key's value (`header`, `body`,
/// and any key misspelt) is shown as `***`.
const SHOWN_KEYS: &[&str] = &[
    "status",
    "method",
    "match",
    "json",
    "follow",
    "table",
    "servername",
    "type",
    "expect",
    "server",
    "topic",
    "collection",
    "secondary",
    "min",
];

/// `text` with the password of its `user:password@` shown as `***` (a NATS
/// token, `nats://token@host`, and a Redis password written alone,
/// `redis://password@host`, are passwords too; so is all that stands
/// between `user:` and the last `@` where a password holds an unencoded
/// `/`, `?` or `#`), and in its fragment the value of every key but those
/// that only say what to check: `#header=Name:***`, `#body=***`.
pub fn masked(text: &str) -> String {
    let (scheme, start) = match text.split_once("://") {
        Some((scheme, _)) => (scheme, scheme.len() + 3),
        None => ("", 0),
    };
    let Some(userinfo_end) = userinfo_end(text, start) else {
        return masked_fragment(text, start);
    };
    let userinfo = &text[start..userinfo_end];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None if ["nats", "redis", "rediss"].contains(&scheme.to_ascii_lowercase().as_str()) => {
            "***".to_owned()
        }
        None => userinfo.to_owned(),
    };
    let rest = &text[userinfo_end..];
    format!(
        "{}{shown}{}",
        &text[..start],
        masked_fragment(rest, rest.find(['/', '?', '#']).unwrap_or(rest.len()))
    )
}

/// The TARGETs of a list separated by spaces or commas (`WAITFOR_TARGETS`);
/// a comma in a URL's user or password is part of it, not a separator.
pub fn list(text: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    for mut rest in text.split_whitespace() {
        while !rest.is_empty() {
            let scheme_end = rest.find("://").filter(|&at| !rest[..at].contains(','));
            // The next target with a scheme begins after the comma before its `://`.
            let region_end = scheme_end
                .and_then(|at| rest[at + 3..].find("://").map(|next| at + 3 + next))
                .and_then(|next| rest[..next].rfind(','))
                .unwrap_or(rest.len());
            let region = &rest[..region_end];
            let skip = match scheme_end {
                Some(at) => userinfo_end(region, at + 3).unwrap_or(at + 3),
                None => 0,
            };
            let mut end = region[skip..]
                .find(',')
                .map_or(region.len(), |at| skip + at);
            // A label selector's commas (`k8s:pods?app=db,tier=web`) join its
            // requirements: a piece without ':' is one of them, as every TARGET has a ':'.
            if rest.starts_with("k8s:") {
                while let Some(next) = rest[end..].strip_prefix(',') {
                    let piece = next.split(',').next().unwrap_or_default();
                    if piece.is_empty() || piece.contains(':') {
                        break;
                    }
                    end += 1 + piece.len();
                }
            }
            if end > 0 {
                targets.push(&rest[..end]);
            }
            rest = rest.get(end + 1..).unwrap_or("");
        }
    }
    targets
}

/// Where the user and password that follow `start` end (at their `@`), if
/// there are any. Where the authority holds no `@` but a `user:` that is not
/// a `host:port` is followed by an `@` further on, the password holds an
/// unencoded `/`, `?` or `#`: it ends at the last `@`.
fn userinfo_end(text: &str, start: usize) -> Option<usize> {
    let authority_end = start
        + text[start..]
            .find(['/', '?', '#'])
            .unwrap_or(text.len() - start);
    if let Some(at) = text[start..authority_end].rfind('@') {
        return Some(start + at);
    }
    let (user, after_colon) = text[start..authority_end].split_once(':')?;
    // `[v6addr]:port` is an address, not a user.
    let a_port = user.starts_with('[')
        || !after_colon.is_empty() && after_colon.bytes().all(|b| b.is_ascii_digit());
    match a_port {
        true => None,
        false => text[authority_end..]
            .rfind('@')
            .map(|at| authority_end + at),
    }
}

/// `text` with the values of its fragment's keys masked, the fragment
/// being what follows the first `#` at or after `from`.
fn masked_fragment(text: &str, from: usize) -> String {
    let Some(at) = text[from..].find('#').map(|at| from + at) else {
        return text.to_owned();
    };
    let keys: Vec<String> = text[at + 1..]
        .split('&')
        .map(|key| {
            let Some((name, value)) = key.split_once('=') else {
                return key.to_owned();
            };
            let decoded = percent_decoded(name)
                .unwrap_or_default()
                .to_ascii_lowercase();
            if SHOWN_KEYS.contains(&decoded.as_str()) {
                return key.to_owned();
            }
            let header_name = value
                .split_once(':')
                .map(|(name, _)| name)
                .filter(|name| name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            match (decoded.as_str(), header_name) {
                ("header", Some(header)) => format!("{name}={header}:***"),
                _ => format!("{name}=***"),
            }
        })
        .collect();
    format!("{}#{}", &text[..at], keys.join("&"))
}

impl<'a> Url<'a> {
    pub fn split(text: &'a str) -> Result<Self, String> {
        let start = text.find("://").map_or(0, |at| at + 3);
        if let Some(end) = userinfo_end(text, start) {
            if text[start..end].contains(['/', '?', '#']) {
                return Err(
                    "the password holds a '/', '?' or '#' that is not percent-encoded \
                     (write %2F, %3F, %23)"
                        .into(),
                );
            }
        }
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("tcp".to_owned(), text),
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let (path, fragment) = match path.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (path, None),
        };
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((userinfo, authority)) => (Some(userinfo), authority),
            None => (None, authority),
        };
        let (user, password) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
            Some((user, password)) => (
                Some(percent_decoded(user)?).filter(|u| !u.is_empty()),
                Some(percent_decoded(password)?).filter(|p| !p.is_empty()),
            ),
            None => (None, None),
        };
        Ok(Url {
            scheme,
            user,
            password,
            authority,
            path,
            fragment,
        })
    }

    /// The keys of the fragment, in order (`#header=A:1&header=B:2&follow`).
    pub fn keys(&self) -> Result<Vec<Key>, String> {
        fragment_keys(self.fragment.unwrap_or_default())
    }

    /// The password, or a NATS token (`nats://token@host`), that no output may show.
    pub fn secret(&self) -> Option<String> {
        match (&self.password, self.scheme.as_str()) {
            (Some(password), _) => Some(password.clone()),
            (None, "nats") => self.user.clone(),
            (None, _) => None,
        }
    }

    /// The host and port, with `default_port` where the URL names none.
    pub fn endpoint(&self, default_port: Option<u16>) -> Result<Endpoint, String> {
        Endpoint::parse(self.authority, default_port)
    }

    /// The hosts of a cluster's URL, `host1[:port],host2[:port]…`.
    pub fn endpoints(&self, default_port: u16) -> Result<Vec<Endpoint>, String> {
        self.authority
            .split(',')
            .map(|server| Endpoint::parse(server, Some(default_port)))
            .collect()
    }

    /// `user:password@`, both or neither; `example` shows the form in the error.
    pub fn login(&self, example: &str) -> Result<Option<(String, String)>, String> {
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => Ok(Some((user.clone(), password.clone()))),
            (None, None) => Ok(None),
            _ => Err(format!("a login needs a user and a password, as {example}")),
        }
    }

    /// Refuses a path or query, for schemes that have no use for one.
    pub fn without_path(&self) -> Result<(), String> {
        match self.path {
            "" | "/" => Ok(()),
            path => Err(format!(
                "unexpected {:?} after the port",
                human::shortened(path)
            )),
        }
    }

    /// The path of a `unix:///path` or `file:///path` URL, which must be
    /// absolute (three slashes: an empty host, then the path).
    pub fn absolute_path(&self) -> Result<PathBuf, String> {
        self.without_credentials()?;
        if !self.authority.is_empty() || !self.path.starts_with('/') {
            return Err(format!(
                "write an absolute path after {}:// as in {0}:///run/app.sock",
                self.scheme
            ));
        }
        Ok(PathBuf::from(percent_decoded(self.path)?))
    }

    /// Refuses credentials, for schemes that have no use for them.
    pub fn without_credentials(&self) -> Result<(), String> {
        match (&self.user, &self.password) {
            (None, None) => Ok(()),
            _ => Err(format!("{}:// takes no user or password", self.scheme)),
        }
    }
}

/// The keys of a TARGET's fragment (what follows its `#`), in order.
pub fn fragment_keys(fragment: &str) -> Result<Vec<Key>, String> {
    fragment
        .split('&')
        .filter(|key| !key.is_empty())
        .map(|key| {
            let (name, value) = key.split_once('=').unwrap_or((key, ""));
            let decoded = |text| {
                percent_decoded(text).map_err(|error| format!("#{}: {error}", human::quoted(name)))
            };
            Ok(Key {
                name: decoded(name)?,
                value: decoded(value)?,
            })
        })
        .collect()
}

/// `text` with every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// percent-encoded: safe in a path or a fragment key's value.
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

pub fn percent_decoded(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or("a '%' must be followed by two hex digits")?;
            decoded.push(hex);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| "percent-decoded, it is not UTF-8".to_owned())
}

impl Endpoint {
    /// Parses `host:port` or `[v6addr]:port`; the port may be left out only
    /// where the scheme has a `default_port`. Nothing may follow the port.
    pub fn parse(authority: &str, default_port: Option<u16>) -> Result<Self, String> {
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (address, after) = bracketed
                .split_once(']')
                .ok_or("an IPv6 address opened with '[' is never closed with ']'")?;
            let address = Ipv6Addr::from_str(address)
                .map_err(|_| format!("{:?} is not an IPv6 address", human::shortened(address)))?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(|| {
                    format!("unexpected {:?} after ']'", human::shortened(after))
                })?),
            };
            (Host::Ip(IpAddr::V6(address)), port)
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            if host.contains(':') {
                return Err("an IPv6 address must be written in brackets, as [::1]:port".into());
            }
            (Host::parse(host)?, port)
        };
        let port = match (port, default_port) {
            (Some(port), _) => parse_port(port)?,
            (None, Some(default)) => default,
            (None, None) => return Err("a port is required, as host:port".into()),
        };
        Ok(Endpoint { host, port })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Host {
    /// As in a URL: an IPv6 address in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(address)) => write!(f, "[{address}]"),
            Host::Ip(IpAddr::V4(address)) => write!(f, "{address}"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

impl Host {
    /// A host as a URL's authority writes it, less an IPv6 address's brackets.
    pub fn parse(host: &str) -> Result<Self, String> {
        if let Ok(address) = Ipv6Addr::from_str(host) {
            return Ok(Host::Ip(IpAddr::V6(address)));
        }
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        if let Ok(address) = Ipv4Addr::from_str(host) {
            return Ok(Host::Ip(IpAddr::V4(address)));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        let labels_valid = name.len() <= 253
            && name.split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !labels_valid {
            return Err(format!(
                "{:?} is not a valid host name",
                human::shortened(host)
            ));
        }
        // "10.0.0.256" or "1.2.3" would be handed to the resolver as a name and
        // never resolve; say what is wrong instead of waiting for it.
        if name
            .split('.')
            .all(|label| label.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "{:?} is not a valid IPv4 address",
                human::shortened(host)
            ));
        }
        Ok(Host::Name(host.to_owned()))
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() {
        return Err("the port is empty".into());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {:?} is not a number", human::shortened(port)));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("port {port} is out of range (1-65535)")),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Url<'_> {
        Url::split(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn endpoint(authority: &str) -> Result<Endpoint, String> {
        Endpoint::parse(authority, None)
    }

    #[test]
    fn splits_urls_into_their_parts() {
        let url = split("Redis://app:p%40ss%3Aword@cache:6380/0?x=1");
        assert_eq!(url.scheme, "redis");
        assert_eq!(url.user.as_deref(), Some("app"));
        assert_eq!(url.password.as_deref(), Some("p@ss:word"));
        assert_eq!(url.authority, "cache:6380");
        assert_eq!(url.path, "/0?x=1");
        let url = split("db:5432");
        assert_eq!(
            (url.scheme.as_str(), url.authority, url.path),
            ("tcp", "db:5432", "")
        );
        let url = split("redis://:secret@cache");
        assert_eq!((url.user, url.password.as_deref()), (None, Some("secret")));
        let url = split("unix:///run/app.sock");
        assert_eq!((url.authority, url.path), ("", "/run/app.sock"));
        assert!(Url::split("redis://:bad%zz@cache").is_err());
        let error = Url::split("postgres://app:p#SECRET@db").unwrap_err();
        assert!(error.contains("not percent-encoded") && !error.contains("SECRET"));
        assert_eq!(split("http://web:8080/p?mail=a@b").path, "/p?mail=a@b");
    }

    #[test]
    fn masks_passwords_and_tokens() {
        for (text, shown) in [
            ("redis://:secret@cache", "redis://:***@cache"),
            (
                "postgres://app:pw@db:5432/app?sslmode=disable",
                "postgres://app:***@db:5432/app?sslmode=disable",
            ),
            ("postgres://app@db", "postgres://app@db"),
            ("nats://s3cr3t-token@bus", "nats://***@bus"),
            ("mqtt://u:p@broker/x@y", "mqtt://u:***@broker/x@y"),
            ("db:5432", "db:5432"),
            // Lettuce's way of writing a Redis password, and a URL without a scheme.
            ("redis://s3cr3t@cache:6379", "redis://***@cache:6379"),
            ("user:pw@db:1", "user:***@db:1"),
            // A password with an unencoded '#', '/' or '?'.
            ("postgres://app:p#SECRET@db/x", "postgres://app:***@db/x"),
            ("postgres://app:a/b?c@db", "postgres://app:***@db"),
            ("http://web:8080/p?mail=a@b", "http://web:8080/p?mail=a@b"),
            (
                "http://[::1]:8080/p?mail=a@b",
                "http://[::1]:8080/p?mail=a@b",
            ),
            // Every fragment value but those that say what to check.
            (
                "http://w/#header=X-Key:v&Header=A:b&%68eader=C:d&body=x&status=200",
                "http://w/#header=X-Key:***&Header=A:***&%68eader=C:***&body=***&status=200",
            ),
            ("http://w/#header=X-Api-Key=VALUE", "http://w/#header=***"),
            ("http://w/#headers=Auth:v", "http://w/#headers=***"),
        ] {
            assert_eq!(masked(text), shown);
        }
    }

    #[test]
    fn a_list_splits_at_commas_outside_passwords() {
        assert_eq!(
            list("db:1, redis://:p,w@h:2,redis://h:3,redis://:q,x@h:4\tfile:///a,b:5"),
            [
                "db:1",
                "redis://:p,w@h:2",
                "redis://h:3",
                "redis://:q,x@h:4",
                "file:///a",
                "b:5"
            ]
        );
        assert!(list(" ,, ").is_empty());
        assert_eq!(
            list("k8s:pods?app=db,tier!=cache,!old,db:1,k8s:job/a,k8s:pods?x=y"),
            [
                "k8s:pods?app=db,tier!=cache,!old",
                "db:1",
                "k8s:job/a",
                "k8s:pods?x=y"
            ]
        );
    }

    #[test]
    fn parses_endpoints() {
        assert_eq!(
            endpoint("db:5432"),
            Ok(Endpoint {
                host: Host::Name("db".into()),
                port: 5432
            })
        );
        assert_eq!(
            endpoint("127.0.0.1:80").unwrap().host,
            Host::Ip([127, 0, 0, 1].into())
        );
        assert_eq!(
            endpoint("[::1]:6379").unwrap().host,
            Host::Ip(Ipv6Addr::LOCALHOST.into())
        );
        assert_eq!(endpoint("my_project_db_1.svc.local.:1").unwrap().port, 1);
        assert_eq!(Endpoint::parse("[::1]", Some(443)).unwrap().port, 443);
        assert_eq!(
            Endpoint::parse("db", Some(80)).unwrap().to_string(),
            "db:80"
        );
        assert_eq!(
            endpoint("[::ffff:10.0.0.1]:65535").unwrap().to_string(),
            "[::ffff:10.0.0.1]:65535"
        );
    }

    #[test]
    fn refuses_malformed_endpoints_with_a_reason() {
        for (text, reason) in [
            (":80", "host is empty"),
            ("db", "port is required"),
            ("db:", "port is empty"),
            ("db:0", "out of range"),
            ("db:65536", "out of range"),
            ("db:-1", "not a number"),
            ("db:http", "not a number"),
            ("db:80 ", "not a number"),
            ("::1:80", "brackets"),
            ("[::1:80", "never closed"),
            ("[::1]80", "after ']'"),
            ("[db]:80", "not an IPv6 address"),
            ("d b:80", "not a valid host name"),
            ("db..local:80", "not a valid host name"),
            ("10.0.0.256:80", "not a valid IPv4 address"),
            ("", "host is empty"),
        ] {
            let error = endpoint(text).expect_err(text);
            assert!(
                error.contains(reason),
                "{text:?} gave {error:?}, wanted {reason:?}"
            );
        }
    }
}
