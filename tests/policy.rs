//! How to wait: `--backoff` (fewer attempts, a late service still seen
//! within one capped pause), `--stable` (a flapping service never counts),
//! `--reverse` (waiting until something is gone), and `exec:` targets (a
//! command's exit status, its last line as the reason, bounded, and nothing
//! it started left behind).

mod common;

use std::fs;
use std::net::TcpListener;
use std::time::Instant;

use common::servers::start_nginx;
use common::*;

/// A listener on `port` that is up for `up`, then closed for `down`, over and over.
fn flapping(port: u16, up: f64, down: f64) -> Background {
    Background::spawn(move |stop| {
        while !stop.requested() {
            let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
            listener.set_nonblocking(true).unwrap();
            let until = Instant::now() + secs(up);
            while Instant::now() < until && !stop.requested() {
                let _ = listener.accept();
                stop.pause(secs(0.01));
            }
            drop(listener);
            stop.pause(secs(down));
        }
    })
}

#[test]
fn a_flapping_service_never_counts_under_stable() {
    let port = free_port();
    let _flapping = flapping(port, 0.4, 0.4);
    let target = format!("127.0.0.1:{port}");
    let stable = run_within(
        waitfor().args(["-v", "-t", "5", "--stable", "1500ms", &target]),
        secs(20.0),
    );
    assert_eq!(stable.code(), 124, "{stable:?}");
    stable.says(&format!("{target}: up ")).says(" of 1.5s");
    let plain = run_within(waitfor().args(["-t", "5", &target]), secs(20.0));
    assert_eq!(plain.code(), 0, "{plain:?}");
}

