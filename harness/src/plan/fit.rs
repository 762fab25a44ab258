//! A stage's cost as a model fitted to the rates a ceiling search (or several runs) measured: busy cores =
//! per block × blocks per second + marginal × committed rate when the samples say how many blocks a second
//! committed, else busy cores = fixed + marginal × committed rate.
//!
//! Why not one cost per transaction: a stage's busy time has a part that does not grow with the rate — per block
//! (votes, certificates, a storage commit, a state root) and per second (timers, polling) — and a part that does.
//! Divided by the committed rate, the fixed part looks like a per-tx cost that shrinks as the rate grows: the node
//! stage of one published ceiling search was ~9 % busy at 1,000 tx/s and ~13.5 % at 30,000, so its 4.9 µs/tx at
//! the ceiling was two thirds fixed cost, and scaling 4.9 µs/tx to 1,000,000 tx/s overstated it about threefold.
//! A search measures the same stages at a dozen rates from near idle to the ceiling, which is what a model needs.
//!
//! Why per block rather than a fixed part: blocks do not come at one rate. A leader proposes at most every
//! `min_block_interval_ms` (~45 blocks a second at low load with 20 ms), and near the ceiling rounds lengthen and
//! blocks per second fall by half while blocks grow. A stage whose work is mostly per block — the node thread
//! with an admission stage (BLS checks, votes, the safety record) — is then *less* busy at the ceiling than at
//! 1,000 tx/s, so a line in the rate alone falls, is refused, and the stage's busy time at the ceiling is divided
//! by the rate as if it were all per transaction. With blocks per second as the second variable the two parts
//! separate, and the projection pays the per-block part at the most blocks a second the configuration allows —
//! an upper bound, whatever the rate.
//!
//! The fits are ordinary least squares over every sample that met the SLO, of busy cores (`cost_ns_per_tx ×
//! committed_tps ÷ 10⁹`, all the stage's threads together): on blocks per second and the committed rate with no
//! intercept (per-second work is folded into the per-block part: at low load blocks come at a near-constant rate),
//! or on the committed rate with an intercept. Either is used when there are at least [`MIN_SAMPLES`] samples
//! spanning a factor of [`MIN_SPAN`] in rate and its parts are non-negative with a positive marginal cost; the
//! per-block fit also needs blocks per second that do not move in step with the rate (full blocks: the parts
//! cannot be told apart). Otherwise the stage falls back to the next model, last to the proportional one (no fixed
//! part, least squares through the origin, which for one sample is exactly its measured cost per transaction), and
//! the plan says why.

use serde::Serialize;

/// Fewest samples a model is fitted to.
pub const MIN_SAMPLES: usize = 3;
/// Least ratio of the highest to the lowest sampled rate for a fit (closer rates cannot separate the parts).
pub const MIN_SPAN: f64 = 2.0;
/// Most a per-block fit accepts of cos² between blocks per second and the rate over the samples (1: blocks per
/// second move in step with the rate, as when every block is full, and per-block work cannot be told from
/// per-transaction work).
pub const MAX_BLOCKS_RATE_COS2: f64 = 0.999;

/// One measurement of a stage: the committed rate, the blocks committed a second when known, and the busy cores
/// it took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Committed tx/s.
    pub tps: f64,
    /// Blocks committed a second, when the result says.
    pub blocks_per_s: Option<f64>,
    /// Busy cores (busy core-seconds per second over all the stage's threads).
    pub busy_cores: f64,
}

impl Sample {
    /// A sample from a stage's cost per committed transaction at `tps` (with `blocks_per_s` when known).
    pub fn from_cost(tps: f64, blocks_per_s: Option<f64>, cost_ns_per_tx: f64) -> Self {
        Sample { tps, blocks_per_s, busy_cores: cost_ns_per_tx * tps / 1e9 }
    }
}

