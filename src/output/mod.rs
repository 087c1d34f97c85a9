//! Everything waitfor tells the user, on stderr (stdout belongs to the COMMAND).
//!
//! - `report.rs`: what waitfor says about a wait (started, ready, still waiting, timed out);
//! - `incumbent.rs`: the same, in the words of a tool waitfor stands in for;
//! - `subscriber.rs`: how it is said: the tracing subscriber, its level
//!   (`-q`, `-v`, `RUST_LOG`) and its formats (sentences, JSON);
//! - `live.rs`: the live status a terminal shows instead of scrolling lines;
//! - `queue.rs`: how it gets to stderr without ever holding back the wait.

mod incumbent;
mod live;
mod queue;
mod report;
mod subscriber;

use std::time::Duration;

use tracing::level_filters::LevelFilter;

use crate::options::{Options, Voice};
pub use report::Progress;
pub use subscriber::install;

/// What is said as a wait goes, whoever says it; the waiting loop calls these.
pub trait Report {
    /// How often [`Report::tick`] wants to be called.
    fn tick_period(&self) -> Duration;
    fn started(&mut self, targets: &[Progress], timeout: Option<Duration>);
    /// A pause an incumbent asks for begins.
    fn pausing(&mut self, _pause: Pause, _length: Duration) {}
    fn attempt_failed(&mut self, progress: &Progress);
    /// A target became ready.
    fn ready(&mut self, progress: &Progress);
    /// Called every [`Report::tick_period`] while the wait goes on.
    fn tick(&mut self, targets: &[Progress], elapsed: Duration);
    /// The deadline passed.
    fn timed_out(&mut self, targets: &[Progress], elapsed: Duration);
    /// The wait is over: ready as asked, or interrupted.
    fn finish(&mut self, targets: &[Progress]);
    /// Everything is ready and every pause over: the hand-off comes next.
    fn succeeded(&mut self) {}
}

/// The pauses docker-compose-wait makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    Before,
    After,
}

/// The report `options.voice` asks for; `level` is what the subscriber prints at.
pub fn report(options: &Options, level: LevelFilter) -> Box<dyn Report> {
    match &options.voice {
        Voice::Native => Box::new(report::Native::new(options.log, level)),
        voice => incumbent::report(voice.clone(), options.command.is_some()),
    }
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
