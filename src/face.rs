//! Which tool's contract a run of waitfor keeps: its own, or that of an
//! incumbent it stands in for, chosen by the name it was invoked by (the
//! basename of `argv[0]`, as busybox does), so that a copy or a link named
//! `wait-for-it.sh` is the whole migration.

use std::ffi::OsStr;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// waitfor's own command line (any name not listed below).
    Native,
    /// vishnubob/wait-for-it: `wait-for-it`, `wait-for-it.sh`, `wait_for_it.sh`.
    WaitForIt,
    /// eficode/wait-for: `wait-for`, `wait-for.sh`.
    WaitFor,
    /// ufoscout/docker-compose-wait: `wait`, configured by `WAIT_*` only.
    ComposeWait,
    /// jwilder/dockerize's `-wait` family: `dockerize`.
    Dockerize,
    /// grpc-ecosystem/grpc-health-probe: `grpc_health_probe`, one check.
    GrpcHealthProbe,
}

impl Face {
    /// The face `argv0` names; waitfor's own for every other name.
    pub fn invoked_as(argv0: &OsStr) -> Face {
        match Path::new(argv0).file_name().and_then(OsStr::to_str) {
            // The names the scripts are also saved under (`./wait-for.sh db:27017 -- …`).
            Some("wait-for-it" | "wait-for-it.sh" | "wait_for_it.sh") => Face::WaitForIt,
            Some("wait-for" | "wait-for.sh") => Face::WaitFor,
            Some("wait") => Face::ComposeWait,
            Some("dockerize") => Face::Dockerize,
            Some("grpc_health_probe") => Face::GrpcHealthProbe,
            _ => Face::Native,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basename_chooses() {
        for (argv0, face) in [
            ("/wait-for-it.sh", Face::WaitForIt),
            ("/usr/local/bin/wait-for-it", Face::WaitForIt),
            ("wait-for", Face::WaitFor),
            ("./wait-for.sh", Face::WaitFor),
            ("/app/wait_for_it.sh", Face::WaitForIt),
            ("wait_for.sh", Face::Native),
            ("./wait", Face::ComposeWait),
            ("/usr/bin/dockerize", Face::Dockerize),
            ("/bin/grpc_health_probe", Face::GrpcHealthProbe),
            ("/waitfor", Face::Native),
            ("wait-for-it.bash", Face::Native),
            ("", Face::Native),
        ] {
            assert_eq!(Face::invoked_as(OsStr::new(argv0)), face, "{argv0}");
        }
    }
}
