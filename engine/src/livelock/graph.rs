//! The wait-for graph: which transaction waits for a lock (account) held by which other transaction.

use super::breaker::break_cycles;
use super::cycle::Cycle;
use crate::types::Hash;
use std::collections::{BTreeMap, BTreeSet};

/// Directed wait-for graph over transaction hashes: an edge `A → B` means "tx A waits for a lock held by tx B".
///
/// Built from whatever lock information a node has (local locks and, across shards, the certificates and
/// provisions it has seen). Stored in ordered maps so every query, and hence every decision derived from it,
/// is identical on every node regardless of the order edges were added. A transaction exists in the graph
/// only while it has at least one edge; self-edges are ignored (a transaction never waits for itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitForGraph {
    waits_for: BTreeMap<Hash, BTreeSet<Hash>>,
    waited_by: BTreeMap<Hash, BTreeSet<Hash>>,
}

impl WaitForGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `waiter` waits for a lock held by `holder`. Returns false when the edge was already there
    /// or is a self-edge (ignored).
    pub fn add_wait(&mut self, waiter: Hash, holder: Hash) -> bool {
        if waiter == holder {
            return false;
        }
        let added = self.waits_for.entry(waiter).or_default().insert(holder);
        self.waited_by.entry(holder).or_default().insert(waiter);
        added
    }

    /// Removes one edge (the holder released the lock the waiter needed). Returns whether it existed.
    pub fn remove_wait(&mut self, waiter: &Hash, holder: &Hash) -> bool {
        let removed = self.waits_for.get_mut(waiter).is_some_and(|s| s.remove(holder));
        if removed {
            if let Some(s) = self.waited_by.get_mut(holder) {
                s.remove(waiter);
            }
            self.prune(waiter);
            self.prune(holder);
        }
        removed
    }

    /// Removes a transaction and every edge touching it (it committed, was deferred or aborted). Returns whether
    /// it was in the graph.
    pub fn remove_tx(&mut self, tx: &Hash) -> bool {
        let outgoing = self.waits_for.remove(tx).unwrap_or_default();
        let incoming = self.waited_by.remove(tx).unwrap_or_default();
        for holder in &outgoing {
            if let Some(s) = self.waited_by.get_mut(holder) {
                s.remove(tx);
            }
            self.prune(holder);
        }
        for waiter in &incoming {
            if let Some(s) = self.waits_for.get_mut(waiter) {
                s.remove(tx);
            }
            self.prune(waiter);
        }
        !(outgoing.is_empty() && incoming.is_empty())
    }

    /// Drops the map entries of a transaction left with no edge, so it leaves the graph.
    fn prune(&mut self, tx: &Hash) {
        if self.waits_for.get(tx).is_some_and(BTreeSet::is_empty) {
            self.waits_for.remove(tx);
        }
        if self.waited_by.get(tx).is_some_and(BTreeSet::is_empty) {
            self.waited_by.remove(tx);
        }
    }

    /// Whether the edge `waiter → holder` exists.
    pub fn has_wait(&self, waiter: &Hash, holder: &Hash) -> bool {
        self.waits_for.get(waiter).is_some_and(|s| s.contains(holder))
    }

    /// Whether `tx` has any edge.
    pub fn contains_tx(&self, tx: &Hash) -> bool {
        self.waits_for.contains_key(tx) || self.waited_by.contains_key(tx)
    }

    /// The transactions `tx` waits for, in hash order.
    pub fn holders_of(&self, tx: &Hash) -> impl Iterator<Item = &Hash> + '_ {
        self.waits_for.get(tx).into_iter().flatten()
    }

    /// Every transaction with at least one edge, in hash order.
    pub fn txs(&self) -> Vec<Hash> {
        let all: BTreeSet<Hash> = self.waits_for.keys().chain(self.waited_by.keys()).copied().collect();
        all.into_iter().collect()
    }

    /// Every edge `(waiter, holder)`, ordered by waiter then holder.
    pub fn edges(&self) -> impl Iterator<Item = (Hash, Hash)> + '_ {
        self.waits_for.iter().flat_map(|(w, hs)| hs.iter().map(move |h| (*w, *h)))
    }

    /// Number of transactions with at least one edge.
    pub fn tx_count(&self) -> usize {
        self.waits_for.keys().filter(|k| !self.waited_by.contains_key(*k)).count() + self.waited_by.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.waits_for.values().map(BTreeSet::len).sum()
    }

    /// True when the graph has no edge.
    pub fn is_empty(&self) -> bool {
        self.waits_for.is_empty()
    }

    /// The cycles [`LivelockResolver::resolve`](super::LivelockResolver::resolve) would break, in its order:
    /// removing each one's highest hash leaves the graph acyclic. Non-empty iff the graph has a cycle; at
    /// least one cycle per cyclic strongly connected component, not every elementary cycle (their number can
    /// be exponential). Each is a real cycle of this graph in canonical rotation. Near-linear cost.
    pub fn find_cycles(&self) -> Vec<Cycle> {
        break_cycles(self)
    }
}
