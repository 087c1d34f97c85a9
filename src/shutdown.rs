//! The signals that end the wait early: SIGTERM, SIGINT and SIGHUP.
//!
//! Handlers are installed before any probe starts. This matters most as PID 1
//! in a container: the kernel drops every signal PID 1 has no handler for, so
//! without these `docker stop` would hang for its whole grace period.

use nix::sys::signal::Signal;
use tokio::signal::unix::{SignalKind, signal};

pub struct Shutdown {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Installs the handlers; must run inside the runtime.
    pub fn listen() -> std::io::Result<Self> {
        Ok(Shutdown {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Resolves with the first of the signals to arrive.
    pub async fn requested(&mut self) -> Signal {
        tokio::select! {
            _ = self.terminate.recv() => Signal::SIGTERM,
            _ = self.interrupt.recv() => Signal::SIGINT,
            _ = self.hangup.recv() => Signal::SIGHUP,
        }
    }
}
