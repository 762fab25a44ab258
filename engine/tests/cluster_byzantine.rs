//! One byzantine committee member (f = 1 of 4, and of 7) with each behaviour of `sim::Byzantine`: after every
//! run the properties of PROTOCOL.md are checked on the honest nodes — no two commit different blocks at one
//! height, every QC a node committed with verifies with a quorum of distinct signers, and commits keep coming.

mod common;

use common::*;
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::sim::{Byzantine, Cluster};
use std::time::Duration;

/// Runs `validators` nodes with the last one byzantine, checks the properties, returns the cluster.
fn run_with(behaviour: Byzantine, validators: usize, scheme: VoteScheme, seed: u64) -> Cluster {
    let mut cfg = config(validators, seed);
    cfg.chain.vote_scheme = scheme;
    let mut c = Cluster::new(cfg).expect("cluster");
    let bad = validators - 1;
    c.set_byzantine(bad, behaviour);
    let honest: Vec<usize> = (0..validators).filter(|&i| i != bad).collect();
    let honest_min = |c: &Cluster| honest.iter().map(|&i| c.node(i).bft().committed_height()).min().unwrap_or(0);
    submit_batch(&mut c, 4, 0, 2);
    c.run_for(Duration::from_secs(4));
    let first = honest_min(&c);
    c.run_for(Duration::from_secs(2));
    let second = honest_min(&c);
    let ctx = format!("{behaviour:?}, n = {validators}, {scheme:?}, seed {seed}");
    c.check_consistency_of(&honest).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let checked = c.verify_commit_qcs().unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert!(checked > 0, "{ctx}: no QC committed");
    assert!(first >= 5, "{ctx}: honest nodes committed only {first} blocks in 4 s");
    assert!(second >= first + 3, "{ctx}: commits stalled ({first} → {second} in 2 s)");
    c
}

#[test]
fn a_validly_signed_vote_with_a_wrong_height_or_parent_cannot_stall_four_validators() {
    for scheme in [VoteScheme::Ed25519, VoteScheme::Bls] {
        run_with(Byzantine::MismatchedVote, 4, scheme, 51);
    }
}

#[test]
fn a_validly_signed_vote_with_a_wrong_height_or_parent_cannot_stall_seven_validators() {
    run_with(Byzantine::MismatchedVote, 7, VoteScheme::Bls, 52);
}

#[test]
fn every_member_behaviour_keeps_four_validators_safe_and_live() {
    for behaviour in Byzantine::member_behaviours() {
        run_with(behaviour, 4, VoteScheme::Ed25519, 53);
    }
}
