//! Cycles in the wait-for graph: canonical form, verification, and extraction from a component.

use super::graph::WaitForGraph;
use crate::types::Hash;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

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

/// The shortest cycle through the smallest transaction of `component` (a sorted, strongly connected node set
/// of `graph`), staying inside the component; breadth-first in hash order, so ties resolve identically
/// everywhere. `None` only if `component` is not strongly connected.
pub(super) fn shortest_cycle_through_smallest(graph: &WaitForGraph, component: &[Hash]) -> Option<Cycle> {
    let start = *component.first()?;
    let mut parent: BTreeMap<Hash, Hash> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(tx) = queue.pop_front() {
        for holder in graph.holders_of(&tx) {
            if component.binary_search(holder).is_err() {
                continue;
            }
            if *holder == start {
                // Walk back from `tx` to the start: start → … → tx → start.
                let mut path = vec![tx];
                let mut at = tx;
                while at != start {
                    at = *parent.get(&at)?;
                    path.push(at);
                }
                path.reverse();
                return Some(Cycle::canonical(path));
            }
            if !parent.contains_key(holder) {
                parent.insert(*holder, tx);
                queue.push_back(*holder);
            }
        }
    }
    None
}
