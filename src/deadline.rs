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
