//! What a validator process leaves behind when it stops (`node-<id>.json` in its data directory), written by
//! `hsbench node` and read back by `hsbench cluster`: heights and state roots, per-stage cost, per-peer network
//! counters, client-port counters and the process's CPU time.

use crate::measure::LatencySplit;
use crate::run::node::rate::StageBusy;
use hsbench_engine::network::client::ClientPortStats;
use hsbench_engine::runtime::pipeline::{NetworkReport, PipelineReport, ProcessMemory};
use hsbench_engine::types::ValidatorId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where validator `id` writes its report in `data_dir`.
pub fn node_file_path(data_dir: &Path, id: ValidatorId) -> PathBuf {
    data_dir.join(format!("node-{id}.json"))
}

/// A validator process's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeFile {
    /// Validator id.
    pub id: ValidatorId,
    /// Highest committed height.
    pub committed_height: u64,
    /// Highest executed height.
    pub executed_height: u64,
    /// State root at the executed height (hex).
    pub state_root: String,
    /// State root of every height this process executed (hex), for the agreement check.
    pub roots: BTreeMap<u64, String>,
    /// Transactions this validator executed in committed blocks.
    pub txs_committed: u64,
    /// Transactions still in its mempool.
    pub mempool_len: usize,
    /// Transactions parked in its mempool, waiting for earlier nonces of their senders.
    #[serde(default)]
    pub mempool_parked: usize,
    /// Why it halted, if it did.
    pub halted: Option<String>,
    /// Rounds it left through a timeout certificate (view changes).
    #[serde(default)]
    pub timeouts: u64,
    /// Mempool rejections by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Consensus messages refused, by reason.
    pub refused_messages: BTreeMap<String, u64>,
    /// Faults it convicted each peer of, by reason (messages no honest validator sends); each conviction bars the
    /// peer for a while (`bars` in the peer's network counters).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_faults: BTreeMap<ValidatorId, BTreeMap<String, u64>>,
    /// Times it throttled each peer (more refused messages in a second than an honest peer sends; `throttles` in the
    /// peer's network counters).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_throttles: BTreeMap<ValidatorId, u64>,
    /// Members its leader schedule left out at the end (they failed a recent round; leader reputation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaders_left_out: Vec<ValidatorId>,
    /// Rounds it recorded as failed against each member's leadership.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_leader_rounds: BTreeMap<ValidatorId, u64>,
    /// Per-stage cost (network included).
    pub stages: Vec<StageBusy>,
    /// The network stage: per-peer connection counters, refused handshakes, overloaded sends, dropped gossip.
    #[serde(flatten)]
    pub network: NetworkReport,
    /// The client port's counters.
    pub clients: ClientPortStats,
    /// CPU time of the whole process while it served (s): every stage plus the client port and the status loop.
    pub process_cpu_s: f64,
    /// The process's resident memory: peak while it served and at the stop (`null` off Linux or in a report from
    /// before it was recorded).
    #[serde(default)]
    pub memory: Option<ProcessMemory>,
    /// Wall time from start to stop (s).
    pub wall_s: f64,
    /// The pipeline's warnings.
    pub warnings: Vec<String>,
    /// Link rules received on stdin (`--link-control`).
    #[serde(default)]
    pub link_control: LinkControlStats,
    /// Its own blocks' part of the latency, over every transaction it committed during the run (warm-up included):
    /// proposal → commit and commit → reported, from its node stage's block times (no intended send times here).
    #[serde(default)]
    pub latency_split: Option<LatencySplit>,
}

/// What a validator did with the link rules it was sent (`hsbench node --link-control`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkControlStats {
    /// Rules put in force.
    pub applied: u64,
    /// Lines refused (unparseable, an unknown peer, numbers out of range), each logged on stderr.
    pub refused: u64,
}

