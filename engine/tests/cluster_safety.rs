//! Safety under an adversarial network: many seeded runs with random delays, reordering, loss and partitions.
//! No two nodes may ever commit different blocks (or reach different state roots) at one height.
//!
//! Checked against injected bugs (PROTOCOL.md, "check the checker"): committing on a one-chain (a block as soon
//! as it is certified) fails at seed 68 with a block mismatch at height 4. Dropping only the consecutive-round
//! condition of the two-chain rule is *not* caught by these random schedules; the enumerated Twins scenarios of
//! `cluster_scenarios.rs` catch it (6 of 768 scenarios fail with that mutation).

mod common;

use common::*;
use hsbench_engine::sim::Cluster;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

fn adversarial_run(seed: u64) -> Result<u64, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cfg = config(4, seed);
    cfg.network.latency_ms = rng.random_range(1.0..20.0);
    cfg.network.jitter_ms = rng.random_range(0.0..40.0);
    cfg.network.reorder = rng.random_range(0.0..0.3);
    cfg.network.loss = rng.random_range(0.0..0.15);
    let mut c = Cluster::new(cfg).map_err(|e| e.to_string())?;
    submit_batch(&mut c, 4, 0, 3);
    for _ in 0..6 {
        if rng.random_bool(0.6) {
            // A random split: often one node (e.g. the vote collector) cut off from the rest, sometimes 2-2.
            let mut groups = vec![Vec::new(), Vec::new()];
            for node in 0..4 {
                groups[usize::from(rng.random_bool(0.3))].push(node);
            }
            c.partition(&groups);
        }
        c.run_for(Duration::from_millis(rng.random_range(50..600)));
        c.heal();
        c.run_for(Duration::from_millis(rng.random_range(100..600)));
        c.check_consistency()?;
    }
    Ok(c.min_committed_height())
}

#[test]
fn no_conflicting_commits_over_200_seeded_adversarial_runs() {
    let mut progressed = 0;
    for seed in 0..200u64 {
        match adversarial_run(seed) {
            Ok(h) => progressed += usize::from(h > 0),
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    // Safety is the assertion above; this guards against a vacuous pass where nothing ever commits.
    assert!(progressed > 150, "only {progressed}/200 runs committed anything");
}
