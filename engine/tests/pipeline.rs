//! The pinned pipeline: batch queues, core pinning, and node mode (a node under test with a synthetic
//! committee). Runs are short and small; nothing here asserts a speed.

mod common;

use common::{config, funded, transfer};
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::runtime::pipeline::{
    CoreLayout, CoreMap, NodeModeConfig, NodeUnderTest, PipelineConfig, PipelineReport, StageCounters, StageKind,
    StageMetrics, available_cores, batch_queue, pin_to_core,
};
use hsbench_engine::sim::{TxEvent, TxStatus};
use hsbench_engine::types::{Hash, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Several producers, a tiny bounded queue, a slow consumer: every batch arrives, each producer's batches in
/// order, and the producers counted back-pressure stalls.
#[test]
fn queue_keeps_order_and_loses_nothing_under_concurrent_producers() {
    for (producers, capacity, batches) in [(2usize, 1usize, 300u64), (4, 2, 250), (8, 3, 120)] {
        let metrics = Arc::new(StageMetrics::default());
        let (tx, rx) = batch_queue::<(usize, u64)>(capacity, metrics.clone());
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for b in 0..batches {
                        let len = 1 + (b % 5) as usize;
                        let batch: Vec<(usize, u64)> = (0..len).map(|i| (p, b * 10 + i as u64)).collect();
                        tx.send(batch).expect("consumer alive");
                    }
                })
            })
            .collect();
        drop(tx);
        std::thread::sleep(Duration::from_millis(30)); // let the producers fill the queue
        let mut next: HashMap<usize, u64> = HashMap::new();
        let mut total = 0u64;
        let mut seen_batches = 0u64;
        for batch in rx.iter() {
            seen_batches += 1;
            for (p, v) in batch {
                let expected = next.entry(p).or_insert(0);
                assert!(v >= *expected, "producer {p}: item {v} arrived after {}", *expected);
                *expected = v + 1;
                total += 1;
            }
            if seen_batches.is_multiple_of(64) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        for h in handles {
            h.join().expect("producer thread");
        }
        let per_producer: u64 = (0..batches).map(|b| 1 + b % 5).sum();
        assert_eq!(seen_batches, producers as u64 * batches);
        assert_eq!(total, producers as u64 * per_producer, "items lost or duplicated");
        let c = metrics.counters();
        assert!(c.stalls > 0, "a capacity-{capacity} queue with {producers} producers must stall them");
    }
}

/// A core that does not exist is a warning, and the thread keeps running unpinned.
#[test]
fn pinning_to_a_missing_core_warns_and_the_thread_still_runs() {
    let handle = std::thread::spawn(|| {
        let pinned = pin_to_core(10_000);
        let work: u64 = (0..1000u64).sum();
        (pinned, work)
    });
    let (pinned, work) = handle.join().expect("thread ran");
    let warning = pinned.expect_err("core 10000 does not exist");
    assert!(warning.contains("10000") && warning.contains("unpinned"), "{warning}");
    assert_eq!(work, 499_500);
}

