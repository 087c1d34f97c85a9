//! The drop-in front-ends: waitfor answering to the name of a tool it
//! replaces (`../shared/DESIGN.md`, "Drop-in front-ends").
//!
//! Each module reads its incumbent's arguments and environment exactly as
//! the incumbent does, with its defaults, and only translates them into the
//! [`Invocation`] the native command line also fills: the same checks in
//! [`Options::new`], the same waiting core, deadline, signals and hand-off.
//! What is the incumbent's own besides is its words ([`Voice`], said by
//! `output/incumbent.rs`), its usage text and its exit codes
//! ([`Error::Incumbent`], and a timeout's code in `error.rs`).
//!
//! [`Invocation`]: crate::options::Invocation
//! [`Voice`]: crate::options::Voice

mod args;
mod compose_wait;
mod dockerize;
mod go_flags;
mod grpc_health_probe;
mod wait_for;
mod wait_for_it;

use std::ffi::OsString;

use crate::cli;
use crate::error::Error;
use crate::face::Face;
use crate::options::Options;

/// Parses `args` (the program name first) as the tool `face` stands for.
pub fn parse(face: Face, args: Vec<OsString>) -> Result<Options, Error> {
    let environment = |name: &str| std::env::var(name).ok();
    let mut args = args.into_iter();
    let invoked = args.next().unwrap_or_default();
    let args: Vec<OsString> = args.collect();
    match face {
        Face::Native => cli::parse(std::iter::once(invoked).chain(args)),
        Face::WaitForIt => wait_for_it::parse(&basename(&invoked), args, &environment),
        Face::WaitFor => wait_for::parse(&invoked.to_string_lossy(), args, &environment),
        Face::ComposeWait => compose_wait::parse(&environment),
        Face::Dockerize => dockerize::parse(args),
        Face::GrpcHealthProbe => grpc_health_probe::parse(args),
    }
}

/// The name a program was invoked by, as `${0##*/}` gives it.
pub fn basename(invoked: &OsString) -> String {
    let invoked = invoked.to_string_lossy();
    invoked.rsplit('/').next().unwrap_or_default().to_owned()
}

/// Property tests: whatever the arguments and environment, every front-end
/// ends in options, its own answer (usage text, a refusal) or help, and
/// never panics.
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces the incumbents' command lines and variables are made of.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z0-9.:/@%?#=\\[\\]_ '\"-]{0,16}",
            prop::sample::select(vec![
                "-h",
                "-p",
                "-t",
                "-s",
                "-q",
                "--",
                "--help",
                "--host=",
                "--timeout=",
                "-qt1",
                "-q-",
                "-v",
                "-wait",
                "--wait=",
                "-timeout",
                "-exec",
                "-exec=f",
                "-addr",
                "-tls",
                "-rpc-header",
                "-service",
                "db:5432",
                "tcp://db:1",
                "http://web/",
                "file:///tmp/x",
                "1m30s",
                "0",
                "-1",
                "5",
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest! {
        #[test]
        fn no_front_end_panics(
            args in prop::collection::vec(word(), 0..8),
            values in prop::collection::vec(word(), 12),
        ) {
            let names = [
                "WAITFORIT_HOST", "WAITFORIT_PORT", "WAITFORIT_TIMEOUT", "HOST", "PORT",
                "WAIT_HOSTS", "WAIT_PATHS", "WAIT_TIMEOUT", "WAIT_COMMAND",
                "WAIT_LOGGER_LEVEL", "WAIT_BEFORE_HOSTS", "WAIT_SLEEP_INTERVAL",
            ];
            let env = |name: &str| {
                names.iter().position(|n| *n == name).map(|i| values[i].clone())
            };
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            for outcome in [
                wait_for_it::parse("wait-for-it.sh", args.clone(), &env),
                wait_for::parse("/wait-for", args.clone(), &env),
                compose_wait::parse(&env),
                dockerize::parse(args.clone()),
                grpc_health_probe::parse(args.clone()),
            ] {
                match outcome {
                    Ok(_) | Err(Error::Incumbent { .. } | Error::Help(_)) => {}
                    Err(other) => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}