impl NodeFile {
    /// The report of validator `id` from its pipeline report and process counters.
    pub fn new(
        id: ValidatorId,
        report: PipelineReport,
        clients: ClientPortStats,
        process_cpu_ns: u64,
        wall: Duration,
    ) -> Self {
        NodeFile {
            id,
            committed_height: report.node.committed_height,
            executed_height: report.node.executed_height,
            state_root: report.node.state_root.clone(),
            roots: report.roots.iter().map(|(h, r)| (*h, r.to_hex())).collect(),
            txs_committed: report.txs_committed,
            mempool_len: report.node.mempool_len,
            mempool_parked: report.node.mempool_parked,
            halted: report.node.halted.clone(),
            timeouts: report.node.timeouts,
            rejected: report.node.rejected.clone(),
            refused_messages: report.node.refused_messages.clone(),
            peer_faults: report.node.peer_faults.clone(),
            peer_throttles: report.node.peer_throttles.clone(),
            leaders_left_out: report.node.leaders_left_out.clone(),
            failed_leader_rounds: report.node.failed_leader_rounds.clone(),
            stages: report.stages.iter().map(StageBusy::from).collect(),
            network: report.network.clone().unwrap_or_default(),
            clients,
            process_cpu_s: process_cpu_ns as f64 / 1e9,
            memory: report.memory,
            wall_s: wall.as_secs_f64(),
            warnings: report.warnings,
            link_control: LinkControlStats::default(),
            latency_split: None,
        }
    }

    /// Reads a report back.
    pub fn read(path: &Path) -> anyhow::Result<NodeFile> {
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: not a node report: {e}", path.display()))
    }
}

/// How the validators' state roots compare: the heights every one of them executed, and those where they differ.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// Heights every validator executed.
    pub common_heights: usize,
    /// The highest of them.
    pub highest_common: Option<u64>,
    /// Heights where the roots differ (empty when they agree).
    pub mismatches: Vec<u64>,
}

impl Agreement {
    /// Compares the roots of `nodes` at every height they all executed.
    pub fn of(nodes: &[NodeFile]) -> Agreement {
        let roots: Vec<&BTreeMap<u64, String>> = nodes.iter().map(|n| &n.roots).collect();
        Agreement::of_roots(&roots)
    }

    /// Compares state roots by height (hex), one map per validator, at every height all of them executed.
    pub fn of_roots(roots: &[&BTreeMap<u64, String>]) -> Agreement {
        let Some(first) = roots.first() else { return Agreement::default() };
        let common: Vec<u64> = first.keys().copied().filter(|h| roots.iter().all(|r| r.contains_key(h))).collect();
        let mismatches = common.iter().copied().filter(|h| roots.iter().any(|r| r.get(h) != first.get(h))).collect();
        Agreement { common_heights: common.len(), highest_common: common.last().copied(), mismatches }
    }

    /// Whether the validators executed at least one height in common and agree on every one.
    pub fn holds(&self) -> bool {
        self.common_heights > 0 && self.mismatches.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: ValidatorId, roots: &[(u64, &str)]) -> NodeFile {
        NodeFile {
            id,
            committed_height: 0,
            executed_height: 0,
            state_root: String::new(),
            roots: roots.iter().map(|(h, r)| (*h, r.to_string())).collect(),
            txs_committed: 0,
            mempool_len: 0,
            mempool_parked: 0,
            halted: None,
            timeouts: 0,
            rejected: BTreeMap::new(),
            refused_messages: BTreeMap::new(),
            peer_faults: BTreeMap::new(),
            peer_throttles: BTreeMap::new(),
            leaders_left_out: Vec::new(),
            failed_leader_rounds: BTreeMap::new(),
            stages: Vec::new(),
            network: NetworkReport::default(),
            clients: ClientPortStats::default(),
            process_cpu_s: 0.0,
            memory: None,
            wall_s: 0.0,
            warnings: Vec::new(),
            link_control: LinkControlStats::default(),
            latency_split: None,
        }
    }

    #[test]
    fn agreement_compares_only_heights_every_validator_executed() {
        let a = node(0, &[(1, "x"), (2, "y"), (3, "z")]);
        let b = node(1, &[(1, "x"), (2, "y")]);
        let agree = Agreement::of(&[a.clone(), b]);
        assert_eq!((agree.common_heights, agree.highest_common, agree.holds()), (2, Some(2), true));
        let c = node(2, &[(2, "forked")]);
        let split = Agreement::of(&[a.clone(), c]);
        assert_eq!((split.mismatches.clone(), split.holds()), (vec![2], false));
        assert!(!Agreement::of(&[a, node(3, &[])]).holds(), "nothing in common proves nothing");
    }
}
