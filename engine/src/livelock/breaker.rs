//! Cycle breaking: one deterministic depth-first search that removes a victim from every cycle it meets.

use super::cycle::Cycle;
use super::graph::WaitForGraph;
use crate::types::Hash;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Color {
    /// Not explored (or explored through a path that a victim's removal cut).
    White,
    /// On the search stack.
    Gray,
    /// Finished: every successor is finished or removed, so no cycle is reachable from it.
    Black,
}

/// The cycles whose victims ([`choose_victim`](super::choose_victim): highest hash) make `graph` acyclic, in
/// the order found. Each is a real elementary cycle of `graph` in canonical rotation.
///
/// Algorithm: depth-first search from every transaction in hash order, successors in hash order. A back edge
/// `v → w` closes the cycle `w → … → v → w` (the search path); its highest hash `x` is removed, the path above
/// `x` is unwound and those transactions are explored again later (their reachability changed). A transaction
/// is finished only when all its successors are finished or removed, so finished transactions never reach a
/// cycle and the search ends with the survivors acyclic. At least one cycle per cyclic strongly connected
/// component is reported, not every elementary cycle (whose number can be exponential). Roughly
/// O((V + E) log V) plus the re-exploration of unwound paths; all iteration is ordered, so equal graphs give
/// equal results on every node.
pub(super) fn break_cycles(graph: &WaitForGraph) -> Vec<Cycle> {
    let nodes = graph.txs(); // sorted: a larger index is a larger hash
    let adjacency: Vec<Vec<usize>> =
        nodes.iter().map(|tx| graph.holders_of(tx).filter_map(|h| nodes.binary_search(h).ok()).collect()).collect();
    let mut color = vec![Color::White; nodes.len()];
    let mut removed = vec![false; nodes.len()];
    let mut stack_pos = vec![0usize; nodes.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new(); // (node, next edge position)
    let mut roots: Vec<usize> = (0..nodes.len()).rev().collect();
    let mut cycles = Vec::new();
    while let Some(root) = roots.pop() {
        if removed[root] || color[root] != Color::White {
            continue;
        }
        color[root] = Color::Gray;
        stack_pos[root] = 0;
        stack.push((root, 0));
        while let Some(&mut (v, ref mut pos)) = stack.last_mut() {
            let Some(&w) = adjacency[v].get(*pos) else {
                stack.pop();
                color[v] = Color::Black;
                continue;
            };
            *pos += 1;
            if removed[w] || color[w] == Color::Black {
                continue;
            }
            if color[w] == Color::White {
                color[w] = Color::Gray;
                stack_pos[w] = stack.len();
                stack.push((w, 0));
                continue;
            }
            // Back edge v → w: the path from w to v is a cycle.
            let members: Vec<usize> = stack[stack_pos[w]..].iter().map(|(n, _)| *n).collect();
            let Some(&victim) = members.iter().max() else { continue };
            cycles.push(Cycle::canonical(members.iter().map(|i| nodes[*i]).collect::<Vec<Hash>>()));
            removed[victim] = true;
            for (n, _) in stack.drain(stack_pos[victim]..) {
                color[n] = Color::White;
                roots.push(n);
            }
        }
    }
    cycles
}
