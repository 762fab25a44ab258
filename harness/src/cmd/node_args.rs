//! Arguments shared by the commands that run the node under test again and again (`ceiling`, `tune`):
//! configuration, seed, corpus cache, progress bars — and the effective configuration they give.

use crate::config::{self, BenchConfig, ConfigError};
use std::path::PathBuf;

/// Configuration, seed, corpus cache and progress of a node-mode command.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Configuration file (TOML); default: the embedded bench-configs/smoke.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Corpus cache folder (signed transactions are reused across runs).
    #[arg(long, value_name = "DIR", default_value = crate::loadgen::cache::DEFAULT_CACHE_DIR)]
    pub cache: PathBuf,
    /// No progress bars (they are also off when stdout or stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// A live terminal view while it measures: per-stage busy %, queue depth, back-pressure stalls, committed
    /// tx/s and p99 of the last second, generator lag, the current probe; q or Ctrl-C quits. Without a terminal
    /// on stdout it falls back to the progress bar.
    #[arg(long)]
    pub live: bool,
}

impl NodeArgs {
    /// The configuration with `--seed` applied and validated, and where it came from.
    pub fn effective_config(&self) -> anyhow::Result<(BenchConfig, String)> {
        let loaded = config::load(self.config.as_deref())?;
        let (mut config, mut origin) = (loaded.config, loaded.origin);
        if let Some(seed) = self.seed {
            config.run.seed = seed;
            origin = format!("{origin} with --seed");
        }
        config.validate(&origin)?;
        Ok((config, origin))
    }
}

/// A configuration error naming `key` unless `value` is a positive, finite number.
pub fn positive(origin: &str, key: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        return Ok(());
    }
    Err(ConfigError::Invalid { origin: origin.to_string(), key, message: format!("must be positive (got {value})") })
}
