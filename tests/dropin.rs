//! The drop-in front-ends, black-box: waitfor invoked as `wait-for-it.sh`,
//! `wait-for`, `wait` and `dockerize` (a link of that name, as an image
//! ships it), against listeners and nginx on loopback.
//!
//! wait-for-it runs side by side with the real script (Debian's
//! `wait-for-it` package): the same arguments, environment and fixtures,
//! the same exit code, COMMAND output and stderr. The eficode script and
//! docker-compose-wait are not packaged anywhere CI installs from; their
//! side-by-side runs take the real tools from `WAITFOR_PEER_WAIT_FOR` and
//! `WAITFOR_PEER_WAIT` when set, and say that they are skipped otherwise.
//! What they print was read from their source and from such runs, and is
//! asserted here either way.

mod common;

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use common::servers::start_nginx;
use common::*;

/// The real tool `variable` names, linked as `name`; where it is not set,
/// `None`, and the test says it is skipped.
fn peer(variable: &str, name: &str, what: &str) -> Option<Linked> {
    match std::env::var_os(variable) {
        Some(path) => Some(Linked::new(Path::new(&path), name, "real", itself)),
        None => {
            eprintln!("skipped: {variable} does not name {what} (not packaged for CI)");
            None
        }
    }
}

/// A real tool's command line: the program alone.
fn itself(path: &Path) -> Vec<OsString> {
    vec![path.as_os_str().to_owned()]
}

/// One scenario, run the same way under both programs.
struct Scenario<'a> {
    args: &'a [&'a str],
    env: &'a [(&'a str, &'a str)],
}

fn run(linked: &Linked, scenario: &Scenario) -> Run {
    let mut command = linked.command();
    command
        .args(scenario.args)
        .envs(scenario.env.iter().copied());
    run_within(&mut command, secs(30.0))
}

