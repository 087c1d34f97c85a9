//! The overall deadline, and how it bounds each attempt.
//!
//! One type carries "wait forever" (`--timeout 0`) so that no caller has to
//! special-case it, and every per-attempt bound is cut to what is left of it.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Option<Instant>,
}

impl Deadline {
    /// A deadline `timeout` from now; `None`, or one too far off for the
    /// clock to represent, never passes.
    pub fn after(timeout: Option<Duration>) -> Self {
        Deadline {
            at: timeout.and_then(|timeout| Instant::now().checked_add(timeout)),
        }
    }

    /// `bound`, or what is left before the deadline where that is less.
    pub fn cap(&self, bound: Duration) -> Duration {
        match self.at {
            Some(at) => bound.min(at.saturating_duration_since(Instant::now())),
            None => bound,
        }
    }

    /// Resolves when the deadline passes; never, for a deadline that never does.
    pub async fn passed(&self) {
        match self.at {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

/// The time one attempt has: from `--connect-timeout`, cut to the deadline.
#[derive(Debug, Clone, Copy)]
pub struct AttemptBound {
    /// The bound as given, for saying what ran out.
    pub within: Duration,
    pub ends: Instant,
}

tokio::task_local! {
    /// The bound of the attempt under way on this task, so that a step of it
    /// (a name lookup) can say that it was the one that ran out of time.
    static ATTEMPT: AttemptBound;
}

impl AttemptBound {
    pub fn new(within: Duration) -> Self {
        // A bound too far off for the clock (`--connect-timeout` of centuries,
        // with no deadline to cut it) ends in 30 years, as tokio's timeout does.
        let now = Instant::now();
        AttemptBound {
            within,
            ends: now
                .checked_add(within)
                .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400)),
        }
    }

    /// Runs `attempt` within the bound; `None` if the bound passed first.
    pub async fn run<F: Future>(self, attempt: F) -> Option<F::Output> {
        tokio::time::timeout_at(self.ends, ATTEMPT.scope(self, attempt))
            .await
            .ok()
    }

    /// The bound of the attempt this task is running, if it is running one.
    pub fn current() -> Option<Self> {
        ATTEMPT.try_with(|bound| *bound).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_bound_too_far_off_does_not_overflow() {
        let bound = AttemptBound::new(Duration::MAX);
        assert!(bound.ends > Instant::now() + Duration::from_secs(365 * 86_400));
        assert_eq!(bound.within, Duration::MAX);
    }
}
