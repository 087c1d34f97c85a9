//! Every way a run of waitfor can end other than success, and its exit code.
//!
//! The exit codes of the product contract live here and nowhere else, for
//! waitfor's own face and for the incumbents it stands in for.

use std::fmt;

use nix::errno::Errno;
use nix::sys::signal::Signal;

use crate::face::Face;
use crate::probe::Stage;

#[derive(Debug)]
pub enum Error {
    /// `--help` or `--version`: the text to print on stdout.
    Help(String),
    /// Bad usage, or an invalid target, duration or option.
    Usage(String),
    /// What an incumbent answers when it will not wait (its usage text, its
    /// error lines), printed on stderr as is, and the exit code it answers with.
    Incumbent { text: String, code: i32 },
    /// The deadline passed first; the report has already named what blocked.
    NotReady { not_ready: usize, total: usize },
    /// `--check` made its one attempt at each target: these were not ready;
    /// `stage` is how far the first of them got.
    Unhealthy {
        not_ready: usize,
        total: usize,
        stage: Stage,
    },
    /// A target failed for good (a Kubernetes Job that failed): waiting on
    /// would not make it ready.
    Failed { target: String, reason: String },
    /// A signal ended the wait.
    Interrupted(Signal),
    /// The COMMAND does not exist anywhere on PATH.
    CommandNotFound(String),
    /// The COMMAND exists but cannot be executed.
    CommandNotExecutable(String, Errno),
    /// waitfor could not set itself up (no event loop, no signal handlers).
    Startup(std::io::Error),
}

impl Error {
    /// The exit code under `face`: only a timeout's differs between faces.
    pub fn exit_code(&self, face: Face) -> i32 {
        match self {
            Error::Help(_) => 0,
            Error::Startup(_) => 1,
            Error::Usage(_) => 2,
            Error::Incumbent { code, .. } => *code,
            // As timeout(1) and wait-for-it do, so scripts can tell a timeout apart.
            Error::NotReady { .. } if matches!(face, Face::Native | Face::WaitForIt) => 124,
            // wait-for, docker-compose-wait and dockerize all exit 1 on a timeout.
            Error::NotReady { .. } => 1,
            // grpc_health_probe's own: 2 no connection, 3 the call failed, 4 not SERVING.
            Error::Unhealthy { stage, .. } if face == Face::GrpcHealthProbe => match stage {
                Stage::Connect | Stage::Unanswered => 2,
                Stage::Exchange => 3,
                Stage::Answered(_) => 4,
            },
            // Not 124: no longer deadline would have helped; 123 is free in timeout(1), docker and the shells.
            Error::Failed { .. } => 123,
            // An answer, not a failure to run: Docker reads 1 as unhealthy and reserves 2.
            Error::Unhealthy { .. } => 1,
            Error::CommandNotExecutable(..) => 126,
            Error::CommandNotFound(_) => 127,
            // The shell convention for "ended by signal N"; docker reports 143 for SIGTERM.
            Error::Interrupted(signal) => 128 + *signal as i32,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Help(text) => f.write_str(text),
            Error::Usage(message) => write!(f, "{message} (see waitfor --help)"),
            Error::Incumbent { text, .. } => f.write_str(text.trim_end()),
            Error::NotReady { not_ready, total } => {
                write!(f, "timed out: {not_ready} of {total} targets not ready")
            }
            Error::Unhealthy {
                not_ready, total, ..
            } => {
                write!(f, "{not_ready} of {total} targets not ready")
            }
            Error::Failed { target, reason } => {
                write!(
                    f,
                    "{target} has failed, and waiting longer will not help: {reason}"
                )
            }
            Error::Interrupted(signal) => write!(f, "interrupted by {signal} while waiting"),
            Error::CommandNotFound(command) => write!(f, "{command}: command not found"),
            Error::CommandNotExecutable(command, errno) => {
                write!(f, "{command}: cannot execute: {}", errno.desc())
            }
            Error::Startup(error) => write!(f, "cannot start: {error}"),
        }
    }
}
