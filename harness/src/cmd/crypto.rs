//! `hsbench crypto`: the command line of [`crate::crypto`].

use crate::backends::BackendName;
use crate::config;
use crate::crypto::Op;
use crate::crypto::command::{self, CryptoRequest};
use crate::result;
use hsbench_kernels::{DEVICES, DeviceThroughput};
use std::path::PathBuf;

/// Arguments of `hsbench crypto`.
#[derive(Debug, clap::Args)]
pub struct CryptoArgs {
    /// Backends (comma-separated; default: cpu, cpu-batch, cpu-par, and gpu when an adapter exists).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub backends: Vec<BackendName>,
    /// Batch sizes (comma-separated; default: powers of 4 from 1 to 65536).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub batch_sizes: Vec<usize>,
    /// Operations (comma-separated; default: all): ed25519-verify, g1-aggregate, g2-aggregate,
    /// g2-subgroup-check, qc-verify, vote-ingestion.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ops: Vec<Op>,
    /// Timed repeats per cell (CV is over these).
    #[arg(long, default_value_t = 5)]
    pub repeats: u32,
    /// Each repeat calls the operation for at least this long (ms).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub min_time_ms: u64,
    /// Configuration file whose [crypto] section sets the GPU batch, depth and adapter.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Adapter name substring for the gpu backend (overrides crypto.adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Folder the result JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// GPUs to project the GPU kernels (Ed25519 verify, BLS aggregation and subgroup check) onto from their integer
    /// operation counts (comma-separated, or
    /// `all`; default: h100-sxm): h100-sxm, h200, a100, rtx-4090, l4. A projection, never a measurement.
    #[arg(long, value_name = "GPU", value_delimiter = ',', value_parser = parse_projection_device)]
    pub project: Vec<String>,
}

/// `--project` values: `all` or a GPU that `hsbench_kernels::cost` knows (a usage error otherwise).
fn parse_projection_device(s: &str) -> Result<String, String> {
    if s.eq_ignore_ascii_case("all") || DeviceThroughput::find(s).is_some() {
        return Ok(s.to_string());
    }
    let keys: Vec<&str> = DEVICES.iter().map(|d| d.key).collect();
    Err(format!("unknown GPU {s:?} for a projection (expected all or one of {})", keys.join(", ")))
}

/// Runs `hsbench crypto`.
pub fn execute(args: CryptoArgs) -> anyhow::Result<()> {
    let mut crypto = config::load(args.config.as_deref())?.config.crypto;
    if args.adapter.is_some() {
        crypto.adapter = args.adapter.clone();
    }
    let config_origin = args.config.as_ref().map_or_else(|| "command line".to_string(), |p| p.display().to_string());
    command::execute(&CryptoRequest {
        backends: args.backends,
        batch_sizes: args.batch_sizes,
        ops: args.ops,
        repeats: args.repeats,
        min_time_ms: args.min_time_ms,
        crypto,
        config_origin,
        out: args.out,
        quiet: args.quiet,
        project: args.project,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_device_names_are_checked() {
        assert!(parse_projection_device("tpu-v5").is_err());
        assert!(parse_projection_device("a100").is_ok());
    }
}
