//! The command line: one file per subcommand, one variant of [`Command`] each; `cmd/X.rs` holds the arguments of
//! `hsbench X` and hands them to the library folder of the same name (`crate::X`). `run`, `ceiling`, `tune`,
//! `devices`, `verify` and `crypto` measure; `report`, `plan` and `compare` read result files back (a report
//! folder, a capacity plan, a regression gate).

pub mod ceiling;
pub mod cluster;
pub mod committee;
pub mod compare;
pub mod crypto;
pub mod devices;
pub mod history;
pub mod node;
mod node_args;
pub mod plan;
pub mod report;
pub mod run;
pub mod tune;
pub mod verify;

use crate::config::ConfigError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit code of a configuration error (unknown key, bad value, unreadable file) — the same as clap's usage
/// errors.
pub const EXIT_CONFIG: u8 = 2;

/// Exit code of any other failure.
pub const EXIT_FAILURE: u8 = 1;

/// hyperscale-bench: benchmarks of a HotStuff-2 validator node.
#[derive(Debug, Parser)]
#[command(name = "hsbench", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Also write structured logs to FILE as JSON lines (time, level, target, fields, thread), `info` and above
    /// unless RUST_LOG says otherwise; a result file written by the run names it in `log_file`. RUST_LOG also
    /// filters what stderr shows (default: warnings and errors).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_json: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a cluster of validators in this process under open-loop load and report throughput, latency and
    /// agreement.
    Run(run::RunArgs),
    /// Find the highest rate one node sustains within the SLO (double, bisect, confirm) and compare it with
    /// the raw signature-verification bound of its sigverify cores.
    Ceiling(ceiling::CeilingArgs),
    /// List the GPU adapters wgpu finds.
    Devices(devices::DevicesArgs),
    /// Verify a file of signatures (JSON Lines, Wycheproof or speccheck) with one backend.
    Verify(verify::VerifyArgs),
    /// Sweep backend × batch size × crypto operation; table, CPU/GPU crossover, JSON.
    Crypto(crypto::CryptoArgs),
    /// Turn result files into a report folder: report.md (summary, methodology, fingerprints, effective
    /// configuration, one section per file), SVG figures (latency–throughput, stage busy %, latency
    /// percentiles, CPU/GPU crypto scaling, tune ranking; exact values on hover) and index.html, the same
    /// report as one self-contained page.
    Report(report::ReportArgs),
    /// Capacity plan: cores per stage (and GPUs for signature verification) needed for a target tx/s, from the
    /// measured per-stage cost per transaction of a ceiling or node-mode result.
    Plan(plan::PlanArgs),
    /// Regression gate between two result files (or folders): ratios of throughput and latency metrics, a
    /// Markdown table, exit code 1 when a metric falls below --fail-below.
    Compare(compare::CompareArgs),
    /// Benchmark history: `add` appends result files' headline metrics to results/history.jsonl; `show` prints
    /// and plots one machine class and configuration over commits, judged like `compare`.
    History(history::HistoryArgs),
    /// Search thread layouts (core map, sigverify cores, batch size, backend, block interval) for the highest node
    /// ceiling within a time budget; print the ranking and write the best as a ready-to-use TOML.
    Tune(tune::TuneArgs),
    /// Run one validator as its own process (pinned pipeline, peers over authenticated TCP, redb storage, a client
    /// port) until SIGTERM; write its report into the data directory.
    Node(node::NodeArgs),
    /// Start N validator processes on loopback and a load client, measure committed tx/s and latency from the
    /// client, check that every validator reached the same state roots, and stop them all.
    Cluster(cluster::ClusterArgs),
    /// Run node mode's synthetic committee (validators 1..n−1) as a process of its own, each member behind its own
    /// network, until SIGTERM — the peer side of `run --mode node --wire`.
    Committee(committee::CommitteeArgs),
}

impl Command {
    /// Runs the subcommand.
    pub fn execute(self) -> anyhow::Result<()> {
        match self {
            Command::Run(args) => run::execute(args),
            Command::Ceiling(args) => ceiling::execute(args),
            Command::Devices(args) => devices::execute(args),
            Command::Verify(args) => verify::execute(args),
            Command::Crypto(args) => crypto::execute(args),
            Command::Report(args) => report::execute(args),
            Command::Plan(args) => plan::execute(args),
            Command::Compare(args) => compare::execute(args),
            Command::History(args) => history::execute(args),
            Command::Tune(args) => tune::execute(args),
            Command::Node(args) => node::execute(args),
            Command::Cluster(args) => cluster::execute(args),
            Command::Committee(args) => committee::execute(args),
        }
    }
}

/// The error and its causes on one line.
pub fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}").replace(['\n', '\r'], " ")
}

/// [`EXIT_CONFIG`] when a [`ConfigError`] is anywhere in the chain, else [`EXIT_FAILURE`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|cause| cause.is::<ConfigError>()) { EXIT_CONFIG } else { EXIT_FAILURE }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn config_errors_map_to_exit_code_two() {
        let config =
            anyhow::Error::new(ConfigError::Invalid { origin: "x".into(), key: "run.rate_tps", message: "m".into() });
        assert_eq!(exit_code(&config), EXIT_CONFIG);
        assert_eq!(exit_code(&config.context("while loading")), EXIT_CONFIG);
        assert_eq!(exit_code(&anyhow::anyhow!("boom")), EXIT_FAILURE);
        assert_eq!(one_line(&anyhow::anyhow!("a\nb").context("c")), "c: a b");
    }
}
