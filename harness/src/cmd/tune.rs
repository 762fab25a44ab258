//! `hsbench tune`: the command line of [`crate::tune`].

use super::node_args::{NodeArgs, positive};
use crate::backends::BackendName;
use crate::config::{BenchConfig, ConfigError};
use crate::result;
use crate::tune::command::{self, TuneRequest};
use std::path::PathBuf;

/// Arguments of `hsbench tune`.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// Configuration (its `[pipeline]` and `[crypto]` are the starting point, `[slo]` and `[ceiling]` the
    /// measurement rules), seed, corpus cache, progress.
    #[command(flatten)]
    pub node: NodeArgs,
    /// Wall-clock budget for the whole search, rechecks included.
    #[arg(long, value_name = "M", default_value_t = 10.0)]
    pub budget_minutes: f64,
    /// Where the best configuration is written (TOML).
    #[arg(long, value_name = "FILE", default_value = "bench-configs/tuned.toml")]
    pub out: PathBuf,
    /// Folder the result JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub results: PathBuf,
    /// Backends the search may switch to (comma-separated); default: the configured one, plus `gpu` when a
    /// hardware adapter (not a CPU emulation) exists.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub backends: Vec<BackendName>,
    /// Length of each search probe (s); shorter windows make the committed fraction noisy (blocks land in lumps).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub probe_s: f64,
    /// Length of each candidate's confirmation run (s).
    #[arg(long, value_name = "S", default_value_t = 6.0)]
    pub confirm_s: f64,
    /// Bisection precision of each candidate's search (fraction).
    #[arg(long, default_value_t = 0.08)]
    pub precision: f64,
    /// A move is kept only when it raises the ceiling by more than this fraction (noise guard).
    #[arg(long, default_value_t = 0.03)]
    pub min_gain: f64,
}

fn effective_config(args: &TuneArgs) -> anyhow::Result<(BenchConfig, String)> {
    let (config, origin) = args.node.effective_config()?;
    positive(&origin, "--budget-minutes", args.budget_minutes)?;
    positive(&origin, "--probe-s", args.probe_s)?;
    positive(&origin, "--confirm-s", args.confirm_s)?;
    positive(&origin, "--precision", args.precision)?;
    if !(args.min_gain.is_finite() && args.min_gain >= 0.0) {
        return Err(
            ConfigError::Invalid { origin, key: "--min-gain", message: format!("got {}", args.min_gain) }.into()
        );
    }
    Ok((config, origin))
}

/// Runs `hsbench tune`.
pub fn execute(args: TuneArgs) -> anyhow::Result<()> {
    let (config, origin) = effective_config(&args)?;
    let req = TuneRequest {
        origin,
        cache: args.node.cache,
        quiet: args.node.quiet,
        live: args.node.live,
        budget_minutes: args.budget_minutes,
        out: args.out,
        results: args.results,
        backends: args.backends,
        probe_s: args.probe_s,
        confirm_s: args.confirm_s,
        precision: args.precision,
        min_gain: args.min_gain,
    };
    command::execute(&config, req)
}
