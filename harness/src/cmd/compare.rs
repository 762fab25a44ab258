//! `hsbench compare`: the command line of [`crate::compare`].

use crate::compare::Thresholds;
use crate::compare::command::{self, invalid};
use std::path::PathBuf;

/// Arguments of `hsbench compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The reference: a result file, or a folder of result files.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The candidate: a result file (same kind as BASE), or a folder (its files are paired with BASE's by file
    /// name, then by kind, mode and configuration hash).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Fail (exit code 1) when a ratio is below this (ratio = new ÷ base for throughput, base ÷ new for latency).
    #[arg(long, value_name = "RATIO", default_value_t = 0.8)]
    pub fail_below: f64,
    /// Warn when a ratio is below this (exit code stays 0).
    #[arg(long, value_name = "RATIO", default_value_t = 0.9)]
    pub warn_below: f64,
    /// Also write the Markdown table to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// Runs `hsbench compare`: exit code 0 on pass or warn, 1 on a regression, 2 on unusable input.
pub fn execute(args: CompareArgs) -> anyhow::Result<()> {
    let t = Thresholds { fail_below: args.fail_below, warn_below: args.warn_below };
    if !(t.fail_below.is_finite() && t.fail_below > 0.0) {
        return Err(invalid("--fail-below", format!("must be a positive ratio (got {})", t.fail_below)));
    }
    if !(t.warn_below.is_finite() && t.warn_below >= t.fail_below) {
        return Err(invalid(
            "--warn-below",
            format!("must be at least --fail-below {} (got {})", t.fail_below, t.warn_below),
        ));
    }
    command::execute(&args.base, &args.new, t, args.markdown.as_deref())
}
