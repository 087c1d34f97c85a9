//! Runs every target's probe concurrently against the deadline until the wait is over.
//!
//! Each target gets a task of its own that retries its probe until it is ready;
//! the tasks only send what happened. One loop here owns all the state, decides
//! when the wait is over (all ready, one ready with `--any`, deadline passed,
//! signal received) and tells the report. Returning drops the tasks, which
//! cancels every attempt still under way.

use std::sync::Arc;
use std::time::Duration;

use nix::sys::resource::{Resource, getrlimit};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::deadline::{AttemptBound, Deadline};
use crate::error::Error;
use crate::human;
use crate::options::{Direction, Options, Purpose, Timing, Until};
use crate::output::{Pause, Progress, Report};
use crate::probe::{self, Failure, Ready, Stage};
use crate::shutdown::Shutdown;
use crate::target::Target;

/// What a target's task reports after each attempt.
struct Attempt {
    index: usize,
    outcome: Outcome,
}

/// An attempt as the wait counts it, in the direction waited for.
enum Outcome {
    /// The target counts: ready (or, with `--reverse`, gone), and has stayed so for `--stable`.
    Done(Ready),
    /// As wanted, but not yet for `--stable`: for how long so far.
    Settling(Duration),
    NotYet(Failure),
    /// Not ready, and never will be (a Job that failed): the wait ends.
    Failed(Failure),
}

/// Waits until the targets are ready as `options.until` asks, the deadline
/// passes, or a shutdown signal arrives; with the pauses before and after
/// that an incumbent may ask for.
pub async fn until_ready(
    options: &Options,
    report: &mut dyn Report,
    shutdown: &mut Shutdown,
) -> Result<(), Error> {
    let timing = options.timing;
    let mut progress: Vec<Progress> = options
        .targets
        .iter()
        .enumerate()
        .map(|(index, target)| Progress {
            index,
            target,
            attempts: 0,
            last_failure: None,
            settling: None,
            ready: None,
        })
        .collect();
    report.started(&progress, timing.timeout);
    pause(Pause::Before, timing.pause_before, report, shutdown).await?;
    if !progress.is_empty() {
        wait(options, &mut progress, report, shutdown).await?;
    }
    pause(Pause::After, timing.pause_after, report, shutdown).await?;
    report.succeeded();
    Ok(())
}

/// Sleeps `length` (if any), unless a signal ends the wait first.
async fn pause(
    pause: Pause,
    length: Duration,
    report: &mut dyn Report,
    shutdown: &mut Shutdown,
) -> Result<(), Error> {
    if length.is_zero() {
        return Ok(());
    }
    report.pausing(pause, length);
    tokio::select! {
        signal = shutdown.requested() => Err(Error::Interrupted(signal)),
        () = tokio::time::sleep(length) => Ok(()),
    }
}

