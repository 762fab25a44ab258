//! Execution lanes: on random, heavily conflicting blocks (a few hot accounts, self-transfers, bad nonces,
//! overspends, overflowing amounts and credits, fresh recipients), execution on 1–4 lanes equals sequential
//! execution in everything it reports and keeps; the lane schedule and the parallel tree update on their own.

use super::*;
use crate::execution::schedule::conflict_lanes;
use crate::execution::{BlockExecution, ExecutionState, StateTree, full_root};
use crate::types::AccountView;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::ThreadPool;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

/// Accounts at genesis (enough for a tree several levels deep, so the parallel update forks real subtrees).
const GENESIS_ACCOUNTS: u64 = 3_000;
/// Ids from here up are fresh recipients (no account yet).
const FRESH_FROM: u64 = 1_000_000;

/// Thread pools of 1, 2, 3 and 4 lanes, built once for all cases.
fn pools() -> &'static [Arc<ThreadPool>] {
    static POOLS: OnceLock<Vec<Arc<ThreadPool>>> = OnceLock::new();
    POOLS.get_or_init(|| {
        (1..=4)
            .map(|n| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build();
                Arc::new(pool.unwrap_or_else(|e| panic!("building a {n}-thread pool: {e}")))
            })
            .collect()
    })
}

/// Genesis: account 0 nearly full (credits to it overflow), account 1 empty, the rest modest.
fn genesis() -> Vec<(AccountId, Account)> {
    edge_genesis(GENESIS_ACCOUNTS, 5_000, 13)
}

/// An account index: mostly one of `hot` hot accounts, otherwise any genesis account or a fresh one.
fn pick(rng: &mut ChaCha8Rng, hot: u64) -> u64 {
    match rng.random_range(0..10u32) {
        0..=5 => rng.random_range(0..hot),
        6..=8 => rng.random_range(0..GENESIS_ACCOUNTS),
        _ => FRESH_FROM + rng.random_range(0..50u64),
    }
}

/// A block of `len` transactions drawn from `seed`; nonces follow `state` and earlier transactions in the block
/// (sometimes deliberately wrong).
fn random_block(state: &ExecutionState, height: u64, seed: u64, len: usize, hot: u64) -> Block {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next: BTreeMap<AccountId, u64> = BTreeMap::new();
    let txs = (0..len)
        .map(|_| {
            let sender = raw_id(pick(&mut rng, hot));
            let recipient = if rng.random_range(0..10u32) == 0 { sender } else { raw_id(pick(&mut rng, hot)) };
            let amount = match rng.random_range(0..20u32) {
                0 => u64::MAX,
                1 => rng.random_range(20_000..100_000u64), // overspend
                2 => 0,
                _ => rng.random_range(1..3_000u64),
            };
            let fee = rng.random_range(0..40u64);
            let nonce = next.entry(sender).or_insert_with(|| state.account(&sender).nonce);
            let offset: i64 = match rng.random_range(0..12u32) {
                0 => 1,
                1 => -1,
                _ => 0,
            };
            let tx = unsigned(sender, recipient, amount, fee, nonce.saturating_add_signed(offset));
            *nonce += 1;
            tx
        })
        .collect();
    block(height, txs)
}

