//! `hsbench plan`: the command line of [`crate::plan`].

use crate::plan::command::{self, PlanRequest, invalid};
use crate::result;
use std::path::PathBuf;

/// Arguments of `hsbench plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Target rate the validator must commit (tx/s).
    #[arg(long, value_name = "N")]
    pub target_tps: f64,
    /// Ceiling or node-mode results whose `metrics.stages` give the cost per transaction of each stage (several:
    /// the mean per stage). Default: the newest ceiling result under results/ with stage costs, from a clean
    /// build, with a confirmed ceiling.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// A crypto result with gpu ed25519-verify cells: also plan signature verification on GPUs of that kind.
    #[arg(long, value_name = "FILE")]
    pub gpu_results: Option<PathBuf>,
    /// Highest planned busy fraction of any core (0 < U ≤ 1); headroom keeps queues and latency short.
    #[arg(long, value_name = "U", default_value_t = 0.8)]
    pub utilisation: f64,
    /// Folder the plan JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
}

/// Runs `hsbench plan`.
pub fn execute(args: PlanArgs) -> anyhow::Result<()> {
    if !(args.target_tps.is_finite() && args.target_tps > 0.0) {
        return Err(invalid("--target-tps", format!("must be a positive rate (got {})", args.target_tps)));
    }
    if !(args.utilisation > 0.0 && args.utilisation <= 1.0) {
        return Err(invalid("--utilisation", format!("must be in (0, 1] (got {})", args.utilisation)));
    }
    command::execute(&PlanRequest {
        target_tps: args.target_tps,
        utilisation: args.utilisation,
        results: args.results,
        gpu_results: args.gpu_results,
        out: args.out,
    })
}
