//! The README's recipes, each run as written (the service's host and port
//! replaced by the test's) against nginx answering as that service does, and
//! the Docker daemon over its own socket.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::servers::{certificates, client_identity, start_nginx};
use common::*;

const README: &str = include_str!("../README.md");

/// A recipe's target exactly as the README's recipes table gives it, with
/// `host` (as written there) pointed at `to`.
fn recipe(target: &str, host: &str, to: &str) -> String {
    assert!(
        README.contains(&format!("`{target}`")),
        "the README's recipes no longer give {target}"
    );
    target.replacen(host, to, 1)
}

/// nginx with `servers`, once it answers on `port`.
fn nginx(dir: &Path, ports: &[u16], servers: &str) -> common::servers::Service {
    let service = start_nginx(dir, "nginx", servers);
    for port in ports {
        let ready = run_within(
            waitfor().args(["-q", "-t", "20", &format!("127.0.0.1:{port}")]),
            secs(30.0),
        );
        assert_eq!(ready.code(), 0, "nginx: {}", service.log_tail());
    }
    service
}

/// Runs waitfor on `targets` with `options`; its exit code and stderr.
fn waitfor_on(options: &[&str], targets: &[String], env: &[(&str, &str)]) -> Run {
    run_within(
        waitfor()
            .args(options)
            .args(targets)
            .envs(env.iter().copied()),
        secs(30.0),
    )
}

