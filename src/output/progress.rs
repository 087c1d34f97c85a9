//! What the waiting loop tells a report, whoever's words the report is in:
//! where each target stands, and the events of a wait.

use std::time::Duration;

use crate::probe::{Failure, Ready};
use crate::target::Target;

/// Where one target stands: written by the waiting loop, read here.
pub struct Progress<'a> {
    /// Where the target stands in the list given.
    pub index: usize,
    pub target: &'a Target,
    pub attempts: u32,
    /// Why the latest attempt failed.
    pub last_failure: Option<Failure>,
    /// Ready (or gone, with `--reverse`) for the first of these, of the
    /// second that `--stable` asks for.
    pub settling: Option<(Duration, Duration)>,
    /// How long it took to become ready, once it is, and what the probe noted.
    pub ready: Option<(Duration, Ready)>,
}

/// What is said as a wait goes, whoever says it; the waiting loop calls these.
pub trait Report {
    /// How often [`Report::tick`] wants to be called.
    fn tick_period(&self) -> Duration;
    fn started(&mut self, targets: &[Progress], timeout: Option<Duration>);
    /// A pause an incumbent asks for begins.
    fn pausing(&mut self, _pause: Pause, _length: Duration) {}
    fn attempt_failed(&mut self, progress: &Progress);
    /// A target is as wanted, but not yet for as long as `--stable` asks.
    fn settling(&mut self, _progress: &Progress) {}
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
    /// The COMMAND, run as a child (`--init`), ended with `code`.
    fn command_ended(&mut self, _code: i32) {}
}

/// The pauses docker-compose-wait makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    Before,
    After,
}
