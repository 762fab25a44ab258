//! `hsbench cluster`: validators as separate processes over the real network, under open-loop load from a client
//! (see [`crate::wire::cluster`]).

use super::run::LoadArgs;
use crate::wire::links::LinkLayer;
use hsbench_engine::byzantine::Byzantine;
use hsbench_engine::types::ValidatorId;
use std::path::PathBuf;

/// Arguments of `hsbench cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Configuration (`[wire]` without addresses lets the cluster pick free loopback ports; the validators' data,
    /// logs and reports go in a folder inside `--out`), load, seed, output.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Number of validator processes (overrides cluster.validators; at least 4).
    #[arg(long, value_name = "N")]
    pub nodes: Option<usize>,
    /// Corpus cache folder (signed transactions are reused across runs).
    #[arg(long, value_name = "DIR", default_value = crate::loadgen::cache::DEFAULT_CACHE_DIR)]
    pub cache: PathBuf,
    /// Make validator I byzantine with BEHAVIOUR (repeatable; see `hsbench node --help` for the behaviours), besides
    /// those of `[wire] byzantine`. The agreement check then covers the honest validators.
    #[arg(long, value_name = "I=BEHAVIOUR", value_parser = parse_assignment)]
    pub byzantine: Vec<(ValidatorId, Byzantine)>,
    /// Fault schedule, replacing the config's `[[fault]]` tables (TOML `[[fault]]` tables: `at_s` with `kill = I`
    /// [`restart_after_s`], `partition = [[..], [..]]` [`for_s`] or `impair = I` with `loss` / `kbytes_per_s` /
    /// `delay_ms` / `jitter_ms` [`for_s`]). The timeline is in the result.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Which layer cuts and impairs links: `netns` runs each validator in its own network namespace and makes
    /// partitions, loss and bandwidth caps nftables rules on packets (root only); `transport` makes them the
    /// validators' own link filter on whole frames (no privileges); `auto` is netns when root. Latency and jitter are
    /// the transport's either way (this machine kind's kernel has no netem).
    #[arg(long, value_enum, default_value = "auto")]
    pub link_faults: LinkLayer,
    /// Keep each validator's redb file in the run folder after the run (by default it is deleted once every
    /// process has stopped; reports and logs stay): ~200 MB per validator for 30 s at 30,000 tx/s.
    #[arg(long)]
    pub keep_storage: bool,
}

/// `I=BEHAVIOUR`.
fn parse_assignment(text: &str) -> Result<(ValidatorId, Byzantine), String> {
    let (id, name) = text.split_once('=').ok_or_else(|| format!("{text:?}: expected I=BEHAVIOUR"))?;
    let id = id.trim().parse().map_err(|e| format!("{text:?}: validator id: {e}"))?;
    Ok((id, super::node::parse_byzantine(name.trim())?))
}

/// Runs `hsbench cluster`.
pub fn execute(args: ClusterArgs) -> anyhow::Result<()> {
    let started_unix_s = crate::result::unix_now();
    let (config, origin) = args.load.effective_config(args.nodes)?;
    let mut byzantine = config.wire.byzantine_roles();
    byzantine.extend(args.byzantine);
    let run = crate::wire::cluster::ClusterRun {
        cache: args.cache,
        out: args.load.out,
        quiet: args.load.quiet,
        started_unix_s,
        byzantine,
        faults: args.faults,
        link_layer: args.link_faults,
        committee: false,
        keep_storage: args.keep_storage,
    };
    crate::wire::cluster::execute(&config, origin, &run)
}
