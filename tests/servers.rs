//! Every kind of target against the real server, as Debian packages it:
//! PostgreSQL, MariaDB, Redis (plain, with a password, over TLS), RabbitMQ,
//! Mosquitto, NATS (plain and with a password), nginx (HTTP and HTTPS), a
//! unix socket and a file. The servers run on free loopback ports, each in a
//! process group of its own that is stopped when the test ends.
//!
//! These tests fail, never skip, when a server is missing: `.ci/run` installs them.

mod common;

use std::fs;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use common::*;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

const POSTGRES_BIN: &str = "/usr/lib/postgresql/15/bin";
const RABBITMQ_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// A server process, and the process group it leads, stopped on drop.
struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts `command` in a process group of its own, its output in `dir/NAME.log`.
    fn start(name: &str, dir: &Path, command: &mut Command) -> Self {
        let log = dir.join(format!("{name}.log"));
        let output = fs::File::create(&log).unwrap();
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{name} does not start ({error}): is its package installed?")
            });
        Service {
            name: name.to_owned(),
            child,
            log,
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "{} log:\n{}",
            self.name,
            lines[lines.len().saturating_sub(15)..].join("\n")
        )
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        let started = Instant::now();
        while started.elapsed() < secs(10.0) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(secs(0.05));
        }
        // Whatever of the group is left (a server's children), and the leader if it hung.
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// A CA, and a certificate it signed for `localhost` and 127.0.0.1, made with openssl.
struct Certificates {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn certificates(dir: &Path) -> Certificates {
    let path = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| run_ok(Command::new("openssl").args(args).current_dir(dir));
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=waitfor test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"],
            &ec[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    fs::write(
        path("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    Certificates {
        ca: path("ca.pem"),
        cert: path("server.pem"),
        key: path("server.key"),
    }
}

fn postgres_ids() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    let entry = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .expect("a postgres user (from the postgresql package)");
    let fields: Vec<&str> = entry.split(':').collect();
    (fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

/// A PostgreSQL cluster made with initdb (as the postgres user), not yet started.
fn postgres_cluster(dir: &Path) -> PathBuf {
    let data = dir.join("pg");
    fs::create_dir_all(&data).unwrap();
    let (uid, gid) = postgres_ids();
    chown(&data, Some(uid), Some(gid)).unwrap();
    run_ok(
        Command::new(format!("{POSTGRES_BIN}/initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .uid(uid)
            .gid(gid),
    );
    data
}

fn start_postgres(dir: &Path, data: &Path, port: u16) -> Service {
    let (uid, gid) = postgres_ids();
    let mut command = Command::new(format!("{POSTGRES_BIN}/postgres"));
    command
        .arg("-D")
        .arg(data)
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-k",
        ])
        .arg(data);
    Service::start("postgres", dir, command.uid(uid).gid(gid))
}

/// A MariaDB data directory made with mariadb-install-db, not yet started.
fn mariadb_datadir(dir: &Path) -> PathBuf {
    let data = dir.join("mariadb");
    run_ok(
        Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
            ])
            .arg(format!("--datadir={}", data.display())),
    );
    data
}

fn start_mariadb(dir: &Path, data: &Path, port: u16) -> Service {
    Service::start(
        "mariadb",
        dir,
        Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--bind-address=127.0.0.1",
                "--skip-log-bin",
            ])
            .args(["--innodb-buffer-pool-size=16M", &format!("--port={port}")])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}/mariadb.sock", dir.display()))
            .arg(format!("--pid-file={}/mariadb.pid", dir.display())),
    )
}

fn start_redis(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    Service::start(
        name,
        dir,
        Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .args(extra),
    )
}

/// RabbitMQ with an epmd of its own on loopback (started here, so it is stopped here too).
fn start_rabbitmq(dir: &Path, port: u16) -> [Service; 2] {
    let base = dir.join("rabbitmq");
    fs::create_dir_all(&base).unwrap();
    fs::write(base.join("enabled_plugins"), "[].\n").unwrap();
    let epmd_port = free_port().to_string();
    let epmd = Service::start(
        "epmd",
        dir,
        Command::new("epmd").args(["-address", "127.0.0.1", "-port", &epmd_port]),
    );
    let at = |name: &str| base.join(name);
    let broker = Service::start(
        "rabbitmq",
        dir,
        Command::new(RABBITMQ_SERVER)
            .env("HOME", &base)
            .env("ERL_EPMD_PORT", &epmd_port)
            .env(
                "RABBITMQ_NODENAME",
                format!("waitfor-test-{port}@localhost"),
            )
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", free_port().to_string())
            .env("RABBITMQ_BASE", &base)
            .env("RABBITMQ_MNESIA_BASE", at("mnesia"))
            .env("RABBITMQ_LOG_BASE", at("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", at("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", at("rabbitmq"))
            .env(
                "RABBITMQ_SERVER_ERL_ARGS",
                "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}",
            ),
    );
    [epmd, broker]
}

fn start_mosquitto(dir: &Path, port: u16) -> Service {
    let config = dir.join("mosquitto.conf");
    fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
        ),
    )
    .unwrap();
    Service::start(
        "mosquitto",
        dir,
        Command::new("mosquitto").arg("-c").arg(config),
    )
}

fn start_nats(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    Service::start(
        name,
        dir,
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra),
    )
}

/// nginx serving `/health` on `http_port`, and on `https_port` over TLS.
fn start_nginx(dir: &Path, name: &str, servers: &str) -> Service {
    let prefix = dir.join(name);
    fs::create_dir_all(prefix.join("logs")).unwrap();
    let temp = |kind: &str| format!("{kind}_temp_path {}/{kind};", prefix.display());
    fs::write(
        prefix.join("nginx.conf"),
        format!(
            "daemon off; worker_processes 1; pid {pid}; error_log stderr;
             events {{ worker_connections 64; }}
             http {{ access_log off; {} {} {} {} {}
               {servers}
             }}",
            temp("client_body"),
            temp("proxy"),
            temp("fastcgi"),
            temp("uwsgi"),
            temp("scgi"),
            pid = prefix.join("nginx.pid").display(),
        ),
    )
    .unwrap();
    Service::start(
        name,
        dir,
        Command::new("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .args(["-e", "stderr"]),
    )
}

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
