//! Limits of a cluster configuration that must be refused up front with a precise error, not discovered later
//! as certificates that never verify.

mod common;

use common::config;
use hsbench_engine::sim::ClusterSetup;
use hsbench_engine::types::bitfield::MAX_COMMITTEE;

#[test]
fn a_committee_larger_than_the_signer_bitfield_is_refused() {
    let cfg = config(MAX_COMMITTEE + 1, 1);
    let err = ClusterSetup::new(&cfg).err().expect("a committee of 4097 must be refused");
    let msg = err.to_string();
    assert!(msg.contains("4097") && msg.contains("4096"), "unclear error: {msg}");
}

#[test]
fn an_explicit_committee_over_the_cap_is_refused_too() {
    let mut cfg = config(MAX_COMMITTEE + 1, 1);
    cfg.consensus.committees = vec![(0..4).collect(), (0..=MAX_COMMITTEE as u16).collect()];
    let err = ClusterSetup::new(&cfg).err().expect("refused");
    assert!(err.to_string().contains("committee 1"), "{err}");
}