/// The elapsed seconds the incumbents print depend on when each polls: not compared.
fn without_seconds(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("available after ") {
            Some(at) => format!("{}available after N seconds", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs every scenario under the real tool and under waitfor; both must end
/// alike: exit code, the COMMAND's output, and stderr as `compared` puts it
/// (what may differ taken out, such as the seconds polling took).
fn side_by_side(
    real: &Linked,
    ours: &Linked,
    scenarios: &[Scenario],
    compared: impl Fn(&str, &Linked) -> String,
) {
    for scenario in scenarios {
        let (expected, got) = (run(real, scenario), run(ours, scenario));
        let context = format!(
            "{:?} {:?}\nreal: {expected:?}\nwaitfor: {got:?}",
            scenario.args, scenario.env
        );
        assert_eq!(expected.code(), got.code(), "{context}");
        assert_eq!(expected.stdout, got.stdout, "{context}");
        assert_eq!(
            compared(&expected.stderr, real),
            compared(&got.stderr, ours),
            "{context}"
        );
    }
}

/// A listener that accepts (and drops) connections until the test ends.
fn open_listener() -> (String, Background) {
    let listener = free_listener();
    let address = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    (address, accept_until_stopped(listener))
}

fn accept_until_stopped(listener: TcpListener) -> Background {
    Background::spawn(move |stop| {
        while !stop.requested() {
            match listener.accept() {
                Ok(_) => {}
                Err(_) => {
                    stop.pause(secs(0.02));
                }
            }
        }
    })
}

/// A loopback port nothing listens on.
fn closed() -> String {
    format!("127.0.0.1:{}", free_port())
}

#[test]
fn wait_for_it_side_by_side_with_the_real_script() {
    let real = Linked::new(
        Path::new("/usr/bin/wait-for-it"),
        "wait-for-it.sh",
        "real",
        itself,
    );
    let ours = waitfor_as("wait-for-it.sh");
    let (open, _listener) = open_listener();
    // Scenarios borrow these for the whole test.
    let open: &'static str = Box::leak(open.into_boxed_str());
    let closed: &'static str = Box::leak(closed().into_boxed_str());
    let (open_host, open_port) = open.split_once(':').unwrap();
    let host_flag: &'static str = Box::leak(format!("--host={open_host}").into_boxed_str());
    let port_flag: &'static str = Box::leak(format!("--port={open_port}").into_boxed_str());
    let open_spaced: &'static str = Box::leak(format!("{open} ").into_boxed_str());
    let echo = ["sh", "-c", "echo ran; exit 3"];
    let with = |target: &'static str, more: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec![target];
        args.extend_from_slice(more);
        args
    };
    let scenarios: Vec<Vec<&str>> = vec![
        with(open, &["--", echo[0], echo[1], echo[2]]),
        with(open, &["-t", "0"]),
        with(closed, &["-t", "1"]),
        with(closed, &["-t", "1", "--", echo[0], echo[1], echo[2]]),
        with(closed, &["-t", "1", "-s", "--", echo[0], echo[1], echo[2]]),
        with(closed, &["--timeout=1", "--strict"]),
        with(closed, &["-q", "-t", "1", "--", "echo", "quiet"]),
        vec!["-h", open_host, "-p", open_port, "--", "echo", "split"],
        vec![host_flag, port_flag],
        vec![],
        vec!["--help"],
        vec!["db"],
        vec![open, "-x"],
        vec!["-q", "-x"],
        vec![":5432"],
        // From a variable or a YAML block: bash's word splitting drops the white space.
        vec![open_spaced, "--", "echo", "spaced"],
    ];
    let scenarios: Vec<Scenario> = scenarios
        .iter()
        .map(|args| Scenario { args, env: &[] })
        .collect();
    side_by_side(&real, &ours, &scenarios, |stderr, _| {
        without_seconds(stderr)
    });
}

/// Debian's script (2018) reads `HOST`, `PORT`, …; today's upstream reads
/// `WAITFORIT_HOST`, `WAITFORIT_PORT`, …, which waitfor follows.
#[test]
fn wait_for_it_takes_its_defaults_from_waitforit_variables() {
    let ours = waitfor_as("wait-for-it.sh");
    let (open, _listener) = open_listener();
    let (host, port) = open.split_once(':').unwrap();
    let run = run_within(
        ours.command()
            .env("WAITFORIT_HOST", host)
            .env("WAITFORIT_PORT", port)
            .env("WAITFORIT_TIMEOUT", "7")
            .args(["--", "echo", "ran"]),
        secs(30.0),
    );
    assert_eq!((run.code(), run.stdout.as_str()), (0, "ran\n"), "{run:?}");
    run.says(&format!("wait-for-it.sh: waiting 7 seconds for {open}\n"));
    // A value with a newline after it, as a YAML block leaves it, works as in the script.
    let spaced = run_within(
        ours.command()
            .env("WAITFORIT_HOST", host)
            .env("WAITFORIT_PORT", format!("{port}\n"))
            .args(["-t", "7", "--", "echo", "ran"]),
        secs(30.0),
    );
    assert_eq!(
        (spaced.code(), spaced.stdout.as_str()),
        (0, "ran\n"),
        "{spaced:?}"
    );
    spaced.says(&format!("wait-for-it.sh: waiting 7 seconds for {open}\n"));
    let closed = closed();
    let (host, port) = closed.split_once(':').unwrap();
    let strict = run_within(
        ours.command()
            .env("WAITFORIT_HOST", host)
            .env("WAITFORIT_PORT", port)
            .env("WAITFORIT_STRICT", "1")
            .env("WAITFORIT_QUIET", "1")
            .args(["-t", "1", "--", "echo", "ran"]),
        secs(30.0),
    );
    assert_eq!(
        (
            strict.code(),
            strict.stdout.as_str(),
            strict.stderr.as_str()
        ),
        (124, "", "")
    );
}

/// Saved as `wait_for_it.sh`, it is wait-for-it: its lines, its codes.
#[test]
fn wait_for_it_answers_to_the_name_it_is_saved_under() {
    let ours = waitfor_as("wait_for_it.sh");
    let closed = closed();
    let run = run_within(ours.command().args([&closed, "-s", "-t", "1"]), secs(30.0));
    assert_eq!(run.code(), 124, "{run:?}");
    run.says(&format!("wait_for_it.sh: waiting 1 seconds for {closed}\n"))
        .says(&format!(
            "wait_for_it.sh: timeout occurred after waiting 1 seconds for {closed}\n"
        ));
}

#[test]
fn wait_for_it_sees_a_late_listener_and_names_itself_as_invoked() {
    let port = free_port();
    let _late = listen_after(([127, 0, 0, 1], port), secs(1.5));
    let ours = waitfor_as("wait-for-it");
    let run = run_within(
        ours.command()
            .args([&format!("127.0.0.1:{port}"), "-t", "20", "--", "echo", "up"]),
        secs(30.0),
    );
    assert_eq!((run.code(), run.stdout.as_str()), (0, "up\n"), "{run:?}");
    run.says(&format!(
        "wait-for-it: waiting 20 seconds for 127.0.0.1:{port}\n"
    ))
    .says(&format!(
        "wait-for-it: 127.0.0.1:{port} is available after "
    ));
}

/// An nginx that redirects `/` to `/ok`, and answers 200 on `/secret` only
/// with `X-Token: yes`.
fn nginx(dir: &Path) -> (u16, common::servers::Service) {
    let port = free_port();
    let service = start_nginx(
        dir,
        "nginx",
        &format!(
            "server {{ listen 127.0.0.1:{port};
               location = / {{ return 302 /ok; }}
               location = /ok {{ return 200 ok; }}
               location = /loop {{ return 302 /loop; }}
               location = /secret {{
                 if ($http_x_token != \"yes\") {{ return 401; }}
                 return 200 ok;
               }}
             }}"
        ),
    );
    // nginx is ready once it answers.
    let ready = run_within(
        waitfor().args(["-t", "20", &format!("http://127.0.0.1:{port}/ok")]),
        secs(30.0),
    );
    assert_eq!(ready.code(), 0, "{ready:?}");
    (port, service)
}

#[test]
fn wait_for_as_eficode_wrote_it() {
    let ours = waitfor_as("wait-for");
    let (open, _listener) = open_listener();
    let closed = closed();
    let run = |args: &[&str]| run_within(ours.command().args(args), secs(30.0));

    let ready = run(&[&open, "--", "echo", "ran"]);
    assert_eq!(
        (ready.code(), ready.stdout.as_str(), ready.stderr.as_str()),
        (0, "ran\n", "")
    );
    let timed_out = run(&[&closed, "-qt1", "--", "echo", "ran"]);
    assert_eq!(
        (
            timed_out.code(),
            timed_out.stdout.as_str(),
            timed_out.stderr.as_str()
        ),
        (1, "", "Operation timed out\n"),
        "the COMMAND runs only on success; the timeout is said even with -q"
    );
    let version = run(&["-v"]);
    assert_eq!((version.code(), version.stdout.as_str()), (0, "2.2.4\n"));
    // Saved as `wait-for.sh` (eficode's tutorial: `./wait-for.sh db:27017 -- …`) it is the same script.
    let saved = waitfor_as("wait-for.sh");
    let timed_out = run_within(saved.command().args([&closed, "-t", "1"]), secs(30.0));
    assert_eq!(
        (timed_out.code(), timed_out.stderr.as_str()),
        (1, "Operation timed out\n"),
        "{timed_out:?}"
    );
    for (args, code, first_line) in [
        (
            &[][..],
            2,
            "Error: you need to provide a host and port to test.",
        ),
        (&["db:1", "-t", "x"], 3, "Error: invalid timeout 'x'"),
        (&["db:1", "-x"], 1, "Unknown option: -x"),
        (&["db"], 1, "Unknown argument: db"),
        (&["--help"], 0, "Usage:"),
    ] {
        let refused = run(args);
        assert_eq!(refused.code(), code, "{args:?}: {refused:?}");
        assert_eq!(
            refused.stderr.lines().next(),
            Some(first_line),
            "{refused:?}"
        );
        refused.says(&format!(
            "{} host:port|url [-t timeout]",
            ours.path.display()
        ));
    }
    // An http(s) URL, as wget fetches it: redirects followed, a 2xx wanted.
    let dir = TempDir::new("wait-for-http");
    let (port, _nginx) = nginx(&dir.0);
    let followed = run(&[&format!("http://127.0.0.1:{port}/"), "-t", "5"]);
    assert_eq!(followed.code(), 0, "{followed:?}");
    let looping = run(&[&format!("http://127.0.0.1:{port}/loop"), "-t", "2"]);
    assert_eq!(looping.code(), 1, "{looping:?}");
}

#[test]
fn compose_wait_hosts_then_paths_with_its_pauses() {
    let ours = waitfor_as("wait");
    let dir = TempDir::new("compose-wait");
    let flag = dir.0.join("ready");
    let port = free_port();
    let _late = listen_after(([127, 0, 0, 1], port), secs(1.5));
    std::fs::write(&flag, "").unwrap();
    let hosts = format!("127.0.0.1:{port}");
    let run = run_within(
        ours.command()
            .args(["ignored", "--also-ignored"])
            .env("WAIT_HOSTS", &hosts)
            .env("WAIT_PATHS", &flag)
            .env("WAIT_BEFORE_HOSTS", "1")
            .env("WAIT_AFTER", "1")
            .env("WAIT_TIMEOUT", "20")
            .env("WAIT_LOGGER_LEVEL", "info")
            .env("WAIT_COMMAND", "sh -c 'echo \"$0 ran\"' app"),
        secs(40.0),
    );
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (0, "app ran\n"),
        "{run:?}"
    );
    assert!(
        run.elapsed >= secs(2.5),
        "the pauses were not made: {run:?}"
    );
    let flag = flag.display();
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| !line.contains("not yet available"))
        .collect();
    let separator = "[INFO  wait] --------------------------------------------------------";
    assert_eq!(
        lines,
        [
            "[WARN  wait] Environment variable [WAIT_BEFORE_HOSTS] is deprecated. Use [WAIT_BEFORE] instead.",
            separator,
            &format!(
                "[INFO  wait]  docker-compose-wait 2.12.1 (waitfor {})",
                env!("CARGO_PKG_VERSION")
            ),
            "[INFO  wait] ---------------------------",
            "[INFO  wait] Waiting 1 seconds before checking for hosts/paths availability",
            separator,
            &format!("[INFO  wait] Checking availability of host [{hosts}]"),
            &format!("[INFO  wait] Host [{hosts}] is now available!"),
            separator,
            &format!("[INFO  wait] Checking availability of path [{flag}]"),
            &format!("[INFO  wait] Path [{flag}] is now available!"),
            separator,
            "[INFO  wait] Waiting 1 seconds after hosts/paths availability",
            separator,
            "[INFO  wait] docker-compose-wait - Everything's fine, the application can now start!",
            separator,
        ],
        "{}",
        run.stderr
    );
    run.says(&format!(
        "[INFO  wait] Host [{hosts}] not yet available...\n"
    ));
}

