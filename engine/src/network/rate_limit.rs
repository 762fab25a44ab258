//! How fast a validator reads one peer: token buckets in messages and in bytes per second, each holding a second's
//! worth (at least one largest frame for bytes). A reader that finds a bucket empty waits for it to refill instead of
//! reading on — nothing is dropped (consensus may not be), TCP slows the peer — so a flooding peer gets at most its
//! rate of the validator's reading and decoding, whatever it sends. Pure: the caller passes the time.

use std::time::{Duration, Instant};

/// A peer's reading rate (zero: not limited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerRate {
    /// Messages per second.
    pub messages_per_s: u32,
    /// Bytes per second (frames as they arrive).
    pub bytes_per_s: u64,
}

impl PeerRate {
    /// No limit.
    pub const UNLIMITED: PeerRate = PeerRate { messages_per_s: 0, bytes_per_s: 0 };

    /// The rate a throttled peer's checkable messages pass at: a [`THROTTLE_DIVISOR`]th of this one (of
    /// [`PEER_RATE`] where this one does not limit), at least one message and one byte a second.
    pub fn throttled(self) -> PeerRate {
        let or_default = |v: u64, default: u64| if v == 0 { default } else { v };
        let messages = or_default(u64::from(self.messages_per_s), u64::from(PEER_RATE.messages_per_s));
        let bytes = or_default(self.bytes_per_s, PEER_RATE.bytes_per_s);
        PeerRate {
            messages_per_s: u32::try_from((messages / THROTTLE_DIVISOR).max(1)).unwrap_or(u32::MAX),
            bytes_per_s: (bytes / THROTTLE_DIVISOR).max(1),
        }
    }
}

/// The fraction of its rate a throttled peer's checkable messages pass at (`Network::throttle`; the rest are
/// dropped): 1,000 messages and 25.6 MiB a second at the default rate — still ~6× and ~10× what an honest peer of a
/// 4-validator cluster sends at 30,000 tx/s.
pub const THROTTLE_DIVISOR: u64 = 20;

/// The default rate per peer: 20,000 messages and 512 MiB a second — ~130× and ~200× what an honest peer of a
/// 4-validator cluster sends at 30,000 tx/s (150 messages, 2.4 MB a second), so it holds back floods, not load.
pub const PEER_RATE: PeerRate = PeerRate { messages_per_s: 20_000, bytes_per_s: 512 << 20 };

/// One bucket: `level` tokens of at most `capacity`, refilled at `per_s`.
#[derive(Clone, Debug)]
struct Bucket {
    per_s: f64,
    capacity: f64,
    level: f64,
}

impl Bucket {
    fn new(per_s: u64, capacity: u64) -> Option<Bucket> {
        (per_s > 0).then_some(Bucket { per_s: per_s as f64, capacity: capacity as f64, level: capacity as f64 })
    }

    fn refill(&mut self, elapsed: Duration) {
        self.level = (self.level + elapsed.as_secs_f64() * self.per_s).min(self.capacity);
    }

    /// Time until the level is back to zero or more (the bucket may go below zero by one take).
    fn debt(&self) -> Duration {
        if self.level >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-self.level / self.per_s) }
    }
}

/// A peer's buckets.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    messages: Option<Bucket>,
    bytes: Option<Bucket>,
    last: Instant,
}

impl RateLimiter {
    /// Full buckets for `rate` at `now`; the byte bucket holds at least `max_frame` bytes, so any frame can pass.
    pub fn new(rate: PeerRate, max_frame: usize, now: Instant) -> RateLimiter {
        RateLimiter {
            messages: Bucket::new(u64::from(rate.messages_per_s), u64::from(rate.messages_per_s)),
            bytes: Bucket::new(rate.bytes_per_s, rate.bytes_per_s.max(max_frame as u64)),
            last: now,
        }
    }

    /// Takes `messages` messages and `bytes` bytes read at `now` if both buckets hold that much, and says whether
    /// it did; takes nothing otherwise (the caller drops what it read instead of waiting).
    pub fn try_take(&mut self, messages: u64, bytes: usize, now: Instant) -> bool {
        self.refill(now);
        let fits = self.asks(messages, bytes).all(|(b, n)| b.level >= n);
        if fits {
            self.asks(messages, bytes).for_each(|(b, n)| b.level -= n);
        }
        fits
    }

    /// Takes `messages` messages and `bytes` bytes read at `now` and says when the next may be read: `now` itself
    /// unless a bucket is in debt (it may go into debt by this one read, which is paid off by waiting).
    pub fn take(&mut self, messages: u64, bytes: usize, now: Instant) -> Instant {
        self.refill(now);
        let mut wait = Duration::ZERO;
        for (b, n) in self.asks(messages, bytes) {
            b.level -= n;
            wait = wait.max(b.debt());
        }
        now + wait
    }