/// The wait itself: from the first attempt to the end of the last one
/// needed. Every attempt still under way then is ended before this returns,
/// so nothing an `exec:` target started is left for the COMMAND.
async fn wait(
    options: &Options,
    progress: &mut [Progress<'_>],
    report: &mut dyn Report,
    shutdown: &mut Shutdown,
) -> Result<(), Error> {
    let mut tasks = JoinSet::new();
    let waited = attempts(options, progress, report, shutdown, &mut tasks).await;
    tasks.shutdown().await;
    probe::wait_over();
    waited
}

/// Runs the attempts at every target in `tasks` until the wait is over.
async fn attempts(
    options: &Options,
    progress: &mut [Progress<'_>],
    report: &mut dyn Report,
    shutdown: &mut Shutdown,
    tasks: &mut JoinSet<()>,
) -> Result<(), Error> {
    let started = Instant::now();
    let deadline = Deadline::after(options.timing.timeout);
    let (attempts_tx, mut attempts) = mpsc::unbounded_channel();
    let slots = Arc::new(Semaphore::new(concurrent_attempts()));
    for (index, target) in options.targets.iter().enumerate() {
        tasks.spawn(retry(
            index,
            target.clone(),
            options.timing,
            options.direction,
            deadline,
            Arc::clone(&slots),
            attempts_tx.clone(),
        ));
    }

    let mut not_ready = progress.len();
    // With --any, a target that failed for good leaves the others to wait for.
    let mut in_play = progress.len();
    let mut ticks = tokio::time::interval_at(started + report.tick_period(), report.tick_period());
    // One timer for the whole wait, not a new one each time round the loop.
    let deadline_passed = deadline.passed();
    tokio::pin!(deadline_passed);
    loop {
        tokio::select! {
            // A signal or the deadline wins over an attempt that completes at the same moment.
            biased;
            signal = shutdown.requested() => {
                report.finish(progress);
                return Err(Error::Interrupted(signal));
            }
            () = &mut deadline_passed => {
                report.timed_out(progress, started.elapsed());
                return Err(ended_not_ready(options.purpose, progress));
            }
            Some(Attempt { index, outcome }) = attempts.recv() => {
                let this = &mut progress[index];
                this.attempts += 1;
                match outcome {
                    Outcome::Done(ready) => {
                        this.settling = None;
                        this.ready = Some((started.elapsed(), ready));
                        report.ready(this);
                        not_ready -= 1;
                        if not_ready == 0 || options.until == Until::AnyReady {
                            report.finish(progress);
                            return Ok(());
                        }
                    }
                    Outcome::Settling(up) => {
                        this.settling = Some((up, options.timing.stable));
                        report.settling(this);
                    }
                    Outcome::NotYet(failure) => {
                        this.settling = None;
                        this.last_failure = Some(failure);
                        report.attempt_failed(this);
                    }
                    Outcome::Failed(failure) => {
                        let reason = failure.to_string();
                        this.last_failure = Some(failure);
                        report.attempt_failed(this);
                        in_play -= 1;
                        if in_play == 0 || options.until != Until::AnyReady {
                            let target = this.target.to_string();
                            report.finish(progress);
                            return Err(Error::Failed { target, reason });
                        }
                    }
                }
                if options.timing.once && progress.iter().all(|target| target.attempts > 0) {
                    // Every target has had its one attempt: not ready is as after a timeout.
                    report.timed_out(progress, started.elapsed());
                    return Err(ended_not_ready(options.purpose, progress));
                }
            }
            _ = ticks.tick() => report.tick(progress, started.elapsed()),
        }
    }
}

/// How a wait with targets not ready ends: a timeout, or a check's answer
/// (with how far the first target not ready got, for the faces that say).
fn ended_not_ready(purpose: Purpose, progress: &[Progress]) -> Error {
    let waiting: Vec<&Progress> = progress.iter().filter(|p| p.ready.is_none()).collect();
    let (not_ready, total) = (waiting.len(), progress.len());
    match purpose {
        Purpose::Wait => Error::NotReady { not_ready, total },
        Purpose::Check => Error::Unhealthy {
            not_ready,
            total,
            stage: waiting
                .first()
                .and_then(|target| target.last_failure.as_ref())
                .map_or(Stage::Unanswered, |failure| failure.stage.clone()),
        },
    }
}

/// Probes one target until it counts (ready, or gone with `--reverse`, and
/// so for `--stable`), pausing as `--interval` and `--backoff` say.
async fn retry(
    index: usize,
    target: Target,
    timing: Timing,
    direction: Direction,
    deadline: Deadline,
    slots: Arc<Semaphore>,
    attempts: mpsc::UnboundedSender<Attempt>,
) {
    let mut failures = 0;
    let mut as_wanted_since = None;
    loop {
        let checked = {
            // The slot is held for the whole attempt: it stands for its descriptors.
            let _slot = slots.acquire().await;
            let bound = AttemptBound::new(deadline.cap(timing.connect_timeout));
            bound.run(target.check()).await.unwrap_or_else(|| {
                Err(Failure::new(format!(
                    "no answer within {}",
                    human::duration(bound.within)
                ))
                .at(Stage::Unanswered))
            })
        };
        let outcome = match wanted(checked, direction) {
            Ok(ready) => {
                failures = 0;
                let up = as_wanted_since.get_or_insert_with(Instant::now).elapsed();
                match up >= timing.stable {
                    true => Outcome::Done(ready),
                    false => Outcome::Settling(up),
                }
            }
            // A check says it in its one line, as any target not ready.
            Err(failure) if failure.terminal && !timing.once => Outcome::Failed(failure),
            Err(failure) => {
                // One failure restarts the stability window.
                as_wanted_since = None;
                failures += 1;
                Outcome::NotYet(failure)
            }
        };
        // Ready and failed are last words; with `once`, so is whatever the attempt said.
        if timing.once || matches!(outcome, Outcome::Done(_) | Outcome::Failed(_)) {
            let _ = attempts.send(Attempt { index, outcome });
            return;
        }
        let pause = match &outcome {
            Outcome::NotYet(_) => timing.pacing.after_failures(failures),
            _ => timing.pacing.interval,
        };
        if attempts.send(Attempt { index, outcome }).is_err() {
            return;
        }
        // The deadline ends the wait anyway; a pause never runs past it.
        tokio::time::sleep(deadline.cap(pause.max(target.least_pause()))).await;
    }
}

/// An attempt's result in the direction waited for: with `--reverse`, a
/// target that is not ready is what is wanted (its reason is the note), and
/// one that is ready is not.
fn wanted(checked: Result<Ready, Failure>, direction: Direction) -> Result<Ready, Failure> {
    match (direction, checked) {
        (Direction::Ready, checked) => checked,
        (Direction::Gone, Ok(_)) => Err(Failure::new("still ready")),
        (Direction::Gone, Err(failure)) => Ok(Ready::noted(failure.to_string())),
    }
}

/// How many attempts may be under way at once: each holds a socket (and a
/// name lookup may hold another), so stay well inside the descriptor limit
/// rather than fail with EMFILE when there are thousands of targets.
fn concurrent_attempts() -> usize {
    /// Descriptors kept for stdio, the event loop, the resolver's files.
    const RESERVED: u64 = 16;
    // rlim_t is 64 bits wide on 64-bit targets and 32 on armv7: widen it.
    #[allow(clippy::useless_conversion)]
    let soft_limit = getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| u64::from(soft));
    let usable = soft_limit.saturating_sub(RESERVED) / 2;
    usable.clamp(1, 4096) as usize
}
