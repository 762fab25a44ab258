//! `hsbench run --mode cluster`: an N-validator cluster in this process (real node code, real signatures) under
//! open-loop load, measured and written as a `kind: "run"`, `mode: "cluster"` result.

use super::{ms, name, plan};
use crate::config::{self, BenchConfig, ClockKind, ConfigError};
use crate::corpus;
use crate::measure::{self, Agreement, DriveOutcome, GeneratorCheck, Pacer, TxMetrics};
use crate::result::{self, Fingerprint, ResultHeader};
use crate::ui::{Ui, load_bar, progress_bar};
use anyhow::{Context, anyhow};
use hsbench_engine::crypto::cpu_backend;
use hsbench_engine::runtime::pipeline::{MemoryWatch, ProcessMemory};
use hsbench_engine::runtime::{ChainSetup, SetupError};
use hsbench_engine::sim::{Cluster, ClusterReport, NodeReport};
use hsbench_engine::types::Height;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// The `metrics` object of a run result.
#[derive(Clone, Debug, Serialize)]
pub struct RunMetrics {
    /// Load duration (s).
    pub duration_s: f64,
    /// Throughput, latency, rejections and books.
    #[serde(flatten)]
    pub tx: TxMetrics,
    /// Lowest committed height over the nodes (every node committed at least this far).
    pub committed_height: Height,
    /// Blocks committed (one block per height above genesis, so equal to `committed_height`).
    pub blocks: u64,
    /// Every node at one executed height with one state root, and the engine's safety check passed.
    pub consistent: bool,
    /// The state root all nodes agree on (hex), when they do.
    pub state_root: Option<String>,
    /// The executed height of that root, when they agree.
    pub executed_height: Option<Height>,
    /// The two halves of `consistent`, and how long the drain took.
    pub agreement: Agreement,
    /// The generator's check on itself.
    pub generator: GeneratorCheck,
    /// Messages the simulated network delivered.
    pub messages_delivered: u64,
    /// Messages it dropped.
    pub messages_dropped: u64,
    /// Per-node summaries.
    pub nodes: Vec<NodeReport>,
    /// Resident memory of the process over the run — every validator of the in-process cluster together (`null`
    /// off Linux).
    pub memory: Option<ProcessMemory>,
}

impl RunMetrics {
    fn new(config: &BenchConfig, outcome: &DriveOutcome, memory: Option<ProcessMemory>) -> Self {
        let plan = plan(config);
        let report: &ClusterReport = &outcome.report;
        let committed_height = report.nodes.iter().map(|n| n.committed_height).min().unwrap_or(0);
        let agreed = outcome.agreement.same_root_same_height;
        let first = report.nodes.first();
        RunMetrics {
            duration_s: config.run.duration_s,
            tx: outcome.recorder.metrics(outcome.start, &plan),
            committed_height,
            blocks: committed_height,
            consistent: agreed && outcome.agreement.engine_consistent,
            state_root: first.filter(|_| agreed).map(|n| n.state_root.clone()),
            executed_height: first.filter(|_| agreed).map(|n| n.executed_height),
            agreement: outcome.agreement.clone(),
            generator: outcome.generator,
            messages_delivered: report.messages_delivered,
            messages_dropped: report.messages_dropped,
            nodes: report.nodes.clone(),
            memory,
        }
    }
}

/// Runs the cluster benchmark of a validated `config` (from `origin`), writes the result into `out` and prints the
/// summary; fails when the nodes did not end in agreement.
pub fn execute(
    config: &BenchConfig,
    origin: String,
    out: &Path,
    quiet: bool,
    started_unix_s: u64,
) -> anyhow::Result<()> {
    if config.crypto.backend == crate::backends::BackendName::Gpu {
        return Err(config::ConfigError::Invalid {
            origin,
            key: "crypto.backend",
            message: "\"gpu\" runs in node mode (`run --mode node`, `ceiling`), `verify` and `crypto`; the \
                      in-process cluster takes cpu, cpu-batch or cpu-par"
                .to_string(),
        }
        .into());
    }
    let config_toml = config.to_toml().context("cannot render the effective configuration as TOML")?;
    let ui = Ui::detect(quiet);
    let c = &config.cluster;
    println!("hsbench run — {origin}");
    println!(
        "  {} validators · {} votes · {} · {} storage · {} clock · {} tx/s for {} s (window {:.1} s)",
        c.validators,
        name(&c.vote_scheme),
        config.verification_label(),
        name(&c.storage),
        name(&c.clock),
        config.run.rate_tps,
        config.run.duration_s,
        config.window().as_secs_f64(),
    );
    let metrics = run_benchmark(config, &origin, &ui)?;
    let header = ResultHeader { kind: "run", mode: Some("cluster"), started_unix_s, config_origin: origin };
    let fingerprint = Fingerprint::collect(&config_toml, config.run.seed, config.crypto.backend.name())
        .with_signature_free(!config.workload.signatures);
    let path = result::write_result(out, header, fingerprint, config, &metrics)?;
    print_summary(&metrics);
    println!("result: {}", path.display());
    if !metrics.consistent {
        anyhow::bail!("the nodes did not end in agreement (see {})", path.display());
    }
    Ok(())
}

