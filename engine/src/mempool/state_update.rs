//! Removal of transactions made obsolete by executed state, one sender at a time.

use super::admit::PARKED_BLOCKS;
use super::shard::Shard;
use super::{RejectReason, Rejection};
use crate::types::{Account, AccountId, AccountView, Hash, KeyedSet};

/// One sender's executed state as an [`AccountView`] (a state update concerns that sender only).
struct OneAccount<'a>(&'a AccountId, &'a Account);

impl AccountView for OneAccount<'_> {
    fn account(&self, id: &AccountId) -> Account {
        if id == self.0 { *self.1 } else { Account::default() }
    }
}

impl Shard {
    /// Removes the transactions of `sender` made obsolete by its executed state `account`, appending the
    /// removals that are not commits to `out` in nonce order (the rule is [`super::Mempool::on_state_update`]'s),
    /// then moves parked transactions that now follow the sender's queue or nonce into the queue.
    pub(super) fn on_account_update(
        &mut self,
        committed: &KeyedSet<Hash>,
        sender: &AccountId,
        account: &Account,
        out: &mut Vec<Rejection>,
    ) {
        // Counted as they leave the queue, keeping only the ids of the ones reported (a consumed nonce's
        // transaction is dropped on the spot: collecting whole transactions to count them after cost a copy and an
        // allocation per changed account).
        let mut removed = 0usize;
        let mut committed_here = 0u64;
        let mut invalidated: Vec<Hash> = Vec::new();
        if let Some(queue) = self.senders.get_mut(sender) {
            while let Some(p) = queue.pop_below(account.nonce) {
                removed += 1;
                if committed.contains(p.hash()) {
                    committed_here += 1;
                } else {
                    invalidated.push(*p.hash());
                }
            }
            let mut spent = Some(0u64);
            let affordable = queue
                .iter()
                .take_while(|p| {
                    spent = spent.zip(p.cost()).and_then(|(a, b)| a.checked_add(b));
                    spent.is_some_and(|s| s <= account.balance)
                })
                .count();
            for p in queue.split_off(affordable) {
                removed += 1;
                invalidated.push(*p.hash());
            }
            if queue.is_empty() {
                self.senders.remove(sender);
            }
        }
        self.pending = self.pending.saturating_sub(removed);
        self.committed += committed_here;
        for hash in invalidated {
            out.push(self.reject(hash, RejectReason::Invalidated));
        }
        // Parked transactions are above the queue, so these come after its removals in nonce order.
        let below: Vec<u64> =
            self.parked.get(sender).map(|m| m.range(..account.nonce).map(|(n, _)| *n).collect()).unwrap_or_default();
        for nonce in below {
            if let Some(p) = self.unpark(sender, nonce) {
                self.count_removal(committed, p.hash(), true, out);
            }
        }
        if self.parked.contains_key(sender) {
            self.promote(sender, &OneAccount(sender, account), out);
        }
    }

    /// One more state update (an executed block): parked transactions parked [`PARKED_BLOCKS`] updates ago or
    /// earlier are removed as `Invalidated`, in the order they were parked.
    pub(super) fn expire_parked(&mut self, out: &mut Vec<Rejection>) {
        self.state_updates += 1;
        while let Some(&(at, sender, nonce, hash)) = self.park_order.front() {
            if at.saturating_add(PARKED_BLOCKS) > self.state_updates {
                break;
            }
            self.park_order.pop_front();
            if self.parked_at(&sender, nonce).is_some_and(|p| *p.hash() == hash) {
                self.unpark(&sender, nonce);
                out.push(self.reject(hash, RejectReason::Invalidated));
            }
        }
    }

    /// Counts a removed transaction: committed when its nonce was consumed (`consumed`) by it, else reported
    /// `Invalidated`.
    fn count_removal(&mut self, committed: &KeyedSet<Hash>, hash: &Hash, consumed: bool, out: &mut Vec<Rejection>) {
        if consumed && committed.contains(hash) {
            self.committed += 1;
        } else {
            out.push(self.reject(*hash, RejectReason::Invalidated));
        }
    }
}
