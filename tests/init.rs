//! `--init`: the COMMAND runs as a child of waitfor, which forwards signals to
//! it, reaps every zombie (as PID 1, and as a subreaper elsewhere) and exits
//! with the child's status.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// waitfor --init as PID 1 of a new PID namespace (with its own /proc), once `port` is ready.
fn init_in_pid_namespace(port: u16, script: &str) -> Command {
    let mut command = Command::new("unshare");
    command
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(waitfor_argv())
        .args([
            "--init",
            "-t",
            "20",
            &format!("127.0.0.1:{port}"),
            "--",
            "sh",
            "-c",
            script,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The PIDs listed in /proc/PID/task/PID/children.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|child| child.parse().unwrap())
        .collect()
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Two orphans are left to PID 1 (waitfor); when they have exited, the
/// COMMAND counts the processes of the namespace: they are PID 1's, and none
/// is a zombie.
#[test]
fn as_pid_1_orphans_are_reaped() {
    let (port, _listener) = open_port();
    let script = r#"
        (sleep 0.3 &); (sleep 0.3 &)
        sleep 0.1
        echo "orphans of pid 1: $(awk '$4 == 1 && $2 == "(sleep)"' /proc/[0-9]*/stat | wc -l)"
        sleep 1
        echo "zombies: $(awk '$3 == "Z"' /proc/[0-9]*/stat | wc -l)"
        echo "pid 1: $(cat /proc/1/comm)"
    "#;
    let run = run_within(&mut init_in_pid_namespace(port, script), secs(20.0));
    assert_eq!(run.code(), 0, "{run:?}");
    // PID 1's name as the kernel keeps it: waitfor's, or qemu-user's running it.
    let program = waitfor_argv()[0].clone();
    let name = Path::new(&program).file_name().unwrap().to_string_lossy();
    let comm: String = name.chars().take(15).collect();
    assert_eq!(
        run.stdout,
        format!("orphans of pid 1: 2\nzombies: 0\npid 1: {comm}\n")
    );
}

#[test]
fn sigterm_reaches_the_child_and_its_exit_code_comes_back() {
    let (port, _listener) = open_port();
    let script =
        r#"trap 'echo terminated; exit 42' TERM; echo started; while :; do sleep 0.05; done"#;
    let mut command = init_in_pid_namespace(port, script);
    let started = Instant::now();
    let mut unshare = command.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(unshare.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "started\n");
    let waitfor = children(unshare.id())[0];
    kill(Pid::from_raw(waitfor as i32), Signal::SIGTERM).unwrap();
    let status = wait_bounded(&mut unshare, started, secs(20.0));
    line.clear();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "terminated\n");
    assert_eq!(status.code(), Some(42));
}

#[test]
fn a_child_killed_by_a_signal_gives_128_plus_n() {
    let (port, _listener) = open_port();
    let run = run_within(
        &mut init_in_pid_namespace(port, "kill -KILL $$"),
        secs(20.0),
    );
    assert_eq!(run.code(), 137, "{run:?}");
    let run = run_within(
        waitfor().args([
            "--init",
            &format!("127.0.0.1:{port}"),
            "--",
            "sh",
            "-c",
            "exit 3",
        ]),
        secs(20.0),
    );
    assert_eq!(run.code(), 3, "{run:?}");
}

/// Not PID 1: waitfor makes itself a subreaper, so the COMMAND's orphans
/// become its children, and it reaps them.
#[test]
fn elsewhere_it_is_a_subreaper() {
    if qemu_cannot("make a process a subreaper (it refuses PR_SET_CHILD_SUBREAPER)") {
        return;
    }
    let (port, _listener) = open_port();
    let mut running = Running::spawn(waitfor().args([
        "--init",
        "-v",
        &format!("127.0.0.1:{port}"),
        "--",
        "sh",
        "-c",
        "(sleep 0.5 &); sleep 2",
    ]));
    running.wait_for_line("is ready after", secs(10.0));
    let waitfor = running.child.id();
    std::thread::sleep(secs(0.25));
    let early = children(waitfor);
    assert_eq!(
        early.len(),
        2,
        "the COMMAND and its orphaned sleep: {early:?}"
    );
    std::thread::sleep(secs(0.75));
    let later = children(waitfor);
    assert_eq!(later.len(), 1, "the orphan was reaped: {later:?}");
    assert!(early.iter().chain(&later).all(|&pid| !is_zombie(pid)));
    assert_eq!(running.wait(secs(10.0)).code(), Some(0));
}

#[test]
fn the_child_keeps_stdio_and_a_missing_command_is_127() {
    let (port, _listener) = open_port();
    let init = |command: &[&str]| {
        let target = format!("127.0.0.1:{port}");
        run_within(
            waitfor()
                .args(["-q", "--init", &target, "--"])
                .args(command),
            secs(20.0),
        )
    };
    let run = init(&["sh", "-c", "echo out; echo err >&2"]);
    assert_eq!(
        (run.code(), run.stdout.as_str(), run.stderr.as_str()),
        (0, "out\n", "err\n")
    );
    let run = init(&["no-such-command-waitfor"]);
    assert_eq!(run.code(), 127, "{run:?}");
}
