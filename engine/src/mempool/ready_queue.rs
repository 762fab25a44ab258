//! The fee-priority order of ready transactions (each sender's lowest pending nonce), kept incrementally.

use crate::types::{AccountId, Hash};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Serving order of transactions: higher fee first, ties broken by smaller hash so every node orders
/// identically. A smaller `FeePriority` is served first; the mempool's ready queue and block provisioning
/// both order by this one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeePriority {
    fee: Reverse<u64>,
    hash: Hash,
}

impl FeePriority {
    /// The priority of a transaction paying `fee` with id `hash`.
    pub fn new(fee: u64, hash: Hash) -> Self {
        FeePriority { fee: Reverse(fee), hash }
    }
    /// The fee this priority was built from.
    pub fn fee(&self) -> u64 {
        self.fee.0
    }
    /// The transaction id this priority was built from.
    pub fn hash(&self) -> &Hash {
        &self.hash
    }
}

/// Each sender's head transaction in [`FeePriority`] order, with the sender, so serving a head goes straight to
/// its sender's queue (no lookup by transaction id). Updated on every head change (O(log n)), so serving the best
/// heads never sorts the whole pool.
#[derive(Debug, Default)]
pub(super) struct ReadyQueue {
    heads: BTreeMap<FeePriority, AccountId>,
}

impl ReadyQueue {
    /// Replaces `sender`'s old head (if any) by its new head (if any).
    pub(super) fn change(&mut self, sender: &AccountId, old: Option<FeePriority>, new: Option<FeePriority>) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            self.heads.remove(&old);
        }
        if let Some(new) = new {
            self.heads.insert(new, *sender);
        }
    }

    /// Heads with their senders, best first.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&FeePriority, &AccountId)> + '_ {
        self.heads.iter()
    }

    /// Number of heads (= senders with pending transactions).
    pub(super) fn len(&self) -> usize {
        self.heads.len()
    }
}
