//! The pace of a platform that publishes no rate limit (Zalo): learned from its answers, as
//! congestion control learns a network's, instead of guessed.
//!
//! [`Aimd`] starts at a configured rate. While sends succeed and the budget is the bottleneck
//! (someone waited for a slot), it climbs: fast at first (the rate doubles about every second,
//! TCP's "slow start") until the first quota error, slowly after it ([`CLIMB`] messages a second
//! more per second: additive increase). A quota error cuts the rate to [`CUT`] of itself
//! (multiplicative decrease) — once for every error caused by one pace: sends that took their
//! slot before the cut fail because of the old pace, and do not cut again — and pauses the
//! platform for as long as needed: [`FIRST_PAUSE`], doubling while errors follow each other
//! without a success between them (a per-second quota clears at once; a per-minute one is found
//! in a few steps), up to [`LONGEST_PAUSE`]. The rate stays between a floor and a ceiling from
//! the configuration.
//!
//! Several instances each run their own: additive increase with multiplicative decrease is the
//! rule under which flows sharing one limit converge to equal shares of it (Chiu and Jain,
//! 1989), so instances on one PostgreSQL each end up with a fair share of what Zalo allows.
//!
//! Pure: time comes in as arguments; the courier's [`super::Budget`] holds one and reports
//! every outcome to it.

use std::time::Duration;

/// After a quota error the rate falls to this share of itself.
pub const CUT: f64 = 0.8;
/// After the first quota error the rate climbs by this many messages a second, per second of
/// busy sending. At a limit of 20/s a cycle from the cut back to the limit then takes 8 s and
/// about 140 sends, one of which meets the quota: under 1% of sends.
pub const CLIMB: f64 = 0.5;
/// Before the first quota error each busy success adds this much, so the rate doubles about
/// every second of busy sending.
const SLOW_START_STEP: f64 = 0.7;
/// The first pause after a quota error, and the longest.
pub const FIRST_PAUSE: Duration = Duration::from_millis(250);
pub const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// Bounds of a learned pace, messages a second (from the configuration).
pub use crate::config::PaceBounds as Bounds;

/// Which pace a send was given: a quota error on it cuts the rate only if no cut came since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

/// What a quota error did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The rate before and after (equal when the send's pace had been cut already).
    pub from: f64,
    pub to: f64,
    /// No send before this long has passed.
    pub pause: Duration,
}

#[derive(Debug, Clone)]
pub struct Aimd {
    rate: f64,
    bounds: Bounds,
    /// No quota error seen yet: climb fast.
    slow_start: bool,
    epoch: u64,
    /// Quota errors since the last success.
    errors_in_a_row: u32,
}

impl Aimd {
    pub fn new(start: f64, bounds: Bounds) -> Self {
        let bounds = Bounds {
            floor: bounds.floor.max(0.001),
            ceiling: bounds.ceiling.max(bounds.floor.max(0.001)),
        };
        Self {
            rate: start.clamp(bounds.floor, bounds.ceiling),
            bounds,
            slow_start: true,
            epoch: 0,
            errors_in_a_row: 0,
        }
    }

