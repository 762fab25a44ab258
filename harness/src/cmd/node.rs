//! `hsbench node`: one validator as its own process (see [`crate::wire::node`]).

use super::run::{Overrides, effective_config};
use hsbench_engine::byzantine::Byzantine;
use hsbench_engine::types::ValidatorId;
use std::path::PathBuf;

/// Arguments of `hsbench node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Configuration file (TOML): the chain (`[cluster]`, `[consensus]`, `[mempool]`, ...), the core map
    /// (`[pipeline]`) and every validator's addresses (`[wire]`).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// This validator's id (0..validators−1): its keys, its listen addresses and its storage file.
    #[arg(long, value_name = "I")]
    pub id: ValidatorId,
    /// Folder of its redb storage (`node-<id>.redb`, resumed from after a restart) and of the report it writes on
    /// SIGTERM (`node-<id>.json`).
    #[arg(long, value_name = "DIR", default_value = "hsbench-data")]
    pub data_dir: PathBuf,
    /// Make this validator byzantine (for fault tests; default: its entry in `[wire] byzantine`, if any): every
    /// message it sends is rewritten this way, re-signed with its real keys — bad-vote-signature, duplicate-votes, equivocating-leader, non-member-voter,
    /// mismatched-vote, unknown-block-votes, replay, small-scope, equivocating-timeouts, forged-signers, flood.
    #[arg(long, value_name = "BEHAVIOUR", value_parser = parse_byzantine)]
    pub byzantine: Option<Byzantine>,
    /// Run on these cores only (comma-separated ids; the automatic core layout is then made over them) — how
    /// `hsbench cluster` gives each validator process its own share of the machine. Default: every core the
    /// process may use.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub cpus: Vec<usize>,
    /// Pin no thread: the OS schedules every stage over the process's cores (the core map then sets thread counts
    /// only, and the report says so). How `hsbench cluster` runs validators when there are more of them than
    /// cores: pinned, each process would be held to one core beside another, with no balancing between them.
    #[arg(long)]
    pub no_pin: bool,
    /// Read link rules on stdin, one JSON line each — `{"peer": 2, "rule": {"cut": false, "loss": 0.1, "delay_ms":
    /// 40, "jitter_ms": 10, "kbytes_per_s": 500}}` (every rule field optional) — and put them in force on what this
    /// validator sends that peer: the transport's own link filter, how `hsbench cluster` partitions and impairs
    /// links without root, and adds latency and jitter. A line that does not parse is refused on stderr and counted.
    #[arg(long)]
    pub link_control: bool,
}

/// `--cpus LIST`: keeps this process on those cores (nothing when the list is empty).
pub fn restrict_to(cpus: &[usize]) -> anyhow::Result<()> {
    if !cpus.is_empty() {
        hsbench_engine::runtime::pipeline::restrict_to_cores(cpus)
            .map_err(|e| anyhow::anyhow!("--cpus {cpus:?}: {e}"))?;
    }
    Ok(())
}

/// `--no-pin` of the in-process node-mode commands (`run --mode node`, `ceiling`): turns pinning off for this
/// process (see `disable_pinning`); refused with `--wire`, where the node runs in other processes.
pub fn unpin_in_process(no_pin: bool, wire: bool) -> anyhow::Result<()> {
    match (no_pin, wire) {
        (false, _) => Ok(()),
        (true, true) => Err(crate::config::ConfigError::Invalid {
            origin: "command line".into(),
            key: "--no-pin",
            message: "applies to in-process node mode; over the wire the node runs in its own process".into(),
        }
        .into()),
        (true, false) => {
            hsbench_engine::runtime::pipeline::disable_pinning();
            Ok(())
        }
    }
}

/// A byzantine behaviour by name.
pub fn parse_byzantine(name: &str) -> Result<Byzantine, String> {
    Byzantine::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Byzantine::ALL.iter().map(|b| b.name()).collect();
        format!("unknown behaviour {name:?}; one of {}", names.join(", "))
    })
}

/// Runs `hsbench node` until SIGTERM or SIGINT.
pub fn execute(args: NodeArgs) -> anyhow::Result<()> {
    restrict_to(&args.cpus)?;
    if args.no_pin {
        hsbench_engine::runtime::pipeline::disable_pinning();
    }
    let (config, origin) = effective_config(Some(&args.config), &Overrides::default())?;
    // `--byzantine` first, else this validator's entry in `[wire] byzantine`.
    let configured = config.wire.byzantine_roles().into_iter().find(|(id, _)| *id == args.id);
    let byzantine = args.byzantine.or(configured.map(|(_, b)| b));
    crate::wire::node::run(&config, &origin, args.id, &args.data_dir, byzantine, args.link_control)?;
    Ok(())
}