/// How the model was obtained.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ModelBasis {
    /// Least squares of busy cores on blocks per second and the rate; the fixed part is the per-block part at
    /// `blocks_per_s`.
    PerBlock {
        /// Samples used.
        samples: usize,
        /// Lowest sampled rate (tx/s).
        min_tps: f64,
        /// Highest sampled rate (tx/s).
        max_tps: f64,
        /// Fewest blocks a second sampled.
        min_blocks_per_s: f64,
        /// Most blocks a second sampled.
        max_blocks_per_s: f64,
        /// Blocks a second the fixed part is paid at (the most the configuration allows).
        blocks_per_s: f64,
        /// Coefficient of determination over the samples (1 = every sample on the fit). Near 0 where the stage's
        /// busy time barely moves over the samples (little variance to explain), whatever the fit's quality: read
        /// the standard errors.
        r_squared: f64,
        /// Standard error of the per-block part (core-µs), from the residuals; `None` with two samples or fewer.
        per_block_se_us: Option<f64>,
        /// Standard error of the marginal cost (core-ns per transaction); `None` with two samples or fewer.
        marginal_se_ns: Option<f64>,
    },
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
        /// Standard error of the slope (core-ns per transaction); `None` with two samples or fewer.
        marginal_se_ns: Option<f64>,
    },
    /// No fixed part; the marginal cost is the least-squares slope through the origin.
    Proportional {
        /// Samples used.
        samples: usize,
        /// Why no fit was used.
        reason: String,
    },
}

impl ModelBasis {
    /// Standard error of the marginal cost (core-ns per transaction), for a fit with more samples than parameters.
    pub fn marginal_se_ns(&self) -> Option<f64> {
        match self {
            ModelBasis::PerBlock { marginal_se_ns, .. } | ModelBasis::Line { marginal_se_ns, .. } => *marginal_se_ns,
            ModelBasis::Proportional { .. } => None,
        }
    }

    /// The fit's coefficient of determination (`None` for the proportional fallback).
    pub fn r_squared(&self) -> Option<f64> {
        match self {
            ModelBasis::PerBlock { r_squared, .. } | ModelBasis::Line { r_squared, .. } => Some(*r_squared),
            ModelBasis::Proportional { .. } => None,
        }
    }

    /// Standard error of the per-block part (core-µs), for a per-block fit with more samples than parameters.
    pub fn per_block_se_us(&self) -> Option<f64> {
        match self {
            ModelBasis::PerBlock { per_block_se_us, .. } => *per_block_se_us,
            _ => None,
        }
    }
}

