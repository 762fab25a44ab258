//! The ceiling search: the highest offered rate the node sustains within the SLO.
//!
//! Double from `start_tps` until a probe fails the SLO (p99 > SLO, commits < the required fraction of the
//! offered rate, queue still growing at the end of the window, or a generator that fell behind), bisect between
//! the last passing and the first failing rate until they are within `precision` of each other, then confirm
//! the passing rate with `repeats` longer runs; when a confirmation run fails, step down by `precision` and
//! confirm again (at most [`MAX_STEP_DOWNS`] times), so the ceiling reported is a confirmed one.
//!
//! A probe that fails while it is harness-bound (the synthetic committee saturated, no stage of the node did) says
//! nothing about the node. Above a rate that passed, it bounds the bracket from above like any failure and the
//! bisection goes on below it, where a failure with the committee keeping up is the node's own; when the bracket
//! closes on a harness-bound failure — no rate between the last pass and it failed for the node's sake — or a
//! confirmation run fails harness-bound, the search ends with no ceiling and a [`HarnessBound`] verdict. Before any
//! rate passed (the start rate, or a halving below it), a harness-bound failure ends the search at once: a committee
//! that is the limit at the start rate (63 BLS members on 2 cores) also makes lower rates fail on latency without
//! reaching the saturation mark, and halving on would report its limit as the node's. So a ceiling the harness set
//! is never reported. (The search used to stop at the first harness-bound failure in every phase, which on 2 cores
//! was often the doubling probe at twice the node's ceiling, where everything is overloaded: no ceiling although
//! the node's was in reach.)
//! Every probe is kept: the curve is part of the result.
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
    /// Set when a probe failed the SLO while the synthetic committee was saturated: the search stopped there and
    /// `ceiling_tps` is `None`, because the limit found was the harness's, not the node's.
    pub harness_bound: Option<HarnessBound>,
    /// Search notes (deadline reached, start rate failed, …).
    pub notes: Vec<String>,
    /// Every probe, in order.
    pub curve: Vec<CurvePoint>,
}

/// Where the search stopped because the harness, not the node, reached its limit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HarnessBound {
    /// The rate whose probe failed the SLO with the synthetic committee saturated (tx/s offered).
    pub at_tps: f64,
    /// The highest rate that met the SLO before it, if any (tx/s offered): the node sustained at least that.
    pub passed_tps: Option<f64>,
    /// The probe's harness-bound verdict (what saturated, with its numbers).
    pub reason: String,
}

impl HarnessBound {
    /// The verdict of a search that ended on the harness-bound failure at `at_tps` (`None` when `curve` has no
    /// harness-bound failure at that rate): the highest rate below it that passed is what the node sustained.
    pub fn at(curve: &[CurvePoint], at_tps: f64) -> Option<Self> {
        let failed = curve.iter().rev().find(|p| !p.pass && p.rate_tps == at_tps)?;
        let reason = failed.result.harness_bound.clone()?;
        let passed_tps =
            curve.iter().filter(|p| p.pass && p.rate_tps < at_tps).map(|p| p.rate_tps).max_by(f64::total_cmp);
        Some(HarnessBound { at_tps, passed_tps, reason })
    }

    /// One sentence for the summary and the notes.
    pub fn summary(&self) -> String {
        let passed = self.passed_tps.map_or_else(
            || "no lower rate was shown to pass".to_string(),
            |p| format!("it met the SLO up to {p:.0} tx/s"),
        );
        format!(
            "harness-bound at {:.0} tx/s: the synthetic committee saturated first ({}); no ceiling reported — the \
             node's ceiling was not reached ({passed})",
            self.at_tps, self.reason
        )
    }
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

/// When a probe above the ceiling failed with the committee saturated, one sentence naming it and the node's own
/// failure the bisection found below it (with both threads' work-due shares), so a reader weighs the ceiling with
/// the committee's share in mind: the saturation mark is a threshold, and a committee just under it still competes.
fn harness_failure_above(curve: &[CurvePoint], ceiling: f64) -> Option<String> {
    let harness = curve.iter().find(|p| !p.pass && p.rate_tps > ceiling && p.result.harness_bound.is_some())?;
    let own = curve
        .iter()
        .filter(|p| !p.pass && p.rate_tps > ceiling && p.result.harness_bound.is_none())
        .min_by(|a, b| a.rate_tps.total_cmp(&b.rate_tps))?;
    let shares = own.result.committee_window.as_ref().map_or_else(String::new, |w| {
        format!(
            " (there: committee work due {:.0} %, the node's busiest stage {} {:.0} %)",
            w.working_pct, w.node_busiest_stage, w.node_working_pct
        )
    });
    Some(format!(
        "{:.0} tx/s failed with the synthetic committee saturated; the bisection below it found the node's own failure \
         at {:.0} tx/s{shares}",
        harness.rate_tps, own.rate_tps
    ))
}

/// What one probe said, for the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Failed with the synthetic committee keeping up: the node's own failure.
    Fail,
    /// Failed with the synthetic committee saturated: the harness's failure.
    HarnessFail,
}

