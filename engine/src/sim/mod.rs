//! Deterministic in-process cluster: the real node code over a simulated network with virtual time.

pub mod adversary;
pub mod api;
pub mod cluster;
pub mod faults;
pub mod network;
pub mod setup;

pub use api::{ClockMode, ClusterConfig, ClusterReport, NodeReport, StorageMode, TxEvent, TxStatus};
pub use cluster::Cluster;
pub use faults::Byzantine;
pub use network::NetworkConfig;
pub use setup::{ClusterSetup, SimError, genesis_block, validator_seed};
