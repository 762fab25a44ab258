//! A stage's cost as a line: busy cores = fixed + marginal × committed rate, fitted to the rates a ceiling search
//! (or several runs) measured.
//!
//! Why not one cost per transaction: a stage's busy time has a part that does not grow with the rate — per block
//! (votes, certificates, a storage commit; blocks come every `min_block_interval_ms` at any load) and per second
//! (timers, polling) — and a part that does. Divided by the committed rate, the fixed part looks like a per-tx
//! cost that shrinks as the rate grows: the node stage of one published ceiling search was ~9 % busy at 1,000 tx/s
//! and ~13.5 % at 30,000, so its 4.9 µs/tx at the ceiling was two thirds fixed cost, and scaling 4.9 µs/tx to
//! 1,000,000 tx/s overstated it about threefold. A search measures the same stages at a dozen rates from near
//! idle to the ceiling, which is what a line needs.
//!
//! The fit is ordinary least squares of busy cores (`cost_ns_per_tx × committed_tps ÷ 10⁹`, all the stage's
//! threads together) on the committed rate, over every sample that met the SLO. It is used when there are at
//! least [`MIN_SAMPLES`] samples spanning a factor of [`MIN_SPAN`] in rate and it gives a non-negative fixed part
//! and a positive marginal cost; otherwise the stage falls back to the proportional model (no fixed part,
//! least squares through the origin, which for one sample is exactly its measured cost per transaction), and
//! the plan says why.

use serde::Serialize;

/// Fewest samples a line is fitted to.
pub const MIN_SAMPLES: usize = 3;
/// Least ratio of the highest to the lowest sampled rate for a line (closer rates cannot separate the parts).
pub const MIN_SPAN: f64 = 2.0;

/// One measurement of a stage: the committed rate and the busy cores it took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Committed tx/s.
    pub tps: f64,
    /// Busy cores (busy core-seconds per second over all the stage's threads).
    pub busy_cores: f64,
}

impl Sample {
    /// A sample from a stage's cost per committed transaction at `tps`.
    pub fn from_cost(tps: f64, cost_ns_per_tx: f64) -> Self {
        Sample { tps, busy_cores: cost_ns_per_tx * tps / 1e9 }
    }
}

/// How the model was obtained.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ModelBasis {
    /// A least-squares line through the samples.
    Line {
        /// Samples used.
        samples: usize,
        /// Lowest sampled rate (tx/s).
        min_tps: f64,
        /// Highest sampled rate (tx/s).
        max_tps: f64,
        /// Coefficient of determination of the line over the samples (1 = every sample on it).
        r_squared: f64,
    },
    /// No fixed part; the marginal cost is the least-squares slope through the origin.
    Proportional {
        /// Samples used.
        samples: usize,
        /// Why no line was used.
        reason: String,
    },
}

/// A stage's busy cores as a function of the committed rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// Busy cores at any rate (per-block and per-second work).
    pub fixed_cores: f64,
    /// Busy core-ns each further committed transaction adds.
    pub marginal_ns_per_tx: f64,
    /// How it was obtained.
    pub basis: ModelBasis,
}

impl CostModel {
    /// Busy cores at `tps`.
    pub fn busy_cores(&self, tps: f64) -> f64 {
        self.fixed_cores + self.marginal_ns_per_tx * tps / 1e9
    }

    /// The rate at which `cores` cores are 100 % busy (0 when the fixed part alone fills them; never when nothing
    /// grows with the rate).
    pub fn saturation_tps(&self, cores: f64) -> f64 {
        saturation_tps(self.fixed_cores, self.marginal_ns_per_tx, cores)
    }

    /// Whether a line was fitted (not the proportional fallback).
    pub fn is_line(&self) -> bool {
        matches!(self.basis, ModelBasis::Line { .. })
    }
}

