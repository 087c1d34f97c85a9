//! Everything waitfor tells the user, on stderr (stdout belongs to the COMMAND).
//!
//! - `progress.rs`: what the waiting loop tells a report;
//! - `report.rs`: what waitfor says about a wait (started, ready, still waiting, timed out);
//! - `check.rs`: what `--check` says (nothing, or what is not ready);
//! - `incumbent.rs`: the same, in the words of a tool waitfor stands in for;
//! - `subscriber.rs`: how it is said: the tracing subscriber, its level
//!   (`-q`, `-v`, `RUST_LOG`) and its formats (sentences, JSON);
//! - `live.rs`: the live status a terminal shows instead of scrolling lines;
//! - `queue.rs`: how it gets to stderr without ever holding back the wait.

mod check;
mod incumbent;
mod live;
mod progress;
mod queue;
mod report;
mod subscriber;

use std::time::Duration;

use tracing::level_filters::LevelFilter;

use crate::options::{Options, Purpose};
pub use progress::{Pause, Progress, Report};
pub use subscriber::install;

/// The report `options.voice` asks for; `level` is what the subscriber prints at.
pub fn report(options: &Options, level: LevelFilter) -> Box<dyn Report> {
    incumbent::report(&options.voice, options.command.is_some()).unwrap_or_else(|| {
        match options.purpose {
            Purpose::Wait => Box::new(report::Native::new(options.log, level, options.direction)),
            Purpose::Check => Box::new(check::Check::new(options.direction)),
        }
    })
}

/// How long waitfor waits for its last lines to be written before it exits
/// or execs: long enough for any stderr that is being read, short enough
/// that one nobody reads does not hold up the COMMAND.
const LAST_LINES_WITHIN: Duration = Duration::from_millis(250);

/// Queues one line said outside tracing (a usage error, found before the
/// subscriber exists), so that it too never blocks on stderr.
pub fn line(text: &str) {
    queue::push(queue::Message::Text(format!("{text}\n").into_bytes()));
}

/// Queues text an incumbent prints as it is (its usage text, already in lines).
pub fn text(text: &str) {
    queue::push(queue::Message::Text(text.as_bytes().to_vec()));
}

/// Writes what is queued, waiting at most `LAST_LINES_WITHIN`.
pub fn flush() {
    queue::flush(LAST_LINES_WITHIN);
}
