//! A ByzzFuzz-style random sweep (Winter et al., OOPSLA 2023): each seed picks one byzantine committee member
//! of four and one of its behaviours (`Byzantine::member_behaviours`: re-signed small-scope mutations, replays,
//! votes for unknown blocks, equivocating timeouts, forged signer bitfields, floods…), random network conditions,
//! and a few rounds of random partitions; then the network stabilises. After every run the properties of
//! PROTOCOL.md are checked on the honest nodes: no conflicting commits, every committed QC verifies with a quorum
//! of distinct signers, no honest node voted twice in a round, and commits resume after stabilisation.
//!
//! CI runs `SEEDS` seeds; `HSBENCH_SWEEP_SEEDS=N cargo test --release -p hsbench-engine --test cluster_byzzfuzz`
//! runs a longer sweep (a failing seed is printed and becomes a fixed regression case).

mod common;

use hsbench_engine::bft::LeaderElection;

use common::*;
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::sim::{Byzantine, Cluster};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// Seeds run by default (bounded: the whole test takes seconds).
const SEEDS: u64 = 48;

/// Virtual time after stabilisation in which the honest nodes must commit at least 3 more blocks: four view
/// changes at the test config's 3 s timeout cap (after a partition the backoff has reached the cap, and each
/// round led by the byzantine node costs a full timeout until a QC resets it).
const LIVENESS_WINDOW: Duration = Duration::from_secs(12);

/// One setup (keys, parameters) for every run of the sweep, with a shared signature-verdict cache; each run's
/// seed drives its network, partitions and adversary.
fn shared_setup(election: LeaderElection) -> ChainSetup {
    ChainSetup::new(&config_with(0, election).chain).expect("setup").with_verdict_cache()
}

/// The sweep's cluster configuration with `election` choosing the leaders.
fn config_with(seed: u64, election: LeaderElection) -> hsbench_engine::sim::ClusterConfig {
    let mut cfg = config(4, seed);
    cfg.chain.consensus.leader_election = election;
    cfg
}

fn sweep_run(seed: u64, setup: &ChainSetup) -> Result<u64, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let behaviours: Vec<Byzantine> = Byzantine::member_behaviours().collect();
    let behaviour = behaviours[rng.random_range(0..behaviours.len())];
    let bad = rng.random_range(0..4usize);
    let mut cfg = config(4, seed);
    cfg.chain.consensus = setup.params[0].bft.config.clone();
    cfg.network.latency_ms = rng.random_range(1.0..15.0);
    cfg.network.jitter_ms = rng.random_range(0.0..20.0);
    cfg.network.reorder = rng.random_range(0.0..0.2);
    cfg.network.loss = rng.random_range(0.0..0.05);
    let mut c = Cluster::with_setup(cfg, setup.clone(), &[]).map_err(|e| e.to_string())?;
    c.set_byzantine(bad, behaviour);
    let honest: Vec<usize> = (0..4).filter(|&i| i != bad).collect();
    let ctx = format!("seed {seed}: node {bad} {behaviour:?}");
    submit_batch(&mut c, 4, 0, 2);
    // A few rounds of network faults.
    for _ in 0..rng.random_range(1..4) {
        if rng.random_bool(0.7) {
            let mut groups = vec![Vec::new(), Vec::new()];
            for node in 0..4 {
                groups[usize::from(rng.random_bool(0.35))].push(node);
            }
            c.partition(&groups);
        }
        c.run_for(Duration::from_millis(rng.random_range(50..500)));
        c.heal();
    }
    // Stabilisation: commits must resume.
    c.run_for(Duration::from_secs(2));
    let honest_min = |c: &Cluster| honest.iter().map(|&i| c.node(i).bft().committed_height()).min().unwrap_or(0);
    let stable = honest_min(&c);
    run_window(&mut c);
    let later = honest_min(&c);
    c.check_consistency_of(&honest).map_err(|e| format!("{ctx}: {e}"))?;
    c.verify_commit_qcs().map_err(|e| format!("{ctx}: {e}"))?;
    let doubles: Vec<&String> =
        c.double_votes().iter().filter(|d| honest.iter().any(|h| d.starts_with(&format!("node {h} ")))).collect();
    if !doubles.is_empty() {
        return Err(format!("{ctx}: {doubles:?}"));
    }
    if std::env::var("HSBENCH_SWEEP_DEBUG").is_ok() {
        for i in 0..4 {
            let r = c.node(i).report();
            let b = c.node(i).bft();
            let sent = ["vote", "timeout", "proposal", "sync_request", "sync_response"].map(|k| c.sent(i, k));
            eprintln!(
                "node {i}: h {} round {} epoch {} high QC round {} refused {:?} halted {:?} sent {sent:?}",
                r.committed_height,
                r.round,
                r.epoch,
                b.high_qc().round,
                r.refused_messages,
                r.halted
            );
        }
    }
    if later < stable + 3 {
        return Err(format!("{ctx}: commits did not resume after the network stabilised ({stable} → {later})"));
    }
    Ok(later - stable)
}

/// Runs the liveness window; with `HSBENCH_SWEEP_DEBUG` set, in half-second steps, printing after each every node's
/// height, round, high QC round and the members its leader schedule leaves out.
fn run_window(c: &mut Cluster) {
    if std::env::var("HSBENCH_SWEEP_DEBUG").is_err() {
        return c.run_for(LIVENESS_WINDOW);
    }
    let step = Duration::from_millis(500);
    for k in 1..=LIVENESS_WINDOW.as_millis() / step.as_millis() {
        c.run_for(step);
        let nodes: Vec<String> = (0..4)
            .map(|i| {
                let b = c.node(i).bft();
                let (h, r, qc) = (b.committed_height(), b.round(), b.high_qc().round);
                format!("{i}: h {h} r {r} qc {qc} out {:?}", b.leaders_left_out())
            })
            .collect();
        eprintln!("{:>5} ms  {}", k * step.as_millis(), nodes.join(" | "));
    }
}

