//! Every kind of target against the real server, as Debian packages it:
//! PostgreSQL, MariaDB, Redis (plain, with a password, over TLS), RabbitMQ,
//! Mosquitto, NATS (plain and with a password), nginx (HTTP and HTTPS), a
//! unix socket and a file. The servers run on free loopback ports, each in a
//! process group of its own that is stopped when the test ends.
//!
//! These tests fail, never skip, when a server is missing: `.ci/run` installs them.

mod common;

use std::fs;

use common::servers::*;
use common::*;

/// How waitfor names a target: the password of its `user:password@` masked.
fn shown(target: &str) -> String {
    match (target.find("://"), target.find('@')) {
        (Some(scheme_end), Some(at)) => match target[scheme_end + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &target[..scheme_end + 3 + colon], &target[at..]),
            None => target.to_owned(),
        },
        _ => target.to_owned(),
    }
}

/// The targets of one step of the boot, and the servers that step starts.
struct Step {
    targets: Vec<String>,
    start: Box<dyn FnOnce() -> Vec<Service>>,
}

/// A whole stack boots one server after another while one waitfor waits for
/// all of it: every target is ready only after its own server started, and
/// the COMMAND runs only at the end. Then, with everything up, probes pointed
/// at the wrong server, with the wrong password or without trusting the
/// certificate are never ready.
#[test]
fn every_kind_started_late_one_after_another() {
    let dir = TempDir::new("servers");
    let d = dir.0.clone();
    let certs = certificates(&d);
    let pg_data = postgres_cluster(&d);
    let mariadb_data = mariadb_datadir(&d);
    let [
        pg,
        my,
        redis,
        redis_auth,
        rediss,
        amqp,
        mqtt,
        nats,
        nats_auth,
        http,
        https,
    ] = std::array::from_fn(|_| free_port());
    let flag = d.join("flag");
    let nginx_servers = format!(
        "server {{ listen 127.0.0.1:{http}; location /health {{ return 200 ok; }} }}
         server {{ listen 127.0.0.1:{https} ssl; ssl_certificate {}; ssl_certificate_key {};
                  location /health {{ return 200 ok; }} }}",
        certs.cert.display(),
        certs.key.display()
    );
    let tls_files = [
        "--tls-cert-file".to_owned(),
        certs.cert.display().to_string(),
        "--tls-key-file".to_owned(),
        certs.key.display().to_string(),
        "--tls-ca-cert-file".to_owned(),
        certs.ca.display().to_string(),
    ];

    let steps: Vec<Step> = vec![
        Step {
            targets: vec![
                format!("postgres://127.0.0.1:{pg}/postgres"),
                format!("unix://{}/.s.PGSQL.{pg}", pg_data.display()),
            ],
            start: Box::new({
                let (d, pg_data) = (d.clone(), pg_data.clone());
                move || vec![start_postgres(&d, &pg_data, pg)]
            }),
        },
        Step {
            targets: vec![
                format!("mysql://127.0.0.1:{my}"),
                format!("mariadb://root@localhost:{my}"),
            ],
            start: Box::new({
                let d = d.clone();
                move || vec![start_mariadb(&d, &mariadb_data, my)]
            }),
        },
        Step {
            targets: vec![
                format!("redis://127.0.0.1:{redis}"),
                format!("redis://[::1]:{redis}"),
                format!("redis://:s3cret@127.0.0.1:{redis_auth}/0"),
                // No password given: -NOAUTH is an answer from a running server.
                format!("redis://127.0.0.1:{redis_auth}"),
            ],
            start: Box::new({
                let d = d.clone();
                move || {
                    vec![
                        start_redis(&d, "redis", redis, &["--bind", "127.0.0.1", "::1"]),
                        start_redis(&d, "redis-auth", redis_auth, &["--requirepass", "s3cret"]),
                    ]
                }
            }),
        },
        Step {
            targets: vec![format!("rediss://localhost:{rediss}")],
            start: Box::new({
                let d = d.clone();
                move || {
                    let mut args = vec!["--port", "0", "--tls-port"];
                    let port = rediss.to_string();
                    args.push(&port);
                    args.extend(tls_files.iter().map(String::as_str));
                    args.extend(["--tls-auth-clients", "no"]);
                    vec![start_redis(&d, "rediss", 0, &args)]
                }
            }),
        },
        Step {
            targets: vec![format!("amqp://guest:guest@127.0.0.1:{amqp}/")],
            start: Box::new({
                let d = d.clone();
                move || start_rabbitmq(&d, amqp).into()
            }),
        },
        Step {
            targets: vec![format!("mqtt://127.0.0.1:{mqtt}")],
            start: Box::new({
                let d = d.clone();
                move || vec![start_mosquitto(&d, mqtt)]
            }),
        },
        Step {
            targets: vec![
                format!("nats://127.0.0.1:{nats}"),
                format!("nats://app:pa55@127.0.0.1:{nats_auth}"),
            ],
            start: Box::new({
                let d = d.clone();
                move || {
                    vec![
                        start_nats(&d, "nats", nats, &[]),
                        start_nats(
                            &d,
                            "nats-auth",
                            nats_auth,
                            &["--user", "app", "--pass", "pa55"],
                        ),
                    ]
                }
            }),
        },
        Step {
            targets: vec![
                format!("http://127.0.0.1:{http}/health"),
                format!("https://localhost:{https}/health"),
            ],
            start: Box::new({
                let d = d.clone();
                move || vec![start_nginx(&d, "nginx", &nginx_servers)]
            }),
        },
        Step {
            targets: vec![format!("file://{}", flag.display())],
            start: Box::new({
                let flag = flag.clone();
                move || {
                    fs::write(&flag, "").unwrap();
                    Vec::new()
                }
            }),
        },
    ];

    let all_targets: Vec<String> = steps.iter().flat_map(|s| s.targets.clone()).collect();
    let mut waiting = Running::spawn(
        waitfor()
            .args(["-t", "300", "-i", "50ms", "--ca-cert"])
            .arg(&certs.ca)
            .args(&all_targets)
            .args(["--", "echo", "all ready"]),
    );
    waiting.wait_for_line("waiting up to", secs(10.0));
    assert!(
        !waiting.saw_line("is ready", secs(1.0)),
        "nothing has started yet: {}",
        waiting.last_lines()
    );

    let mut services = Vec::new();
    let mut ready_so_far = 0;
    for step in steps {
        let started = (step.start)();
        for target in &step.targets {
            if !waiting.saw_line(&format!("{} is ready after", shown(target)), secs(60.0)) {
                let logs: Vec<String> = started.iter().map(Service::log_tail).collect();
                panic!(
                    "{target} never got ready; waitfor said:\n{}\n{}",
                    waiting.last_lines(),
                    logs.join("\n")
                );
            }
        }
        ready_so_far += step.targets.len();
        let ready = waiting
            .seen
            .iter()
            .filter(|l| l.contains("is ready after"))
            .count();
        assert_eq!(
            ready,
            ready_so_far,
            "a target got ready before its server started: {}",
            waiting.last_lines()
        );
        services.extend(started);
    }
    let exit = waiting.wait(secs(30.0));
    assert_eq!(exit.code(), Some(0), "{}", waiting.last_lines());
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut waiting.child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "all ready\n");
    assert!(
        waiting
            .seen
            .iter()
            .all(|l| !l.contains("s3cret") && !l.contains("pa55")),
        "{:?}",
        waiting.seen
    );

    // With everything up: each probe pointed at another protocol, or with the
    // wrong password, is never ready.
    let wrong = [
        format!("postgres://127.0.0.1:{redis}"),
        format!("postgres://127.0.0.1:{my}"),
        format!("mysql://127.0.0.1:{nats}"),
        format!("mysql://127.0.0.1:{pg}"),
        format!("redis://127.0.0.1:{pg}"),
        format!("redis://127.0.0.1:{http}"),
        format!("redis://:wrong@127.0.0.1:{redis_auth}"),
        format!("amqp://127.0.0.1:{http}"),
        format!("amqp://127.0.0.1:{redis}"),
        format!("mqtt://127.0.0.1:{redis}"),
        format!("mqtt://127.0.0.1:{amqp}"),
        format!("nats://127.0.0.1:{my}"),
        format!("nats://app:wrong@127.0.0.1:{nats_auth}"),
        format!("http://127.0.0.1:{mqtt}/"),
        format!("http://127.0.0.1:{redis}/"),
        format!("https://127.0.0.1:{http}/health"),
    ];
    let run = run_within(
        waitfor()
            .args(["-t", "3s", "--connect-timeout", "1s", "--ca-cert"])
            .arg(&certs.ca)
            .args(&wrong),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    for target in &wrong {
        assert!(
            run.stderr
                .contains(&format!("{} is not ready", shown(target))),
            "{target} should never be ready:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("wrong@"),
        "passwords are masked: {}",
        run.stderr
    );

    // TLS: not trusted without the CA, ready with it or with --insecure.
    let secure = format!("https://localhost:{https}/health");
    let run = run_within(waitfor().args(["-t", "1s", &secure]), secs(30.0));
    assert_eq!(run.code(), 124, "{run:?}");
    assert!(
        run.stderr
            .contains("TLS handshake failed: the certificate's issuer is not trusted"),
        "{}",
        run.stderr
    );
    let run = run_within(
        waitfor().args(["-t", "5s", "--insecure", &secure]),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let run = run_within(
        waitfor()
            .args(["-t", "5s", "--ca-cert"])
            .arg(&certs.ca)
            .arg(format!("https://127.0.0.1:{https}/health")),
        secs(30.0),
    );
    assert_eq!(
        run.code(),
        0,
        "the certificate's IP address is verified too: {run:?}"
    );
    drop(services);
}

/// nginx in front of an upstream that is not up yet answers 502: not ready
/// until the upstream (a second nginx) starts.
#[test]
fn a_proxy_answering_502_is_not_ready_until_its_upstream_is() {
    let dir = TempDir::new("proxy");
    let (front, upstream) = (free_port(), free_port());
    let _proxy = start_nginx(
        &dir.0,
        "proxy",
        &format!(
            "server {{ listen 127.0.0.1:{front}; location / {{ proxy_pass http://127.0.0.1:{upstream}; }} }}"
        ),
    );
    let target = format!("http://127.0.0.1:{front}/");
    let mut waiting = Running::spawn(waitfor().args(["-v", "-t", "60", &target]));
    waiting.wait_for_line("answered HTTP 502 Bad Gateway", secs(20.0));
    let _upstream = start_nginx(
        &dir.0,
        "upstream",
        &format!("server {{ listen 127.0.0.1:{upstream}; location / {{ return 200 up; }} }}"),
    );
    waiting.wait_for_line(&format!("{target} is ready after"), secs(30.0));
    assert_eq!(waiting.wait(secs(10.0)).code(), Some(0));
}
