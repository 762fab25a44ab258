//! hsbench-engine: the hyperscale-bench node as pure state machines, plus the runtimes that drive them.
//!
//! The floors point one way (checked by `tests/layers.rs`):
//! - `types`, `crypto`: data, encodings, signatures; `parallel`: one function over items on an optional pool;
//! - `protocol`: the vocabulary every floor above speaks (`Event`, `Action`, `Timer`, the work jobs, `TxStatus`);
//! - the components: `mempool`, `provisioning`, `bft`, `execution`, `storage` — each imports only downward;
//! - `node`: one event dispatcher composing them;
//! - `runtime`: what every runtime shares (one node setup, the services, the one action performer) and the pinned
//!   pipeline; `sim`, the deterministic simulator, is a runtime on top of it;
//! - `network`: the wire between validators (frames, priority classes, authenticated connections), on the
//!   runtime's floor, built on types and crypto only.
//!
//! `livelock` (wait-for graph cycles, deterministic victims, bounded retry) is a tested library on the components'
//! floor that the node does not compose yet: single-account transfers cannot form a cycle; it is to be wired into
//! block building with cross-shard transactions.

pub mod bft;
pub mod byzantine;
pub mod crypto;
pub mod execution;
pub mod livelock;
pub mod mempool;
pub mod network;
pub mod node;
pub mod parallel;
pub mod protocol;
pub mod provisioning;
pub mod runtime;
pub mod sim;
pub mod storage;
pub mod types;
