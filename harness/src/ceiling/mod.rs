//! `hsbench ceiling`: the highest offered rate one node sustains within the SLO (double, bisect, confirm), the
//! raw sigverify bound of its sigverify cores, and the ratio of the two; a table and a `kind: "ceiling"` JSON.
//! When a probe fails while the synthetic committee is saturated, the search stops and reports no ceiling but a
//! `harness_bound` verdict: the limit it found was the harness's, not the node's.
//! [`search`] is the search itself, over any [`search::RateProbe`].

pub mod search;

use crate::config::BenchConfig;
use crate::loadgen::workload::TxKind;
use crate::result::{self, Fingerprint, ResultHeader};
use crate::run::node::bound;
use crate::run::node::probe::{CorpusStore, NodeProbe};
use crate::run::node::rate::{RateResult, StageBusy, busiest};
use crate::run::node::table::{mark_harness_bound, print_books, print_stages, rate_header, rate_row};
use crate::ui::Ui;
use crate::wire::committee::CommitteeFile;
use crate::wire::probe::WireProbe;
use anyhow::Context;
use hsbench_engine::runtime::pipeline::{
    PipelineReport, StageKind, VerifyThroughput, available_cores, measure_sigverify_alone,
};
use search::{CeilingOutcome, CurvePoint, RateProbe, SearchPhase, SearchSettings};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// The `metrics` object of a ceiling result.
#[derive(Debug, Serialize)]
pub struct CeilingMetrics {
    /// The search: ceiling, confirmation mean and CV, merged p50/p99, notes, the whole curve.
    #[serde(flatten)]
    pub search: CeilingOutcome,
    /// Bottleneck stage of the last confirmation run.
    pub bottleneck: String,
    /// Per-stage busy % of the last confirmation run.
    pub stages: Vec<StageBusy>,
    /// The raw sigverify bound (`null` when `ceiling.bound_s = 0`).
    pub raw_bound: Option<VerifyThroughput>,
    /// The sigverify stage alone on the same cores (`null` when `ceiling.bound_s = 0`).
    pub sigverify_alone: Option<VerifyThroughput>,
    /// `sigverify_alone.verifies_per_s ÷ raw_bound.verifies_per_s`: what the stage itself costs.
    pub stage_to_bound: Option<f64>,
    /// What the `gpu` backend did over the whole search; `null` for CPU backends.
    pub gpu: Option<hsbench_kernels::GpuStats>,
    /// `committed_tps_mean ÷ raw_bound.verifies_per_s`.
    pub ceiling_to_bound: Option<f64>,
    /// Node efficiency at the ceiling: the raw verification cost of one transaction (core-ns per verify of the
    /// raw bound) ÷ the node's CPU per committed transaction (every stage's cost summed; the committee apart).
    /// 1 would mean the node spends nothing but the signature check.
    pub node_efficiency: Option<f64>,
    /// The busiest core at the ceiling (its stages' busy % summed, the committee's included) — whether the CPU,
    /// not latency, set the ceiling.
    pub busiest_core: Option<BusiestCore>,
    /// How full the blocks of the last confirmation run were against `max_block_txs` — whether the block limit,
    /// not the node, set the ceiling.
    pub blocks: Option<crate::run::node::blocks::BlockFill>,
    /// Wall time of the whole command (s).
    pub elapsed_s: f64,
    /// The engine's full report of the last confirmation run (in-process probes).
    pub pipeline: Option<PipelineReport>,
    /// The committee process's report of the last probe (probes over the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committee_process: Option<CommitteeFile>,
}

/// One core and how busy it was.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BusiestCore {
    /// Core id.
    pub core: usize,
    /// Summed busy % of the stage threads (and the committee) on it.
    pub busy_pct: f64,
}

/// Node efficiency: `raw`'s core-ns per verification ÷ the summed per-stage CPU per committed transaction.
pub fn node_efficiency(raw: &VerifyThroughput, stages: &[StageBusy]) -> Option<f64> {
    let node_ns: f64 = stages.iter().map(|s| s.cost_ns_per_tx).sum();
    (raw.verifies_per_s > 0.0 && node_ns > 0.0)
        .then(|| raw.cores.len().max(1) as f64 * 1e9 / raw.verifies_per_s / node_ns)
}

/// What a ceiling search runs with besides its configuration.
#[derive(Clone, Debug)]
pub struct CeilingRun<'a> {
    /// Where the configuration came from.
    pub origin: String,
    /// Corpus cache folder.
    pub cache: &'a Path,
    /// Folder the result is written to.
    pub out: &'a Path,
    /// No progress bars.
    pub quiet: bool,
    /// Show the live view during the search (`--live`).
    pub live: bool,
    /// Wall-clock budget (minutes): bisection stops early so that the confirmation runs still fit.
    pub budget_minutes: f64,
    /// When the command started (Unix seconds).
    pub started_unix_s: u64,
    /// Node mode over the wire: every probe runs validator 0 and its committee as processes
    /// ([`crate::wire::probe::WireProbe`]).
    pub wire: bool,
}

