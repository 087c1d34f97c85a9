//! The command line and the output: bad input is one line and exit 2, never a
//! panic; stdout belongs to the COMMAND; -q, -v, --log-format json,
//! WAITFOR_* variables, and the live status on a terminal.

mod common;

use std::process::Command;

use common::*;

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &[],
        &["--", "echo", "no target"],
        &[""],
        &["db"],
        &["db:"],
        &[":5432"],
        &["db:0"],
        &["db:65536"],
        &["db:99999999999999999999"],
        &["db:-1"],
        &["db:port"],
        &["db:80/path"],
        &["db:80:80"],
        &["[::1"],
        &["[::1]"],
        &["[::1]x:80"],
        &["[nothex]:80"],
        &["::1:80"],
        &["d b:80"],
        &["db\u{e9}:80"],
        &["300.1.1.1:80"],
        &["gopher://db:70"],
        &["tcp://"],
        &["tcp://db"],
        &["-t", "5x", "db:80"],
        // Found by fuzzing: a file name with a newline was quoted as it is.
        &["--ca-cert", "no\nsuch", "db:80"],
        &["--client-cert", "a\nb", "--client-key", "c", "db:80"],
        &["db:80#x\ny=1"],
        &["exec:"],
        &["--backoff", "10ms", "db:80"],
        &["-t", "-1", "db:80"],
        &["-t", "", "db:80"],
        &["-t", "1e999", "db:80"],
        &["-t", "99999999999999999999999s", "db:80"],
        &["-i", "0", "db:80"],
        &["--connect-timeout", "0", "db:80"],
        &["--log-format", "xml", "db:80"],
        &["-q", "-v", "db:80"],
        &["--no-such-option", "db:80"],
        &["-t"],
        &["http://db:80/a b"],
        &["http://user:pw@db/"],
        &["unix://relative/path"],
        &["file://"],
        &["redis://user@cache"],
        &["mqtt://:pw@broker"],
        &["redis://:bad%zz@cache"],
        &["--http-status", "2xx", "http://db/"],
        &["--http-status", "300-200", "http://db/"],
        &["--ca-cert", "/nonexistent.pem", "https://db/"],
        &["--ca-cert", "/etc/hostname", "https://db/"],
        &["postgres://db:5432:1"],
        &["amqp://user@rabbit"],
    ];
    for args in cases {
        let run = run_within(waitfor().args(*args), secs(10.0));
        assert_eq!(run.code(), 2, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("waitfor: error: "),
            "{args:?}: {}",
            run.stderr
        );
        run.never_says("panicked");
    }
}

/// Input no one would type, but a script might build: each refused in one
/// short line that says what is wrong.
#[test]
fn huge_or_impossible_input_is_refused_in_one_short_line() {
    let huge = "x".repeat(100_000);
    let long_socket = format!("unix:///{}", "s".repeat(200));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![format!("{huge}:80")], "x:80 (100003 bytes in all)"),
        (vec![format!("--{huge}")], "bytes in all)"),
        (
            vec![long_socket],
            "the socket path is 201 bytes long; a unix socket address holds at most 107",
        ),
        (
            vec!["-t".into(), "99999999999999999999".into(), "db:80".into()],
            "\"99999999999999999999\" is too large a duration",
        ),
        (
            vec![
                "-t".into(),
                "99999999999999999999999s".into(),
                "db:80".into(),
            ],
            "\"99999999999999999999999s\" is too large a duration",
        ),
        (
            vec!["-t".into(), "99999999999999999h".into(), "db:80".into()],
            "\"99999999999999999h\" is too large a duration",
        ),
    ];
    for (args, reason) in cases {
        let run = run_within(waitfor().args(&args), secs(10.0));
        assert_eq!(run.code(), 2, "{run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.len() < 400, "{} bytes", run.stderr.len());
        run.says(reason);
    }
}

