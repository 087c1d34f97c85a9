//! The validated options the rest of waitfor takes: the one meeting point of
//! every front-end.
//!
//! A front-end (the native command line in `cli.rs`, and any other face
//! waitfor shows) only gathers what it was told into an [`Invocation`];
//! [`Options::new`] checks all of it, in this one place, so every front-end
//! gets the same checks and the same errors. Everything that can be wrong with
//! an invocation is found here, before any probe runs, and reported as
//! [`Error::Usage`] (exit 2). Nothing here knows how arguments were parsed.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::probe::{Settings, Tls};
use crate::target::Target;

/// Where the native command line takes targets from when none is given.
pub const TARGETS_ENV: &str = "WAITFOR_TARGETS";

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log {
    pub verbosity: Verbosity,
    pub format: LogFormat,
}

/// How waitfor's own lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Sentences for people (a live status when stderr is a terminal).
    Text,
    /// One JSON object a line.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Attempts,
    Everything,
}

/// What a front-end was told, in values already parsed but not yet checked.
///
/// The defaults are the native command line's; a front-end sets what its
/// incumbent says and leaves the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The TARGETs as written.
    pub targets: Vec<String>,
    /// The program and its arguments; empty for none.
    pub command: Vec<OsString>,
    /// The overall deadline; zero waits forever.
    pub timeout: Duration,
    pub interval: Duration,
    pub connect_timeout: Duration,
    /// `--http-status`, as written: `200-299,401`.
    pub http_status: String,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub until: Until,
    pub handoff: Handoff,
    pub log: Log,
}

impl Default for Invocation {
    fn default() -> Self {
        Invocation {
            targets: Vec::new(),
            command: Vec::new(),
            timeout: Duration::from_secs(30),
            interval: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(2),
            http_status: "200-299".to_owned(),
            ca_cert: None,
            insecure: false,
            until: Until::AllReady,
            handoff: Handoff::Exec,
            log: Log {
                verbosity: Verbosity::Normal,
                format: LogFormat::Text,
            },
        }
    }
}

impl Options {
    /// Checks an invocation, whichever front-end gathered it.
    pub fn new(invocation: Invocation) -> Result<Self, Error> {
        if invocation.targets.is_empty() {
            return Err(Error::Usage(format!(
                "no target given: name at least one TARGET (or set {TARGETS_ENV})"
            )));
        }
        for (name, value) in [
            ("--interval", invocation.interval),
            ("--connect-timeout", invocation.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::Usage(format!("{name} must be more than 0")));
            }
        }
        let settings = Settings {
            http_statuses: invocation.http_status.parse().map_err(Error::Usage)?,
            tls: Tls::new(invocation.ca_cert.as_deref(), invocation.insecure)
                .map_err(Error::Usage)?,
        };
        let targets = invocation
            .targets
            .iter()
            .map(|text| Target::parse(text, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|invalid| Error::Usage(invalid.to_string()))?;
        Ok(Options {
            targets,
            timing: Timing {
                timeout: Some(invocation.timeout).filter(|timeout| !timeout.is_zero()),
                interval: invocation.interval,
                connect_timeout: invocation.connect_timeout,
            },
            until: invocation.until,
            log: invocation.log,
            command: Some(invocation.command).filter(|command| !command.is_empty()),
            handoff: invocation.handoff,
        })
    }
}
