//! The conditions deployments create and loopback hides: a client address
//! that is not loopback, certificates exactly as `openssl req -x509` makes
//! them, a stderr nobody reads, `RUST_LOG` meant for the app, a small
//! terminal that is resized, a resolver that never answers, and what the real
//! servers write in their own logs for each probe.

mod common;

use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;

use common::namespace::Namespace;
use common::servers::*;
use common::*;

/// The lines of `log` added since it was `before` bytes long.
fn log_since(log: &Path, before: usize) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.get(before..).unwrap_or_default().to_owned()
}

fn log_length(log: &Path) -> usize {
    fs::metadata(log).map_or(0, |m| m.len() as usize)
}

/// MariaDB counts every connection that leaves its handshake unanswered
/// against the client's address and blocks it after `max_connect_errors`;
/// loopback is exempt, so this runs from 10.213.0.1 in a namespace.
#[test]
fn mariadb_probed_from_another_address_never_blocks_it() {
    let dir = TempDir::new("mariadb-field");
    let data = mariadb_datadir(&dir.0);
    let namespace = Namespace::new("mariadb", "10.213.0.1", "10.213.0.1 db.test\n");
    let server = Service::start(
        "mariadb",
        &dir.0,
        &mut namespace.wrap(&mariadb_command(
            &dir.0,
            &data,
            namespace.address,
            3306,
            &["--max-connect-errors=5", "--performance-schema=ON"],
        )),
    );
    let socket = dir.0.join("mariadb.sock");
    let admin = |sql: &str| {
        run_ok(
            Command::new("mariadb")
                .arg(format!("--socket={}", socket.display()))
                .args(["-u", "root", "-N", "-B", "-e", sql]),
        )
    };
    let started = std::time::Instant::now();
    while !socket.exists() && started.elapsed() < secs(60.0) {
        thread::sleep(secs(0.2));
    }
    admin("CREATE USER app@'%' IDENTIFIED BY 'app-pw'");
    let before = log_length(&server.log);

    for probe in 0..24 {
        let run = run_within(
            &mut namespace.wrap(waitfor().args(["-t", "10", "mysql://db.test:3306"])),
            secs(20.0),
        );
        assert_eq!(
            run.code(),
            0,
            "probe {probe}: {run:?}\n{}",
            server.log_tail()
        );
    }
    let run = run_within(
        &mut namespace.wrap(waitfor().args(["-t", "10", "mysql://app:app-pw@db.test"])),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "a login with the URL's password: {run:?}");

    let errors = admin(
        "SELECT SUM_CONNECT_ERRORS, COUNT_HANDSHAKE_ERRORS FROM performance_schema.host_cache \
         WHERE IP = '10.213.0.1'",
    );
    assert_eq!(errors.split_whitespace().collect::<Vec<_>>(), ["0", "0"]);
    let logged = log_since(&server.log, before);
    assert!(!logged.contains("Aborted connection"), "{logged}");
    // What one probe leaves is what `mysqladmin ping` leaves: one refused login.
    assert_eq!(
        logged.matches("Access denied for user 'waitfor'").count(),
        24,
        "{logged}"
    );
    // The app's own login from that address still works.
    let login = run_ok(&mut namespace.wrap(Command::new("mariadb").args([
        "-h",
        "10.213.0.1",
        "-u",
        "app",
        "-papp-pw",
        "-N",
        "-e",
        "SELECT 'logged in'",
    ])));
    assert_eq!(login.trim(), "logged in");
}

