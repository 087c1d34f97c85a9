//! `grpc_health_probe`: grpc-ecosystem/grpc-health-probe, one call to the
//! standard health service, answered by the exit code: 0 SERVING, 1 bad
//! flags, 2 no connection, 3 the call failed, 4 any other status.
//!
//! Go flag syntax (`go_flags.rs`): `-addr` (required), `-service`,
//! `-connect-timeout` and `-rpc-timeout` (Go durations, 1s each),
//! `-rpc-header 'name: value'` (repeatable), `-user-agent`, `-tls` with
//! `-tls-ca-cert`, `-tls-client-cert`, `-tls-client-key`, `-tls-no-verify`,
//! `-tls-server-name`, `-gzip`, `-v`, `-version`; the flag checks in its
//! order and words, each `error: …` and exit 1. Underneath it is one
//! `--check` of a `grpc(s)://` target: the attempt is bounded by the two
//! timeouts together, and one that runs out of time is said and exits as a
//! connect timeout does. The differences: `-tls-ca-cert` is trusted beside
//! the bundled web roots, not instead of them; `-gzip` is accepted and
//! changes nothing (a health call is a few bytes, sent uncompressed);
//! `-alts` and `-spiffe` are refused; `unix:` addresses are not dialled.

use std::ffi::OsString;
use std::time::Duration;

use super::args::text;
use super::go_flags::{self, Refusal};
use crate::error::Error;
use crate::human;
use crate::options::{
    GrpcHealthProbe, Invocation, Log, LogFormat, Options, Purpose, Verbosity, Voice,
};
use crate::url;

/// Its exit code for flags it cannot use (Go's flag errors too).
const INVALID_ARGUMENTS: i32 = 1;

const SWITCHES: &[&str] = &[
    "tls",
    "tls-no-verify",
    "alts",
    "v",
    "version",
    "gzip",
    "spiffe",
];
const VALUED: &[&str] = &[
    "addr",
    "service",
    "user-agent",
    "connect-timeout",
    "rpc-header",
    "rpc-timeout",
    "tls-ca-cert",
    "tls-client-cert",
    "tls-client-key",
    "tls-server-name",
];

