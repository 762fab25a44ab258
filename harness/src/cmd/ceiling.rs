//! `hsbench ceiling`: the command line of [`crate::ceiling`].

use super::node_args::{NodeArgs, positive};
use crate::ceiling::{self, CeilingRun};
use crate::config::BenchConfig;
use crate::result;
use std::path::PathBuf;

/// Arguments of `hsbench ceiling`.
#[derive(Debug, clap::Args)]
pub struct CeilingArgs {
    /// Configuration, seed, corpus cache, progress.
    #[command(flatten)]
    pub node: NodeArgs,
    /// Folder the result JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
    /// Wall-clock budget: bisection stops early so that the confirmation runs still fit.
    #[arg(long, value_name = "M", default_value_t = 9.0)]
    pub budget_minutes: f64,
    /// Node mode over the wire: each probe runs the node under test as an `hsbench node` process meeting its
    /// synthetic committee (an `hsbench committee` process) through its real network stage, the load on its client
    /// port, so the ceiling pays for the wire; the network stage's cost per transaction is in the stage table.
    #[arg(long)]
    pub wire: bool,
    /// Pin no thread of the node under test or its committee: the OS schedules them over the process's cores (the
    /// core map then sets thread counts only; the busiest-core figure is nominal). On 2 cores, where the automatic
    /// layout puts five stages on one core and three on the other, p99 at a given rate fell by 30–50 % unpinned
    /// (docs/NODE-MODE.md). Not with `--wire` (there `cluster`'s placement decides).
    #[arg(long)]
    pub no_pin: bool,
}

fn effective_config(args: &CeilingArgs) -> anyhow::Result<(BenchConfig, String)> {
    let (config, origin) = args.node.effective_config()?;
    positive(&origin, "--budget-minutes", args.budget_minutes)?;
    Ok((config, origin))
}

/// Runs `hsbench ceiling`.
pub fn execute(args: CeilingArgs) -> anyhow::Result<()> {
    let started_unix_s = result::unix_now();
    let (config, origin) = effective_config(&args)?;
    super::node::unpin_in_process(args.no_pin, args.wire)?;
    let run = CeilingRun {
        origin,
        cache: &args.node.cache,
        out: &args.out,
        quiet: args.node.quiet,
        live: args.node.live,
        budget_minutes: args.budget_minutes,
        started_unix_s,
        wire: args.wire,
    };
    ceiling::execute(&config, run)
}