/// RabbitMQ warns "client unexpectedly closed TCP connection" for every
/// connection that ends before login; with credentials the probe logs in and
/// closes as a client does, and a refused login is not ready, with its reason.
#[test]
fn rabbitmq_with_credentials_sees_an_ordinary_client() {
    let dir = TempDir::new("rabbitmq-field");
    let port = free_port();
    let _broker = start_rabbitmq(&dir.0, port);
    let log = dir
        .0
        .join("rabbitmq/log")
        .join(format!("waitfor-test-{port}@localhost.log"));
    let target = format!("amqp://guest:guest@127.0.0.1:{port}/");
    let run = run_within(waitfor().args(["-t", "90", &target]), secs(120.0));
    assert_eq!(run.code(), 0, "{run:?}");
    // The broker writes its log file in batches: let the boot reach it first.
    let settled = |log: &Path| {
        let mut length = log_length(log);
        loop {
            thread::sleep(secs(2.5));
            match log_length(log) {
                now if now == length => return now,
                now => length = now,
            }
        }
    };
    let before = settled(&log);
    for _ in 0..5 {
        assert_eq!(
            run_within(waitfor().args(["-t", "10", &target]), secs(20.0)).code(),
            0
        );
    }
    settled(&log);
    let logged = log_since(&log, before);
    assert_eq!(
        logged.matches("accepting AMQP connection").count(),
        5,
        "{logged}"
    );
    assert!(
        !logged.contains("[warning]") && !logged.contains("[error]"),
        "{logged}"
    );

    let run = run_within(
        waitfor().args(["-t", "2", &format!("amqp://guest:wrong@127.0.0.1:{port}")]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the broker refused the login: 403 ACCESS_REFUSED");
}

/// The self-signed certificate as OpenSSL 3 makes it (`CA:TRUE`), and
/// certificates that are expired, not yet valid, or for another name.
#[test]
fn tls_as_people_set_it_up_and_its_failures_in_words() {
    let dir = TempDir::new("tls-field");
    let d = &dir.0;
    let openssl = |args: &[&str]| run_ok(Command::new("openssl").args(args).current_dir(d));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "self.key",
        "-out",
        "self.pem",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]);
    // A CA that signs certificates with chosen dates (`openssl ca` takes them).
    let ca = certificates(d);
    fs::write(d.join("index.txt"), "").unwrap();
    fs::write(d.join("serial"), "01\n").unwrap();
    fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n\
         default_md=sha256\npolicy=p\nunique_subject=no\nx509_extensions=x\n[p]\ncommonName=supplied\n\
         [x]\nbasicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let dated = |name: &str, start: &str, end: &str| {
        openssl(&[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "server.csr",
            "-out",
            name,
            "-startdate",
            start,
            "-enddate",
            end,
        ]);
    };
    dated("expired.pem", "20200101000000Z", "20200102000000Z");
    dated("future.pem", "20991231000000Z", "21000101000000Z");

    let [selfsigned, expired, future, plain] = std::array::from_fn(|_| free_port());
    let server = |port: u16, cert: &str, key: &str| {
        format!(
            "server {{ listen 127.0.0.1:{port} ssl; listen 127.0.0.2:{port} ssl;
               ssl_certificate {}; ssl_certificate_key {};
               location / {{ return 200 ok; }} }}",
            d.join(cert).display(),
            d.join(key).display()
        )
    };
    let _nginx = start_nginx(
        d,
        "nginx",
        &[
            server(selfsigned, "self.pem", "self.key"),
            server(expired, "expired.pem", "server.key"),
            server(future, "future.pem", "server.key"),
            format!("server {{ listen 127.0.0.1:{plain}; location / {{ return 200 ok; }} }}"),
        ]
        .concat(),
    );
    let self_pem = d.join("self.pem");
    let ready = run_within(
        waitfor()
            .args(["-t", "20", "--ca-cert"])
            .arg(&self_pem)
            .arg(format!("https://localhost:{selfsigned}/"))
            .arg(format!("https://127.0.0.1:{selfsigned}/")),
        secs(30.0),
    );
    assert_eq!(
        ready.code(),
        0,
        "the certificate given as itself: {ready:?}"
    );

    let cases = [
        (
            format!("https://localhost:{selfsigned}/"),
            None,
            "the certificate's issuer is not trusted (for a private CA or a self-signed certificate, give it with --ca-cert)".to_owned(),
        ),
        (
            format!("https://127.0.0.2:{selfsigned}/"),
            Some(&self_pem),
            "the certificate is for localhost, 127.0.0.1, not 127.0.0.2".to_owned(),
        ),
        (
            format!("https://localhost:{expired}/"),
            Some(&ca.ca),
            "the certificate expired on 2020-01-02 00:00:00 UTC".to_owned(),
        ),
        (
            format!("https://localhost:{future}/"),
            Some(&ca.ca),
            "the certificate is not valid until 2099-12-31 00:00:00 UTC".to_owned(),
        ),
        (
            format!("https://127.0.0.1:{plain}/"),
            None,
            "the server does not speak TLS on this port".to_owned(),
        ),
    ];
    for (target, ca_cert, reason) in &cases {
        let mut command = waitfor();
        command.args(["-t", "1s", target]);
        if let Some(ca_cert) = ca_cert {
            command.arg("--ca-cert").arg(ca_cert);
        }
        let run = run_within(&mut command, secs(20.0));
        assert_eq!(run.code(), 124, "{run:?}");
        assert!(
            // After 1s or 1.0s: the deadline, to the millisecond or just past it.
            run.stderr
                .contains(&format!("{target} is not ready after 1"))
                && run
                    .stderr
                    .contains(&format!("s: TLS handshake failed: {reason} (")),
            "{}",
            run.stderr
        );
        for debug_text in ["Other(", "InvalidContentType", "os error", "Error {"] {
            run.never_says(debug_text);
        }
    }
}