/// Runs the search; `on_point` sees every probe as it completes.
///
/// A probe that fails the SLO while the synthetic committee saturated ([`RateResult::harness_bound`]) is an upper
/// bound whose failure is the harness's: the bisection continues below it, and if the bracket closes on it (or a
/// confirmation run fails that way) the outcome has no `ceiling_tps` and a [`HarnessBound`] instead.
pub fn search(
    probe: &mut dyn RateProbe,
    s: &SearchSettings,
    slo: &SloConfig,
    on_point: &mut dyn FnMut(&CurvePoint),
) -> Result<CeilingOutcome, ProbeError> {
    let mut curve = Vec::new();
    let mut notes = Vec::new();
    let mut run = |phase: SearchPhase, rate: f64, duration: Duration, curve: &mut Vec<CurvePoint>| {
        tracing::info!(phase = ?phase, rate_tps = rate, duration_s = duration.as_secs_f64(), "probe started");
        crate::live::doing(
            1,
            format!(
                "probe: {} at {} tx/s for {:.0} s",
                format!("{phase:?}").to_lowercase(),
                crate::report::num::thousands(rate),
                duration.as_secs_f64()
            ),
        );
        let result = probe.probe(rate, duration).inspect_err(|e| {
            tracing::error!(phase = ?phase, rate_tps = rate, error = %e, "probe failed to run");
        })?;
        let failures = result.slo_failures(slo);
        tracing::info!(
            phase = ?phase,
            rate_tps = rate,
            pass = failures.is_empty(),
            committed_tps = result.tx.committed_tps,
            p99_ms = result.tx.latency_us.p99 as f64 / 1e3,
            bottleneck = %result.bottleneck,
            harness_bound = result.harness_bound.as_deref().unwrap_or(""),
            failures = %failures.join("; "),
            "probe ended"
        );
        let point = CurvePoint { phase, rate_tps: rate, pass: failures.is_empty(), failures, result };
        on_point(&point);
        let verdict = match (point.pass, point.result.harness_bound.is_some()) {
            (true, _) => Verdict::Pass,
            (false, false) => Verdict::Fail,
            (false, true) => Verdict::HarnessFail,
        };
        curve.push(point);
        Ok::<Verdict, ProbeError>(verdict)
    };
    let mut reached_max = false;
    let mut confirmed = false;
    let mut target = None;
    // The rate of a harness-bound failure that ended the search, if one did.
    let harness_stop: Option<f64> = 'search: {
        let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
        // Whether the failure at `hi` was harness-bound (then it does not say where the node fails).
        let mut hi_harness = false;
        let mut rate = s.start_tps.min(s.max_tps);
        loop {
            let verdict = run(SearchPhase::Double, rate, s.probe, &mut curve)?;
            if verdict == Verdict::Pass {
                lo = Some(rate);
                if rate >= s.max_tps {
                    reached_max = true;
                    notes.push(format!("max_tps ({}) passed: the ceiling is at least that", s.max_tps));
                    break;
                }
                rate = (rate * 2.0).min(s.max_tps);
            } else if verdict == Verdict::HarnessFail && lo.is_none() {
                break 'search Some(rate); // nothing passed: no bracket to bisect
            } else {
                (hi, hi_harness) = (Some(rate), verdict == Verdict::HarnessFail);
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
            match run(SearchPhase::Double, rate, s.probe, &mut curve)? {
                Verdict::Pass => lo = Some(rate),
                Verdict::Fail => (hi, hi_harness) = (Some(rate), false),
                Verdict::HarnessFail => break 'search Some(rate),
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
            match run(SearchPhase::Bisect, mid, s.probe, &mut curve)? {
                Verdict::Pass => lo = Some(mid),
                failed => (hi, hi_harness) = (Some(mid), failed == Verdict::HarnessFail),
            }
        }
        // The bracket closed on a harness failure: what lies above the last pass is the harness's limit, not
        // shown to be the node's.
        if hi_harness {
            break 'search hi;
        }
        // Confirm; a rate whose confirmation fails is stepped down by `precision` and confirmed again, so the
        // reported ceiling is one that passed every confirmation run (bounded by MAX_STEP_DOWNS and the deadline).
        target = lo;
        let mut step_downs = 0;
        while let Some(l) = target {
            let mut all = true;
            for _ in 0..s.repeats {
                let verdict = run(SearchPhase::Confirm, l, s.confirm, &mut curve)?;
                if verdict == Verdict::HarnessFail {
                    break 'search Some(l);
                }
                all = verdict == Verdict::Pass;
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
        None
    };
    let harness_bound = if let Some(at) = harness_stop {
        target = None;
        confirmed = false;
        let bound = HarnessBound::at(&curve, at);
        if let Some(b) = &bound {
            notes.push(b.summary());
        }
        bound
    } else {
        None
    };
    let saturated_passes: Vec<String> = curve
        .iter()
        .filter(|p| p.pass && p.result.harness_bound.is_some())
        .map(|p| format!("{:.0}", p.rate_tps))
        .collect();
    if !saturated_passes.is_empty() {
        notes.push(format!(
            "the synthetic committee saturated at passing rate(s) {} tx/s: the node met the SLO there, but the \
             harness was at its limit",
            saturated_passes.join(", ")
        ));
    }
    let ceiling_tps = target;
    if let Some(note) = ceiling_tps.and_then(|c| harness_failure_above(&curve, c)) {
        notes.push(note);
    }
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
        harness_bound,
        notes,
        curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node that meets the SLO up to `node_tps` and a committee that saturates from `committee_tps` on.
    struct TwoLimits {
        node_tps: f64,
        committee_tps: f64,
    }

    impl RateProbe for TwoLimits {
        fn probe(&mut self, rate: f64, duration: Duration) -> Result<RateResult, ProbeError> {
            let mut r = RateResult { duration_s: duration.as_secs_f64(), ..RateResult::default() };
            let ok = rate <= self.node_tps.min(self.committee_tps);
            r.committed_fraction = if ok { 1.0 } else { 0.5 };
            r.generator.valid = true;
            r.tx.offered_tps = rate;
            r.tx.commit_rate_tps = rate * r.committed_fraction;
            r.tx.latency_us.count = 100;
            r.tx.latency_us.p99 = if ok { 10_000 } else { 900_000 };
            r.harness_bound = (rate >= self.committee_tps).then(|| "synthetic committee saturated".to_string());
            Ok(r)
        }
    }

    fn run(node_tps: f64, committee_tps: f64, start_tps: f64) -> CeilingOutcome {
        let s = SearchSettings {
            start_tps,
            max_tps: 1e6,
            precision: 0.02,
            probe: Duration::from_secs(1),
            confirm: Duration::from_secs(2),
            repeats: 2,
            deadline: None,
        };
        let slo = SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 };
        search(&mut TwoLimits { node_tps, committee_tps }, &s, &slo, &mut |_| {}).expect("the fake probe never fails")
    }

    #[test]
    fn a_harness_bound_failure_is_never_the_ceiling() {
        // The committee saturates at 5000 tx/s, long before the node (20 000): the doubling fails at 8000 with the
        // committee saturated, every failure of the bisection below it is harness-bound too, so the bracket closes
        // on one (5062.5, just above the committee's 5000) and no ceiling is reported.
        let o = run(20_000.0, 5_000.0, 1_000.0);
        assert_eq!(o.ceiling_tps, None, "{:?}", o.notes);
        assert!(!o.confirmed);
        let b = o.harness_bound.as_ref().expect("a harness-bound verdict");
        assert_eq!((b.at_tps, b.passed_tps), (5_062.5, Some(5_000.0)));
        assert!(b.summary().starts_with("harness-bound at 5062 tx/s"), "{}", b.summary());
        assert!(o.curve.iter().all(|p| p.phase != SearchPhase::Confirm), "nothing confirmed under the harness");
        assert!(o.notes.iter().any(|n| n.starts_with("harness-bound at 5062")), "{:?}", o.notes);

        // The start rate already saturates the committee: nothing passed, so no halving either.
        let o = run(20_000.0, 500.0, 1_000.0);
        assert_eq!((o.ceiling_tps, o.curve.len()), (None, 1));
        assert_eq!(o.harness_bound.as_ref().and_then(|b| b.passed_tps), None);
    }

    #[test]
    fn a_harness_bound_failure_while_doubling_bisects_to_the_nodes_own_failure() {
        // The node fails from 40 000 tx/s, the committee saturates from 50 000: doubling passes 32 000 and fails
        // 64 000 with the committee saturated. That failure says nothing about the node, but 48 000 fails with the
        // committee not saturated — the node's own failure — so the search bisects on and confirms ~40 000.
        let o = run(40_000.0, 50_000.0, 1_000.0);
        let c = o.ceiling_tps.unwrap_or_else(|| panic!("a ceiling: {:?}", o.notes));
        assert!(o.confirmed && o.harness_bound.is_none(), "{:?}", o.notes);
        assert!((39_000.0..=40_000.0).contains(&c), "{c}");
        assert!(o.curve.iter().any(|p| p.phase == SearchPhase::Bisect), "bisected below the harness failure");
        let note = o.notes.iter().find(|n| n.starts_with("64000 tx/s failed with the synthetic committee saturated"));
        assert!(note.is_some_and(|n| n.contains("node's own failure at 40500")), "{:?}", o.notes);
    }

    #[test]
    fn the_node_failing_first_gives_a_ceiling_and_notes_saturated_passes() {
        let o = run(6_000.0, 1e9, 1_000.0);
        let c = o.ceiling_tps.expect("a ceiling");
        assert!(o.confirmed && o.harness_bound.is_none());
        assert!((5_800.0..=6_000.0).contains(&c), "{c}");
        assert!(o.notes.iter().all(|n| !n.contains("saturated")), "{:?}", o.notes);

        // The committee saturates exactly at the node's limit: the passes there are noted, the failures above are
        // the harness's, so there is still no ceiling.
        let o = run(6_000.0, 6_000.0, 1_500.0);
        assert_eq!(o.ceiling_tps, None);
        assert!(o.notes.iter().any(|n| n.contains("saturated at passing rate(s) 6000")), "{:?}", o.notes);
    }
}