#[test]
fn a_steady_service_counts_once_its_window_is_over() {
    let (port, _listener) = open_port();
    let run = run_within(
        waitfor().args(["-t", "10", "--stable", "1s", &format!("127.0.0.1:{port}")]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(run.elapsed >= secs(1.0), "{run:?}");
}

#[test]
fn backoff_makes_fewer_attempts_and_still_sees_a_late_service() {
    // Over the same 4 s on a refused port: a fixed 100 ms against --backoff 2s.
    let refused = format!("127.0.0.1:{}", free_port());
    let count = |extra: &[&str]| {
        let run = run_within(
            waitfor().args(["-t", "4", "-v"]).args(extra).arg(&refused),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        run.stderr.matches(": attempt ").count()
    };
    let (fixed, backed_off) = (count(&[]), count(&["--backoff", "2s"]));
    assert!(fixed >= 25, "fixed interval: {fixed} attempts");
    assert!(
        (4..=12).contains(&backed_off),
        "--backoff 2s: {backed_off} attempts (fixed: {fixed})"
    );
    // A service that opens after 3 s is seen within one capped pause (1 s) of opening.
    let port = free_port();
    let _late = listen_after(([127, 0, 0, 1], port), secs(3.0));
    let run = run_within(
        waitfor().args(["-t", "20", "--backoff", "1s", &format!("127.0.0.1:{port}")]),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(run.elapsed < secs(4.5), "seen late: {run:?}");
    let refused_backoff = run_within(
        waitfor().args(["--backoff", "50ms", "-i", "100ms", &refused]),
        secs(10.0),
    );
    assert_eq!(refused_backoff.code(), 2, "{refused_backoff:?}");
    refused_backoff.says("--backoff 50ms is less than --interval 100ms");
}

#[test]
fn reverse_waits_until_targets_are_gone() {
    let dir = TempDir::new("reverse");
    // A port whose listener closes after 1 s.
    let listener = free_listener();
    let port = listener.local_addr().unwrap().port();
    let closing = Background::spawn(move |stop| {
        stop.pause(secs(1.0));
        drop(listener);
    });
    // A lock file removed after 1 s.
    let lock = dir.0.join("app.lock");
    fs::write(&lock, "").unwrap();
    let removed = lock.clone();
    let removing = Background::spawn(move |stop| {
        stop.pause(secs(1.0));
        fs::remove_file(&removed).unwrap();
    });
    // An nginx whose health check starts failing once its file is gone.
    let health = dir.0.join("health");
    fs::write(&health, "ok").unwrap();
    let web = free_port();
    let _nginx = start_nginx(
        &dir.0,
        "nginx",
        &format!(
            "server {{ listen 127.0.0.1:{web}; location = /health {{ alias {}; }} }}",
            health.display()
        ),
    );
    let health_url = format!("http://127.0.0.1:{web}/health");
    let up = run_within(waitfor().args(["-q", "-t", "20", &health_url]), secs(30.0));
    assert_eq!(up.code(), 0, "nginx: {up:?}");
    let failing = Background::spawn(move |stop| {
        stop.pause(secs(1.0));
        fs::remove_file(&health).unwrap();
    });
    let run = run_within(
        waitfor()
            .args(["--reverse", "-t", "20"])
            .arg(format!("127.0.0.1:{port}"))
            .arg(format!("file://{}", lock.display()))
            .arg(&health_url)
            .args(["--", "echo", "all gone"]),
        secs(30.0),
    );
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (0, "all gone\n"),
        "{run:?}"
    );
    assert!(run.elapsed >= secs(1.0), "{run:?}");
    run.says("waiting up to 20s until these are not ready:")
        .says(&format!("127.0.0.1:{port} is no longer ready after"))
        .says(": connection refused")
        .says(": does not exist")
        .says(": answered HTTP 404 Not Found");
    drop((closing, removing, failing));
    // Still there at the deadline: said so, exit 124.
    let (port, _listener) = open_port();
    let run = run_within(
        waitfor().args(["--reverse", "-t", "1", &format!("127.0.0.1:{port}")]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says(&format!("127.0.0.1:{port} is still ready after 1.0s"));
}

/// Processes whose command line holds `marker`, other than this test's own.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) && !cmdline.contains("policy-") {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

#[test]
fn exec_targets() {
    let dir = TempDir::new("exec");
    let flag = dir.0.join("ready");
    let created = flag.clone();
    let _creating = Background::spawn(move |stop| {
        stop.pause(secs(1.0));
        fs::write(&created, "").unwrap();
    });
    // One that succeeds later, one that prints its reason; never on waitfor's stdout.
    let run = run_within(
        waitfor()
            .args(["-t", "20"])
            .arg(format!(
                "exec:sh -c 'echo checking; test -e {}'",
                flag.display()
            ))
            .arg("exec:echo 'ready now'#match=^ready")
            .args(["--", "echo", "the command"]),
        secs(30.0),
    );
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (0, "the command\n"),
        "{run:?}"
    );
    let failing = run_within(
        waitfor()
            .args(["-t", "1"])
            .arg("exec:sh -c 'echo starting; echo \"replica lag 30s\" >&2; exit 3'")
            .arg("exec:echo nope#match=^ready"),
        secs(20.0),
    );
    assert_eq!(failing.code(), 124, "{failing:?}");
    assert_eq!(failing.stdout, "");
    failing
        .says(": exited with code 3: replica lag 30s (")
        .says(": its output does not match /^ready/: \"nope\"");
    // One that hangs is killed at --connect-timeout; one that leaves a grandchild
    // behind has it killed with its group. Nothing is left of either.
    let run = run_within(
        waitfor()
            .args(["-t", "2", "--connect-timeout", "500ms"])
            .arg("exec:sleep 31.4159")
            .arg("exec:sh -c 'sleep 27.1828 & exit 1'"),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("exec:sleep 31.4159 is not ready after 2.0s: no answer within 500ms");
    std::thread::sleep(secs(0.3));
    for marker in ["31.4159", "27.1828"] {
        assert_eq!(processes_with(marker), Vec::<String>::new(), "left running");
    }
    // No command at all, or one that is not there.
    let empty = run_within(waitfor().arg("exec:"), secs(10.0));
    assert_eq!(empty.code(), 2, "{empty:?}");
    empty.says("exec: needs a command");
    let missing = run_within(
        waitfor().args(["-t", "1", "exec:/nonexistent/check"]),
        secs(10.0),
    );
    assert_eq!(missing.code(), 124, "{missing:?}");
    let exec_error_lost = missing.stderr.contains("exited with code 127");
    if !(exec_error_lost
        && qemu_cannot(
            "pass a failed exec back through glibc's posix_spawn (it runs CLONE_VFORK as a \
             plain fork, so only the child's exit code 127 shows)",
        ))
    {
        missing.says("cannot run /nonexistent/check: no such file or directory");
    }
}
