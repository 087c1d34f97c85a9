//! What the black-box tests share: running the built binary within a time
//! bound, free loopback ports, listeners that open late, and a DROP rule on
//! `lo` that is always removed.
//!
//! Every process a test starts is waited for or killed by PID before the test
//! returns, and every test runs on loopback only.

#![allow(dead_code)] // Each test binary uses its own part of this module.

pub mod kube;
pub mod namespace;
pub mod servers;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Every variable waitfor reads, so that none set around the tests leaks into
/// them (`every_variable_waitfor_reads_is_listed` keeps this list whole).
pub const VARIABLES: &[&str] = &[
    "RUST_LOG",
    "WAITFOR_TARGETS",
    "WAITFOR_TIMEOUT",
    "WAITFOR_INTERVAL",
    "WAITFOR_CONNECT_TIMEOUT",
    "WAITFOR_HTTP_STATUS",
    "WAITFOR_HTTP_METHOD",
    "WAITFOR_HTTP_HEADERS",
    "WAITFOR_HTTP_BODY",
    "WAITFOR_HTTP_MATCH",
    "WAITFOR_HTTP_JSON",
    "WAITFOR_HTTP_FOLLOW",
    "WAITFOR_CLIENT_CERT",
    "WAITFOR_CLIENT_KEY",
    "WAITFOR_CA_CERT",
    "WAITFOR_INSECURE",
    "WAITFOR_INIT",
    "WAITFOR_ANY",
    "WAITFOR_BACKOFF",
    "WAITFOR_STABLE",
    "WAITFOR_REVERSE",
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
];

/// The binary under test: this build's, or `WAITFOR_TEST_BINARY` (another
/// architecture's static build, `scripts/test-foreign`).
pub fn binary() -> PathBuf {
    std::env::var_os("WAITFOR_TEST_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_waitfor")),
        PathBuf::from,
    )
}

/// What runs the binary under test, `binary` standing for it: the binary
/// itself, or qemu-user (`WAITFOR_TEST_RUNNER`) running it.
pub fn command_line(binary: &Path) -> Vec<OsString> {
    let runner = std::env::var_os("WAITFOR_TEST_RUNNER").filter(|runner| !runner.is_empty());
    runner
        .into_iter()
        .chain([binary.as_os_str().to_owned()])
        .collect()
}

/// The command line of the binary under test, to put after another program's own.
pub fn waitfor_argv() -> Vec<OsString> {
    command_line(&binary())
}

/// The same, as words to put in a shell command.
pub fn waitfor_words() -> Vec<String> {
    waitfor_argv()
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect()
}

/// Whether the binary under test runs under qemu-user, which cannot do
/// `what`: then the caller skips that part, and this says so and why.
pub fn qemu_cannot(what: &str) -> bool {
    match std::env::var("WAITFOR_TEST_RUNNER") {
        Ok(runner) if !runner.is_empty() => {
            let test = thread::current().name().unwrap_or("a test").to_owned();
            let skipped = format!("{test}: under {runner}, skipped: qemu-user cannot {what}");
            eprintln!("{skipped}");
            // scripts/test-foreign lists them at the end: captured output would hide them.
            if let Some(list) = std::env::var_os("WAITFOR_TEST_SKIPS") {
                let mut list = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(list)
                    .expect("the list of skipped tests can be written");
                writeln!(list, "{skipped}").expect("the list of skipped tests can be written");
            }
            true
        }
        _ => false,
    }
}

/// A binfmt_misc entry that has the kernel run the binary under test's
/// architecture through qemu-user, so that a shell can exec it as it is.
/// Registered by the test (from Debian's qemu-user-static entry) and
/// unregistered on drop; one already there is used and left alone.
pub struct Binfmt {
    registered: Option<PathBuf>,
}

impl Binfmt {
    const ROOT: &str = "/proc/sys/fs/binfmt_misc";

