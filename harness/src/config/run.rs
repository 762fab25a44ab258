//! `[run]`: the load schedule and the measurement window, and the checks on them.

use super::{Check, MAX_CORPUS_TXS, MAX_SECONDS, Section, invalid};
use crate::loadgen::schedule::{Profile, count_offsets};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[run]`: the load schedule and the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Length of the load (s): transactions are scheduled at i / rate_tps for every i with i / rate_tps < duration.
    pub duration_s: f64,
    /// Start of the load excluded from the measurement window (s).
    pub warmup_s: f64,
    /// End of the load excluded from the measurement window (s).
    pub cooldown_s: f64,
    /// Longest wait after the load for in-flight transactions to commit and nodes to agree (s).
    pub drain_s: f64,
    /// Seed of keys, corpus and the cluster's random choices.
    pub seed: u64,
    /// Offered load (transactions per second), open loop.
    pub rate_tps: f64,
    /// Which validator each client transaction is sent to.
    pub submit_to: SubmitTo,
    /// Shape of the offered rate: `"constant"` (= `rate_tps`), `{ ramp = { from, to } }`,
    /// `{ step = { rates, step_s } }`, `{ wave = { low, high, period_s } }`.
    pub profile: Profile,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            duration_s: 10.0,
            warmup_s: 2.0,
            cooldown_s: 1.0,
            drain_s: 5.0,
            seed: 1,
            rate_tps: 400.0,
            submit_to: SubmitTo::RoundRobin,
            profile: Profile::Constant,
        }
    }
}

/// Where client transactions enter the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubmitTo {
    /// Transaction i goes to validator i mod n.
    RoundRobin,
    /// Every transaction goes to validator 0.
    Single,
}

/// Up to how many transactions [`RunConfig::corpus_len`] counts a non-constant profile exactly.
pub const EXACT_COUNT_LIMIT: u64 = 1_000_000;

impl RunConfig {
    /// Number of transactions in the corpus — every intended time before the end of the load (constant: every
    /// i ≥ 0 with i / rate < duration) — or, for a profile that is not constant and could ask for more than
    /// [`EXACT_COUNT_LIMIT`], an upper bound: its highest rate × duration + 1 (each gap is at least 1 / that rate).
    /// Validation only needs "at most"; counting millions of times one by one made it take seconds.
    pub fn corpus_len(&self) -> u64 {
        if self.profile != Profile::Constant {
            let rates = self.profile.rates(self.rate_tps);
            if !rates.iter().all(|r| r.is_finite() && *r > 0.0) {
                return 0;
            }
            let highest = rates.iter().copied().fold(0.0f64, f64::max);
            let bound = (highest * self.duration_s).floor() + 1.0;
            if bound > EXACT_COUNT_LIMIT as f64 {
                return if bound >= u64::MAX as f64 { u64::MAX } else { bound as u64 };
            }
            return count_offsets(&self.profile, self.rate_tps, self.duration_s, MAX_CORPUS_TXS + 1);
        }
        let exact = self.rate_tps * self.duration_s;
        if !(exact.is_finite() && exact >= 0.0) {
            return 0;
        }
        // ceil, but an exact product (400 × 10) must not gain a transaction at t = duration.
        let n = exact.ceil() as u64;
        if n > 0 && ((n - 1) as f64) / self.rate_tps >= self.duration_s { n - 1 } else { n }
    }

    /// The measurement window: the load minus warm-up and cool-down.
    pub fn window(&self) -> Duration {
        Duration::from_secs_f64((self.duration_s - self.warmup_s - self.cooldown_s).max(0.0))
    }
}

impl Section for RunConfig {
    /// Durations, rates, the profile's shape, the corpus size and a non-empty measurement window.
    fn validate(&self) -> Check {
        let run = self;
        if !(run.duration_s.is_finite() && run.duration_s > 0.0 && run.duration_s <= MAX_SECONDS) {
            return invalid(
                "run.duration_s",
                format!("must be a positive number of seconds up to {MAX_SECONDS} (got {})", run.duration_s),
            );
        }
        for (key, value) in
            [("run.warmup_s", run.warmup_s), ("run.cooldown_s", run.cooldown_s), ("run.drain_s", run.drain_s)]
        {
            if !(value.is_finite() && (0.0..=MAX_SECONDS).contains(&value)) {
                return invalid(key, format!("must be between 0 and {MAX_SECONDS} seconds (got {value})"));
            }
        }
        if run.warmup_s + run.cooldown_s >= run.duration_s {
            return invalid(
                "run.warmup_s",
                format!(
                    "warmup_s + cooldown_s ({} s) must be less than duration_s ({} s), or nothing is measured",
                    run.warmup_s + run.cooldown_s,
                    run.duration_s
                ),
            );
        }
        if !(run.rate_tps.is_finite() && run.rate_tps > 0.0) {
            return invalid("run.rate_tps", format!("must be a positive rate (got {})", run.rate_tps));
        }
        for rate in run.profile.rates(run.rate_tps) {
            if !(rate.is_finite() && rate > 0.0) {
                return invalid("run.profile", format!("every rate must be positive (got {rate})"));
            }
        }
        match &run.profile {
            Profile::Step { rates, step_s }
                if rates.is_empty() || !(step_s.is_finite() && *step_s > 0.0 && *step_s <= MAX_SECONDS) =>
            {
                return invalid("run.profile", format!("step needs at least one rate and 0 < step_s ≤ {MAX_SECONDS}"));
            }
            Profile::Wave { low, high, period_s }
                if low > high || !(period_s.is_finite() && *period_s > 0.0 && *period_s <= MAX_SECONDS) =>
            {
                return invalid("run.profile", format!("wave needs low ≤ high and 0 < period_s ≤ {MAX_SECONDS}"));
            }
            _ => {}
        }
        let txs = self.corpus_len();
        if txs > MAX_CORPUS_TXS {
            let asked = match (&self.profile, txs) {
                (Profile::Constant, _) => format!("rate × duration = {txs} transactions"),
                (_, u64::MAX) => "the profile's highest rate × duration is beyond counting".to_string(),
                _ => format!("the profile's highest rate × duration allows up to {txs} transactions"),
            };
            return invalid("run.rate_tps", format!("{asked}, more than the {MAX_CORPUS_TXS} a corpus may hold"));
        }
        if run.rate_tps * self.window().as_secs_f64() < 1.0 {
            return invalid(
                "run.rate_tps",
                format!(
                    "fewer than one transaction falls in the {} s measurement window at {} tx/s",
                    self.window().as_secs_f64(),
                    run.rate_tps
                ),
            );
        }
        Ok(())
    }
}