    /// Messages a second it allows now.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The pace a send taking its slot now is given.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch)
    }

    /// A send succeeded; `busy` when it had to wait for its slot (the pace held it back), the
    /// only case in which more pace would have helped. Returns the new rate.
    pub fn succeeded(&mut self, busy: bool) -> f64 {
        self.errors_in_a_row = 0;
        if busy {
            let step = if self.slow_start {
                SLOW_START_STEP
            } else {
                // `rate` sends a second, each adding CLIMB / rate: CLIMB a second.
                CLIMB / self.rate
            };
            self.rate = (self.rate + step).min(self.bounds.ceiling);
        }
        self.rate
    }

    /// The platform said "quota exceeded" to a send given `epoch`.
    pub fn quota_exceeded(&mut self, epoch: Epoch) -> Backoff {
        let from = self.rate;
        self.errors_in_a_row = self.errors_in_a_row.saturating_add(1);
        if epoch.0 == self.epoch {
            self.rate = (self.rate * CUT).max(self.bounds.floor);
            self.slow_start = false;
            self.epoch += 1;
        }
        let doublings = self.errors_in_a_row.saturating_sub(1).min(16);
        let pause = FIRST_PAUSE
            .saturating_mul(1u32 << doublings)
            .min(LONGEST_PAUSE);
        Backoff {
            from,
            to: self.rate,
            pause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        floor: 1.0,
        ceiling: 100.0,
    };

    /// The rate after `n` busy successes.
    fn climb(a: &mut Aimd, n: usize) -> f64 {
        for _ in 0..n {
            a.succeeded(true);
        }
        a.rate()
    }

    #[test]
    fn it_climbs_fast_until_the_first_quota_error_and_slowly_after() {
        let mut a = Aimd::new(5.0, BOUNDS);
        // About a second of sending at 5/s, then at 8.5/s: the rate has doubled twice.
        assert!((climb(&mut a, 5) - 8.5).abs() < 1e-9);
        assert!(climb(&mut a, 9) > 14.0);
        let b = a.quota_exceeded(a.epoch());
        assert!((b.to - b.from * CUT).abs() < 1e-9, "{b:?}");
        // Now a second's worth of successes adds CLIMB.
        let before = a.rate();
        let n = before.round() as usize;
        let after = climb(&mut a, n);
        assert!(
            (after - before - CLIMB).abs() < 0.05,
            "{before} → {after} after {n} sends"
        );
    }

    #[test]
    fn an_idle_pace_does_not_climb() {
        let mut a = Aimd::new(5.0, BOUNDS);
        for _ in 0..1000 {
            a.succeeded(false);
        }
        assert_eq!(a.rate(), 5.0);
    }

    #[test]
    fn sends_of_an_old_pace_cut_it_once() {
        let mut a = Aimd::new(20.0, BOUNDS);
        // Three sends were given the same pace; all three meet the quota.
        let epoch = a.epoch();
        let first = a.quota_exceeded(epoch);
        let second = a.quota_exceeded(epoch);
        let third = a.quota_exceeded(epoch);
        assert_eq!(first.to, 16.0);
        assert_eq!((second.from, second.to), (16.0, 16.0));
        assert_eq!(third.to, 16.0);
        // A send given the new pace that meets it too cuts again.
        assert_eq!(a.quota_exceeded(a.epoch()).to, 12.8);
    }

    #[test]
    fn pauses_are_short_and_double_only_while_errors_follow_each_other() {
        let mut a = Aimd::new(20.0, BOUNDS);
        assert_eq!(a.quota_exceeded(a.epoch()).pause, FIRST_PAUSE);
        assert_eq!(a.quota_exceeded(a.epoch()).pause, FIRST_PAUSE * 2);
        assert_eq!(a.quota_exceeded(a.epoch()).pause, FIRST_PAUSE * 4);
        a.succeeded(false);
        assert_eq!(a.quota_exceeded(a.epoch()).pause, FIRST_PAUSE);
        for _ in 0..40 {
            a.quota_exceeded(a.epoch());
        }
        assert_eq!(a.quota_exceeded(a.epoch()).pause, LONGEST_PAUSE);
    }

    #[test]
    fn the_rate_stays_within_its_bounds() {
        let mut a = Aimd::new(500.0, BOUNDS);
        assert_eq!(a.rate(), 100.0);
        assert_eq!(climb(&mut a, 1000), 100.0);
        for _ in 0..100 {
            a.quota_exceeded(a.epoch());
        }
        assert_eq!(a.rate(), 1.0);
        // A fixed pace: floor and ceiling at the start.
        let mut fixed = Aimd::new(
            5.0,
            Bounds {
                floor: 5.0,
                ceiling: 5.0,
            },
        );
        assert_eq!(climb(&mut fixed, 100), 5.0);
        fixed.quota_exceeded(fixed.epoch());
        assert_eq!(fixed.rate(), 5.0);
    }

    #[test]
    fn against_a_hidden_limit_it_keeps_near_it_with_few_errors() {
        // A platform allowing 20/s; the pace climbs while above it errors come. Each second
        // of the simulation sends `rate` messages; those above the limit meet the quota.
        let mut a = Aimd::new(5.0, BOUNDS);
        let (mut sent, mut errors, mut rates) = (0.0, 0u32, Vec::new());
        for second in 0..120 {
            let rate = a.rate();
            if second >= 20 {
                rates.push(rate);
            }
            if rate > 20.0 {
                errors += 1;
                sent += 20.0;
                a.quota_exceeded(a.epoch());
            } else {
                for _ in 0..rate.floor() as usize {
                    a.succeeded(true);
                }
                sent += rate;
            }
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        assert!((17.0..=20.5).contains(&mean), "mean pace {mean}");
        assert!(
            f64::from(errors) / sent < 0.02,
            "{errors} errors in {sent} sends"
        );
    }
}
