//! What the simulator exposes to tests and to the harness.

use super::network::NetworkConfig;
pub use crate::node::NodeReport;
pub use crate::protocol::{TxEvent, TxStatus};
use crate::runtime::ChainConfig;

/// How time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Virtual time: the simulator jumps to the next event; runs are reproducible from the seed.
    Virtual,
    /// Wall-clock time: events are due at real times and the cost of real crypto shows in latency.
    WallClock,
}

/// Everything needed to build a simulated cluster: the chain, and what only the simulator has.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// The chain its nodes run (shared with every runtime).
    pub chain: ChainConfig,
    /// Network conditions.
    pub network: NetworkConfig,
    /// Virtual or wall-clock time.
    pub clock: ClockMode,
}

/// Cluster summary at the end of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClusterReport {
    /// Every node's summary.
    pub nodes: Vec<NodeReport>,
    /// True when every pair of nodes that executed a common height agrees on the root there, and no two nodes
    /// committed different blocks at one height.
    pub consistent: bool,
    /// Messages delivered / dropped by the simulated network.
    pub messages_delivered: u64,
    /// Messages lost (loss, partitions, crashed receivers).
    pub messages_dropped: u64,
}
