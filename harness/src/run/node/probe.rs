//! The engine's `NodeUnderTest` as a [`NodeHandle`] and a [`RateProbe`]: one fresh node per measured rate,
//! the same pre-signed corpus (from the cache) for every rate.

use super::measure_rate;
use super::rate::{Clocks, CommitteeWatch, CommitteeWindow, PipelineSample, RateResult, StageBusy, waiting_threads};
use crate::backends::Built;
use crate::ceiling::search::{ProbeError, RateProbe};
use crate::config::BenchConfig;
use crate::corpus::{CorpusSpec, TxSet};
use crate::loadgen::cache::load_or_sign;
use crate::loadgen::generator::{Load, NodeHandle};
use crate::loadgen::schedule::{Profile, intended_offsets};
use crate::measure::{Phase, Plan, Snapshot};
use crate::ui::{Ui, load_bar, progress_bar};
use hsbench_engine::crypto::cpu_backend;
use hsbench_engine::runtime::pipeline::{NodeModeConfig, NodeUnderTest, Peers, PipelineReport, StageCounters};
use hsbench_engine::sim::TxEvent;
use hsbench_engine::types::{Hash, Transaction};
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl NodeHandle for NodeUnderTest {
    fn elapsed(&self) -> Duration {
        NodeUnderTest::elapsed(self)
    }
    fn submit(&self, txs: Vec<Transaction>) -> Duration {
        NodeUnderTest::submit(self, txs)
    }
    fn drain_tx_events(&self) -> Vec<TxEvent> {
        NodeUnderTest::drain_tx_events(self)
    }
}

/// The signed corpus, grown on demand (from the cache, or signed and cached).
#[derive(Debug)]
pub struct CorpusStore {
    spec: CorpusSpec,
    cache_dir: Option<PathBuf>,
    set: TxSet,
    hashes: Vec<Hash>,
}

impl CorpusStore {
    /// An empty store for `config`'s workload, caching under `cache_dir` (`None`: never touch the disk).
    pub fn new(config: &BenchConfig, cache_dir: Option<PathBuf>) -> Self {
        CorpusStore { spec: CorpusSpec::of(config), cache_dir, set: TxSet::default(), hashes: Vec::new() }
    }

    /// Makes sure at least `count` transactions are there; prints what it did when `ui.log`.
    pub fn ensure(&mut self, count: u64, ui: &Ui) {
        if (self.set.txs.len() as u64) >= count && !self.set.ids.is_empty() {
            return;
        }
        let t = Instant::now();
        let bar = progress_bar(ui.progress, "signing", "{prefix:>9} [{bar:30}] {pos}/{len} keys + transactions");
        let out = load_or_sign(self.cache_dir.as_deref(), &self.spec, count, &bar);
        bar.finish_and_clear();
        for note in &out.notes {
            eprintln!("{note}");
        }
        self.hashes = out.set.txs.iter().map(Transaction::hash).collect();
        self.set = out.set;
        if ui.log {
            println!(
                "  corpus: {} accounts, {} transactions {} in {:.1} s",
                self.set.ids.len(),
                self.set.txs.len(),
                if out.hit { "loaded from the cache" } else { "signed" },
                t.elapsed().as_secs_f64()
            );
        }
    }

    /// The transactions so far.
    pub fn set(&self) -> &TxSet {
        &self.set
    }

    /// The first `n` transactions as a load at `offsets`.
    pub fn load(&self, offsets: Vec<Duration>) -> Load {
        let n = offsets.len().min(self.set.txs.len());
        Load { txs: self.set.txs[..n].to_vec(), hashes: self.hashes[..n].to_vec(), offsets: offsets[..n].to_vec() }
    }
}

/// Runs the node under test at a schedule: the shared runner of `run --mode node` and `ceiling`.
pub struct NodeProbe<'a> {
    config: &'a BenchConfig,
    ui: Ui,
    /// The corpus every run draws from.
    pub corpus: CorpusStore,
    /// The engine's report of the most recent run.
    pub last_report: Option<PipelineReport>,
    /// The node under test's verification backend when it is not a CPU kind (`gpu`), built once per process.
    pub backend: Option<Built>,
}

impl<'a> NodeProbe<'a> {
    /// A probe of `config` (validated) that caches its corpus under `cache_dir`.
    pub fn new(config: &'a BenchConfig, cache_dir: Option<PathBuf>, ui: Ui) -> Self {
        NodeProbe { config, ui, corpus: CorpusStore::new(config, cache_dir), last_report: None, backend: None }
    }

    /// The same probe with the node under test verifying through `backend` (see
    /// [`crate::backends::build_node_backend`]).
    pub fn with_backend(mut self, backend: Option<Built>) -> Self {
        self.backend = backend;
        self
    }

