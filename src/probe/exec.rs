//! `exec:COMMAND ARG…`: ready when the command exits 0, and, with
//! `#match=REGEX` at the end, when what it printed matches.
//!
//! The command is split into words as a shell would (quotes, backslashes)
//! but run without one, with waitfor's environment, in a process group of
//! its own. Its stdout and stderr are read at once (the first 64 KiB of each
//! kept, the rest drained so it never blocks on a full pipe) and never reach
//! waitfor's stdout, which belongs to the COMMAND. The reason shown when it
//! fails is the last non-empty line of its stderr, or else of its stdout;
//! `#match=` looks at both. When the attempt ends, however
//! it ends (the bound of `--connect-timeout` included), the whole group is
//! killed: nothing the command started outlives its attempt.
//!
//! A process may leave the group (`setsid`, a double fork). waitfor is made
//! a child subreaper, so such a process, once its parent is gone, becomes
//! waitfor's child: every child of waitfor's that is not an attempt under
//! way is an orphan one left, and is killed and reaped when an attempt ends
//! ([`end_orphans`]). An orphan that holds the output pipes open does not
//! hold the attempt: once the command itself has exited, what is already in
//! the pipes is read for a moment, not waited on to the end. The command does
//! not see waitfor's own `WAITFOR_*` variables, which may hold secrets.

use std::collections::HashSet;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{Pid, getpid};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;

use super::body::Pattern;
use super::outcome::{Failure, Ready};
use super::wire::MOST_READ;
use crate::human;
use crate::url::percent_decoded;

/// How the key that asks for output is written after the command.
const MATCH_KEY: &str = "#match=";

#[derive(Clone)]
pub struct Exec {
    argv: Vec<String>,
    matches: Option<Pattern>,
}

/// How long what the command printed is still read after it exited, for a
/// process it left behind may hold the pipes open for ever.
const OUTPUT_AFTER_EXIT: Duration = Duration::from_millis(100);

/// The prefix of waitfor's own variables, kept from the command.
const OWN_VARIABLES: &str = "WAITFOR_";

/// The commands of the attempts under way, by PID: every other child of
/// waitfor's is an orphan an attempt left behind.
static UNDER_WAY: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

fn under_way() -> MutexGuard<'static, Option<HashSet<i32>>> {
    UNDER_WAY
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
}

/// An attempt's command: when dropped, its process group is killed, and
/// every orphan an attempt left is ended.
struct Group(Pid);

impl Drop for Group {
    fn drop(&mut self) {
        // Gone already is fine: the group ended with its last process.
        let _ = killpg(self.0, Signal::SIGKILL);
        // While it still counts as under way: the command itself is its waiter's to reap.
        end_orphans();
        if let Some(pids) = under_way().as_mut() {
            pids.remove(&self.0.as_raw());
        }
    }
}

/// Once the wait is over: ends the orphans attempts left, and stops being a
/// subreaper, which would pass to the COMMAND (the setting survives execve).
/// Nothing to do where no `exec:` target ran.
pub fn wait_over() {
    if under_way().is_none() {
        return;
    }
    end_orphans();
    let _ = nix::sys::prctl::set_child_subreaper(false);
}

/// Kills and reaps every child of waitfor's that is not the command of an
/// attempt under way (with the group it leads), and the children those
/// leave in turn. Only where an `exec:` target has run: else waitfor has no
/// children during the wait, and no orphans come to it.
fn end_orphans() {
    let under_way = under_way();
    let Some(pids) = under_way.as_ref() else {
        return;
    };
    // Each round ends the orphans there are; their own children come to waitfor as they die.
    for _ in 0..8 {
        let orphans: Vec<Pid> = children()
            .into_iter()
            .filter(|pid| !pids.contains(&pid.as_raw()))
            .collect();
        if orphans.is_empty() {
            return;
        }
        for &orphan in &orphans {
            let _ = killpg(orphan, Signal::SIGKILL);
            let _ = kill(orphan, Signal::SIGKILL);
        }
        for orphan in orphans {
            // A process killed with SIGKILL ends at once; this reaps it.
            while let Err(Errno::EINTR) = waitpid(orphan, Some(WaitPidFlag::__WALL)) {}
        }
    }
}

/// The PIDs whose parent is waitfor, from /proc.
fn children() -> Vec<Pid> {
    let own = getpid().as_raw().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            // `pid (name) state ppid …`: the name may hold spaces and parentheses.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, fields)| fields.split_whitespace().nth(1).map(|p| p == own))
                    .unwrap_or(false)
            })
        })
        .map(Pid::from_raw)
        .collect()
}

