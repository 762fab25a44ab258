//! The ceiling search: the highest offered rate the node sustains within the SLO.
//!
//! Double from `start_tps` until a probe fails the SLO (p99 > SLO, commits < the required fraction of the
//! offered rate, queue still growing at the end of the window, or a generator that fell behind), bisect between
//! the last passing and the first failing rate until they are within `precision` of each other, then confirm
//! the passing rate with `repeats` longer runs; when a confirmation run fails, step down by `precision` and
//! confirm again (at most [`MAX_STEP_DOWNS`] times), so the ceiling reported is a confirmed one. Every probe is
//! kept: the curve is part of the result.
//!
//! The search only sees [`RateProbe`], so it is tested against a deterministic service model.

use crate::config::SloConfig;
use crate::run::node::rate::RateResult;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Most times a failed confirmation steps the rate down before the search gives up confirming.
pub const MAX_STEP_DOWNS: u32 = 3;

/// A probe could not run (the node failed to start, the books did not balance, …).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(pub String);

/// Something whose behaviour at an offered rate can be measured.
pub trait RateProbe {
    /// Offers `rate` tx/s for `duration` and measures.
    fn probe(&mut self, rate: f64, duration: Duration) -> Result<RateResult, ProbeError>;
}

/// The knobs of one search (from `[ceiling]`).
#[derive(Clone, Copy, Debug)]
pub struct SearchSettings {
    /// First rate (tx/s).
    pub start_tps: f64,
    /// Highest rate tried (tx/s).
    pub max_tps: f64,
    /// Bisection stops when (fail − pass) ÷ pass ≤ precision.
    pub precision: f64,
    /// Length of a search probe.
    pub probe: Duration,
    /// Length of a confirmation run.
    pub confirm: Duration,
    /// Confirmation runs.
    pub repeats: u32,
    /// Stop bisecting (and go straight to confirmation) after this instant.
    pub deadline: Option<Instant>,
}

/// Which part of the search a probe belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchPhase {
    /// Doubling (or halving, when the start rate already fails).
    Double,
    /// Bisection.
    Bisect,
    /// Confirmation at the found rate.
    Confirm,
}

/// One probe of the search.
#[derive(Clone, Debug, Serialize)]
pub struct CurvePoint {
    /// Search phase.
    pub phase: SearchPhase,
    /// Offered rate asked for (tx/s).
    pub rate_tps: f64,
    /// Whether it met the SLO.
    pub pass: bool,
    /// Why not.
    pub failures: Vec<String>,
    /// What was measured.
    pub result: RateResult,
}

/// What the search found.
#[derive(Clone, Debug, Serialize)]
pub struct CeilingOutcome {
    /// The highest offered rate that passed every confirmation run (tx/s); when none did, the last rate tried
    /// (with `confirmed` false); `None` when even the lowest rate tried failed.
    pub ceiling_tps: Option<f64>,
    /// Mean committed throughput (commits inside the window) over the confirmation runs at the ceiling (tx/s).
    pub committed_tps_mean: f64,
    /// Coefficient of variation of that throughput over the confirmation runs (stddev ÷ mean; 0 for one run).
    pub cv: f64,
    /// Confirmation runs done.
    pub repeats: u32,
    /// Whether every confirmation run passed the SLO.
    pub confirmed: bool,
    /// p99 latency (µs) of the confirmation runs' merged histogram (never an average of percentiles).
    pub p99_us: u64,
    /// p50 latency (µs) of the same merged histogram.
    pub p50_us: u64,
    /// True when `max_tps` passed (the real ceiling is higher).
    pub reached_max: bool,
    /// Search notes (deadline reached, start rate failed, …).
    pub notes: Vec<String>,
    /// Every probe, in order.
    pub curve: Vec<CurvePoint>,
}

/// Mean and coefficient of variation (population stddev ÷ mean) of `xs`.
pub fn mean_cv(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, if mean > 0.0 { var.sqrt() / mean } else { 0.0 })
}

