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
    }
}

/// The name a program was invoked by, as `${0##*/}` gives it.
pub fn basename(invoked: &OsString) -> String {
    let invoked = invoked.to_string_lossy();
    invoked.rsplit('/').next().unwrap_or_default().to_owned()
}
