//! The hand-off: replace waitfor with the COMMAND, as if it had been started directly.
//!
//! Same PID, same stdio, same environment. What must not leak from waitfor is
//! its signal state (handlers, ignored SIGPIPE, a blocked mask) and its file
//! descriptors; every descriptor Rust and tokio open is close-on-exec, so only
//! the signal state needs undoing here.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::execvp;

use crate::error::Error;

/// Execs `command` (looked up on PATH like a shell does); returns only on failure.
pub fn exec(command: &[OsString]) -> Error {
    let name = command[0].to_string_lossy().into_owned();
    let Ok(argv) = command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Error::Usage(format!("{name}: an argument contains a NUL byte"));
    };
    restore_signal_state();
    let errno = match execvp(&argv[0], &argv) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    match errno {
        // 127 as a shell says it: nothing by that name on PATH or at that path.
        Errno::ENOENT | Errno::ENOTDIR => Error::CommandNotFound(name),
        // 126 as a shell says it: found, but the kernel would not run it.
        _ => Error::CommandNotExecutable(name, errno),
    }
}

/// Default dispositions for every signal and an empty mask, as a child of a
/// shell would get. exec resets handled signals itself but keeps ignored ones,
/// and Rust ignores SIGPIPE: a COMMAND inheriting that would not die on a
/// closed pipe. The realtime signals count too (nix's `Signal` lists only the
/// classic ones); libc refuses the one or two it reserves for itself, and
/// SIGKILL and SIGSTOP cannot change, so failures are expected and harmless.
fn restore_signal_state() {
    for signo in 1..=libc::SIGRTMAX() {
        // SAFETY: SIG_DFL installs no handler, so no code of ours runs in signal context.
        unsafe { libc::signal(signo, libc::SIG_DFL) };
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}