/// A stage's busy cores as a function of the committed rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// Busy cores at any rate (per-block work at the blocks a second the model assumes, and per-second work).
    pub fixed_cores: f64,
    /// Busy core-µs each block adds (per-block model; 0 otherwise).
    pub per_block_us: f64,
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

    /// Whether a model was fitted (not the proportional fallback).
    pub fn is_fitted(&self) -> bool {
        !matches!(self.basis, ModelBasis::Proportional { .. })
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

/// The model for `samples` (those with a positive rate; see the module docs for the rule). `blocks_per_s` is the
/// block rate a per-block part is paid at in the projection; without it, or without blocks per second in every
/// sample, no per-block fit is tried.
pub fn fit(samples: &[Sample], blocks_per_s: Option<f64>) -> CostModel {
    let usable: Vec<Sample> =
        samples.iter().copied().filter(|s| s.tps > 0.0 && s.tps.is_finite() && s.busy_cores.is_finite()).collect();
    let n = usable.len();
    let (lo, hi) = rate_range(&usable);
    let reason = if n < MIN_SAMPLES {
        format!("{n} sample(s) with stage costs; a fit needs {MIN_SAMPLES}")
    } else if hi < lo * MIN_SPAN {
        format!("sampled rates span {:.2}×; a fit needs {MIN_SPAN}×", hi / lo)
    } else {
        let blocks = blocks_per_s.filter(|b| b.is_finite() && *b > 0.0).and_then(|at| Some((at, blocks_of(&usable)?)));
        let by_block = match blocks {
            Some((at, blocks)) => per_block(&usable, &blocks, (lo, hi), at),
            None => Err(String::new()),
        };
        match by_block.or_else(|why| line(&usable, (lo, hi)).map_err(|line_why| join(&why, &line_why))) {
            Ok(model) => return model,
            Err(why) => why,
        }
    };
    proportional(&usable, reason)
}

/// Both reasons, the per-block one first when there is one.
fn join(per_block: &str, line: &str) -> String {
    if per_block.is_empty() { line.to_string() } else { format!("per block: {per_block}; line: {line}") }
}

/// Every sample's blocks per second, when every sample has a positive finite one.
fn blocks_of(samples: &[Sample]) -> Option<Vec<f64>> {
    samples.iter().map(|s| s.blocks_per_s.filter(|b| b.is_finite() && *b > 0.0)).collect()
}

/// The lowest and highest of `values` (non-negative: the fold starts from 0 for the highest).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// The lowest and highest sampled rate.
fn rate_range(samples: &[Sample]) -> (f64, f64) {
    range(samples.iter().map(|s| s.tps))
}

/// How a two-parameter fit `predict` sits on `samples`: its coefficient of determination (1 when the samples are all
/// equal, in 0..=1) and the residuals' variance estimate Σ(y − ŷ)² ÷ (n − 2) (`None` with two samples or fewer).
fn residuals(samples: &[Sample], predict: impl Fn(&Sample) -> f64) -> (f64, Option<f64>) {
    let n = samples.len() as f64;
    let mean_y = samples.iter().map(|s| s.busy_cores).sum::<f64>() / n;
    let total: f64 = samples.iter().map(|s| (s.busy_cores - mean_y).powi(2)).sum();
    let residual: f64 = samples.iter().map(|s| (s.busy_cores - predict(s)).powi(2)).sum();
    let r_squared = if total > 0.0 { (1.0 - residual / total).clamp(0.0, 1.0) } else { 1.0 };
    let variance = samples.len().checked_sub(2).filter(|&dof| dof > 0).map(|dof| residual / dof as f64);
    (r_squared, variance)
}

/// Least squares of busy cores on `blocks` (each sample's blocks per second) and the rate, no intercept; the
/// fixed part paid at `at` blocks a second. Or why it is not used.
fn per_block(samples: &[Sample], blocks: &[f64], (min_tps, max_tps): (f64, f64), at: f64) -> Result<CostModel, String> {
    let (mut sbb, mut sbt, mut stt, mut sby, mut sty) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (s, &b) in samples.iter().zip(blocks) {
        sbb += b * b;
        sbt += b * s.tps;
        stt += s.tps * s.tps;
        sby += b * s.busy_cores;
        sty += s.tps * s.busy_cores;
    }
    if sbt * sbt > MAX_BLOCKS_RATE_COS2 * sbb * stt {
        return Err("blocks per second move in step with the rate (full blocks?)".to_string());
    }
    let det = sbb * stt - sbt * sbt;
    let per_block = (stt * sby - sbt * sty) / det;
    let marginal = (sbb * sty - sbt * sby) / det;
    if marginal.is_nan() || marginal <= 0.0 {
        return Err("the fit does not rise with the rate".to_string());
    }
    if per_block < 0.0 {
        return Err(format!("the fit has a negative per-block part ({:.1} µs)", per_block * 1e6));
    }
    let (r_squared, variance) =
        residuals(samples, |s| per_block * s.blocks_per_s.unwrap_or_default() + marginal * s.tps);
    // The coefficients' covariance is σ² (XᵀX)⁻¹; its diagonal is σ² Stt ÷ det and σ² Sbb ÷ det.
    let per_block_se_us = variance.map(|v| (v * stt / det).sqrt() * 1e6);
    let marginal_se_ns = variance.map(|v| (v * sbb / det).sqrt() * 1e9);
    let (min_blocks_per_s, max_blocks_per_s) = range(blocks.iter().copied());
    Ok(CostModel {
        fixed_cores: per_block * at,
        per_block_us: per_block * 1e6,
        marginal_ns_per_tx: marginal * 1e9,
        basis: ModelBasis::PerBlock {
            samples: samples.len(),
            min_tps,
            max_tps,
            min_blocks_per_s,
            max_blocks_per_s,
            blocks_per_s: at,
            r_squared,
            per_block_se_us,
            marginal_se_ns,
        },
    })
}

/// The least-squares line through `samples` (whose rates span `min_tps`..`max_tps`), or why it is not used.
fn line(samples: &[Sample], (min_tps, max_tps): (f64, f64)) -> Result<CostModel, String> {
    let n = samples.len() as f64;
    let mean_x = samples.iter().map(|s| s.tps).sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.busy_cores).sum::<f64>() / n;
    let sxx: f64 = samples.iter().map(|s| (s.tps - mean_x).powi(2)).sum();
    let sxy: f64 = samples.iter().map(|s| (s.tps - mean_x) * (s.busy_cores - mean_y)).sum();
    let slope = sxy / sxx;
    let fixed = mean_y - slope * mean_x;
    if slope.is_nan() || slope <= 0.0 {
        return Err("the fitted line does not rise with the rate".to_string());
    }
    if fixed < 0.0 {
        return Err(format!("the fitted line has a negative fixed part ({fixed:.4} cores)"));
    }
    let (r_squared, variance) = residuals(samples, |s| fixed + slope * s.tps);
    let marginal_se_ns = variance.map(|v| (v / sxx).sqrt() * 1e9);
    Ok(CostModel {
        fixed_cores: fixed,
        per_block_us: 0.0,
        marginal_ns_per_tx: slope * 1e9,
        basis: ModelBasis::Line { samples: samples.len(), min_tps, max_tps, r_squared, marginal_se_ns },
    })
}

