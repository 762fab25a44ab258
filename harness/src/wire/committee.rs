//! `hsbench committee`: the synthetic committee of node mode (validators 1..n−1) as a process of its own, each
//! member behind its own network, so that validator 0 — an `hsbench node` process, the node under test — meets it
//! through its real network stage (`hsbench run --mode node --wire`). Runs until SIGTERM or SIGINT, then writes
//! `committee.json` (its counters, validator 1's state roots, each member's link to validator 0, process CPU) in
//! its data directory.

use super::node::{READY, genesis};
use super::stop_signal;
use crate::config::BenchConfig;
use anyhow::Context;
use hsbench_engine::crypto::cpu_backend;
use hsbench_engine::runtime::StorageMode;
use hsbench_engine::runtime::pipeline::{
    WireCommittee, WireCommitteeConfig, WireCommitteeReport, available_cores, process_cpu_ns,
};
use hsbench_engine::types::ValidatorId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often the process looks for the stop signal.
const POLL: Duration = Duration::from_millis(10);

/// What the committee process leaves behind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitteeFile {
    /// The committee's report (nested, not flattened: serde's flatten cannot read its height-keyed roots back).
    pub committee: WireCommitteeReport,
    /// CPU time of the whole process while it served (s): the loop, its pool, the networks, the bridges.
    pub process_cpu_s: f64,
    /// Wall time from start to stop (s).
    pub wall_s: f64,
}

impl CommitteeFile {
    /// Where the committee writes its report in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("committee.json")
    }

    /// Reads a report back.
    pub fn read(path: &Path) -> anyhow::Result<CommitteeFile> {
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: not a committee report: {e}", path.display()))
    }
}

/// Runs the committee of a validated `config` (from `origin`) until SIGTERM or SIGINT; its report goes to
/// `data_dir`, whose path is returned.
pub fn run(config: &BenchConfig, origin: &str, data_dir: &Path) -> anyhow::Result<PathBuf> {
    let n = config.cluster.validators;
    let addrs = config.wire.addrs(n).with_context(|| {
        format!("{origin}: [wire] names no addresses (set base_port, or peers and clients); hsbench run --mode node --wire fills them")
    })?;
    stop_signal::catch()?;
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let started = Instant::now();
    let chain = config.chain_config(genesis(config), StorageMode::Memory);
    let cfg = WireCommitteeConfig {
        chain,
        addrs: addrs.peers.iter().enumerate().map(|(i, a)| (i as ValidatorId, *a)).collect(),
        cores: available_cores(),
        backend: cpu_backend(config.crypto.backend.cpu_side()),
    };
    let committee = WireCommittee::start(cfg).context("starting the committee")?;
    println!("{READY} committee: validators 1..{} on {:?}", n - 1, &addrs.peers[1..]);
    let cpu_start = process_cpu_ns();
    while !stop_signal::received() {
        std::thread::sleep(POLL);
    }
    let report = committee.stop();
    let file = CommitteeFile {
        committee: report,
        process_cpu_s: process_cpu_ns().saturating_sub(cpu_start) as f64 / 1e9,
        wall_s: started.elapsed().as_secs_f64(),
    };
    let path = CommitteeFile::path(data_dir);
    let json = serde_json::to_vec_pretty(&file).context("rendering the committee report")?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("committee stopped: report {}", path.display());
    Ok(path)
}
