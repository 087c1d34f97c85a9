//! Robustness under long waits and scarce descriptors: thousands of failed
//! attempts leave no descriptor or memory behind, and hundreds of targets
//! under `ulimit -n 64` are waited for without a single EMFILE.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::thread;
use std::time::Instant;

use common::*;
use nix::libc;
use nix::sys::resource::{Resource, setrlimit};

/// Accepts every connection and resets it at once (SO_LINGER 0, then close).
fn resetting_server() -> FakeServer {
    FakeServer::start(|_, stream| {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a linger struct of the size given.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    })
}

/// A listener on `port` that comes and goes every 50 ms, closing what it accepts.
fn flapping_server(port: u16) -> Background {
    Background::spawn(move |stop| {
        while !stop.requested() {
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                listener.set_nonblocking(true).unwrap();
                let up = Instant::now();
                while up.elapsed() < secs(0.05) {
                    let _ = listener.accept();
                    thread::sleep(secs(0.001));
                }
            }
            stop.pause(secs(0.05));
        }
    })
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |fds| fds.count())
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// The number in "(N attempts)" at the end of a timeout line.
fn attempts_in(line: &str) -> u64 {
    let count = line.rsplit_once('(').unwrap().1;
    count.trim_end_matches(" attempts)").parse().unwrap()
}

#[test]
fn ten_thousand_failed_attempts_leave_no_descriptor_or_memory_behind() {
    let resetting = resetting_server();
    let flapping_port = free_port();
    let _flapping = flapping_server(flapping_port);
    let targets = [
        format!("redis://127.0.0.1:{}", resetting.port),
        format!("postgres://127.0.0.1:{}", resetting.port),
        format!("http://127.0.0.1:{flapping_port}/"),
        format!("mqtt://127.0.0.1:{flapping_port}"),
    ];
    let mut running = Running::spawn(
        waitfor()
            .args(["-t", "15s", "-i", "1ms", "--connect-timeout", "200ms"])
            .args(&targets),
    );
    let pid = running.child.id();
    running.wait_for_line("waiting up to", secs(10.0));
    thread::sleep(secs(1.0));
    let (mut descriptors, rss_at_start) = (Vec::new(), resident_kib(pid));
    let mut rss_at_end = rss_at_start;
    while running.child.try_wait().unwrap().is_none() {
        descriptors.push(open_descriptors(pid));
        rss_at_end = resident_kib(pid).max(rss_at_end);
        thread::sleep(secs(0.1));
    }
    let status = running.wait(secs(20.0));
    assert_eq!(status.code(), Some(124));
    running.wait_for_line("timed out", secs(5.0));

    let attempts: u64 = targets
        .iter()
        .map(|target| {
            let line = running
                .seen
                .iter()
                .find(|line| line.contains(&format!("{target} is not ready")))
                .unwrap_or_else(|| {
                    panic!("no timeout line for {target}: {}", running.last_lines())
                });
            attempts_in(line)
        })
        .sum();
    eprintln!(
        "soak: {attempts} failed attempts; descriptors {:?}..{:?}; resident {rss_at_start} -> {rss_at_end} KiB",
        descriptors.iter().filter(|&&n| n > 0).min(),
        descriptors.iter().max()
    );
    assert!(attempts >= 10_000, "only {attempts} attempts");
    let (fewest, most) = (
        *descriptors.iter().filter(|&&n| n > 0).min().unwrap(),
        *descriptors.iter().max().unwrap(),
    );
    // Flat: at most the sockets of the attempts under way at one moment.
    assert!(
        most <= fewest + targets.len(),
        "descriptors went from {fewest} to {most}: {descriptors:?}"
    );
    if qemu_cannot("tell waitfor's memory from its own (its translation cache grows)") {
        return;
    }
    assert!(
        rss_at_end <= rss_at_start + 1024,
        "resident memory grew from {rss_at_start} KiB to {rss_at_end} KiB over {attempts} attempts"
    );
}

/// 200 targets (on 200 loopback addresses), half of them opening late, with
/// 64 descriptors allowed: slower, but every one is found ready and no attempt
/// fails for want of a descriptor.
#[test]
fn two_hundred_targets_under_ulimit_n_64() {
    let port = free_port();
    let addresses: Vec<SocketAddr> = (1..=200u8).map(|i| ([127, 0, 1, i], port).into()).collect();
    let _early: Vec<TcpListener> = addresses[..100]
        .iter()
        .map(|address| TcpListener::bind(address).unwrap())
        .collect();
    let _late: Vec<Background> = addresses[100..]
        .iter()
        .map(|&address| listen_after(address, secs(0.5)))
        .collect();
    let mut command = waitfor();
    command
        .args(["-v", "-t", "60"])
        .args(addresses.iter().map(ToString::to_string));
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            setrlimit(Resource::RLIMIT_NOFILE, 64, 64)?;
            Ok(())
        });
    }
    let run = run_within(&mut command, secs(60.0));
    assert_eq!(
        run.code(),
        0,
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(2000)..]
    );
    assert_eq!(run.stderr.matches("is ready after").count(), 200);
    let lowered = run.stderr.to_lowercase();
    assert!(!lowered.contains("too many open files"), "EMFILE seen");
}