    /// For `WAITFOR_TEST_RUNNER` (`qemu-aarch64-static`), or why there can be none.
    pub fn for_runner() -> Result<Self, String> {
        let runner = std::env::var("WAITFOR_TEST_RUNNER").unwrap_or_default();
        let arch = runner
            .strip_prefix("qemu-")
            .and_then(|rest| rest.strip_suffix("-static"))
            .ok_or(format!("{runner:?} is not qemu-ARCH-static"))?;
        Self::register(arch)
    }

    /// For qemu's name of an architecture (`aarch64`, `arm`), or why there can be none.
    pub fn register(arch: &str) -> Result<Self, String> {
        let root = Path::new(Self::ROOT);
        if !root.join("register").exists() {
            let mounted = Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc", Self::ROOT])
                .status();
            if !mounted.is_ok_and(|status| status.success()) {
                return Err("binfmt_misc cannot be mounted here".into());
            }
        }
        if std::fs::read_to_string(root.join(format!("qemu-{arch}")))
            .is_ok_and(|entry| entry.starts_with("enabled"))
        {
            return Ok(Binfmt { registered: None });
        }
        let debian = format!("/usr/lib/binfmt.d/qemu-{arch}.conf");
        let entry =
            std::fs::read_to_string(&debian).map_err(|error| format!("{debian}: {error}"))?;
        let name = format!("waitfor-test-{arch}-{}", std::process::id());
        let entry = entry
            .trim()
            .replacen(&format!(":qemu-{arch}:"), &format!(":{name}:"), 1);
        std::fs::write(root.join("register"), entry)
            .map_err(|error| format!("binfmt_misc refuses the entry: {error}"))?;
        Ok(Binfmt {
            registered: Some(root.join(name)),
        })
    }
}

impl Drop for Binfmt {
    fn drop(&mut self) {
        if let Some(entry) = &self.registered {
            let _ = std::fs::write(entry, "-1");
        }
    }
}

/// The binary under test, with stdin closed, its output captured, and none
/// of the [`VARIABLES`] it reads set.
pub fn waitfor() -> Command {
    let argv = waitfor_argv();
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// Reads what the client sends first (a request, a startup message), as much as has come.
pub fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut buffer = vec![0; 4096];
    stream.set_read_timeout(Some(secs(5.0))).unwrap();
    let count = stream.read(&mut buffer).unwrap_or(0);
    buffer.truncate(count);
    buffer
}

