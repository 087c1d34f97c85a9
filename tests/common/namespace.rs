//! A network namespace of the test's own, for what loopback hides: a client
//! address that is not 127.0.0.1 (servers exempt loopback from host caches
//! and blocks), and name lookups that never leave the machine.
//!
//! The namespace has `lo` up with one address of its own (e.g. 10.213.0.1/32)
//! and its own /etc/hosts and /etc/resolv.conf, bind-mounted in a mount
//! namespace around each command run in it. resolv.conf points at 127.0.0.1
//! in the namespace, where nothing answers unless the test makes it.

use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::{Background, TempDir, run_ok, secs};

pub struct Namespace {
    name: String,
    pub address: &'static str,
    files: TempDir,
}

impl Namespace {
    /// A namespace with `address` on its `lo`, and `hosts` as its /etc/hosts.
    pub fn new(tag: &str, address: &'static str, hosts: &str) -> Self {
        let name = format!("waitfor-{tag}-{}", std::process::id());
        let files = TempDir::new(&format!("netns-{tag}"));
        fs::write(files.0.join("hosts"), hosts).unwrap();
        fs::write(files.0.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
        let _ = Command::new("ip").args(["netns", "delete", &name]).output();
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let namespace = Namespace {
            name,
            address,
            files,
        };
        namespace.ip(&["link", "set", "lo", "up"]);
        namespace.ip(&["addr", "add", &format!("{address}/32"), "dev", "lo"]);
        namespace
    }

    /// Runs `ip ARGS` on the namespace.
    pub fn ip(&self, args: &[&str]) {
        run_ok(Command::new("ip").arg("-n").arg(&self.name).args(args));
    }

    /// `command`, to be run inside the namespace with its hosts and
    /// resolv.conf; stdin closed and its output captured (a `Command` does
    /// not tell how its own were set).
    pub fn wrap(&self, command: &Command) -> Command {
        self.wrap_mounting(command, None)
    }

    /// The same, with the directory `mount.0` bind-mounted at `mount.1` too
    /// (which must exist), in the command's mount namespace only.
    pub fn wrap_mounting(&self, command: &Command, mount: Option<(&Path, &str)>) -> Command {
        let (source, target) = mount.map_or((Path::new("/etc/hosts"), "/etc/hosts"), |m| m);
        let mut wrapped = Command::new("unshare");
        wrapped
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .args(["--mount", "--propagation", "private", "--", "nsenter"])
            .arg(format!("--net=/run/netns/{}", self.name))
            .args([
                "--",
                "sh",
                "-c",
                r#"mount --bind "$2" "$3" && mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift 3 && exec "$@""#,
            ])
            .arg(self.files.0.join("hosts"))
            .arg(self.files.0.join("resolv.conf"))
            .arg(source)
            .arg(target)
            .arg(command.get_program())
            .args(command.get_args());
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }

    /// A TCP listener at `address` in the namespace (its socket stays there).
    pub fn listener(&self, address: &str) -> TcpListener {
        let netns = fs::File::open(format!("/run/netns/{}", self.name)).unwrap();
        let address = address.to_owned();
        std::thread::spawn(move || {
            // SAFETY: setns moves only this short-lived thread into the namespace.
            let moved = unsafe { nix::libc::setns(netns.as_raw_fd(), nix::libc::CLONE_NEWNET) };
            assert_eq!(moved, 0, "setns into the test's namespace");
            TcpListener::bind(&address).expect("the address in the namespace")
        })
        .join()
        .unwrap()
    }

    /// A resolver at the namespace's 127.0.0.1:53 that takes every query and
    /// answers none, until dropped.
    pub fn silent_resolver(&self) -> Background {
        let netns = fs::File::open(format!("/run/netns/{}", self.name)).unwrap();
        let (bound, listening) = mpsc::channel();
        let resolver = Background::spawn(move |stop| {
            // SAFETY: setns moves only this thread into the namespace.
            let moved = unsafe { nix::libc::setns(netns.as_raw_fd(), nix::libc::CLONE_NEWNET) };
            assert_eq!(moved, 0, "setns into the test's namespace");
            let socket = UdpSocket::bind("127.0.0.1:53").expect("port 53 in the namespace");
            socket.set_read_timeout(Some(secs(0.01))).unwrap();
            bound.send(()).unwrap();
            let mut query = [0; 512];
            while !stop.requested() {
                let _ = socket.recv(&mut query);
            }
        });
        listening
            .recv_timeout(secs(10.0))
            .expect("the silent resolver listens");
        resolver
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}
