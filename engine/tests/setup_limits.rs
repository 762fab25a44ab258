//! Limits of a cluster configuration that must be refused up front with a precise error, not discovered later
//! as certificates that never verify.

mod common;

use common::config;
use hsbench_engine::runtime::{ChainConfig, ChainSetup};
use hsbench_engine::types::bitfield::MAX_COMMITTEE;

#[test]
fn a_committee_larger_than_the_signer_bitfield_is_refused() {
    let cfg = config(MAX_COMMITTEE + 1, 1);
    let err = ChainSetup::new(&cfg.chain).err().expect("a committee of 4097 must be refused");
    let msg = err.to_string();
    assert!(msg.contains("4097") && msg.contains("4096"), "unclear error: {msg}");
}

#[test]
fn an_explicit_committee_over_the_cap_is_refused_too() {
    let mut cfg = config(MAX_COMMITTEE + 1, 1);
    cfg.chain.consensus.committees = vec![(0..4).collect(), (0..=MAX_COMMITTEE as u16).collect()];
    let err = ChainSetup::new(&cfg.chain).err().expect("refused");
    assert!(err.to_string().contains("committee 1"), "{err}");
}

/// Every runtime's setup refuses what a component's own config refuses, naming the key — the harness is not the
/// only guard (a test, a library user or the network runtime builds chains without it).
#[test]
fn component_configs_are_validated_by_the_setup_with_their_key() {
    type Break = fn(&mut ChainConfig);
    let cases: [(&str, Break); 6] = [
        ("consensus.base_timeout_ms", |c| c.consensus.base_timeout_ms = 0),
        ("consensus.reputation_window_rounds", |c| c.consensus.reputation_window_rounds = 0),
        ("consensus.reputation_lag_rounds", |c| c.consensus.reputation_lag_rounds = 0),
        ("consensus.max_timeout_ms", |c| c.consensus.max_timeout_ms = c.consensus.base_timeout_ms - 1),
        ("mempool.capacity", |c| c.mempool.capacity = 0),
        ("provisioning.max_block_txs", |c| c.provisioning.max_block_txs = 0),
    ];
    for (key, break_it) in cases {
        let mut cfg = config(4, 1);
        break_it(&mut cfg.chain);
        let err = ChainSetup::new(&cfg.chain).err().unwrap_or_else(|| panic!("{key}: accepted"));
        assert!(err.to_string().contains(key), "{key}: {err}");
    }
}

/// The simulator refuses an impossible network (a loss probability of 1 would deliver nothing, forever).
#[test]
fn the_simulator_refuses_an_impossible_network() {
    let mut cfg = config(4, 1);
    cfg.network.loss = 1.0;
    let err = hsbench_engine::sim::Cluster::new(cfg).err().expect("loss = 1 refused");
    assert!(err.to_string().contains("network.loss"), "{err}");
}