/// Blocks until the client closes the connection (or 30 s pass).
pub fn until_closed(stream: &mut TcpStream) {
    stream.set_read_timeout(Some(secs(30.0))).unwrap();
    let mut sink = [0; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// How a finished run ended and what it printed.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("ended by a signal: {self:?}"))
    }

    /// Asserts that stderr contains `text`; shows all of stderr if not.
    #[track_caller]
    pub fn says(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that stderr does not contain `text` (a password, a panic).
    #[track_caller]
    pub fn never_says(&self, text: &str) -> &Self {
        assert!(
            !self.stderr.contains(text),
            "stderr has {text:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `command` to its end; kills it and fails the test if it takes longer than `limit`.
pub fn run_within(command: &mut Command, limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = command.spawn().expect("the command starts");
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let status = wait_bounded(&mut child, started, limit);
    let elapsed = started.elapsed();
    Run {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed,
    }
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Runs a setup command (a server's initdb, docker build) to its end and
/// fails the test with its output if it fails; its stdout.
pub fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits for `child`, or kills it by PID once `limit` has passed since `started`.
pub fn wait_bounded(child: &mut Child, started: Instant, limit: Duration) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pid {} still running after {limit:?}: killed", child.id());
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// A running waitfor whose stderr is read line by line as it comes.
pub struct Running {
    pub child: Child,
    pub started: Instant,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Self {
        let started = Instant::now();
        let mut child = command.spawn().expect("the command starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            started,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text`; kills the child and fails if none comes in `limit`.
    pub fn wait_for_line(&mut self, text: &str, limit: Duration) {
        if self.saw_line(text, limit) {
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!(
            "no line with {text:?} within {limit:?}; saw {}",
            self.last_lines()
        );
    }

    /// Whether a stderr line containing `text` came already, or comes within `limit`.
    pub fn saw_line(&mut self, text: &str, limit: Duration) -> bool {
        if self.seen.iter().any(|line| line.contains(text)) {
            return true;
        }
        let until = Instant::now() + limit;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => break,
            }
        }
        false
    }

    /// The last few lines seen, for a failure message.
    pub fn last_lines(&self) -> String {
        self.seen[self.seen.len().saturating_sub(8)..].join("\n")
    }

    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        wait_bounded(&mut self.child, Instant::now(), limit)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on, below Linux's ephemeral range so that
/// no outgoing connection of this machine can be using it.
pub fn free_port() -> u16 {
    free_listener().local_addr().unwrap().port()
}

/// A listener on 127.0.0.1 at a port [`free_port`] would give (free on ::1
/// too), bound with no gap in which another process could take the port.
pub fn free_listener() -> TcpListener {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 500) as u16 * 20,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 32_000, "ran out of test ports");
        let v4 = TcpListener::bind(("127.0.0.1", port));
        let v6 = TcpListener::bind(("::1", port));
        if let (Ok(listener), Ok(_)) = (v4, v6) {
            return listener;
        }
    }
}

/// A free port on 127.0.0.1 that is listened on from now until the listener
/// is dropped: bound once, with no gap in which another process could take it.
pub fn open_port() -> (u16, Background) {
    let listener = free_listener();
    let port = listener.local_addr().unwrap().port();
    let open = Background::spawn(move |stop| {
        let _listener = listener;
        while !stop.pause(Duration::from_secs(1)) {}
    });
    (port, open)
}

/// A listener that opens on `address` after `delay` and stays open until dropped.
pub fn listen_after(address: impl Into<SocketAddr>, delay: Duration) -> Background {
    let address = address.into();
    Background::spawn(move |stop| {
        if stop.pause(delay) {
            return;
        }
        let _listener = TcpListener::bind(address).expect("the late listener binds");
        while !stop.pause(Duration::from_secs(1)) {}
    })
}

/// A test's background work (a server, a late listener) on a thread of its
/// own, asked to stop and joined when dropped.
pub struct Background {
    stop: std::sync::Arc<Stop>,
    thread: Option<thread::JoinHandle<()>>,
}

/// What background work polls to learn that it should end.
#[derive(Default)]
pub struct Stop(std::sync::atomic::AtomicBool);

impl Stop {
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps for `pause`, less if a stop is asked for meanwhile; whether it was.
    pub fn pause(&self, pause: Duration) -> bool {
        let until = Instant::now() + pause;
        while !self.requested() && Instant::now() < until {
            thread::sleep(Duration::from_millis(2).min(until - Instant::now()));
        }
        self.requested()
    }
}

impl Background {
    pub fn spawn(work: impl FnOnce(&Stop) + Send + 'static) -> Self {
        let stop = std::sync::Arc::new(Stop::default());
        let thread = {
            let stop = std::sync::Arc::clone(&stop);
            thread::spawn(move || work(&stop))
        };
        Background {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.0.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An iptables rule dropping every TCP packet to `port` on `lo`, removed when dropped.
pub struct DroppedPort {
    port: String,
}

impl DroppedPort {
    pub fn new(port: u16) -> Self {
        let rule = DroppedPort {
            port: port.to_string(),
        };
        rule.iptables("-I");
        rule
    }

    fn iptables(&self, action: &str) {
        let status = Command::new("iptables")
            .args([
                action, "INPUT", "-i", "lo", "-p", "tcp", "--dport", &self.port, "-j", "DROP",
            ])
            .status()
            .expect("iptables runs (the tests need root and the iptables package)");
        assert!(status.success(), "iptables {action} failed: {status}");
    }
}

impl Drop for DroppedPort {
    fn drop(&mut self) {
        self.iptables("-D");
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("waitfor-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// An in-process server on a free loopback port that hands every connection
/// it accepts, with its number (0, 1, ...), to `serve` on a thread of its own.
/// For what a real server can't be made to show on demand.
pub struct FakeServer {
    pub port: u16,
    _accepting: Background,
}

impl FakeServer {
    /// Answers the first `times` connections with `not_ready` and every later
    /// one with `ready`, after `request` has looked at what the client sent first.
    pub fn not_ready_then_ready(
        times: usize,
        not_ready: Vec<u8>,
        ready: Vec<u8>,
        request: impl Fn(&[u8]) + Send + Sync + 'static,
    ) -> Self {
        Self::start(move |number, mut stream| {
            request(&read_request(&mut stream));
            let reply = if number < times { &not_ready } else { &ready };
            let _ = stream.write_all(reply);
            until_closed(&mut stream);
        })
    }

    pub fn start(serve: impl Fn(usize, std::net::TcpStream) + Send + Sync + 'static) -> Self {
        Self::serve(free_listener(), serve)
    }

    /// The same on a given address, such as a scheme's default port on a spare loopback address.
    pub fn start_on(
        address: SocketAddr,
        serve: impl Fn(usize, std::net::TcpStream) + Send + Sync + 'static,
    ) -> Self {
        Self::serve(
            TcpListener::bind(address).expect("the fake server binds"),
            serve,
        )
    }

    fn serve(
        listener: TcpListener,
        serve: impl Fn(usize, std::net::TcpStream) + Send + Sync + 'static,
    ) -> Self {
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let serve = std::sync::Arc::new(serve);
        let accepting = Background::spawn(move |stop| {
            let mut accepted = 0;
            while !stop.requested() {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let serve = std::sync::Arc::clone(&serve);
                        let number = accepted;
                        accepted += 1;
                        thread::spawn(move || serve(number, stream));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakeServer {
            port,
            _accepting: accepting,
        }
    }
}

/// The variables the incumbents read, kept out of every run unless a test sets them.
pub const INCUMBENT_VARIABLES: &[&str] = &[
    "WAITFORIT_HOST",
    "WAITFORIT_PORT",
    "WAITFORIT_TIMEOUT",
    "WAITFORIT_STRICT",
    "WAITFORIT_QUIET",
    "HOST",
    "PORT",
    "WAIT_HOSTS",
    "WAIT_PATHS",
    "WAIT_TIMEOUT",
    "WAIT_BEFORE",
    "WAIT_AFTER",
    "WAIT_SLEEP_INTERVAL",
    "WAIT_HOST_CONNECT_TIMEOUT",
    "WAIT_COMMAND",
    "WAIT_LOGGER_LEVEL",
    "WAIT_HOSTS_TIMEOUT",
    "WAIT_BEFORE_HOSTS",
    "WAIT_AFTER_HOSTS",
];

/// A directory with `name` linked to `program`: how an image offers it.
pub struct Linked {
    _dir: TempDir,
    pub path: PathBuf,
    /// What runs it: the link, or qemu-user running the link (waitfor's only).
    argv: Vec<OsString>,
}

impl Linked {
    pub fn new(program: &Path, name: &str, tag: &str, argv: fn(&Path) -> Vec<OsString>) -> Self {
        // Tests run at once: each link in a directory of its own.
        static LINKS: AtomicUsize = AtomicUsize::new(0);
        let count = LINKS.fetch_add(1, Ordering::Relaxed);
        let dir = TempDir::new(&format!("{tag}-{count}"));
        let path = dir.0.join(name);
        std::os::unix::fs::symlink(program, &path).unwrap();
        Linked {
            _dir: dir,
            argv: argv(&path),
            path,
        }
    }

    pub fn command(&self) -> Command {
        let mut renamed = Command::new(&self.argv[0]);
        renamed
            .args(&self.argv[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for variable in VARIABLES.iter().chain(INCUMBENT_VARIABLES) {
            renamed.env_remove(variable);
        }
        renamed
    }
}

/// waitfor under another name, as an image links it.
pub fn waitfor_as(name: &str) -> Linked {
    Linked::new(&binary(), name, "waitfor", command_line)
}
