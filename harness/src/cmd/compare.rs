//! `hsbench compare`: the regression gate between two result files or two folders of them; a Markdown table on
//! stdout (and in a file), exit code 1 on a regression.

use crate::compare::{self, Thresholds, Verdict};
use crate::config::ConfigError;
use crate::result::read::{self, ResultDoc};
use anyhow::Context;
use std::path::{Path, PathBuf};

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

fn invalid(key: &'static str, message: String) -> anyhow::Error {
    ConfigError::Invalid { origin: "command line".into(), key, message }.into()
}

fn load(path: &Path) -> anyhow::Result<Vec<ResultDoc>> {
    Ok(read::load_all(&[path.to_path_buf()]).map_err(ConfigError::from)?)
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
    let (base_dir, new_dir) = (args.base.is_dir(), args.new.is_dir());
    if base_dir != new_dir {
        return Err(invalid("BASE NEW", "give two files or two folders, not one of each".into()));
    }
    let (base, new) = (load(&args.base)?, load(&args.new)?);
    let compare::Pairing { pairs, notes } = if base_dir {
        compare::pair(&base, &new)
    } else {
        let (Some(b), Some(n)) = (base.first(), new.first()) else {
            return Err(invalid("BASE NEW", "no result to compare".into()));
        };
        if b.label() != n.label() {
            return Err(invalid(
                "BASE NEW",
                format!("cannot compare a {} result with a {} result", b.label(), n.label()),
            ));
        }
        compare::Pairing { pairs: vec![(0, 0)], notes: Vec::new() }
    };
    if pairs.is_empty() {
        return Err(invalid(
            "BASE NEW",
            format!("no result in {} matches one in {}", args.base.display(), args.new.display()),
        ));
    }
    let comparisons = pairs
        .iter()
        .map(|&(i, j)| compare::compare(&base[i], &new[j], t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ConfigError::from)?;
    let md =
        compare::markdown(&args.base.display().to_string(), &args.new.display().to_string(), &comparisons, &notes, t);
    print!("{md}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, md.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let failed: Vec<String> = comparisons
        .iter()
        .flat_map(|c| {
            c.rows.iter().filter(|r| r.verdict == Verdict::Fail).map(move |r| format!("{} ({})", r.metric, c.new))
        })
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "regression: {} metric(s) below --fail-below {}: {}",
            failed.len(),
            t.fail_below,
            failed.join(", ")
        );
    }
    Ok(())
}
