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
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::level_filters::LevelFilter;

use crate::error::Error;
use crate::expand;
use crate::human;
use crate::pacing::Pacing;
use crate::probe::{
    Expectations, Header, HttpSettings, JsonExpectation, Pattern, Settings, Tls, method_named,
};
use crate::target::Target;

/// Where the native command line takes targets from when none is given.
pub const TARGETS_ENV: &str = "WAITFOR_TARGETS";

pub struct Options {
    pub targets: Vec<Target>,
    pub purpose: Purpose,
    pub timing: Timing,
    pub until: Until,
    pub direction: Direction,
    pub log: Log,
    /// The program and its arguments; never empty when present.
    pub command: Option<Vec<OsString>>,
    pub handoff: Handoff,
    pub after_timeout: AfterTimeout,
    pub voice: Voice,
}

/// What a run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Wait until the targets are ready, then hand off to the COMMAND (or exit 0).
    Wait,
    /// `--check`: one attempt at each target, answered by the exit code
    /// alone (a Docker `HEALTHCHECK`, a Kubernetes exec probe).
    Check,
}

/// What a deadline that passes means for the COMMAND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTimeout {
    /// Exit without running it (waitfor's way, and most incumbents').
    Exit,
    /// Run it anyway: wait-for-it without `--strict`.
    RunCommand,
}

/// Whose words the wait is told in: waitfor's own, or an incumbent's, so
/// that what reads an incumbent's output keeps working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voice {
    Native,
    /// `NAME: waiting 15 seconds for HOST:PORT`, as vishnubob/wait-for-it.
    WaitForIt {
        /// The name it was invoked by, which prefixes every line.
        name: String,
        /// `HOST:PORT` as its lines write it.
        host_port: String,
        /// Whole seconds; 0 for none.
        timeout: u64,
        strict: bool,
        quiet: bool,
    },
    /// Silent but for `Operation timed out`, as eficode/wait-for.
    WaitFor,
    /// `[INFO  wait] …` lines, one target at a time, as docker-compose-wait.
    ComposeWait(ComposeWait),
    /// Go `log` lines on stderr, `status: SERVING` among them, as grpc_health_probe.
    GrpcHealthProbe(GrpcHealthProbe),
    /// Go `log` lines, as jwilder/dockerize.
    Dockerize {
        /// The `-wait` URLs as given, which the timeout line lists.
        waits: Vec<String>,
        timeout: Duration,
        retry_interval: Duration,
    },
}

/// What grpc_health_probe's lines say, beside the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcHealthProbe {
    /// `-addr` as given, which its connection errors quote.
    pub addr: String,
    /// `-connect-timeout`, which its timeout line names.
    pub connect_timeout: Duration,
    /// With `-v`: the options as it lists them, said first.
    pub verbose: Option<Vec<String>>,
}

/// What docker-compose-wait's lines say, beside the targets themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeWait {
    /// What `WAIT_LOGGER_LEVEL` lets through.
    pub level: LevelFilter,
    /// Said first, at warning level (deprecated or unreadable variables).
    pub warnings: Vec<String>,
    /// The entries of `WAIT_HOSTS`, then of `WAIT_PATHS`, as written: the
    /// targets, in the same order.
    pub hosts: Vec<String>,
    pub paths: Vec<String>,
    /// The settings in whole seconds, as its configuration lines show them.
    pub timeout: u64,
    pub connect_timeout: u64,
    pub before: u64,
    pub after: u64,
    pub interval: u64,
    /// `WAIT_COMMAND`, trimmed; empty for none.
    pub command: String,
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
    /// The pauses between attempts on one target (`--interval`, `--backoff`).
    pub pacing: Pacing,
    pub connect_timeout: Duration,
    /// `--stable`: how long a target must stay ready to count as ready.
    pub stable: Duration,
    /// A pause before the first attempt, before the deadline starts.
    pub pause_before: Duration,
    /// A pause once the wait is over, before the hand-off.
    pub pause_after: Duration,
    /// One attempt at each target, none again: the wait ends once each has
    /// answered (docker-compose-wait's `WAIT_TIMEOUT=0`).
    pub once: bool,
}

/// What is waited for: targets that are ready, or (`--reverse`) targets that are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ready,
    Gone,
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
    pub purpose: Purpose,
    /// The TARGETs as written.
    pub targets: Vec<String>,
    /// The program and its arguments; empty for none.
    pub command: Vec<OsString>,
    /// The overall deadline; zero waits forever.
    pub timeout: Duration,
    pub interval: Duration,
    pub connect_timeout: Duration,
    /// Zero for none.
    pub backoff: Duration,
    pub stable: Duration,
    pub direction: Direction,
    /// `--http-status`, as written: `200-299,401`.
    pub http_status: String,
    pub http_method: Option<String>,
    /// Sent with every http(s) request, as `Name: value`.
    pub http_headers: Vec<String>,
    pub http_body: Option<String>,
    /// A regular expression the body must match.
    pub http_match: Option<String>,
    /// `POINTER=VALUE|VALUE`, or `POINTER` alone; all must hold.
    pub http_json: Vec<String>,
    /// Follow redirects of http(s) targets.
    pub http_follow: bool,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Whether `${VAR}` in TARGETs, header and body values is expanded
    /// (waitfor's own way; an incumbent's shell has done it already).
    pub expand_variables: bool,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub until: Until,
    pub handoff: Handoff,
    pub log: Log,
    pub pause_before: Duration,
    pub pause_after: Duration,
    /// One attempt at each target, none again.
    pub once: bool,
    /// Whether no target at all is a usage error (waitfor's own way) or
    /// nothing to wait for (docker-compose-wait's).
    pub targets_required: bool,
    pub after_timeout: AfterTimeout,
    pub voice: Voice,
}

