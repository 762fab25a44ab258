//! Tests of livelock detection and resolution.

mod graph_tests;
mod props;
mod resolver_tests;

use crate::types::Hash;

/// A hash whose order follows `n` (big-endian in the first bytes), so tests can name the max.
fn h(n: u64) -> Hash {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    bytes[31] = 0xab;
    Hash(bytes)
}

/// A graph from `(waiter, holder)` pairs of `h` indices.
fn graph(edges: &[(u64, u64)]) -> crate::livelock::WaitForGraph {
    let mut g = crate::livelock::WaitForGraph::new();
    for (w, hd) in edges {
        g.add_wait(h(*w), h(*hd));
    }
    g
}

/// Ring `first → first+1 → … → first+n-1 → first`.
fn ring(first: u64, n: u64) -> Vec<(u64, u64)> {
    (0..n).map(|i| (first + i, first + (i + 1) % n)).collect()
}

/// Whether the graph has a cycle, by Kahn's algorithm (independent of the detector under test).
fn is_cyclic(g: &crate::livelock::WaitForGraph) -> bool {
    use std::collections::BTreeMap;
    let mut indegree: BTreeMap<Hash, usize> = g.txs().into_iter().map(|t| (t, 0)).collect();
    for (_, holder) in g.edges() {
        *indegree.entry(holder).or_default() += 1;
    }
    let mut ready: Vec<Hash> = indegree.iter().filter(|(_, d)| **d == 0).map(|(t, _)| *t).collect();
    let mut seen = 0;
    while let Some(t) = ready.pop() {
        seen += 1;
        for holder in g.holders_of(&t) {
            if let Some(d) = indegree.get_mut(holder) {
                *d -= 1;
                if *d == 0 {
                    ready.push(*holder);
                }
            }
        }
    }
    seen != indegree.len()
}
