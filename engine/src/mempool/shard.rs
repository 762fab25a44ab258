//! One shard of the mempool: the senders whose id maps to it, their queues, ready heads and counters. Every
//! admission check and state update concerns one sender, so a shard decides alone and shards never share state.

use super::fee_priority::FeePriority;
use super::sender_queue::{PendingTx, SenderQueue};
use super::{MempoolConfig, RejectReason, Rejection};
use crate::types::{AccountId, Hash, KeyedMap, Transaction};
use std::collections::{BTreeMap, VecDeque};

/// One shard of the pool: the pending transactions of the senders it owns, indexed by id and by sender and nonce,
/// with its own counters.
#[derive(Debug)]
pub(super) struct Shard {
    pub(super) config: MempoolConfig,
    /// Number of transactions in the sender queues (parked ones are counted in `parked_len`). No index by id:
    /// a transaction's id determines its sender and nonce, so every lookup goes by sender and nonce — an index
    /// by id cost a hash-map insert, probe and removal per transaction, each a cache miss.
    pub(super) pending: usize,
    /// Sender → its pending transactions in nonce order (never empty: an emptied queue is removed). Iterated only
    /// by [`ready`](Self::ready), which sorts what it collects, so the map's order never shows.
    pub(super) senders: KeyedMap<AccountId, SenderQueue>,
    /// Sender → transactions that arrived after a gap in its nonces (signature checked, nonce within the window,
    /// balance not yet), waiting for the missing ones; never in a block until they join the sender's queue.
    pub(super) parked: KeyedMap<AccountId, BTreeMap<u64, PendingTx>>,
    /// Number of parked transactions (they count toward the capacity).
    pub(super) parked_len: usize,
    /// Parked transactions in the order they were parked, each with the state update count it was parked at
    /// (entries of transactions that left the lot since are skipped when they come up): the expiry queue.
    pub(super) park_order: VecDeque<(u64, AccountId, u64, Hash)>,
    /// State updates (executed blocks) this shard has seen.
    pub(super) state_updates: u64,
    pub(super) rejections: BTreeMap<RejectReason, u64>,
    pub(super) admitted: u64,
    pub(super) committed: u64,
}

impl Shard {
    /// An empty shard with the given limits (its `capacity` is the shard's share).
    pub(super) fn new(config: MempoolConfig) -> Self {
        Shard {
            config,
            pending: 0,
            senders: KeyedMap::default(),
            parked: KeyedMap::default(),
            parked_len: 0,
            park_order: VecDeque::new(),
            state_updates: 0,
            rejections: RejectReason::ALL.iter().map(|&r| (r, 0)).collect(),
            admitted: 0,
            committed: 0,
        }
    }

    /// Number of pending transactions.
    pub(super) fn len(&self) -> usize {
        self.pending
    }

    /// Number of parked transactions (see the field).
    pub(super) fn parked_len(&self) -> usize {
        self.parked_len
    }

    /// The parked transaction of `sender` at `nonce`.
    pub(super) fn parked_at(&self, sender: &AccountId, nonce: u64) -> Option<&PendingTx> {
        self.parked.get(sender).and_then(|m| m.get(&nonce))
    }

    /// Removes and returns the parked transaction of `sender` at `nonce`.
    pub(super) fn unpark(&mut self, sender: &AccountId, nonce: u64) -> Option<PendingTx> {
        let map = self.parked.get_mut(sender)?;
        let p = map.remove(&nonce)?;
        if map.is_empty() {
            self.parked.remove(sender);
        }
        self.parked_len -= 1;
        Some(p)
    }

    /// Number of senders with pending transactions.
    pub(super) fn sender_count(&self) -> usize {
        self.senders.len()
    }

    /// `sender`'s pending transaction with this id (a scan of the sender's queue).
    pub(super) fn get(&self, sender: &AccountId, tx_hash: &Hash) -> Option<&Transaction> {
        self.sender_txs(sender).find(|p| p.hash() == tx_hash).map(PendingTx::tx)
    }

    /// The id of `tx` when this very transaction is pending (see [`Mempool::pending_id`](super::Mempool::pending_id)).
    pub(super) fn pending_id(&self, tx: &Transaction) -> Option<Hash> {
        self.pending_at(&tx.sender, tx.nonce).filter(|p| p.tx() == tx).map(|p| *p.hash())
    }

    /// The pending transaction of `sender` at `nonce`, with its id (provisioning walks a sender's queue
    /// nonce by nonce with this).
    pub(super) fn pending_at(&self, sender: &AccountId, nonce: u64) -> Option<&PendingTx> {
        self.senders.get(sender).and_then(|q| q.get(nonce))
    }

    /// The sender's pending transactions in nonce order (empty if none).
    pub(super) fn sender_txs(&self, sender: &AccountId) -> impl Iterator<Item = &PendingTx> + '_ {
        self.senders.get(sender).into_iter().flat_map(SenderQueue::iter)
    }

    /// Each sender's lowest-nonce pending transaction, best [`FeePriority`] first (fee descending, then id
    /// ascending), sorted when asked: O(senders · log senders) once per block built, instead of keeping a sorted
    /// structure up to date on every admission and every commit (twice per transaction).
    pub(super) fn ready(&self) -> impl Iterator<Item = &PendingTx> + '_ {
        let mut heads: Vec<(FeePriority, &PendingTx)> =
            self.senders.values().filter_map(SenderQueue::head).map(|p| (p.priority(), p)).collect();
        // Priorities are unique (they end in the transaction id), so the unstable sort gives the one order.
        heads.sort_unstable_by_key(|h| h.0);
        heads.into_iter().map(|(_, p)| p)
    }

    /// Counters by reason (every reason present, zero included), for metrics and the run report.
    pub(super) fn rejections(&self) -> &BTreeMap<RejectReason, u64> {
        &self.rejections
    }

    /// Transactions admitted since creation (replacements included).
    pub(super) fn admitted_total(&self) -> u64 {
        self.admitted
    }

    /// Pending transactions removed because they were committed.
    pub(super) fn committed_total(&self) -> u64 {
        self.committed
    }

    /// Counts a rejection and builds its report.
    pub(super) fn reject(&mut self, tx_hash: Hash, reason: RejectReason) -> Rejection {
        *self.rejections.entry(reason).or_insert(0) += 1;
        Rejection { tx_hash, reason }
    }
}