#[test]
fn compose_wait_times_out_warns_and_has_nothing_to_wait_for() {
    let ours = waitfor_as("wait");
    let hosts = closed();
    let timed_out = run_within(
        ours.command()
            .env("WAIT_HOSTS", &hosts)
            .env("WAIT_TIMEOUT", "1")
            .env("WAIT_SLEEP_INTERVAL", "soon")
            .env("WAIT_COMMAND", "echo ran"),
        secs(30.0),
    );
    assert_eq!(
        (timed_out.code(), timed_out.stdout.as_str()),
        (1, ""),
        "{timed_out:?}"
    );
    timed_out
        .says("[WARN  wait] Environment variable [WAIT_SLEEP_INTERVAL] is not a whole number of seconds: \"soon\"; using 1.\n")
        .says("[DEBUG wait]  - Timeout before failure: 1 seconds \n")
        .says(&format!("[INFO  wait] Host [{hosts}] not yet available...\n"))
        .says("[ERROR wait] Timeout! After 1 seconds some hosts are still not reachable\n");
    // WAIT_TIMEOUT=0: one attempt, then it gives up at once (in 0.01 s,
    // measured with 2.12.1), not after WAIT_HOST_CONNECT_TIMEOUT's 5 s.
    let at_once = run_within(
        ours.command()
            .env("WAIT_HOSTS", &hosts)
            .env("WAIT_TIMEOUT", "0"),
        secs(30.0),
    );
    assert_eq!(at_once.code(), 1, "{at_once:?}");
    assert!(at_once.elapsed < secs(2.5), "{at_once:?}");
    at_once
        .says(&format!(
            "[INFO  wait] Host [{hosts}] not yet available...\n"
        ))
        .says("[ERROR wait] Timeout! After 0 seconds some hosts are still not reachable\n");
    let (open, _listener) = open_listener();
    let once_ready = run_within(
        ours.command()
            .env("WAIT_HOSTS", &open)
            .env("WAIT_TIMEOUT", "0")
            .env("WAIT_COMMAND", "echo ran"),
        secs(30.0),
    );
    assert_eq!(
        (once_ready.code(), once_ready.stdout.as_str()),
        (0, "ran\n"),
        "{once_ready:?}"
    );
    let path = run_within(
        ours.command()
            .env("WAIT_PATHS", "/nonexistent/waitfor")
            .env("WAIT_TIMEOUT", "1")
            .env("WAIT_LOGGER_LEVEL", "error"),
        secs(30.0),
    );
    assert_eq!(path.code(), 1);
    assert_eq!(
        path.stderr,
        "[ERROR wait] Timeout! After [1] seconds some paths are still not reachable\n"
    );
    // A list written with a space, or a comma too many: refused in words
    // about what was written, never about a tcp:// it was turned into.
    for (list, says) in [
        (
            "db:5432 redis:6379",
            "wait: WAIT_HOSTS: \"db:5432 redis:6379\" holds white space",
        ),
        (
            "db:5432,",
            "wait: WAIT_HOSTS: an empty entry (a comma too many?)",
        ),
        (
            "db:abc",
            "wait: invalid target \"db:abc\": port \"abc\" is not a number",
        ),
        (
            "redis://cache:6379",
            "wait: WAIT_HOSTS: \"redis://cache:6379\": entries are host:port",
        ),
    ] {
        let refused = run_within(ours.command().env("WAIT_HOSTS", list), secs(10.0));
        assert_eq!(refused.code(), 1, "{refused:?}");
        refused.says(says).never_says("tcp://");
    }
    let nothing = run_within(ours.command().env("WAIT_COMMAND", "echo ran"), secs(10.0));
    assert_eq!(
        (nothing.code(), nothing.stdout.as_str()),
        (0, "ran\n"),
        "{nothing:?}"
    );
    assert!(nothing.elapsed < secs(5.0), "{nothing:?}");
    let quoting = run_within(ours.command().env("WAIT_COMMAND", "echo 'ran"), secs(10.0));
    assert_eq!(quoting.code(), 1, "{quoting:?}");
    assert_eq!(quoting.stderr.lines().count(), 1, "{quoting:?}");
    quoting.says("wait: WAIT_COMMAND: ").never_says("panicked");
}