#[test]
fn core_layout_parses_auto_and_tables_and_fills_empty_stages() {
    #[derive(serde::Deserialize)]
    struct Wrap {
        pipeline: PipelineConfig,
    }
    let auto: Wrap = toml::from_str("[pipeline]\ncores = \"auto\"\n").expect("auto");
    assert_eq!(auto.pipeline.cores, CoreLayout::Auto);
    let explicit: Wrap =
        toml::from_str("[pipeline]\nbatch_size = 64\n[pipeline.cores]\nsigverify = [1, 2]\nnode = [3]\n")
            .expect("table");
    let CoreLayout::Explicit(map) = &explicit.pipeline.cores else { panic!("explicit expected") };
    assert_eq!(map.sigverify, vec![1, 2]);
    let eight: Vec<usize> = (0..8).collect();
    let (resolved, warnings) = explicit.pipeline.cores.resolve(&eight).expect("cores 1–3 are among 0–7");
    assert_eq!(resolved.node, vec![3]);
    assert_eq!(resolved.ingress, CoreMap::auto(&eight).ingress);
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(toml::from_str::<Wrap>("[pipeline.cores]\nverify = [1]\n").is_err(), "unknown stage refused");
    assert!(toml::from_str::<Wrap>("[pipeline]\ncores = \"fast\"\n").is_err());
    for c in [1, 2, 3, 4, 8, 16, 64] {
        let ids: Vec<usize> = (0..c).collect();
        let m = CoreMap::auto(&ids);
        for (name, cores) in m.stages() {
            // An optional stage (vote crypto, admission) may be empty: the node stage then does its work.
            let placed = !cores.is_empty() || StageKind::from_name(name).is_some_and(StageKind::optional);
            assert!(placed && cores.iter().all(|&x| x < c), "{c} cores: {name} = {cores:?}");
        }
        // From 12 cores the committee runs its members on two threads of its own.
        assert_eq!(m.committee, if c >= 12 { vec![0, 1] } else { vec![0] }, "{c} cores");
    }
}

fn node_config(accounts: usize, pipeline: PipelineConfig) -> NodeModeConfig {
    let mut chain = config(4, 11).chain;
    chain.vote_scheme = VoteScheme::Ed25519;
    chain.genesis_accounts = funded(accounts, 1_000_000_000);
    NodeModeConfig { pipeline, ..NodeModeConfig::new(chain) }
}

/// `per_sender` transfers from each of `accounts` senders, interleaved so every sender's nonces ascend.
fn corpus(accounts: usize, per_sender: u64) -> Vec<Transaction> {
    let mut txs = Vec::new();
    for nonce in 0..per_sender {
        for s in 0..accounts {
            txs.push(transfer(s, nonce, accounts));
        }
    }
    txs
}

/// Every submitted transaction is committed, rejected, pending in the mempool, or counted in flight.
fn assert_books_balance(report: &PipelineReport, events: &[TxEvent], submitted: &[Transaction]) {
    let mut fate: HashMap<Hash, &'static str> = HashMap::new();
    for e in events {
        let f = match e.status {
            TxStatus::Committed { .. } => "committed",
            TxStatus::Rejected(_) => "rejected",
        };
        assert!(fate.insert(e.tx_hash, f).is_none(), "tx {:?} reported twice", e.tx_hash);
    }
    let committed = fate.values().filter(|f| **f == "committed").count() as u64;
    let rejected = fate.values().filter(|f| **f == "rejected").count() as u64;
    assert_eq!(report.txs_submitted, submitted.len() as u64);
    assert_eq!(
        report.txs_submitted,
        committed + rejected + report.node.mempool_len as u64 + report.txs_in_flight,
        "books: committed {committed}, rejected {rejected}, pending {}, in flight {}",
        report.node.mempool_len,
        report.txs_in_flight
    );
    assert_eq!(committed, report.txs_committed);
}

/// Submits `txs` in chunks of `chunk`, one chunk every 50 ms, then gives the node 500 ms to finish; returns the
/// transaction events seen meanwhile.
fn submit_paced(node: &NodeUnderTest, txs: &[Transaction], chunk: usize) -> Vec<TxEvent> {
    let start = Instant::now();
    let mut events = Vec::new();
    for (k, chunk) in txs.chunks(chunk).enumerate() {
        let due = Duration::from_millis(50 * k as u64);
        std::thread::sleep(due.saturating_sub(start.elapsed()));
        node.submit(chunk.to_vec());
        events.extend(node.drain_tx_events());
    }
    std::thread::sleep(Duration::from_millis(500));
    events
}

/// The run committed, its books balance (counting the events seen before stop) and the node's state roots were
/// compared with the committee's and all matched.
fn assert_commits_and_agrees(report: &PipelineReport, mut events: Vec<TxEvent>, submitted: &[Transaction]) {
    events.extend(report.tx_events.iter().copied());
    assert_books_balance(report, &events, submitted);
    assert!(report.txs_committed > 0, "nothing committed: {report:#?}");
    let committee = report.committee.as_ref().expect("a committee-mode run reports its committee");
    assert!(committee.state_roots_compared > 0);
    assert_eq!(committee.state_root_mismatches, 0);
}

