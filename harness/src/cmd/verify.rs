//! `hsbench verify`: the command line of [`crate::verify`].

use crate::backends::BackendName;
use crate::config;
use crate::verify;
use std::path::PathBuf;

/// Arguments of `hsbench verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Backend: cpu, cpu-batch, cpu-par or gpu (default: the config's crypto.backend).
    #[arg(long, value_name = "B")]
    pub backend: Option<BackendName>,
    /// JSON Lines of {"scheme","pk","msg","sig","dst"?}, or a Wycheproof / ed25519-speccheck JSON file.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where the verdict lines go (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file whose [crypto] section sets the GPU batch, depth and adapter.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Adapter name substring for the gpu backend (overrides crypto.adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
}

/// Runs `hsbench verify`: the backend is `--backend`, else the configuration's `crypto.backend`.
pub fn execute(args: VerifyArgs) -> anyhow::Result<()> {
    let mut crypto = config::load(args.config.as_deref())?.config.crypto;
    if args.adapter.is_some() {
        crypto.adapter = args.adapter.clone();
    }
    let name = args.backend.unwrap_or(crypto.backend);
    verify::execute(name, &crypto, &args.input, args.output.as_deref())
}
