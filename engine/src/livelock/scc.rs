//! Strongly connected components (Tarjan, iterative so a long wait chain cannot overflow the stack).

use super::graph::WaitForGraph;
use crate::types::Hash;

const UNVISITED: usize = usize::MAX;

/// Strongly connected components of the subgraph induced by `nodes` (sorted, unique) that contain a cycle,
/// i.e. have at least two transactions (the graph has no self-edges). Each component is sorted; components
/// are ordered by their smallest transaction. Edges leaving `nodes` are ignored.
pub(super) fn cyclic_components(graph: &WaitForGraph, nodes: &[Hash]) -> Vec<Vec<Hash>> {
    let adjacency: Vec<Vec<usize>> =
        nodes.iter().map(|tx| graph.holders_of(tx).filter_map(|h| nodes.binary_search(h).ok()).collect()).collect();
    let mut components: Vec<Vec<Hash>> = tarjan(&adjacency)
        .into_iter()
        .filter(|c| c.len() >= 2)
        .map(|c| c.into_iter().map(|i| nodes[i]).collect())
        .collect();
    for component in &mut components {
        component.sort_unstable();
    }
    components.sort_unstable_by(|a, b| a.first().cmp(&b.first()));
    components
}

/// Tarjan's algorithm over index adjacency lists; returns every component (including single nodes).
fn tarjan(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut calls: Vec<(usize, usize)> = Vec::new(); // (node, next edge position)
    let mut next_index = 0usize;
    let mut components = Vec::new();
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if let Some(&w) = adjacency[v].get(*pos) {
                *pos += 1;
                if index[w] == UNVISITED {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}
