//! Everything waitfor tells the user, on stderr (stdout belongs to the COMMAND).
//!
//! - `report.rs`: what is said about a wait (started, ready, still waiting, timed out);
//! - `subscriber.rs`: how it is said: the tracing subscriber, its level
//!   (`-q`, `-v`, `RUST_LOG`) and its formats (sentences, JSON);
//! - `live.rs`: the live status a terminal shows instead of scrolling lines;
//! - `queue.rs`: how it gets to stderr without ever holding back the wait.

mod live;
mod queue;
mod report;
mod subscriber;

use std::time::Duration;

pub use report::{Progress, Report};
pub use subscriber::install;

/// How long waitfor waits for its last lines to be written before it exits
/// or execs: long enough for any stderr that is being read, short enough
/// that one nobody reads does not hold up the COMMAND.
const LAST_LINES_WITHIN: Duration = Duration::from_millis(250);

/// Queues one line said outside tracing (a usage error, found before the
/// subscriber exists), so that it too never blocks on stderr.
pub fn line(text: &str) {
    queue::push(queue::Message::Text(format!("{text}\n").into_bytes()));
}

/// Writes what is queued, waiting at most `LAST_LINES_WITHIN`.
pub fn flush() {
    queue::flush(LAST_LINES_WITHIN);
}