fn assert_sane_stages(report: &PipelineReport) {
    assert!(!report.bottleneck.is_empty());
    assert!(report.stages.iter().any(|s| s.name == report.bottleneck));
    for s in &report.stages {
        assert!((0.0..=100.0).contains(&s.busy_pct), "{}: {}", s.name, s.busy_pct);
    }
}

/// 3 s at ~200 tx/s with 4 validators: transactions commit, the node's roots match the committee's, the books
/// balance. The layout is an explicit copy of the automatic one over the cores this process may use. (A core
/// outside them is refused at start: engine/tests/pinning.rs.)
#[test]
fn node_mode_commits_and_agrees_with_its_committee() {
    let map = CoreMap::auto(&available_cores());
    let pipeline = PipelineConfig { cores: CoreLayout::Explicit(map), ..Default::default() };
    let node = NodeUnderTest::start(node_config(16, pipeline)).expect("start");
    let txs = corpus(16, 38);
    let events = submit_paced(&node, &txs, 10);
    let snap = node.snapshot();
    assert_eq!(snap.stages.len(), 5);
    let report = node.stop().expect("stop");
    assert_commits_and_agrees(&report, events, &txs);
    let committee = report.committee.as_ref().expect("committee report");
    assert!(committee.signatures > 0 && committee.blocks_proposed > 0);
    assert!(!report.warnings.iter().any(|w| w.contains("unpinned")), "{:?}", report.warnings);
    assert_sane_stages(&report);
}

/// Execution on two lanes (two execution cores; the same core twice where the process may use only one): the
/// node commits, its state roots match the committee's (which executes sequentially), the books balance, and
/// the report counts the execution stage as two threads without calling a core unused.
#[test]
fn node_mode_with_two_execution_lanes_commits_and_agrees_with_its_committee() {
    let (report, _) = run_on_two_cores(StageKind::Execution, VoteScheme::Ed25519);
    let execution = report.stages.iter().find(|s| s.name == "execution").expect("an execution stage");
    assert_eq!(execution.threads, 2);
    assert!(execution.items_in > 0 && execution.cost_ns_per_tx > 0.0, "{execution:?}");
}

/// Node mode with `stage` given two cores (the same core twice where the process may use only one) and the
/// automatic layout otherwise, under a paced load: the node commits, its roots agree with the committee's, the
/// books balance, no thread ran unpinned, uncounted or alone on a stage that was given two cores. Returns the
/// report and the two cores.
fn run_on_two_cores(stage: StageKind, votes: VoteScheme) -> (PipelineReport, Vec<usize>) {
    let allowed = available_cores();
    let two = vec![allowed[0], allowed.get(1).copied().unwrap_or(allowed[0])];
    let mut map = CoreMap::auto(&allowed);
    *map.cores_mut(stage) = two.clone();
    let pipeline = PipelineConfig { cores: CoreLayout::Explicit(map), ..Default::default() };
    let mut cfg = node_config(64, pipeline);
    cfg.chain.vote_scheme = votes;
    let node = NodeUnderTest::start(cfg).expect("start");
    let txs = corpus(64, 12);
    let events = submit_paced(&node, &txs, 32);
    let report = node.stop().expect("stop");
    assert_commits_and_agrees(&report, events, &txs);
    let w = &report.warnings;
    assert!(!w.iter().any(|w| w.contains("unpinned") || w.contains("runs one thread")), "{w:?}");
    assert!(!w.iter().any(|w| w.contains("not counted")), "{w:?}");
    assert_sane_stages(&report);
    (report, two)
}