/// A pipe as stderr, its buffer already full, that nobody reads (or that is
/// read only after `read_after`); what was read, once waitfor has ended.
fn stalled_stderr(
    read_after: Option<std::time::Duration>,
) -> (OwnedFd, thread::JoinHandle<String>) {
    let (reader, writer) = nix::unistd::pipe().unwrap();
    let fd = writer.as_raw_fd();
    // Fill it without blocking, then give waitfor a blocking descriptor as usual.
    // SAFETY: plain fcntl and write calls on a descriptor this test owns.
    unsafe {
        let flags = nix::libc::fcntl(fd, nix::libc::F_GETFL);
        nix::libc::fcntl(fd, nix::libc::F_SETFL, flags | nix::libc::O_NONBLOCK);
        let chunk = [b'#'; 4096];
        while nix::libc::write(fd, chunk.as_ptr().cast(), chunk.len()) > 0 {}
        nix::libc::fcntl(fd, nix::libc::F_SETFL, flags);
    }
    let read = thread::spawn(move || {
        let Some(after) = read_after else {
            // Held open and never read until waitfor has gone.
            thread::sleep(secs(15.0));
            return String::new();
        };
        thread::sleep(after);
        let mut text = Vec::new();
        let _ = fs::File::from(reader).read_to_end(&mut text);
        String::from_utf8_lossy(&text).replace('#', "")
    });
    (writer, read)
}

