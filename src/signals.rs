//! The signals waitfor acts on, blocked from the start and read from a
//! signalfd that the runtime polls.
//!
//! Which: SIGTERM, SIGINT and SIGHUP end the wait (`shutdown.rs`); with
//! `--init`, the signals passed on to the child and SIGCHLD (`exec.rs`).
//!
//! Why blocked and read, not handled: a blocked signal waits in the kernel
//! until it is read, so one that arrives before the runtime exists (while
//! the options are read, or the output set up) is not lost but acted on when
//! the wait starts; and as PID 1, where the kernel drops a signal that has
//! no handler, a blocked one is kept all the same. The mask is set by
//! [`block`] before any thread exists, so every thread inherits it and none
//! takes a signal in its default way; the COMMAND starts with an empty mask
//! (`exec.rs`), as does every command an `exec:` target runs (Rust's spawn
//! clears it). tokio's own signal support, by contrast, sets up a registry
//! for every signal there is whenever a runtime is built: some 26 KB and six
//! system calls at every start (issue 21).

use std::io;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Blocks `signals` in the calling thread and every thread it starts from
/// now on. Call it before any thread exists.
pub fn block(signals: &[Signal]) -> io::Result<()> {
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set(signals)), None)?;
    Ok(())
}

fn set(signals: &[Signal]) -> SigSet {
    let mut set = SigSet::empty();
    for &signal in signals {
        set.add(signal);
    }
    set
}

/// The arrivals of some signals [`block`]ed before, as the runtime sees them.
pub struct Arrivals(AsyncFd<SignalFd>);

impl Arrivals {
    /// Reads `signals` from now on (those already waiting included); must
    /// run inside the runtime.
    pub fn listen(signals: &[Signal]) -> io::Result<Self> {
        let fd = SignalFd::with_flags(
            &set(signals),
            SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC,
        )?;
        // SAFETY: the SignalFd owns its descriptor, and the AsyncFd owns the SignalFd.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) };
        Ok(Arrivals(fd.map_err(io::Error::from)?))
    }

    /// The next signal to arrive. A standard signal sent again before it is
    /// read arrives once, as it would to a handler.
    pub async fn next(&mut self) -> io::Result<Signal> {
        loop {
            let mut ready = self.0.readable().await?;
            match ready.get_inner().read_signal()? {
                Some(info) => match Signal::try_from(info.ssi_signo as i32) {
                    Ok(signal) => return Ok(signal),
                    // Only what the mask names is read, and those are all known.
                    Err(_) => continue,
                },
                None => ready.clear_ready(),
            }
        }
    }
}
