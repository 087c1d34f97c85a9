//! The command line as clap sees it, and nothing else.
//!
//! These are raw arguments; [`crate::options::Options`] turns them, once, into the
//! typed and validated form the rest of waitfor takes.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};

use crate::human;

#[derive(Debug, Parser)]
#[command(
    name = "waitfor",
    version,
    about = "Wait until the services a program needs are ready, then exec the program.",
    override_usage = "waitfor [OPTIONS] TARGET... [-- COMMAND [ARG...]]",
    after_help = "\
Targets: host:port, [v6addr]:port, tcp://host:port, http(s)://host[:port]/path,
  postgres://[user@]host[:5432][/db], mysql://[user[:password]@]host[:3306],
  redis(s)://[:password@]host[:6379], amqp://[user:password@]host[:5672][/vhost],
  mqtt://host[:1883], nats://host[:4222], unix:///path, file:///path
Targets may also come from WAITFOR_TARGETS, separated by spaces or commas.
Durations: 250ms, 30s, 1m30s, or a bare number of seconds.

Exit codes: 0 ready (no COMMAND), 2 bad usage, 124 deadline passed, 126 COMMAND not
executable, 127 COMMAND not found, 128+N ended by signal N; after exec, the COMMAND's own."
)]
pub struct Cli {
    /// Dependencies to wait for, all checked at once
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Program to exec once every target is ready (after `--`)
    #[arg(value_name = "COMMAND", last = true)]
    pub command: Vec<OsString>,

    /// Overall deadline; 0 waits forever
    #[arg(short, long, env = "WAITFOR_TIMEOUT", value_name = "D", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Pause between attempts on one target
    #[arg(short, long, env = "WAITFOR_INTERVAL", value_name = "D", default_value = "100ms", value_parser = parse_duration)]
    pub interval: Duration,

    /// Bound on one attempt, never past the deadline
    #[arg(long, env = "WAITFOR_CONNECT_TIMEOUT", value_name = "D", default_value = "2s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Statuses that count as ready for http(s) targets, as 200-299,401
    #[arg(
        long,
        env = "WAITFOR_HTTP_STATUS",
        value_name = "LIST",
        default_value = "200-299"
    )]
    pub http_status: String,

    /// Extra trust anchor (PEM) for https and rediss targets, beside the bundled web roots
    #[arg(long, env = "WAITFOR_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Skip TLS certificate verification
    #[arg(long, env = "WAITFOR_INSECURE")]
    pub insecure: bool,

    /// Run the COMMAND as a child and stay as a minimal init (forward signals, reap zombies)
    #[arg(long, env = "WAITFOR_INIT")]
    pub init: bool,

    /// Proceed as soon as one target is ready
    #[arg(long, env = "WAITFOR_ANY")]
    pub any: bool,

    /// Print errors only
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print every attempt (-vv: everything)
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,

    /// Format of what waitfor prints on stderr
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people (a live status when stderr is a terminal)
    Text,
    /// One JSON object a line
    Json,
}

/// A humantime duration (`250ms`, `1m30s`), or a bare number of seconds as in wait-for-it.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let shown = human::shortened(text);
    let too_large = || format!("{shown:?} is too large a duration");
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds = text
            .parse::<f64>()
            .map_err(|_| format!("{shown:?} is not a number of seconds"))?;
        return Duration::try_from_secs_f64(seconds).map_err(|_| too_large());
    }
    humantime::parse_duration(text).map_err(|error| match error {
        humantime::DurationError::NumberOverflow => too_large(),
        error => format!("{error} (write e.g. 30s, 250ms, 1m30s or a number of seconds)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_humantime_or_seconds() {
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for huge in [
            "99999999999999999999",
            "99999999999999999999999s",
            "99999999999999999h",
        ] {
            assert_eq!(
                parse_duration(huge),
                Err(format!("{huge:?} is too large a duration"))
            );
        }
        for bad in [
            "",
            "1.2.3",
            ".",
            "-1",
            "5x",
            "1e3",
            "99999999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
