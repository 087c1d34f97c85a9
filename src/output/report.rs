//! What waitfor says about a wait in its own words: when it starts, each
//! target that gets ready, what still blocks, and what never got ready.
//!
//! Each event carries a sentence for people and fields for machines: text
//! output prints the sentence, JSON prints both. When stderr is a terminal,
//! the live status replaces the scrolling progress lines.

use std::io::IsTerminal;
use std::time::Duration;

use tracing::level_filters::LevelFilter;
use tracing::{debug, error, info, warn};

use super::live::{self, Frame, Row};
use super::progress::{Progress, Report};
use super::queue::{self, Message};
use crate::human;
use crate::options::{Direction, Log, LogFormat};
use crate::probe::Ready;

/// How often the scrolling output says what still blocks.
const STILL_WAITING_EVERY: Duration = Duration::from_secs(5);
/// How often the live status is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// How many targets one line, or the list of those that never got ready, names.
const NAMED_AT_MOST: usize = 20;

/// Reports the progress of a wait, as scrolling lines or as a live status.
pub struct Native {
    live: bool,
    /// What is waited for: the words change with `--reverse`.
    direction: Direction,
}

impl Native {
    /// `level` is what the subscriber prints at: the live status stands in
    /// for the lines of the normal level only.
    pub fn new(log: Log, level: LevelFilter, direction: Direction) -> Self {
        Native {
            live: log.format == LogFormat::Text
                && level == LevelFilter::INFO
                && std::io::stderr().is_terminal(),
            direction,
        }
    }

    fn redraw(&self, targets: &[Progress]) {
        if self.live {
            queue::push(Message::Live(frame(targets, self.direction)));
        }
    }

    /// Says how many lines a stderr that was not read made waitfor drop, if any.
    fn tell_dropped(&self) {
        if let dropped @ 1.. = queue::take_dropped() {
            warn!(
                dropped,
                "{} of output dropped: stderr was not being read",
                human::count(dropped, "message", "messages")
            );
        }
    }
}

impl Report for Native {
    fn tick_period(&self) -> Duration {
        match self.live {
            true => REDRAW_EVERY,
            false => STILL_WAITING_EVERY,
        }
    }

    fn started(&mut self, targets: &[Progress], timeout: Option<Duration>) {
        let within = match timeout {
            Some(timeout) => format!("up to {}", human::duration(timeout)),
            None => "with no deadline".to_owned(),
        };
        let what = match self.direction {
            Direction::Ready => "for",
            Direction::Gone => "until these are not ready:",
        };
        info!(
            targets = targets.len(),
            timeout_ms = timeout.map(|t| t.as_millis() as u64),
            "waiting {within} {what} {}",
            names(targets.iter().map(|p| p.target.to_string()), targets.len())
        );
        self.redraw(targets);
    }

    fn settling(&mut self, progress: &Progress) {
        if let Some(window) = progress.settling {
            debug!(
                target = %progress.target,
                attempt = progress.attempts,
                "{}: {}",
                progress.target,
                settled(window, self.direction)
            );
        }
    }

    fn attempt_failed(&mut self, progress: &Progress) {
        if let Some(failure) = &progress.last_failure {
            debug!(
                target = %progress.target,
                attempt = progress.attempts,
                error = %failure,
                "{}: attempt {} failed: {failure}",
                progress.target,
                progress.attempts
            );
        }
    }

    /// A target became ready: a line, unless the live status shows it.
    fn ready(&mut self, progress: &Progress) {
        let (Some((after, ready)), false) = (&progress.ready, self.live) else {
            return;
        };
        let note = ready.note.as_deref();
        info!(
            target = %progress.target,
            elapsed_ms = after.as_millis() as u64,
            attempts = progress.attempts,
            note,
            "{} is {} after {} ({}){}",
            progress.target,
            match self.direction {
                Direction::Ready => "ready",
                Direction::Gone => "no longer ready",
            },
            human::duration(*after),
            human::count(progress.attempts, "attempt", "attempts"),
            note.map(|note| format!(": {note}")).unwrap_or_default()
        );
    }

    /// Redraws the live status, or says what still blocks.
    fn tick(&mut self, targets: &[Progress], elapsed: Duration) {
        self.tell_dropped();
        if self.live {
            self.redraw(targets);
            return;
        }
        let blocking: Vec<_> = targets.iter().filter(|p| p.ready.is_none()).collect();
        info!(
            not_ready = blocking.len(),
            elapsed_ms = elapsed.as_millis() as u64,
            "still waiting after {} for {}",
            human::duration(elapsed),
            names(
                blocking
                    .iter()
                    .map(|p| format!("{} ({})", p.target, standing(p, self.direction))),
                blocking.len()
            )
        );
    }

