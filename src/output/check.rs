//! What `--check` says: nothing when it finds every target as wanted
//! (unless `-v`), else one short line per target that is not, with why.
//! Docker keeps these lines in `docker inspect`'s health log and Kubernetes
//! puts them in the probe's event, where a wait's progress lines do not fit.

use std::time::Duration;

use tracing::{debug, error};

use super::progress::{Progress, Report};
use crate::human;
use crate::options::Direction;

/// How many targets that are not ready get a line of their own.
const NAMED_AT_MOST: usize = 20;

/// Reports one attempt at each target.
pub struct Check {
    direction: Direction,
}

impl Check {
    pub fn new(direction: Direction) -> Self {
        Check { direction }
    }
}

impl Report for Check {
    /// A check makes no progress lines: ticks come rarely and say nothing.
    fn tick_period(&self) -> Duration {
        Duration::from_secs(3600)
    }

    fn started(&mut self, _targets: &[Progress], _timeout: Option<Duration>) {}

    /// The line for a target that is not ready says why, at the end.
    fn attempt_failed(&mut self, _progress: &Progress) {}

    fn ready(&mut self, progress: &Progress) {
        if let Some((after, ready)) = &progress.ready {
            let note = ready.note.as_deref();
            debug!(
                target = %progress.target,
                elapsed_ms = after.as_millis() as u64,
                note,
                "{} is {} ({}){}",
                progress.target,
                match self.direction {
                    Direction::Ready => "ready",
                    Direction::Gone => "not ready, as wanted",
                },
                human::duration(*after),
                note.map(|note| format!(": {note}")).unwrap_or_default()
            );
        }
    }

    fn tick(&mut self, _targets: &[Progress], _elapsed: Duration) {}

    /// The check is over with targets not as wanted: a line for each of the
    /// first of them (an attempt still under way when the deadline passed
    /// says so), then how many more there are.
    fn timed_out(&mut self, targets: &[Progress], elapsed: Duration) {
        let not_ready: Vec<_> = targets.iter().filter(|p| p.ready.is_none()).collect();
        for progress in not_ready.iter().take(NAMED_AT_MOST) {
            let failure = match &progress.last_failure {
                Some(failure) => failure.to_string(),
                None => format!("no answer within {}", human::duration(elapsed)),
            };
            match self.direction {
                Direction::Ready => error!(
                    target = %progress.target,
                    error = %failure,
                    "{} is not ready: {failure}",
                    progress.target
                ),
                Direction::Gone => error!(
                    target = %progress.target,
                    "{} is still ready",
                    progress.target
                ),
            }
        }
        if let more @ 1.. = not_ready.len().saturating_sub(NAMED_AT_MOST) {
            error!(
                not_named = more,
                "… and {} not ready",
                human::count(more as u64, "more target", "more targets")
            );
        }
    }

    fn finish(&mut self, _targets: &[Progress]) {}
}