#[test]
fn compose_wait_side_by_side_with_the_real_one() {
    let Some(real) = peer("WAITFOR_PEER_WAIT", "wait", "a docker-compose-wait binary") else {
        return;
    };
    let ours = waitfor_as("wait");
    let (open, _listener) = open_listener();
    let closed = closed();
    let environments: [&[(&str, &str)]; 7] = [
        &[("WAIT_HOSTS", &open), ("WAIT_COMMAND", "echo ran")],
        &[("WAIT_HOSTS", &closed), ("WAIT_TIMEOUT", "1")],
        &[("WAIT_PATHS", "/nonexistent/x"), ("WAIT_TIMEOUT", "1")],
        &[("WAIT_HOSTS_TIMEOUT", "1"), ("WAIT_HOSTS", &closed)],
        &[("WAIT_COMMAND", "sh -c 'echo \"a b\"'")],
        &[("WAIT_LOGGER_LEVEL", "info"), ("WAIT_HOSTS", &open)],
        &[("WAIT_LOGGER_LEVEL", "")],
    ];
    let scenarios = environments.map(|env| Scenario { args: &[], env });
    // Its banner names its version and, for waitfor, waitfor's; how many
    // attempts failed depends on when each polls: compared without either.
    side_by_side(&real, &ours, &scenarios, |stderr, _| {
        stderr
            .lines()
            .filter(|line| !line.contains("docker-compose-wait 2.12.1"))
            .filter(|line| !line.contains("not yet available"))
            .collect::<Vec<_>>()
            .join("\n")
    });
}

