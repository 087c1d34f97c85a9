//! What the front-ends share in reading an incumbent's arguments and
//! environment.

use std::ffi::OsString;

pub use crate::expand::Environment;

/// `host:port` as a TCP target, an IPv6 address in brackets.
pub fn tcp_target(host: &str, port: &str) -> String {
    match host.contains(':') && !host.starts_with('[') {
        true => format!("tcp://[{host}]:{port}"),
        false => format!("tcp://{host}:{port}"),
    }
}

/// Arguments as text: the incumbents are shell scripts and Go, which read
/// them as bytes; what is not UTF-8 cannot name a host anyway.
pub fn text(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect()
}
