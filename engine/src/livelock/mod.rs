//! Livelock prevention: cycles of transactions waiting on each other's locks (A→B→A, and longer cycles,
//! local or across shards) are found in a [`WaitForGraph`] and broken deterministically.
//!
//! Rule: one depth-first search in hash order closes cycles one at a time; the highest hash of each
//! ([`choose_victim`]) is deferred to a later block (its locks released) and removed from the graph, until
//! the graph is acyclic, so the remaining transactions always make progress. A deferred transaction is
//! retried after `retry_delay_blocks`; one chosen as a victim again after `max_retries` deferrals is aborted.
//! Every node holding the same edges takes the same decisions, and a [`Cycle`] in canonical form is a proof
//! any validator can check against its own edges ([`Cycle::is_in`]) before accepting a deferral.
//!
//! State: a tested library that the node does not call yet. The chain's transactions are single-account transfers
//! executed in block order, which cannot wait on each other; this is to be composed into block building when
//! cross-shard transactions (where cycles arise) arrive.

mod breaker;
mod config;
mod cycle;
mod graph;
mod resolver;

pub use config::LivelockConfig;
pub use cycle::Cycle;
pub use graph::WaitForGraph;
pub use resolver::{Decision, LivelockResolver, LivelockStats, choose_victim};

#[cfg(test)]
mod tests;