#[test]
fn wait_for_side_by_side_with_the_real_script() {
    let Some(real) = peer(
        "WAITFOR_PEER_WAIT_FOR",
        "wait-for",
        "eficode's wait-for script",
    ) else {
        return;
    };
    let ours = waitfor_as("wait-for");
    let (open, _listener) = open_listener();
    let closed = closed();
    let scenarios: Vec<Vec<&str>> = vec![
        vec![&open, "--", "echo", "ran"],
        vec![&closed, "-t", "1", "--", "echo", "ran"],
        vec!["-qt1", &closed],
        vec!["-v"],
        vec![],
        vec!["--help"],
        vec![&open, "-t", "x"],
        vec![&open, "-x"],
        vec!["db"],
        vec!["-q-x"],
    ];
    let scenarios: Vec<Scenario> = scenarios
        .iter()
        .map(|args| Scenario { args, env: &[] })
        .collect();
    // Its usage text names it by its path: both are linked as `…/wait-for`, in other directories.
    side_by_side(&real, &ours, &scenarios, |stderr, linked| {
        stderr.replace(&linked.path.display().to_string(), "wait-for")
    });
}

#[test]
fn dockerize_waits_for_each_kind_and_supervises_the_command() {
    let ours = waitfor_as("dockerize");
    let dir = TempDir::new("dockerize");
    let (port, _nginx) = nginx(&dir.0);
    let (open, _listener) = open_listener();
    let file = dir.0.join("generated");
    std::fs::write(&file, "").unwrap();
    let socket = dir.0.join("app.sock");
    let _unix = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let run = run_within(
        ours.command()
            .args(["-wait", &format!("tcp://{open}")])
            .args(["-wait", &format!("tcp4://{open}")])
            .args(["--wait", &format!("http://127.0.0.1:{port}/")])
            .arg(format!("-wait=file://{}", file.display()))
            .args(["-wait-list", &format!("unix://{}", socket.display())])
            .args([
                "-wait-http-header",
                "X-Token: yes",
                "-wait",
                &format!("http://127.0.0.1:{port}/secret"),
            ])
            .args(["-timeout", "20s", "sh", "-c", "exit 3"]),
        secs(40.0),
    );
    assert_eq!(run.code(), 3, "the child's exit code: {run:?}");
    run.says(&format!("Waiting for: tcp://{open}\n"))
        .says(&format!("Connected to tcp://{open}\n"))
        // As written, as dockerize prints it: not made tcp://.
        .says(&format!("Waiting for: tcp4://{open}\n"))
        .says(&format!("Connected to tcp4://{open}\n"))
        .says(&format!("Received 200 from http://127.0.0.1:{port}/\n"))
        .says(&format!(
            "File file://{} had been generated\n",
            file.display()
        ))
        .says(&format!("Connected to unix://{}\n", socket.display()))
        .says(&format!(
            "Received 200 from http://127.0.0.1:{port}/secret\n"
        ));
    let date = go_log_lines(&run.stderr);
    assert!(
        date,
        "Go log lines start with a date and time: {}",
        run.stderr
    );
    // The COMMAND as it sees itself (`$$`, `$PPID`), and waitfor's own PID.
    let pids = |args: &[&str]| {
        let mut command = ours.command();
        command.args(["-wait", &format!("tcp://{open}")]).args(args);
        command.args(["sh", "-c", "echo $$ $PPID"]);
        let started = std::time::Instant::now();
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        wait_bounded(&mut child, started, secs(20.0));
        let printed = std::io::read_to_string(stdout).unwrap();
        let (own, parent) = printed.trim().split_once(' ').unwrap();
        (
            child.id(),
            own.parse::<u32>().unwrap(),
            parent.parse::<u32>().unwrap(),
        )
    };
    // Supervised, the COMMAND is waitfor's child; with -exec it is waitfor itself.
    let (waitfor_pid, own, parent) = pids(&[]);
    assert_eq!(
        (parent, own == waitfor_pid),
        (waitfor_pid, false),
        "a child of waitfor"
    );
    let (waitfor_pid, own, _) = pids(&["-exec"]);
    assert_eq!(own, waitfor_pid, "-exec keeps the PID");
}

