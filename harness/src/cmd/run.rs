//! `hsbench run`: the command line of [`crate::run`] — arguments, command-line overrides of the configuration,
//! and the choice of mode.

use crate::config::{self, BenchConfig};
use crate::result;
use crate::run;
use std::path::PathBuf;

/// The arguments `run` and `cluster` share: the configuration and the command-line values that replace its load,
/// seed, and where the result goes.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
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
}

impl LoadArgs {
    /// The configuration with these overrides (and `validators`, when given) applied and validated.
    pub(super) fn effective_config(&self, validators: Option<usize>) -> anyhow::Result<(BenchConfig, String)> {
        let o = Overrides { duration: self.duration, rate: self.rate, seed: self.seed, validators };
        effective_config(self.config.as_deref(), &o)
    }
}

/// Arguments of `hsbench run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Configuration, load, seed, output.
    #[command(flatten)]
    pub load: LoadArgs,
    /// `cluster`: n validators in one process over the simulated network; `node`: one validator's pinned
    /// pipeline with a synthetic committee (the throughput of one node).
    #[arg(long, value_enum, default_value_t = Mode::Cluster)]
    pub mode: Mode,
    /// Corpus cache folder of node mode (signed transactions are reused across runs).
    #[arg(long, value_name = "DIR", default_value = crate::loadgen::cache::DEFAULT_CACHE_DIR)]
    pub cache: PathBuf,
    /// Node mode over the wire (with `--mode node`): the node under test is an `hsbench node` process meeting its
    /// synthetic committee — an `hsbench committee` process, each member behind its own network — through its real
    /// network stage, and this process is the load client on its client port; the node's per-stage cost then
    /// includes the network stage's. Writes a `mode: "node-wire"` result.
    #[arg(long)]
    pub wire: bool,
    /// Node mode only: a live terminal view while it measures (per-stage busy %, queue depth, back-pressure
    /// stalls, committed tx/s and p99 of the last second, generator lag); q or Ctrl-C quits. Without a terminal
    /// on stdout it falls back to the progress bar.
    #[arg(long)]
    pub live: bool,
    /// Node mode only: pin no thread of the node under test or its committee (see `hsbench ceiling --no-pin`).
    #[arg(long)]
    pub no_pin: bool,
}

/// What `hsbench run` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The in-process cluster.
    Cluster,
    /// One node's pinned pipeline with a synthetic committee.
    Node,
}

/// Command-line values that replace configured ones (`run`, `cluster`).
#[derive(Debug, Default)]
pub(super) struct Overrides {
    /// `--duration`: run.duration_s.
    pub duration: Option<f64>,
    /// `--rate`: run.rate_tps (and a constant profile).
    pub rate: Option<f64>,
    /// `--seed`: run.seed.
    pub seed: Option<u64>,
    /// `--nodes`: cluster.validators.
    pub validators: Option<usize>,
}

/// Loads the configuration at `path` (the embedded default when `None`), applies the command-line overrides,
/// validates; the origin names the overrides used.
pub(super) fn effective_config(path: Option<&std::path::Path>, o: &Overrides) -> anyhow::Result<(BenchConfig, String)> {
    let loaded = config::load(path)?;
    let mut config = loaded.config;
    let mut origin = loaded.origin;
    let mut overridden = Vec::new();
    if let Some(duration) = o.duration {
        if let Some(note) = config.set_duration(duration) {
            eprintln!("{note}");
        }
        overridden.push("--duration");
    }
    if let Some(rate) = o.rate {
        config.run.rate_tps = rate;
        if config.run.profile != crate::loadgen::schedule::Profile::Constant {
            eprintln!("note: --rate replaces the configured run.profile with a constant rate");
            config.run.profile = crate::loadgen::schedule::Profile::Constant;
        }
        overridden.push("--rate");
    }
    if let Some(seed) = o.seed {
        config.run.seed = seed;
        overridden.push("--seed");
    }
    if let Some(n) = o.validators {
        config.cluster.validators = n;
        overridden.push("--nodes");
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
    let (config, origin) = args.load.effective_config(None)?;
    let usage = |key: &'static str, message: &str| -> anyhow::Result<()> {
        Err(crate::config::ConfigError::Invalid { origin: "command line".into(), key, message: message.into() }.into())
    };
    match args.mode {
        Mode::Cluster if args.no_pin => {
            usage("--no-pin", "in-process node mode only: give --mode node (hsbench cluster places its processes)")
        }
        Mode::Node if args.no_pin && args.wire => super::node::unpin_in_process(true, true),
        Mode::Cluster if args.live => {
            usage("--live", "the live view shows node mode's pipeline: use it with --mode node")
        }
        Mode::Cluster if args.wire => usage(
            "--wire",
            "--wire is node mode over the wire: give --mode node (validators as processes: hsbench cluster)",
        ),
        Mode::Cluster => run::cluster::execute(&config, origin, &args.load.out, args.load.quiet, started_unix_s),
        Mode::Node if args.wire && args.live => {
            usage("--live", "the live view shows this process's pipeline; with --wire the node runs in another one")
        }
        Mode::Node if args.wire => {
            let run = crate::wire::cluster::ClusterRun {
                cache: args.cache,
                out: args.load.out,
                quiet: args.load.quiet,
                started_unix_s,
                byzantine: config.wire.byzantine_roles(), // refused: one honest node is measured
                faults: None,
                link_layer: crate::wire::links::LinkLayer::Auto,
                committee: true,
                keep_storage: false,
            };
            crate::wire::cluster::execute(&config, origin, &run)
        }
        Mode::Node => {
            super::node::unpin_in_process(args.no_pin, false)?;
            run::node::command::execute(
                &config,
                origin,
                &args.cache,
                &args.load.out,
                args.load.quiet,
                args.live,
                started_unix_s,
            )
        }
    }
}
