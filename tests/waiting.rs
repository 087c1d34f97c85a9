//! Waiting for TCP targets: late listeners, several targets, `--any`, the
//! deadline (refused and black-holed ports), IPv6, names, and names that only
//! start to resolve while waitfor waits.

mod common;

use std::io::Write;
use std::net::Ipv6Addr;
use std::thread;

use common::*;

#[test]
fn waits_for_a_late_listener_then_runs_the_command() {
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(1.0));
    let run = run_within(
        waitfor()
            .args(["-t", "20", &format!("127.0.0.1:{port}"), "--"])
            .args(["sh", "-c", "echo started"]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "started\n");
    assert!(run.elapsed >= secs(1.0), "{run:?}");
    run.says(&format!("127.0.0.1:{port} is ready after"));
}

#[test]
fn waits_for_every_target() {
    let (early, late) = (free_port(), free_port());
    let _early = listen_after(([127, 0, 0, 1], early), secs(0.3));
    let _late = listen_after(([127, 0, 0, 1], late), secs(1.5));
    let run = run_within(
        waitfor().args([
            "-t",
            "20",
            &format!("127.0.0.1:{early}"),
            &format!("tcp://127.0.0.1:{late}"),
        ]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        run.elapsed >= secs(1.5),
        "went on before the late target: {run:?}"
    );
    for port in [early, late] {
        run.says(&format!("{port} is ready after"));
    }
    assert_eq!(run.stdout, "");
}

#[test]
fn any_goes_on_when_one_target_is_ready() {
    let (never, soon) = (free_port(), free_port());
    let _soon = listen_after(([127, 0, 0, 1], soon), secs(0.5));
    let run = run_within(
        waitfor()
            .args(["--any", "-t", "20"])
            .args([format!("127.0.0.1:{never}"), format!("127.0.0.1:{soon}")])
            .args(["--", "echo", "one is enough"]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "one is enough\n");
    assert!(run.elapsed < secs(10.0), "{run:?}");
}

#[test]
fn deadline_gives_124_on_time_and_never_runs_the_command() {
    let port = free_port();
    let dir = TempDir::new("deadline");
    let marker = dir.0.join("ran");
    let run = run_within(
        waitfor()
            .args(["-t", "1500ms", &format!("127.0.0.1:{port}"), "--", "touch"])
            .arg(&marker),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    assert!(
        !marker.exists(),
        "the command ran although the target was never ready"
    );
    assert!(
        run.elapsed >= secs(1.5) && run.elapsed < secs(2.0),
        "{run:?}"
    );
    run.says(&format!(
        "127.0.0.1:{port} is not ready after 1.5s: connection refused"
    ));
    assert_eq!(run.stdout, "");
}

#[test]
fn a_port_that_drops_packets_still_times_out_on_time() {
    let (port, _listener) = open_port();
    let _dropped = DroppedPort::new(port);
    // First one attempt may take longer than the whole deadline: the deadline
    // must still win. Then each attempt gives up early and the next one starts.
    for (connect_timeout, failure) in [
        ("30s", "no answer within 2"),
        ("300ms", "no answer within 300ms"),
    ] {
        let run = run_within(
            waitfor().args([
                "-t",
                "2s",
                "--connect-timeout",
                connect_timeout,
                &format!("127.0.0.1:{port}"),
            ]),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        assert!(
            run.elapsed >= secs(2.0) && run.elapsed < secs(2.5),
            "{run:?}"
        );
        run.says(failure);
    }
}

#[test]
fn ipv6_literal_in_brackets() {
    let port = free_port();
    let _listener = listen_after((Ipv6Addr::LOCALHOST, port), secs(0.5));
    let run = run_within(
        waitfor().args(["-t", "20", &format!("[::1]:{port}"), "--", "echo", "v6"]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "v6\n");
}

#[test]
fn localhost_by_name() {
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(0.5));
    let run = run_within(
        waitfor().args(["-t", "20", &format!("localhost:{port}")]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

/// A service whose name is created while waitfor waits (as when a compose
/// service or a Kubernetes Service appears late): a private mount namespace
/// gets its own /etc/hosts, appended to after a while, and a resolv.conf that
/// points at 127.0.0.1, so no query leaves the machine.
#[test]
fn a_name_that_resolves_only_later() {
    let (port, _listener) = open_port();
    let dir = TempDir::new("late-name");
    let hosts = dir.0.join("hosts");
    let resolv = dir.0.join("resolv.conf");
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let appender = {
        let hosts = hosts.clone();
        thread::spawn(move || {
            thread::sleep(secs(1.5));
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(hosts)
                .unwrap();
            file.write_all(b"127.0.0.1 late-service.test\n").unwrap();
        })
    };
    let script = r#"mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@""#;
    let run = run_within(
        std::process::Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .arg(&hosts)
            .arg(&resolv)
            .args(waitfor_argv())
            .args(["-v", "-t", "20", &format!("late-service.test:{port}")])
            .args(["--", "echo", "resolved"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
        secs(25.0),
    );
    appender.join().unwrap();
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "resolved\n");
    assert!(run.elapsed >= secs(1.5), "{run:?}");
    run.says("cannot resolve late-service.test");
}