/// Whether every line starts as Go's log does: `2026/11/22 10:00:00 `.
fn go_log_lines(text: &str) -> bool {
    text.lines().all(|line| {
        let bytes = line.as_bytes();
        bytes.len() > 20
            && bytes[4] == b'/'
            && bytes[7] == b'/'
            && bytes[10] == b' '
            && bytes[13] == b':'
            && bytes[16] == b':'
            && bytes[19] == b' '
    })
}

#[test]
fn dockerize_times_out_and_refuses_its_other_jobs() {
    let ours = waitfor_as("dockerize");
    let dir = TempDir::new("dockerize-timeout");
    let (port, _nginx) = nginx(&dir.0);
    let closed = closed();
    let secret = format!("http://127.0.0.1:{port}/secret");
    let run = run_within(
        ours.command()
            .args(["-wait", &format!("tcp://{closed}"), "-wait", &secret])
            .args(["-timeout", "1500ms", "-wait-retry-interval", "200ms"])
            .args(["echo", "ran"]),
        secs(30.0),
    );
    assert_eq!((run.code(), run.stdout.as_str()), (1, ""), "{run:?}");
    run.says(&format!(
        "Timeout after 1.5s waiting on dependencies to become available: [tcp://{closed} {secret}]\n"
    ))
    .says(&format!("Problem with dial tcp://{closed}: connection refused. Sleeping 200ms\n"))
    .says(&format!("Received 401 from {secret}. Sleeping 200ms\n"));
    // A redirect not followed is not 2xx.
    let skipped = run_within(
        ours.command().args([
            "-wait-http-skip-redirect",
            "-timeout",
            "1s",
            "-wait",
            &format!("http://127.0.0.1:{port}/"),
        ]),
        secs(30.0),
    );
    assert_eq!(skipped.code(), 1, "{skipped:?}");
    let status = run_within(
        ours.command().args([
            "-wait-http-skip-redirect",
            "-wait-http-status-code",
            "302",
            "-timeout",
            "5s",
            "-wait",
            &format!("http://127.0.0.1:{port}/"),
        ]),
        secs(30.0),
    );
    assert_eq!(status.code(), 0, "{status:?}");
    for job in [["-template", "a.tmpl:a"], ["-stdout", "/var/log/x"]] {
        let refused = run_within(
            ours.command().args(job).args(["-wait", "tcp://db:1"]),
            secs(10.0),
        );
        assert_eq!(refused.code(), 2, "{refused:?}");
        assert_eq!(refused.stderr.lines().count(), 1, "{refused:?}");
        refused.says("waitfor only waits");
    }
    let unknown = run_within(ours.command().arg("-nope"), secs(10.0));
    assert_eq!(unknown.code(), 2);
    assert_eq!(
        unknown.stderr.lines().next(),
        Some("flag provided but not defined: -nope")
    );
}

