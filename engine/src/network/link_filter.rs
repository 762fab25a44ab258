//! The transport's own link filter: what a fault schedule does to one link (this validator → one peer) when the
//! kernel cannot, or the run may not, do it to packets — cut it (a partition), lose a share of its frames, delay them
//! by a fixed latency plus random jitter, cap its bandwidth.
//!
//! It works on whole frames at the sender, as the writer takes them from the peer's queue: a cut or lost frame is
//! dropped and counted (message loss, as on a datagram transport — over TCP a lost packet is retransmitted, so
//! `netns` loss shows up as delay instead); a delayed frame leaves no earlier than `queued + delay ± jitter`, and
//! never before the frame ahead of it (one TCP connection keeps order, so jitter reorders nothing); a bandwidth cap
//! paces frames so the link carries at most the cap (a frame occupies it for `len / rate`).
//!
//! The shaper decides from the times it is given and a seeded random stream, so its decisions are reproducible
//! and unit-tested without a clock.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// How one link is impaired; the default is a clean link.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRule {
    /// Drop every frame (a partition).
    #[serde(default)]
    pub cut: bool,
    /// Fraction of frames dropped at random, in [0, 1].
    #[serde(default)]
    pub loss: f64,
    /// Latency added to every frame (ms).
    #[serde(default)]
    pub delay_ms: f64,
    /// Each frame's latency varies uniformly by up to this much either way (ms; the result is never below zero).
    #[serde(default)]
    pub jitter_ms: f64,
    /// Most bytes per second the link carries (kB/s = 1,000 bytes/s); `None`: no cap.
    #[serde(default)]
    pub kbytes_per_s: Option<u32>,
}

/// Why a rule cannot be applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LinkRuleError {
    /// `loss` is not a fraction.
    #[error("loss = {0}: must be a fraction in [0, 1]")]
    Loss(f64),
    /// A time is negative, not finite, or longer than a minute.
    #[error("{name} = {value}: must be a finite number of milliseconds in [0, 60000]")]
    Millis {
        /// The field.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A zero bandwidth cap (a cut link is `cut`).
    #[error("kbytes_per_s = 0: cut the link instead")]
    ZeroRate,
}

impl LinkRule {
    /// Checks the rule's numbers.
    pub fn check(&self) -> Result<(), LinkRuleError> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(LinkRuleError::Loss(self.loss));
        }
        for (name, value) in [("delay_ms", self.delay_ms), ("jitter_ms", self.jitter_ms)] {
            if !(value.is_finite() && (0.0..=60_000.0).contains(&value)) {
                return Err(LinkRuleError::Millis { name, value });
            }
        }
        if self.kbytes_per_s == Some(0) {
            return Err(LinkRuleError::ZeroRate);
        }
        Ok(())
    }

    /// Whether the rule leaves the link as it is.
    pub fn is_clean(&self) -> bool {
        *self == LinkRule::default()
    }
}

/// What happens to one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Dropped: the link is cut, or the frame was lost.
    Drop,
    /// Sent once this instant has come (at once when it has already passed).
    SendAt(Instant),
}

/// One link's filter: its rule and what it remembers between frames (the random stream, when the last frame left,
/// when the link is next free under a bandwidth cap).
#[derive(Debug)]
pub struct LinkShaper {
    rule: LinkRule,
    rng: ChaCha8Rng,
    /// When the previous frame was due: no frame leaves before it (order is kept).
    last_due: Option<Instant>,
    /// Under a cap, when the link has finished carrying what was sent.
    free_at: Option<Instant>,
}

impl LinkShaper {
    /// A clean link whose random decisions come from `seed`.
    pub fn new(seed: u64) -> Self {
        LinkShaper { rule: LinkRule::default(), rng: ChaCha8Rng::seed_from_u64(seed), last_due: None, free_at: None }
    }

    /// The rule in force.
    pub fn rule(&self) -> LinkRule {
        self.rule
    }

    /// Puts `rule` in force from now on (checked first; frames already decided keep their verdicts).
    pub fn set(&mut self, rule: LinkRule) -> Result<(), LinkRuleError> {
        rule.check()?;
        self.rule = rule;
        if rule.kbytes_per_s.is_none() {
            self.free_at = None;
        }
        Ok(())
    }