#[test]
fn http_services_ready_and_not() {
    let dir = TempDir::new("recipes");
    let d = &dir.0;
    let (ready, not_ready) = (free_port(), free_port());
    // Each path answers as the service does when ready on one port, when not on the other.
    let server = |port: u16, spring: &str, cluster: &str, vault: u16, leader: &str| {
        format!(
            r#"server {{ listen 127.0.0.1:{port};
                 location = /actuator/health {{ default_type application/json; return 200 '{spring}'; }}
                 location = /_cluster/health {{ default_type application/json; return 200 '{cluster}'; }}
                 location = /v1/sys/health {{ default_type application/json; return {vault} '{{"sealed":false}}'; }}
                 location = /v1/status/leader {{ default_type application/json; return 200 '{leader}'; }}
               }}"#
        )
    };
    let _nginx = nginx(
        d,
        &[ready, not_ready],
        &[
            server(
                ready,
                r#"{"status":"UP","components":{"db":{"status":"UP"}}}"#,
                r#"{"cluster_name":"c","status":"yellow"}"#,
                429,
                r#""10.0.0.5:8300""#,
            ),
            server(
                not_ready,
                r#"{"status":"DOWN"}"#,
                r#"{"cluster_name":"c","status":"red"}"#,
                503,
                r#""""#,
            ),
        ]
        .concat(),
    );
    let recipes = [
        (
            "http://app:8080/actuator/health#json=/status=UP",
            "app:8080",
        ),
        (
            "http://search:9200/_cluster/health#json=/status=green|yellow",
            "search:9200",
        ),
        (
            "http://vault:8200/v1/sys/health#status=200,429",
            "vault:8200",
        ),
        (
            r#"http://consul:8500/v1/status/leader#match=^"[^"]+"$"#,
            "consul:8500",
        ),
    ];
    // In the README's table a `|` is written `\|`.
    for (target, _) in &recipes {
        recipe(&target.replace('|', "\\|"), "", "");
    }
    let at = |port: u16| -> Vec<String> {
        recipes
            .iter()
            .map(|(target, host)| target.replacen(host, &format!("127.0.0.1:{port}"), 1))
            .collect()
    };
    let run = waitfor_on(&["-t", "10"], &at(ready), &[]);
    assert_eq!(run.code(), 0, "{run:?}");
    let run = waitfor_on(&["-t", "1"], &at(not_ready), &[]);
    assert_eq!(run.code(), 124, "{run:?}");
    run.says(r#"/status is "DOWN", want UP"#)
        .says(r#"/status is "red", want green|yellow"#)
        .says("answered HTTP 503 Service Unavailable")
        .says(r#"the body does not match /^"[^"]+"$/: "\"\"""#)
        .says("timed out: 4 of 4 targets not ready");
}

#[test]
fn kubernetes_api_server_with_the_service_account_token() {
    let dir = TempDir::new("recipes-k8s");
    let d = &dir.0;
    let certs = certificates(d);
    let token = d.join("token");
    fs::write(&token, "eyJhbGciOi.secret-token\n").unwrap();
    let port = free_port();
    let _nginx = nginx(
        d,
        &[port],
        &format!(
            "server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {}; ssl_certificate_key {};
               location = /readyz {{
                 if ($http_authorization != \"Bearer eyJhbGciOi.secret-token\") {{ return 401; }}
                 return 200 ok;
               }} }}",
            certs.cert.display(),
            certs.key.display()
        ),
    );
    let target = recipe(
        "https://kubernetes.default.svc/readyz#header=Authorization:Bearer ${TOKEN}",
        "kubernetes.default.svc",
        &format!("localhost:{port}"),
    );
    let ca = certs.ca.display().to_string();
    let token_file = token.display().to_string();
    let run = waitfor_on(
        &["-t", "10", "--ca-cert", &ca],
        std::slice::from_ref(&target),
        &[("TOKEN_FILE", &token_file)],
    );
    assert_eq!(run.code(), 0, "{run:?}");
    run.never_says("secret-token");
    let wrong = d.join("wrong");
    fs::write(&wrong, "not-the-token-at-all").unwrap();
    let wrong = wrong.display().to_string();
    let run = waitfor_on(
        &["-t", "1", "--ca-cert", &ca],
        &[target],
        &[("TOKEN_FILE", &wrong)],
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("answered HTTP 401")
        .never_says("not-the-token-at-all");
}

#[test]
fn a_mutual_tls_service() {
    let dir = TempDir::new("recipes-mtls");
    let d = &dir.0;
    let certs = certificates(d);
    let (cert, key) = client_identity(d, &certs, "client", &["genpkey", "-algorithm", "ed25519"]);
    let port = free_port();
    let _nginx = nginx(
        d,
        &[port],
        &format!(
            "server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {}; ssl_certificate_key {};
               ssl_verify_client on; ssl_client_certificate {};
               location = /health {{ return 200 ok; }} }}",
            certs.cert.display(),
            certs.key.display(),
            certs.ca.display()
        ),
    );
    assert!(README.contains(
        "`https://svc:8443/health` with `--ca-cert ca.pem --client-cert client.pem --client-key client.key`"
    ));
    let target = recipe(
        "https://svc:8443/health",
        "svc:8443",
        &format!("localhost:{port}"),
    );
    let ca = certs.ca.display().to_string();
    let run = waitfor_on(
        &[
            "-t",
            "10",
            "--ca-cert",
            &ca,
            "--client-cert",
            &cert,
            "--client-key",
            &key,
        ],
        &[target],
        &[],
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

/// The Docker daemon the test suite runs (scripts/test starts one), over its socket.
#[test]
fn the_docker_daemon_over_its_socket() {
    assert!(
        Path::new("/var/run/docker.sock").exists(),
        "no Docker daemon: scripts/test starts one"
    );
    let target = recipe(
        "http+unix://%2Fvar%2Frun%2Fdocker.sock/_ping#match=^OK$",
        "",
        "",
    );
    let run = waitfor_on(&["-t", "10"], &[target], &[]);
    assert_eq!(run.code(), 0, "{run:?}");
}

/// etcd itself (Debian's etcd-server), not nginx: the recipe waits while
/// etcd is not started, and is ready once `/health` says `"health":"true"`.
#[test]
fn etcd_health() {
    let dir = TempDir::new("recipes-etcd");
    let (client, peer) = (free_port(), free_port());
    let target = recipe(
        "http://etcd:2379/health#json=/health=true",
        "etcd:2379",
        &format!("127.0.0.1:{client}"),
    );
    let mut waiting = Running::spawn(waitfor().args(["-t", "60", "-i", "100ms", &target]));
    waiting.wait_for_line("waiting up to", secs(10.0));
    assert!(
        !waiting.saw_line("is ready", secs(1.0)),
        "ready before etcd started: {}",
        waiting.last_lines()
    );
    let peer_url = format!("http://127.0.0.1:{peer}");
    let client_url = format!("http://127.0.0.1:{client}");
    let etcd = common::servers::Service::start(
        "etcd",
        &dir.0,
        Command::new("etcd")
            .arg("--data-dir")
            .arg(dir.0.join("data"))
            .args(["--name", "waitfor"])
            .args(["--listen-client-urls", &client_url])
            .args(["--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("waitfor={peer_url}")]),
    );
    let status = waiting.wait(secs(60.0));
    assert_eq!(
        status.code(),
        Some(0),
        "{}\n{}",
        waiting.last_lines(),
        etcd.log_tail()
    );
}
