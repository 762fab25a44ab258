//! Mempool: admission of signature-checked transactions, per-sender nonce queues, and the fee-priority
//! ready order that block provisioning reads.
//!
//! The pool is split by sender into shards ([`Mempool::sharded`]); every rule concerns one sender, so each
//! shard decides alone and a batch is admitted (or a state update applied) on all shards at once, on a
//! caller-given thread pool ([`Mempool::with_pool`]). Results come back in input order, and readers (the
//! ready order, lookups by sender) see one pool: sharded or not, the same calls give the same answers (only
//! the capacity is split, see [`Mempool::sharded`]).
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

mod accounts;
mod admit;
mod config;
mod fee_priority;
mod reject;
mod sender_queue;
mod shard;
mod state_update;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use crate::protocol::RejectReason;
pub use accounts::AccountShards;
use accounts::StatePart;
pub use admit::{PARKED_BLOCKS, has_weak_key};
pub use config::MempoolConfig;
pub use fee_priority::FeePriority;
pub use reject::{Admitted, Rejection};
pub use sender_queue::PendingTx;

use crate::parallel::map_in_order;
use crate::types::{Account, AccountId, AccountView, Hash, KeyedSet, Transaction};
use rayon::ThreadPool;
use shard::Shard;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::sync::Arc;

/// Pending transactions, split by sender into shards that decide alone; read as one pool.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    shards: Vec<Shard>,
    /// Runs the shards' parts of a batch at once; without it they run one after another on the caller.
    pool: Option<Arc<ThreadPool>>,
}

impl Mempool {
    /// An empty pool of one shard with the given limits.
    pub fn new(config: MempoolConfig) -> Self {
        Self::sharded(config, 1)
    }

    /// An empty pool of `shards` shards (at least one). Each shard holds at most ⌈capacity ÷ shards⌉
    /// transactions, so the pool as a whole holds about `capacity`, and `MempoolFull` comes from the sender's
    /// shard alone: with a skewed spread of senders one shard can fill before the pool does. Below the capacity
    /// a sharded pool admits, orders and removes exactly as one shard does.
    pub fn sharded(config: MempoolConfig, shards: usize) -> Self {
        let shards = shards.max(1);
        let share = MempoolConfig { capacity: config.capacity.div_ceil(shards), ..config.clone() };
        Mempool { shards: (0..shards).map(|_| Shard::new(share.clone())).collect(), config, pool: None }
    }

    /// The same pool, running the shards' parts of each batch on `pool` (one worker per shard at a time).
    pub fn with_pool(mut self, pool: Arc<ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// The limits this pool enforces (`capacity` for the pool as a whole).
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard that owns `sender` (see [`shard_index`]).
    fn shard_of(&self, sender: &AccountId) -> usize {
        shard_index(sender, self.shards.len())
    }

    fn shard(&self, sender: &AccountId) -> &Shard {
        &self.shards[self.shard_of(sender)]
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.shards.iter().map(Shard::len).sum()
    }

    /// Number of parked transactions: admitted after a gap in their sender's nonces, waiting for the missing
    /// ones (never in a block until then; they count toward the capacity).
    pub fn parked_len(&self) -> usize {
        self.shards.iter().map(Shard::parked_len).sum()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of senders with pending transactions.
    pub fn sender_count(&self) -> usize {
        self.shards.iter().map(Shard::sender_count).sum()
    }

    /// Whether `sender`'s transaction with this id is pending (a scan of the sender's queue; a caller that knows
    /// the transaction uses [`pending_id`](Self::pending_id)).
    pub fn contains(&self, sender: &AccountId, tx_hash: &Hash) -> bool {
        self.get(sender, tx_hash).is_some()
    }

    /// The id of `tx` when this very transaction is pending (same sender and nonce, equal content): it was
    /// admitted with a good signature, and its id comes from admission instead of hashing it again. A
    /// proposal's transactions are looked up with this: one lookup by sender and nonce instead of hashing each
    /// transaction and then looking its id up.
    pub fn pending_id(&self, tx: &Transaction) -> Option<Hash> {
        self.shard(&tx.sender).pending_id(tx)
    }

    /// [`pending_id`](Self::pending_id) of every transaction in `txs`, in order: each shard looks up its senders'
    /// transactions, all shards at once on the pool (so a proposal's lookups — a hash-map probe and a comparison
    /// per transaction — cost the admission threads, not the caller's).
    pub fn pending_ids(&self, txs: &[Transaction]) -> Vec<Option<Hash>> {
        let parts = self.split_by_sender(txs.iter(), |tx| &tx.sender);
        let look_up = |(shard, part): (&Shard, Part<&Transaction>)| {
            part.into_iter().map(|(i, tx)| (i, shard.pending_id(tx))).collect::<Vec<_>>()
        };
        let done = map_in_order(self.pool.as_deref(), 1, self.shards.iter().zip(parts).collect(), look_up);
        in_order(txs.len(), done)
    }

    /// `sender`'s pending transaction with this id (a scan of the sender's queue).
    pub fn get(&self, sender: &AccountId, tx_hash: &Hash) -> Option<&Transaction> {
        self.shard(sender).get(sender, tx_hash)
    }

    /// The pending transaction of `sender` at `nonce`, with its id (provisioning walks a sender's queue
    /// nonce by nonce with this).
    pub fn pending_at(&self, sender: &AccountId, nonce: u64) -> Option<&PendingTx> {
        self.shard(sender).pending_at(sender, nonce)
    }

    /// The sender's pending transactions in nonce order (empty if none).
    pub fn sender_txs(&self, sender: &AccountId) -> impl Iterator<Item = &PendingTx> + '_ {
        self.shard(sender).sender_txs(sender)
    }

    /// Each sender's lowest-nonce pending transaction, best [`FeePriority`] first (fee descending, then id
    /// ascending): each shard's heads sorted (when asked: once per block built), then merged, O(shards) per item.
    pub fn ready(&self) -> impl Iterator<Item = &PendingTx> + '_ {
        ReadyMerge { heads: self.shards.iter().map(|s| s.ready().peekable()).collect() }
    }