/// A `--connect-timeout` too large for the clock, with no deadline to cut it,
/// still probes (it once overflowed the attempt's end and killed its task).
#[test]
fn a_connect_timeout_beyond_the_clock_still_probes() {
    let (port, _open) = open_port();
    let run = run_within(
        waitfor().args([
            "-t",
            "0",
            "--connect-timeout",
            "18000000000000000000",
            &format!("127.0.0.1:{port}"),
        ]),
        secs(10.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
}

/// The tests clear every variable waitfor reads before running it: the list
/// they clear must name every one that `--help` mentions.
#[test]
fn every_variable_waitfor_reads_is_listed() {
    let help = run_within(waitfor().arg("--help"), secs(10.0)).stdout;
    let mut mentioned: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|word| word.starts_with("WAITFOR_"))
        .collect();
    mentioned.sort();
    mentioned.dedup();
    let mut listed: Vec<&str> = VARIABLES
        .iter()
        .copied()
        .filter(|v| v.starts_with("WAITFOR_"))
        .collect();
    listed.sort();
    assert_eq!(mentioned, listed, "{help}");
}

#[test]
fn an_unknown_scheme_lists_the_supported_ones() {
    let run = run_within(waitfor().arg("gopher://db:70"), secs(10.0));
    assert_eq!(run.code(), 2);
    for scheme in [
        "tcp://",
        "http://",
        "https://",
        "postgres://",
        "mysql://",
        "redis://",
        "rediss://",
        "amqp://",
        "mqtt://",
        "nats://",
        "unix://",
        "file://",
    ] {
        run.says(scheme);
    }
}

#[test]
fn bad_input_from_the_environment_is_refused_too() {
    for (variable, value) in [
        ("WAITFOR_TARGETS", "db:80, cache"),
        ("WAITFOR_TARGETS", " , "),
        ("WAITFOR_TIMEOUT", "soon"),
        ("WAITFOR_INTERVAL", "0"),
    ] {
        let mut command = waitfor();
        if variable != "WAITFOR_TARGETS" {
            command.arg("db:80");
        }
        let run = run_within(command.env(variable, value), secs(10.0));
        assert_eq!(run.code(), 2, "{variable}={value}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

#[test]
fn targets_and_timing_from_the_environment() {
    let (one, two) = (free_port(), free_port());
    let _one = listen_after(([127, 0, 0, 1], one), secs(0.2));
    let _two = listen_after(([127, 0, 0, 1], two), secs(0.4));
    let run = run_within(
        waitfor()
            .env(
                "WAITFOR_TARGETS",
                format!("127.0.0.1:{one}, tcp://localhost:{two}"),
            )
            .env("WAITFOR_TIMEOUT", "20")
            .args(["--", "echo", "from env"]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "from env\n");

    let never = free_port();
    let run = run_within(
        waitfor()
            .env("WAITFOR_TIMEOUT", "700ms")
            .arg(format!("127.0.0.1:{never}")),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("waiting up to 700ms");
}

#[test]
fn the_largest_durations_are_accepted_without_overflow() {
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(0.3));
    let max = format!("{}s", u64::MAX);
    for option in ["--timeout", "--interval", "--connect-timeout"] {
        let mut command = waitfor();
        if option == "--interval" {
            // One failed attempt would then wait forever: the target is there from the start.
            command.args(["--any", &format!("127.0.0.1:{}", free_port())]);
        }
        let run = run_within(
            command.args([
                option,
                &max,
                &format!("127.0.0.1:{port}"),
                "--",
                "echo",
                "ok",
            ]),
            secs(20.0),
        );
        assert_eq!(
            (run.code(), run.stdout.as_str()),
            (0, "ok\n"),
            "{option}: {run:?}"
        );
    }
}

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    for flag in ["--help", "-h", "--version", "-V"] {
        let run = run_within(waitfor().arg(flag), secs(10.0));
        assert_eq!(run.code(), 0, "{flag}");
        assert!(run.stdout.contains("waitfor"), "{flag}: {}", run.stdout);
    }
}

#[test]
fn nothing_on_stdout_but_the_commands_and_quiet_means_quiet() {
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(0.3));
    let target = format!("127.0.0.1:{port}");
    let run = run_within(
        waitfor().args(["-v", "-t", "20", &target, "--", "echo", "only this"]),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "only this\n");
    run.says("attempt 1 failed: connection refused");

    let run = run_within(waitfor().args(["-q", "-t", "20", &target]), secs(20.0));
    assert_eq!(
        (run.code(), run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );

    let never = free_port();
    let run = run_within(
        waitfor().args(["-q", "-t", "300ms", &format!("127.0.0.1:{never}")]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .lines()
            .all(|l| l.starts_with("waitfor: error: ")),
        "{}",
        run.stderr
    );
}

#[test]
fn json_log_format_is_one_object_a_line() {
    let (ready, never) = (free_port(), free_port());
    let _listener = listen_after(([127, 0, 0, 1], ready), secs(0.0));
    let run = run_within(
        waitfor().args([
            "--log-format",
            "json",
            "-t",
            "500ms",
            &format!("127.0.0.1:{ready}"),
            &format!("127.0.0.1:{never}"),
        ]),
        secs(20.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    let ready_event = events
        .iter()
        .find(|e| e["target"] == format!("127.0.0.1:{ready}") && e["level"] == "INFO")
        .expect("a ready event");
    assert!(ready_event["elapsed_ms"].is_u64() && ready_event["attempts"] == 1);
    let timeout_event = events
        .iter()
        .find(|e| e["target"] == format!("127.0.0.1:{never}"))
        .expect("a timeout event");
    assert_eq!(timeout_event["level"], "ERROR");
    assert_eq!(timeout_event["error"], "connection refused");
}

/// `script` gives waitfor a terminal for stderr: the status is drawn and
/// redrawn in place with escape sequences instead of scrolling lines.
#[test]
fn a_terminal_gets_a_live_status() {
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(0.6));
    let waitfor = waitfor_words().join(" ");
    let run = run_within(
        Command::new("script")
            .args([
                "-qefc",
                &format!("{waitfor} -t 20 127.0.0.1:{port} -- true"),
                "/dev/null",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
        secs(20.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    let screen = run.stdout;
    let target = format!("127.0.0.1:{port}");
    let drawn = |state: &str, detail: &str| {
        screen
            .lines()
            .any(|l| l.contains(state) && l.contains(&target) && l.contains(detail))
    };
    assert!(drawn("waiting", "connection refused"), "{screen:?}");
    assert!(drawn("ready", "tries  after"), "{screen:?}");
    assert!(screen.contains("\r\x1b[1A"), "redrawn in place: {screen:?}");
    assert!(
        !screen.contains("is ready after"),
        "no scrolling lines: {screen:?}"
    );
}
