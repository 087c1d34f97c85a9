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
    ];
    let _servers: Vec<FakeServer> = [80, 443, 5432, 3306, 6379, 5672, 1883, 4222]
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