    /// The deadline passed: a line for each of the first targets that are not
    /// ready, then how many more there are.
    fn timed_out(&mut self, targets: &[Progress], elapsed: Duration) {
        self.finish(targets);
        let not_ready: Vec<_> = targets.iter().filter(|p| p.ready.is_none()).collect();
        for progress in not_ready.iter().take(NAMED_AT_MOST) {
            // A target whose only attempt is still under way has been silent all along.
            let failure = match (&progress.last_failure, progress.settling) {
                (_, Some(window)) => settled(window, self.direction),
                (Some(failure), None) => failure.to_string(),
                (None, None) => format!("no answer within {}", human::duration(elapsed)),
            };
            let attempts = human::count(progress.attempts, "attempt", "attempts");
            let after = human::duration(elapsed);
            match (self.direction, progress.settling) {
                (Direction::Gone, None) => error!(
                    target = %progress.target,
                    attempts = progress.attempts,
                    error = %failure,
                    "{} is still ready after {after} ({attempts})",
                    progress.target,
                ),
                _ => error!(
                    target = %progress.target,
                    attempts = progress.attempts,
                    error = %failure,
                    "{} is not {} after {after}: {failure} ({attempts})",
                    progress.target,
                    match self.direction {
                        Direction::Ready => "ready",
                        Direction::Gone => "gone",
                    },
                ),
            }
        }
        if let more @ 1.. = not_ready.len().saturating_sub(NAMED_AT_MOST) {
            error!(
                not_named = more,
                "… and {} not ready after {}",
                human::count(more as u64, "more target", "more targets"),
                human::duration(elapsed)
            );
        }
    }

    /// The wait is over: leaves the live status showing the final state.
    fn finish(&mut self, targets: &[Progress]) {
        self.redraw(targets);
        self.live = false;
        self.tell_dropped();
    }
}

/// The live status's view of `targets`: waiting targets first.
fn frame(targets: &[Progress], direction: Direction) -> Frame {
    let (ready, waiting): (Vec<&Progress>, Vec<&Progress>) =
        targets.iter().partition(|p| p.ready.is_some());
    let rows = waiting
        .iter()
        .chain(&ready)
        .take(live::ROWS_AT_MOST)
        .map(|p| Row {
            ready: p.ready.is_some(),
            name: p.target.to_string(),
            attempts: p.attempts,
            detail: match &p.ready {
                Some((after, Ready { note: None, .. })) => {
                    format!("after {}", human::duration(*after))
                }
                // The ready line is not printed under the live status: the note is shown here.
                Some((
                    after,
                    Ready {
                        note: Some(note), ..
                    },
                )) => {
                    format!("after {}: {note}", human::duration(*after))
                }
                None => standing(p, direction),
            },
        })
        .collect();
    Frame {
        rows,
        waiting: waiting.len(),
        ready: ready.len(),
    }
}

/// Where a target that does not count yet stands: inside its `--stable`
/// window, or why its last attempt failed.
fn standing(progress: &Progress, direction: Direction) -> String {
    match (&progress.last_failure, progress.settling) {
        (_, Some(window)) => settled(window, direction),
        (Some(failure), None) => failure.to_string(),
        (None, None) => "no answer yet".to_owned(),
    }
}

/// `up 600ms of 2s`: how long a target has been as wanted, of how long `--stable` asks.
fn settled((so_far, needed): (Duration, Duration), direction: Direction) -> String {
    let state = match direction {
        Direction::Ready => "up",
        Direction::Gone => "gone",
    };
    format!(
        "{state} {} of {}",
        human::duration(so_far),
        human::duration(needed)
    )
}

/// Up to [`NAMED_AT_MOST`] of `count` items, then how many more there are.
fn names(items: impl Iterator<Item = String>, count: usize) -> String {
    let mut named: Vec<String> = items.take(NAMED_AT_MOST).collect();
    if count > NAMED_AT_MOST {
        named.push(format!("and {} more", count - NAMED_AT_MOST));
    }
    named.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Settings;
    use crate::target::Target;

    #[test]
    fn the_live_status_shows_what_a_probe_noted() {
        let settings = Settings::default();
        let target = Target::parse("redis://cache", &settings).unwrap();
        let progress = [Progress {
            index: 0,
            target: &target,
            attempts: 1,
            last_failure: None,
            settling: None,
            ready: Some((
                Duration::from_millis(3),
                Ready::noted("loading was not checked"),
            )),
        }];
        let frame = frame(&progress, Direction::Ready);
        assert_eq!(frame.rows[0].detail, "after 3ms: loading was not checked");
    }
}
