//! Files waitfor is told to read (`VAR_FILE` secrets, `--ca-cert`, the
//! client certificate and key): read only when they are what the user
//! meant, and only so far.
//!
//! A path from a manifest may be a typo, a mount that is not there, or not
//! what it seems: `/dev/zero` (endless), a FIFO nobody writes (a read that
//! never returns, before any signal handler exists: as PID 1, `docker stop`
//! would be ignored), a symbolic link into `/proc` (the environment of the
//! process reading it). So a file is opened without blocking, read only when
//! it is a regular file of a real filesystem and no larger than the bound
//! its kind allows, and never read past that bound, whatever its size said.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::statfs::{self, FsType};

use crate::human;

/// The most a secret or a private key file may hold.
pub const SECRET_AT_MOST: u64 = 64 * 1024;
/// The most a certificate file (a whole CA bundle, say) may hold.
pub const CERTIFICATES_AT_MOST: u64 = 4 * 1024 * 1024;

/// The kernel's own filesystems: their files are views of the kernel's
/// state (a process's environment, memory, a device), never a secret or a
/// certificate someone wrote.
const KERNEL_FILESYSTEMS: &[FsType] = &[
    statfs::PROC_SUPER_MAGIC,
    statfs::SYSFS_MAGIC,
    statfs::DEBUGFS_MAGIC,
    statfs::TRACEFS_MAGIC,
    statfs::SECURITYFS_MAGIC,
    statfs::CGROUP_SUPER_MAGIC,
    statfs::CGROUP2_SUPER_MAGIC,
    statfs::BPF_FS_MAGIC,
    statfs::DEVPTS_SUPER_MAGIC,
];

/// The bytes of the regular file at `path`, if it holds at most `at_most`.
/// The error says what the path is instead, quoting the path (not the content).
pub fn read(path: &Path, at_most: u64) -> Result<Vec<u8>, String> {
    let shown = human::quoted(&path.display().to_string());
    let failed = |reason: String| format!("{shown}: {reason}");
    // Non-blocking: opening a FIFO must not wait for a writer.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(|error| failed(human::io_error(&error)))?;
    let metadata = file
        .metadata()
        .map_err(|error| failed(human::io_error(&error)))?;
    let kind = metadata.file_type();
    let other = match () {
        _ if kind.is_file() => None,
        _ if kind.is_dir() => Some("a directory"),
        _ if kind.is_fifo() => Some("a FIFO (a named pipe)"),
        _ if kind.is_char_device() => Some("a character device"),
        _ if kind.is_block_device() => Some("a block device"),
        _ if kind.is_socket() => Some("a socket"),
        _ => Some("not a file"),
    };
    if let Some(other) = other {
        return Err(failed(format!("is {other}, not a regular file")));
    }
    if let Ok(filesystem) = statfs::fstatfs(&file) {
        if KERNEL_FILESYSTEMS.contains(&filesystem.filesystem_type()) {
            let via_link = path.is_symlink() || path.canonicalize().is_ok_and(|real| real != path);
            return Err(failed(format!(
                "{} a file of the kernel's (/proc, /sys), not one written to be read",
                if via_link { "leads to" } else { "is" }
            )));
        }
    }
    if metadata.len() > at_most {
        return Err(failed(too_large(metadata.len(), at_most)));
    }
    read_at_most(file, at_most).map_err(failed)
}

/// Reads `file` to its end, refusing at the first byte past `at_most`
/// (a file can grow, or say a size it does not have).
fn read_at_most(file: File, at_most: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    file.take(at_most + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| human::io_error(&error))?;
    match bytes.len() as u64 > at_most {
        true => Err(format!(
            "holds more than the {} waitfor reads from it",
            human::bytes(at_most)
        )),
        false => Ok(bytes),
    }
}

fn too_large(size: u64, at_most: u64) -> String {
    format!(
        "is {} long, more than the {} waitfor reads from it",
        human::bytes(size),
        human::bytes(at_most)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        for (path, why) in [
            ("/dev/zero", "a character device"),
            ("/proc/self/environ", "a file of the kernel's"),
            ("/tmp", "a directory"),
            ("/nonexistent/secret", "no such file"),
        ] {
            let error = read(Path::new(path), SECRET_AT_MOST).unwrap_err();
            assert!(error.contains(why), "{path}: {error}");
        }
        let dir = std::env::temp_dir().join(format!("waitfor-local-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; 100]).unwrap();
        assert!(
            read(&big, 99)
                .unwrap_err()
                .contains("more than the 99 bytes")
        );
        assert_eq!(read(&big, 100).unwrap().len(), 100);
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(read(&fifo, 10).unwrap_err().contains("a FIFO"));
        let link = dir.join("environ");
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        assert!(
            read(&link, 10)
                .unwrap_err()
                .contains("leads to a file of the kernel's")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
