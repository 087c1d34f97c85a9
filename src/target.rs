//! TARGET arguments parsed into typed [`Target`]s, once, before anything runs.
//!
//! Every malformed target is refused here with a message that names it, so the
//! waiting code only ever sees targets it can probe. Host names are kept as
//! names: they are resolved again on every attempt, never here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The URL schemes waitfor understands, in the order the usage error lists them.
const SCHEMES: &[&str] = &["tcp"];

/// One dependency to wait for: what to probe, and how to name it in output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    label: String,
}

/// What kind of readiness check a target gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Ready when a TCP connection to one of the resolved addresses is accepted.
    Tcp(Endpoint),
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

/// Why a TARGET argument was refused; its message names the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTarget {
    target: String,
    reason: String,
}

impl fmt::Display for InvalidTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid target {:?}: {}", self.target, self.reason)
    }
}

impl std::error::Error for InvalidTarget {}

impl FromStr for Target {
    type Err = InvalidTarget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| InvalidTarget {
            target: text.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid("the target is empty".into()));
        }
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("tcp".to_owned(), text),
        };
        let kind = match scheme.as_str() {
            "tcp" => Kind::Tcp(Endpoint::parse(rest, None).map_err(invalid)?),
            _ => {
                return Err(invalid(format!(
                    "unknown scheme {scheme:?} (supported: host:port, {})",
                    SCHEMES
                        .iter()
                        .map(|s| format!("{s}://"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        Ok(Target {
            kind,
            label: text.to_owned(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
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
                .map_err(|_| format!("{address:?} is not an IPv6 address"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("unexpected {after:?} after ']'"))?,
                ),
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
        match &self.host {
            Host::Ip(IpAddr::V6(address)) => write!(f, "[{address}]:{}", self.port),
            Host::Ip(IpAddr::V4(address)) => write!(f, "{address}:{}", self.port),
            Host::Name(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

impl Host {
    fn parse(host: &str) -> Result<Self, String> {
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
            return Err(format!("{host:?} is not a valid host name"));
        }
        // "10.0.0.256" or "1.2.3" would be handed to the resolver as a name and
        // never resolve; say what is wrong instead of waiting for it.
        if name
            .split('.')
            .all(|label| label.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("{host:?} is not a valid IPv4 address"));
        }
        Ok(Host::Name(host.to_owned()))
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() {
        return Err("the port is empty".into());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {port:?} is not a number"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("port {port} is out of range (1-65535)")),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(text: &str) -> Endpoint {
        match text.parse::<Target>() {
            Ok(Target {
                kind: Kind::Tcp(endpoint),
                ..
            }) => endpoint,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn accepts_the_tcp_forms() {
        assert_eq!(
            tcp("db:5432"),
            Endpoint {
                host: Host::Name("db".into()),
                port: 5432
            }
        );
        assert_eq!(
            tcp("tcp://127.0.0.1:80").host,
            Host::Ip([127, 0, 0, 1].into())
        );
        assert_eq!(
            tcp("TCP://[::1]:6379").host,
            Host::Ip(Ipv6Addr::LOCALHOST.into())
        );
        assert_eq!(tcp("my_project_db_1.svc.local.:1").port, 1);
        assert_eq!(
            tcp("[::ffff:10.0.0.1]:65535").to_string(),
            "[::ffff:10.0.0.1]:65535"
        );
    }

    #[test]
    fn refuses_malformed_targets_with_a_reason() {
        for (text, reason) in [
            ("", "empty"),
            (":80", "host is empty"),
            ("db", "port is required"),
            ("db:", "port is empty"),
            ("db:0", "out of range"),
            ("db:65536", "out of range"),
            ("db:-1", "not a number"),
            ("db:http", "not a number"),
            ("db:80/health", "not a number"),
            ("db:80 ", "not a number"),
            ("::1:80", "brackets"),
            ("[::1:80", "never closed"),
            ("[::1]80", "after ']'"),
            ("[db]:80", "not an IPv6 address"),
            ("d b:80", "not a valid host name"),
            ("db..local:80", "not a valid host name"),
            ("10.0.0.256:80", "not a valid IPv4 address"),
            ("gopher://db:70", "unknown scheme \"gopher\""),
            ("tcp://", "host is empty"),
        ] {
            let error = text.parse::<Target>().expect_err(text).to_string();
            assert!(
                error.contains(reason),
                "{text:?} gave {error:?}, wanted {reason:?}"
            );
            assert!(error.starts_with("invalid target"), "{error}");
        }
    }
}