    /// The verdict on a frame of `len` bytes queued at `queued`, taken from the queue at `now`.
    pub fn admit(&mut self, len: usize, queued: Instant, now: Instant) -> Verdict {
        let rule = self.rule;
        if rule.cut || (rule.loss > 0.0 && self.rng.random_bool(rule.loss)) {
            return Verdict::Drop;
        }
        let jitter = if rule.jitter_ms > 0.0 { self.rng.random_range(-rule.jitter_ms..=rule.jitter_ms) } else { 0.0 };
        let latency = Duration::from_secs_f64((rule.delay_ms + jitter).max(0.0) / 1000.0);
        let mut due = (queued + latency).max(now);
        if let Some(last) = self.last_due {
            due = due.max(last);
        }
        if let Some(rate) = rule.kbytes_per_s {
            let start = self.free_at.map_or(due, |free| due.max(free));
            self.free_at = Some(start + Duration::from_secs_f64(len as f64 / (f64::from(rate) * 1000.0)));
            due = start;
        }
        self.last_due = Some(due);
        Verdict::SendAt(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(v: Verdict) -> Instant {
        match v {
            Verdict::SendAt(t) => t,
            Verdict::Drop => panic!("dropped"),
        }
    }

    #[test]
    fn a_clean_link_sends_at_once_and_a_cut_one_drops_everything() {
        let t0 = Instant::now();
        let mut s = LinkShaper::new(1);
        assert_eq!(s.admit(100, t0, t0), Verdict::SendAt(t0));
        s.set(LinkRule { cut: true, ..LinkRule::default() }).expect("valid");
        assert!((0..100).all(|_| s.admit(100, t0, t0) == Verdict::Drop));
        s.set(LinkRule::default()).expect("valid");
        assert_eq!(s.admit(100, t0, t0), Verdict::SendAt(t0));
    }

    #[test]
    fn delay_counts_from_the_queueing_time_and_jitter_never_reorders() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = LinkShaper::new(7);
        s.set(LinkRule { delay_ms: 50.0, ..LinkRule::default() }).expect("valid");
        // Queued 30 ms ago: 20 ms left; queued 60 ms ago: overdue, so at once.
        assert_eq!(due(s.admit(10, t0, t0 + ms(30))), t0 + ms(50));
        assert_eq!(due(s.admit(10, t0 + ms(10), t0 + ms(70))), t0 + ms(70));
        s.set(LinkRule { delay_ms: 50.0, jitter_ms: 40.0, ..LinkRule::default() }).expect("valid");
        let mut previous = t0;
        let mut spread = std::collections::BTreeSet::new();
        for k in 0..1000u64 {
            let queued = t0 + ms(100 + k);
            let at = due(s.admit(10, queued, queued));
            assert!(at >= previous, "frame {k} would overtake the one before it");
            assert!(at >= queued + ms(10) && at <= queued + ms(90) || at == previous, "frame {k}: {at:?}");
            spread.insert((at - queued).as_millis());
            previous = at;
        }
        assert!(spread.len() > 20, "jitter should spread the latencies: {spread:?}");
    }

    #[test]
    fn a_bandwidth_cap_paces_frames_to_the_rate() {
        let t0 = Instant::now();
        let mut s = LinkShaper::new(3);
        s.set(LinkRule { kbytes_per_s: Some(100), ..LinkRule::default() }).expect("valid");
        // 100 frames of 1,000 bytes queued at once on a 100 kB/s link: the last leaves 0.99 s later.
        let last = (0..100).map(|_| due(s.admit(1000, t0, t0))).last().expect("100 frames");
        let spent = (last - t0).as_secs_f64();
        assert!((spent - 0.99).abs() < 1e-6, "{spent}");
    }

    #[test]
    fn loss_drops_about_its_share_the_same_way_for_the_same_seed() {
        let t0 = Instant::now();
        let run = |seed| {
            let mut s = LinkShaper::new(seed);
            s.set(LinkRule { loss: 0.3, ..LinkRule::default() }).expect("valid");
            (0..10_000).map(|_| s.admit(1, t0, t0) == Verdict::Drop).collect::<Vec<bool>>()
        };
        let (a, b) = (run(11), run(11));
        assert_eq!(a, b, "seed 11 must give the same drops");
        let dropped = a.iter().filter(|d| **d).count();
        assert!((2_700..3_300).contains(&dropped), "seed 11: {dropped} of 10,000 dropped at loss 0.3");
    }

    #[test]
    fn bad_rules_are_refused_and_the_old_one_stays() {
        let mut s = LinkShaper::new(0);
        let good = LinkRule { delay_ms: 5.0, ..LinkRule::default() };
        s.set(good).expect("valid");
        for (bad, says) in [
            (LinkRule { loss: 1.5, ..good }, "loss = 1.5"),
            (LinkRule { delay_ms: f64::NAN, ..good }, "delay_ms = NaN"),
            (LinkRule { jitter_ms: -1.0, ..good }, "jitter_ms = -1"),
            (LinkRule { kbytes_per_s: Some(0), ..good }, "kbytes_per_s = 0"),
        ] {
            let err = s.set(bad).expect_err("bad rule").to_string();
            assert!(err.contains(says), "{err}");
        }
        assert_eq!(s.rule(), good);
    }
}