/// The committee on two cores (the same core twice where the process may use only one) runs its members on a pool
/// of two threads (BLS votes, so each member has real signature work): the node commits and agrees with its
/// committee, the books balance, and the committee report names both cores, two threads and CPU time of its own.
#[test]
fn node_mode_with_a_committee_on_two_threads_commits_and_agrees_with_its_committee() {
    let (report, committee) = run_on_two_cores(StageKind::Committee, VoteScheme::Bls);
    let c = report.committee.as_ref().expect("committee report");
    assert_eq!((c.cores.clone(), c.threads), (committee, 2));
    assert!(c.cpu_ns > 0 && c.busy_ns > 0 && c.signatures > 0, "{c:?}");
    assert!((0.0..=100.0).contains(&c.busy_pct), "{}", c.busy_pct);
}

/// With vote-crypto cores the node's consensus signatures are checked off the node thread (BLS votes, so the
/// stage has real work): the node commits and agrees with its committee, and the stage reports what it verified.
/// Without them (the automatic layout) there is no such stage: the node stage verifies, batched.
#[test]
fn node_mode_with_a_vote_crypto_stage_commits_and_agrees_with_its_committee() {
    let allowed = available_cores();
    let mut map = CoreMap::auto(&allowed);
    assert!(map.vote_crypto.is_empty(), "the automatic layout keeps vote crypto on the node stage");
    map.vote_crypto = vec![allowed[0]];
    let pipeline = PipelineConfig { cores: CoreLayout::Explicit(map), ..Default::default() };
    let mut cfg = node_config(32, pipeline);
    cfg.chain.vote_scheme = VoteScheme::Bls;
    let node = NodeUnderTest::start(cfg).expect("start");
    let txs = corpus(32, 10);
    let events = submit_paced(&node, &txs, 16);
    let report = node.stop().expect("stop");
    assert_commits_and_agrees(&report, events, &txs);
    let stage = report.stages.iter().find(|s| s.name == "vote_crypto").expect("a vote_crypto stage");
    assert!(stage.items_in > 0 && stage.items_out > 0, "{stage:?}");
    assert_eq!(stage.cores, vec![allowed[0]]);
    assert_sane_stages(&report);
}

/// With admission cores the mempool is split into one shard per core and each verified batch is admitted on all of
/// them at once (a pool of two threads; the same core twice where the process may use only one): the node commits
/// and agrees with its committee, the books balance, and the admission stage reports two threads, the
/// transactions it took and CPU time of its own.
#[test]
fn node_mode_with_two_admission_shards_commits_and_agrees_with_its_committee() {
    let (report, _) = run_on_two_cores(StageKind::Admission, VoteScheme::Ed25519);
    let stage = report.stages.iter().find(|s| s.name == "admission").expect("an admission stage");
    assert_eq!(stage.threads, 2);
    assert_eq!(stage.items_in, 64 * 12, "every submitted transaction was admitted on the shards: {stage:?}");
    assert!(stage.cost_ns_per_tx > 0.0, "the shards' CPU time is charged to the stage: {stage:?}");
}

/// 20k transactions at once into queues of two batches: producers stall (counted), nothing is lost.
#[test]
fn node_mode_overload_stalls_and_loses_nothing() {
    let pipeline = PipelineConfig { batch_size: 64, queue_capacity: 2, ..Default::default() };
    let node = NodeUnderTest::start(node_config(256, pipeline)).expect("start");
    let txs = corpus(256, 79);
    let mut events = Vec::new();
    for chunk in txs.chunks(500) {
        node.submit(chunk.to_vec());
        events.extend(node.drain_tx_events());
    }
    std::thread::sleep(Duration::from_secs(2));
    let report = node.stop().expect("stop");
    events.extend(report.tx_events.iter().copied());
    let stalls: u64 = report.stages.iter().map(|s| s.backpressure_stalls).sum::<u64>() + report.submit_stalls;
    assert!(stalls > 0, "no back-pressure counted: {:?}", report.stages);
    assert_eq!(report.txs_in_flight, 0, "the drain at stop delivers everything submitted");
    assert_books_balance(&report, &events, &txs);
    assert_sane_stages(&report);
}