/// The probes of a ceiling search: the node under test in this process, or over the wire.
enum Probe<'a> {
    Node(Box<NodeProbe<'a>>),
    Wire(Box<WireProbe<'a>>),
}

impl Probe<'_> {
    fn corpus(&mut self) -> &mut CorpusStore {
        match self {
            Probe::Node(p) => &mut p.corpus,
            Probe::Wire(p) => &mut p.corpus,
        }
    }

    fn backend(&self) -> Option<&crate::backends::Built> {
        match self {
            Probe::Node(p) => p.backend.as_ref(),
            Probe::Wire(_) => None,
        }
    }
}

impl RateProbe for Probe<'_> {
    fn probe(&mut self, rate: f64, duration: Duration) -> Result<RateResult, search::ProbeError> {
        match self {
            Probe::Node(p) => p.probe(rate, duration),
            Probe::Wire(p) => p.probe(rate, duration),
        }
    }
}

/// Runs the ceiling search of a validated `config`: the raw bound, the search, the result file and the summary.
pub fn execute(config: &BenchConfig, run: CeilingRun<'_>) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let CeilingRun { origin, cache, out, quiet, live, budget_minutes, started_unix_s, wire } = run;
    if live && wire {
        anyhow::bail!("--live shows the pipeline of this process; with --wire the node under test runs in another one");
    }
    let config_toml = config.to_toml().context("cannot render the effective configuration as TOML")?;
    let live = if live { crate::live::Session::start("ceiling") } else { None };
    let ui = Ui::detect(quiet);
    let (c, k) = (&config.cluster, &config.ceiling);
    let (core_map, layout_warnings) = config
        .pipeline
        .cores
        .resolve(&available_cores())
        .map_err(|e| anyhow::anyhow!("{origin}: pipeline.cores: {e}"))?;
    println!("hsbench ceiling — {origin}");
    println!(
        "  node under test + {} committee members{} · {} votes · {} · SLO p99 ≤ {} ms, ≥ {:.0} % committed · \
         start {} tx/s, precision {:.0} %, probes {} s, confirm {} s × {}",
        c.validators - 1,
        if wire { " over the wire (an hsbench node and an hsbench committee process per probe)" } else { "" },
        crate::run::name(&c.vote_scheme),
        config.verification_label(),
        config.slo.p99_ms,
        config.slo.min_committed_fraction * 100.0,
        k.start_tps,
        k.precision * 100.0,
        k.probe_s,
        k.confirm_s,
        k.repeats
    );
    match wire {
        true => println!("  cores (validator 0, committee): {:?}", WireProbe::shares()),
        false => println!(
            "  core map: {} · niceness: {}",
            serde_json::to_string(&core_map).unwrap_or_default(),
            serde_json::to_string(&config.pipeline.nice).unwrap_or_default()
        ),
    }
    for w in &layout_warnings {
        println!("  warning: {w}");
    }
    let mut probe = if wire {
        let dir = out.join(format!("ceiling-wire-{started_unix_s}-{}", std::process::id()));
        Probe::Wire(Box::new(WireProbe::new(config, Some(cache.to_path_buf()), dir, ui)))
    } else {
        let backend = crate::backends::build_node_backend(&config.crypto)?;
        if let Some(b) = &backend {
            println!("  backend: {}", b.description);
        }
        Probe::Node(Box::new(NodeProbe::new(config, Some(cache.to_path_buf()), ui).with_backend(backend)))
    };

    // The raw bound and the sigverify stage alone first, on a quiet machine.
    let (raw_bound, sigverify_alone) = if k.bound_s > 0.0 {
        let want = (config.pipeline.batch_size * core_map.sigverify.len().max(1) * 8).max(4096);
        probe.corpus().ensure(want as u64, &ui);
        let set = probe.corpus().set();
        let valid: Vec<_> =
            set.txs.iter().zip(&set.kinds).filter(|(_, k)| **k == TxKind::Valid).map(|(t, _)| t.clone()).collect();
        let verifier = match probe.backend() {
            Some(b) => b.backend.clone(),
            None => bound::per_thread_backend(config.crypto.backend.cpu_side()),
        };
        let window = Duration::from_secs_f64(k.bound_s);
        let batch = config.pipeline.batch_size;
        let b = bound::measure(&core_map.sigverify, verifier.clone(), batch, &valid, window);
        println!(
            "  raw sigverify bound: {:.0} verifies/s on cores {:?} ({}, batches of {})",
            b.verifies_per_s, b.cores, b.backend, b.batch_size
        );
        let feeder = core_map.ingress.first().copied();
        let alone = measure_sigverify_alone(&core_map.sigverify, feeder, verifier, batch, &valid, window)
            .context("measuring the sigverify stage alone")?;
        println!(
            "  sigverify stage alone: {:.0} verifies/s on the same cores = {:.1} % of the raw bound",
            alone.verifies_per_s,
            100.0 * alone.verifies_per_s / b.verifies_per_s.max(1e-9)
        );
        (Some(b), Some(alone))
    } else {
        (None, None)
    };

    // Leave room for the confirmation runs (plus start-up and drain) inside the budget.
    let budget = Duration::from_secs_f64(budget_minutes * 60.0);
    let confirm_cost = Duration::from_secs_f64(f64::from(k.repeats) * (k.confirm_s + k.drain_s + 5.0));
    let settings = SearchSettings {
        start_tps: k.start_tps,
        max_tps: k.max_tps,
        precision: k.precision,
        probe: Duration::from_secs_f64(k.probe_s),
        confirm: Duration::from_secs_f64(k.confirm_s),
        repeats: k.repeats,
        deadline: Some(t0 + budget.saturating_sub(confirm_cost)),
    };
    println!();
    crate::live::println(rate_header());
    let mut print_point = |p: &CurvePoint| {
        let verdict = if p.pass { "pass".to_string() } else { format!("FAIL: {}", p.failures.join("; ")) };
        let verdict = mark_harness_bound(&p.result, verdict);
        crate::live::println(rate_row(phase_name(p.phase), &p.result, &verdict));
    };
    let outcome = search::search(&mut probe, &settings, &config.slo, &mut print_point);
    drop(live);
    let outcome = outcome?;
    let last_confirm = outcome.curve.iter().rev().find(|p| p.phase == SearchPhase::Confirm).map(|p| p.result.clone());
    let ceiling_to_bound = raw_bound
        .as_ref()
        .filter(|b| b.verifies_per_s > 0.0 && outcome.committed_tps_mean > 0.0)
        .map(|b| outcome.committed_tps_mean / b.verifies_per_s);
    let stage_to_bound = raw_bound
        .as_ref()
        .zip(sigverify_alone.as_ref())
        .filter(|(b, _)| b.verifies_per_s > 0.0)
        .map(|(b, a)| a.verifies_per_s / b.verifies_per_s);
    let gpu = probe.backend().and_then(crate::backends::Built::gpu_stats);
    let stages = last_confirm.as_ref().map(|r| r.stages.clone()).unwrap_or_default();
    let node_efficiency = raw_bound.as_ref().and_then(|b| node_efficiency(b, &stages));
    let allowed = available_cores();
    let committee_cores = if wire { WireProbe::shares()[1].clone() } else { core_map.committee.clone() };
    let busiest_core = last_confirm.as_ref().and_then(|r| {
        let load = r.core_busy(&committee_cores, &allowed);
        busiest(&load).and_then(|k| Some(BusiestCore { core: *allowed.get(k)?, busy_pct: *load.get(k)? }))
    });
    let blocks = last_confirm
        .as_ref()
        .and_then(|r| crate::run::node::blocks::BlockFill::of_rate(r, config.provisioning.max_block_txs));
    let metrics = CeilingMetrics {
        node_efficiency,
        busiest_core,
        blocks,
        sigverify_alone,
        stage_to_bound,
        gpu,
        bottleneck: last_confirm.as_ref().map(|r| r.bottleneck.clone()).unwrap_or_default(),
        stages,
        raw_bound,
        ceiling_to_bound,
        elapsed_s: t0.elapsed().as_secs_f64(),
        pipeline: match &mut probe {
            Probe::Node(p) => p.last_report.take(),
            Probe::Wire(_) => None,
        },
        committee_process: match &mut probe {
            Probe::Wire(p) => p.last_committee.take(),
            Probe::Node(_) => None,
        },
        search: outcome,
    };
    let mut fingerprint = Fingerprint::collect(
        &config_toml,
        config.run.seed,
        &crate::backends::node_backend_label(&config.crypto, probe.backend()),
    )
    .with_core_map(Some(&core_map))
    .with_signature_free(!config.workload.signatures);
    fingerprint.repeats = metrics.search.repeats;
    fingerprint.cv = Some(metrics.search.cv);
    let header = ResultHeader { kind: "ceiling", mode: wire.then_some("wire"), started_unix_s, config_origin: origin };
    let path = result::write_result(out, header, fingerprint, config, &metrics)?;
    print_summary(&metrics, last_confirm.as_ref());
    println!("result: {}", path.display());
    Ok(())
}

