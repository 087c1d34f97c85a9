//! Readiness probes, one module per kind of target, and the plumbing they share.
//!
//! Each module owns the options its URL scheme takes (`from_url`) and its one
//! readiness check (`check`): one attempt that says ready (`Ok`) or why not
//! (`Failure`). A probe does not retry and does not bound its own time: the
//! caller in `wait.rs` cuts every attempt off at its deadline, so a probe may
//! simply await. What the protocol probes share (connect, TLS, bounded reads)
//! lives in `wire.rs`.

mod amqp;
mod file;
mod http;
mod mqtt;
mod mysql;
mod nats;
mod outcome;
mod postgres;
mod redis;
mod tcp;
mod tls;
mod unix;
mod wire;

use crate::url::Url;

pub use http::Statuses;
pub use outcome::{Failure, Ready};
pub use tls::Tls;

/// The schemes a TARGET may have, as the usage error lists them.
const SCHEMES: &[&str] = &[
    "tcp",
    "http",
    "https",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "rediss",
    "amqp",
    "mqtt",
    "nats",
    "unix",
    "file",
];

/// What the command line says about probing, beyond the targets themselves.
pub struct Settings {
    /// The statuses that make an http(s) target ready (`--http-status`).
    pub http_statuses: Statuses,
    /// How https and rediss targets verify the server (`--ca-cert`, `--insecure`).
    pub tls: Tls,
}

/// How one target is checked, with everything its URL said.
#[derive(Clone)]
pub enum Probe {
    Tcp(tcp::Tcp),
    Http(http::Http),
    Postgres(postgres::Postgres),
    Mysql(mysql::Mysql),
    Redis(redis::Redis),
    Amqp(amqp::Amqp),
    Mqtt(mqtt::Mqtt),
    Nats(nats::Nats),
    Unix(unix::Unix),
    File(file::File),
}

impl Probe {
    pub fn from_url(url: &Url, settings: &Settings) -> Result<Self, String> {
        Ok(match url.scheme.as_str() {
            "tcp" => Probe::Tcp(tcp::Tcp::from_url(url)?),
            "http" | "https" => Probe::Http(http::Http::from_url(
                url,
                &settings.http_statuses,
                &settings.tls,
            )?),
            "postgres" | "postgresql" => Probe::Postgres(postgres::Postgres::from_url(url)?),
            "mysql" | "mariadb" => Probe::Mysql(mysql::Mysql::from_url(url)?),
            "redis" | "rediss" => Probe::Redis(redis::Redis::from_url(url, &settings.tls)?),
            "amqp" => Probe::Amqp(amqp::Amqp::from_url(url)?),
            "mqtt" => Probe::Mqtt(mqtt::Mqtt::from_url(url)?),
            "nats" => Probe::Nats(nats::Nats::from_url(url)?),
            "unix" => Probe::Unix(unix::Unix::from_url(url)?),
            "file" => Probe::File(file::File::from_url(url)?),
            scheme => {
                return Err(format!(
                    "unknown scheme {scheme:?} (supported: host:port, {}://)",
                    SCHEMES.join("://, ")
                ));
            }
        })
    }

    /// One attempt at the target.
    pub async fn check(&self) -> Result<Ready, Failure> {
        match self {
            Probe::Tcp(probe) => probe.check().await,
            Probe::Http(probe) => probe.check().await,
            Probe::Postgres(probe) => probe.check().await,
            Probe::Mysql(probe) => probe.check().await,
            Probe::Redis(probe) => probe.check().await,
            Probe::Amqp(probe) => probe.check().await,
            Probe::Mqtt(probe) => probe.check().await,
            Probe::Nats(probe) => probe.check().await,
            Probe::Unix(probe) => probe.check().await,
            Probe::File(probe) => probe.check().await,
        }
    }
}
