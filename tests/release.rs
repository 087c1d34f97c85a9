//! What a release is: `scripts/release` writes one archive per target and
//! SHA256SUMS, byte for byte the same when run twice; and the crate itself
//! packages and installs with cargo alone, needing nothing outside it.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const TARGETS: [&str; 3] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "armv7-unknown-linux-gnueabihf",
];

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn release(into: &Path) -> Run {
    let run = run_within(
        Command::new(project().join("scripts/release"))
            .arg(into)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        secs(1200.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    run
}

#[test]
fn release_archives_are_reproducible_and_checked_by_sha256sum() {
    let (first, second) = (TempDir::new("release-1"), TempDir::new("release-2"));
    release(&first.0);
    release(&second.0);
    let version = env!("CARGO_PKG_VERSION");
    let mut names: Vec<String> = TARGETS
        .iter()
        .map(|target| format!("waitfor-{version}-{target}.tar.gz"))
        .collect();
    names.push("SHA256SUMS".into());
    let mut written: Vec<String> = fs::read_dir(&first.0)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(written, expected);
    for name in &names {
        assert!(
            fs::read(first.0.join(name)).unwrap() == fs::read(second.0.join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
    let checked = run_ok(
        Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&first.0),
    );
    assert_eq!(
        checked
            .lines()
            .filter(|line| line.ends_with(": OK"))
            .count(),
        3
    );

    for target in TARGETS {
        let archive = first.0.join(format!("waitfor-{version}-{target}.tar.gz"));
        let listing = run_ok(Command::new("tar").arg("-tvzf").arg(&archive));
        let entries: Vec<(&str, &str, &str)> = listing
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields[0], fields[1], fields[5])
            })
            .collect();
        let top = format!("waitfor-{version}-{target}");
        assert_eq!(
            entries,
            [
                ("drwxr-xr-x", "0/0", format!("{top}/").as_str()),
                ("-rw-r--r--", "0/0", &format!("{top}/LICENSE-APACHE")),
                ("-rw-r--r--", "0/0", &format!("{top}/LICENSE-MIT")),
                ("-rw-r--r--", "0/0", &format!("{top}/README.md")),
                ("-rwxr-xr-x", "0/0", &format!("{top}/waitfor")),
            ],
            "{listing}"
        );
        // The binary in the archive is the static build of that target.
        let unpacked = TempDir::new("unpacked");
        run_ok(
            Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(&unpacked.0),
        );
        let binary = unpacked.0.join(&top).join("waitfor");
        let built = project()
            .join("target")
            .join(target)
            .join("release/waitfor");
        assert!(
            fs::read(&binary).unwrap() == fs::read(&built).unwrap(),
            "{target}"
        );
        let headers = run_ok(
            Command::new("readelf")
                .arg("--program-headers")
                .arg(&binary),
        );
        assert!(
            !headers.contains("INTERP"),
            "{target} is dynamically linked"
        );
        let size = fs::metadata(&binary).unwrap().len();
        assert!(size <= 3 * 1024 * 1024, "{target}: {size} bytes");
    }
}

/// `cargo package` builds the crate from what it ships alone, and
/// `cargo install --path .` installs a binary that names its version.
#[test]
fn the_crate_packages_and_installs() {
    let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let builds = project().join("target/crate-check");
    let cargo = |args: &[&OsStr]| {
        run_within(
            Command::new(&program)
                .args(args)
                .env("CARGO_TARGET_DIR", &builds)
                .current_dir(project())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
            secs(900.0),
        )
    };
    let packaged = cargo(&["package", "--locked", "--allow-dirty", "--quiet"].map(OsStr::new));
    assert_eq!(packaged.code(), 0, "{packaged:?}");
    packaged.never_says("warning");
    let root = TempDir::new("installed");
    let install = ["install", "--locked", "--quiet", "--path", ".", "--root"].map(OsStr::new);
    let installed = cargo(&[&install[..], &[root.0.as_os_str()]].concat());
    assert_eq!(installed.code(), 0, "{installed:?}");
    let version = run_ok(Command::new(root.0.join("bin/waitfor")).arg("--version"));
    assert!(
        version.starts_with(&format!("waitfor {} (", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
}
