//! Deterministic in-process cluster: the real node code over a simulated network with virtual time.

pub mod api;
pub mod cluster;
pub mod network;

pub use crate::byzantine::Byzantine;
pub use api::{ClockMode, ClusterConfig, ClusterReport, NodeReport, TxEvent, TxStatus};
pub use cluster::Cluster;
pub use network::NetworkConfig;
