//! waitfor's modules, for the binary (`main.rs`) and the fuzz targets (`fuzz/`).
//!
//! Imports run one way, from the front-ends down to the URL vocabulary
//! (`scripts/check-imports` holds it in CI):
//!
//! ```text
//! main ─┬─ frontend ─┬─ cli ─┬─ options ─┬─ target ─┬─ probe ── url ── human ── secret
//!       │            └───────┘           └─ pacing  └─ expand ── url, local_file
//!       │            (wait_for_it, wait_for, compose_wait, dockerize, grpc_health_probe)
//!       ├─ wait ── output, deadline, shutdown ── signals (and options, target, probe)
//!       ├─ exec ─┬─ error ── face, probe (how far a failed check got)
//!       │        └─ signals
//!       └─ arena (the allocator)
//! ```
//!
//! `secret` is at the bottom: every module that reads a secret keeps it
//! there, and every line written passes through it (`output`'s queue,
//! `human`'s shortening).
//!
//! Only what `main.rs` uses is public; the rest stays inside the crate,
//! where unused code is still an error in CI.

pub mod arena;
pub mod cli;
mod deadline;
pub mod error;
pub mod exec;
mod expand;
pub mod face;
pub mod frontend;
#[doc(hidden)]
pub mod fuzzing;
mod human;
mod local_file;
pub mod options;
pub mod output;
mod pacing;
mod probe;
mod secret;
pub mod shutdown;
pub mod signals;
mod target;
mod url;
pub mod wait;

/// The version `--version` prints: the crate's, and the target it was built for.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("WAITFOR_TARGET"), ")");