impl Exec {
    /// What follows `exec:`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (command, matches) = match text.rfind(MATCH_KEY) {
            Some(at) => {
                let pattern = percent_decoded(&text[at + MATCH_KEY.len()..])?;
                (&text[..at], Some(Pattern::new(&pattern)?))
            }
            None => (text, None),
        };
        let argv = shell_words::split(command)
            .map_err(|error| format!("exec: the command cannot be split into words: {error}"))?;
        if argv.is_empty() {
            return Err("exec: needs a command, as exec:pg_isready -h db".to_owned());
        }
        Ok(Exec { argv, matches })
    }

    pub async fn check(&self) -> Result<Ready, Failure> {
        let mut command = Command::new(&self.argv[0]);
        command
            .args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with(OWN_VARIABLES) {
                command.env_remove(name);
            }
        }
        let (mut child, _group) = {
            // Held from spawn to record, so that no sweep takes the new command for an orphan.
            let mut under_way = under_way();
            if under_way.is_none() {
                // Orphans of the command's come to waitfor, to be ended (see end_orphans).
                let _ = nix::sys::prctl::set_child_subreaper(true);
            }
            let child = command.spawn().map_err(|error| {
                Failure::new(format!(
                    "cannot run {}: {}",
                    self.argv[0],
                    human::io_error(&error)
                ))
            })?;
            let pid = child.id() as i32;
            under_way.get_or_insert_default().insert(pid);
            (child, Group(Pid::from_raw(pid)))
        };
        let stdout = child.stdout.take().map(OwnedFd::from);
        let stderr = child.stderr.take().map(OwnedFd::from);
        // Its exit is waited for on a thread of the blocking pool, which also
        // reaps it once the group is killed if the attempt ends first.
        let mut exited = tokio::task::spawn_blocking(move || child.wait());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = {
            let output = async { tokio::join!(kept(stdout, &mut out), kept(stderr, &mut err)) };
            tokio::pin!(output);
            let mut output_ended = false;
            let status = tokio::select! {
                status = &mut exited => status,
                _ = &mut output => {
                    output_ended = true;
                    (&mut exited).await
                }
            };
            if !output_ended {
                let _ = tokio::time::timeout(OUTPUT_AFTER_EXIT, &mut output).await;
            }
            status
        };
        let status = status
            .map_err(std::io::Error::from)
            .and_then(|waited| waited)
            .map_err(|error| Failure::new(human::io_error(&error)))?;
        let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
        let last_line = last_line(&err).or_else(|| last_line(&out));
        let text = format!("{out}{err}");
        if !status.success() {
            return Err(Failure::new(match last_line {
                Some(line) => format!("{}: {}", ended(status), line.trim()),
                None => ended(status),
            }));
        }
        match &self.matches {
            Some(pattern) if !pattern.is_match(&text) => Err(Failure::new(format!(
                "its output does not match {pattern}: {:?}",
                last_line.unwrap_or_default()
            ))),
            _ => Ok(Ready::default()),
        }
    }
}

/// How the command ended, in words.
fn ended(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => match Signal::try_from(signal) {
            Ok(signal) => format!("killed by {signal}"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => "ended".to_owned(),
    }
}

/// The last line of `text` with something on it.
fn last_line(text: &str) -> Option<&str> {
    text.lines().rev().find(|line| !line.trim().is_empty())
}

/// Reads what is printed on a pipe into `kept` until it closes: the first
/// [`MOST_READ`] bytes kept, the rest read and dropped; an error ends it as
/// a close does.
async fn kept(pipe: Option<OwnedFd>, kept: &mut Vec<u8>) {
    let Some(Ok(mut pipe)) = pipe.map(pipe::Receiver::from_owned_fd) else {
        return;
    };
    let mut buffer = [0u8; 4096];
    while let Ok(count @ 1..) = pipe.read(&mut buffer).await {
        let room = MOST_READ.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..count.min(room)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_and_takes_a_match() {
        let exec = Exec::parse(r#"sh -c 'echo "a b"; exit 1' x#match=^a%20b"#).unwrap();
        assert_eq!(exec.argv, ["sh", "-c", r#"echo "a b"; exit 1"#, "x"]);
        assert_eq!(exec.matches.unwrap().to_string(), "/^a b/");
        assert!(Exec::parse("").is_err());
        assert!(Exec::parse("  ").is_err());
        assert!(Exec::parse("sh -c 'unclosed").is_err());
    }
}