    /// One run: a fresh node, the first `offsets.len()` corpus transactions at those offsets, measured over
    /// `plan`.
    pub fn run_schedule(&mut self, offsets: Vec<Duration>, plan: &Plan) -> Result<RateResult, ProbeError> {
        self.corpus.ensure(offsets.len() as u64, &self.ui);
        let config = self.config;
        let (storage, scratch) = config
            .cluster
            .storage_mode()
            .map_err(|e| ProbeError(format!("cannot create a temporary folder for redb: {e}")))?;
        let genesis = self.corpus.spec.genesis(&self.corpus.set.ids);
        // The node verifies with the one `[crypto] backend` (the started `gpu` one, or the CPU kind built here);
        // the synthetic committee stays on that backend's CPU side.
        let committee_backend = cpu_backend(config.crypto.backend.cpu_side());
        let node_config = NodeModeConfig {
            chain: config.chain_config(genesis, storage),
            pipeline: config.pipeline.clone(),
            peers: Peers::Committee { latency_ms: config.network.latency_ms },
            backend: self.backend.as_ref().map_or_else(|| committee_backend.clone(), |b| b.backend.clone()),
            committee_backend,
        };
        let load = self.corpus.load(offsets);
        let node = NodeUnderTest::start(node_config).map_err(|e| ProbeError(format!("cannot start the node: {e}")))?;
        let (bar, mut draw) = load_bar(self.ui.progress, plan.duration);
        // The committee's counters at the edges of the measured window decide whether it kept up.
        let (from, to) = plan.window();
        let mut watch = CommitteeWatch::new(from, to);
        let mut progress = |s: &Snapshot| {
            if s.phase == Phase::Load && watch.wants(s.elapsed) {
                let snap = node.snapshot();
                let clocks = |c: &StageCounters| Clocks { busy_ns: c.busy_ns, idle_ns: c.idle_ns };
                watch.see(PipelineSample {
                    at: s.elapsed,
                    committee: clocks(&snap.committee),
                    stages: snap.stages.iter().map(|st| (st.name.clone(), clocks(&st.counters))).collect(),
                });
            }
            crate::live::observe(s, || node.snapshot());
            draw(s);
        };
        let measured = measure_rate(&node, load, plan, config.workload.invalid.total(), &mut progress);
        bar.finish_and_clear();
        let report = node.stop().map_err(|e| ProbeError(format!("the node did not stop cleanly: {e}")))?;
        drop(scratch);
        let mut result = measured?;
        if report.txs_submitted != result.tx.books.submitted {
            return Err(ProbeError(format!(
                "the node counted {} submitted transactions, the harness {}: a silent drop",
                report.txs_submitted, result.tx.books.submitted
            )));
        }
        result.bottleneck = report.bottleneck.clone();
        result.stages = report.stages.iter().map(StageBusy::from).collect();
        result.committee_busy_pct = report.committee.as_ref().map_or(0.0, |c| c.busy_pct);
        result.memory = report.memory;
        let threads = |name: &str| {
            report.stages.iter().find(|st| st.name == name).map_or(1, |st| waiting_threads(name, &st.cores, st.threads))
        };
        result.committee_window = watch.window(&threads);
        result.harness_bound = result.committee_window.as_ref().and_then(CommitteeWindow::verdict);
        if let Some(stats) = self.backend.as_ref().and_then(Built::gpu_stats)
            && stats.cpu_fallback_items + stats.bls_cpu_fallback_items > 0
        {
            return Err(ProbeError(format!(
                "the gpu backend sent {} items to the CPU after failed dispatches ({}): not a GPU measurement",
                stats.cpu_fallback_items + stats.bls_cpu_fallback_items,
                stats.last_error.unwrap_or_default()
            )));
        }
        result.warnings = report.warnings.clone();
        let mismatches = report.committee.as_ref().map_or(0, |c| c.state_root_mismatches);
        if mismatches > 0 {
            return Err(ProbeError(format!("the node and its committee disagree on {mismatches} state roots")));
        }
        let mut report = report;
        report.allocator = crate::alloc::ALLOCATOR.to_string();
        self.last_report = Some(report);
        tracing::info!(
            offered_tps = result.tx.offered_tps,
            committed_tps = result.tx.committed_tps,
            p99_ms = result.tx.latency_us.p99 as f64 / 1e3,
            bottleneck = %result.bottleneck,
            generator_max_lag_ms = result.generator.max_lag_us as f64 / 1e3,
            "node run measured"
        );
        Ok(result)
    }

    /// The plan of a ceiling probe of `duration` (warm-up, cool-down and drain from `[ceiling]`).
    pub fn probe_plan(&self, duration: Duration) -> Plan {
        probe_plan(self.config, duration)
    }
}

/// The plan of a ceiling probe of `config` lasting `duration` (warm-up, cool-down and drain from `[ceiling]`).
pub fn probe_plan(config: &BenchConfig, duration: Duration) -> Plan {
    let c = &config.ceiling;
    Plan {
        duration,
        warmup: Duration::from_secs_f64(c.warmup_s),
        cooldown: Duration::from_secs_f64(c.cooldown_s),
        drain: Duration::from_secs_f64(c.drain_s),
    }
}

impl RateProbe for NodeProbe<'_> {
    fn probe(&mut self, rate: f64, duration: Duration) -> Result<RateResult, ProbeError> {
        let offsets = intended_offsets(&Profile::Constant, rate, duration.as_secs_f64(), u64::MAX);
        let plan = self.probe_plan(duration);
        self.run_schedule(offsets, &plan)
    }
}
