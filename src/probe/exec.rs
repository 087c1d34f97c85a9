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

use std::process::{ExitStatus, Stdio};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::body::Pattern;
use super::outcome::{Failure, Ready, describe};
use super::wire::MOST_READ;
use crate::url::percent_decoded;

/// How the key that asks for output is written after the command.
const MATCH_KEY: &str = "#match=";

#[derive(Clone)]
pub struct Exec {
    argv: Vec<String>,
    matches: Option<Pattern>,
}

/// Kills a process group when dropped.
struct Group(Pid);

impl Drop for Group {
    fn drop(&mut self) {
        // Gone already is fine: the group ended with its last process.
        let _ = killpg(self.0, Signal::SIGKILL);
    }
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
        let mut child = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                Failure::new(format!("cannot run {}: {}", self.argv[0], describe(&error)))
            })?;
        let _group = child.id().map(|pid| Group(Pid::from_raw(pid as i32)));
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let ((out, err), status) = tokio::join!(
            async { tokio::join!(kept(stdout), kept(stderr)) },
            child.wait()
        );
        let status = status.map_err(|error| Failure::new(describe(&error)))?;
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

/// What is printed on a pipe until it closes: the first [`MOST_READ`]
/// bytes kept, the rest read and dropped; an error ends it as a close does.
async fn kept(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut buffer = [0u8; 4096];
    while let Ok(count @ 1..) = pipe.read(&mut buffer).await {
        let room = MOST_READ.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..count.min(room)]);
    }
    kept
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