fn phase_name(phase: SearchPhase) -> &'static str {
    match phase {
        SearchPhase::Double => "double",
        SearchPhase::Bisect => "bisect",
        SearchPhase::Confirm => "confirm",
    }
}

fn print_summary(m: &CeilingMetrics, last: Option<&crate::run::node::rate::RateResult>) {
    let s = &m.search;
    println!();
    match s.ceiling_tps {
        Some(rate) => println!(
            "  ceiling           {rate:.0} tx/s offered → {:.0} tx/s committed (mean of {}, CV {:.1} %){}{}",
            s.committed_tps_mean,
            s.repeats,
            s.cv * 100.0,
            if s.confirmed { "" } else { "  NOT CONFIRMED" },
            if s.reached_max { "  (max_tps reached: the real ceiling is higher)" } else { "" }
        ),
        None => match &s.harness_bound {
            Some(b) => println!(
                "  ceiling           none — HARNESS-BOUND at {:.0} tx/s: the synthetic committee saturated first \
                 (see the note)",
                b.at_tps
            ),
            None => println!("  ceiling           none found (no rate met the SLO)"),
        },
    }
    if s.ceiling_tps.is_some() {
        println!(
            "  latency at it     p50 {:.1} ms · p99 {:.1} ms (merged confirmation runs)",
            s.p50_us as f64 / 1e3,
            s.p99_us as f64 / 1e3
        );
    } else {
        println!("  latency at it     n/a (no ceiling)");
    }
    if let Some(b) = &m.raw_bound {
        println!(
            "  raw bound         {:.0} verifies/s on {} sigverify core(s) → ceiling ÷ bound = {}",
            b.verifies_per_s,
            b.cores.len(),
            m.ceiling_to_bound.map_or("n/a".to_string(), |r| format!("{r:.3}"))
        );
    }
    if let Some(a) = &m.sigverify_alone {
        println!(
            "  sigverify alone   {:.0} verifies/s → stage ÷ bound = {}",
            a.verifies_per_s,
            m.stage_to_bound.map_or("n/a".to_string(), |r| format!("{r:.3}"))
        );
    }
    println!("  bottleneck        {}", if m.bottleneck.is_empty() { "n/a" } else { &m.bottleneck });
    if let Some(e) = m.node_efficiency {
        println!("  node efficiency   {e:.2} (raw verification cost per tx ÷ the node's CPU per committed tx)");
    }
    if let Some(b) = &m.busiest_core {
        let nominal = match hsbench_engine::runtime::pipeline::pinning_enabled() {
            true => "",
            false => "; nominal: threads unpinned (--no-pin), the OS placed them",
        };
        println!(
            "  busiest core      core {} at {:.0} % busy (its stages and the committee, summed{nominal})",
            b.core, b.busy_pct
        );
    }
    if let Some(b) = &m.blocks {
        println!("{}", b.line("blocks at it"));
    }
    if !m.stages.is_empty() {
        let threads: Vec<String> = m
            .stages
            .iter()
            .map(|s| format!("{} {}", s.name, StageKind::from_name(&s.name).map_or(1, |k| k.threads(&s.cores))))
            .collect();
        println!("  threads           {}", threads.join(" · "));
    }
    for note in &s.notes {
        println!("  note: {note}");
    }
    if let Some(r) = last {
        println!();
        print_books(r);
        println!();
        print_stages(r);
    }
    println!("  took {:.0} s", m.elapsed_s);
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(name: &str, cost_ns_per_tx: f64) -> StageBusy {
        StageBusy {
            name: name.into(),
            cores: vec![1],
            busy_pct: 50.0,
            cost_ns_per_tx,
            backpressure_stalls: 0,
            queue_depth_max: 0,
            mean_batch: 0.0,
        }
    }

    /// 80,000 verifies/s on one core is 12,500 ns per verification; a node spending 25,000 ns per committed
    /// transaction is half efficient. On two cores the same rate costs twice the core time per verification.
    #[test]
    fn node_efficiency_is_raw_verify_cost_over_node_cpu_per_tx() {
        let raw = |cores: Vec<usize>| VerifyThroughput { cores, verifies_per_s: 80_000.0, ..Default::default() };
        let stages = [stage("sigverify", 14_000.0), stage("node", 6_000.0), stage("execution", 5_000.0)];
        let e = node_efficiency(&raw(vec![1]), &stages).expect("defined");
        assert!((e - 0.5).abs() < 1e-12, "{e}");
        let e2 = node_efficiency(&raw(vec![1, 2]), &stages).expect("defined");
        assert!((e2 - 1.0).abs() < 1e-12, "{e2}");
        assert_eq!(node_efficiency(&raw(vec![1]), &[]), None);
        let none = VerifyThroughput { verifies_per_s: 0.0, ..raw(vec![1]) };
        assert_eq!(node_efficiency(&none, &stages), None);
    }
}
