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
    /// The fail and warn thresholds.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Also write the Markdown table to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// The thresholds on a ratio (below 1 is worse) of `compare` and `history show`.
#[derive(Debug, clap::Args)]
pub struct ThresholdArgs {
    /// Fail (exit code 1) when a ratio is below this (ratio = new ÷ base for throughput, base ÷ new for latency).
    #[arg(long, value_name = "RATIO", default_value_t = Thresholds::DEFAULT.fail_below)]
    pub fail_below: f64,
    /// Warn when a ratio is below this (exit code stays 0).
    #[arg(long, value_name = "RATIO", default_value_t = Thresholds::DEFAULT.warn_below)]
    pub warn_below: f64,
}

impl ThresholdArgs {
    /// The checked thresholds: a usage error (exit code 2) unless 0 < fail ≤ warn.
    pub fn thresholds(&self) -> anyhow::Result<Thresholds> {
        let t = Thresholds { fail_below: self.fail_below, warn_below: self.warn_below };
        if !(t.fail_below.is_finite() && t.fail_below > 0.0) {
            return Err(invalid("--fail-below", format!("must be a positive ratio (got {})", t.fail_below)));
        }
        if !(t.warn_below.is_finite() && t.warn_below >= t.fail_below) {
            return Err(invalid(
                "--warn-below",
                format!("must be at least --fail-below {} (got {})", t.fail_below, t.warn_below),
            ));
        }
        Ok(t)
    }
}

/// Runs `hsbench compare`: exit code 0 on pass or warn, 1 on a regression, 2 on unusable input.
pub fn execute(args: CompareArgs) -> anyhow::Result<()> {
    let t = args.thresholds.thresholds()?;
    command::execute(&args.base, &args.new, t, args.markdown.as_deref())
}
