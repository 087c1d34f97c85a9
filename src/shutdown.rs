//! The signals that end the wait early: SIGTERM, SIGINT and SIGHUP.
//!
//! They are blocked from the start ([`Shutdown::SIGNALS`], see `signals.rs`)
//! and read once the wait begins. This matters most as PID 1 in a container:
//! the kernel drops every signal PID 1 has no handler for, so without this
//! `docker stop` would hang for its whole grace period.

use nix::sys::signal::Signal;

use crate::signals::Arrivals;

pub struct Shutdown(Arrivals);

impl Shutdown {
    /// The signals that end the wait, to block before any thread exists.
    pub const SIGNALS: &[Signal] = &[Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP];

    /// Starts reading them; must run inside the runtime.
    pub fn listen() -> std::io::Result<Self> {
        Arrivals::listen(Self::SIGNALS).map(Shutdown)
    }

    /// Resolves with the first of the signals to arrive.
    pub async fn requested(&mut self) -> Signal {
        match self.0.next().await {
            Ok(signal) => signal,
            // A signalfd that cannot be read can tell of no signal: the wait goes on.
            Err(_) => std::future::pending().await,
        }
    }
}
