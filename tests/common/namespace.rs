//! A network namespace of the test's own, for what loopback hides: a client
//! address that is not 127.0.0.1 (servers exempt loopback from host caches
//! and blocks), and name lookups that never leave the machine.
//!
//! The namespace has `lo` up with one address of its own (e.g. 10.213.0.1/32)
//! and its own /etc/hosts and /etc/resolv.conf, bind-mounted in a mount
//! namespace around each command run in it. resolv.conf points at 127.0.0.1
//! in the namespace, where nothing answers unless the test makes it.

use std::ffi::OsStr;
use std::fs;
use std::process::Command;

use super::{TempDir, run_ok};

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

    /// `command`, to be run inside the namespace with its hosts and resolv.conf.
    pub fn wrap(&self, command: &Command) -> Command {
        let mut wrapped = Command::new("unshare");
        wrapped
            .args(["--mount", "--propagation", "private", "--", "nsenter"])
            .arg(format!("--net=/run/netns/{}", self.name))
            .args([
                "--",
                "sh",
                "-c",
                r#"mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@""#,
            ])
            .arg(self.files.0.join("hosts"))
            .arg(self.files.0.join("resolv.conf"))
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

    /// The path of a file of the namespace's own (its hosts, resolv.conf).
    pub fn file(&self, name: impl AsRef<OsStr>) -> std::path::PathBuf {
        self.files.0.join(name.as_ref())
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}
