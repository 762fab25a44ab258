//! One sender's pending transactions: contiguous nonces, in nonce order.

use super::fee_priority::FeePriority;
use crate::types::{Hash, Transaction};
use std::collections::VecDeque;

/// A pending transaction with its id computed once at admission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTx {
    hash: Hash,
    tx: Transaction,
}

impl PendingTx {
    pub(super) fn new(hash: Hash, tx: Transaction) -> Self {
        PendingTx { hash, tx }
    }
    /// Transaction id.
    pub fn hash(&self) -> &Hash {
        &self.hash
    }
    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }
    /// The transaction, giving up the id.
    pub fn into_tx(self) -> Transaction {
        self.tx
    }
    /// Its place in the serving order.
    pub fn priority(&self) -> FeePriority {
        FeePriority::new(self.tx.fee, self.hash)
    }
    /// amount + fee, or None on overflow.
    pub fn cost(&self) -> Option<u64> {
        self.tx.total_cost()
    }
}

/// Pending transactions of one sender. Invariant: nonces are `first_nonce, first_nonce + 1, …` with no gap,
/// so the transaction at a nonce is found by index.
#[derive(Debug)]
pub(super) struct SenderQueue {
    first_nonce: u64,
    txs: VecDeque<PendingTx>,
}

impl SenderQueue {
    /// A queue holding one transaction.
    pub(super) fn new(first: PendingTx) -> Self {
        SenderQueue { first_nonce: first.tx.nonce, txs: VecDeque::from([first]) }
    }

    /// Nonce of the head (lowest pending) transaction.
    pub(super) fn first_nonce(&self) -> u64 {
        self.first_nonce
    }

    /// The nonce a transaction appended to this queue must carry.
    pub(super) fn next_nonce(&self) -> u64 {
        self.first_nonce.saturating_add(self.txs.len() as u64)
    }

    /// True when nothing is pending.
    pub(super) fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    fn index(&self, nonce: u64) -> Option<usize> {
        nonce.checked_sub(self.first_nonce).and_then(|i| usize::try_from(i).ok()).filter(|&i| i < self.txs.len())
    }

    /// The pending transaction at `nonce`.
    pub(super) fn get(&self, nonce: u64) -> Option<&PendingTx> {
        self.index(nonce).and_then(|i| self.txs.get(i)).filter(|p| p.tx.nonce == nonce)
    }

    /// The head (lowest pending nonce): what the ready order serves for this sender.
    pub(super) fn head(&self) -> Option<&PendingTx> {
        self.txs.front()
    }

    /// Pending transactions in nonce order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &PendingTx> + '_ {
        self.txs.iter()
    }

    /// Total cost of the pending transactions with nonce ≥ `from`, leaving out the one at `except` (the
    /// transaction a replacement would substitute); None on overflow.
    pub(super) fn cost_from(&self, from: u64, except: u64) -> Option<u64> {
        self.iter()
            .filter(|p| p.tx.nonce >= from && p.tx.nonce != except)
            .try_fold(0u64, |sum, p| sum.checked_add(p.cost()?))
    }

    /// Appends a transaction; the caller has checked it carries [`Self::next_nonce`].
    pub(super) fn push(&mut self, p: PendingTx) {
        debug_assert_eq!(p.tx.nonce, self.next_nonce());
        self.txs.push_back(p);
    }

    /// Swaps the transaction at the new one's nonce for it, returning the old one.
    pub(super) fn replace(&mut self, p: PendingTx) -> Option<PendingTx> {
        let slot = self.index(p.tx.nonce).and_then(|i| self.txs.get_mut(i))?;
        Some(std::mem::replace(slot, p))
    }

    /// Removes and returns the head if its nonce is below `nonce`.
    pub(super) fn pop_below(&mut self, nonce: u64) -> Option<PendingTx> {
        if self.first_nonce >= nonce {
            return None;
        }
        let p = self.txs.pop_front()?;
        self.first_nonce = self.first_nonce.saturating_add(1);
        Some(p)
    }

    /// Removes every transaction from the `keep`-th on (in nonce order), returning them in nonce order.
    pub(super) fn split_off(&mut self, keep: usize) -> Vec<PendingTx> {
        if keep >= self.txs.len() {
            return Vec::new();
        }
        self.txs.split_off(keep).into()
    }
}
