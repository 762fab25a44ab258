//! Load profiles → intended send times. Open loop: the times are fixed before the run and never depend on what
//! the system does.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The shape of the offered rate over the load (`[run] profile`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Profile {
    /// `run.rate_tps` throughout.
    #[default]
    Constant,
    /// Linear from `from` to `to` tx/s over the load.
    Ramp {
        /// Rate at the start (tx/s).
        from: f64,
        /// Rate at the end (tx/s).
        to: f64,
    },
    /// `rates[k]` during `[k·step_s, (k+1)·step_s)`; the last rate holds to the end.
    Step {
        /// Rates of the steps (tx/s).
        rates: Vec<f64>,
        /// Length of each step (s).
        step_s: f64,
    },
    /// Sinusoid between `low` and `high` tx/s with period `period_s`, starting at the mean, rising.
    Wave {
        /// Lowest rate (tx/s).
        low: f64,
        /// Highest rate (tx/s).
        high: f64,
        /// Period (s).
        period_s: f64,
    },
}

impl Profile {
    /// Offered rate at `t` seconds into the load when the constant rate is `rate_tps`.
    pub fn rate_at(&self, rate_tps: f64, t: f64, duration_s: f64) -> f64 {
        match self {
            Profile::Constant => rate_tps,
            Profile::Ramp { from, to } => from + (to - from) * (t / duration_s).clamp(0.0, 1.0),
            Profile::Step { rates, step_s } => {
                let k = if *step_s > 0.0 { (t / step_s) as usize } else { 0 };
                rates.get(k).or(rates.last()).copied().unwrap_or(rate_tps)
            }
            Profile::Wave { low, high, period_s } => {
                let mid = (low + high) / 2.0;
                mid + (high - low) / 2.0 * (std::f64::consts::TAU * t / period_s).sin()
            }
        }
    }

    /// Every rate the profile can take (for validation), with the constant rate `rate_tps`.
    pub fn rates(&self, rate_tps: f64) -> Vec<f64> {
        match self {
            Profile::Constant => vec![rate_tps],
            Profile::Ramp { from, to } => vec![*from, *to],
            Profile::Step { rates, .. } => rates.clone(),
            Profile::Wave { low, high, .. } => vec![*low, *high],
        }
    }

    /// Short description for console output.
    pub fn describe(&self, rate_tps: f64) -> String {
        match self {
            Profile::Constant => format!("{rate_tps} tx/s"),
            Profile::Ramp { from, to } => format!("ramp {from} → {to} tx/s"),
            Profile::Step { rates, step_s } => format!("steps {rates:?} tx/s every {step_s} s"),
            Profile::Wave { low, high, period_s } => format!("wave {low}–{high} tx/s, period {period_s} s"),
        }
    }
}

/// Intended send times (from the start of the load) of every transaction with time < `duration_s`, at most
/// `limit` of them. Constant: `i / rate`; other profiles: each gap is 1 / (rate at the previous time).
pub fn intended_offsets(profile: &Profile, rate_tps: f64, duration_s: f64, limit: u64) -> Vec<Duration> {
    offsets(profile, rate_tps, duration_s).take(clamp_usize(limit)).map(Duration::from_secs_f64).collect()
}

/// How many intended send times [`intended_offsets`] would give, counted without building them (validation asks
/// this of any config, and a profile can make millions of them).
pub fn count_offsets(profile: &Profile, rate_tps: f64, duration_s: f64, limit: u64) -> u64 {
    offsets(profile, rate_tps, duration_s).take(clamp_usize(limit)).count() as u64
}

fn clamp_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The intended send times in seconds, in order: the one recurrence both [`intended_offsets`] and
/// [`count_offsets`] walk.
fn offsets(profile: &Profile, rate_tps: f64, duration_s: f64) -> impl Iterator<Item = f64> + '_ {
    let constant = matches!(profile, Profile::Constant);
    let valid_constant = rate_tps > 0.0 && rate_tps.is_finite();
    let mut i = 0u64;
    let mut t = 0.0f64;
    let mut done = constant && !valid_constant;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if constant {
            let at = i as f64 / rate_tps;
            if at >= duration_s {
                done = true;
                return None;
            }
            i += 1;
            return Some(at);
        }
        if t >= duration_s {
            done = true;
            return None;
        }
        let at = t;
        let rate = profile.rate_at(rate_tps, t, duration_s);
        if rate > 0.0 && rate.is_finite() {
            t += 1.0 / rate;
        } else {
            done = true; // this time is the last one
        }
        Some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(p: &Profile, rate: f64, d: f64) -> usize {
        intended_offsets(p, rate, d, u64::MAX).len()
    }

    #[test]
    fn constant_matches_i_over_rate() {
        let t = intended_offsets(&Profile::Constant, 400.0, 10.0, u64::MAX);
        assert_eq!(t.len(), 4000);
        assert_eq!(t[3], Duration::from_secs_f64(3.0 / 400.0));
        assert_eq!(count(&Profile::Constant, 3.0, 1.5), 5);
        assert_eq!(intended_offsets(&Profile::Constant, 400.0, 10.0, 7).len(), 7);
    }

    #[test]
    fn shaped_profiles_integrate_their_rate() {
        // Ramp 100 → 300 over 10 s: mean 200 → ~2000 transactions.
        let n = count(&Profile::Ramp { from: 100.0, to: 300.0 }, 1.0, 10.0);
        assert!((1980..=2020).contains(&n), "{n}");
        let steps = Profile::Step { rates: vec![100.0, 500.0], step_s: 2.0 };
        let t = intended_offsets(&steps, 1.0, 4.0, u64::MAX);
        assert!((1190..=1210).contains(&t.len()), "{}", t.len());
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        let in_first = t.iter().filter(|x| x.as_secs_f64() < 2.0).count();
        assert!((199..=201).contains(&in_first), "{in_first}");
        let wave = Profile::Wave { low: 100.0, high: 300.0, period_s: 2.0 };
        let n = count(&wave, 1.0, 10.0);
        assert!((1980..=2020).contains(&n), "{n}");
        assert!((wave.rate_at(0.0, 0.5, 10.0) - 300.0).abs() < 1e-9);
    }
}
