//! Validators as separate processes over the real network: `hsbench node` ([`node`]: one validator until
//! SIGTERM) and `hsbench cluster` ([`cluster`]: N of them on loopback, the [`fleet`] of their processes, a load
//! [`client`], their [`report`]s read back and shown as [`table`]s).

pub mod client;
pub mod cluster;
pub mod committee;
pub mod faults;
pub mod fleet;
pub mod links;
pub mod netns;
pub mod node;
pub mod placement;
pub mod probe;
pub mod report;
pub mod stop_signal;
pub mod table;
