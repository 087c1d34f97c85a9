//! The hand-off to the COMMAND: exec (the default), or `--init` supervision.
//!
//! exec replaces waitfor with the COMMAND, as if it had been started directly:
//! same PID, same stdio, same environment. `--init` instead runs it as a child
//! and stays as a minimal init, as tini does: the signals a process is sent
//! from outside (`SUPERVISED`; not the realtime ones) are forwarded to the
//! child, every zombie is reaped, and waitfor exits with the child's status. Either way the COMMAND starts with a clean signal state and
//! none of waitfor's descriptors (every descriptor Rust and tokio open is
//! close-on-exec, so only the signal state needs undoing here).

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, execvp, getpid};

use crate::error::Error;
use crate::signals::Arrivals;

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
    // Only an ignored signal outlives execve (a handler does not): where
    // /proc says which are ignored, those alone are reset, not all 64.
    match ignored_signals() {
        Some(ignored) => restore_signals((1..=64).filter(|signo| ignored & 1 << (signo - 1) != 0)),
        None => restore_signal_state(),
    }
    let errno = match execvp(&argv[0], &argv) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    cannot_run(name, errno)
}

/// What `--init` reads, blocked before any thread exists (see `signals.rs`):
/// SIGCHLD, which means "reap", and the signals it passes on to the child.
/// Not the ones that cannot be caught (KILL, STOP), nor those the kernel
/// sends a process about its own fault (ILL, FPE, SEGV, BUS, ABRT, TRAP, SYS)
/// or its terminal (TTIN, TTOU), nor SIGPIPE (a closed stderr of waitfor's is
/// no news for the child).
pub const SUPERVISED: &[Signal] = &[
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
    Signal::SIGTERM,
    Signal::SIGCONT,
    Signal::SIGTSTP,
    Signal::SIGURG,
    Signal::SIGXCPU,
    Signal::SIGXFSZ,
    Signal::SIGVTALRM,
    Signal::SIGPROF,
    Signal::SIGWINCH,
    Signal::SIGIO,
    Signal::SIGPWR,
    Signal::SIGCHLD,
];

/// `--init`: runs `command` as a child, forwards signals to it and reaps every
/// zombie until it exits; resolves to the exit code waitfor should end with.
pub async fn supervise(command: &[OsString]) -> Result<i32, Error> {
    // As PID 1 every orphan in the namespace comes to waitfor anyway; elsewhere
    // ask for the orphans of the COMMAND's own children, so they are reaped too.
    if getpid() != Pid::from_raw(1) {
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
    // Every signal it takes has been blocked since the start (SUPERVISED), so
    // none sent before the child exists or in its first moments is missed.
    let mut arrivals = Arrivals::listen(SUPERVISED).map_err(Error::Startup)?;
    let name = command[0].to_string_lossy().into_owned();
    let mut child = std::process::Command::new(&command[0]);
    child.args(&command[1..]);
    // SAFETY: runs between fork and exec, and makes only async-signal-safe calls.
    unsafe {
        child.pre_exec(|| {
            restore_signal_state();
            Ok(())
        });
    }
    let child = child.spawn().map_err(|error| {
        cannot_run(
            name,
            error.raw_os_error().map_or(Errno::EACCES, Errno::from_raw),
        )
    })?;
    let child = Pid::from_raw(child.id() as i32);

    loop {
        match arrivals.next().await.map_err(Error::Startup)? {
            Signal::SIGCHLD => {
                if let Some(code) = reap(child) {
                    return Ok(code);
                }
            }
            // The child may be gone already; its exit is handled by reap.
            signal => {
                let _ = kill(child, signal);
            }
        }
    }
}

/// Reaps every child that has exited (orphans included); the exit code once
/// `main` is among them: its own, or 128+N when signal N killed it.
fn reap(main: Pid) -> Option<i32> {
    let mut main_code = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == main => main_code = Some(code),
            // The shell convention, as a shell reports a child killed by a signal.
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == main => {
                main_code = Some(128 + sig as i32)
            }
            // Nothing more has exited (or no child is left): done for this SIGCHLD.
            Ok(WaitStatus::StillAlive) | Err(_) => return main_code,
            Ok(_) => {}
        }
    }
}

fn cannot_run(name: String, errno: Errno) -> Error {
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
/// Async-signal-safe: it also runs between fork and exec.
fn restore_signal_state() {
    restore_signals(1..=libc::SIGRTMAX());
}

/// `signals` back to their default action, and no signal blocked.
fn restore_signals(signals: impl Iterator<Item = libc::c_int>) {
    for signo in signals {
        // SAFETY: SIG_DFL installs no handler, so no code of ours runs in signal context.
        unsafe { libc::signal(signo, libc::SIG_DFL) };
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

/// The signals ignored now, as a mask (bit N-1 for signal N), from
/// `SigIgn:` in /proc/self/status; `None` where /proc cannot say.
fn ignored_signals() -> Option<u64> {
    // One read: the file is about 1.5 KB, and a read from /proc is never short of what fits.
    let mut status = [0u8; 4096];
    let length = std::fs::File::open("/proc/self/status")
        .and_then(|mut file| std::io::Read::read(&mut file, &mut status))
        .ok()?;
    let status = std::str::from_utf8(&status[..length]).ok()?;
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))?;
    u64::from_str_radix(mask.trim(), 16).ok()
}
