//! `hsbench devices`: the command line of [`crate::devices`].

/// Arguments of `hsbench devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Print the adapter reports as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `hsbench devices`.
pub fn execute(args: DevicesArgs) -> anyhow::Result<()> {
    crate::devices::print(args.json)
}
