//! Victim choice, deferral, retry and abort.

use super::*;
use crate::livelock::{Cycle, Decision, LivelockConfig, LivelockResolver, LivelockStats, choose_victim};
use std::collections::BTreeMap;

fn resolver() -> LivelockResolver {
    LivelockResolver::new(LivelockConfig::default())
}

#[test]
fn victim_is_the_highest_hash() {
    assert_eq!(choose_victim(&Cycle { txs: vec![h(3), h(9), h(5)] }), h(9));
    assert_eq!(choose_victim(&Cycle { txs: vec![] }), Hash::ZERO);
}

#[test]
fn two_cycle_defers_the_higher_hash() {
    let mut g = graph(&[(1, 2), (2, 1)]);
    let mut r = resolver();
    let decisions = r.resolve(&mut g, 10);
    assert_eq!(decisions, vec![Decision::Defer { victim: h(2), cycle_len: 2, retry_at: 11 }]);
    assert!(g.is_empty());
    assert_eq!(r.stats().cycles_by_length, BTreeMap::from([(2, 1)]));
}

#[test]
fn three_cycle_and_fifty_cycle_defer_one_victim_each() {
    let mut g = graph(&ring(1, 3));
    let mut r = resolver();
    assert_eq!(r.resolve(&mut g, 1), vec![Decision::Defer { victim: h(3), cycle_len: 3, retry_at: 2 }]);
    assert!(!is_cyclic(&g));
    assert_eq!(g.edge_count(), 1); // 1 → 2 remains and proceeds
    let mut g = graph(&ring(100, 50));
    assert_eq!(r.resolve(&mut g, 1), vec![Decision::Defer { victim: h(149), cycle_len: 50, retry_at: 2 }]);
    assert!(!is_cyclic(&g));
    assert_eq!(r.stats().cycles_by_length, BTreeMap::from([(3, 1), (50, 1)]));
}

#[test]
fn disjoint_cycles_each_get_a_victim() {
    let mut edges = ring(20, 3);
    edges.extend(ring(10, 2));
    let mut g = graph(&edges);
    let victims: Vec<Hash> = resolver().resolve(&mut g, 0).iter().map(Decision::victim).collect();
    assert_eq!(victims, vec![h(11), h(22)]);
    assert!(!is_cyclic(&g));
}

#[test]
fn figure_eight_through_a_high_shared_node_needs_one_victim() {
    // 1 ⇄ 5 and 5 ⇄ 3: the shared tx 5 is the highest of the first cycle found, removing it breaks both.
    let mut g = graph(&[(1, 5), (5, 1), (5, 3), (3, 5)]);
    let decisions = resolver().resolve(&mut g, 0);
    assert_eq!(decisions.iter().map(Decision::victim).collect::<Vec<_>>(), vec![h(5)]);
    assert!(g.is_empty());
}

#[test]
fn figure_eight_through_a_low_shared_node_needs_two_victims() {
    // 1 ⇄ 2 and 1 ⇄ 3 share the lowest tx: each cycle loses its own highest.
    let mut g = graph(&[(1, 2), (2, 1), (1, 3), (3, 1)]);
    let decisions = resolver().resolve(&mut g, 0);
    assert_eq!(decisions.iter().map(Decision::victim).collect::<Vec<_>>(), vec![h(2), h(3)]);
    assert!(!is_cyclic(&g));
}

#[test]
fn acyclic_graph_yields_no_decision() {
    let mut g = graph(&[(1, 2), (2, 3), (1, 3)]);
    let before = g.clone();
    let mut r = resolver();
    assert!(r.resolve(&mut g, 0).is_empty());
    assert_eq!(g, before);
    assert_eq!(r.stats(), LivelockStats::default());
}