    /// Refills the buckets for the time since the last take (none for a `now` before it).
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        for b in [&mut self.messages, &mut self.bytes].into_iter().flatten() {
            b.refill(elapsed);
        }
    }

    /// The buckets that limit, each with what `messages` messages and `bytes` bytes ask of it.
    fn asks(&mut self, messages: u64, bytes: usize) -> impl Iterator<Item = (&mut Bucket, f64)> {
        [(self.messages.as_mut(), messages as f64), (self.bytes.as_mut(), bytes as f64)]
            .into_iter()
            .filter_map(|(b, n)| b.map(|b| (b, n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_a_seconds_worth_passes_then_messages_come_at_the_rate() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(PeerRate { messages_per_s: 100, bytes_per_s: 0 }, 0, t0);
        for _ in 0..100 {
            assert_eq!(limiter.take(1, 10, t0), t0, "within the burst");
        }
        // The 101st puts the bucket in debt by one message: 10 ms at 100/s.
        assert_eq!(limiter.take(1, 10, t0), t0 + Duration::from_millis(10));
        let at = t0 + Duration::from_millis(10);
        assert_eq!(limiter.take(1, 10, at), at + Duration::from_millis(10));
        // After a long quiet spell the bucket is full again, not fuller.
        let later = at + Duration::from_secs(60);
        for _ in 0..100 {
            assert_eq!(limiter.take(1, 10, later), later);
        }
        assert!(limiter.take(1, 10, later) > later);
    }

    #[test]
    fn bytes_are_limited_and_a_frame_larger_than_a_seconds_worth_still_passes() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(PeerRate { messages_per_s: 0, bytes_per_s: 1000 }, 4000, t0);
        assert_eq!(limiter.take(1, 4000, t0), t0, "the bucket holds one largest frame");
        assert_eq!(limiter.take(1, 500, t0), t0 + Duration::from_millis(500));
    }

    #[test]
    fn several_messages_read_at_once_are_all_paid_for() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(PeerRate { messages_per_s: 100, bytes_per_s: 0 }, 0, t0);
        // A message and the 149 repeats dropped on the way to it: half a second of debt.
        assert_eq!(limiter.take(150, 0, t0), t0 + Duration::from_millis(500));
    }

    #[test]
    fn unlimited_never_waits() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(PeerRate::UNLIMITED, 1 << 20, t0);
        for _ in 0..100_000 {
            assert_eq!(limiter.take(1, 1 << 20, t0), t0);
        }
    }

    /// Over any stretch a reader that obeys the limiter reads at most a second's worth plus the rate × the
    /// stretch (seeded random sizes and arrival gaps).
    #[test]
    fn an_obedient_reader_never_exceeds_burst_plus_rate() {
        use rand::{RngExt, SeedableRng};
        let seed = 0x5eed_2a7e;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let rate = PeerRate { messages_per_s: 500, bytes_per_s: 200_000 };
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(rate, 10_000, t0);
        let (mut now, mut read) = (t0, Vec::new());
        for _ in 0..5_000 {
            let bytes = rng.random_range(1..10_000usize);
            read.push((now, bytes));
            let next = limiter.take(1, bytes, now);
            now = next + Duration::from_micros(rng.random_range(0..3_000));
        }
        for (i, &(start, _)) in read.iter().enumerate().step_by(97) {
            for &(end, _) in read[i..].iter().step_by(13) {
                let span = (end - start).as_secs_f64();
                let window = read[i..].iter().take_while(|(t, _)| *t <= end);
                let (messages, bytes) = window.fold((0f64, 0f64), |(m, b), (_, n)| (m + 1.0, b + *n as f64));
                // One message over: the take that went into debt is read before the wait.
                assert!(messages <= 500.0 + 500.0 * span + 1.0, "seed {seed:#x}: {messages} messages in {span} s");
                assert!(bytes <= 200_000.0 + 200_000.0 * span + 10_000.0, "seed {seed:#x}: {bytes} bytes in {span} s");
            }
        }
    }

    #[test]
    fn a_throttled_rate_is_a_twentieth_of_the_rate_or_of_the_default() {
        let r = PeerRate { messages_per_s: 2_000, bytes_per_s: 1 << 20 };
        assert_eq!(r.throttled(), PeerRate { messages_per_s: 100, bytes_per_s: (1 << 20) / 20 });
        assert_eq!(PEER_RATE.throttled(), PeerRate { messages_per_s: 1_000, bytes_per_s: (512 << 20) / 20 });
        assert_eq!(PeerRate::UNLIMITED.throttled(), PEER_RATE.throttled());
        assert_eq!(
            PeerRate { messages_per_s: 5, bytes_per_s: 3 }.throttled(),
            PeerRate { messages_per_s: 1, bytes_per_s: 1 }
        );
    }

    #[test]
    fn try_take_passes_a_seconds_worth_then_the_rate_and_never_goes_into_debt() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(PeerRate { messages_per_s: 100, bytes_per_s: 0 }, 0, t0);
        assert_eq!((0..250).filter(|_| limiter.try_take(1, 10, t0)).count(), 100, "the burst, the rest refused");
        // Refused takes took nothing: 10 ms later exactly one more fits.
        let at = t0 + Duration::from_millis(10);
        assert!(limiter.try_take(1, 10, at));
        assert!(!limiter.try_take(1, 10, at));
        let mut bytes = RateLimiter::new(PeerRate { messages_per_s: 0, bytes_per_s: 1000 }, 1000, t0);
        assert!(bytes.try_take(1, 600, t0));
        assert!(!bytes.try_take(1, 600, t0), "400 bytes left");
        assert!(bytes.try_take(1, 400, t0));
    }
}