/// The rate at which `cores` cores are 100 % busy with `fixed_cores` + `marginal_ns_per_tx` per transaction (0 when
/// the fixed part alone fills them; never when nothing grows with the rate). Also used for a core carrying several
/// stages' lines.
pub fn saturation_tps(fixed_cores: f64, marginal_ns_per_tx: f64, cores: f64) -> f64 {
    let room = cores - fixed_cores;
    if room <= 0.0 {
        0.0
    } else if marginal_ns_per_tx > 0.0 {
        room * 1e9 / marginal_ns_per_tx
    } else {
        f64::INFINITY
    }
}

/// The model for `samples` (those with a positive rate; see the module docs for the rule).
pub fn fit(samples: &[Sample]) -> CostModel {
    let usable: Vec<Sample> =
        samples.iter().copied().filter(|s| s.tps > 0.0 && s.tps.is_finite() && s.busy_cores.is_finite()).collect();
    let n = usable.len();
    let (lo, hi) = rate_range(&usable);
    let reason = if n < MIN_SAMPLES {
        format!("{n} sample(s) with stage costs; a line needs {MIN_SAMPLES}")
    } else if hi < lo * MIN_SPAN {
        format!("sampled rates span {:.2}×; a line needs {MIN_SPAN}×", hi / lo)
    } else {
        match line(&usable, (lo, hi)) {
            Ok(model) => return model,
            Err(why) => why,
        }
    };
    proportional(&usable, reason)
}

/// The lowest and highest sampled rate.
fn rate_range(samples: &[Sample]) -> (f64, f64) {
    samples.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), s| (lo.min(s.tps), hi.max(s.tps)))
}

/// The least-squares line through `samples` (whose rates span `min_tps`..`max_tps`), or why it is not used.
fn line(samples: &[Sample], (min_tps, max_tps): (f64, f64)) -> Result<CostModel, String> {
    let n = samples.len() as f64;
    let mean_x = samples.iter().map(|s| s.tps).sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.busy_cores).sum::<f64>() / n;
    let sxx: f64 = samples.iter().map(|s| (s.tps - mean_x).powi(2)).sum();
    let sxy: f64 = samples.iter().map(|s| (s.tps - mean_x) * (s.busy_cores - mean_y)).sum();
    let syy: f64 = samples.iter().map(|s| (s.busy_cores - mean_y).powi(2)).sum();
    let slope = sxy / sxx;
    let fixed = mean_y - slope * mean_x;
    if slope.is_nan() || slope <= 0.0 {
        return Err("the fitted line does not rise with the rate".to_string());
    }
    if fixed < 0.0 {
        return Err(format!("the fitted line has a negative fixed part ({fixed:.4} cores)"));
    }
    let r_squared = if syy > 0.0 { (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0) } else { 1.0 };
    Ok(CostModel {
        fixed_cores: fixed,
        marginal_ns_per_tx: slope * 1e9,
        basis: ModelBasis::Line { samples: samples.len(), min_tps, max_tps, r_squared },
    })
}

