//! The last whole second of commits — how many, and their p99 latency (coordinated-omission corrected) — for the
//! live view: the run's own figures come from the whole window, this is only what a watcher sees move.

use super::books::new_histogram;
use hdrhistogram::Histogram;
use std::time::Duration;

/// Commits in one second of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SecondStats {
    /// End of the second (time since the load started); zero before the first second ended.
    pub until: Duration,
    /// Transactions committed in it.
    pub committed: u64,
    /// p99 of their latency from intended send time (µs); 0 when none committed.
    pub p99_us: u64,
}

impl SecondStats {
    /// Committed per second over the interval (the interval is one second, or a little more between polls).
    pub fn committed_tps(&self, length: Duration) -> f64 {
        if length.is_zero() { 0.0 } else { self.committed as f64 / length.as_secs_f64() }
    }
}

/// Collects commits into the current second and closes it once a second has passed.
#[derive(Clone, Debug)]
pub struct LastSecond {
    from: Option<Duration>,
    committed: u64,
    latency: Histogram<u64>,
    last: SecondStats,
    last_length: Duration,
}

impl Default for LastSecond {
    fn default() -> Self {
        LastSecond {
            from: None,
            committed: 0,
            latency: new_histogram(),
            last: SecondStats::default(),
            last_length: Duration::ZERO,
        }
    }
}

impl LastSecond {
    /// One commit with latency `us`.
    pub fn record(&mut self, us: u64) {
        self.committed += 1;
        self.latency.saturating_record(us.max(1));
    }

    /// At `now`: closes the current second when one has passed since it began, and returns the last closed
    /// second with its length.
    pub fn roll(&mut self, now: Duration) -> (SecondStats, Duration) {
        let from = *self.from.get_or_insert(now);
        let length = now.saturating_sub(from);
        if length >= Duration::from_secs(1) {
            let p99_us = if self.committed == 0 { 0 } else { self.latency.value_at_quantile(0.99) };
            self.last = SecondStats { until: now, committed: self.committed, p99_us };
            self.last_length = length;
            self.committed = 0;
            self.latency.reset();
            self.from = Some(now);
        }
        (self.last, self.last_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_closes_only_when_it_has_passed() {
        let mut s = LastSecond::default();
        assert_eq!(s.roll(Duration::from_millis(100)).0, SecondStats::default());
        for us in 1..=100 {
            s.record(us * 1000);
        }
        assert_eq!(s.roll(Duration::from_millis(900)).0.committed, 0, "not a second yet");
        let (last, length) = s.roll(Duration::from_millis(1100));
        assert_eq!(last.committed, 100);
        assert!((99_000..=99_500).contains(&last.p99_us), "{}", last.p99_us);
        assert_eq!(length, Duration::from_secs(1));
        assert_eq!(last.committed_tps(length), 100.0);
        let (next, _) = s.roll(Duration::from_millis(2200));
        assert_eq!((next.committed, next.p99_us), (0, 0), "an idle second reads zero");
    }
}
