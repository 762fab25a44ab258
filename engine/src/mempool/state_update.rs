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
        // Tallied as they leave the queue, keeping only the ids of the ones reported (a consumed nonce's
        // transaction is dropped on the spot: collecting whole transactions to count them after cost a copy and an
        // allocation per changed account).
        let mut removed = 0usize;
        let mut tally = Removals::default();
        if let Some(queue) = self.senders.get_mut(sender) {
            while let Some(p) = queue.pop_below(account.nonce) {
                removed += 1;
                tally.note(committed, p.hash(), true);
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
                tally.note(committed, p.hash(), false);
            }
            if queue.is_empty() {
                self.senders.remove(sender);
            }
        }
        self.pending = self.pending.saturating_sub(removed);
        // Parked transactions are above the queue, so these come after its removals in nonce order.
        let below: Vec<u64> =
            self.parked.get(sender).map(|m| m.range(..account.nonce).map(|(n, _)| *n).collect()).unwrap_or_default();
        for nonce in below {
            if let Some(p) = self.unpark(sender, nonce) {
                tally.note(committed, p.hash(), true);
            }
        }
        self.settle(tally, out);
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

    /// Counts the tallied removals: the committed ones, and the rest reported `Invalidated` in the order noted.
    fn settle(&mut self, tally: Removals, out: &mut Vec<Rejection>) {
        self.committed += tally.committed;
        for hash in tally.invalidated {
            out.push(self.reject(hash, RejectReason::Invalidated));
        }
    }
}

/// Transactions removed by one account's state update, tallied while the sender's queue is borrowed and counted
/// after ([`Shard::settle`]).
#[derive(Default)]
struct Removals {
    committed: u64,
    invalidated: Vec<Hash>,
}

impl Removals {
    /// Notes a removed transaction: committed when its nonce was consumed (`consumed`) by it, else to be reported
    /// `Invalidated`.
    fn note(&mut self, committed: &KeyedSet<Hash>, hash: &Hash, consumed: bool) {
        if consumed && committed.contains(hash) {
            self.committed += 1;
        } else {
            self.invalidated.push(*hash);
        }
    }
}
