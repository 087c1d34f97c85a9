//! How long a target's task pauses between attempts: `--interval` every
//! time, or, with `--backoff MAX`, a pause that doubles after each failed
//! attempt from `--interval` up to MAX, with jitter.
//!
//! The jitter is "equal jitter": each pause is half the backed-off value
//! plus a random part of the other half. The random half is what matters
//! when a hundred replicas restart together: their attempts spread over
//! time instead of reaching a recovering database in lockstep. The fixed
//! half keeps a floor under the pause, so backing off does cut the number
//! of attempts (full jitter, 0 to the value, would allow bursts of near-zero
//! pauses). No pause exceeds MAX, so a target that becomes ready is still
//! seen within one capped pause.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    pub interval: Duration,
    /// The longest pause; `None`: always `interval`.
    pub backoff: Option<Duration>,
}

impl Pacing {
    /// The pause after the `failures`-th failed attempt in a row (1 for the first).
    pub fn after_failures(&self, failures: u32) -> Duration {
        let Some(most) = self.backoff else {
            return self.interval;
        };
        // 2^(failures-1) × interval, without overflow: the cap is reached long before.
        let doublings = failures.saturating_sub(1).min(30);
        let backed_off = self
            .interval
            .checked_mul(1 << doublings)
            .map_or(most, |pause| pause.min(most));
        let half = backed_off / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// A number in [0, 1), from the standard library's randomly keyed hasher
/// (each `RandomState` is keyed afresh): no random-number crate needed for this.
fn random_fraction() -> f64 {
    let random = RandomState::new().build_hasher().finish();
    (random >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_interval_without_backoff() {
        let pacing = Pacing {
            interval: Duration::from_millis(100),
            backoff: None,
        };
        assert_eq!(pacing.after_failures(1), Duration::from_millis(100));
        assert_eq!(pacing.after_failures(50), Duration::from_millis(100));
    }

    #[test]
    fn doubles_up_to_the_cap_with_half_of_it_random() {
        let pacing = Pacing {
            interval: Duration::from_millis(100),
            backoff: Some(Duration::from_secs(5)),
        };
        for (failures, value) in [(1, 100), (2, 200), (3, 400), (7, 5000), (1000, 5000)] {
            let value = Duration::from_millis(value);
            let pauses: Vec<Duration> = (0..200).map(|_| pacing.after_failures(failures)).collect();
            assert!(
                pauses.iter().all(|p| *p >= value / 2 && *p <= value),
                "{failures}: {pauses:?}"
            );
            let distinct: std::collections::HashSet<_> = pauses.iter().collect();
            assert!(
                distinct.len() > 150,
                "the pauses are spread: {}",
                distinct.len()
            );
        }
    }
}