/// Share (0–1) of `threads × span` a stage spent waiting for input between two snapshots' counters.
fn waiting_share(a: &StageCounters, b: &StageCounters, threads: usize, span: Duration) -> f64 {
    b.idle_ns.saturating_sub(a.idle_ns) as f64 / (threads.max(1) as f64 * span.as_nanos() as f64)
}

/// What the harness's harness-bound verdict reads (`NodeUnderTest::snapshot`, the committee's and the stages'
/// wait-for-input time): a committee of 255 BLS validators on its one thread has work due all the time at a load the
/// node's stages follow with ease, while 3 Ed25519 validators at the same load mostly wait. Shares of wall time,
/// not speeds: a thread starved of CPU still has its work due. The committee is sized for CPUs faster than this
/// project's 2-core VM: since signing hashes each message to G2 once (c64b68d), 63 members had work due 98.7 % of
/// the time here (Zen 3) — a faster CPU would have put them under the 90 % mark; 255 members are 100 %.
#[cfg_attr(debug_assertions, ignore = "a 255-member BLS committee needs an optimized build: cargo test --release")]
#[test]
fn a_committee_too_large_for_its_thread_never_waits_for_input() {
    let accounts = 64;
    // ~2,560 tx/s: far more than 255 BLS members can follow on one thread (63 were on the edge of it on Zen 3), and
    // still little for the node.
    let txs = corpus(accounts, 80);
    let mut shares = Vec::new();
    for (validators, scheme) in [(256, VoteScheme::Bls), (4, VoteScheme::Ed25519)] {
        let mut chain = config(validators, 11).chain;
        chain.vote_scheme = scheme;
        chain.genesis_accounts = funded(accounts, 1_000_000_000);
        let node = NodeUnderTest::start(NodeModeConfig::new(chain)).expect("start");
        let (mut first, mut last) = (None, None);
        let start = Instant::now();
        for (k, chunk) in txs.chunks(128).enumerate() {
            std::thread::sleep(Duration::from_millis(50 * k as u64).saturating_sub(start.elapsed()));
            node.submit(chunk.to_vec());
            node.drain_tx_events();
            let at = start.elapsed();
            if at >= Duration::from_millis(500) {
                let snap = node.snapshot();
                first.get_or_insert_with(|| (at, snap.clone()));
                last = Some((at, snap));
            }
        }
        let report = node.stop().expect("stop");
        let ((t0, a), (t1, b)) = (first.expect("a first sample"), last.expect("a last sample"));
        let span = t1 - t0;
        let committee = 1.0 - waiting_share(&a.committee, &b.committee, 1, span);
        let node_max = a
            .stages
            .iter()
            .zip(&b.stages)
            .map(|(x, y)| {
                let threads = report.stages.iter().find(|s| s.name == x.name).map_or(1, |s| s.threads);
                1.0 - waiting_share(&x.counters, &y.counters, threads, span)
            })
            .fold(0.0, f64::max);
        shares.push((validators, committee, node_max));
    }
    println!("(validators, committee working share, busiest stage's working share): {shares:?}");
    let (big, small) = (shares[0], shares[1]);
    assert!(big.1 >= 0.9, "255 BLS members: work due only {:.0} % of the time ({shares:?})", big.1 * 100.0);
    assert!(big.2 < 0.9, "the node's stages follow ~2,600 tx/s with ease ({shares:?})");
    assert!(small.1 < 0.9, "3 Ed25519 members keep up ({shares:?})");
}

