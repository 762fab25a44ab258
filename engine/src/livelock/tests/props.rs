//! Property tests over random wait-for graphs: progress, validity, determinism.

use super::*;
use crate::livelock::{Decision, LivelockConfig, LivelockResolver, WaitForGraph, choose_victim};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use std::collections::BTreeSet;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x11fe_10c4),
        failure_persistence: None,
        ..Default::default()
    }
}

fn arb_edges() -> impl Strategy<Value = Vec<(u64, u64)>> {
    (2u64..40).prop_flat_map(|n| prop::collection::vec((0..n, 0..n), 0..(3 * n as usize)))
}

proptest! {
    #![proptest_config(config())]

    /// Detection agrees with an independent acyclicity check, and every reported cycle is a real, canonical
    /// cycle whose victim is its highest hash.
    #[test]
    fn detector_matches_kahn_and_cycles_are_valid(edges in arb_edges()) {
        let g = graph(&edges);
        let cycles = g.find_cycles();
        prop_assert_eq!(!cycles.is_empty(), is_cyclic(&g));
        for cycle in &cycles {
            prop_assert!(cycle.is_in(&g));
            prop_assert_eq!(Some(&choose_victim(cycle)), cycle.txs.iter().max());
        }
    }

    /// After resolve the graph is acyclic, only victims lost their edges, every victim was on a cycle, and
    /// the decisions do not depend on edge insertion order.
    #[test]
    fn resolve_leaves_an_acyclic_graph_deterministically(edges in arb_edges(), seed in any::<u64>()) {
        let mut g = graph(&edges);
        let original = g.clone();
        let mut r = LivelockResolver::new(LivelockConfig::default());
        let decisions = r.resolve(&mut g, 7);
        prop_assert!(!is_cyclic(&g));
        prop_assert_eq!(decisions.is_empty(), original.find_cycles().is_empty());
        let victims: BTreeSet<Hash> = decisions.iter().map(Decision::victim).collect();
        prop_assert_eq!(victims.len(), decisions.len());
        let kept: Vec<(Hash, Hash)> =
            original.edges().filter(|(w, hd)| !victims.contains(w) && !victims.contains(hd)).collect();
        prop_assert_eq!(g.edges().collect::<Vec<_>>(), kept);
        prop_assert_eq!(r.stats().cycles_detected(), decisions.len() as u64);

        let mut shuffled = edges.clone();
        shuffled.sort_by_key(|(w, hd)| Hash::of_parts(&[&w.to_le_bytes(), &hd.to_le_bytes(), &seed.to_le_bytes()]));
        let mut g2: WaitForGraph = graph(&shuffled);
        let decisions2 = LivelockResolver::new(LivelockConfig::default()).resolve(&mut g2, 7);
        prop_assert_eq!(decisions, decisions2);
        prop_assert_eq!(g, g2);
    }
}

#[test]
fn large_random_graph_resolves_quickly() {
    // 20,000 txs, 60,000 pseudo-random waits: one giant component; resolution stays polynomial.
    let n = 20_000u64;
    let mut g = WaitForGraph::new();
    for i in 0..3 * n {
        let w = Hash::of(&i.to_le_bytes());
        let (a, b) = (
            u64::from_le_bytes(w.0[..8].try_into().unwrap()) % n,
            u64::from_le_bytes(w.0[8..16].try_into().unwrap()) % n,
        );
        g.add_wait(h(a), h(b));
    }
    let mut r = LivelockResolver::new(LivelockConfig::default());
    let decisions = r.resolve(&mut g, 0);
    assert!(!decisions.is_empty());
    assert!(!is_cyclic(&g));
    eprintln!(
        "livelock: {} victims for 20,000 txs / 60,000 waits; cycles by length {:?}",
        decisions.len(),
        r.stats().cycles_by_length
    );
}
