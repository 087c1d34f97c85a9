//! HTTP in depth, against nginx configured by each test: request method,
//! headers and body, body expectations (a regular expression, JSON values),
//! redirects, per-target checks in the URL fragment, `${VAR}` expansion,
//! client certificates for a server that requires them, and HTTP over a
//! unix socket. In-process fakes only for what nginx cannot show (a body
//! that never ends).

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::servers::{Service, certificates, client_identity, start_nginx, start_redis};
use common::*;

/// nginx with `servers`, once it answers on `port`.
fn nginx(dir: &Path, port: u16, servers: &str) -> Service {
    let service = start_nginx(dir, "nginx", servers);
    let ready = run_within(
        waitfor().args(["-q", "-t", "20", &format!("127.0.0.1:{port}")]),
        secs(30.0),
    );
    assert_eq!(ready.code(), 0, "nginx: {}", service.log_tail());
    service
}

#[test]
fn several_differently_checked_targets_in_one_waitfor() {
    let dir = TempDir::new("http-checks");
    let d = &dir.0;
    let health = d.join("health.json");
    let cluster = d.join("cluster.json");
    fs::write(&health, r#"{"status":"DOWN"}"#).unwrap();
    fs::write(&cluster, r#"{"status":"red","number_of_nodes":1}"#).unwrap();
    let port = free_port();
    let _nginx = nginx(
        d,
        port,
        &format!(
            r#"server {{ listen 127.0.0.1:{port};
                location = /actuator/health {{ default_type application/json; alias {health}; }}
                location = /_cluster/health {{ default_type application/json; alias {cluster}; }}
                location = /secret {{ if ($http_x_token != "tok-4f9a1c") {{ return 401; }} return 200 ok; }}
                location = /post {{ if ($request_method != POST) {{ return 405; }} return 200 posted; }}
                location = /put {{ if ($request_method != PUT) {{ return 405; }} return 200 put; }}
                location = /old {{ return 302 /text; }}
                location = /text {{ return 200 "ok ready\n"; }}
            }}"#,
            health = health.display(),
            cluster = cluster.display(),
        ),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut running = Running::spawn(
        waitfor()
            .env("TOKEN", "tok-4f9a1c")
            .args(["-t", "30", "-v"])
            .arg(format!("{base}/actuator/health#json=/status=UP"))
            .arg(format!(
                "{base}/_cluster/health#json=/status=green|yellow&json=/number_of_nodes"
            ))
            .arg(format!("{base}/secret#header=X-Token:${{TOKEN}}"))
            .arg(format!("{base}/post#body=%7B%22a%22:1%7D"))
            .arg(format!("{base}/put#method=put"))
            .arg(format!("{base}/old#follow&match=^ok"))
            .args(["--", "echo", "all ready"]),
    );
    running.wait_for_line(r#"/status is "DOWN", want UP"#, secs(20.0));
    running.wait_for_line(r#"/status is "red", want green|yellow"#, secs(20.0));
    fs::write(&health, r#"{"status":"UP","components":{}}"#).unwrap();
    fs::write(&cluster, r#"{"status":"yellow","number_of_nodes":1}"#).unwrap();
    let status = running.wait(secs(30.0));
    assert!(status.success(), "{}", running.last_lines());
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut running.child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "all ready\n");
    for line in &running.seen {
        assert!(
            !line.contains("tok-4f9a1c"),
            "a header value was shown: {line}"
        );
    }
    assert!(
        running
            .seen
            .iter()
            .any(|line| line.contains("#header=X-Token:***")),
        "the target is named as written, its header value masked: {}",
        running.last_lines()
    );
}

#[test]
fn no_header_value_or_expanded_secret_in_any_output_mode() {
    let dir = TempDir::new("http-secrets");
    let port = free_port();
    let _nginx = nginx(
        &dir.0,
        port,
        &format!(
            "server {{ listen 127.0.0.1:{port};
               location / {{ if ($http_authorization != \"Bearer right\") {{ return 401 $http_authorization; }} return 200; }}
             }}"
        ),
    );
    let secret = "wrong-9d8e7f6a5b";
    for mode in [&["-vv"][..], &["--log-format", "json", "-vv"], &[]] {
        let run = run_within(
            waitfor()
                .env("TOKEN", secret)
                .args(["-t", "1"])
                .args(mode)
                .args(["--http-header", "Authorization: Bearer ${TOKEN}"])
                .arg(format!("http://127.0.0.1:{port}/#header=X-Other:{secret}"))
                .arg(format!("http://127.0.0.1:{port}/")),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        run.says("answered HTTP 401").never_says(secret);
    }
}

#[test]
fn bodies_that_are_not_what_is_wanted() {
    let dir = TempDir::new("http-bodies");
    let d = &dir.0;
    fs::write(d.join("page.html"), "<html>not json</html>").unwrap();
    let port = free_port();
    let _nginx = nginx(
        d,
        port,
        &format!(
            "server {{ listen 127.0.0.1:{port}; root {};
               location = /loop {{ return 302 /loop; }}
             }}",
            d.display()
        ),
    );
    // A body that never ends: only what nginx cannot be made to send.
    let endless = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[ok");
        let chunk = [b' '; 4096];
        while stream.write_all(&chunk).is_ok() {}
    });
    let run = run_within(
        waitfor()
            .args(["-t", "2"])
            .arg(format!("http://127.0.0.1:{port}/page.html#json=/status"))
            .arg(format!("http://127.0.0.1:{port}/page.html#match=ready"))
            .arg(format!("http://127.0.0.1:{port}/loop#follow"))
            .arg(format!("http://127.0.0.1:{}/#json=/0", endless.port)),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the body is not JSON (expected value at line 1 column 1)")
        .says("the body does not match /ready/: \"<html>not json</html>\"")
        .says(&format!(
            "redirect loop: HTTP 302 Found back to http://127.0.0.1:{port}/loop"
        ))
        .says("the body is larger than 64 KiB, more than waitfor reads as JSON");
    // Matching needs only the first 64 KiB, even of a body that never ends.
    let run = run_within(
        waitfor()
            .args(["-t", "5"])
            .arg(format!("http://127.0.0.1:{}/#match=^\\[ok", endless.port)),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

#[test]
fn http_over_a_unix_socket() {
    let dir = TempDir::new("http-unix");
    let socket = dir.0.join("app.sock");
    let port = free_port();
    let _nginx = nginx(
        &dir.0,
        port,
        &format!(
            "server {{ listen 127.0.0.1:{port}; listen unix:{};
               location = /_ping {{ return 200 OK; }} }}",
            socket.display()
        ),
    );
    let encoded = socket.display().to_string().replace('/', "%2F");
    let run = run_within(
        waitfor()
            .args(["-t", "10"])
            .arg(format!("http+unix://{encoded}/_ping#match=^OK$")),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    run.says(&format!("http+unix://{encoded}/_ping#match=^OK$ is ready"));
}

#[test]
fn client_certificates_for_a_server_that_requires_one() {
    let dir = TempDir::new("http-mtls");
    let d = &dir.0;
    let certs = certificates(d);
    let port = free_port();
    let _nginx = nginx(
        d,
        port,
        &format!(
            "server {{ listen 127.0.0.1:{port} ssl;
               ssl_certificate {}; ssl_certificate_key {};
               ssl_verify_client on; ssl_client_certificate {};
               location / {{ return 200 \"hello $ssl_client_s_dn\"; }} }}",
            certs.cert.display(),
            certs.key.display(),
            certs.ca.display()
        ),
    );
    let url = format!("https://localhost:{port}/");
    let ca = certs.ca.display().to_string();
    let identities = [
        (
            "rsa-pkcs8",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ][..],
        ),
        ("rsa-pkcs1", &["genrsa", "-traditional", "2048"]),
        (
            "ec-sec1",
            &["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
        ),
        (
            "ec-pkcs8",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
        ),
        ("ed25519", &["genpkey", "-algorithm", "ed25519"]),
    ]
    .map(|(name, form)| (name, client_identity(d, &certs, name, form)));
    // waitfor with the test CA, a client certificate and key, and a target.
    let presenting = |cert: &str, key: &str, target: &str| {
        run_within(
            waitfor()
                .args(["-t", "30", "--ca-cert", &ca, "--client-cert", cert])
                .args(["--client-key", key, target]),
            secs(40.0),
        )
    };
    for (name, (cert, key)) in &identities {
        let run = presenting(cert, key, &format!("{url}#match=CN={name}"));
        assert_eq!(run.code(), 0, "{name}: {run:?}");
    }
    // Without one, nginx answers 400; the environment variables say the same as the options.
    let without = run_within(
        waitfor().args(["-t", "1", "--ca-cert", &ca, &url]),
        secs(20.0),
    );
    assert_eq!(without.code(), 124, "{without:?}");
    without.says("answered HTTP 400 Bad Request");
    let (cert, key) = &identities[0].1;
    let by_env = run_within(
        waitfor()
            .env("WAITFOR_CA_CERT", &ca)
            .env("WAITFOR_CLIENT_CERT", cert)
            .env("WAITFOR_CLIENT_KEY", key)
            .args(["-t", "10", &url]),
        secs(20.0),
    );
    assert_eq!(by_env.code(), 0, "{by_env:?}");
    // rediss the same way, with Redis requiring a client certificate.
    let rediss = free_port();
    let port_text = rediss.to_string();
    let files = [&certs.cert, &certs.key, &certs.ca].map(|f| f.display().to_string());
    let _redis = start_redis(
        d,
        "rediss",
        0,
        &[
            "--port",
            "0",
            "--tls-port",
            &port_text,
            "--tls-cert-file",
            &files[0],
            "--tls-key-file",
            &files[1],
            "--tls-ca-cert-file",
            &files[2],
            "--tls-auth-clients",
            "yes",
        ],
    );
    let redis_url = format!("rediss://localhost:{rediss}");
    let with = presenting(cert, key, &redis_url);
    assert_eq!(with.code(), 0, "{with:?}");
    let without = run_within(
        waitfor().args(["-t", "1", "--ca-cert", &ca, &redis_url]),
        secs(20.0),
    );
    assert_eq!(without.code(), 124, "{without:?}");
    without.says("TLS: the server requires a client certificate (--client-cert, --client-key)");
    // A key that is not the certificate's is refused before anything is probed.
    let other_key = &identities[2].1.1;
    let mismatched = run_within(
        waitfor().args([
            "-t",
            "10",
            "--client-cert",
            cert,
            "--client-key",
            other_key,
            &url,
        ]),
        secs(20.0),
    );
    assert_eq!(mismatched.code(), 2, "{mismatched:?}");
    mismatched.says(&format!(
        "--client-key {other_key} is not the key of --client-cert {cert}"
    ));
}

#[test]
fn what_a_target_or_option_cannot_say_is_exit_2_naming_it() {
    for (args, env, says) in [
        (&["http://web/#nope=1"][..], None, "unknown key #nope"),
        (
            &["redis://cache#status=200"],
            None,
            "#status: a redis:// target cannot use it",
        ),
        (&["http://web/#json=status=UP"], None, "must start with '/'"),
        (
            &["http://web/#match=("],
            None,
            "is not a regular expression",
        ),
        (
            &["http://${NOT_SET_ANYWHERE}/"],
            None,
            "NOT_SET_ANYWHERE is not set (nor NOT_SET_ANYWHERE_FILE)",
        ),
        (
            &["--http-header", "Authorization", "http://web/"],
            None,
            "--http-header: a header has no ':' between its name and value (write Name: value)",
        ),
        (
            &["--client-cert", "/nonexistent", "http://web/"],
            None,
            "--client-cert needs --client-key",
        ),
        (
            &["--http-method", "GE T", "http://web/"],
            None,
            "is not an HTTP method",
        ),
        (
            &["http://web/"],
            Some(("WAITFOR_HTTP_JSON", "/a=1\nb")),
            "--http-json: JSON pointer \"b\"",
        ),
    ] {
        let mut command = waitfor();
        command.args(args);
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        let run = run_within(&mut command, secs(10.0));
        assert_eq!(run.code(), 2, "{args:?}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        run.says(says);
    }
}

#[test]
fn variables_and_secret_files_in_targets() {
    let dir = TempDir::new("http-variables");
    let port = free_port();
    let _nginx = nginx(
        &dir.0,
        port,
        &format!(
            "server {{ listen 127.0.0.1:{port};
               location = /a$b {{ if ($http_x_key != \"p@ss#word\") {{ return 403; }} return 200; }} }}"
        ),
    );
    let secret = dir.0.join("key");
    fs::write(&secret, "p@ss#word\n").unwrap();
    let run = run_within(
        waitfor()
            .env("WEB_PORT", port.to_string())
            .env("KEY_FILE", &secret)
            .args(["-t", "10"])
            .arg("http://${WEB_HOST:-127.0.0.1}:${WEB_PORT}/a$$b#header=X-Key:${KEY}"),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    run.says("http://${WEB_HOST:-127.0.0.1}:${WEB_PORT}/a$$b#header=X-Key:*** is ready")
        .never_says("p@ss#word");
}
