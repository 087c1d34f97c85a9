//! `--check`: one attempt at each target, answered by the exit code (0
//! ready, 1 not, 2 bad usage), silent when ready, one line per target that
//! is not; against real nginx and Redis, and a fake that counts connections.
//! The Docker `HEALTHCHECK` and compose `service_healthy` forms are in
//! `container.rs`.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::servers::*;
use common::*;

const PASSWORD: &str = "Ch3ck-Sesame-0pen";

/// Waits (with waitfor itself) until `targets` answer: the servers are up.
fn until_up(targets: &[String]) {
    let run = run_within(waitfor().args(["-t", "60"]).args(targets), secs(70.0));
    assert_eq!(run.code(), 0, "the servers never came up: {run:?}");
}

fn check(args: &[&str]) -> Run {
    run_within(waitfor().arg("--check").args(args), secs(30.0))
}

#[test]
fn a_check_is_silent_when_ready_and_names_each_target_that_is_not() {
    let d = TempDir::new("check-real");
    let (http, redis, closed) = (free_port(), free_port(), free_port());
    let _nginx = start_nginx(
        &d.0,
        "nginx",
        &format!(
            "server {{ listen 127.0.0.1:{http};
                       location /health {{ return 200 ok; }}
                       location /down {{ return 503 down; }} }}"
        ),
    );
    let _redis = start_redis(&d.0, "redis", redis, &["--requirepass", PASSWORD]);
    let health = format!("http://127.0.0.1:{http}/health");
    let down = format!("http://127.0.0.1:{http}/down");
    let cache = format!("redis://:{PASSWORD}@127.0.0.1:{redis}");
    let wrong = format!("redis://:{PASSWORD}-not@127.0.0.1:{redis}");
    let refused = format!("127.0.0.1:{closed}");
    until_up(&[health.clone(), cache.clone()]);

    let ready = check(&[&health, &cache]);
    assert_eq!((ready.code(), ready.stderr.as_str()), (0, ""), "{ready:?}");
    let verbose = check(&["-v", &health, &cache]);
    assert_eq!(verbose.code(), 0, "{verbose:?}");
    verbose
        .says(&format!("{health} is ready"))
        .never_says(PASSWORD);

    let not = check(&[&health, &down, &refused, &wrong]);
    assert_eq!(not.code(), 1, "Docker's unhealthy, not a timeout: {not:?}");
    let lines: Vec<&str> = not.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "one line per target that is not ready: {not:?}"
    );
    assert!(lines[0].contains(&format!("{down} is not ready: ")) && lines[0].contains("503"));
    assert!(lines[1].contains(&format!("{refused} is not ready: connection refused")));
    assert!(lines[2].contains("redis://:***@127.0.0.1") && lines[2].contains("is not ready: "));
    not.never_says(PASSWORD).never_says(&health);

    let any = check(&["--any", &refused, &health]);
    assert_eq!((any.code(), any.stderr.as_str()), (0, ""), "{any:?}");
    let gone = check(&["--reverse", &refused]);
    assert_eq!((gone.code(), gone.stderr.as_str()), (0, ""), "{gone:?}");
    let still = check(&["--reverse", &health]);
    assert_eq!(still.code(), 1, "{still:?}");
    still.says(&format!("{health} is still ready"));
    let json = check(&["--log-format", "json", &wrong]);
    assert_eq!(json.code(), 1, "{json:?}");
    json.says("\"level\":\"ERROR\"").never_says(PASSWORD);
}

