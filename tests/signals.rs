//! Signals while waiting: SIGTERM, SIGINT and SIGHUP end the wait at once with
//! 128+N, also when waitfor is PID 1 (where the kernel drops every signal it
//! has no handler for, and `docker stop` would otherwise hang).

mod common;

use std::process::Command;
use std::time::Instant;

use common::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Starts waitfor on a port nobody opens and waits until it says it is waiting
/// (its handlers are installed before it says so).
fn waiting(command: &mut Command) -> Running {
    let mut running = Running::spawn(command);
    running.wait_for_line("waiting up to", secs(10.0));
    running
}

#[test]
fn sigterm_as_pid_1_ends_the_wait_with_143() {
    let port = free_port();
    let mut running = waiting(
        Command::new("unshare")
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(waitfor_argv())
            .args([
                "-t",
                "60",
                &format!("127.0.0.1:{port}"),
                "--",
                "echo",
                "must not run",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let unshare = running.child.id();
    let children = std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
        .expect("unshare's children");
    let pid: i32 = children.trim().parse().expect("one child: waitfor");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert!(
        nspid.ends_with("\t1"),
        "waitfor is PID 1 in its namespace: {nspid}"
    );

    let sent = Instant::now();
    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let exit = running.wait(secs(10.0));
    assert_eq!(
        exit.code(),
        Some(143),
        "unshare passes on waitfor's exit code"
    );
    assert!(sent.elapsed() < secs(2.0), "took {:?}", sent.elapsed());
}

#[test]
fn each_handled_signal_ends_the_wait_with_128_plus_n() {
    for (signal, code) in [
        (Signal::SIGTERM, 143),
        (Signal::SIGINT, 130),
        (Signal::SIGHUP, 129),
    ] {
        let port = free_port();
        let mut running = waiting(waitfor().args(["-t", "60", &format!("127.0.0.1:{port}")]));
        let sent = Instant::now();
        kill(Pid::from_raw(running.child.id() as i32), signal).unwrap();
        let exit = running.wait(secs(10.0));
        assert_eq!(exit.code(), Some(code), "{signal}");
        assert!(
            sent.elapsed() < secs(2.0),
            "{signal} took {:?}",
            sent.elapsed()
        );
        running.wait_for_line(&format!("interrupted by {signal}"), secs(5.0));
    }
}

/// A signal sent before the runtime exists (strace holds waitfor back at
/// its first `epoll_create1` for seconds) is neither lost nor taken in its
/// default way (killed by SIGTERM, as before issue 21): it is blocked from
/// waitfor's first step, and ends the wait with 143 once the wait begins.
#[test]
fn a_sigterm_sent_before_the_runtime_exists_ends_the_wait_with_143() {
    // qemu-user shows its own signal mask, and runs strace's target itself.
    if qemu_cannot("show the signal mask of the program it runs") {
        return;
    }
    const SIGTERM_BIT: u64 = 1 << (Signal::SIGTERM as u64 - 1);
    let port = free_port();
    let mut running = Running::spawn(
        Command::new("strace")
            .args(["-qq", "-o", "/dev/null", "-e", "trace=epoll_create1"])
            .args(["-e", "inject=epoll_create1:delay_enter=3000000"])
            .args(waitfor_argv())
            .args(["-t", "60", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let strace = running.child.id();
    let started = Instant::now();
    // waitfor, once it blocks SIGTERM: its runtime is still seconds away.
    let pid = loop {
        assert!(
            started.elapsed() < secs(2.5),
            "waitfor never blocked SIGTERM"
        );
        let children = std::fs::read_to_string(format!("/proc/{strace}/task/{strace}/children"))
            .unwrap_or_default();
        let Ok(pid) = children.trim().parse::<i32>() else {
            continue;
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let blocked = status
            .lines()
            .find_map(|line| line.strip_prefix("SigBlk:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or(0);
        if blocked & SIGTERM_BIT != 0 {
            break pid;
        }
    };
    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let exit = running.wait(secs(15.0));
    assert_eq!(exit.code(), Some(143), "strace passes on waitfor's exit");
    running.wait_for_line("interrupted by SIGTERM", secs(5.0));
}
