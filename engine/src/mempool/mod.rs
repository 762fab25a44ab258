//! Mempool: admission of signature-checked transactions, per-sender nonce queues, and the fee-priority
//! ready queue that block provisioning reads.
//!
//! A pure state machine: callers pass the signature verdict (from the sigverify stage) and the committed
//! account state in; nothing here does I/O, reads a clock or spawns a thread.
//!
//! Invariants:
//! - each sender's pending nonces are contiguous, starting at the committed nonce the pool last saw for it;
//! - a transaction stays pending until executed state makes it obsolete ([`Mempool::on_state_update`]):
//!   proposing it does not remove it, so a block that is abandoned needs no return path, and provisioning
//!   skips transactions already in the not-yet-executed blocks it extends;
//! - every refused or removed transaction is counted under one [`RejectReason`], and every admitted one
//!   either is pending, was committed, or was counted as `replaced` / `invalidated`.
//!
//! The caller must report every account changed by execution through [`Mempool::on_state_update`] before
//! admitting against that newer state; admission assumes the pool's queues are not older than the state
//! it is given.

mod admit;
mod config;
mod ready_queue;
mod reject;
mod sender_queue;
mod state_update;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use crate::protocol::RejectReason;
pub use admit::has_weak_key;
pub use config::MempoolConfig;
pub use ready_queue::FeePriority;
pub use reject::{Admitted, Rejection};
pub use sender_queue::PendingTx;

use crate::types::{AccountId, Hash, Transaction};
use ready_queue::ReadyQueue;
use sender_queue::SenderQueue;
use std::collections::{BTreeMap, HashMap};

/// Pending transactions, indexed by id, by sender and nonce, and by fee priority of each sender's head.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    /// Id → (sender, nonce): where the transaction lives in `senders`. Lookup only, never iterated.
    by_hash: HashMap<Hash, (AccountId, u64)>,
    /// Sender → its pending transactions in nonce order. Lookup only, never iterated.
    senders: HashMap<AccountId, SenderQueue>,
    ready: ReadyQueue,
    rejections: BTreeMap<RejectReason, u64>,
    admitted: u64,
    committed: u64,
}

impl Mempool {
    /// An empty pool with the given limits.
    pub fn new(config: MempoolConfig) -> Self {
        Mempool {
            config,
            by_hash: HashMap::new(),
            senders: HashMap::new(),
            ready: ReadyQueue::default(),
            rejections: RejectReason::ALL.iter().map(|&r| (r, 0)).collect(),
            admitted: 0,
            committed: 0,
        }
    }

    /// The limits this pool enforces.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Number of senders with pending transactions.
    pub fn sender_count(&self) -> usize {
        self.ready.len()
    }

    /// Whether a transaction with this id is pending.
    pub fn contains(&self, tx_hash: &Hash) -> bool {
        self.by_hash.contains_key(tx_hash)
    }

    /// The pending transaction with this id.
    pub fn get(&self, tx_hash: &Hash) -> Option<&Transaction> {
        self.entry(tx_hash).map(PendingTx::tx)
    }

    /// The pending transaction of `sender` at `nonce`, with its id (provisioning walks a sender's queue
    /// nonce by nonce with this).
    pub fn pending_at(&self, sender: &AccountId, nonce: u64) -> Option<&PendingTx> {
        self.senders.get(sender).and_then(|q| q.get(nonce))
    }

    /// The sender's pending transactions in nonce order (empty if none).
    pub fn sender_txs(&self, sender: &AccountId) -> impl Iterator<Item = &PendingTx> + '_ {
        self.senders.get(sender).into_iter().flat_map(SenderQueue::iter)
    }

    /// Each sender's lowest-nonce pending transaction, best [`FeePriority`] first (fee descending, then id
    /// ascending). Kept incrementally; iterating costs O(1) per item.
    pub fn ready(&self) -> impl Iterator<Item = &PendingTx> + '_ {
        self.ready.iter().filter_map(|p| self.entry(p.hash()))
    }

    /// Counters by reason (every reason present, zero included), for metrics and the run report.
    pub fn rejections(&self) -> &BTreeMap<RejectReason, u64> {
        &self.rejections
    }

    /// Transactions admitted since creation (replacements included).
    pub fn admitted_total(&self) -> u64 {
        self.admitted
    }

    /// Pending transactions removed because they were committed.
    pub fn committed_total(&self) -> u64 {
        self.committed
    }

    fn entry(&self, tx_hash: &Hash) -> Option<&PendingTx> {
        let (sender, nonce) = self.by_hash.get(tx_hash)?;
        self.pending_at(sender, *nonce)
    }

    /// Counts a rejection and builds its report.
    fn reject(&mut self, tx_hash: Hash, reason: RejectReason) -> Rejection {
        *self.rejections.entry(reason).or_insert(0) += 1;
        Rejection { tx_hash, reason }
    }
}