/// Runs the search; `on_point` sees every probe as it completes.
pub fn search(
    probe: &mut dyn RateProbe,
    s: &SearchSettings,
    slo: &SloConfig,
    on_point: &mut dyn FnMut(&CurvePoint),
) -> Result<CeilingOutcome, ProbeError> {
    let mut curve = Vec::new();
    let mut notes = Vec::new();
    let mut run = |phase: SearchPhase, rate: f64, duration: Duration, curve: &mut Vec<CurvePoint>| {
        let result = probe.probe(rate, duration)?;
        let failures = result.slo_failures(slo);
        let point = CurvePoint { phase, rate_tps: rate, pass: failures.is_empty(), failures, result };
        on_point(&point);
        let pass = point.pass;
        curve.push(point);
        Ok::<bool, ProbeError>(pass)
    };
    let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
    let mut rate = s.start_tps.min(s.max_tps);
    let mut reached_max = false;
    loop {
        if run(SearchPhase::Double, rate, s.probe, &mut curve)? {
            lo = Some(rate);
            if rate >= s.max_tps {
                reached_max = true;
                notes.push(format!("max_tps ({}) passed: the ceiling is at least that", s.max_tps));
                break;
            }
            rate = (rate * 2.0).min(s.max_tps);
        } else {
            hi = Some(rate);
            break;
        }
    }
    // The start rate failed: halve until something passes (at most 6 times).
    let floor = s.start_tps / 64.0;
    while lo.is_none() {
        rate /= 2.0;
        if rate < floor {
            notes.push(format!("no rate down to {floor:.1} tx/s met the SLO"));
            break;
        }
        if run(SearchPhase::Double, rate, s.probe, &mut curve)? {
            lo = Some(rate);
        } else {
            hi = Some(rate);
        }
    }
    while let (Some(l), Some(h)) = (lo, hi) {
        if (h - l) / l <= s.precision {
            break;
        }
        if s.deadline.is_some_and(|d| Instant::now() >= d) {
            notes.push(format!("time budget reached: bisection stopped at [{l:.0}, {h:.0}] tx/s"));
            break;
        }
        let mid = (l + h) / 2.0;
        if run(SearchPhase::Bisect, mid, s.probe, &mut curve)? {
            lo = Some(mid);
        } else {
            hi = Some(mid);
        }
    }
    // Confirm; a rate whose confirmation fails is stepped down by `precision` and confirmed again, so the
    // reported ceiling is one that passed every confirmation run (bounded by MAX_STEP_DOWNS and the deadline).
    let mut confirmed = false;
    let mut target = lo;
    let mut step_downs = 0;
    while let Some(l) = target {
        let mut all = true;
        for _ in 0..s.repeats {
            all = run(SearchPhase::Confirm, l, s.confirm, &mut curve)?;
            if !all {
                break; // one failure decides; the remaining runs would only cost time
            }
        }
        if all {
            confirmed = true;
            break;
        }
        let lower = l * (1.0 - s.precision);
        if step_downs >= MAX_STEP_DOWNS || s.deadline.is_some_and(|d| Instant::now() >= d) {
            notes.push(format!("a confirmation run at {l:.0} tx/s missed the SLO; not confirmed"));
            break;
        }
        notes.push(format!("a confirmation run at {l:.0} tx/s missed the SLO; stepping down to {lower:.0} tx/s"));
        step_downs += 1;
        target = Some(lower);
    }
    let ceiling_tps = target;
    let confirms: Vec<&CurvePoint> =
        curve.iter().filter(|p| p.phase == SearchPhase::Confirm && Some(p.rate_tps) == ceiling_tps).collect();
    let (committed_tps_mean, cv) = mean_cv(&confirms.iter().map(|p| p.result.tx.commit_rate_tps).collect::<Vec<_>>());
    let mut merged = crate::measure::new_histogram();
    for p in &confirms {
        // Same bounds and precision, so adding cannot fail.
        let _ = merged.add(&p.result.tx.latency_histogram);
    }
    let quantile = |q: f64| if merged.is_empty() { 0 } else { merged.value_at_quantile(q) };
    Ok(CeilingOutcome {
        ceiling_tps,
        committed_tps_mean,
        cv,
        repeats: confirms.len() as u32,
        confirmed,
        p99_us: quantile(0.99),
        p50_us: quantile(0.50),
        reached_max,
        notes,
        curve,
    })
}
