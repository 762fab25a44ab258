//! Removal of transactions made obsolete by executed state.

use super::sender_queue::PendingTx;
use super::{Mempool, RejectReason, Rejection};
use crate::types::{Account, AccountId, Hash};
use std::collections::HashSet;

impl Mempool {
    /// Removes transactions made obsolete by executed state.
    ///
    /// For each changed account that has pending transactions: every one with a nonce below the account's
    /// new nonce is dropped — counted as committed when its id is in `committed`, otherwise returned as
    /// `Invalidated` (another transaction consumed its nonce). Then the remaining ones are summed in nonce
    /// order against the new balance, and from the first that can no longer be afforded on, all are dropped
    /// as `Invalidated` (keeping the queue contiguous). Output order: `changed_accounts` order, then nonce
    /// order, so it is deterministic for a deterministic caller.
    pub fn on_state_update(
        &mut self,
        committed: &HashSet<Hash>,
        changed_accounts: &[(AccountId, Account)],
    ) -> Vec<Rejection> {
        let mut out = Vec::new();
        for (sender, account) in changed_accounts {
            let Some(queue) = self.senders.get_mut(sender) else { continue };
            let old_head = queue.head_priority();
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
            let new_head = queue.head_priority();
            if queue.is_empty() {
                self.senders.remove(sender);
            }
            self.ready.change(old_head, new_head);
            for (i, p) in removed.into_iter().enumerate() {
                self.by_hash.remove(p.hash());
                if i < consumed && committed.contains(p.hash()) {
                    self.committed += 1;
                } else {
                    out.push(self.reject(*p.hash(), RejectReason::Invalidated));
                }
            }
        }
        out
    }
}
