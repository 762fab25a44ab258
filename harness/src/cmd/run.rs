//! `hsbench run`: an N-validator cluster in this process (real node code, real signatures) under open-loop load.

use crate::config::{self, BenchConfig, ClockKind, ConfigError};
use crate::corpus;
use crate::measure::{self, Agreement, DriveOutcome, GeneratorCheck, Pacer, Plan, TxMetrics};
use crate::result::{self, Fingerprint, ResultHeader};
use crate::ui::{Ui, load_bar, progress_bar};
use anyhow::{Context, anyhow};
use hsbench_engine::sim::{Cluster, ClusterReport, NodeReport, SimError};
use hsbench_engine::types::Height;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `hsbench run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Configuration file (TOML); default: the embedded bench-configs/smoke.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Load duration in seconds (overrides run.duration_s; warm-up and cool-down shrink in proportion when they
    /// would not fit).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Offered load in transactions per second (overrides run.rate_tps).
    #[arg(long, value_name = "TPS")]
    pub rate: Option<f64>,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder the result JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
    /// No progress bars (they are also off when stdout or stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// `cluster`: n validators in one process over the simulated network; `node`: one validator's pinned
    /// pipeline with a synthetic committee (the throughput of one node).
    #[arg(long, value_enum, default_value_t = Mode::Cluster)]
    pub mode: Mode,
    /// Corpus cache folder of node mode (signed transactions are reused across runs).
    #[arg(long, value_name = "DIR", default_value = crate::loadgen::cache::DEFAULT_CACHE_DIR)]
    pub cache: PathBuf,
}

/// What `hsbench run` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The in-process cluster.
    Cluster,
    /// One node's pinned pipeline with a synthetic committee.
    Node,
}

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
}

impl RunMetrics {
    fn new(config: &BenchConfig, outcome: &DriveOutcome) -> Self {
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
        }
    }
}

fn plan(config: &BenchConfig) -> Plan {
    Plan {
        duration: Duration::from_secs_f64(config.run.duration_s),
        warmup: Duration::from_secs_f64(config.run.warmup_s),
        cooldown: Duration::from_secs_f64(config.run.cooldown_s),
        drain: Duration::from_secs_f64(config.run.drain_s),
    }
}

/// Loads the configuration, applies the command-line overrides, validates.
pub(crate) fn effective_config(args: &RunArgs) -> anyhow::Result<(BenchConfig, String)> {
    let loaded = config::load(args.config.as_deref())?;
    let mut config = loaded.config;
    let mut origin = loaded.origin;
    let mut overridden = Vec::new();
    if let Some(duration) = args.duration {
        if let Some(note) = config.set_duration(duration) {
            eprintln!("{note}");
        }
        overridden.push("--duration");
    }
    if let Some(rate) = args.rate {
        config.run.rate_tps = rate;
        if config.run.profile != crate::loadgen::schedule::Profile::Constant {
            eprintln!("note: --rate replaces the configured run.profile with a constant rate");
            config.run.profile = crate::loadgen::schedule::Profile::Constant;
        }
        overridden.push("--rate");
    }
    if let Some(seed) = args.seed {
        config.run.seed = seed;
        overridden.push("--seed");
    }
    if !overridden.is_empty() {
        origin = format!("{origin} with {}", overridden.join(", "));
    }
    config.validate(&origin)?;
    Ok((config, origin))
}

/// Runs `hsbench run`.
pub fn execute(args: RunArgs) -> anyhow::Result<()> {
    let started_unix_s = result::unix_now();
    if args.mode == Mode::Node {
        return super::run_node::execute(&args, started_unix_s);
    }
    let (config, origin) = effective_config(&args)?;
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
    let ui = Ui::detect(args.quiet);
    let c = &config.cluster;
    println!("hsbench run — {origin}");
    println!(
        "  {} validators · {} votes · {} · {} storage · {} clock · {} tx/s for {} s (window {:.1} s)",
        c.validators,
        name(&c.vote_scheme),
        c.verify_backend,
        name(&c.storage),
        name(&c.clock),
        config.run.rate_tps,
        config.run.duration_s,
        config.window().as_secs_f64(),
    );
    let metrics = run_benchmark(&config, &origin, &ui)?;
    let header = ResultHeader { kind: "run", mode: Some("cluster"), started_unix_s, config_origin: origin };
    let fingerprint = Fingerprint::collect(&config_toml, config.run.seed, config.cluster.verify_backend.name());
    let path = result::write_result(&args.out, header, fingerprint, &config, &metrics)?;
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
    let mut cluster = match Cluster::new(cluster_config) {
        Ok(cluster) => cluster,
        Err(SimError::Config(message)) => {
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
    drop(cluster);
    drop(scratch);
    Ok(RunMetrics::new(config, &outcome))
}

/// A config enum's name as written in the TOML.
pub(crate) fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

/// The first 16 characters (of a hex root).
fn short(s: &str) -> String {
    s.chars().take(16).collect()
}

pub(crate) fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1e3)
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
    super::node_table::print_tx_books(t);
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
