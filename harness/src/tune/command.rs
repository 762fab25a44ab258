//! What `hsbench tune` does end to end: the search over candidates ([`super::tune`]) with a progress line per
//! measured candidate, the best configuration written as TOML, the `kind: "tune"` result and the summary.

use super::node::{CompactSearch, NodeEvaluator};
use super::{Candidate, Evaluation, TuneEvent, TuneOutcome, TuneSettings, tune};
use crate::backends::{BackendName, build};
use crate::config::{self, BenchConfig};
use crate::result::{self, Fingerprint, ResultHeader};
use crate::ui::{Ui, progress_bar};
use anyhow::Context;
use hsbench_engine::runtime::pipeline::available_cores;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How to search (the command line's choices); see `hsbench tune --help`.
#[derive(Clone, Debug)]
pub struct TuneRequest {
    /// Where the configuration came from.
    pub origin: String,
    /// Corpus cache folder.
    pub cache: PathBuf,
    /// No progress bars.
    pub quiet: bool,
    /// Show the live view during the search (`--live`).
    pub live: bool,
    /// Wall-clock budget for the whole search (minutes).
    pub budget_minutes: f64,
    /// Where the best configuration is written (TOML).
    pub out: PathBuf,
    /// Folder the result JSON is written to.
    pub results: PathBuf,
    /// Backends the search may switch to (empty: the configured one, plus gpu on real GPU hardware).
    pub backends: Vec<BackendName>,
    /// Length of each search probe (s).
    pub probe_s: f64,
    /// Length of each candidate's confirmation run (s).
    pub confirm_s: f64,
    /// Bisection precision of each candidate's search (fraction).
    pub precision: f64,
    /// Least gain for a move to be kept (fraction).
    pub min_gain: f64,
}

/// The `metrics` of a tune result.
#[derive(Debug, Serialize)]
pub struct TuneMetrics {
    /// Ranking, start, best, recheck, notes.
    #[serde(flatten)]
    pub outcome: TuneOutcome,
    /// Backends the search could switch to.
    pub backends: Vec<BackendName>,
    /// Budget given (minutes) and time taken (s).
    pub budget_minutes: f64,
    /// Wall time of the whole search (s).
    pub elapsed_s: f64,
    /// Where the best configuration was written.
    pub best_config: String,
    /// Knobs named by the design that this pipeline does not have (so they are not searched).
    pub not_searched: Vec<String>,
}

/// The backends to search: as given, or the configured one plus `gpu` on real GPU hardware.
fn search_backends(asked: &[BackendName], config: &BenchConfig) -> Vec<BackendName> {
    if !asked.is_empty() {
        return asked.to_vec();
    }
    let mut list = vec![config.crypto.backend];
    let real_gpu = hsbench_kernels::select_adapter(config.crypto.adapter.as_deref())
        .is_ok_and(|a| !hsbench_kernels::device_label(&a).contains("CPU emulation"));
    if real_gpu && !list.contains(&BackendName::Gpu) {
        list.push(BackendName::Gpu);
    }
    list
}

/// Runs the search from a validated `config`.
pub fn execute(config: &BenchConfig, req: TuneRequest) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let started_unix_s = result::unix_now();
    let origin = req.origin.clone();
    let backends = search_backends(&req.backends, config);
    if backends.contains(&BackendName::Gpu) {
        build(BackendName::Gpu, &config.crypto).context("gpu is in --backends")?;
    }
    let cores = available_cores();
    let start = Candidate::of(config, &cores).map_err(|e| anyhow::anyhow!("{origin}: pipeline.cores: {e}"))?;
    let live = if req.live { crate::live::Session::start("tune") } else { None };
    let ui = Ui::detect(req.quiet);
    println!("hsbench tune — {origin}");
    println!(
        "  budget {} min · {} cores {:?} · backends {} · per candidate: probes {} s, one {} s confirmation, precision \
         {:.0} %, keep a move only above +{:.0} %",
        req.budget_minutes,
        cores.len(),
        cores,
        backends.iter().map(|b| b.name()).collect::<Vec<_>>().join(", "),
        req.probe_s,
        req.confirm_s,
        req.precision * 100.0,
        req.min_gain * 100.0
    );
    println!("  start: {}", start.label());
    let search = CompactSearch {
        probe: Duration::from_secs_f64(req.probe_s),
        confirm: Duration::from_secs_f64(req.confirm_s),
        precision: req.precision,
        start_fraction: 0.75,
    };
    let mut evaluator = NodeEvaluator::new(config, req.cache.clone(), search, cores.clone());
    let settings = TuneSettings {
        budget: Duration::from_secs_f64(req.budget_minutes * 60.0),
        min_gain: req.min_gain,
        backends: backends.clone(),
        cores,
        max_evaluations: None,
    };
    let bar = progress_bar(ui.progress, "tune", "{prefix:>9} [{elapsed_precise}] {msg}");
    bar.enable_steady_tick(Duration::from_millis(500));
    let (mut n, mut best_so_far) = (0, 0.0);
    let outcome = tune(&mut evaluator, &start, &settings, &mut |event| match event {
        TuneEvent::Started(c) => {
            let text = format!("candidate {}: {} · best so far {best_so_far:.0} tx/s", n + 1, c.label());
            crate::live::doing(0, text.clone());
            bar.set_message(text);
        }
        TuneEvent::Measured(c, e, best) => {
            n += 1;
            best_so_far = best;
            bar.suspend(|| {
                crate::live::println(format!("  {n:>3}  {}  {}", ceiling_cell(e), c.label()));
                if !e.failed_above.is_empty() {
                    crate::live::println(format!("       above it: {}", e.failed_above.join("; ")));
                }
            });
        }
    });
    drop(live);
    let outcome = outcome?;
    bar.finish_and_clear();

    let best_config = outcome.best.candidate.apply(config);
    let written = write_best(&req.out, &best_config, &outcome, &origin)?;
    let metrics = TuneMetrics {
        outcome,
        backends,
        budget_minutes: req.budget_minutes,
        elapsed_s: t0.elapsed().as_secs_f64(),
        best_config: written.display().to_string(),
        not_searched: vec![
            "cpu-par: it spreads over every core through rayon, so it cannot be pinned to a stage's cores".into(),
        ],
    };
    let config_toml = config.to_toml().context("cannot render the effective configuration as TOML")?;
    let fingerprint = Fingerprint::collect(&config_toml, config.run.seed, config.crypto.backend.name())
        .with_core_map(Some(&metrics.outcome.best.candidate.cores))
        .with_signature_free(!config.workload.signatures);
    let header = ResultHeader { kind: "tune", mode: None, started_unix_s, config_origin: origin };
    let path = result::write_result(&req.results, header, fingerprint, config, &metrics)?;
    print_summary(&metrics);
    println!("result: {}", path.display());
    Ok(())
}

