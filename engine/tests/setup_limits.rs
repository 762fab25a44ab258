//! Limits of a cluster configuration that must be refused up front with a precise error, not discovered later
//! as certificates that never verify.

mod common;

use common::config;
use hsbench_engine::runtime::ChainSetup;
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