#[test]
fn a_stop_signal_ends_every_front_end_at_once() {
    // wait-for-it's bash ignores SIGTERM as PID 1; waitfor does not, under any name.
    for (name, args, env) in [
        (
            "wait-for-it.sh",
            vec![closed(), "-t".into(), "0".into()],
            vec![],
        ),
        ("wait-for", vec![closed(), "-t".into(), "0".into()], vec![]),
        (
            "wait",
            vec![],
            vec![("WAIT_HOSTS", closed()), ("WAIT_TIMEOUT", "600".into())],
        ),
        (
            "dockerize",
            vec![
                "-wait".into(),
                format!("tcp://{}", closed()),
                "-timeout".into(),
                "10m".into(),
            ],
            vec![],
        ),
    ] {
        let ours = waitfor_as(name);
        let mut command = ours.command();
        command.args(&args).envs(env);
        let mut running = Running::spawn(&mut command);
        std::thread::sleep(secs(0.5));
        let pid = nix::unistd::Pid::from_raw(running.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status = running.wait(secs(10.0));
        assert_eq!(status.code(), Some(143), "{name}: {}", running.last_lines());
    }
}

/// The shims, for images that run `bash wait-for-it.sh …` or `sh wait-for …`:
/// each execs waitfor by a link of the incumbent's name, so the lines are
/// the same as the link's. Here the link's directory is the test's own.
#[test]
fn the_shims_run_waitfor_under_the_incumbents_name() {
    // The shims exec the binary as it is: under qemu-user, the kernel must know to run it there.
    let _binfmt = match std::env::var_os("WAITFOR_TEST_RUNNER") {
        Some(_) => match Binfmt::for_runner() {
            Ok(binfmt) => Some(binfmt),
            Err(reason) => {
                qemu_cannot(&format!(
                    "be run by a shell's exec without binfmt_misc: {reason}"
                ));
                return;
            }
        },
        None => None,
    };
    let shims = Path::new(env!("CARGO_MANIFEST_DIR")).join("dropin/usr/local/lib/waitfor/shims");
    let (open, _listener) = open_listener();
    for (name, shell, args, says) in [
        (
            "wait-for-it.sh",
            "bash",
            vec![open.as_str(), "-t", "5"],
            "wait-for-it.sh: waiting 5 seconds for",
        ),
        (
            "wait-for-it.sh",
            "sh",
            vec![open.as_str()],
            "wait-for-it.sh: waiting 15 seconds for",
        ),
        ("wait-for", "sh", vec!["-t"], "Error: invalid timeout ''"),
    ] {
        let linked = waitfor_as(name);
        let directory = linked.path.parent().unwrap().display().to_string();
        let shim = std::fs::read_to_string(shims.join(name)).unwrap();
        assert_eq!(shim.lines().count(), 2, "{shim}");
        let shim = shim.replace("/usr/local/lib/waitfor", &directory);
        let mut shell_command = Command::new(shell);
        shell_command
            .args(["-c", &shim, name])
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let run = run_within(&mut shell_command, secs(30.0));
        run.says(says);
    }
}

/// docker-compose-wait gives each connection `WAIT_HOST_CONNECT_TIMEOUT` (5 s)
/// and only then looks at its timeout; dockerize gives a dial the whole
/// timeout. Under every name waitfor's deadline holds when packets are dropped.
#[test]
fn a_dropped_packet_never_stretches_a_front_ends_deadline() {
    let (port, _listener) = open_port();
    let _dropped = DroppedPort::new(port);
    let target = format!("127.0.0.1:{port}");
    for (name, args, env, code) in [
        (
            "wait-for-it.sh",
            vec![target.clone(), "-t".into(), "1".into()],
            vec![],
            124,
        ),
        (
            "wait-for",
            vec![target.clone(), "-t".into(), "1".into()],
            vec![],
            1,
        ),
        (
            "wait",
            vec![],
            vec![("WAIT_HOSTS", target.clone()), ("WAIT_TIMEOUT", "1".into())],
            1,
        ),
        (
            "dockerize",
            vec![
                "-wait".into(),
                format!("tcp://{target}"),
                "-timeout".into(),
                "1s".into(),
            ],
            vec![],
            1,
        ),
    ] {
        let ours = waitfor_as(name);
        let run = run_within(ours.command().args(&args).envs(env), secs(20.0));
        assert_eq!(run.code(), code, "{name}: {run:?}");
        assert!(
            run.elapsed < secs(3.0),
            "{name} overran its 1 s deadline: {run:?}"
        );
    }
}
