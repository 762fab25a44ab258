//! One measured rate of the node under test: throughput, corrected and uncorrected latency, the books, queue
//! growth, per-stage busy % and the bottleneck, the generator's validity — and whether it meets the SLO.

use crate::config::SloConfig;
use crate::loadgen::generator::{OpenLoopOutcome, PendingSeries};
use crate::measure::{GeneratorCheck, Plan, TxMetrics};
use serde::Serialize;
use std::time::Duration;

/// One pipeline stage's share of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StageBusy {
    /// Stage name (ingress, sigverify, node, execution, storage).
    pub name: String,
    /// Cores it was pinned to.
    pub cores: Vec<usize>,
    /// Busy time ÷ (threads × run time), percent.
    pub busy_pct: f64,
    /// Busy core-nanoseconds per committed transaction.
    pub cost_ns_per_tx: f64,
    /// Times it stalled on a full output queue.
    pub backpressure_stalls: u64,
    /// Deepest input queue sampled (batches).
    pub queue_depth_max: u64,
}

/// In-flight transactions in the middle and at the end of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct QueueGrowth {
    /// Mean in-flight count over the middle fifth of the window.
    pub mid: f64,
    /// Mean in-flight count over the last fifth of the window.
    pub end: f64,
    /// `end > 1.5 × mid + max(1024, 0.1 s of offered load)`: the system is not keeping up.
    pub growing: bool,
}

impl QueueGrowth {
    /// Growth of `series` (time since the start of the load, in flight) over the window `[from, to)`.
    pub fn of(series: &PendingSeries, from: Duration, to: Duration, offered_tps: f64) -> Self {
        let span = to.saturating_sub(from).as_secs_f64();
        let mean_between = |a: f64, b: f64| {
            let (a, b) = (from + Duration::from_secs_f64(span * a), from + Duration::from_secs_f64(span * b));
            let values: Vec<u64> = series.iter().filter(|(t, _)| *t >= a && *t < b).map(|(_, n)| *n).collect();
            if values.is_empty() { 0.0 } else { values.iter().sum::<u64>() as f64 / values.len() as f64 }
        };
        let (mid, end) = (mean_between(0.4, 0.6), mean_between(0.8, 1.0));
        let floor = (0.1 * offered_tps).max(1024.0);
        QueueGrowth { mid, end, growing: end > 1.5 * mid + floor }
    }
}

/// Everything measured at one offered rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RateResult {
    /// Length of the load (s).
    pub duration_s: f64,
    /// Throughput, corrected and uncorrected latency, rejections by reason, the books.
    #[serde(flatten)]
    pub tx: TxMetrics,
    /// `offered_tps` less the deliberately invalid share of the workload.
    pub valid_offered_tps: f64,
    /// `commit_rate_tps ÷ valid_offered_tps`.
    pub committed_fraction: f64,
    /// In-flight transactions, middle vs end of the window.
    pub queue: QueueGrowth,
    /// The stage with the highest busy % per thread.
    pub bottleneck: String,
    /// Per-stage busy %, cost and back-pressure.
    pub stages: Vec<StageBusy>,
    /// The synthetic committee's busy % (not part of the node's cost).
    pub committee_busy_pct: f64,
    /// The generator's self-check and the back-pressure it met.
    pub generator: GeneratorCheck,
    /// How long the drain took (s).
    pub drain_s: f64,
    /// Engine warnings (failed pins, layout notes).
    pub warnings: Vec<String>,
}

impl RateResult {
    /// The transaction side of a result from an open-loop outcome; `invalid_share` is the fraction of the
    /// workload that is deliberately invalid. Stage figures are filled in by the caller.
    pub fn from_outcome(outcome: &OpenLoopOutcome, plan: &Plan, invalid_share: f64) -> Self {
        let tx = outcome.recorder.metrics(outcome.start, plan);
        let valid_offered_tps = tx.offered_tps * (1.0 - invalid_share).max(0.0);
        let committed_fraction = if valid_offered_tps > 0.0 { tx.commit_rate_tps / valid_offered_tps } else { 0.0 };
        let (from, to) = plan.window();
        RateResult {
            duration_s: plan.duration.as_secs_f64(),
            queue: QueueGrowth::of(&outcome.pending, from, to, tx.offered_tps),
            valid_offered_tps,
            committed_fraction,
            generator: outcome.generator,
            drain_s: outcome.drain_s,
            tx,
            ..RateResult::default()
        }
    }

    /// Why this rate fails the SLO (empty = it passes). A run whose generator fell behind fails too: it
    /// measured the harness, not the node.
    pub fn slo_failures(&self, slo: &SloConfig) -> Vec<String> {
        let mut failures = Vec::new();
        let p99_ms = self.tx.latency_us.p99 as f64 / 1e3;
        if self.tx.latency_us.count == 0 {
            failures.push("nothing committed in the window".to_string());
        } else if p99_ms > slo.p99_ms {
            failures.push(format!("p99 {p99_ms:.1} ms > {} ms", slo.p99_ms));
        }
        if self.committed_fraction < slo.min_committed_fraction {
            failures.push(format!(
                "committed {:.1} % of offered < {:.1} %",
                self.committed_fraction * 100.0,
                slo.min_committed_fraction * 100.0
            ));
        }
        if self.queue.growing {
            failures.push(format!("queue growing ({:.0} → {:.0} in flight)", self.queue.mid, self.queue.end));
        }
        if !self.generator.valid {
            failures
                .push(format!("generator fell behind ({} of {} late)", self.generator.late, self.generator.submitted));
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_growth_compares_end_with_middle() {
        let s = |f: &dyn Fn(f64) -> u64| -> PendingSeries {
            (0..100).map(|k| (Duration::from_millis(k * 100), f(k as f64 / 10.0))).collect()
        };
        let (a, b) = (Duration::from_secs(1), Duration::from_secs(9));
        let flat = QueueGrowth::of(&s(&|_| 2000), a, b, 10_000.0);
        assert!(!flat.growing && flat.mid == 2000.0 && flat.end == 2000.0, "{flat:?}");
        let rising = QueueGrowth::of(&s(&|t| (t * 5000.0) as u64), a, b, 10_000.0);
        assert!(rising.growing, "{rising:?}");
        let noisy_small = QueueGrowth::of(&s(&|t| if t > 7.0 { 900 } else { 100 }), a, b, 1000.0);
        assert!(!noisy_small.growing, "below the floor: {noisy_small:?}");
    }

    #[test]
    fn slo_failures_name_each_reason() {
        let slo = SloConfig { p99_ms: 100.0, min_committed_fraction: 0.95 };
        let mut r = RateResult { committed_fraction: 1.0, ..RateResult::default() };
        r.generator.valid = true;
        r.tx.latency_us.count = 10;
        r.tx.latency_us.p99 = 50_000;
        assert!(r.slo_failures(&slo).is_empty());
        r.tx.latency_us.p99 = 150_000;
        r.committed_fraction = 0.5;
        r.queue.growing = true;
        r.generator.valid = false;
        let f = r.slo_failures(&slo);
        assert_eq!(f.len(), 4, "{f:?}");
        assert!(f[0].starts_with("p99 150.0 ms"), "{f:?}");
    }
}
