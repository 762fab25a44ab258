//! Deterministic in-process cluster: the real node code over a simulated network with virtual time.

pub mod adversary;
pub mod api;
pub mod cluster;
pub mod faults;
pub mod network;

pub use api::{ClockMode, ClusterConfig, ClusterReport, NodeReport, TxEvent, TxStatus};
pub use cluster::Cluster;
pub use faults::Byzantine;
pub use network::NetworkConfig;
