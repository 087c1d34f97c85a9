//! Readiness probes, one module per kind of target, and the plumbing they share.
//!
//! Each module owns the options its URL scheme takes (`from_url`) and its one
//! readiness check (`check`): one attempt that says ready (`Ok`) or why not
//! (`Failure`, from `outcome.rs`). A probe does not retry and does not bound
//! its own time: the caller in `wait.rs` cuts every attempt off at its
//! deadline, so a probe may simply await. What the protocol probes share
//! (connect, bounded reads and replies shown shortened) lives in `wire.rs`,
//! TLS in `tls.rs`; the URL vocabulary (`Url`, `Endpoint`) in `crate::url`.
//!
//! # Adding a kind of target
//! 1. `probe/<kind>.rs`: a `//!` saying what "ready" means and why; a struct
//!    with `from_url` (refuse what the URL may not carry) and `check` (one
//!    attempt, reading through `wire.rs` so every reply is bounded).
//! 2. Here: `mod <kind>;`, a variant of [`Probe`] with its arm in
//!    [`Probe::check`], and a [`Kind`] row in [`KINDS`] (its schemes, its
//!    form for `--help` and usage errors, how it is built).
//! 3. Tests: a starter for the real server in `tests/common/servers.rs` and a
//!    test in `tests/servers.rs` around its `starts_late` fixture (add the
//!    scheme to `PROTOCOLS` there if it speaks first or answers bytes); fakes
//!    in `tests/fakes.rs` for what the real server can't be made to show.
//! 4. Fuzzing: `fuzz/fuzz_targets/reply_<kind>.rs` (a `[[bin]]` in
//!    `fuzz/Cargo.toml`) passing its URL to `crate::fuzzing::reply`, and a
//!    few real replies as seeds in `fuzz/seeds/reply_<kind>/`.
//! 5. Docs: the targets table in `README.md` and `../shared/DESIGN.md`.

mod amqp;
mod body;
mod bson;
mod dns;
mod exec;
mod file;
mod grpc;
mod http;
mod k8s;
mod kafka;
mod kubeconfig;
mod memcached;
mod mongodb;
mod mqtt;
mod mysql;
mod nats;
mod outcome;
mod postgres;
mod redis;
mod scram;
mod tcp;
mod tls;
mod unix;
mod wire;
mod zookeeper;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::human;
use crate::url::{Key, Url};

pub use body::{Expectations, JsonExpectation, Pattern};
pub use dns::fuzzed_answers as fuzzed_dns_answers;
pub use exec::wait_over;
pub use http::{Header, HttpSettings, method_named};
pub use k8s::{ClusterOnce, fuzzed_answer as fuzzed_k8s_answer};
pub use kubeconfig::yaml::parse as kubeconfig_yaml;
pub use outcome::{Failure, Ready, Stage};
pub use tls::Tls;

/// What the command line says about probing, beyond the targets themselves.
#[derive(Default)]
pub struct Settings {
    /// How http(s) targets ask and what makes them ready (`--http-status`).
    pub http: HttpSettings,
    /// How https, rediss and grpcs targets verify the server (`--ca-cert`, `--insecure`).
    pub tls: Tls,
    /// The Kubernetes cluster `k8s:` targets ask, found at the first one.
    pub cluster: ClusterOnce,
}

/// How one target is checked, with everything its URL said.
#[derive(Clone)]
pub enum Probe {
    Tcp(tcp::Tcp),
    // Boxed: its request settings make it the largest by far.
    Http(Box<http::Http>),
    Postgres(postgres::Postgres),
    Mysql(mysql::Mysql),
    Redis(redis::Redis),
    Amqp(amqp::Amqp),
    Mqtt(mqtt::Mqtt),
    Nats(nats::Nats),
    Unix(unix::Unix),
    File(file::File),
    Memcached(memcached::Memcached),
    Zookeeper(zookeeper::Zookeeper),
    Grpc(grpc::Grpc),
    Dns(dns::Dns),
    Kafka(kafka::Kafka),
    Mongo(mongodb::Mongo),
    Kube(k8s::Kube),
    Exec(exec::Exec),
}

/// One kind of target: the schemes that name it, how `--help` writes it, and
/// how its probe is built from a URL. Usage errors and `--help` list the
/// kinds from [`KINDS`], so a scheme is known exactly where it is listed.
struct Kind {
    schemes: &'static [&'static str],
    form: &'static str,
    /// The fragment keys (`#status=…`) its targets may carry.
    keys: &'static [&'static str],
    build: fn(&Url, &Settings) -> Result<Probe, String>,
}

