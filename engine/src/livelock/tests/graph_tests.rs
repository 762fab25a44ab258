//! Wait-for graph book-keeping and cycle detection.

use super::*;
use crate::livelock::{Cycle, WaitForGraph};

#[test]
fn two_cycle_is_found() {
    let g = graph(&[(2, 1), (1, 2)]);
    assert_eq!(g.find_cycles(), vec![Cycle { txs: vec![h(1), h(2)] }]);
}

#[test]
fn three_cycle_is_found_in_canonical_rotation() {
    let g = graph(&[(5, 3), (3, 9), (9, 5)]);
    let cycles = g.find_cycles();
    assert_eq!(cycles, vec![Cycle { txs: vec![h(3), h(9), h(5)] }]);
    assert!(cycles[0].is_in(&g));
}

#[test]
fn fifty_cycle_is_found() {
    let g = graph(&ring(100, 50));
    let cycles = g.find_cycles();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].txs, (100..150).map(h).collect::<Vec<_>>());
    assert!(cycles[0].is_in(&g));
}

#[test]
fn disjoint_cycles_are_found_in_order_of_smallest_hash() {
    let mut edges = ring(20, 3);
    edges.extend(ring(10, 2));
    edges.push((15, 20)); // a tail into the second cycle changes nothing
    let g = graph(&edges);
    let cycles = g.find_cycles();
    assert_eq!(cycles, vec![Cycle { txs: vec![h(10), h(11)] }, Cycle { txs: vec![h(20), h(21), h(22)] }]);
}

#[test]
fn figure_eight_reports_one_cycle_per_component() {
    // 1 ⇄ 2 and 2 ⇄ 3 share tx 2: one strongly connected component, shortest cycle through its smallest tx.
    let g = graph(&[(1, 2), (2, 1), (2, 3), (3, 2)]);
    assert_eq!(g.find_cycles(), vec![Cycle { txs: vec![h(1), h(2)] }]);
}

#[test]
fn a_cycle_with_a_chord_is_broken_once() {
    // 1 → 2 → 3 → 4 → 1 and the chord 2 → 4: removing 4 (highest of the first cycle closed) breaks both.
    let g = graph(&[(1, 2), (2, 3), (3, 4), (4, 1), (2, 4)]);
    assert_eq!(g.find_cycles(), vec![Cycle { txs: vec![h(1), h(2), h(3), h(4)] }]);
}

#[test]
fn reported_victims_make_the_graph_acyclic() {
    // Two interlocked cycles where the first victim does not break the second: 1 → 3 → 1 and 1 → 2 → 1.
    let mut g = graph(&[(1, 3), (3, 1), (1, 2), (2, 1), (3, 2)]);
    let cycles = g.find_cycles();
    assert_eq!(cycles, vec![Cycle { txs: vec![h(1), h(2)] }, Cycle { txs: vec![h(1), h(3)] }]);
    for cycle in &cycles {
        assert!(cycle.is_in(&g));
        g.remove_tx(&crate::livelock::choose_victim(cycle));
    }
    assert!(!is_cyclic(&g));
}

#[test]
fn acyclic_graphs_report_nothing() {
    assert!(WaitForGraph::new().find_cycles().is_empty());
    // Chain and diamond: many waits, no cycle.
    let g = graph(&[(1, 2), (2, 3), (3, 4), (1, 5), (5, 4), (2, 5), (6, 1)]);
    assert!(g.find_cycles().is_empty());
    assert!(!is_cyclic(&g));
}

#[test]
fn self_edges_are_ignored_and_duplicates_reported() {
    let mut g = WaitForGraph::new();
    assert!(!g.add_wait(h(1), h(1)));
    assert!(g.is_empty());
    assert!(g.add_wait(h(1), h(2)));
    assert!(!g.add_wait(h(1), h(2)));
    assert_eq!((g.tx_count(), g.edge_count()), (2, 1));
}

#[test]
fn removing_txs_and_edges_cleans_up() {
    let mut g = graph(&[(1, 2), (2, 3), (3, 1), (4, 2)]);
    assert_eq!((g.tx_count(), g.edge_count()), (4, 4));
    assert!(g.remove_tx(&h(2)));
    assert!(!g.remove_tx(&h(2)));
    assert_eq!(g.edges().collect::<Vec<_>>(), vec![(h(3), h(1))]);
    assert_eq!(g.txs(), vec![h(1), h(3)]);
    assert!(!g.contains_tx(&h(4)));
    assert!(g.remove_wait(&h(3), &h(1)));
    assert!(!g.remove_wait(&h(3), &h(1)));
    assert!(g.is_empty() && g.tx_count() == 0 && g.txs().is_empty());
}

#[test]
fn cycle_verification_rejects_forged_cycles() {
    let g = graph(&ring(1, 3));
    assert!(Cycle { txs: vec![h(1), h(2), h(3)] }.is_in(&g));
    assert!(!Cycle { txs: vec![h(2), h(3), h(1)] }.is_in(&g), "not canonical");
    assert!(!Cycle { txs: vec![h(1), h(3), h(2)] }.is_in(&g), "wrong direction");
    assert!(!Cycle { txs: vec![h(1), h(2)] }.is_in(&g), "missing edge");
    assert!(!Cycle { txs: vec![h(1)] }.is_in(&g));
    assert!(!Cycle { txs: vec![] }.is_in(&g));
    assert_eq!(Cycle::canonical(vec![h(3), h(1), h(2)]).txs, vec![h(1), h(2), h(3)]);
}

#[test]
fn a_long_cycle_does_not_overflow_the_stack() {
    let g = graph(&ring(0, 100_000));
    let cycles = g.find_cycles();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].len(), 100_000);
}