impl Default for Invocation {
    fn default() -> Self {
        Invocation {
            purpose: Purpose::Wait,
            targets: Vec::new(),
            command: Vec::new(),
            timeout: Duration::from_secs(30),
            interval: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(2),
            backoff: Duration::ZERO,
            stable: Duration::ZERO,
            direction: Direction::Ready,
            http_status: "200-299".to_owned(),
            http_method: None,
            http_headers: Vec::new(),
            http_body: None,
            http_match: None,
            http_json: Vec::new(),
            http_follow: false,
            client_cert: None,
            client_key: None,
            expand_variables: true,
            ca_cert: None,
            insecure: false,
            until: Until::AllReady,
            handoff: Handoff::Exec,
            log: Log {
                verbosity: Verbosity::Normal,
                format: LogFormat::Text,
            },
            pause_before: Duration::ZERO,
            pause_after: Duration::ZERO,
            once: false,
            targets_required: true,
            after_timeout: AfterTimeout::Exit,
            voice: Voice::Native,
        }
    }
}

impl Options {
    /// Checks an invocation, whichever front-end gathered it.
    pub fn new(invocation: Invocation) -> Result<Self, Error> {
        if invocation.targets.is_empty() && invocation.targets_required {
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
        if invocation.purpose == Purpose::Check {
            check_alone(&invocation)?;
        }
        if !invocation.backoff.is_zero() && invocation.backoff < invocation.interval {
            return Err(Error::Usage(format!(
                "--backoff {} is less than --interval {}: it is the longest pause, the first is the interval",
                human::duration(invocation.backoff),
                human::duration(invocation.interval)
            )));
        }
        let settings = Settings {
            http: http_settings(&invocation).map_err(Error::Usage)?,
            tls: Tls::new(
                invocation.ca_cert.as_deref(),
                invocation.insecure,
                client_identity(&invocation)?,
            )
            .map_err(Error::Usage)?,
            ..Settings::default()
        };
        let env = |name: &str| std::env::var(name).ok();
        let targets = invocation
            .targets
            .iter()
            .map(|text| match invocation.expand_variables {
                true => Target::expanded(text, &settings, &env),
                false => Target::parse(text, &settings),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|invalid| Error::Usage(invalid.to_string()))?;
        Ok(Options {
            targets,
            purpose: invocation.purpose,
            timing: Timing {
                timeout: Some(invocation.timeout).filter(|timeout| !timeout.is_zero()),
                pacing: Pacing {
                    interval: invocation.interval,
                    backoff: Some(invocation.backoff).filter(|backoff| !backoff.is_zero()),
                },
                connect_timeout: invocation.connect_timeout,
                stable: invocation.stable,
                pause_before: invocation.pause_before,
                pause_after: invocation.pause_after,
                once: invocation.once || invocation.purpose == Purpose::Check,
            },
            until: invocation.until,
            direction: invocation.direction,
            log: invocation.log,
            command: Some(invocation.command).filter(|command| !command.is_empty()),
            handoff: invocation.handoff,
            after_timeout: invocation.after_timeout,
            voice: invocation.voice,
        })
    }
}

/// The global HTTP options, each read as the fragment key of the same meaning
/// is; header and body values with their `${VAR}`s expanded.
fn http_settings(invocation: &Invocation) -> Result<HttpSettings, String> {
    let option = |name: &'static str| move |error: String| format!("{name}: {error}");
    let env = |name: &str| std::env::var(name).ok();
    let expanded = |text: &str| match invocation.expand_variables {
        true => expand::value_expanded(text, &env),
        false => Ok(text.to_owned()),
    };
    Ok(HttpSettings {
        statuses: invocation.http_status.parse()?,
        method: invocation
            .http_method
            .as_deref()
            .map(method_named)
            .transpose()
            .map_err(option("--http-method"))?,
        headers: invocation
            .http_headers
            .iter()
            .map(|header| expanded(header)?.parse::<Header>())
            .collect::<Result<_, _>>()
            .map_err(option("--http-header"))?,
        body: invocation
            .http_body
            .as_deref()
            .map(expanded)
            .transpose()
            .map_err(option("--http-body"))?,
        expectations: Expectations {
            matches: invocation
                .http_match
                .as_deref()
                .map(Pattern::new)
                .transpose()
                .map_err(option("--http-match"))?,
            json: invocation
                .http_json
                .iter()
                .map(|expectation| JsonExpectation::new(expectation))
                .collect::<Result<_, _>>()
                .map_err(option("--http-json"))?,
        },
        follow: invocation.http_follow,
    })
}

/// What `--check` cannot be given: a COMMAND (its answer is the exit code),
/// and `--stable` (which needs more than the one attempt it makes).
fn check_alone(invocation: &Invocation) -> Result<(), Error> {
    if !invocation.command.is_empty() {
        return Err(Error::Usage(
            "--check runs no COMMAND: its answer is its exit code (0 ready, 1 not)".into(),
        ));
    }
    if !invocation.stable.is_zero() {
        return Err(Error::Usage(
            "--stable needs more than one attempt; --check makes one".into(),
        ));
    }
    Ok(())
}

/// `--client-cert` and `--client-key`: both or neither.
fn client_identity(invocation: &Invocation) -> Result<Option<(&Path, &Path)>, Error> {
    match (&invocation.client_cert, &invocation.client_key) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::Usage("--client-cert needs --client-key".into())),
        (None, Some(_)) => Err(Error::Usage("--client-key needs --client-cert".into())),
    }
}