/// No fixed part: the slope through the origin, Σxy ÷ Σx².
fn proportional(samples: &[Sample], reason: String) -> CostModel {
    let sxx: f64 = samples.iter().map(|s| s.tps * s.tps).sum();
    let sxy: f64 = samples.iter().map(|s| s.tps * s.busy_cores).sum();
    let marginal = if sxx > 0.0 { sxy / sxx * 1e9 } else { 0.0 };
    CostModel {
        fixed_cores: 0.0,
        per_block_us: 0.0,
        marginal_ns_per_tx: marginal,
        basis: ModelBasis::Proportional { samples: samples.len(), reason },
    }
}

/// Samples exactly on `per_block_s` core-seconds per block + `marginal_ns` per transaction, shaped like the node thread
/// of a published search (results/2026-12-07-zen5-2core-shard-walks, admission on its own stage): blocks a second
/// falling as the rate rises, so with mostly per-block work busy cores fall. For tests.
#[cfg(test)]
pub(crate) fn per_block_samples(per_block_s: f64, marginal_ns: f64) -> Vec<Sample> {
    [(1_000.0, 45.0), (16_000.0, 43.0), (32_000.0, 41.0), (48_000.0, 31.0), (59_000.0, 24.0)]
        .map(|(tps, blocks)| Sample {
            tps,
            blocks_per_s: Some(blocks),
            busy_cores: per_block_s * blocks + marginal_ns * 1e-9 * tps,
        })
        .into()
}

