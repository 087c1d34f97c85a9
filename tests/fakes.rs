//! Probes against in-process fake servers, for what a real server can't be
//! made to show on demand: "starting up" answers that turn into ready ones,
//! silence, half replies, garbage, endless and trickling replies.
//!
//! Every fake server handles each connection on a thread that ends when
//! waitfor closes its side, so nothing outlives the test.

mod common;

use std::io::Write;
use std::thread;

use common::*;

/// A PostgreSQL ErrorResponse with the given SQLSTATE.
fn postgres_error(code: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [(b'S', "FATAL"), (b'C', code), (b'M', message)] {
        body.push(field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut reply = vec![b'E'];
    reply.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    reply.extend_from_slice(&body);
    reply
}

/// AuthenticationCleartextPassword: the server accepts connections and wants a password.
const POSTGRES_AUTH_REQUEST: &[u8] = b"R\x00\x00\x00\x08\x00\x00\x00\x03";

/// Waits 1 s for `targets` (each attempt cut at 300 ms), which must time
/// out; each target's line saying why it is not ready.
fn timed_out_lines(targets: &[String]) -> Vec<String> {
    let run = run_within(
        waitfor()
            .args(["-t", "1s", "--connect-timeout", "300ms"])
            .args(targets),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    targets
        .iter()
        .map(|target| {
            run.stderr
                .lines()
                .find(|line| line.contains(&format!("{target} is not ready")))
                .unwrap_or_else(|| panic!("no timeout line for {target}: {}", run.stderr))
                .to_owned()
        })
        .collect()
}

fn wait_verbose(target: &str) -> Run {
    run_within(
        waitfor().args(["-v", "-t", "20", "-i", "50ms", target]),
        secs(25.0),
    )
}

#[test]
fn postgres_starting_up_is_not_ready_until_it_accepts() {
    let server = FakeServer::not_ready_then_ready(
        3,
        postgres_error("57P03", "the database system is starting up"),
        POSTGRES_AUTH_REQUEST.to_vec(),
        // Length, then protocol 3.0.
        |startup| {
            assert_eq!(
                &startup[4..8],
                &[0, 3, 0, 0],
                "a protocol 3.0 StartupMessage"
            )
        },
    );
    // Without a password: the probe only asks whether the server accepts connections.
    let run = wait_verbose(&format!("postgres://app@127.0.0.1:{}/appdb", server.port));
    assert_eq!(run.code(), 0, "{run:?}");
    run.says("PostgreSQL is not accepting connections yet: the database system is starting up");
    run.says("is ready after").says("(4 attempts)");
}

#[test]
fn postgres_refusing_a_role_is_still_accepting_connections() {
    let server = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ = stream.write_all(&postgres_error("28000", "role \"nobody\" does not exist"));
        until_closed(&mut stream);
    });
    let run = wait_verbose(&format!("postgresql://nobody@127.0.0.1:{}", server.port));
    assert_eq!(
        run.code(),
        0,
        "as pg_isready: the server answers, so it accepts connections: {run:?}"
    );
}

#[test]
fn redis_loading_is_not_ready_until_it_pongs() {
    let server = FakeServer::not_ready_then_ready(
        2,
        b"-LOADING Redis is loading the dataset in memory\r\n".to_vec(),
        b"+PONG\r\n".to_vec(),
        |request| assert_eq!(request, b"*1\r\n$4\r\nPING\r\n"),
    );
    let run = wait_verbose(&format!("redis://127.0.0.1:{}", server.port));
    assert_eq!(run.code(), 0, "{run:?}");
    run.says("Redis is loading its dataset into memory");
    run.says("(3 attempts)");
}

#[test]
fn http_503_is_not_ready_until_200() {
    let server = FakeServer::not_ready_then_ready(
        2,
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec(),
        |request| {
            let request = String::from_utf8_lossy(request).to_ascii_lowercase();
            assert!(
                request.starts_with("get /health?deep=1 http/1.1\r\n"),
                "{request}"
            );
            assert!(request.contains("\r\nhost: 127.0.0.1:"), "{request}");
        },
    );
    let run = wait_verbose(&format!("http://127.0.0.1:{}/health?deep=1", server.port));
    assert_eq!(run.code(), 0, "{run:?}");
    run.says("answered HTTP 503 Service Unavailable");
    run.says("(3 attempts)");
}

#[test]
fn http_statuses_can_be_chosen_and_redirects_are_not_followed() {
    let server = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ = stream
            .write_all(b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n");
        until_closed(&mut stream);
    });
    let target = format!("http://127.0.0.1:{}/", server.port);
    let run = run_within(waitfor().args(["-t", "1s", &target]), secs(20.0));
    assert_eq!(run.code(), 124, "{run:?}");
    assert!(
        run.stderr
            .contains("answered HTTP 302 Found (redirects are not followed"),
        "{}",
        run.stderr
    );
    let run = run_within(
        waitfor().args(["-t", "5s", "--http-status", "200-299,301-302", &target]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

/// Each kind of protocol target against servers that misbehave: every attempt
/// fails within --connect-timeout, and the target is never ready.
#[test]
fn silence_garbage_endless_and_trickling_replies_are_never_ready() {
    let silent = FakeServer::start(|_, mut stream| until_closed(&mut stream));
    let garbage = FakeServer::start(|_, mut stream| {
        let _ = stream.write_all(b"\x16\x03\x01 this is no protocol at all\r\n\x00\xff\xfe");
        until_closed(&mut stream);
    });
    let endless = FakeServer::start(|_, mut stream| {
        let chunk = [b'A'; 8192];
        while stream.write_all(&chunk).is_ok() {}
    });
    // A plausible start of a reply, a byte every 200ms: only the bound can end the attempt.
    let trickle = FakeServer::start(|_, mut stream| {
        for byte in b"HTTP/1.1 200 OK\r\n\r\n" {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            thread::sleep(secs(0.2));
        }
    });
    let schemes = ["postgres", "mysql", "redis", "amqp", "mqtt", "nats", "http"];
    for (server, expected) in [
        (&silent, &["no answer within 300ms"][..]),
        (&garbage, &["not a"]),
        // Each protocol fails this its own way: the size bound, a parse error, a length it won't read.
        (&endless, &[]),
        (&trickle, &["no answer within 300ms"]),
    ] {
        let targets: Vec<String> = schemes
            .iter()
            .map(|scheme| format!("{scheme}://127.0.0.1:{}", server.port))
            .collect();
        let run = run_within(
            waitfor()
                .args(["-t", "1500ms", "--connect-timeout", "300ms"])
                .args(&targets)
                .args(["--", "echo", "must not run"]),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        assert_eq!(run.stdout, "");
        for target in &targets {
            let line = run
                .stderr
                .lines()
                .find(|line| line.contains(&format!("{target} is not ready")))
                .unwrap_or_else(|| panic!("no timeout line for {target}: {}", run.stderr));
            assert!(
                expected.is_empty() || expected.iter().any(|why| line.contains(why)),
                "{line}: wanted one of {expected:?}"
            );
            // Several attempts, each ended within the bound, not one that hung.
            assert!(!line.ends_with("(1 attempt)"), "{line}");
        }
    }
}

/// The first bytes of each protocol's reply, then the connection closes: never ready.
#[test]
fn half_replies_are_never_ready() {
    let halves: [(&str, &[u8]); 7] = [
        ("postgres", b"R\x00\x00"),
        ("mysql", b"\x4a\x00\x00"),
        ("redis", b"+PO"),
        ("amqp", b"\x01\x00\x00\x00"),
        ("mqtt", b"\x20\x02"),
        ("nats", b"INFO {\"server_id\""),
        ("http", b"HTTP/1.1 200 O"),
    ];
    let servers: Vec<(&str, FakeServer)> = halves
        .into_iter()
        .map(|(scheme, half)| {
            let server = FakeServer::start(move |_, mut stream| {
                let _ = stream.write_all(half);
            });
            (scheme, server)
        })
        .collect();
    let targets: Vec<String> = servers
        .iter()
        .map(|(scheme, server)| format!("{scheme}://127.0.0.1:{}", server.port))
        .collect();
    for line in timed_out_lines(&targets) {
        // The server closes with the request unread, so the kernel may reset
        // instead; and its half reply may reach an HTTP client before the
        // request is written, which no HTTP server does.
        let spoke_first = line.contains("http://") && line.contains("spoke before the request");
        assert!(
            line.contains("closed") || line.contains("reset") || spoke_first,
            "{line}"
        );
    }
}

/// A server that resets every connection: each scheme says so in its own
/// words, never with a library's "(os error 104)".
#[test]
fn a_reset_is_said_in_words() {
    let resetting = FakeServer::start(|_, stream| {
        let linger = nix::libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: sets SO_LINGER to 0 on a socket this test owns, so that closing it sends RST.
        unsafe {
            nix::libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&stream),
                nix::libc::SOL_SOCKET,
                nix::libc::SO_LINGER,
                (&linger as *const nix::libc::linger).cast(),
                std::mem::size_of::<nix::libc::linger>() as nix::libc::socklen_t,
            );
        }
        thread::sleep(secs(0.05));
    });
    let targets: Vec<String> = ["postgres", "mysql", "redis", "amqp", "mqtt", "nats", "http"]
        .iter()
        .map(|scheme| format!("{scheme}://127.0.0.1:{}", resetting.port))
        .collect();
    for line in timed_out_lines(&targets) {
        assert!(line.contains("connection reset by peer"), "{line}");
        assert!(!line.contains("os error"), "{line}");
    }
}

#[test]
fn an_endless_reply_is_cut_off_at_the_size_bound() {
    let endless = FakeServer::start(|_, mut stream| {
        let chunk = [b'A'; 8192];
        while stream.write_all(&chunk).is_ok() {}
    });
    let run = run_within(
        waitfor().args(["-t", "1s", &format!("redis://127.0.0.1:{}", endless.port)]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("sent more than 65536 bytes without a complete reply");
}

/// Each scheme's default port: a silent server there is reached (no answer),
/// where a wrong port would be refused. On 127.0.0.77, where nothing else listens.
#[test]
fn each_scheme_has_its_default_port() {
    let schemes = [
        ("http", 80),
        ("https", 443),
        ("postgres", 5432),
        ("postgresql", 5432),
        ("mysql", 3306),
        ("mariadb", 3306),
        ("redis", 6379),
        ("rediss", 6379),
        ("amqp", 5672),
        ("mqtt", 1883),
        ("nats", 4222),
        ("kafka", 9092),
        ("mongodb", 27017),
    ];
    let _servers: Vec<FakeServer> = [80, 443, 5432, 3306, 6379, 5672, 1883, 4222, 9092, 27017]
        .into_iter()
        .map(|port| {
            FakeServer::start_on(([127, 0, 0, 77], port).into(), |_, mut s| {
                until_closed(&mut s)
            })
        })
        .collect();
    let targets: Vec<String> = schemes
        .iter()
        .map(|(scheme, _)| format!("{scheme}://127.0.0.77"))
        .collect();
    let run = run_within(
        waitfor()
            .args(["-t", "1s", "--connect-timeout", "300ms"])
            .args(&targets),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    for target in &targets {
        assert!(
            // After 1s or 1.0s: the deadline, to the millisecond or just past it.
            run.stderr
                .contains(&format!("{target} is not ready after 1"))
                && run.stderr.contains("s: no answer within 300ms ("),
            "{target} did not reach its default port:\n{}",
            run.stderr
        );
    }
}

/// A password shows as *** everywhere: every verbosity, JSON, and usage errors.
#[test]
fn passwords_never_appear_in_any_output() {
    let server = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ = stream.write_all(b"-WRONGPASS invalid username-password pair\r\n");
        until_closed(&mut stream);
    });
    let target = format!("redis://app:Sup3rS3cret@127.0.0.1:{}", server.port);
    for flags in [
        &["-q"][..],
        &[],
        &["-v"],
        &["-vv"],
        &["--log-format", "json", "-vv"],
    ] {
        let run = run_within(
            waitfor()
                .args(flags)
                .args(["-t", "500ms", &target])
                .env("RUST_LOG", "trace"),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{flags:?}: {run:?}");
        run.says("redis://app:***@127.0.0.1");
        run.never_says("Sup3rS3cret");
    }
    for bad in [
        "redis://app:Sup3rS3cret@127.0.0.1:notaport",
        "nats://Sup3rS3cret@[::1",
        "gopher://app:Sup3rS3cret@host",
    ] {
        let run = run_within(waitfor().arg(bad), secs(20.0));
        assert_eq!(run.code(), 2, "{run:?}");
        run.never_says("Sup3rS3cret");
    }
}

#[test]
fn ipv6_literals_in_urls() {
    let server = FakeServer::start_on(
        (std::net::Ipv6Addr::LOCALHOST, free_port()).into(),
        |_, mut stream| {
            read_request(&mut stream);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
            until_closed(&mut stream);
        },
    );
    let run = run_within(
        waitfor().args(["-t", "10s", &format!("http://[::1]:{}/ready", server.port)]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

/// A UDP nameserver of the test's own, answering each query with what
/// `answer` makes of it (nothing, one reply, many), until dropped.
fn fake_nameserver(answer: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> (u16, Background) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket.set_read_timeout(Some(secs(0.02))).unwrap();
    let serving = Background::spawn(move |stop| {
        let mut query = [0; 512];
        while !stop.requested() {
            if let Ok((count, from)) = socket.recv_from(&mut query) {
                for reply in answer(&query[..count]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        }
    });
    (port, serving)
}

/// What a real nameserver can't be made to show on demand: SERVFAIL, a
/// server that answers other queries (IDs and names not asked), a flood of
/// them, and garbage; each is not ready, said in words, within the attempt.
#[test]
fn nameservers_that_fail_lie_or_flood_are_never_ready() {
    // The query's header with QR and the rcode set, its question, no records.
    let with_rcode = |query: &[u8], rcode: u8| {
        let mut reply = query.to_vec();
        reply[2] |= 0x80;
        reply[3] = 0x80 | rcode;
        vec![reply]
    };
    let (servfail, _a) = fake_nameserver(move |query| with_rcode(query, 2));
    let (other_ids, _b) = fake_nameserver(move |query| {
        (0..200u16)
            .map(|n| {
                let mut reply = with_rcode(query, 0).remove(0);
                reply[..2].copy_from_slice(
                    &(u16::from_be_bytes([query[0], query[1]]) ^ (n + 1)).to_be_bytes(),
                );
                reply
            })
            .collect()
    });
    let (garbage, _c) = fake_nameserver(|_| vec![b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()]);
    let (silent, _d) = fake_nameserver(|_| Vec::new());
    let target = |port: u16| format!("dns://db.test#type=A&server=127.0.0.1:{port}");
    let run = run_within(
        waitfor()
            .args(["-t", "3s", "--connect-timeout", "1s"])
            .args([servfail, other_ids, garbage, silent].map(target)),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says(&format!(
        "127.0.0.1:{servfail} answered SERVFAIL for db.test"
    ))
    .says(&format!(
        "127.0.0.1:{other_ids} sent 32 replies that answer no query"
    ))
    .says(&format!("{} is not ready after", target(garbage)))
    .says(&format!("{} is not ready after 3", target(silent)))
    .says("no answer within 1s");
}

/// A Kafka broker of the test's own, for what Tansu can't be made to show:
/// an older broker's ApiVersions (v3 refused with UNSUPPORTED_VERSION, then
/// v0, and Metadata up to v1 only), SASL mechanisms it enables (`enabled`;
/// another asked for is refused and the connection closed, as Kafka does),
/// a PLAIN and a SCRAM-SHA-256 login checked against `password`, with the
/// server's signature; one broker and its controller in Metadata.
mod kafka_fake {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use ring::{digest, hmac, pbkdf2};

    const SALT: &[u8] = b"waitfor-test-salt";
    const ITERATIONS: u32 = 4096;

    pub fn serve(mut stream: TcpStream, enabled: &[&str], user: &str, password: &str, port: u16) {
        let mut scram: Option<(String, String)> = None;
        let mut mechanism = String::new();
        loop {
            let mut size = [0; 4];
            if stream.read_exact(&mut size).is_err() {
                return;
            }
            let mut request = vec![0; u32::from_be_bytes(size) as usize];
            if stream.read_exact(&mut request).is_err() {
                return;
            }
            let key = i16::from_be_bytes([request[0], request[1]]);
            let version = i16::from_be_bytes([request[2], request[3]]);
            let correlation = &request[4..8];
            let client_len = i16::from_be_bytes([request[8], request[9]]) as usize;
            let body = &request[10 + client_len..];
            let mut answer = correlation.to_vec();
            let mut close = false;
            match (key, version) {
                (18, 3) => {
                    answer.extend_from_slice(&35i16.to_be_bytes());
                    answer.extend_from_slice(&1i32.to_be_bytes());
                    answer.extend_from_slice(&[0, 18, 0, 0, 0, 2]);
                }
                (18, 0) => {
                    answer.extend_from_slice(&0i16.to_be_bytes());
                    answer.extend_from_slice(&4i32.to_be_bytes());
                    for (api, max) in [(3i16, 1i16), (17, 1), (18, 2), (36, 1)] {
                        answer.extend_from_slice(&api.to_be_bytes());
                        answer.extend_from_slice(&0i16.to_be_bytes());
                        answer.extend_from_slice(&max.to_be_bytes());
                    }
                }
                (17, 1) => {
                    let len = i16::from_be_bytes([body[0], body[1]]) as usize;
                    mechanism = String::from_utf8_lossy(&body[2..2 + len]).into_owned();
                    let accepted = enabled.contains(&mechanism.as_str());
                    answer.extend_from_slice(&(if accepted { 0i16 } else { 33 }).to_be_bytes());
                    answer.extend_from_slice(&(enabled.len() as i32).to_be_bytes());
                    for name in enabled {
                        answer.extend_from_slice(&(name.len() as i16).to_be_bytes());
                        answer.extend_from_slice(name.as_bytes());
                    }
                    close = !accepted;
                }
                (36, 1) => {
                    let len = i32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
                    let said = String::from_utf8_lossy(&body[4..4 + len]).into_owned();
                    let reply = match mechanism.as_str() {
                        "PLAIN" => (said == format!("\0{user}\0{password}")).then(Vec::new),
                        _ => scram_step(&mut scram, &said, user, password),
                    };
                    match reply {
                        Some(bytes) => {
                            answer.extend_from_slice(&0i16.to_be_bytes());
                            answer.extend_from_slice(&(-1i16).to_be_bytes());
                            answer.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                            answer.extend_from_slice(&bytes);
                        }
                        None => {
                            let message = "Authentication failed: Invalid username or password";
                            answer.extend_from_slice(&58i16.to_be_bytes());
                            answer.extend_from_slice(&(message.len() as i16).to_be_bytes());
                            answer.extend_from_slice(message.as_bytes());
                            answer.extend_from_slice(&0i32.to_be_bytes());
                            close = true;
                        }
                    }
                    answer.extend_from_slice(&0i64.to_be_bytes());
                }
                (3, 1) => {
                    answer.extend_from_slice(&1i32.to_be_bytes());
                    answer.extend_from_slice(&1i32.to_be_bytes());
                    answer.extend_from_slice(&9i16.to_be_bytes());
                    answer.extend_from_slice(b"127.0.0.1");
                    answer.extend_from_slice(&i32::from(port).to_be_bytes());
                    answer.extend_from_slice(&(-1i16).to_be_bytes());
                    answer.extend_from_slice(&1i32.to_be_bytes());
                    answer.extend_from_slice(&0i32.to_be_bytes());
                }
                _ => return,
            }
            let mut framed = (answer.len() as u32).to_be_bytes().to_vec();
            framed.extend_from_slice(&answer);
            if stream.write_all(&framed).is_err() || close {
                return;
            }
        }
    }

    /// The server's side of SCRAM-SHA-256: server-first, then (the proof
    /// checked) server-final; `None` for a wrong user or proof.
    fn scram_step(
        state: &mut Option<(String, String)>,
        said: &str,
        user: &str,
        password: &str,
    ) -> Option<Vec<u8>> {
        match state.take() {
            None => {
                let bare = said.strip_prefix("n,,")?.to_owned();
                let nonce = bare.strip_prefix(&format!("n={user},r="))?;
                let first = format!(
                    "r={nonce}server-nonce,s={},i={ITERATIONS}",
                    BASE64.encode(SALT)
                );
                *state = Some((bare, first.clone()));
                Some(first.into_bytes())
            }
            Some((bare, first)) => {
                let (without_proof, proof) = said.rsplit_once(",p=")?;
                let mut salted = [0u8; 32];
                let iterations = std::num::NonZeroU32::new(ITERATIONS).unwrap();
                pbkdf2::derive(
                    pbkdf2::PBKDF2_HMAC_SHA256,
                    iterations,
                    SALT,
                    password.as_bytes(),
                    &mut salted,
                );
                let salted = hmac::Key::new(hmac::HMAC_SHA256, &salted);
                let client_key = hmac::sign(&salted, b"Client Key");
                let stored = digest::digest(&digest::SHA256, client_key.as_ref());
                let message = format!("{bare},{first},{without_proof}");
                let signature = hmac::sign(
                    &hmac::Key::new(hmac::HMAC_SHA256, stored.as_ref()),
                    message.as_bytes(),
                );
                let expected: Vec<u8> = client_key
                    .as_ref()
                    .iter()
                    .zip(signature.as_ref())
                    .map(|(k, s)| k ^ s)
                    .collect();
                if BASE64.decode(proof).ok()? != expected {
                    return None;
                }
                let server_key = hmac::sign(&salted, b"Server Key");
                let server = hmac::sign(
                    &hmac::Key::new(hmac::HMAC_SHA256, server_key.as_ref()),
                    message.as_bytes(),
                );
                Some(format!("v={}", BASE64.encode(server.as_ref())).into_bytes())
            }
        }
    }
}

/// An older Kafka broker (ApiVersions v0, Metadata v1) with SASL: SCRAM-SHA-256
/// after SCRAM-SHA-512 is refused, PLAIN where that alone is enabled; a
/// wrong password is refused in the broker's words, never shown.
#[test]
fn kafka_older_brokers_and_their_logins() {
    let scram_port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let port_seen = std::sync::Arc::clone(&scram_port);
    let scram = FakeServer::start(move |_, stream| {
        let port = port_seen.load(std::sync::atomic::Ordering::SeqCst);
        kafka_fake::serve(
            stream,
            &["PLAIN", "SCRAM-SHA-256"],
            "alice",
            "Alice-Kafka-pw",
            port,
        )
    });
    scram_port.store(scram.port, std::sync::atomic::Ordering::SeqCst);
    let plain = FakeServer::start(|_, stream| {
        kafka_fake::serve(stream, &["PLAIN"], "bob", "Bob-Kafka-pw", 9092)
    });
    let ready = run_within(
        waitfor().args(["-v", "-t", "10"]).args([
            format!("kafka://alice:Alice-Kafka-pw@127.0.0.1:{}", scram.port),
            format!("kafka://bob:Bob-Kafka-pw@127.0.0.1:{}", plain.port),
        ]),
        secs(30.0),
    );
    assert_eq!(ready.code(), 0, "{ready:?}");
    ready.never_says("Kafka-pw");
    let refused = run_within(
        waitfor().args(["-t", "2"]).args([
            format!("kafka://alice:Wrong-Kafka-pw@127.0.0.1:{}", scram.port),
            format!("kafka://bob:Wrong-Kafka-pw@127.0.0.1:{}", plain.port),
        ]),
        secs(30.0),
    );
    assert_eq!(refused.code(), 124, "{refused:?}");
    refused
        .says("the broker refused the login: SASL_AUTHENTICATION_FAILED (Authentication failed: Invalid username or password)")
        .never_says("Kafka-pw");
}

/// Writes one BSON value, returning its type.
type BsonValue<'a> = &'a dyn Fn(&mut Vec<u8>) -> u8;

/// A BSON document of doubles, booleans and strings, for the fake MongoDB.
fn bson(fields: &[(&str, BsonValue)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, write) in fields {
        let mut value = Vec::new();
        let kind = write(&mut value);
        body.push(kind);
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(&value);
    }
    let mut document = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    document.extend_from_slice(&body);
    document.push(0);
    document
}

fn double(number: f64) -> impl Fn(&mut Vec<u8>) -> u8 {
    move |into| {
        into.extend_from_slice(&number.to_le_bytes());
        0x01
    }
}

fn boolean(yes: bool) -> impl Fn(&mut Vec<u8>) -> u8 {
    move |into| {
        into.push(u8::from(yes));
        0x08
    }
}

fn string(text: &'static str) -> impl Fn(&mut Vec<u8>) -> u8 {
    move |into| {
        into.extend_from_slice(&((text.len() + 1) as i32).to_le_bytes());
        into.extend_from_slice(text.as_bytes());
        into.push(0);
        0x02
    }
}

/// A MongoDB server from before `hello` (it answers OP_MSG `hello` with
/// CommandNotFound, OP_QUERY `isMaster` with OP_REPLY): a secondary of a set
/// that has no primary. Ready only with `#secondary`, said otherwise.
#[test]
fn mongodb_before_hello_and_a_set_without_primary() {
    use std::io::Read;
    let server = FakeServer::start(|_, mut stream| {
        loop {
            let mut header = [0; 16];
            if stream.read_exact(&mut header).is_err() {
                return;
            }
            let length = i32::from_le_bytes(header[..4].try_into().unwrap()) as usize;
            let mut rest = vec![0; length - 16];
            if stream.read_exact(&mut rest).is_err() {
                return;
            }
            let (opcode, body) = match i32::from_le_bytes(header[12..16].try_into().unwrap()) {
                2013 => {
                    let document = bson(&[
                        ("ok", &double(0.0)),
                        ("errmsg", &string("no such command: 'hello'")),
                        ("code", &double(59.0)),
                        ("codeName", &string("CommandNotFound")),
                    ]);
                    let mut body = 0u32.to_le_bytes().to_vec();
                    body.push(0);
                    body.extend_from_slice(&document);
                    (2013, body)
                }
                _ => {
                    let document = bson(&[
                        ("ismaster", &boolean(false)),
                        ("secondary", &boolean(true)),
                        ("setName", &string("rs0")),
                        ("ok", &double(1.0)),
                    ]);
                    let mut body = vec![0; 20];
                    body[16..20].copy_from_slice(&1i32.to_le_bytes());
                    body.extend_from_slice(&document);
                    (1, body)
                }
            };
            let mut reply = ((body.len() + 16) as i32).to_le_bytes().to_vec();
            reply.extend_from_slice(&7i32.to_le_bytes());
            reply.extend_from_slice(&header[4..8]);
            reply.extend_from_slice(&i32::to_le_bytes(opcode));
            reply.extend_from_slice(&body);
            if stream.write_all(&reply).is_err() {
                return;
            }
        }
    });
    let port = server.port;
    let ready = run_within(
        waitfor().args([
            "-t",
            "5",
            &format!("mongodb://127.0.0.1:{port}/?replicaSet=rs0#secondary"),
        ]),
        secs(30.0),
    );
    assert_eq!(ready.code(), 0, "{ready:?}");
    let not = run_within(
        waitfor().args(["-t", "1"]).args([
            format!("mongodb://127.0.0.1:{port}/?replicaSet=rs0"),
            format!("mongodb://127.0.0.1:{port}"),
        ]),
        secs(30.0),
    );
    assert_eq!(not.code(), 124, "{not:?}");
    not.says("replica set \"rs0\" has no primary yet")
        .says("the server is a secondary (#secondary accepts one)");
}