    /// `work` run once per shard with a view of that shard alone, all shards at once on the pool (one after another
    /// here without one), the results in shard order: how block building reads the shards in parallel.
    pub fn map_shards<'a, R: Send>(&'a self, work: impl Fn(ShardView<'a>) -> R + Sync + Send) -> Vec<R> {
        let count = self.shards.len();
        let views = self.shards.iter().enumerate().map(|(index, shard)| ShardView { shard, index, count }).collect();
        map_in_order(self.pool.as_deref(), 1, views, work)
    }

    /// Counters by reason, summed over the shards (every reason present, zero included), for metrics and the
    /// run report.
    pub fn rejections(&self) -> BTreeMap<RejectReason, u64> {
        let mut sum: BTreeMap<RejectReason, u64> = RejectReason::ALL.iter().map(|&r| (r, 0)).collect();
        for (reason, n) in self.shards.iter().flat_map(|s| s.rejections()) {
            *sum.entry(*reason).or_insert(0) += n;
        }
        sum
    }

    /// Transactions admitted since creation (replacements included).
    pub fn admitted_total(&self) -> u64 {
        self.shards.iter().map(Shard::admitted_total).sum()
    }

    /// Pending transactions removed because they were committed.
    pub fn committed_total(&self) -> u64 {
        self.shards.iter().map(Shard::committed_total).sum()
    }

    /// Admits a transaction whose signature verdict was already computed by the sigverify stage (on its sender's
    /// shard).
    ///
    /// Checks, in order (the first failing one is the reason, and is counted): signature → `BadSignature`;
    /// a small-order sender or recipient key → `WeakKey`; chain id → `WrongChain`; size → `TooLarge`; same id
    /// pending or parked → `Duplicate`; nonce below the committed nonce (or below the sender's pending queue) →
    /// `NonceTooLow`; nonce at or beyond the committed nonce plus `nonce_window` → `NonceGap`. A nonce past the
    /// end of the sender's queue (a gap: its predecessors went to another validator, or were reordered on the
    /// way) is **parked** — same sender and nonce parked with a fee ≥ this one → `Conflict`, pending plus parked
    /// at capacity → `MempoolFull` — and joins the queue when the missing nonces arrive or commit, checked again
    /// then (one the sender can no longer afford is removed as `Invalidated`). Otherwise: same sender and nonce
    /// pending with a fee ≥ this one → `Conflict`; balance below the cost of the sender's whole pending queue
    /// with this transaction added (or substituted) → `InsufficientBalance` (also on overflow); pending plus
    /// parked at capacity (unless this is a replacement) → `MempoolFull`.
    ///
    /// A higher-fee transaction with the same sender and nonce replaces the pending (or parked) one, which is
    /// reported in [`Admitted::dropped`]. For an appended transaction the balance rule is "predecessors + itself"; for a
    /// replacement it also counts the successors (geth's overdraft rule), so a replacement can never strand
    /// transactions queued after it: every queue admitted against a state is affordable as a whole there.
    pub fn admit(
        &mut self,
        tx: Transaction,
        signature_ok: bool,
        accounts: &impl AccountView,
    ) -> Result<Admitted, Rejection> {
        let k = self.shard_of(&tx.sender);
        let tx_hash = tx.hash();
        self.shards[k].admit(tx, tx_hash, signature_ok, accounts)
    }