/// No fixed part: the slope through the origin, Σxy ÷ Σx².
fn proportional(samples: &[Sample], reason: String) -> CostModel {
    let sxx: f64 = samples.iter().map(|s| s.tps * s.tps).sum();
    let sxy: f64 = samples.iter().map(|s| s.tps * s.busy_cores).sum();
    let marginal = if sxx > 0.0 { sxy / sxx * 1e9 } else { 0.0 };
    CostModel {
        fixed_cores: 0.0,
        marginal_ns_per_tx: marginal,
        basis: ModelBasis::Proportional { samples: samples.len(), reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    /// Samples exactly on 0.09 cores + 1,500 ns/tx: the line gives both back with R² = 1.
    #[test]
    fn a_line_is_recovered_exactly() {
        let samples: Vec<Sample> = [1_000.0, 2_000.0, 8_000.0, 30_000.0]
            .iter()
            .map(|&tps| Sample { tps, busy_cores: 0.09 + 1_500e-9 * tps })
            .collect();
        let m = fit(&samples);
        assert!(m.is_line(), "{m:?}");
        assert!(close(m.fixed_cores, 0.09) && close(m.marginal_ns_per_tx, 1_500.0), "{m:?}");
        let ModelBasis::Line { samples, min_tps, max_tps, r_squared } = m.basis else { unreachable!() };
        assert_eq!((samples, min_tps, max_tps), (4, 1_000.0, 30_000.0));
        assert!(close(r_squared, 1.0));
        // Busy at 1,000,000 tx/s: 0.09 + 1.5 = 1.59 cores; one core is full at (1 − 0.09) ÷ 1,500 ns.
        assert!(close(m.busy_cores(1e6), 1.59));
        assert!(close(m.saturation_tps(1.0), 0.91e9 / 1_500.0));
        assert_eq!(m.saturation_tps(0.05), 0.0);
    }

    /// Hand-computed least squares: rates 1,000, 2,000, 3,000 tx/s at 0.2, 0.3, 0.5 busy cores.
    #[test]
    fn least_squares_by_hand() {
        let samples =
            [(1_000.0, 0.2), (2_000.0, 0.3), (3_000.0, 0.5)].map(|(tps, busy_cores)| Sample { tps, busy_cores });
        let m = fit(&samples);
        // mean x = 2,000, mean y = 1/3; Sxx = 2e6, Sxy = 300 → slope 1.5e-4 cores per tx/s = 150,000 ns/tx;
        // fixed = 1/3 − 1.5e-4 × 2,000 = 0.0333… cores.
        assert!(close(m.marginal_ns_per_tx, 1.5e-4 * 1e9), "{m:?}");
        assert!(close(m.fixed_cores, 1.0 / 3.0 - 0.3), "{m:?}");
        let ModelBasis::Line { r_squared, .. } = m.basis else { panic!("{m:?}") };
        // Syy = (−2/15)² + (−1/30)² + (1/6)² = 0.046667; R² = 300² ÷ (2e6 × 0.046667) = 0.964…
        assert!((r_squared - 0.9642857142857).abs() < 1e-9, "{r_squared}");
    }

    #[test]
    fn too_few_or_too_close_samples_fall_back_to_proportional() {
        let one = [Sample::from_cost(28_000.0, 4_900.0)];
        let m = fit(&one);
        assert_eq!(m.fixed_cores, 0.0);
        assert!(close(m.marginal_ns_per_tx, 4_900.0), "one sample: exactly its cost per tx");
        assert!(matches!(&m.basis, ModelBasis::Proportional { samples: 1, reason } if reason.contains("needs 3")));
        let close_rates = [10_000.0, 12_000.0, 15_000.0].map(|tps| Sample::from_cost(tps, 5_000.0));
        let m = fit(&close_rates);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("span 1.50×")));
        assert!(close(m.marginal_ns_per_tx, 5_000.0));
        assert!(fit(&[]).marginal_ns_per_tx == 0.0 && fit(&[]).saturation_tps(1.0).is_infinite());
    }

    /// A cost per tx that grows with the rate gives a line below the origin: no negative fixed part, proportional.
    #[test]
    fn a_negative_fixed_part_or_a_falling_line_is_refused() {
        let rising = [1_000.0, 4_000.0, 16_000.0].map(|tps| Sample { tps, busy_cores: (tps / 10_000.0).powi(2) });
        let m = fit(&rising);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("negative")), "{m:?}");
        assert_eq!(m.fixed_cores, 0.0);
        let falling = [1_000.0, 4_000.0, 16_000.0].map(|tps| Sample { tps, busy_cores: 1.0 / tps });
        let m = fit(&falling);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("does not rise")));
        // Non-finite and zero-rate samples are left out.
        let mixed = [Sample { tps: 0.0, busy_cores: 0.5 }, Sample { tps: 1_000.0, busy_cores: f64::NAN }];
        assert!(matches!(fit(&mixed).basis, ModelBasis::Proportional { samples: 0, .. }));
    }
}