/// Go's `PrintDefaults` for its flags, after a flag error or `-h`.
const USAGE: &str = "Usage:
  -addr string
    \t(required) tcp host:port to connect
  -alts
    \tuse ALTS (default: false, INSECURE plaintext transport)
  -connect-timeout duration
    \ttimeout for establishing connection (default 1s)
  -gzip
    \tuse GZIPCompressor for requests and GZIPDecompressor for response (default: false)
  -rpc-header value
    \tadditional RPC headers in 'name: value' format. May specify more than one via multiple flags.
  -rpc-timeout duration
    \ttimeout for health check rpc (default 1s)
  -service string
    \tservice name to check (default: \"\")
  -spiffe
    \tuse SPIFFE to obtain mTLS credentials
  -tls
    \tuse TLS (default: false, INSECURE plaintext transport)
  -tls-ca-cert string
    \t(with -tls, optional) file containing trusted certificates for verifying server
  -tls-client-cert string
    \t(with -tls, optional) client certificate for authenticating to the server (requires -tls-client-key)
  -tls-client-key string
    \t(with -tls) client private key for authenticating to the server (requires -tls-client-cert)
  -tls-no-verify
    \t(with -tls) don't verify the certificate (INSECURE) presented by the server (default: false)
  -tls-server-name string
    \t(with -tls) override the hostname used to verify the server certificate
  -user-agent string
    \tuser-agent header value of health check requests (default \"grpc_health_probe\")
  -v\tverbose logs
  -version
    \tshow probe version and exit
";

pub fn parse(args: Vec<OsString>) -> Result<Options, Error> {
    let words = text(&args);
    let refused = |text: String| Error::Incumbent {
        text: format!("{text}\n"),
        code: INVALID_ARGUMENTS,
    };
    let flags = match go_flags::parse(&words, SWITCHES, VALUED) {
        Ok(flags) => flags,
        Err(Refusal::Help) => return Err(refused(USAGE.trim_end().to_owned())),
        Err(Refusal::Error(text)) => return Err(refused(format!("{text}\n{}", USAGE.trim_end()))),
    };
    let flag_error = |text: String| refused(format!("{text}\n{}", USAGE.trim_end()));
    // Go checks each -rpc-header as it reads it; its words quote the value, a secret here.
    let headers = flags
        .all("rpc-header")
        .into_iter()
        .map(|header| match header.split_once(':') {
            Some((name, value)) => Ok(format!("{name}:{}", value.trim_start())),
            None => Err(flag_error(
                "invalid value for flag -rpc-header: invalid RPC header, expected 'key: value'"
                    .to_owned(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let connect_timeout = flags
        .duration("connect-timeout", Duration::from_secs(1))
        .map_err(flag_error)?;
    let rpc_timeout = flags
        .duration("rpc-timeout", Duration::from_secs(1))
        .map_err(flag_error)?;
    if flags.switch("version") {
        return Err(Error::Help(format!(
            "waitfor {}, as grpc_health_probe\n",
            crate::VERSION
        )));
    }
    let given = |name: &str| flags.last(name).unwrap_or_default();
    let on = |name: &str| flags.switch(name);
    let error = |text: &str| refused(format!("error: {text}"));
    let addr = given("addr");
    if addr.is_empty() {
        return Err(error("-addr not specified"));
    }
    for (name, timeout) in [
        ("connect-timeout", connect_timeout),
        ("rpc-timeout", rpc_timeout),
    ] {
        if timeout.is_zero() {
            return Err(error(&format!(
                "-{name} must be greater than zero (specified: {})",
                given(name)
            )));
        }
    }
    for (wrong, text) in [
        (
            on("alts") && on("spiffe"),
            "-alts and -spiffe are mutually incompatible",
        ),
        (on("tls") && on("alts"), "cannot specify -tls with -alts"),
        (
            !on("tls") && on("tls-no-verify"),
            "specified -tls-no-verify without specifying -tls",
        ),
        (
            !on("tls") && !given("tls-ca-cert").is_empty(),
            "specified -tls-ca-cert without specifying -tls",
        ),
        (
            !on("tls") && !given("tls-client-cert").is_empty(),
            "specified -tls-client-cert without specifying -tls",
        ),
        (
            !on("tls") && !given("tls-server-name").is_empty(),
            "specified -tls-server-name without specifying -tls",
        ),
        (
            !given("tls-client-cert").is_empty() && given("tls-client-key").is_empty(),
            "specified -tls-client-cert without specifying -tls-client-key",
        ),
        (
            given("tls-client-cert").is_empty() && !given("tls-client-key").is_empty(),
            "specified -tls-client-key without specifying -tls-client-cert",
        ),
        (
            on("tls-no-verify") && !given("tls-ca-cert").is_empty(),
            "cannot specify -tls-ca-cert with -tls-no-verify (CA cert would not be used)",
        ),
        (
            on("tls-no-verify") && !given("tls-server-name").is_empty(),
            "cannot specify -tls-server-name with -tls-no-verify (server name would not be used)",
        ),
        (
            on("alts") || on("spiffe"),
            "-alts and -spiffe are not supported by waitfor's grpc_health_probe: use -tls",
        ),
    ] {
        if wrong {
            return Err(error(text));
        }
    }
    let target = target(
        addr,
        given("service"),
        on("tls"),
        &headers,
        flags.last("user-agent"),
        given("tls-server-name"),
    )
    .map_err(|text| error(&text))?;
    let path = |name: &str| Some(given(name)).filter(|p| !p.is_empty()).map(Into::into);
    let verbose = on("v").then(|| {
        let mut lines = vec![
            "parsed options:".to_owned(),
            format!(
                "> addr={addr} conn_timeout={} rpc_timeout={}",
                human::duration(connect_timeout),
                human::duration(rpc_timeout)
            ),
        ];
        if !headers.is_empty() {
            // Go prints the values; they are secrets here.
            let names: Vec<&str> = headers.iter().filter_map(|h| h.split(':').next()).collect();
            lines.push(format!(
                "> headers: {} (values not shown)",
                names.join(", ")
            ));
        }
        lines.push(format!("> tls={}", on("tls")));
        if on("tls") {
            lines.push(format!("  > no-verify={} ", on("tls-no-verify")));
            for name in ["ca-cert", "client-cert", "client-key", "server-name"] {
                lines.push(format!("  > {name}={}", given(&format!("tls-{name}"))));
            }
        }
        lines.push("> alts=false".to_owned());
        lines.push("> spiffe=false".to_owned());
        lines.push("establishing connection".to_owned());
        lines
    });
    let invocation = Invocation {
        purpose: Purpose::Check,
        targets: vec![target],
        // One attempt holds the connection and the call: both bounds together.
        connect_timeout: connect_timeout + rpc_timeout,
        timeout: Duration::ZERO,
        insecure: on("tls-no-verify"),
        ca_cert: path("tls-ca-cert"),
        client_cert: path("tls-client-cert"),
        client_key: path("tls-client-key"),
        expand_variables: false,
        log: Log {
            verbosity: Verbosity::Quiet,
            format: LogFormat::Text,
        },
        voice: Voice::GrpcHealthProbe(GrpcHealthProbe {
            addr: addr.to_owned(),
            connect_timeout,
            verbose,
        }),
        ..Invocation::default()
    };
    Options::new(invocation).map_err(|error| match error {
        Error::Usage(message) => refused(format!("error: {message}")),
        other => other,
    })
}

/// The `grpc(s)://` target the flags name: `-addr` as its authority (`:port`
/// is this machine, as Go dials it; `dns:///` and `passthrough:///` name a
/// host), the service as its path, the metadata and server name as its keys.
fn target(
    addr: &str,
    service: &str,
    tls: bool,
    headers: &[String],
    user_agent: Option<&str>,
    server_name: &str,
) -> Result<String, String> {
    let authority = addr
        .strip_prefix("dns:///")
        .or_else(|| addr.strip_prefix("passthrough:///"))
        .unwrap_or(addr);
    if authority.contains("://") || authority.starts_with("unix:") {
        return Err(format!(
            "-addr {}: waitfor's grpc_health_probe dials host:port only",
            human::quoted(authority)
        ));
    }
    let authority = match authority.starts_with(':') {
        true => format!("127.0.0.1{authority}"),
        false => authority.to_owned(),
    };
    // The ':' as written, so that a label shows the header's name.
    let header = |name: &str, value: &str| {
        format!(
            "header={}:{}",
            url::percent_encoded(name),
            url::percent_encoded(value)
        )
    };
    let mut keys: Vec<String> = headers
        .iter()
        .filter_map(|written| written.split_once(':'))
        .map(|(name, value)| header(name, value))
        .collect();
    if let Some(agent) = user_agent {
        keys.push(header("user-agent", agent));
    }
    if !server_name.is_empty() {
        keys.push(format!("servername={}", url::percent_encoded(server_name)));
    }
    let fragment = match keys.is_empty() {
        true => String::new(),
        false => format!("#{}", keys.join("&")),
    };
    Ok(format!(
        "{}://{authority}/{}{fragment}",
        if tls { "grpcs" } else { "grpc" },
        url::percent_encoded(service)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Face;

    fn parsed(args: &[&str]) -> Result<Options, Error> {
        parse(args.iter().map(OsString::from).collect())
    }

    fn refused(args: &[&str]) -> (i32, String) {
        match parsed(args) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(error) => (error.exit_code(Face::GrpcHealthProbe), error.to_string()),
        }
    }

    #[test]
    fn its_flags_name_one_check_of_a_grpc_target() {
        let options = parsed(&[
            "-addr=:5000",
            "-service",
            "shop.Cart",
            "-connect-timeout=250ms",
            "-rpc-timeout",
            "2s",
        ])
        .unwrap();
        assert_eq!(options.purpose, Purpose::Check);
        assert_eq!(
            options.targets[0].to_string(),
            "grpc://127.0.0.1:5000/shop.Cart"
        );
        assert_eq!(options.timing.connect_timeout, Duration::from_millis(2250));
        let options = parsed(&[
            "--addr",
            "dns:///cart:443",
            "-tls",
            "-tls-server-name=cart.shop",
            "-rpc-header",
            "authorization: Bearer s3cr3t-t0ken-value",
            "-user-agent=kubelet",
        ])
        .unwrap();
        assert_eq!(
            options.targets[0].to_string(),
            "grpcs://cart:443/#header=authorization:***&header=user-agent:***&servername=cart.shop"
        );
    }

    #[test]
    fn what_it_refuses_and_how() {
        for (args, said) in [
            (&[][..], "error: -addr not specified"),
            (
                &["-addr=:1", "-connect-timeout=0"],
                "error: -connect-timeout must be greater than zero (specified: 0)",
            ),
            (
                &["-addr=:1", "-tls-no-verify"],
                "error: specified -tls-no-verify without specifying -tls",
            ),
            (
                &["-addr=:1", "-tls", "-tls-client-cert=c"],
                "error: specified -tls-client-cert without specifying -tls-client-key",
            ),
            (
                &["-addr=:1", "-tls", "-tls-no-verify", "-tls-ca-cert=x"],
                "error: cannot specify -tls-ca-cert with -tls-no-verify",
            ),
            (
                &["-addr=:1", "-alts"],
                "error: -alts and -spiffe are not supported",
            ),
            (&["-addr=unix:///run/grpc.sock"], "dials host:port only"),
            (&["-nope"], "flag provided but not defined: -nope\nUsage:"),
            (&["-h"], "Usage:\n  -addr string"),
            (
                &["-addr=:1", "-rpc-timeout=1"],
                "invalid value \"1\" for flag -rpc-timeout: parse error",
            ),
        ] {
            let (code, text) = refused(args);
            assert_eq!(code, 1, "{args:?}");
            assert!(text.contains(said), "{args:?}: {text}");
        }
        let (code, text) = refused(&["-addr=:1", "-rpc-header", "tokenwithoutcolon"]);
        assert_eq!(code, 1);
        assert!(!text.contains("tokenwithoutcolon"), "{text}");
    }
}