/// Prints node-mode numbers on this machine (10 s per rate, BLS votes): committed tx/s, latency from the
/// intended send time, busy % per stage, bottleneck. Not asserted.
/// `cargo test --release -p hsbench-engine --test pipeline -- --ignored --nocapture`
#[test]
#[ignore]
fn node_mode_rates_print() {
    let accounts = 1024;
    let secs = 10u64;
    for rate in [500u64, 2000, 5000] {
        let mut cfg = node_config(accounts, PipelineConfig::default());
        cfg.chain.vote_scheme = VoteScheme::Bls;
        cfg.chain.mempool.capacity = 100_000;
        let per_sender = (rate * secs).div_ceil(accounts as u64);
        let txs = corpus(accounts, per_sender);
        let txs = &txs[..(rate * secs) as usize];
        let node = NodeUnderTest::start(cfg).expect("start");
        let t0 = node.elapsed();
        let mut intended: HashMap<Hash, Duration> = HashMap::new();
        let mut events = Vec::new();
        let mut sent = 0usize;
        while sent < txs.len() {
            let now = node.elapsed() - t0;
            let due = ((now.as_secs_f64() * rate as f64) as usize + 1).min(txs.len());
            if due > sent {
                for (i, tx) in txs[sent..due].iter().enumerate() {
                    intended.insert(tx.hash(), t0 + Duration::from_secs_f64((sent + i) as f64 / rate as f64));
                }
                node.submit(txs[sent..due].to_vec());
                sent = due;
            }
            events.extend(node.drain_tx_events());
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_secs(1));
        let report = node.stop().expect("stop");
        events.extend(report.tx_events.iter().copied());
        let mut lat: Vec<f64> = events
            .iter()
            .filter(|e| matches!(e.status, TxStatus::Committed { .. }))
            .filter_map(|e| intended.get(&e.tx_hash).map(|t| (e.at.saturating_sub(*t)).as_secs_f64() * 1e3))
            .collect();
        lat.sort_by(f64::total_cmp);
        let pct = |q: f64| lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1))).copied();
        println!(
            "rate {rate}/s: committed {} ({:.0} tx/s over {:.1} s), rejected {}, p50 {:.1?} ms, p99 {:.1?} ms, bottleneck {}",
            report.txs_committed,
            report.txs_committed as f64 / report.wall_s,
            report.wall_s,
            report.txs_rejected,
            pct(0.5),
            pct(0.99),
            report.bottleneck
        );
        for s in &report.stages {
            println!(
                "  {:<10} cores {:?} busy {:5.1} % cost {:8.0} ns/tx stalls {} depth max {}",
                s.name, s.cores, s.busy_pct, s.cost_ns_per_tx, s.backpressure_stalls, s.queue_depth_max
            );
        }
        let c = report.committee.clone().unwrap_or_default();
        println!(
            "  committee: {} validators, cpu {:.2} s, busy {:.1} %, {} signatures, {} blocks; roots compared {} mismatches {}; warnings {:?}",
            c.validators,
            c.cpu_ns as f64 / 1e9,
            c.busy_pct,
            c.signatures,
            c.blocks_proposed,
            c.state_roots_compared,
            c.state_root_mismatches,
            report.warnings
        );
    }
}

/// One submission far larger than a batch (a client port's message may carry ~100,000 transfers) reaches ingress
/// in batches of at most the pipeline's batch size, so ingress's queue — bounded in batches — is bounded in bytes
/// too; nothing is lost on the way.
#[test]
fn a_large_submission_reaches_ingress_in_batches_of_at_most_the_batch_size() {
    const BATCH: usize = 16;
    let pipeline = PipelineConfig { batch_size: BATCH, ..Default::default() };
    let node = NodeUnderTest::start(node_config(16, pipeline)).expect("start");
    let txs = corpus(16, 10);
    node.submit(txs.clone());
    std::thread::sleep(Duration::from_millis(1500));
    let events = node.drain_tx_events();
    let report = node.stop().expect("stop");
    assert_books_balance(&report, &events, &txs);
    let ingress = report.stages.iter().find(|s| s.name == "ingress").expect("an ingress stage");
    assert_eq!(ingress.items_in, txs.len() as u64);
    assert!(
        ingress.batches >= txs.len().div_ceil(BATCH) as u64,
        "{} transactions came in {} batches",
        ingress.items_in,
        ingress.batches
    );
}