#[test]
fn a_stderr_nobody_reads_never_holds_back_the_wait() {
    let (port, _open) = open_port();
    let (stderr, _never_read) = stalled_stderr(None);
    let run = run_within(
        waitfor()
            .args(["-t", "2", &format!("127.0.0.1:{port}"), "--"])
            .args(["sh", "-c", "grep ^flags /proc/self/fdinfo/2; echo ran"])
            .stderr(Stdio::from(stderr)),
        secs(10.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        run.elapsed < secs(1.5),
        "ready at once, yet {:?}",
        run.elapsed
    );
    assert!(run.stdout.ends_with("ran\n"), "{run:?}");
    // The COMMAND gets stderr as it was: blocking.
    let flags = run.stdout.split_whitespace().nth(1).unwrap();
    let flags = u32::from_str_radix(flags, 8).unwrap();
    assert_eq!(flags & nix::libc::O_NONBLOCK as u32, 0, "{run:?}");

    // A usage error, found before anything waits, does not block either.
    let (stderr, _never_read) = stalled_stderr(None);
    let run = run_within(
        waitfor().arg("db-without-port").stderr(Stdio::from(stderr)),
        secs(10.0),
    );
    assert_eq!(run.code(), 2, "{run:?}");
    assert!(run.elapsed < secs(1.5), "{:?}", run.elapsed);

    let refused: Vec<String> = (0..200)
        .map(|i| format!("127.9.0.{}:9", 1 + i % 250))
        .collect();
    let (stderr, _never_read) = stalled_stderr(None);
    let run = run_within(
        waitfor()
            .args(["-v", "-t", "2", "-i", "10ms"])
            .args(&refused)
            .stderr(Stdio::from(stderr)),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    assert!(
        run.elapsed < secs(3.5),
        "the deadline held: {:?}",
        run.elapsed
    );
}

/// The reader wakes 1 s late: a target ready at once is still said to be
/// ready at once, and what could not wait for the reader is counted.
#[test]
fn a_late_reader_sees_true_times_and_how_much_was_dropped() {
    let (port, _open) = open_port();
    let late = free_port();
    let _late = listen_after(([127, 0, 0, 1], late), secs(2.0));
    let (stderr, read) = stalled_stderr(Some(secs(1.0)));
    let run = run_within(
        waitfor()
            .args([
                "-t",
                "10",
                &format!("127.0.0.1:{port}"),
                &format!("127.0.0.1:{late}"),
            ])
            .stderr(Stdio::from(stderr)),
        secs(15.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let said = read.join().unwrap();
    let ready = said
        .lines()
        .find(|l| l.contains(&format!("127.0.0.1:{port} is ready after")))
        .expect(&said);
    assert!(ready.ends_with("ms (1 attempt)"), "{said}");

    let refused: Vec<String> = (0..200)
        .map(|i| format!("127.9.1.{}:9", 1 + i % 250))
        .collect();
    let (stderr, read) = stalled_stderr(Some(secs(2.0)));
    let run = run_within(
        waitfor()
            .args(["-v", "-t", "4", "-i", "10ms"])
            .args(&refused)
            .stderr(Stdio::from(stderr)),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    let said = read.join().unwrap();
    assert!(
        said.contains("messages of output dropped: stderr was not being read"),
        "{}",
        &said[said.len().saturating_sub(2000)..]
    );
}

#[test]
fn rust_log_meant_for_the_app_leaves_waitfor_alone() {
    let (port, _open) = open_port();
    let open = format!("127.0.0.1:{port}");
    for directives in ["otherapp=debug", "warn", "error", "myapp[span{id=1}]=trace"] {
        let run = run_within(
            waitfor()
                .env("RUST_LOG", directives)
                .args(["-t", "5", &open]),
            secs(10.0),
        );
        assert_eq!(run.code(), 0, "{run:?}");
        assert!(
            run.stderr.contains("is ready after"),
            "{directives}: {run:?}"
        );
        assert!(!run.stderr.contains("attempt 1 failed"), "{run:?}");
    }
    let refused = format!("127.0.0.1:{}", free_port());
    let run = run_within(
        waitfor()
            .env("RUST_LOG", "waitfor=off")
            .args(["-t", "1", &refused]),
        secs(10.0),
    );
    assert_eq!(run.code(), 124);
    assert!(
        run.stderr
            .contains(&format!("error: {refused} is not ready")),
        "{run:?}"
    );
    let run = run_within(
        waitfor()
            .env("RUST_LOG", "waitfor=debug")
            .args(["-t", "1", &refused]),
        secs(10.0),
    );
    assert!(run.stderr.contains("attempt 1 failed"), "{run:?}");
    let run = run_within(
        waitfor().env("RUST_LOG", "[{").args(["-t", "5", &open]),
        secs(10.0),
    );
    assert_eq!(run.code(), 0);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("RUST_LOG"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run:?}");
    assert!(warnings[0].starts_with("waitfor: warning: ignoring RUST_LOG=\"[{\""));
}

/// waitfor in a tmux pane of `width` × `height`, until it exits; `during` runs meanwhile.
fn in_tmux(
    width: u16,
    height: u16,
    args: &[String],
    during: impl FnOnce(&dyn Fn(&[&str])),
) -> (String, String) {
    let socket = format!("waitfor-test-{}-{width}x{height}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs (the tests install it)")
    };
    let mut line = waitfor_words();
    line.extend(args.iter().cloned());
    let quoted: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
    let unset: Vec<String> = VARIABLES.iter().map(|v| format!("-u {v}")).collect();
    let script = format!(
        "env {} {}; echo EXIT=$?; sleep 60",
        unset.join(" "),
        quoted.join(" ")
    );
    let (w, h) = (width.to_string(), height.to_string());
    let started = tmux(&["new-session", "-d", "-x", &w, "-y", &h, "sh", "-c", &script]);
    assert!(started.status.success(), "{started:?}");
    during(&|args| {
        tmux(args);
    });
    let capture = |whole: bool| {
        let mut args = vec!["capture-pane", "-p"];
        if whole {
            args.extend(["-S", "-", "-E", "-"]);
        }
        String::from_utf8_lossy(&tmux(&args).stdout).into_owned()
    };
    let until = std::time::Instant::now() + secs(30.0);
    while !capture(false).contains("EXIT=") && std::time::Instant::now() < until {
        thread::sleep(secs(0.1));
    }
    let (screen, history) = (capture(false), capture(true));
    tmux(&["kill-server"]);
    assert!(screen.contains("EXIT="), "waitfor did not end: {screen}");
    (screen, history)
}

fn status_rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            l.starts_with("  waiting") || l.starts_with("  ready") || l.starts_with("  ...")
        })
        .collect()
}

#[test]
fn the_live_view_fits_a_40_by_10_terminal() {
    let mut targets: Vec<String> = (0..20).map(|i| format!("127.9.2.{}:9", i + 1)).collect();
    let late: Vec<u16> = (0..5).map(|_| free_port()).collect();
    let _listeners: Vec<Background> = late
        .iter()
        .map(|&port| listen_after(([127, 0, 0, 1], port), secs(1.0)))
        .collect();
    targets.extend(late.iter().map(|port| format!("127.0.0.1:{port}")));
    let mut args = vec!["-t".to_owned(), "3".to_owned()];
    args.extend(targets);
    let (screen, history) = in_tmux(40, 10, &args, |_| {});
    assert!(screen.contains("EXIT=124"), "{screen}");
    // One block of 9 lines, redrawn in place: no copy of it in the scrollback.
    let rows = status_rows(&history);
    assert_eq!(rows.len(), 9, "{} status rows:\n{history}", rows.len());
    assert!(
        rows[8].starts_with("  ... and 17 more (12 not ready, 5"),
        "{history}"
    );
    assert!(rows.iter().all(|l| l.chars().count() < 40), "{history}");
}

#[test]
fn the_live_view_follows_a_resize_and_ends_clean() {
    let (port, _open) = open_port();
    let dir = TempDir::new("resize");
    let long = dir.0.join("a-very-long-directory-name".repeat(3));
    fs::create_dir_all(&long).unwrap();
    let flag = long.join("flag");
    let args: Vec<String> = [
        "-t".to_owned(),
        "20".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("file://{}", flag.display()),
    ]
    .into();
    let (screen, history) = in_tmux(90, 12, &args, |tmux| {
        thread::sleep(secs(1.0));
        tmux(&["resize-window", "-x", "50", "-y", "7"]);
        thread::sleep(secs(1.0));
        fs::write(&flag, "").unwrap();
    });
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The final block, at the new width, right above the exit line.
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    let exit = lines.iter().position(|l| l.starts_with("EXIT=")).unwrap();
    let block = &lines[exit.saturating_sub(2)..exit];
    assert!(block.iter().all(|l| l.starts_with("  ready")), "{screen}");
    assert!(block.iter().all(|l| l.chars().count() < 50), "{screen}");
    assert!(block[0].contains(" 1 try "), "{screen}");
    assert!(block[1].contains("..."), "a long name is cut: {screen}");
    // Nothing else of earlier frames, but for one row: tmux re-wraps its grid
    // before it tells the program the new size, and a frame drawn in between
    // goes back over the old number of rows (the old view left whole copies).
    let earlier = status_rows(&screen).len() - 2;
    assert!(earlier <= 1, "stale rows:\n{screen}\nhistory:\n{history}");
}

#[test]
fn redis_wanting_a_password_is_ready_with_a_note() {
    let dir = TempDir::new("redis-field");
    let port = free_port();
    let _redis = start_redis(&dir.0, "redis-auth", port, &["--requirepass", "s3cret"]);
    let target = format!("redis://127.0.0.1:{port}");
    let run = run_within(
        waitfor().args(["-t", "20", "--log-format", "json", &target]),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let ready: serde_json::Value = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .find(|v: &serde_json::Value| v["elapsed_ms"].is_u64())
        .expect(&run.stderr);
    assert_eq!(
        ready["note"],
        "the server wants a password, so loading was not checked (give it in the URL)"
    );
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains(": the server wants a password")
    );
}

#[test]
fn a_timeout_over_a_thousand_targets_is_a_short_summary() {
    let targets: Vec<String> = (0..1000)
        .map(|i| format!("127.9.{}.{}:9", 4 + i / 250, 1 + i % 250))
        .collect();
    let run = run_within(
        waitfor()
            .args(["-t", "1", "--connect-timeout", "500ms"])
            .args(&targets),
        secs(20.0),
    );
    assert_eq!(run.code(), 124);
    let lines = run.stderr.lines().count();
    assert!(lines <= 23, "{lines} lines");
    run.says("error: … and 980 more targets not ready after 1");
}

/// A resolver that never answers (in a namespace, so no lookup leaves it) is
/// said as such, not as a silent server.
#[test]
fn a_name_lookup_without_answer_is_said_as_such() {
    let namespace = Namespace::new("resolver", "10.213.1.1", "");
    let _resolver = namespace.silent_resolver();
    let run = run_within(
        &mut namespace.wrap(waitfor().args([
            "-t",
            "2500ms",
            "--connect-timeout",
            "1s",
            "db.nowhere.test:5432",
        ])),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("name lookup of db.nowhere.test got no answer within 1s");
}

/// The Kubernetes init container's `until nslookup db…`: `dns://NAME` with
/// no keys asks the system resolver (here the namespace's resolv.conf → its
/// own dnsmasq on 127.0.0.1:53), says NXDOMAIN while the name does not
/// exist, and is ready once dnsmasq has the record (reloaded on SIGHUP).
#[test]
fn a_service_name_that_appears_while_waiting() {
    let namespace = Namespace::new("dns", "10.213.2.1", "");
    let dir = TempDir::new("dns-appears");
    let hosts = dir.0.join("hosts");
    fs::write(&hosts, "").unwrap();
    let dnsmasq = Service::start(
        "dnsmasq",
        &dir.0,
        &mut namespace.wrap(&dnsmasq_command("127.0.0.1", 53, &hosts, &[])),
    );
    let name = "db.shop.test";
    let mut waiting = Running::spawn(
        &mut namespace.wrap(
            waitfor()
                .args(["-v", "-t", "60", "-i", "100ms"])
                .arg(format!("dns://{name}")),
        ),
    );
    if !waiting.saw_line(&format!("{name} does not exist (NXDOMAIN)"), secs(20.0)) {
        panic!("{}\n{}", waiting.last_lines(), dnsmasq.log_tail());
    }
    fs::write(&hosts, format!("10.213.2.9 {name}\n")).unwrap();
    dnsmasq.hang_up();
    assert_eq!(
        waiting.wait(secs(30.0)).code(),
        Some(0),
        "{}",
        waiting.last_lines()
    );
    assert!(waiting.saw_line(&format!("dns://{name} is ready after"), secs(1.0)));
}
