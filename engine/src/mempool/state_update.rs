//! Removal of transactions made obsolete by executed state, one sender at a time.

use super::sender_queue::PendingTx;
use super::shard::Shard;
use super::{RejectReason, Rejection};
use crate::types::{Account, AccountId, Hash};
use std::collections::HashSet;

impl Shard {
    /// Removes the transactions of `sender` made obsolete by its executed state `account`, appending the
    /// removals that are not commits to `out` in nonce order (the rule is [`super::Mempool::on_state_update`]'s).
    pub(super) fn on_account_update(
        &mut self,
        committed: &HashSet<Hash>,
        sender: &AccountId,
        account: &Account,
        out: &mut Vec<Rejection>,
    ) {
        let Some(queue) = self.senders.get_mut(sender) else { return };
        let mut removed: Vec<PendingTx> = Vec::new();
        while let Some(p) = queue.pop_below(account.nonce) {
            removed.push(p);
        }
        let consumed = removed.len();
        let mut spent = Some(0u64);
        let affordable = queue
            .iter()
            .take_while(|p| {
                spent = spent.zip(p.cost()).and_then(|(a, b)| a.checked_add(b));
                spent.is_some_and(|s| s <= account.balance)
            })
            .count();
        removed.extend(queue.split_off(affordable));
        if queue.is_empty() {
            self.senders.remove(sender);
        }
        for (i, p) in removed.into_iter().enumerate() {
            self.by_hash.remove(p.hash());
            if i < consumed && committed.contains(p.hash()) {
                self.committed += 1;
            } else {
                out.push(self.reject(*p.hash(), RejectReason::Invalidated));
            }
        }
    }
}
