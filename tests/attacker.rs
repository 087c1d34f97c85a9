//! waitfor tried as an attacker would: hostile servers the tests start (raw
//! sockets speaking HTTP, HTTP/2 and Redis) that redirect across origins and
//! into local sockets, echo secrets back in every form, flood headers; files
//! that are not what they seem; typos in a manifest. Each test shows one
//! promise of SECURITY.md: nothing of the user's leaves for another origin,
//! no secret is printed in any form, everything read from outside is
//! bounded, and nothing an attempt starts outlives it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::servers::{certificates, start_nginx};
use common::*;
use waitfor::fuzzing::shown_form;

/// What a server saw of the requests it was sent, one a connection.
type Seen = Arc<Mutex<Vec<String>>>;

/// Reads one HTTP request: its head, then as much body as it announces.
fn http_request(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(secs(5.0))).unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut chunk) {
            Ok(count @ 1..) => bytes.extend_from_slice(&chunk[..count]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An HTTP server on `address` that records every request and answers it
/// with `answer(request)` (status line and headers, then a body).
fn http_server(
    address: &str,
    answer: impl Fn(&str) -> (String, String) + Send + Sync + 'static,
) -> (FakeServer, Seen) {
    let seen: Seen = Arc::default();
    let recorded = Arc::clone(&seen);
    let server = FakeServer::start_on(address.parse().unwrap(), move |_, mut stream| {
        let request = http_request(&mut stream);
        recorded.lock().unwrap().push(request.clone());
        let (head, body) = answer(&request);
        let reply = format!(
            "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes());
        until_closed(&mut stream);
    });
    (server, seen)
}

/// A server that answers every request with a redirect to `location`.
fn redirector(code: u16, location: String) -> (FakeServer, Seen) {
    http_server("127.0.0.1:0", move |_| {
        (
            format!("{code} Moved\r\nLocation: {location}"),
            String::new(),
        )
    })
}

fn ok_server(address: &str) -> (FakeServer, Seen) {
    http_server(address, |_| ("200 OK".to_owned(), "ok".to_owned()))
}

/// The secrets of the redirect tests, and the options that send them.
const TOKEN: &str = "Bearer-Token-7f3a9c21e5";
const API_KEY: &str = "api-key-5b8d2e71";
const COOKIE: &str = "session-cookie-93ad";
const BODY: &str = "request-body-secret-64c1";

fn with_secrets(command: &mut Command) -> &mut Command {
    command
        .args(["--http-follow", "--http-header"])
        .arg(format!("Authorization: Bearer {TOKEN}"))
        .args(["--http-header", &format!("X-Api-Key: {API_KEY}")])
        .args(["--http-header", &format!("Cookie: c={COOKIE}")])
        .args(["--http-body", BODY])
}

fn holds_a_secret(request: &str) -> bool {
    [TOKEN, API_KEY, COOKIE, BODY]
        .iter()
        .any(|secret| request.contains(secret))
}

#[test]
fn a_redirect_to_another_origin_takes_nothing_of_the_users() {
    let (_other, stolen) = ok_server("127.0.0.2:0");
    let other_port = _other.port;
    for code in [301, 302, 303, 307, 308] {
        let (first, asked) = redirector(code, format!("http://127.0.0.2:{other_port}/steal"));
        let run = run_within(
            with_secrets(waitfor().args(["-t", "5"]))
                .arg(format!("http://127.0.0.1:{}/", first.port)),
            secs(20.0),
        );
        assert_eq!(run.code(), 0, "{code}: {run:?}");
        // The first origin got them all: the test's own check that they were sent.
        let first_request = asked.lock().unwrap()[0].clone();
        assert!(first_request.contains(TOKEN) && first_request.contains(BODY));
        let stolen = stolen
            .lock()
            .unwrap()
            .pop()
            .expect("the other origin was asked");
        assert!(
            !holds_a_secret(&stolen),
            "{code} carried a secret: {stolen}"
        );
        let method = stolen.split(' ').next().unwrap();
        let expected = if code >= 307 { "POST" } else { "GET" };
        assert_eq!(method, expected, "{code}: {stolen}");
    }
}

#[test]
fn within_its_origin_a_307_keeps_method_body_and_headers() {
    let (server, seen) = http_server("127.0.0.1:0", |request| {
        match request.starts_with("PUT /next") {
            true => ("200 OK".to_owned(), "ok".to_owned()),
            false => ("307 Again\r\nLocation: /next".to_owned(), String::new()),
        }
    });
    let run = run_within(
        with_secrets(waitfor().args(["-t", "5", "--http-method", "PUT"]))
            .arg(format!("http://127.0.0.1:{}/", server.port)),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let seen = seen.lock().unwrap();
    assert!(seen[1].starts_with("PUT /next") && seen[1].contains(TOKEN) && seen[1].ends_with(BODY));
    run.never_says(TOKEN).never_says(BODY);
}

#[test]
fn https_is_never_followed_to_plain_http() {
    let dir = TempDir::new("attacker-https");
    let d = &dir.0;
    let certs = certificates(d);
    let (plain, stolen) = ok_server("127.0.0.1:0");
    let port = free_port();
    let nginx = start_nginx(
        d,
        "nginx",
        &format!(
            "server {{ listen 127.0.0.1:{port} ssl;
               ssl_certificate {}; ssl_certificate_key {};
               location / {{ return 302 http://127.0.0.1:{}/plain; }} }}",
            certs.cert.display(),
            certs.key.display(),
            plain.port
        ),
    );
    let run = run_within(
        with_secrets(
            waitfor()
                .args(["-t", "2", "-v", "--ca-cert"])
                .arg(&certs.ca),
        )
        .arg(format!("https://localhost:{port}/")),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}: {}", nginx.log_tail());
    run.says("which waitfor does not follow: it leaves https for plain http");
    assert!(stolen.lock().unwrap().is_empty(), "plain http was asked");
}

#[test]
fn a_redirect_never_leads_into_a_local_socket() {
    let dir = TempDir::new("attacker-unix");
    let socket = dir.0.join("docker.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let encoded = socket.display().to_string().replace('/', "%2F");
    for scheme in ["http+unix", "HTTP+UNIX", "Http+Unix"] {
        let (first, _) = redirector(
            302,
            format!("{scheme}://{encoded}/containers/app/kill?signal=KILL"),
        );
        let run = run_within(
            with_secrets(waitfor().args(["-t", "1"]))
                .arg(format!("http://127.0.0.1:{}/", first.port)),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        run.says("which waitfor does not follow: only http and https are followed");
        assert!(
            listener.accept().is_err(),
            "{scheme}: the socket was reached"
        );
    }
}

#[test]
fn dockerize_follows_redirects_by_the_same_rules() {
    let (_other, stolen) = ok_server("127.0.0.2:0");
    let (first, _) = redirector(302, format!("http://127.0.0.2:{}/steal", _other.port));
    let linked = waitfor_as("dockerize");
    let run = run_within(
        linked
            .command()
            .args(["-timeout", "5s", "-wait"])
            .arg(format!("http://127.0.0.1:{}/", first.port))
            .args([
                "-wait-http-header",
                &format!("Authorization: Bearer {TOKEN}"),
            ]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let stolen = stolen
        .lock()
        .unwrap()
        .pop()
        .expect("the other origin was asked");
    assert!(!stolen.contains(TOKEN), "{stolen}");
}

#[track_caller]
fn never_shows(run: &Run, secrets: &[&str]) {
    for secret in secrets {
        if let Some(form) = shown_form(&run.stderr, secret) {
            panic!("{form:?} of a secret is shown:\n{}", run.stderr);
        }
    }
}

/// A Redis password with what escapes turn into other text: a quote, a
/// backslash, a double quote, a space.
const PASSWORD: &str = "MySuperSecret'Pass\\word\" 2f9e-1c07";

#[test]
fn a_server_that_echoes_a_password_in_any_form_shows_none_of_it() {
    let forms = {
        let debug: String = PASSWORD.escape_debug().collect();
        let json = serde_json::to_string(PASSWORD).unwrap();
        let percent: String = PASSWORD.bytes().map(|b| format!("%{b:02x}")).collect();
        vec![
            PASSWORD.to_owned(),
            PASSWORD[..20].to_owned(),
            PASSWORD[12..].to_owned(),
            debug,
            json,
            percent,
            format!("{}\u{202e}{}", &PASSWORD[..9], &PASSWORD[9..]),
        ]
    };
    let count = forms.len();
    let server = FakeServer::start(move |number, mut stream| {
        read_request(&mut stream);
        let echo = &forms[number % count];
        let reply = format!("-ERR wrong password given: {echo} (attempt {number})\r\n");
        let _ = stream.write_all(reply.as_bytes());
        until_closed(&mut stream);
    });
    for format in ["text", "json"] {
        let run = run_within(
            waitfor()
                .env("REDIS_PASSWORD", PASSWORD)
                .args(["-vv", "-t", "2", "-i", "20ms", "--log-format", format])
                .arg(format!(
                    "redis://:${{REDIS_PASSWORD}}@127.0.0.1:{}",
                    server.port
                )),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        run.says("wrong password given: ***");
        never_shows(&run, &[PASSWORD]);
    }
    // A password too short to mask: every reason that holds it is withheld whole.
    let short = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ = stream.write_all(b"-ERR wrong password given: k9\r\n");
        until_closed(&mut stream);
    });
    let run = run_within(
        waitfor().args(["-t", "1", &format!("redis://:k9@127.0.0.1:{}", short.port)]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("withheld: they hold a secret too short to mask")
        .never_says("k9");
}

#[test]
fn an_http_server_that_echoes_tokens_and_bodies_shows_none_of_them() {
    let token = "eyJhbGciOiJIUzI1NiJ9.c2lnbmVk-Part_9f";
    let body = r#"{"password":"Body'Secret\\77aa"}"#;
    let (server, _) = http_server("127.0.0.1:0", |request| {
        let token = request
            .lines()
            .find_map(|line| line.strip_prefix("authorization: Bearer "))
            .or_else(|| {
                request
                    .lines()
                    .find_map(|line| line.strip_prefix("Authorization: Bearer "))
            })
            .unwrap_or_default()
            .to_owned();
        let body = request.split("\r\n\r\n").nth(1).unwrap_or_default();
        let echo = serde_json::json!({ "status": "down", "token": token, "echo": body });
        ("200 OK".to_owned(), echo.to_string())
    });
    let url = |keys: &str| format!("http://127.0.0.1:{}/#{keys}", server.port);
    for format in ["text", "json"] {
        let run = run_within(
            waitfor()
                .env("TOKEN", token)
                .env("BODY", body)
                .args(["-v", "-t", "1", "--log-format", format])
                .args(["--http-header", "Authorization: Bearer ${TOKEN}"])
                .arg(url("json=/token=nope"))
                .arg(url("body=${BODY}&json=/echo=nope"))
                .arg(url("body=${BODY}&match=nope")),
            secs(20.0),
        );
        assert_eq!(run.code(), 124, "{run:?}");
        run.says("/token is");
        never_shows(&run, &[token, body]);
    }
}

/// Variables a run is given.
type Environment = Vec<(&'static str, String)>;

/// A secret a manifest holds, in every place a typo can put it.
const SECRET: &str = "Manifest-Secret-4d2b9e";

#[test]
fn errors_about_user_input_quote_no_secret() {
    let cases: Vec<(Vec<String>, Environment)> = vec![
        // `=` for `:`: a header with no name to tell from its value.
        (
            vec![
                "--http-header".into(),
                "Authorization=Bearer ${TOKEN}".into(),
                "db:1".into(),
            ],
            vec![("TOKEN", SECRET.into())],
        ),
        (
            vec![format!("http://127.0.0.1:1/#header=X-Api-Key={SECRET}")],
            vec![],
        ),
        (
            vec![format!("http://127.0.0.1:1/#Header=Authorization:{SECRET}")],
            vec![],
        ),
        (
            vec![format!(
                "http://127.0.0.1:1/#headers=Authorization:{SECRET}"
            )],
            vec![],
        ),
        (vec![format!("postgres://app:{SECRET}@db/${{DB")], vec![]),
        (
            vec!["http://127.0.0.1:1/a ${TOKEN}".into()],
            vec![("TOKEN", SECRET.into())],
        ),
        (vec![format!("postgres://app:p#{SECRET}@db")], vec![]),
        (vec![format!("postgres://app:a/{SECRET}@db")], vec![]),
        (vec![format!("redis://{SECRET}@127.0.0.1:1")], vec![]),
        (vec![format!("${{{SECRET}}}")], vec![]),
        (
            vec!["--help".into()],
            vec![("WAITFOR_HTTP_HEADERS", format!("X-Key: {SECRET}"))],
        ),
        (
            vec!["--help".into()],
            vec![("WAITFOR_HTTP_BODY", SECRET.into())],
        ),
    ];
    for (args, env) in cases {
        let run = run_within(waitfor().args(&args).envs(env.clone()), secs(10.0));
        assert!([0, 2].contains(&run.code()), "{args:?}: {run:?}");
        assert!(!run.stdout.contains(SECRET), "{args:?}: {}", run.stdout);
        never_shows(&run, &[SECRET]);
    }
    // Accepted and sent, however its key is spelt: and masked in every line.
    let (server, seen) = ok_server("127.0.0.1:0");
    let run = run_within(
        waitfor().arg(format!(
            "http://127.0.0.1:{}/#%68eader=Authorization:{SECRET}",
            server.port
        )),
        secs(10.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(seen.lock().unwrap()[0].contains(SECRET));
    never_shows(&run, &[SECRET]);
    // A comma in a password does not split WAITFOR_TARGETS.
    let run = run_within(
        waitfor().args(["-t", "1"]).env(
            "WAITFOR_TARGETS",
            format!("db:1,redis://:{SECRET},tail@127.0.0.1:1"),
        ),
        secs(10.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("redis://:***@127.0.0.1:1 is not ready");
    never_shows(&run, &[SECRET]);
}

#[test]
fn the_faces_quote_no_secret_either() {
    let compose = waitfor_as("wait");
    let run = run_within(
        compose
            .command()
            .env("WAIT_HOSTS", format!("redis://:{SECRET}@127.0.0.1:1"))
            .env("WAIT_TIMEOUT", "1"),
        secs(10.0),
    );
    assert_eq!(run.code(), 1, "{run:?}");
    never_shows(&run, &[SECRET]);
    let dockerize = waitfor_as("dockerize");
    for args in [
        vec![
            "-timeout".to_owned(),
            "1s".into(),
            "-wait".into(),
            format!("amqp://guest:{SECRET}@127.0.0.1:1"),
        ],
        vec![
            "-wait".into(),
            "http://127.0.0.1:1".into(),
            "-wait-http-header".into(),
            format!("Authorization=Bearer {SECRET}"),
        ],
        vec![
            "-wait-http-header".into(),
            format!("Authorization: Bearer {SECRET}"),
        ],
        vec!["-wait".into(), format!("user:{SECRET}@127.0.0.1:1")],
    ] {
        let run = run_within(dockerize.command().args(&args), secs(10.0));
        assert_eq!(run.code(), 1, "{args:?}: {run:?}");
        never_shows(&run, &[SECRET]);
    }
}

/// Runs `command` to its end, with the peak of its resident memory (KiB),
/// read from its own /proc/PID/status while it runs: a child's `ru_maxrss`
/// would count what the test process held when it forked.
fn run_measured(command: &mut Command, limit: Duration) -> (i32, String, u64) {
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        let high_water = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|status| {
                let line = status
                    .lines()
                    .find(|line| line.starts_with("VmHWM:"))?
                    .to_owned();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            });
        peak = peak.max(high_water.unwrap_or(0));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status.code().unwrap_or(-1), reader.join().unwrap(), peak)
}

/// A command line, and the file `PW_FILE` names, if any.
type Invoked = (Vec<String>, Option<std::path::PathBuf>);

#[test]
fn files_that_are_not_what_they_seem_are_refused_at_once() {
    let dir = TempDir::new("attacker-files");
    let fifo = dir.0.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let environ = dir.0.join("environ");
    std::os::unix::fs::symlink("/proc/self/environ", &environ).unwrap();
    let key = |path: &Path| {
        vec![
            "--client-cert".to_owned(),
            "/etc/ssl/certs/ca-certificates.crt".into(),
            "--client-key".into(),
            path.display().to_string(),
            "https://127.0.0.1:1/".into(),
        ]
    };
    let password = |path: &Path| {
        (
            vec!["redis://:${PW}@127.0.0.1:1".to_owned()],
            Some(path.to_owned()),
        )
    };
    let cases: Vec<(Invoked, &str)> = vec![
        (password(Path::new("/dev/zero")), "a character device"),
        (password(&fifo), "a FIFO"),
        (password(&environ), "leads to a file of the kernel's"),
        (
            (
                vec!["--ca-cert".into(), "/dev/zero".into(), "db:1".into()],
                None,
            ),
            "a character device",
        ),
        ((key(&fifo), None), "a FIFO"),
        ((key(Path::new("/dev/urandom")), None), "a character device"),
    ];
    // Its memory is held to 256 MiB of address space: a read without a bound
    // runs into it (and aborts) long before the deadline. qemu-user reserves
    // the guest's whole address space up front, so there only the code is asserted.
    let bounded = !qemu_cannot("run under a small address-space limit (it reserves the guest's)");
    for ((args, file), why) in cases {
        let mut command = waitfor();
        command.args(["-t", "2"]).args(&args);
        if let Some(file) = file {
            command.env("PW_FILE", file);
        }
        if bounded {
            // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    let limit = 256 * 1024 * 1024;
                    nix::sys::resource::setrlimit(
                        nix::sys::resource::Resource::RLIMIT_AS,
                        limit,
                        limit,
                    )
                    .map_err(std::io::Error::from)
                });
            }
        }
        let (code, stderr, _) = run_measured(&mut command, secs(10.0));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
    // As PID 1, where a read that never returns would also make SIGTERM go unheard.
    let mut command = Command::new("unshare");
    command
        .args(["--pid", "--fork", "--mount-proc"])
        .args(command_line(&binary()))
        .args(["-t", "2", "redis://:${PW}@127.0.0.1:1"])
        .env("PW_FILE", &fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let (code, stderr, _) = run_measured(&mut command, secs(10.0));
    assert_eq!(code, 2, "{stderr}");
}

/// An HTTP/2 server that floods: its SETTINGS, then one header block of a
/// field `size` bytes long, as valid HPACK (a HEADERS frame, then
/// CONTINUATION frames, the last ending the block).
fn header_flood(size: usize) -> FakeServer {
    FakeServer::start(move |_, mut stream| {
        let frame = |kind: u8, flags: u8, payload: &[u8]| {
            let mut frame = (payload.len() as u32).to_be_bytes()[1..].to_vec();
            frame.extend([kind, flags]);
            frame.extend(1u32.to_be_bytes());
            frame.extend_from_slice(payload);
            frame
        };
        // A literal field without indexing, `x-pad`, its length as an HPACK integer.
        let mut block = vec![0x00, 0x05];
        block.extend(b"x-pad");
        let (mut length, mut integer) = (size - 127, vec![0x7f]);
        while length >= 128 {
            integer.push((length % 128) as u8 | 0x80);
            length /= 128;
        }
        integer.push(length as u8);
        block.extend(integer);
        block.resize(block.len() + size, b'a');
        let mut settings = frame(4, 0, &[]);
        settings[5..9].copy_from_slice(&[0; 4]);
        let _ = stream.write_all(&settings);
        read_request(&mut stream);
        let chunks: Vec<&[u8]> = block.chunks(16 * 1024).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let kind = if i == 0 { 1 } else { 9 };
            let end_headers = if i + 1 == chunks.len() { 4 } else { 0 };
            if stream.write_all(&frame(kind, end_headers, chunk)).is_err() {
                return;
            }
        }
        until_closed(&mut stream);
    })
}

#[test]
fn twenty_servers_flooding_headers_take_little_memory() {
    let servers: Vec<FakeServer> = (0..20).map(|_| header_flood(10 * 1024 * 1024)).collect();
    let mut command = waitfor();
    command.args(["-t", "3", "--connect-timeout", "2s"]).args(
        servers
            .iter()
            .map(|s| format!("grpc://127.0.0.1:{}", s.port)),
    );
    let (code, stderr, peak) = run_measured(&mut command, secs(20.0));
    assert_eq!(code, 124, "{stderr}");
    // h2's own bound (16 MiB a block) let 20 such servers take about 300 MB.
    assert!(
        peak < 48 * 1024,
        "peak resident memory {peak} KiB: {stderr}"
    );
}

#[test]
fn characters_that_reorder_or_hide_text_are_escaped() {
    let server = FakeServer::start(|_, mut stream| {
        read_request(&mut stream);
        let _ =
            stream.write_all("-ERR a\u{202e}b\u{2066}c\u{200b}d\u{2028}e\u{feff}\r\n".as_bytes());
        until_closed(&mut stream);
    });
    let run = run_within(
        waitfor().args(["-t", "1", &format!("redis://127.0.0.1:{}", server.port)]),
        secs(10.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says(r"a\u{202e}b\u{2066}c\u{200b}d\u{2028}e\u{feff}");
    for hidden in ['\u{202e}', '\u{2066}', '\u{200b}', '\u{2028}', '\u{feff}'] {
        assert!(
            !run.stderr.contains(hidden),
            "{hidden:?} reached the output raw"
        );
    }
}

/// The PIDs of the processes whose command line is `words`.
fn processes(words: &str) -> Vec<String> {
    let wanted = words.replace(' ', "\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|line| String::from_utf8_lossy(&line).trim_end_matches('\0') == wanted)
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn nothing_an_exec_target_starts_outlives_its_attempt() {
    // A duration of its own, so that no other run's process is taken for this one's.
    let sleep = format!("sleep 61.{}", std::process::id());
    let run = run_within(
        waitfor().args([
            "-t",
            "1",
            &format!(r#"exec:sh -c "setsid {sleep} & exit 1""#),
        ]),
        secs(10.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    // The orphan holds the output pipe: the reason is still how the command ended.
    run.says("exited with code 1");
    std::thread::sleep(Duration::from_millis(200));
    let left = processes(&sleep);
    if qemu_cannot("make a process a subreaper (it refuses PR_SET_CHILD_SUBREAPER)") {
        for pid in left {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    } else {
        assert_eq!(left, Vec::<String>::new());
    }
    // Nor do waitfor's own variables, which may hold secrets, reach it.
    let run = run_within(
        waitfor()
            .env("WAITFOR_HTTP_HEADERS", format!("X-Key: {SECRET}"))
            .args([
                "-t",
                "2",
                r#"exec:sh -c "env | grep -q WAITFOR_ && exit 7 || exit 0""#,
            ]),
        secs(10.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

#[test]
fn a_default_may_hold_a_variable_in_turn() {
    let dir = TempDir::new("attacker-nested");
    let file = dir.0.join("present");
    std::fs::write(&file, "").unwrap();
    let run = run_within(
        waitfor().env("INNER", file.display().to_string()).args([
            "-t",
            "2",
            "file://${OUTER:-${INNER}}",
        ]),
        secs(10.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}
