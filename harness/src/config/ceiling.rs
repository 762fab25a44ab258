//! `[ceiling]`: the ceiling search of `hsbench ceiling`, and the checks on it.

use super::{Check, MAX_CORPUS_TXS, MAX_SECONDS, Section, invalid};
use serde::{Deserialize, Serialize};

/// `[ceiling]`: the ceiling search of `hsbench ceiling`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CeilingConfig {
    /// First offered rate (tx/s); doubled until the SLO fails.
    pub start_tps: f64,
    /// Highest rate tried (tx/s).
    pub max_tps: f64,
    /// Bisection stops when (fail − pass) ÷ pass ≤ precision.
    pub precision: f64,
    /// Length of each search probe (s).
    pub probe_s: f64,
    /// Length of each confirmation run at the found rate (s).
    pub confirm_s: f64,
    /// Confirmation runs (mean and CV are reported).
    pub repeats: u32,
    /// Start of each probe left out of its window (s).
    pub warmup_s: f64,
    /// End of each probe left out of its window (s).
    pub cooldown_s: f64,
    /// Longest wait after each probe's load for in-flight transactions (s).
    pub drain_s: f64,
    /// Length of the raw sigverify bound measurement (s); 0 skips it.
    pub bound_s: f64,
}

impl Default for CeilingConfig {
    fn default() -> Self {
        CeilingConfig {
            start_tps: 1000.0,
            max_tps: 1_000_000.0,
            precision: 0.05,
            probe_s: 5.0,
            confirm_s: 10.0,
            repeats: 3,
            warmup_s: 1.0,
            cooldown_s: 0.5,
            drain_s: 2.0,
            bound_s: 2.0,
        }
    }
}

impl Section for CeilingConfig {
    /// Positive rates and lengths, bounded seconds, a precision below 1, room for a window in every probe, at
    /// least one confirmation, and a corpus that fits.
    fn validate(&self) -> Check {
        let c = self;
        for (key, value) in [
            ("ceiling.start_tps", c.start_tps),
            ("ceiling.max_tps", c.max_tps),
            ("ceiling.precision", c.precision),
            ("ceiling.probe_s", c.probe_s),
            ("ceiling.confirm_s", c.confirm_s),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return invalid(key, format!("must be positive (got {value})"));
            }
        }
        for (key, value) in [("ceiling.probe_s", c.probe_s), ("ceiling.confirm_s", c.confirm_s)] {
            if value > MAX_SECONDS {
                return invalid(key, format!("must be at most {MAX_SECONDS} seconds (got {value})"));
            }
        }
        for (key, value) in [
            ("ceiling.warmup_s", c.warmup_s),
            ("ceiling.cooldown_s", c.cooldown_s),
            ("ceiling.drain_s", c.drain_s),
            ("ceiling.bound_s", c.bound_s),
        ] {
            if !(value.is_finite() && (0.0..=MAX_SECONDS).contains(&value)) {
                return invalid(key, format!("must be between 0 and {MAX_SECONDS} seconds (got {value})"));
            }
        }
        if c.max_tps < c.start_tps {
            return invalid("ceiling.max_tps", format!("must be ≥ start_tps ({})", c.start_tps));
        }
        if c.precision >= 1.0 {
            return invalid("ceiling.precision", format!("must be a fraction below 1 (got {})", c.precision));
        }
        if c.warmup_s + c.cooldown_s >= c.probe_s.min(c.confirm_s) {
            return invalid("ceiling.warmup_s", "warmup_s + cooldown_s must be less than probe_s and confirm_s".into());
        }
        if c.repeats == 0 {
            return invalid("ceiling.repeats", "must be ≥ 1".to_string());
        }
        if c.max_tps * c.probe_s.max(c.confirm_s) > MAX_CORPUS_TXS as f64 {
            return invalid(
                "ceiling.max_tps",
                format!("max_tps × the longest run exceeds the {MAX_CORPUS_TXS} transactions a corpus may hold"),
            );
        }
        Ok(())
    }
}
