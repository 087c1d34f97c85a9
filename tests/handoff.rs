//! The hand-off: the COMMAND replaces waitfor (same PID, stdio, environment),
//! with a clean signal state and no descriptor of waitfor's; its exit code is
//! waitfor's; a missing or unrunnable COMMAND gives 127 or 126.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Instant;

use common::*;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, signal, sigprocmask};

/// One COMMAND reads everything there is to check from `/proc/self`: cat is
/// exec'd directly, so its PID, signal state and environment are what waitfor
/// handed over. It also copies stdin to stdout and complains on stderr about a
/// missing file, then exits 1.
#[test]
fn the_command_replaces_waitfor_with_a_clean_signal_state() {
    let (port, _listener) = open_port();
    let mut command = waitfor();
    command
        .args(["-t", "20", &format!("127.0.0.1:{port}"), "--"])
        .args([
            "cat",
            "/proc/self/status",
            "/proc/self/environ",
            "-",
            "/nonexistent-waitfor-test",
        ])
        .env("WAITFOR_TEST_VALUE", "handed-over")
        .stdin(Stdio::piped());
    // Start waitfor the way a careless parent might: SIGUSR1 and a realtime
    // signal ignored, SIGUSR2 blocked.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            signal(Signal::SIGUSR1, SigHandler::SigIgn)?;
            nix::libc::signal(nix::libc::SIGRTMIN() + 2, nix::libc::SIG_IGN);
            sigprocmask(
                SigmaskHow::SIG_BLOCK,
                Some(&SigSet::from(Signal::SIGUSR2)),
                None,
            )?;
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello from stdin\n")
        .unwrap();
    let pid = child.id();
    let status = wait_bounded(&mut child, started, secs(20.0));
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();

    assert_eq!(status.code(), Some(1), "cat's own exit code: {stderr}");
    assert!(
        stderr.contains("/nonexistent-waitfor-test"),
        "stderr is handed over: {stderr}"
    );
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .trim()
            .to_owned()
    };
    assert_eq!(field("Pid:"), pid.to_string(), "the PID is kept");
    // glibc's posix_spawn hands down its two internal signals (32, 33) ignored,
    // and no libc lets a program change them: leave just those two out.
    let libc_internal = 0b11 << 31;
    let ignored = u64::from_str_radix(&field("SigIgn:"), 16).unwrap() & !libc_internal;
    assert_eq!(
        ignored, 0,
        "no signal is ignored (SIGPIPE, SIGUSR1, SIGRTMIN+2)"
    );
    assert_eq!(
        field("SigBlk:"),
        "0000000000000000",
        "the signal mask is empty"
    );
    assert_eq!(field("SigCgt:"), "0000000000000000", "no handler survives");
    assert!(
        stdout.contains("WAITFOR_TEST_VALUE=handed-over"),
        "the environment is kept"
    );
    assert!(
        stdout.ends_with("hello from stdin\n"),
        "stdin is handed over: {stdout}"
    );
}

/// The shell lists its descriptors, then execs waitfor, whose COMMAND lists its
/// own: they must be the same set (whatever the test harness passed down).
#[test]
fn no_descriptor_of_waitfors_is_left_open() {
    let (port, _listener) = open_port();
    let run = run_within(
        std::process::Command::new("sh")
            .args(["-c", r#"ls /proc/$$/fd; echo --; exec "$@""#, "sh"])
            .args(waitfor_argv())
            .args([
                "-t",
                "20",
                &format!("localhost:{port}"),
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--", "sh", "-c", "ls /proc/$$/fd"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let (before, after) = run.stdout.split_once("--\n").expect("both listings");
    assert_eq!(
        before, after,
        "descriptors before waitfor and in its COMMAND"
    );
}

#[test]
fn the_commands_exit_code_is_waitfors() {
    let (port, _listener) = open_port();
    for code in [0, 3, 42, 255] {
        let run = run_within(
            waitfor()
                .args(["-t", "20", &format!("127.0.0.1:{port}"), "--"])
                .args(["sh", "-c", &format!("exit {code}")]),
            secs(20.0),
        );
        assert_eq!(run.code(), code, "{run:?}");
    }
}

#[test]
fn the_command_is_looked_up_on_path() {
    let (port, _listener) = open_port();
    let dir = TempDir::new("path");
    let script = dir.0.join("only-on-this-path");
    std::fs::write(&script, "#!/bin/sh\necho found on PATH\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = run_within(
        waitfor()
            .args([
                "-t",
                "20",
                &format!("127.0.0.1:{port}"),
                "--",
                "only-on-this-path",
            ])
            .env(
                "PATH",
                format!("/nonexistent:{}:/usr/bin:/bin", dir.0.display()),
            ),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "found on PATH\n");
}

#[test]
fn a_command_not_found_gives_127_and_one_line() {
    let (port, _listener) = open_port();
    for missing in ["no-such-command-waitfor-test", "/nonexistent/bin/app"] {
        let run = run_within(
            waitfor().args([
                "-q",
                "-t",
                "20",
                &format!("127.0.0.1:{port}"),
                "--",
                missing,
            ]),
            secs(20.0),
        );
        assert_eq!(run.code(), 127, "{run:?}");
        assert_eq!(
            run.stderr,
            format!("waitfor: error: {missing}: command not found\n")
        );
    }
}

#[test]
fn a_command_that_cannot_be_executed_gives_126() {
    let (port, _listener) = open_port();
    let dir = TempDir::new("noexec");
    let not_executable = dir.0.join("app");
    std::fs::write(&not_executable, "#!/bin/sh\necho should not run\n").unwrap();
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    for path in [&not_executable, &dir.0] {
        let run = run_within(
            waitfor()
                .args(["-q", "-t", "20", &format!("127.0.0.1:{port}"), "--"])
                .arg(path),
            secs(20.0),
        );
        assert_eq!(run.code(), 126, "{run:?}");
        run.says("cannot execute");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}