#[test]
fn deferred_victims_come_back_when_due() {
    let mut r = LivelockResolver::new(LivelockConfig { max_retries: 3, retry_delay_blocks: 2 });
    let mut g = graph(&[(1, 2), (2, 1)]);
    r.resolve(&mut g, 5);
    assert_eq!(r.pending_retries(), 1);
    assert!(r.due_retries(6).is_empty());
    assert_eq!(r.due_retries(9), vec![h(2)]); // a skipped height loses nothing
    assert!(r.due_retries(9).is_empty()); // handed back once
    assert_eq!(r.pending_retries(), 0);
    assert_eq!(r.tracked(), 1);
    r.forget(&h(2));
    assert_eq!(r.tracked(), 0);
    let stats = r.stats();
    assert_eq!((stats.deferrals, stats.retries, stats.aborts, stats.cycles_detected()), (1, 1, 0, 1));
}

#[test]
fn forgetting_a_pending_victim_cancels_its_retry() {
    let mut r = resolver();
    let mut g = graph(&[(1, 2), (2, 1)]);
    r.resolve(&mut g, 0);
    r.forget(&h(2));
    assert_eq!((r.pending_retries(), r.tracked()), (0, 0));
    assert!(r.due_retries(100).is_empty());
}

#[test]
fn a_tx_that_keeps_cycling_is_aborted_after_max_retries() {
    let mut r = resolver(); // max_retries 3
    let mut height = 1;
    let mut decisions = Vec::new();
    loop {
        // The same pair deadlocks every time tx 2 is retried.
        let mut g = graph(&[(1, 2), (2, 1)]);
        let d = r.resolve(&mut g, height);
        assert_eq!(d.len(), 1);
        decisions.push(d[0]);
        if let Decision::Abort { .. } = d[0] {
            break;
        }
        height += 1;
        assert_eq!(r.due_retries(height), vec![h(2)]);
        assert!(decisions.len() <= 10, "retries must be bounded");
    }
    assert_eq!(
        decisions,
        vec![
            Decision::Defer { victim: h(2), cycle_len: 2, retry_at: 2 },
            Decision::Defer { victim: h(2), cycle_len: 2, retry_at: 3 },
            Decision::Defer { victim: h(2), cycle_len: 2, retry_at: 4 },
            Decision::Abort { victim: h(2), attempts: 4 },
        ]
    );
    let stats = r.stats();
    assert_eq!((stats.deferrals, stats.retries, stats.aborts), (3, 3, 1));
    assert_eq!(stats.cycles_by_length, BTreeMap::from([(2, 4)]));
    assert_eq!((r.tracked(), r.pending_retries()), (0, 0));
}

#[test]
fn zero_retries_aborts_at_once() {
    let mut r = LivelockResolver::new(LivelockConfig { max_retries: 0, retry_delay_blocks: 1 });
    let mut g = graph(&ring(1, 4));
    assert_eq!(r.resolve(&mut g, 0), vec![Decision::Abort { victim: h(4), attempts: 1 }]);
}

#[test]
fn same_edges_in_another_order_give_the_same_decisions() {
    let mut edges = ring(1, 7);
    edges.extend(ring(30, 4));
    edges.extend([(3, 30), (32, 5), (2, 6), (31, 33), (40, 41), (41, 40)]);
    let forward = graph(&edges);
    let mut reversed_edges = edges.clone();
    reversed_edges.reverse();
    let mut interleaved = edges.clone();
    interleaved.sort_by_key(|(w, hd)| (w * 7919 + hd * 104_729) % 97);
    let mut outcomes = Vec::new();
    for order in [edges, reversed_edges, interleaved] {
        let mut g = graph(&order);
        assert_eq!(g, forward);
        let mut r = resolver();
        let decisions = r.resolve(&mut g, 3);
        assert!(!is_cyclic(&g));
        outcomes.push((decisions, g.edges().collect::<Vec<_>>(), r.stats()));
    }
    assert!(!outcomes[0].0.is_empty());
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0], outcomes[2]);
}

#[test]
fn config_defaults_and_rejects_unknown_fields() {
    let config: LivelockConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config, LivelockConfig { max_retries: 3, retry_delay_blocks: 1 });
    let config: LivelockConfig = serde_json::from_str(r#"{"max_retries": 5}"#).unwrap();
    assert_eq!(config, LivelockConfig { max_retries: 5, retry_delay_blocks: 1 });
    assert!(serde_json::from_str::<LivelockConfig>(r#"{"max_retry": 5}"#).is_err());
}
