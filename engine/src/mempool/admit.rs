//! Admission: the ordered validity checks a new transaction passes before it becomes pending.

use super::sender_queue::{PendingTx, SenderQueue};
use super::shard::Shard;
use super::{Admitted, RejectReason, Rejection};
use crate::crypto::is_small_order_key;
use crate::types::AccountId;
use crate::types::{AccountView, Hash, Transaction};

/// True when the transaction's sender or recipient is a small-order Ed25519 key
/// ([`crate::crypto::is_small_order_key`]): such an account could be spent by anyone, so no transaction may
/// create or spend one. The mempool refuses them (`WeakKey`) and the node refuses proposals carrying them.
pub fn has_weak_key(tx: &Transaction) -> bool {
    is_small_order_key(&tx.sender) || is_small_order_key(&tx.recipient)
}

/// Most transactions parked at once: a quarter of the capacity, so transactions waiting for a gap to fill never
/// crowd out the pending ones blocks are built from.
pub(super) fn max_parked(capacity: usize) -> usize {
    capacity / 4
}

/// State updates (executed blocks) a transaction stays parked at most: if its missing nonces have neither
/// arrived nor committed by then, they most likely never will (lost, or never sent), and it is removed as
/// `Invalidated` rather than held for good.
pub const PARKED_BLOCKS: u64 = 64;

/// Where a transaction that passed the checks goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// At the end of its sender's queue.
    Append,
    /// In place of the pending transaction at its nonce.
    Replace,
    /// Parked: it follows a gap in its sender's nonces (in place of a parked one at its nonce, if any).
    Park,
}

impl Shard {
    /// Admits a transaction of a sender this shard owns, whose id is `tx_hash` (the caller hashed it): the checks
    /// of [`super::Mempool::admit`].
    pub(super) fn admit(
        &mut self,
        tx: Transaction,
        tx_hash: Hash,
        signature_ok: bool,
        accounts: &impl AccountView,
    ) -> Result<Admitted, Rejection> {
        match self.check(&tx, signature_ok, accounts, &tx_hash) {
            Err(reason) => Err(self.reject(tx_hash, reason)),
            Ok(placement) => {
                let sender = tx.sender;
                let mut dropped = Vec::new();
                self.place(PendingTx::new(tx_hash, tx), placement, &mut dropped);
                if placement == Placement::Append {
                    self.promote(&sender, accounts, &mut dropped);
                }
                Ok(Admitted { tx_hash, dropped })
            }
        }
    }

    /// Runs the admission checks and says where the transaction goes.
    fn check(
        &self,
        tx: &Transaction,
        signature_ok: bool,
        accounts: &impl AccountView,
        tx_hash: &Hash,
    ) -> Result<Placement, RejectReason> {
        if !signature_ok {
            return Err(RejectReason::BadSignature);
        }
        if has_weak_key(tx) {
            return Err(RejectReason::WeakKey);
        }
        if tx.chain_id != self.config.chain_id {
            return Err(RejectReason::WrongChain);
        }
        if tx.encoded_len() > self.config.max_tx_bytes {
            return Err(RejectReason::TooLarge);
        }
        // A transaction's id fixes its sender and nonce, so a duplicate sits at that sender's nonce.
        let parked = self.parked_at(&tx.sender, tx.nonce);
        let queue = self.senders.get(&tx.sender);
        let existing = queue.and_then(|q| q.get(tx.nonce));
        if existing.is_some_and(|p| p.hash() == tx_hash) || parked.is_some_and(|p| p.hash() == tx_hash) {
            return Err(RejectReason::Duplicate);
        }
        let account = accounts.account(&tx.sender);
        // The queue's first nonce is a committed nonce the pool has seen, so it is never stale.
        let floor = queue.map_or(account.nonce, |q| q.first_nonce().max(account.nonce));
        if tx.nonce < floor {
            return Err(RejectReason::NonceTooLow);
        }
        if tx.nonce >= account.nonce.saturating_add(self.config.nonce_window) {
            return Err(RejectReason::NonceGap);
        }
        let full = self.len() + self.parked_len >= self.config.capacity;
        if tx.nonce > queue.map_or(account.nonce, SenderQueue::next_nonce) {
            // After a gap: parked until the missing nonces arrive. The sender must afford this transaction alone
            // now (an unfunded account parks nothing); with its predecessors it is checked when it joins the queue.
            return match parked {
                Some(old) if tx.fee <= old.tx().fee => Err(RejectReason::Conflict),
                _ if tx.total_cost().is_none_or(|c| c > account.balance) => Err(RejectReason::InsufficientBalance),
                None if full || self.parked_len >= max_parked(self.config.capacity) => Err(RejectReason::MempoolFull),
                _ => Ok(Placement::Park),
            };
        }
        if existing.is_some_and(|old| tx.fee <= old.tx().fee) {
            return Err(RejectReason::Conflict);
        }
        let others = queue.map_or(Some(0), |q| q.cost_from(floor, tx.nonce));
        match others.zip(tx.total_cost()).and_then(|(a, b)| a.checked_add(b)) {
            Some(needed) if needed <= account.balance => {}
            _ => return Err(RejectReason::InsufficientBalance),
        }
        if existing.is_none() && full {
            return Err(RejectReason::MempoolFull);
        }
        Ok(if existing.is_some() { Placement::Replace } else { Placement::Append })
    }

    /// Puts a checked transaction where `placement` says; a transaction it displaces goes to `dropped` as
    /// `Replaced`.
    fn place(&mut self, p: PendingTx, placement: Placement, dropped: &mut Vec<Rejection>) {
        let (sender, nonce) = (p.tx().sender, p.tx().nonce);
        self.admitted += 1;
        let replaced = match placement {
            Placement::Park => {
                let old = self.unpark(&sender, nonce);
                self.park_order.push_back((self.state_updates, sender, nonce, *p.hash()));
                self.parked.entry(sender).or_default().insert(nonce, p);
                self.parked_len += 1;
                old
            }
            Placement::Replace | Placement::Append => match self.senders.get_mut(&sender) {
                Some(queue) if placement == Placement::Replace => queue.replace(p),
                Some(queue) => {
                    queue.push(p);
                    self.pending += 1;
                    None
                }
                None => {
                    self.senders.insert(sender, SenderQueue::new(p));
                    self.pending += 1;
                    None
                }
            },
        };
        if let Some(old) = replaced {
            dropped.push(self.reject(*old.hash(), RejectReason::Replaced));
        }
    }

    /// Moves the sender's parked transactions that now follow its queue (or its committed nonce, when nothing is
    /// pending) into the queue, in nonce order, each checked again against `accounts`; one that no longer passes
    /// (the sender cannot afford it after its predecessors) goes to `dropped` as `Invalidated`, and the ones
    /// after it stay parked.
    pub(super) fn promote(&mut self, sender: &AccountId, accounts: &impl AccountView, dropped: &mut Vec<Rejection>) {
        loop {
            let next = self.senders.get(sender).map_or(accounts.account(sender).nonce, SenderQueue::next_nonce);
            let Some(p) = self.unpark(sender, next) else { return };
            match self.check(p.tx(), true, accounts, p.hash()) {
                Ok(Placement::Append) => {
                    self.admitted -= 1; // counted once, when it was parked
                    self.place(p, Placement::Append, dropped);
                }
                _ => {
                    dropped.push(self.reject(*p.hash(), RejectReason::Invalidated));
                    return;
                }
            }
        }
    }
}
