//! What the simulator exposes to tests and to the harness.

use super::network::NetworkConfig;
use crate::bft::ConsensusConfig;
use crate::crypto::{CpuBackendKind, VoteScheme};
use crate::mempool::MempoolConfig;
pub use crate::node::NodeReport;
pub use crate::protocol::{TxEvent, TxStatus};
use crate::provisioning::ProvisioningConfig;
use crate::types::{Account, AccountId};
use std::path::PathBuf;

/// Where each simulated node keeps its ledger and state.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageMode {
    /// In memory (fast; a crash keeps a copy so restart still recovers).
    Memory,
    /// redb files, one per node, in this directory.
    Redb { dir: PathBuf },
}

/// How time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Virtual time: the simulator jumps to the next event; runs are reproducible from the seed.
    Virtual,
    /// Wall-clock time: events are due at real times and the cost of real crypto shows in latency.
    WallClock,
}

/// Everything needed to build a cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Number of validators (≥ 4).
    pub validators: usize,
    /// Seed of every random choice (keys, network, byzantine behaviour).
    pub seed: u64,
    /// Chain id stamped on transactions and signed messages.
    pub chain_id: u32,
    /// Vote signature scheme.
    pub vote_scheme: VoteScheme,
    /// Signature verification backend.
    pub verify_backend: CpuBackendKind,
    /// Network conditions.
    pub network: NetworkConfig,
    /// Consensus timing and epochs.
    pub consensus: ConsensusConfig,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block building limits.
    pub provisioning: ProvisioningConfig,
    /// Funded accounts at genesis.
    pub genesis_accounts: Vec<(AccountId, Account)>,
    /// Where nodes persist.
    pub storage: StorageMode,
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