#[test]
fn a_check_runs_no_command_and_makes_no_second_attempt() {
    for (args, says) in [
        (vec!["127.0.0.1:1", "--", "true"], "--check runs no COMMAND"),
        (vec!["--stable", "2s", "127.0.0.1:1"], "--stable needs more"),
    ] {
        let run = check(&args);
        assert_eq!(run.code(), 2, "{run:?}");
        run.says(says);
    }
    // A server that answers 503 and counts its connections: one attempt, whatever the interval.
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    let server = FakeServer::start(move |_, mut stream| {
        counted.fetch_add(1, Ordering::SeqCst);
        read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
    });
    let run = check(&["-i", "10ms", &format!("http://127.0.0.1:{}/", server.port)]);
    assert_eq!(run.code(), 1, "{run:?}");
    run.says("503");
    std::thread::sleep(secs(0.3));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// Packets dropped: the one attempt ends at `--connect-timeout`, said as such.
#[test]
fn a_check_of_a_silent_port_ends_at_the_connect_timeout() {
    let (port, _listener) = open_port();
    let _dropped = DroppedPort::new(port);
    let run = check(&["--connect-timeout", "500ms", &format!("127.0.0.1:{port}")]);
    assert_eq!(run.code(), 1, "{run:?}");
    run.says("is not ready: no answer within 500ms");
    assert!(run.elapsed < secs(5.0), "{run:?}");
}

/// Invoked as `grpc_health_probe`, against Python's grpcio with the standard
/// health service: its flags, its lines on stderr and its exit codes (0
/// SERVING, 1 bad flags, 2 no connection, 3 the call failed, 4 not SERVING),
/// its metadata and user agent as the server's log shows them, never in
/// waitfor's own lines; over TLS, the server name checked is the one given.
#[test]
fn grpc_health_probe_answers_in_its_lines_and_exit_codes() {
    let d = TempDir::new("grpc-health-probe");
    let (port, bare, tls, closed) = (free_port(), free_port(), free_port(), free_port());
    let statuses = d.0.join("statuses");
    std::fs::write(&statuses, "=SERVING\nshop.Cart=NOT_SERVING\n").unwrap();
    let certs = certificates(&d.0);
    let files = [&certs.cert, &certs.key, &certs.ca].map(|f| f.display().to_string());
    let server = start_grpc(
        &d.0,
        "grpc",
        port,
        &["--statuses", &statuses.display().to_string()],
    );
    let _bare = start_grpc(&d.0, "grpc-bare", bare, &["--no-health"]);
    let _tls = start_grpc(
        &d.0,
        "grpcs",
        tls,
        &["--cert", &files[0], "--key", &files[1]],
    );
    until_up(&[
        format!("grpc://127.0.0.1:{port}"),
        format!("127.0.0.1:{bare}"),
        format!("127.0.0.1:{tls}"),
    ]);
    let probe = waitfor_as("grpc_health_probe");
    let token = "Bearer gRPC-t0ken-n0t-for-logs";
    let (_dropped_listener, dropped) = {
        let (port, listener) = open_port();
        (listener, port)
    };
    let _drop = DroppedPort::new(dropped);
    let addr = |port: u16| format!("-addr=127.0.0.1:{port}");
    for (args, code, says) in [
        (
            vec![format!("-addr=:{port}")],
            0,
            "status: SERVING\n".to_owned(),
        ),
        (
            vec![addr(port), "-service=shop.Cart".into()],
            4,
            "service unhealthy (responded with \"NOT_SERVING\")\n".into(),
        ),
        (
            vec![addr(port), "-service".into(), "shop.Gone".into()],
            3,
            "error: health rpc failed: ".into(),
        ),
        (vec![addr(bare)], 3, "error: health rpc failed: ".into()),
        (
            vec![addr(closed)],
            2,
            format!(
                "error: failed to connect service at \"127.0.0.1:{closed}\": connection refused\n"
            ),
        ),
        (
            vec![
                addr(dropped),
                "-connect-timeout=300ms".into(),
                "-rpc-timeout=200ms".into(),
            ],
            2,
            format!("timeout: failed to connect service \"127.0.0.1:{dropped}\" within 300ms\n"),
        ),
        (
            vec!["-service=x".into()],
            1,
            "error: -addr not specified\n".into(),
        ),
        (
            vec![addr(port), "-tls-no-verify".into()],
            1,
            "error: specified -tls-no-verify without specifying -tls\n".into(),
        ),
        (
            vec![
                addr(tls),
                "-tls".into(),
                format!("-tls-ca-cert={}", files[2]),
                "-tls-server-name=localhost".into(),
            ],
            0,
            "status: SERVING\n".into(),
        ),
        (
            vec![
                addr(tls),
                "-tls".into(),
                format!("-tls-ca-cert={}", files[2]),
                "-tls-server-name=cart.shop.svc".into(),
            ],
            2,
            "error: failed to connect service at".into(),
        ),
        (
            vec![
                addr(port),
                "-v".into(),
                "-rpc-header".into(),
                format!("authorization: {token}"),
                "-user-agent=kubelet-probe".into(),
            ],
            0,
            "parsed options:\n".into(),
        ),
    ] {
        let run = run_within(probe.command().args(&args), secs(30.0));
        assert_eq!(run.code(), code, "{args:?}: {run:?}");
        run.says(&says).never_says("gRPC-t0ken");
        if code == 0 {
            assert!(
                run.stderr.ends_with("status: SERVING\n"),
                "{args:?}: {run:?}"
            );
        }
    }
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.lines()
            .any(|line| line.contains("call /grpc.health.v1.Health/Check")
                && line.contains(&format!("authorization={token}"))
                && line.contains("user-agent=kubelet-probe")),
        "the metadata never reached the server: {log}"
    );
}