fn ceiling_cell(e: &Evaluation) -> String {
    match e.ceiling_tps {
        Some(c) => format!("{c:>8.0} tx/s  p99 {:>6.1} ms  {:<10}", e.p99_ms, e.bottleneck),
        None => format!("{:>13}  {:>14}  {:<10}", "none", "", e.bottleneck),
    }
}

/// Writes the best configuration with a header saying where it came from, and reads it back (it must load).
pub(super) fn write_best(
    path: &PathBuf,
    best: &BenchConfig,
    outcome: &TuneOutcome,
    origin: &str,
) -> anyhow::Result<PathBuf> {
    let body = best.to_toml().context("cannot render the best configuration as TOML")?;
    let tps = |c: Option<f64>| c.map_or("none".into(), |c| format!("{c:.0}"));
    // The recheck decided the winner, so its back-to-back figures are the ones to quote beside the search's.
    let recheck = outcome.recheck.as_ref().map_or(String::new(), |r| {
        format!(
            "\n# Measured again back to back (this decided): as given {} tx/s, best {} tx/s.",
            tps(r.default.ceiling_tps),
            tps(r.best.ceiling_tps)
        )
    });
    let header = format!(
        "# Written by `hsbench tune` from {origin} on a {}-core {} machine.\n# Best: {} — ceiling {} tx/s \
         (configuration as given: {} tx/s).{recheck}\n# Use: hsbench ceiling --config {}\n\n",
        hsbench_engine::runtime::pipeline::available_cores().len(),
        crate::result::cpu_model(),
        outcome.best.label,
        tps(outcome.best.ceiling_tps),
        tps(outcome.default.ceiling_tps),
        path.display()
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, header + &body).with_context(|| format!("cannot write {}", path.display()))?;
    config::load(Some(path)).with_context(|| format!("the written {} does not load back", path.display()))?;
    Ok(path.clone())
}

fn print_summary(m: &TuneMetrics) {
    let o = &m.outcome;
    println!();
    println!("  rank  ceiling tx/s   p99 ms  bottleneck  candidate");
    for r in &o.ranking {
        let mark = if r.is_default {
            "  ← as given"
        } else if r.label == o.best.label {
            "  ← best"
        } else {
            ""
        };
        println!(
            "  {:>4}  {:>12}  {:>7.1}  {:<10}  {}{mark}",
            r.rank,
            r.ceiling_tps.map_or("none".into(), |c| format!("{c:.0}")),
            r.evaluation.p99_ms,
            r.bottleneck,
            r.label
        );
    }
    println!();
    let tps = |e: &Evaluation| e.ceiling_tps.map_or("none".to_string(), |c| format!("{c:.0} tx/s"));
    println!("  as given   {}  {}", tps(&o.default.evaluation), o.default.label);
    println!("  best       {}  {}", tps(&o.best.evaluation), o.best.label);
    if let Some(r) = &o.recheck {
        println!("  recheck    as given {} · best {} (back to back)", tps(&r.default), tps(&r.best));
    }
    for note in &o.notes {
        println!("  note: {note}");
    }
    for n in &m.not_searched {
        println!("  not searched: {n}");
    }
    println!("  best configuration: {}", m.best_config);
    println!("  took {:.0} s of a {} min budget ({} ceiling searches)", m.elapsed_s, m.budget_minutes, o.evaluations);
    println!();
}
