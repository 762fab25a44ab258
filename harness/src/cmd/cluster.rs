//! `hsbench cluster`: validators as separate processes over the real network, under open-loop load from a client
//! (see [`crate::wire::cluster`]).

use super::run::{Overrides, effective_config};
use crate::result;
use hsbench_engine::byzantine::Byzantine;
use hsbench_engine::types::ValidatorId;
use std::path::PathBuf;

/// Arguments of `hsbench cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Configuration file (TOML); default: the embedded bench-configs/smoke.toml. `[wire]` without addresses lets
    /// the cluster pick free loopback ports.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Number of validator processes (overrides cluster.validators; at least 4).
    #[arg(long, value_name = "N")]
    pub nodes: Option<usize>,
    /// Load duration in seconds (overrides run.duration_s).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Offered load in transactions per second (overrides run.rate_tps).
    #[arg(long, value_name = "TPS")]
    pub rate: Option<f64>,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder the result JSON is written to (the validators' data, logs and reports go in a folder beside it).
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
    /// Corpus cache folder (signed transactions are reused across runs).
    #[arg(long, value_name = "DIR", default_value = crate::loadgen::cache::DEFAULT_CACHE_DIR)]
    pub cache: PathBuf,
    /// No progress bars (they are also off when stdout or stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// Make validator I byzantine with BEHAVIOUR (repeatable; see `hsbench node --help` for the behaviours). The
    /// agreement check then covers the honest validators.
    #[arg(long, value_name = "I=BEHAVIOUR", value_parser = parse_assignment)]
    pub byzantine: Vec<(ValidatorId, Byzantine)>,
    /// Fault schedule (TOML `[[fault]]` tables: `at_s` with `kill = I` [`restart_after_s`] or `partition = [[..],
    /// [..]]` [`for_s`]); partitions run the validators in network namespaces and need root. The timeline is in
    /// the result.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
}

/// `I=BEHAVIOUR`.
fn parse_assignment(text: &str) -> Result<(ValidatorId, Byzantine), String> {
    let (id, name) = text.split_once('=').ok_or_else(|| format!("{text:?}: expected I=BEHAVIOUR"))?;
    let id = id.trim().parse().map_err(|e| format!("{text:?}: validator id: {e}"))?;
    Ok((id, super::node::parse_byzantine(name.trim())?))
}

/// Runs `hsbench cluster`.
pub fn execute(args: ClusterArgs) -> anyhow::Result<()> {
    let started_unix_s = result::unix_now();
    let overrides = Overrides { duration: args.duration, rate: args.rate, seed: args.seed, validators: args.nodes };
    let (config, origin) = effective_config(args.config.as_deref(), &overrides)?;
    let run = crate::wire::cluster::ClusterRun {
        cache: args.cache,
        out: args.out,
        quiet: args.quiet,
        started_unix_s,
        byzantine: args.byzantine,
        faults: args.faults,
    };
    crate::wire::cluster::execute(&config, origin, &run)
}
