//! Twins (Bano et al.): one validator runs as two copies with the same keys and correct code; the network is
//! split differently over time so the copies see different messages. Equivocation, double votes and forgotten
//! locks arise without any byzantine code; the honest validators must still never disagree.
//!
//! Checked against injected bugs: neither this nor the random sweep catches dropping the consecutive-round
//! condition of the two-chain rule (random partitions rarely build the needed schedule); the enumerated
//! partition-per-phase scenarios of `cluster_scenarios.rs` do (6 of 768 fail with that mutation).

mod common;

use common::*;
use hsbench_engine::sim::Cluster;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Validator 0 runs twice: nodes 0 and 4. Honest nodes: 1, 2, 3.
fn twins_run(seed: u64) -> Result<u64, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cfg = config(4, seed);
    cfg.network.jitter_ms = rng.random_range(0.0..20.0);
    let mut c = Cluster::with_twins(cfg, &[0]).map_err(|e| e.to_string())?;
    submit_batch(&mut c, 4, 0, 2);
    for _ in 0..12 {
        // The twins always sit on different sides; each honest node joins a random side.
        let mut sides = vec![vec![0usize], vec![4usize]];
        for honest in 1..4 {
            sides[usize::from(rng.random_bool(0.5))].push(honest);
        }
        c.partition(&sides);
        c.run_for(Duration::from_millis(rng.random_range(30..400)));
        if rng.random_bool(0.3) {
            c.heal();
            c.run_for(Duration::from_millis(rng.random_range(30..300)));
        }
        c.check_consistency_of(&[1, 2, 3])?;
    }
    Ok((1..4).map(|i| c.node(i).bft().committed_height()).min().unwrap_or(0))
}

#[test]
fn honest_validators_agree_whatever_the_twins_see() {
    let mut progressed = 0;
    for seed in 0..150u64 {
        match twins_run(seed) {
            Ok(h) => progressed += usize::from(h > 0),
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(progressed > 50, "only {progressed}/150 Twins runs committed anything");
}

/// A Twins copy that crashes comes back as the validator it copies (same id, same keys): restarting node 4, the
/// copy of validator 0, must neither fail nor come back as some other validator.
#[test]
fn a_restarted_twin_is_still_a_copy_of_its_validator() {
    let mut c = Cluster::with_twins(config(4, 3), &[0]).expect("cluster");
    submit_batch(&mut c, 4, 0, 2);
    c.run_for(Duration::from_secs(1));
    c.crash(4);
    c.run_for(Duration::from_millis(200));
    c.restart(4).expect("the twin restarts");
    assert_eq!(c.node(4).report().node, 0, "the restarted twin runs as validator 0");
    c.run_for(Duration::from_secs(2));
    c.check_consistency_of(&[1, 2, 3]).expect("honest nodes agree");
}