/// The leader election the sweep runs: the default, or leader reputation with `HSBENCH_SWEEP_REPUTATION` set.
fn sweep_election() -> LeaderElection {
    match std::env::var("HSBENCH_SWEEP_REPUTATION") {
        Ok(_) => LeaderElection::Reputation,
        Err(_) => LeaderElection::default(),
    }
}

#[test]
fn honest_nodes_stay_safe_and_live_in_a_random_byzantine_sweep() {
    let seeds = std::env::var("HSBENCH_SWEEP_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS);
    if let Some(seed) = std::env::var("HSBENCH_SWEEP_SEED").ok().and_then(|s| s.parse().ok()) {
        let heights = sweep_run(seed, &shared_setup(sweep_election())).unwrap_or_else(|e| panic!("{e}"));
        return println!("seed {seed}: the honest three committed {heights} heights in the window");
    }
    let setup = shared_setup(sweep_election());
    let started = Instant::now();
    let outcomes: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2u64)
            .map(|w| {
                let setup = &setup;
                s.spawn(move || (w..seeds).step_by(2).map(|seed| sweep_run(seed, setup)).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec![Err("a worker panicked".into())])).collect()
    });
    let per_minute = seeds as f64 / started.elapsed().as_secs_f64() * 60.0;
    let mut heights: Vec<u64> = outcomes.iter().filter_map(|o| o.as_ref().ok().copied()).collect();
    heights.sort_unstable();
    let mean = heights.iter().sum::<u64>() as f64 / heights.len().max(1) as f64;
    let at = |q: usize| heights.get(heights.len() * q / 100).copied().unwrap_or(0);
    let (p10, median) = (at(10), at(50));
    println!(
        "byzzfuzz sweep: {seeds} scenarios, {per_minute:.0} scenarios/minute; heights the honest three committed in \
         the window: mean {mean:.1}, median {median}, 10th percentile {p10}"
    );
    let failures: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{} of {seeds} runs failed:\n{}", failures.len(), failures.join("\n"));
}

/// Seeds of the long sweep (300 seeds) whose honest nodes stopped committing after the network stabilised, kept
/// as regression cases. Seed 254 ended with validators 1 and 2 in round 2 and 0 and 3 in round 3 for good:
/// validator 0 had entered round 3 through a TC that 1 and 2 never received, nothing forwarded it, 0 refused
/// their round-2 timeouts as stale, and with the byzantine 3's timeouts invalid they never gathered f + 1
/// round-3 timeouts to join. A timeout now carries the TC that moved its sender into its round (`last_tc`, as in
/// DiemBFT's pacemaker), so one timeout brings a lagging node along. Seed 371 (found by a 400-seed sweep after
/// that fix) stalled for over 12 s: leaders knew the high QC but not its block (learned through timeouts), asked
/// for sync when their propose timer fired and then let their round pass; a leader now retries its proposal
/// while it waits for the parent.
///
/// Seeds 96, 284, 416, 427, 907 and 961 (the shared setup's keys) are the 6 of a 1,000-seed sweep that stalled
/// with leader reputation (round-robin passes all 1,000): failures during the partitions left honest members out
/// of the schedule, the schedule that remained never put three honest leaders in a row (two-chain commits need two
/// consecutive certified rounds, and the second round's votes go to the next leader), so nothing committed — and
/// the record only changes on a commit. Seed 416 ended with the honest three at height 1 for good, rounds still
/// advancing by timeouts. Fixed by falling back to round-robin once the chain has not committed for 4 rounds
/// (docs/PROTOCOL-CHOICES.md "Leader reputation"); they run with reputation here.
///
/// Seeds 2277 and 3141 (round-robin, a member forging signer bitfields, partitions) are 2 of a 4,000-seed sweep whose
/// honest three never committed: each round one of them missed a timeout on the lossy links, the leader whose
/// proposal would have carried the TC was the byzantine one, and the laggard entered the round only a backed-off
/// timer later. A replica that aggregates a TC now broadcasts it (docs/PROTOCOL-CHOICES.md "View change").
///
/// Seed 10124 (reputation, a member sending bad vote signatures, partitions) is the one slow run of a 12,000-seed
/// sweep (honest three 19 → 21 heights in the window): partitions left honest 0 and 1 out, the schedule alternated
/// honest 2 and the barred byzantine 3, and by the time the stall fallback began the view timer had backed off to
/// ~3 s a round, so the fallback's rounds — some still failing on the byzantine member — outlasted the window. The
/// back-off now starts again when the fallback begins (docs/PROTOCOL-CHOICES.md "Leader reputation").
#[test]
fn liveness_stalls_found_by_the_long_sweep_stay_fixed() {
    // Each with the keys it was found with (a setup of its own seed, as before the shared setup).
    let setup_of = |seed| ChainSetup::new(&config(4, seed).chain).expect("setup");
    let mut failures: Vec<String> =
        [126u64, 168, 254, 371].iter().filter_map(|&seed| sweep_run(seed, &setup_of(seed)).err()).collect();
    let shared = shared_setup(LeaderElection::Reputation);
    failures.extend([96u64, 284, 416, 427, 907, 961, 10124].iter().filter_map(|&seed| sweep_run(seed, &shared).err()));
    let round_robin = shared_setup(LeaderElection::RoundRobin);
    failures.extend([2277u64, 3141].iter().filter_map(|&seed| sweep_run(seed, &round_robin).err()));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
