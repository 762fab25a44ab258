//! hsbench-engine: the hyperscale-bench node as pure state machines, plus the runtimes that drive them.
//!
//! The folder tree is the node's flowchart: `types` → `crypto` → `mempool` → `provisioning` → `bft` →
//! `execution` → `livelock` → `storage`, composed by `node` (one event dispatcher), executed by `runtime`,
//! and exercised by `sim` (a deterministic cluster).

pub mod bft;
pub mod crypto;
pub mod execution;
pub mod livelock;
pub mod mempool;
pub mod node;
pub mod protocol;
pub mod provisioning;
pub mod runtime;
pub mod sim;
pub mod storage;
pub mod types;