/// The node thread's samples of results/2026-12-07-zen5-2core-sigverify-nice10's 4v-admission search (rate,
/// blocks a second, busy cores, as printed there), for tests.
#[cfg(test)]
pub(crate) fn published_node_samples() -> Vec<Sample> {
    [
        (1_000.0, 45.4, 0.0788),
        (2_000.0, 45.4, 0.0747),
        (4_000.0, 45.2, 0.0708),
        (8_000.0, 44.6, 0.0707),
        (16_000.0, 43.6, 0.0723),
        (32_000.0, 41.2, 0.0785),
        (64_000.0, 28.2, 0.0735),
        (72_000.0, 28.4, 0.0732),
        (76_000.0, 27.6, 0.0731),
        (72_200.0, 25.8, 0.0728),
        (72_200.0, 23.9, 0.0694),
        (68_590.0, 25.5, 0.0717),
        (68_590.0, 28.2, 0.0748),
        (68_590.0, 28.9, 0.0736),
    ]
    .map(|(tps, blocks, busy_cores)| Sample { tps, blocks_per_s: Some(blocks), busy_cores })
    .into()
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
            .map(|&tps| Sample { tps, blocks_per_s: None, busy_cores: 0.09 + 1_500e-9 * tps })
            .collect();
        let m = fit(&samples, None);
        assert!(matches!(m.basis, ModelBasis::Line { .. }), "{m:?}");
        assert!(close(m.fixed_cores, 0.09) && close(m.marginal_ns_per_tx, 1_500.0), "{m:?}");
        let ModelBasis::Line { samples, min_tps, max_tps, r_squared, marginal_se_ns } = m.basis else { unreachable!() };
        assert!(marginal_se_ns.is_some_and(|se| se < 1e-3), "on the line: no error, {marginal_se_ns:?}");
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
        let samples = [(1_000.0, 0.2), (2_000.0, 0.3), (3_000.0, 0.5)].map(|(tps, busy_cores)| Sample {
            tps,
            blocks_per_s: None,
            busy_cores,
        });
        let m = fit(&samples, None);
        // mean x = 2,000, mean y = 1/3; Sxx = 2e6, Sxy = 300 → slope 1.5e-4 cores per tx/s = 150,000 ns/tx;
        // fixed = 1/3 − 1.5e-4 × 2,000 = 0.0333… cores.
        assert!(close(m.marginal_ns_per_tx, 1.5e-4 * 1e9), "{m:?}");
        assert!(close(m.fixed_cores, 1.0 / 3.0 - 0.3), "{m:?}");
        let ModelBasis::Line { r_squared, marginal_se_ns, .. } = m.basis else { panic!("{m:?}") };
        // Syy = (−2/15)² + (−1/30)² + (1/6)² = 0.046667; R² = 300² ÷ (2e6 × 0.046667) = 0.964…
        assert!((r_squared - 0.9642857142857).abs() < 1e-9, "{r_squared}");
        // Residuals 0.2 − 0.18333 = 1/60, 0.3 − 0.33333 = −1/30, 0.5 − 0.48333 = 1/60: Σ² = 1/600; σ² = 1/600 ÷ 1;
        // SE(slope) = √(σ² ÷ Sxx) = √(1/600 ÷ 2e6) = 2.8868e-5 cores per tx/s = 28,867.5 ns.
        let se = marginal_se_ns.expect("three samples, two parameters");
        assert!((se - (1.0 / 600.0 / 2e6_f64).sqrt() * 1e9).abs() < 1e-6, "{se}");
    }

    #[test]
    fn too_few_or_too_close_samples_fall_back_to_proportional() {
        let one = [Sample::from_cost(28_000.0, None, 4_900.0)];
        let m = fit(&one, None);
        assert_eq!(m.fixed_cores, 0.0);
        assert!(close(m.marginal_ns_per_tx, 4_900.0), "one sample: exactly its cost per tx");
        assert!(matches!(&m.basis, ModelBasis::Proportional { samples: 1, reason } if reason.contains("needs 3")));
        let close_rates = [10_000.0, 12_000.0, 15_000.0].map(|tps| Sample::from_cost(tps, None, 5_000.0));
        let m = fit(&close_rates, None);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("span 1.50×")));
        assert!(close(m.marginal_ns_per_tx, 5_000.0));
        assert!(fit(&[], None).marginal_ns_per_tx == 0.0 && fit(&[], None).saturation_tps(1.0).is_infinite());
    }

    /// A cost per tx that grows with the rate gives a line below the origin: no negative fixed part, proportional.
    #[test]
    fn a_negative_fixed_part_or_a_falling_line_is_refused() {
        let rising = [1_000.0, 4_000.0, 16_000.0].map(|tps| Sample {
            tps,
            blocks_per_s: None,
            busy_cores: (tps / 10_000.0).powi(2),
        });
        let m = fit(&rising, None);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("negative")), "{m:?}");
        assert_eq!(m.fixed_cores, 0.0);
        let falling = [1_000.0, 4_000.0, 16_000.0].map(|tps| Sample { tps, blocks_per_s: None, busy_cores: 1.0 / tps });
        let m = fit(&falling, None);
        assert!(matches!(&m.basis, ModelBasis::Proportional { reason, .. } if reason.contains("does not rise")));
        // Non-finite and zero-rate samples are left out.
        let mixed = [
            Sample { tps: 0.0, blocks_per_s: None, busy_cores: 0.5 },
            Sample { tps: 1_000.0, blocks_per_s: None, busy_cores: f64::NAN },
        ];
        assert!(matches!(fit(&mixed, None).basis, ModelBasis::Proportional { samples: 0, .. }));
    }

    #[test]
    fn per_block_work_is_recovered_and_paid_at_the_block_rate_given() {
        let samples = per_block_samples(1.8e-3, 400.0);
        let line_only = fit(&samples, None);
        assert!(
            matches!(&line_only.basis, ModelBasis::Proportional { reason, .. } if reason.contains("does not rise")),
            "busy cores fall with the rate: a line in the rate alone is refused: {line_only:?}"
        );
        let m = fit(&samples, Some(50.0));
        assert!(close(m.per_block_us, 1_800.0) && close(m.marginal_ns_per_tx, 400.0), "{m:?}");
        // The fixed part is 1.8 ms of work for each of 50 blocks a second.
        assert!(close(m.fixed_cores, 0.09), "{m:?}");
        let ModelBasis::PerBlock { samples: n, min_blocks_per_s, max_blocks_per_s, blocks_per_s, r_squared, .. } =
            m.basis
        else {
            panic!("{m:?}")
        };
        assert_eq!((n, min_blocks_per_s, max_blocks_per_s, blocks_per_s), (5, 24.0, 45.0, 50.0));
        assert!(close(r_squared, 1.0));
        // At 1,000,000 tx/s: 0.09 + 0.4 cores.
        assert!(close(m.busy_cores(1e6), 0.49));
    }

    #[test]
    fn a_per_block_fit_that_cannot_separate_the_parts_falls_back_to_the_line() {
        // Every block full (4,096 transactions): blocks a second are the rate ÷ 4,096, per block and per
        // transaction are one and the same.
        let full: Vec<Sample> = [4_096.0, 40_960.0, 81_920.0]
            .map(|tps| Sample { tps, blocks_per_s: Some(tps / 4_096.0), busy_cores: 0.01 + 1_000e-9 * tps })
            .into();
        let m = fit(&full, Some(50.0));
        assert!(m.is_fitted() && matches!(m.basis, ModelBasis::Line { .. }), "{m:?}");
        // A sample without its blocks a second: no per-block fit.
        let mut some_missing = per_block_samples(1.0e-3, 2_000.0);
        some_missing[2].blocks_per_s = None;
        assert!(matches!(fit(&some_missing, Some(50.0)).basis, ModelBasis::Line { .. }));
        // Busy time rising faster than the rate (per block −183 µs, line −0.008 cores): both refused, the reason
        // names both.
        let mut convex = per_block_samples(0.0, 0.0);
        for s in &mut convex {
            s.busy_cores = 1e-6 * s.tps * s.tps / 59_000.0;
        }
        let m = fit(&convex, Some(50.0));
        assert!(
            matches!(&m.basis, ModelBasis::Proportional { reason, .. }
                if reason.starts_with("per block: the fit has a negative per-block part")
                    && reason.contains("; line: the fitted line has a negative fixed part")),
            "{m:?}"
        );
    }

    /// The node thread of results/2026-12-07-zen5-2core-sigverify-nice10's 4v-admission search: busy time barely
    /// moves (R² near 0), yet both parts are well determined. Expected values from numpy's `lstsq` and σ² (XᵀX)⁻¹ on
    /// the same numbers.
    #[test]
    fn standard_errors_match_an_independent_least_squares() {
        let samples = published_node_samples();
        let m = fit(&samples, Some(50.0));
        let ModelBasis::PerBlock { r_squared, per_block_se_us, marginal_se_ns, .. } = m.basis else { panic!("{m:?}") };
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs();
        assert!(
            near(m.per_block_us, 1_583.064_387_438_876_8) && near(m.marginal_ns_per_tx, 422.771_134_600_311_4),
            "{m:?}"
        );
        assert!(near(per_block_se_us.unwrap_or(0.0), 29.421_334_408_683_652), "{per_block_se_us:?}");
        assert!(near(marginal_se_ns.unwrap_or(0.0), 19.304_378_517_665_48), "{marginal_se_ns:?}");
        assert!(r_squared < 0.05, "{r_squared}");
    }
}
