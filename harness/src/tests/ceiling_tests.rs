//! The ceiling search against a deterministic service model with a known ceiling.

use super::common::ServiceModel;
use crate::ceiling::search::{SearchPhase, SearchSettings, mean_cv, search};
use crate::config::SloConfig;
use std::time::Duration;

fn settings(start: f64, max: f64, precision: f64) -> SearchSettings {
    SearchSettings {
        start_tps: start,
        max_tps: max,
        precision,
        probe: Duration::from_secs(5),
        confirm: Duration::from_secs(10),
        repeats: 3,
        deadline: None,
    }
}

#[test]
fn finds_the_known_ceiling_within_precision() {
    let slo = SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 };
    for (capacity, base_ms, start) in [(10_000.0, 50.0, 1000.0), (37_000.0, 20.0, 500.0), (3_000.0, 100.0, 4000.0)] {
        let mut model = ServiceModel { capacity, base_ms, long_run_factor: 1.0, probes: Vec::new() };
        let known = model.known_ceiling(&slo);
        let out = search(&mut model, &settings(start, 1e6, 0.05), &slo, &mut |_| {}).unwrap();
        let found = out.ceiling_tps.expect("a ceiling");
        assert!(found <= known, "never above the known ceiling: {found} > {known}");
        assert!((known - found) / known <= 0.05 + 1e-9, "capacity {capacity}: found {found}, known {known}");
        assert!(out.confirmed && out.repeats == 3, "{out:?}");
        assert!((out.committed_tps_mean - found).abs() < 1e-6 && out.cv == 0.0);
        assert!(out.p99_us > 0);
        // The curve holds every probe, confirmations last, all at the found rate.
        assert_eq!(out.curve.len(), model.probes.len());
        let confirms: Vec<_> = out.curve.iter().filter(|p| p.phase == SearchPhase::Confirm).collect();
        assert_eq!(confirms.len(), 3);
        assert!(confirms.iter().all(|p| p.rate_tps == found && p.result.duration_s == 10.0));
        assert!(out.curve.iter().any(|p| p.phase == SearchPhase::Bisect));
    }
}

#[test]
fn reports_when_max_passes_and_when_nothing_passes() {
    let slo = SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 };
    let mut model = ServiceModel { capacity: 1e9, base_ms: 1.0, long_run_factor: 1.0, probes: Vec::new() };
    let out = search(&mut model, &settings(1000.0, 5000.0, 0.05), &slo, &mut |_| {}).unwrap();
    assert!(out.reached_max && out.ceiling_tps == Some(5000.0), "{out:?}");
    let mut model = ServiceModel { capacity: 1.0, base_ms: 1000.0, long_run_factor: 1.0, probes: Vec::new() };
    let out = search(&mut model, &settings(1000.0, 5000.0, 0.05), &slo, &mut |_| {}).unwrap();
    assert!(out.ceiling_tps.is_none() && !out.confirmed && out.notes.iter().any(|n| n.contains("no rate")));
}

/// A system that sustains 8 % less in long runs than in probes: the first confirmation fails, the search steps
/// down by the precision until every confirmation run passes, and reports only the confirmed rate's runs.
#[test]
fn failed_confirmation_steps_down_to_a_confirmed_rate() {
    let slo = SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 };
    let mut model = ServiceModel { capacity: 10_000.0, base_ms: 50.0, long_run_factor: 0.92, probes: Vec::new() };
    let long_known = 10_000.0 * 0.92 * (1.0 - 50.0 / 500.0);
    let out = search(&mut model, &settings(1000.0, 1e6, 0.05), &slo, &mut |_| {}).unwrap();
    let found = out.ceiling_tps.expect("a ceiling");
    assert!(out.confirmed && found <= long_known, "{found} > {long_known}: {:?}", out.notes);
    assert!(out.notes.iter().any(|n| n.contains("stepping down")), "{:?}", out.notes);
    let at_found: Vec<_> =
        out.curve.iter().filter(|p| p.phase == SearchPhase::Confirm && p.rate_tps == found).collect();
    assert_eq!((at_found.len(), out.repeats), (3, 3));
    assert!(at_found.iter().all(|p| p.pass));
    // Every failed confirmation stopped at its first failure.
    let failed = out.curve.iter().filter(|p| p.phase == SearchPhase::Confirm && !p.pass).count();
    let higher = out.curve.iter().filter(|p| p.phase == SearchPhase::Confirm && p.rate_tps > found).count();
    assert_eq!(failed, higher);
}

/// When no step-down confirms within the limit, the ceiling is reported unconfirmed with a note.
#[test]
fn gives_up_confirming_after_the_step_down_limit() {
    let slo = SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 };
    let mut model = ServiceModel { capacity: 10_000.0, base_ms: 50.0, long_run_factor: 0.5, probes: Vec::new() };
    let out = search(&mut model, &settings(1000.0, 1e6, 0.05), &slo, &mut |_| {}).unwrap();
    assert!(!out.confirmed && out.ceiling_tps.is_some(), "{out:?}");
    assert!(out.notes.iter().any(|n| n.contains("not confirmed")), "{:?}", out.notes);
    let failed = out.curve.iter().filter(|p| p.phase == SearchPhase::Confirm && !p.pass).count();
    assert_eq!(failed as u32, crate::ceiling::search::MAX_STEP_DOWNS + 1);
}

#[test]
fn cv_is_population_stddev_over_mean() {
    let (mean, cv) = mean_cv(&[90.0, 100.0, 110.0]);
    assert!((mean - 100.0).abs() < 1e-9);
    assert!((cv - (200.0f64 / 3.0).sqrt() / 100.0).abs() < 1e-9);
    assert_eq!(mean_cv(&[]), (0.0, 0.0));
}