/// Every fragment key there is (`../shared/DESIGN.md`, "Per-target
/// expectations"): one a kind does not list is refused as of no use to it,
/// one not here as unknown.
const KEYS: &[&str] = &[
    "status",
    "method",
    "header",
    "body",
    "match",
    "json",
    "follow",
    "table",
    "servername",
    "type",
    "expect",
    "server",
    "topic",
    "collection",
    "secondary",
    "min",
];

/// What an http(s) target's fragment may set.
const HTTP_KEYS: &[&str] = &[
    "status", "method", "header", "body", "match", "json", "follow",
];

/// Every kind of target, in the order `--help` lists them.
const KINDS: &[Kind] = &[
    Kind {
        schemes: &["tcp"],
        form: "host:port, [v6addr]:port, tcp://host:port",
        keys: &[],
        build: |url, _| Ok(Probe::Tcp(tcp::Tcp::from_url(url)?)),
    },
    Kind {
        schemes: &["http", "https", "http+unix"],
        form: "http(s)://host[:port]/path, http+unix://%2Fsocket%2Fpath/path",
        keys: HTTP_KEYS,
        build: |url, settings| {
            let http = http::Http::from_url(url, &settings.http, &settings.tls)?;
            Ok(Probe::Http(Box::new(http)))
        },
    },
    Kind {
        schemes: &["postgres", "postgresql"],
        form: "postgres://[user[:password]@]host[:5432][/db][#table=NAME]",
        keys: &["table"],
        build: |url, _| Ok(Probe::Postgres(postgres::Postgres::from_url(url)?)),
    },
    Kind {
        schemes: &["mysql", "mariadb"],
        form: "mysql://[user[:password]@]host[:3306][/db][#table=NAME]",
        keys: &["table"],
        build: |url, _| Ok(Probe::Mysql(mysql::Mysql::from_url(url)?)),
    },
    Kind {
        schemes: &["redis", "rediss"],
        form: "redis(s)://[:password@]host[:6379]",
        keys: &[],
        build: |url, settings| Ok(Probe::Redis(redis::Redis::from_url(url, &settings.tls)?)),
    },
    Kind {
        schemes: &["amqp"],
        form: "amqp://[user:password@]host[:5672][/vhost]",
        keys: &[],
        build: |url, _| Ok(Probe::Amqp(amqp::Amqp::from_url(url)?)),
    },
    Kind {
        schemes: &["mqtt"],
        form: "mqtt://host[:1883]",
        keys: &[],
        build: |url, _| Ok(Probe::Mqtt(mqtt::Mqtt::from_url(url)?)),
    },
    Kind {
        schemes: &["nats"],
        form: "nats://host[:4222]",
        keys: &[],
        build: |url, _| Ok(Probe::Nats(nats::Nats::from_url(url)?)),
    },
    Kind {
        schemes: &["memcached"],
        form: "memcached://host[:11211]",
        keys: &[],
        build: |url, _| Ok(Probe::Memcached(memcached::Memcached::from_url(url)?)),
    },
    Kind {
        schemes: &["zookeeper", "zk"],
        form: "zookeeper://host[:2181]",
        keys: &[],
        build: |url, _| Ok(Probe::Zookeeper(zookeeper::Zookeeper::from_url(url)?)),
    },
    Kind {
        schemes: &["grpc", "grpcs"],
        form: "grpc(s)://host:port[/service][#header=Name:value][#servername=NAME]",
        keys: &["header", "servername"],
        build: |url, settings| Ok(Probe::Grpc(grpc::Grpc::from_url(url, &settings.tls)?)),
    },
    Kind {
        schemes: &["kafka"],
        form: "kafka://[user:password@]host[:9092][,host2[:9092]…][#topic=NAME]",
        keys: &["topic"],
        build: |url, _| Ok(Probe::Kafka(kafka::Kafka::from_url(url)?)),
    },
    Kind {
        schemes: &["mongodb"],
        form: "mongodb://[user:password@]host[:27017][,host2…][/db][?replicaSet=NAME][#collection=NAME][#secondary]",
        keys: &["collection", "secondary"],
        build: |url, _| Ok(Probe::Mongo(mongodb::Mongo::from_url(url)?)),
    },
    Kind {
        schemes: &["dns"],
        form: "dns://NAME[#type=A|AAAA|CNAME|SRV|TXT|MX][#expect=VALUE][#server=IP[:PORT]]",
        keys: &["type", "expect", "server"],
        build: |url, _| Ok(Probe::Dns(dns::Dns::from_url(url)?)),
    },
    Kind {
        schemes: &["unix"],
        form: "unix:///path",
        keys: &[],
        build: |url, _| Ok(Probe::Unix(unix::Unix::from_url(url)?)),
    },
    Kind {
        schemes: &["file"],
        form: "file:///path",
        keys: &[],
        build: |url, _| Ok(Probe::File(file::File::from_url(url)?)),
    },
];

