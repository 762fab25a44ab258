//! Admission: the ordered validity checks a new transaction passes before it becomes pending.

use super::sender_queue::{PendingTx, SenderQueue};
use super::shard::Shard;
use super::{Admitted, RejectReason, Rejection};
use crate::crypto::is_small_order_key;
use crate::types::{AccountView, Hash, Transaction};

/// True when the transaction's sender or recipient is a small-order Ed25519 key
/// ([`crate::crypto::is_small_order_key`]): such an account could be spent by anyone, so no transaction may
/// create or spend one. The mempool refuses them (`WeakKey`) and the node refuses proposals carrying them.
pub fn has_weak_key(tx: &Transaction) -> bool {
    is_small_order_key(&tx.sender) || is_small_order_key(&tx.recipient)
}

impl Shard {
    /// Admits a transaction of a sender this shard owns: the checks of [`super::Mempool::admit`].
    pub(super) fn admit(
        &mut self,
        tx: Transaction,
        signature_ok: bool,
        accounts: &impl AccountView,
    ) -> Result<Admitted, Rejection> {
        let tx_hash = tx.hash();
        match self.check(&tx, signature_ok, accounts, &tx_hash) {
            Err(reason) => Err(self.reject(tx_hash, reason)),
            Ok(is_replacement) => Ok(self.insert(PendingTx::new(tx_hash, tx), is_replacement)),
        }
    }

    /// Runs the admission checks; Ok(true) when the transaction would replace a pending one.
    fn check(
        &self,
        tx: &Transaction,
        signature_ok: bool,
        accounts: &impl AccountView,
        tx_hash: &Hash,
    ) -> Result<bool, RejectReason> {
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
        if self.by_hash.contains_key(tx_hash) {
            return Err(RejectReason::Duplicate);
        }
        let account = accounts.account(&tx.sender);
        let queue = self.senders.get(&tx.sender);
        // The queue's first nonce is a committed nonce the pool has seen, so it is never stale.
        let floor = queue.map_or(account.nonce, |q| q.first_nonce().max(account.nonce));
        if tx.nonce < floor {
            return Err(RejectReason::NonceTooLow);
        }
        let next = queue.map_or(account.nonce, SenderQueue::next_nonce);
        if tx.nonce >= account.nonce.saturating_add(self.config.nonce_window) || tx.nonce > next {
            return Err(RejectReason::NonceGap);
        }
        let existing = queue.and_then(|q| q.get(tx.nonce));
        if existing.is_some_and(|old| tx.fee <= old.tx().fee) {
            return Err(RejectReason::Conflict);
        }
        let others = queue.map_or(Some(0), |q| q.cost_from(floor, tx.nonce));
        match others.zip(tx.total_cost()).and_then(|(a, b)| a.checked_add(b)) {
            Some(needed) if needed <= account.balance => {}
            _ => return Err(RejectReason::InsufficientBalance),
        }
        if existing.is_none() && self.len() >= self.config.capacity {
            return Err(RejectReason::MempoolFull);
        }
        Ok(existing.is_some())
    }

    /// Makes a checked transaction pending: appends it, or swaps it for the one it replaces.
    fn insert(&mut self, p: PendingTx, is_replacement: bool) -> Admitted {
        let tx_hash = *p.hash();
        let (sender, nonce) = (p.tx().sender, p.tx().nonce);
        self.admitted += 1;
        self.by_hash.insert(tx_hash, (sender, nonce));
        let replaced = match self.senders.get_mut(&sender) {
            Some(queue) if is_replacement => queue.replace(p),
            Some(queue) => {
                queue.push(p);
                None
            }
            None => {
                self.senders.insert(sender, SenderQueue::new(p));
                None
            }
        };
        let replaced = replaced.map(|old| {
            self.by_hash.remove(old.hash());
            self.reject(*old.hash(), RejectReason::Replaced)
        });
        Admitted { tx_hash, replaced }
    }
}
