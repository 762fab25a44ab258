//! What a pipeline run reports: per-stage busy %, cost per transaction, back-pressure, queue depth, a time
//! series per stage, the bottleneck stage, and the synthetic committee's cost kept apart.

use super::config::CoreMap;
use super::metrics::StageCounters;
use crate::node::NodeReport;
use crate::protocol::TxEvent;
use serde::Serialize;

/// One second of one stage.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct StageSample {
    /// End of the interval, seconds since start.
    pub t_s: f64,
    /// Busy share of the stage's threads over the interval (0–100).
    pub busy_pct: f64,
    /// Items taken in during the interval.
    pub items_in: u64,
    /// Items passed on during the interval.
    pub items_out: u64,
    /// Back-pressure stalls during the interval.
    pub stalls: u64,
    /// Deepest input queue (batches) sampled during the interval.
    pub queue_depth_max: u64,
}

/// One stage's totals.
#[derive(Serialize, Clone, Debug, Default)]
pub struct StageReport {
    /// Stage name: ingress, sigverify, node, execution, storage.
    pub name: String,
    /// Cores its threads were pinned to (a failed pin is in the warnings).
    pub cores: Vec<usize>,
    /// Threads it ran.
    pub threads: usize,
    /// Busy time ÷ (threads × run time), in percent (0–100).
    pub busy_pct: f64,
    /// Busy core-nanoseconds per committed transaction (0 when nothing committed).
    pub cost_ns_per_tx: f64,
    /// Items taken in.
    pub items_in: u64,
    /// Items passed on.
    pub items_out: u64,
    /// Input batches handled.
    pub batches: u64,
    /// Times this stage found its output queue full and stalled.
    pub backpressure_stalls: u64,
    /// Nanoseconds it spent stalled.
    pub stall_ns: u64,
    /// Deepest input queue sampled (batches; sampled every 100 ms).
    pub queue_depth_max: u64,
    /// Mean sampled input queue depth (batches).
    pub queue_depth_mean: f64,
    /// Per-second samples.
    pub series: Vec<StageSample>,
}

/// The synthetic committee's cost and output, reported apart from the node under test.
#[derive(Serialize, Clone, Debug, Default)]
pub struct CommitteeReport {
    /// Committee members (n − 1).
    pub validators: usize,
    /// Its cores: the loop thread runs on the first; from two cores its members run on a pool of one thread per
    /// listed core.
    pub cores: Vec<usize>,
    /// Its threads: one per listed core from two cores (the pool; the loop thread shares the first core and waits
    /// while the pool works), else one.
    pub threads: usize,
    /// CPU time of the committee's loop thread and pool threads (ns, their thread CPU clocks).
    pub cpu_ns: u64,
    /// CPU time spent on the committee's work (ns): its loop thread's between waits for input, its pool threads'
    /// during its passes.
    pub busy_ns: u64,
    /// Busy share per thread: `busy_ns` ÷ (`threads` × wall time), 0–100.
    pub busy_pct: f64,
    /// Signatures made (proposals, votes, timeouts sent).
    pub signatures: u64,
    /// Blocks the committee proposed.
    pub blocks_proposed: u64,
    /// Messages the committee sent to the node under test.
    pub messages_to_node: u64,
    /// Messages the node under test sent to the committee (a broadcast counts once).
    pub messages_from_node: u64,
    /// Heights executed by both the node and the committee (validator 1) whose roots were compared.
    pub state_roots_compared: u64,
    /// Compared heights whose roots differed (node vs committee, or between committee members); must be 0.
    pub state_root_mismatches: u64,
    /// Each committee member's summary.
    pub members: Vec<NodeReport>,
}

