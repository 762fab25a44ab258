//! `hsbench committee`: node mode's synthetic committee as a process of its own, on the wire (see
//! [`crate::wire::committee`]).

use super::run::{Overrides, effective_config};
use std::path::PathBuf;

/// Arguments of `hsbench committee`.
#[derive(Debug, clap::Args)]
pub struct CommitteeArgs {
    /// Configuration file (TOML): the chain and every validator's addresses (`[wire]`); the committee listens on
    /// validators 1..n−1's peer addresses and waits for validator 0 to dial.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Folder of the report it writes on SIGTERM (`committee.json`).
    #[arg(long, value_name = "DIR", default_value = "hsbench-data")]
    pub data_dir: PathBuf,
    /// Run on these cores only (comma-separated ids). Default: every core the process may use.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub cpus: Vec<usize>,
    /// Pin no thread (as `hsbench node --no-pin`): where processes outnumber cores.
    #[arg(long)]
    pub no_pin: bool,
}

/// Runs `hsbench committee` until SIGTERM or SIGINT.
pub fn execute(args: CommitteeArgs) -> anyhow::Result<()> {
    super::node::restrict_to(&args.cpus)?;
    if args.no_pin {
        hsbench_engine::runtime::pipeline::disable_pinning();
    }
    let (config, origin) = effective_config(Some(&args.config), &Overrides::default())?;
    crate::wire::committee::run(&config, &origin, &args.data_dir)?;
    Ok(())
}
