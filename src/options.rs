//! The validated options the rest of waitfor takes, built once from the command line.
//!
//! Everything that can be wrong with the invocation is found here, before any
//! probe runs, and reported as [`Error::Usage`] (exit 2).

use std::ffi::OsString;
use std::time::Duration;

use clap::Parser;

use crate::cli::{Cli, LogFormat};
use crate::error::Error;
use crate::probe::{Settings, Tls};
use crate::target::Target;

/// Where targets come from when none is given on the command line.
const TARGETS_ENV: &str = "WAITFOR_TARGETS";

pub struct Options {
    pub targets: Vec<Target>,
    pub timing: Timing,
    pub until: Until,
    pub log: Log,
    /// The program and its arguments; never empty when present.
    pub command: Option<Vec<OsString>>,
    pub handoff: Handoff,
}

/// How the COMMAND takes over once the wait is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// Replace waitfor (the default): same PID, nothing of waitfor left.
    Exec,
    /// `--init`: run it as a child, forward signals, reap zombies.
    Supervise,
}

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The overall deadline; `None` waits forever.
    pub timeout: Option<Duration>,
    pub interval: Duration,
    pub connect_timeout: Duration,
}

/// When the wait is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    AllReady,
    AnyReady,
}

#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub verbosity: Verbosity,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Attempts,
    Everything,
}

impl Options {
    pub fn from_args(args: impl IntoIterator<Item = OsString>) -> Result<Self, Error> {
        let cli = Cli::try_parse_from(args).map_err(Error::from_clap)?;
        let from_env;
        let targets: Vec<&str> = if cli.targets.is_empty() {
            from_env = std::env::var(TARGETS_ENV).unwrap_or_default();
            from_env
                .split([' ', ',', '\t', '\n'])
                .filter(|t| !t.is_empty())
                .collect()
        } else {
            cli.targets.iter().map(String::as_str).collect()
        };
        if targets.is_empty() {
            return Err(Error::Usage(format!(
                "no target given: name at least one TARGET (or set {TARGETS_ENV})"
            )));
        }
        let settings = Settings {
            http_statuses: cli.http_status.parse().map_err(Error::Usage)?,
            tls: Tls::new(cli.ca_cert.as_deref(), cli.insecure).map_err(Error::Usage)?,
        };
        let targets = targets
            .into_iter()
            .map(|text| Target::parse(text, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|invalid| Error::Usage(invalid.to_string()))?;
        for (name, value) in [
            ("--interval", cli.interval),
            ("--connect-timeout", cli.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::Usage(format!("{name} must be more than 0")));
            }
        }
        Ok(Options {
            targets,
            timing: Timing {
                timeout: Some(cli.timeout).filter(|timeout| !timeout.is_zero()),
                interval: cli.interval,
                connect_timeout: cli.connect_timeout,
            },
            until: if cli.any {
                Until::AnyReady
            } else {
                Until::AllReady
            },
            log: Log {
                verbosity: match (cli.quiet, cli.verbose) {
                    (true, _) => Verbosity::Quiet,
                    (false, 0) => Verbosity::Normal,
                    (false, 1) => Verbosity::Attempts,
                    (false, _) => Verbosity::Everything,
                },
                format: cli.log_format,
            },
            command: Some(cli.command).filter(|command| !command.is_empty()),
            handoff: match cli.init {
                true => Handoff::Supervise,
                false => Handoff::Exec,
            },
        })
    }
}

/// Property tests (in place of a fuzzer, which needs a nightly toolchain):
/// whatever the command line, parsing ends in options, help, or a one-line
/// usage error (exit 2), and never panics.
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces a command line is made of, so that random ones reach deep into the parsers.
    fn argument() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z0-9.:/@%?#\\[\\]_ -]{0,24}",
            prop::sample::select(vec![
                "-t",
                "--timeout",
                "-i",
                "--interval",
                "--connect-timeout",
                "--any",
                "-q",
                "-v",
                "--log-format",
                "json",
                "--http-status",
                "--ca-cert",
                "--insecure",
                "--init",
                "--",
                "0",
                "1.5",
                "250ms",
                "1m30s",
                "99999999999999999999",
                "200-299,401",
                "[::1]",
            ])
            .prop_map(str::to_owned),
            (
                "(tcp|http|https|postgres|mysql|redis|rediss|amqp|mqtt|nats|unix|file|x)://",
                "[a-z0-9.:/@%\\[\\]-]{0,20}"
            )
                .prop_map(|(scheme, rest)| format!("{scheme}{rest}")),
        ]
    }

    proptest! {
        #[test]
        fn any_command_line_parses_or_is_one_usage_line(args in prop::collection::vec(argument(), 0..8)) {
            let argv = std::iter::once("waitfor".to_owned()).chain(args).map(OsString::from);
            match Options::from_args(argv) {
                Ok(options) => prop_assert!(!options.targets.is_empty()),
                Err(Error::Help(_)) => {}
                Err(error @ Error::Usage(_)) => {
                    prop_assert_eq!(error.exit_code(), 2);
                    prop_assert!(!error.to_string().contains('\n'), "{}", error);
                }
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