/// Everything one pipeline run reports.
#[derive(Serialize, Clone, Debug)]
pub struct PipelineReport {
    /// Per-stage totals, in pipeline order.
    pub stages: Vec<StageReport>,
    /// The stage with the highest busy % per thread.
    pub bottleneck: String,
    /// The synthetic committee (not part of the node's cost), when the node's peers were the committee.
    pub committee: Option<CommitteeReport>,
    /// The network stage's per-peer counters, when the node's peers were other processes over the wire.
    pub network: Option<super::node_mode::NetworkReport>,
    /// State root of every height the node executed (agreement checks across processes).
    #[serde(skip)]
    pub roots: std::collections::BTreeMap<crate::types::Height, crate::types::Hash>,
    /// The node under test's summary.
    pub node: NodeReport,
    /// The core map the run used.
    pub core_map: CoreMap,
    /// The niceness each named stage's threads ran at (`[pipeline.nice]`); stages not named kept the process's.
    pub nice: std::collections::BTreeMap<String, i32>,
    /// Failed pins, stuck stages, layout notes.
    pub warnings: Vec<String>,
    /// Global allocator of the process; the caller (the harness binary, which sets it) fills this in.
    pub allocator: String,
    /// The Ed25519 key cache during this run: hits and misses since start (process-wide counters: the committee's
    /// checks of validator keys count too), keys held at the stop.
    pub ed25519_key_cache: crate::crypto::KeyCacheStats,
    /// The process's resident memory: at the stop, and its peak since the run started (`null` off Linux). The
    /// whole process — in node mode the synthetic committee's members too; a `hsbench node` process is the
    /// validator alone.
    pub memory: Option<super::ProcessMemory>,
    /// Seconds from start to stop.
    pub wall_s: f64,
    /// Transactions handed to `submit`.
    pub txs_submitted: u64,
    /// Transactions that reached the node stage.
    pub txs_delivered: u64,
    /// Transactions reported committed.
    pub txs_committed: u64,
    /// Transactions reported rejected.
    pub txs_rejected: u64,
    /// Submitted transactions still in ingress/sigverify queues at stop (0 unless the drain timed out).
    pub txs_in_flight: u64,
    /// Times `submit` found ingress full and blocked.
    pub submit_stalls: u64,
    /// Nanoseconds `submit` was blocked.
    pub submit_stall_ns: u64,
    /// Status changes not yet drained when the run stopped (so the caller's books include every event).
    #[serde(skip)]
    pub tx_events: Vec<TxEvent>,
}

/// Live view of one stage.
#[derive(Serialize, Clone, Debug)]
pub struct StageLive {
    /// Stage name.
    pub name: String,
    /// Counters so far.
    pub counters: StageCounters,
    /// Input queue depth now (batches).
    pub queue_depth: u64,
    /// The newest one-second point of its series (busy %, items, stalls, deepest queue), once a second passed.
    pub last_second: Option<StageSample>,
}

/// Live counters of a running pipeline (progress bars, queue-growth checks).
#[derive(Serialize, Clone, Debug)]
pub struct PipelineSnapshot {
    /// Seconds since start.
    pub elapsed_s: f64,
    /// Transactions submitted so far.
    pub txs_submitted: u64,
    /// Transactions that reached the node stage.
    pub txs_delivered: u64,
    /// Transactions committed so far.
    pub txs_committed: u64,
    /// Transactions rejected so far.
    pub txs_rejected: u64,
    /// Times `submit` blocked on a full ingress queue.
    pub submit_stalls: u64,
    /// Every stage, in pipeline order.
    pub stages: Vec<StageLive>,
    /// The committee's counters.
    pub committee: StageCounters,
}

/// Busy share of `threads` threads over `wall_ns`, in percent, clamped to 0–100.
pub(crate) fn busy_pct(busy_ns: u64, threads: usize, wall_ns: u64) -> f64 {
    let denom = threads.max(1) as f64 * wall_ns.max(1) as f64;
    (busy_ns as f64 / denom * 100.0).clamp(0.0, 100.0)
}

/// Name of the stage with the highest busy % (the first on ties; empty when there are no stages).
pub(crate) fn bottleneck(stages: &[StageReport]) -> String {
    let mut best: Option<&StageReport> = None;
    for s in stages {
        if best.is_none_or(|b| s.busy_pct > b.busy_pct) {
            best = Some(s);
        }
    }
    best.map(|s| s.name.clone()).unwrap_or_default()
}