/// Everything one block's execution reported or left behind, for comparison.
fn assert_same(
    seed: u64,
    lanes: usize,
    seq: &BlockExecution,
    par: &BlockExecution,
    s: &ExecutionState,
    p: &ExecutionState,
) {
    let at = format!("seed {seed:#x}, {lanes} lanes, height {}", seq.height);
    assert_eq!(par.state_root, seq.state_root, "state root differs ({at})");
    assert_eq!(par.receipts, seq.receipts, "receipts differ ({at})");
    assert_eq!(par.changed, seq.changed, "changed accounts differ ({at})");
    assert_eq!(par.fees_burnt, seq.fees_burnt, "fees burnt differ ({at})");
    assert_eq!(p.accounts_sorted(), s.accounts_sorted(), "accounts differ ({at})");
    assert_eq!(p.total_balance(), s.total_balance(), "total balance differs ({at})");
    assert_eq!(p.state_tree().len(), s.state_tree().len(), "tree sizes differ ({at})");
    assert_eq!(
        p.state_tree().last_update_hash_count(),
        s.state_tree().last_update_hash_count(),
        "tree hash counts differ ({at})"
    );
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 40, rng_seed: RngSeed::Fixed(0x1a7e_5eed), failure_persistence: None, ..Default::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Parallel == sequential on 1–4 lanes, block after block. The block contents come from `seed` (printed in
    /// every assertion message), so a failure replays from its seed alone. The sequential run hashes the
    /// transactions for its receipts; the lanes are given the ids, as a node's execution job gives them.
    #[test]
    fn lanes_equal_sequential_execution(
        seed in any::<u64>(),
        blocks in 1usize..4,
        len in 0usize..400,
        hot in 1u64..8,
    ) {
        let genesis = genesis();
        let mut sequential = ExecutionState::from_genesis(&genesis);
        let mut parallel: Vec<ExecutionState> =
            pools().iter().map(|p| ExecutionState::from_genesis(&genesis).with_lanes(p.clone())).collect();
        for (i, p) in parallel.iter().enumerate() {
            prop_assert_eq!(p.lanes(), i + 1);
        }
        for height in 1..=blocks as u64 {
            let block = random_block(&sequential, height, seed ^ height, len, hot);
            let seq = sequential.execute_block(&block, None).unwrap();
            let ids = block.tx_hashes();
            for (i, state) in parallel.iter_mut().enumerate() {
                let par = state.execute_block(&block, Some(&ids)).unwrap();
                assert_same(seed, i + 1, &seq, &par, &sequential, state);
            }
        }
        prop_assert_eq!(sequential.state_root(), full_root(&sequential.accounts_sorted()), "seed {:#x}", seed);
    }

    /// The schedule covers every transaction once, keeps block order within a lane and never lets two lanes
    /// touch the same account.
    #[test]
    fn schedule_is_a_partition_by_accounts(seed in any::<u64>(), len in 0usize..300, hot in 1u64..8, lanes in 1usize..6) {
        let state = ExecutionState::from_genesis(&genesis());
        let block = random_block(&state, 1, seed, len, hot);
        let full = conflict_lanes(&block.txs, lanes);
        let schedule = &full.lanes;
        prop_assert!(schedule.len() <= lanes.max(1), "seed {:#x}", seed);
        prop_assert_eq!(full.lane_accounts.len(), schedule.len(), "seed {:#x}", seed);
        let mut seen = vec![false; len];
        let mut owner: BTreeMap<AccountId, usize> = BTreeMap::new();
        for (lane, indices) in schedule.iter().enumerate() {
            prop_assert!(!indices.is_empty(), "seed {:#x}", seed);
            prop_assert!(indices.windows(2).all(|w| w[0] < w[1]), "seed {:#x}: lane {} out of order", seed, lane);
            for &i in indices {
                prop_assert!(!seen[i], "seed {:#x}: tx {} twice", seed, i);
                seen[i] = true;
                for (side, id) in [block.txs[i].sender, block.txs[i].recipient].into_iter().enumerate() {
                    let first = *owner.entry(id).or_insert(lane);
                    prop_assert_eq!(first, lane, "seed {:#x}: an account on two lanes", seed);
                    let slot = full.tx_slots[i][side] as usize;
                    prop_assert_eq!(full.lane_accounts[lane].get(slot), Some(&id), "seed {:#x}: tx {} slot", seed, i);
                }
            }
        }
        prop_assert!(seen.iter().all(|s| *s), "seed {:#x}: a tx unscheduled", seed);
        for (lane, ids) in full.lane_accounts.iter().enumerate() {
            let distinct: HashSet<&AccountId> = ids.iter().collect();
            prop_assert_eq!(distinct.len(), ids.len(), "seed {:#x}: lane {} numbers an account twice", seed, lane);
            prop_assert!(ids.iter().all(|id| owner.get(id) == Some(&lane)), "seed {:#x}: lane {} slot unused", seed, lane);
        }
    }
}

/// The parallel tree update (inserts, changes and removals, over trees of many sizes) gives the same root, size
/// and hash count as the sequential one.
#[test]
fn parallel_tree_update_equals_sequential() {
    for (seed, size) in [(1u64, 0u64), (2, 1), (3, 5), (4, 100), (5, 5_000)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start: Vec<(AccountId, Account)> = (0..size).map(|i| (raw_id(i), acct(100 + i, 0))).collect();
        for pool in pools() {
            let mut sequential = StateTree::from_accounts(&start);
            let mut parallel = StateTree::from_accounts(&start);
            for round in 0..4 {
                let changes: Vec<(AccountId, Account)> = (0..rng.random_range(0..600u64))
                    .map(|_| {
                        let id = raw_id(rng.random_range(0..size + 200));
                        let value = if rng.random_range(0..4u32) == 0 {
                            Account::default()
                        } else {
                            acct(rng.random_range(1..1_000u64), 1)
                        };
                        (id, value)
                    })
                    .collect();
                sequential.update(&changes);
                parallel.update_on(&changes, pool);
                let at = format!("seed {seed}, size {size}, {} threads, round {round}", pool.current_num_threads());
                assert_eq!(parallel.root(), sequential.root(), "root differs ({at})");
                assert_eq!(parallel.len(), sequential.len(), "size differs ({at})");
                assert_eq!(parallel.last_update_hash_count(), sequential.last_update_hash_count(), "count ({at})");
            }
        }
    }
}

/// Transactions that share no account land on different lanes; a chain through one account stays on one.
#[test]
fn schedule_splits_independent_transfers_and_keeps_chains_together() {
    let independent: Vec<Transaction> = (0..8).map(|i| unsigned(raw_id(i), raw_id(100 + i), 1, 0, 0)).collect();
    let lanes = conflict_lanes(&independent, 4).lanes;
    assert_eq!(lanes.len(), 4);
    assert!(lanes.iter().all(|l| l.len() == 2));
    let chain: Vec<Transaction> = (0..8).map(|i| unsigned(raw_id(i), raw_id(i + 1), 1, 0, 0)).collect();
    assert_eq!(conflict_lanes(&chain, 4).lanes, vec![(0..8).collect::<Vec<usize>>()]);
    assert!(conflict_lanes(&[], 4).lanes.is_empty());
    let distinct: HashSet<usize> = lanes.iter().flatten().copied().collect();
    assert_eq!(distinct.len(), 8);
}
