//! A cycle in the wait-for graph: canonical form and verification against a node's own edges.

use super::graph::WaitForGraph;
use crate::types::Hash;
use std::collections::BTreeSet;

/// A cycle found in the graph, in canonical rotation (starting at its smallest hash): `txs[0]` waits for
/// `txs[1]`, …, and the last waits for `txs[0]`. The canonical form makes the same cycle byte-identical on every
/// node, so it can be carried as the proof of a deferral and checked by anyone holding the edges.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cycle {
    /// The transactions around the cycle, starting at the smallest hash.
    pub txs: Vec<Hash>,
}

impl Cycle {
    /// The cycle through `txs` in this order, rotated to start at its smallest hash.
    pub fn canonical(mut txs: Vec<Hash>) -> Self {
        if let Some(start) = txs.iter().enumerate().min_by_key(|(_, h)| **h).map(|(i, _)| i) {
            txs.rotate_left(start);
        }
        Cycle { txs }
    }

    /// Number of transactions (= edges) in the cycle.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// True for the empty cycle (never produced by the detector).
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Whether this is a valid elementary cycle of `graph`: canonical, at least two distinct transactions, and
    /// every edge `txs[i] → txs[i+1]` (wrapping) present.
    pub fn is_in(&self, graph: &WaitForGraph) -> bool {
        let distinct: BTreeSet<&Hash> = self.txs.iter().collect();
        let canonical = self.txs.first() == distinct.first().copied();
        let edges = self.txs.iter().zip(self.txs.iter().cycle().skip(1)).all(|(w, h)| graph.has_wait(w, h));
        self.txs.len() >= 2 && distinct.len() == self.txs.len() && canonical && edges
    }
}