/// How `--help` writes a command to run as a target (not a URL: see [`Probe::exec`]).
const EXEC_FORM: &str = "exec:COMMAND ARG…";

/// How `--help` writes every kind of target, in order.
pub fn forms() -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .map(|kind| kind.form)
        .chain(k8s::FORMS)
        .chain([EXEC_FORM])
}

impl Probe {
    /// `exec:COMMAND ARG…`, given what follows `exec:`.
    pub fn exec(command: &str) -> Result<Self, String> {
        Ok(Probe::Exec(exec::Exec::parse(command)?))
    }

    /// `k8s:…`, given what follows `k8s:` up to any `#`, and the keys after it.
    pub fn kube(object: &str, keys: &[Key], settings: &Settings) -> Result<Self, String> {
        Ok(Probe::Kube(k8s::Kube::parse(
            object,
            keys,
            &settings.cluster,
        )?))
    }

    /// The shortest pause between two attempts at this target.
    pub fn least_pause(&self) -> Duration {
        match self {
            Probe::Kube(_) => k8s::LEAST_PAUSE,
            _ => Duration::ZERO,
        }
    }

    pub fn from_url(url: &Url, settings: &Settings) -> Result<Self, String> {
        let scheme = url.scheme.as_str();
        match KINDS.iter().find(|kind| kind.schemes.contains(&scheme)) {
            Some(kind) => {
                for key in url.keys()? {
                    let name = key.name.as_str();
                    // A key is quoted as written, made one line of text.
                    let shown = human::quoted(name);
                    if !KEYS.contains(&name) {
                        return Err(format!("unknown key #{shown} (known: {})", KEYS.join(", ")));
                    }
                    if !kind.keys.contains(&name) {
                        return Err(format!("#{shown}: a {scheme}:// target cannot use it"));
                    }
                }
                (kind.build)(url, settings)
            }
            None => {
                let schemes: Vec<&str> = KINDS
                    .iter()
                    .flat_map(|kind| kind.schemes)
                    .copied()
                    .collect();
                Err(format!(
                    "unknown scheme {scheme:?} (supported: host:port, {}://)",
                    schemes.join("://, ")
                ))
            }
        }
    }

    /// One attempt at the target. Each kind's attempt is boxed: unboxed, this
    /// future would be as large as the largest of them (some 9 KB, HTTP's), and
    /// so would every stack frame that polls it, for a TCP target too (issue
    /// 21). And boxed as a `dyn Future`: polled through a pointer, each kind's
    /// code stays in a function of its own instead of inlined into the one
    /// task that polls every target (86 KB of it with issue 24's kinds), so a
    /// TCP target's start touches TCP's code alone.
    pub async fn check(&self) -> Result<Ready, Failure> {
        let attempt: Attempt<'_> = match self {
            Probe::Tcp(probe) => Box::pin(probe.check()),
            Probe::Http(probe) => Box::pin(probe.check()),
            Probe::Postgres(probe) => Box::pin(probe.check()),
            Probe::Mysql(probe) => Box::pin(probe.check()),
            Probe::Redis(probe) => Box::pin(probe.check()),
            Probe::Amqp(probe) => Box::pin(probe.check()),
            Probe::Mqtt(probe) => Box::pin(probe.check()),
            Probe::Nats(probe) => Box::pin(probe.check()),
            Probe::Unix(probe) => Box::pin(probe.check()),
            Probe::File(probe) => Box::pin(probe.check()),
            Probe::Memcached(probe) => Box::pin(probe.check()),
            Probe::Zookeeper(probe) => Box::pin(probe.check()),
            Probe::Grpc(probe) => Box::pin(probe.check()),
            Probe::Dns(probe) => Box::pin(probe.check()),
            Probe::Kafka(probe) => Box::pin(probe.check()),
            Probe::Mongo(probe) => Box::pin(probe.check()),
            Probe::Kube(probe) => Box::pin(probe.check()),
            Probe::Exec(probe) => Box::pin(probe.check()),
        };
        attempt.await
    }
}

/// One attempt of any kind, boxed and polled through a pointer.
type Attempt<'a> = Pin<Box<dyn Future<Output = Result<Ready, Failure>> + Send + 'a>>;