/// One benchmark of a validated `config` (named `origin` in errors): builds the corpus, starts the cluster,
/// drives it open-loop, drains, and measures. Reusable by commands that run many (ceiling search).
pub fn run_benchmark(config: &BenchConfig, origin: &str, ui: &Ui) -> anyhow::Result<RunMetrics> {
    let c = &config.cluster;
    let t = Instant::now();
    let bar = progress_bar(ui.progress, "signing", "{prefix:>9} [{bar:30}] {pos}/{len} keys + transactions");
    let corpus = corpus::build(config, &bar);
    bar.finish_and_clear();
    if ui.log {
        println!(
            "  corpus: {} accounts, {} transactions signed in {:.1} s",
            corpus.genesis.len(),
            corpus.txs.len(),
            t.elapsed().as_secs_f64()
        );
    }

    // `scratch` keeps a temporary redb folder alive until the cluster is gone.
    let (storage, scratch) = c.storage_mode().context("cannot create a temporary folder for redb")?;
    let cluster_config = config.cluster_config(corpus.genesis, storage);
    // Every node verifies with the one `[crypto] backend` (a CPU kind: `gpu` was refused above).
    let backend = cpu_backend(config.crypto.backend.cpu_side());
    let watch = MemoryWatch::start();
    let started = ChainSetup::new(&cluster_config.chain)
        .and_then(|setup| Cluster::with_setup(cluster_config, setup.with_backend(backend), &[]));
    let mut cluster = match started {
        Ok(cluster) => cluster,
        Err(SetupError::Config(message)) => {
            return Err(ConfigError::Refused { origin: origin.to_string(), message }.into());
        }
        Err(e) => return Err(anyhow!("cannot start the cluster: {e}")),
    };
    // The cluster's wall clock started inside `Cluster::new`; the pacer starts right after, so its axis trails the
    // cluster's by at most the nodes' start-up work, and latencies can only err high, by that much.
    let start = measure::SystemUnderTest::now(&cluster);
    let mut pacer: Box<dyn Pacer> = match c.clock {
        ClockKind::Wall => Box::new(measure::WallPacer::start(start)),
        ClockKind::Virtual => Box::new(measure::VirtualPacer::start(start)),
    };

    let plan = plan(config);
    let (bar, mut draw) = load_bar(ui.progress, plan.duration);
    let outcome = measure::drive(&mut cluster, pacer.as_mut(), corpus.txs, &plan, &mut draw);
    bar.finish_and_clear();
    let memory = watch.read();
    drop(cluster);
    drop(scratch);
    Ok(RunMetrics::new(config, &outcome, memory))
}

/// The first 16 characters (of a hex root).
fn short(s: &str) -> String {
    s.chars().take(16).collect()
}

fn print_summary(m: &RunMetrics) {
    let t = &m.tx;
    let l = &t.latency_us;
    println!();
    println!("  offered           {:>10.1} tx/s", t.offered_tps);
    println!(
        "  committed         {:>10.1} tx/s   ({} of {} window txs; commits inside the window: {:.1} tx/s)",
        t.committed_tps, t.window_committed, t.window_txs, t.commit_rate_tps
    );
    println!(
        "  latency (ms)      p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (n = {}, from intended send time)",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max),
        l.count
    );
    println!(
        "  committed height  {:>10}   (blocks {}, {} with the run's txs)",
        m.committed_height, m.blocks, t.blocks_with_txs
    );
    super::node::table::print_tx_books(t);
    if t.execution_failed > 0 {
        println!("  execution failed  {} committed txs", t.execution_failed);
    }
    let g = &m.generator;
    println!(
        "  generator         {} (late > {} ms: {} of {}; max lag {} ms, p99 {} ms)",
        if g.valid { "kept its schedule" } else { "FELL BEHIND — run invalid" },
        ms(g.late_threshold_us),
        g.late,
        g.submitted,
        ms(g.max_lag_us),
        ms(g.p99_lag_us)
    );
    match (&m.state_root, m.executed_height) {
        (Some(root), Some(height)) if m.consistent => {
            println!("  nodes agree       yes: state root {} at height {height}", short(root))
        }
        _ => println!(
            "  nodes agree       NO (same root at same height: {}, engine check: {})",
            m.agreement.same_root_same_height, m.agreement.engine_consistent
        ),
    }
    if let Some(memory) = &m.memory {
        println!(
            "  memory            peak {:.0} MiB resident over {}, {:.0} MiB at the end (the process: all {} validators)",
            memory.peak_mib(),
            memory.peak_scope(),
            memory.rss_mib(),
            m.nodes.len()
        );
    }
    println!();
    println!(
        "  {:>4} {:>9} {:>9} {:<16} {:>6} {:>9} {:>8} {:>8} {:>7}",
        "node", "committed", "executed", "state root", "epoch", "proposals", "timeouts", "rejected", "mempool"
    );
    for n in &m.nodes {
        println!(
            "  {:>4} {:>9} {:>9} {:<16} {:>6} {:>9} {:>8} {:>8} {:>7}",
            n.node,
            n.committed_height,
            n.executed_height,
            short(&n.state_root),
            n.epoch,
            n.proposals,
            n.timeouts,
            n.rejected.values().sum::<u64>(),
            n.mempool_len
        );
    }
    for n in &m.nodes {
        if let Some(why) = &n.halted {
            println!("  node {} HALTED: {why}", n.node);
        }
    }
    println!();
}