    /// Admits a batch: `txs[i]` with signature verdict `verdicts[i]` (a missing verdict counts as a bad
    /// signature), each under [`Mempool::admit`]'s rules. Each shard admits its senders' transactions in batch
    /// order, all shards at once on the pool; the results come back in batch order, equal to admitting one by
    /// one.
    pub fn admit_batch(
        &mut self,
        txs: Vec<Transaction>,
        verdicts: &[bool],
        accounts: &(impl AccountView + Sync),
    ) -> Vec<Result<Admitted, Rejection>> {
        let total = txs.len();
        let with_verdicts = txs.into_iter().enumerate().map(|(i, tx)| (tx, verdicts.get(i).copied().unwrap_or(false)));
        let parts = self.split_by_sender(with_verdicts, |(tx, _)| &tx.sender);
        let admit_part = |(shard, part): (&mut Shard, Part<(Transaction, bool)>)| {
            // The shard's ids side by side first (on its thread), then its admissions in batch order.
            let ids = Transaction::ids(part.iter().map(|(_, (tx, _))| tx));
            part.into_iter()
                .zip(ids)
                .map(|((i, (tx, ok)), id)| (i, shard.admit(tx, id, ok, accounts)))
                .collect::<Vec<_>>()
        };
        let done = self.on_shards(parts, admit_part);
        in_order(total, done)
    }

    /// Removes transactions made obsolete by executed state.
    ///
    /// For each changed account that has pending or parked transactions: every one with a nonce below the
    /// account's new nonce is dropped — counted as committed when its id is in `committed`, otherwise returned
    /// as `Invalidated` (another transaction consumed its nonce). Then the remaining pending ones are summed in
    /// nonce order against the new balance, and from the first that can no longer be afforded on, all are
    /// dropped as `Invalidated` (keeping the queue contiguous). Then parked ones that now follow the queue (or
    /// the new nonce) join it as admission would ([`Mempool::admit`]). Each call counts as one executed block:
    /// transactions parked [`PARKED_BLOCKS`] calls ago are removed as `Invalidated` (their gap never filled).
    /// Output order: `changed_accounts` order, then nonce order, then the expired parked transactions shard by
    /// shard in the order they were parked, so it is deterministic for a deterministic caller. The shards apply
    /// their accounts at once.
    pub fn on_state_update(
        &mut self,
        committed: &KeyedSet<Hash>,
        changed_accounts: &[(AccountId, Account)],
    ) -> Vec<Rejection> {
        self.apply_state_update(committed, changed_accounts, None)
    }

    /// [`Mempool::on_state_update`], and `changed_accounts` written into `accounts` (the caller's committed state,
    /// see [`AccountShards`]) in the same pass: each shard's part of the state beside the shard, on the pool.
    pub fn on_executed_state(
        &mut self,
        accounts: &mut AccountShards,
        committed: &KeyedSet<Hash>,
        changed_accounts: &[(AccountId, Account)],
    ) -> Vec<Rejection> {
        self.apply_state_update(committed, changed_accounts, Some(accounts))
    }

    fn apply_state_update(
        &mut self,
        committed: &KeyedSet<Hash>,
        changed_accounts: &[(AccountId, Account)],
        accounts: Option<&mut AccountShards>,
    ) -> Vec<Rejection> {
        let total = changed_accounts.len();
        let shards = self.shards.len();
        let state_parts: Vec<Option<&mut StatePart>> = match accounts {
            Some(accounts) => accounts.parts_for(shards).map(Some).collect(),
            None => (0..shards).map(|_| None).collect(),
        };
        let changes = self.split_by_sender(changed_accounts.iter(), |change| &change.0);
        let parts = changes.into_iter().zip(state_parts).enumerate().collect();
        let update_part = |(shard, (k, (part, state))): (&mut Shard, (usize, ShardChanges))| {
            if let Some(state) = state {
                state.extend(part.iter().map(|(_, (id, account))| (*id, *account)));
            }
            let mut removed = Vec::new();
            let mut expired = Vec::new();
            shard.expire_parked(&mut expired);
            if !expired.is_empty() {
                removed.push((total + k, expired)); // after every account's removals, shard by shard
            }
            for (i, (sender, account)) in part {
                let mut out = Vec::new();
                shard.on_account_update(committed, sender, account, &mut out);
                if !out.is_empty() {
                    removed.push((i, out));
                }
            }
            removed
        };
        let done = self.on_shards(parts, update_part);
        in_order(total + shards, done).into_iter().flatten().collect()
    }

    /// `items` split into one part per shard by the account `sender_of` names, each item with its position in
    /// `items`, in `items` order within a part.
    fn split_by_sender<T>(&self, items: impl Iterator<Item = T>, sender_of: impl Fn(&T) -> &AccountId) -> Vec<Part<T>> {
        let mut parts: Vec<Part<T>> = (0..self.shards.len()).map(|_| Vec::new()).collect();
        for (i, item) in items.enumerate() {
            let k = self.shard_of(sender_of(&item));
            parts[k].push((i, item));
        }
        parts
    }

    /// Runs `work` on every shard with its part: on the pool when there is one (all shards at once; a single
    /// shard there too, so its cost lands on the pool's thread), else one after another here.
    fn on_shards<P: Send, R: Send>(
        &mut self,
        parts: Vec<P>,
        work: impl Fn((&mut Shard, P)) -> R + Sync + Send,
    ) -> Vec<R> {
        let Mempool { shards, pool, .. } = self;
        map_in_order(pool.as_deref(), 1, shards.iter_mut().zip(parts).collect(), work)
    }
}

/// Which of `shards` shards owns `sender` (0 when there are none): a multiplicative hash of the id's first eight
/// bytes (an Ed25519 key's bytes are already uniform), the same on every node and run.
fn shard_index(sender: &AccountId, shards: usize) -> usize {
    let mut head = [0u8; 8];
    head.copy_from_slice(&sender[..8]);
    let mixed = u64::from_le_bytes(head).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (mixed % shards.max(1) as u64) as usize
}

/// One shard's items, each with its position in the caller's list.
type Part<T> = Vec<(usize, T)>;

/// An executed account: its id and new state.
type AccountChange = (AccountId, Account);

/// The executed accounts one shard owns, each with its position in the caller's list, and the shard's part of the
/// caller's committed state when the caller keeps one.
type ShardChanges<'a> = (Part<&'a AccountChange>, Option<&'a mut StatePart>);

/// The shards' per-item results, tagged with each item's input position, as one list in input order (`total`
/// items in all; every position appears once).
fn in_order<T>(total: usize, per_shard: Vec<Vec<(usize, T)>>) -> Vec<T> {
    let mut slots: Vec<Option<T>> = (0..total).map(|_| None).collect();
    for (i, item) in per_shard.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(item);
        }
    }
    slots.into_iter().flatten().collect()
}

/// One shard of a pool seen alone ([`Mempool::map_shards`]): its senders' ready heads and queues.
#[derive(Clone, Copy)]
pub struct ShardView<'a> {
    shard: &'a Shard,
    index: usize,
    count: usize,
}

impl<'a> ShardView<'a> {
    /// Number of pending transactions in this shard.
    pub fn len(&self) -> usize {
        self.shard.len()
    }

    /// Whether this shard holds no pending transaction.
    pub fn is_empty(&self) -> bool {
        self.shard.len() == 0
    }

    /// Whether `sender`'s transactions belong to this shard.
    pub fn owns(&self, sender: &AccountId) -> bool {
        shard_index(sender, self.count) == self.index
    }

    /// This shard's part of [`Mempool::ready`]: its senders' lowest-nonce transactions, best first.
    pub fn ready(&self) -> impl Iterator<Item = &'a PendingTx> + 'a {
        self.shard.ready()
    }

    /// [`Mempool::pending_at`] for a sender of this shard (`None` for another shard's sender).
    pub fn pending_at(&self, sender: &AccountId, nonce: u64) -> Option<&'a PendingTx> {
        self.shard.pending_at(sender, nonce)
    }
}

/// The shards' sorted heads merged into one [`FeePriority`] order: each step takes the best of the shards' next
/// heads.
struct ReadyMerge<I: Iterator> {
    heads: Vec<Peekable<I>>,
}

impl<'a, I: Iterator<Item = &'a PendingTx>> Iterator for ReadyMerge<I> {
    type Item = &'a PendingTx;

    fn next(&mut self) -> Option<&'a PendingTx> {
        let mut best: Option<(usize, FeePriority)> = None;
        for (k, head) in self.heads.iter_mut().enumerate() {
            if let Some(p) = head.peek().map(|p| p.priority())
                && best.is_none_or(|(_, b)| p < b)
            {
                best = Some((k, p));
            }
        }
        best.and_then(|(k, _)| self.heads.get_mut(k)).and_then(Iterator::next)
    }
}
