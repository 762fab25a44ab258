//! Property tests: whatever the pool holds, the selection (after any pending blocks) executes cleanly in
//! order against committed state, respects the limits, and never repeats a sender+nonce or a pending tx.

use super::tests::{block, select};
use super::*;
use crate::mempool::fixtures::{CHAIN, id, key, workers};
use crate::mempool::{Mempool, MempoolConfig};
use crate::types::{Account, AccountId, AccountView, Block, Transaction};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

const SENDERS: u8 = 5;

/// Executes `txs` in order with the execution rule (nonce must match, balance must cover amount + fee,
/// recipient credited); fails on the first transaction that would not apply.
fn execute(state: &mut HashMap<AccountId, Account>, txs: &[Transaction]) -> Result<(), TestCaseError> {
    for (i, tx) in txs.iter().enumerate() {
        let from = state.account(&tx.sender);
        prop_assert_eq!(tx.nonce, from.nonce, "tx {} has the wrong nonce", i);
        let cost = tx.total_cost().unwrap_or(u64::MAX);
        prop_assert!(cost <= from.balance, "tx {} cannot be afforded", i);
        state.insert(tx.sender, Account { balance: from.balance - cost, nonce: from.nonce + 1 });
        let to = state.account(&tx.recipient);
        state.insert(tx.recipient, Account { balance: to.balance.saturating_add(tx.amount), nonce: to.nonce });
    }
    Ok(())
}

/// The senders' accounts: sender `i` gets the `i`-th (balance, nonce).
fn accounts(start: &[(u64, u64)]) -> HashMap<AccountId, Account> {
    start.iter().enumerate().map(|(i, &(balance, nonce))| (id(i as u8), Account { balance, nonce })).collect()
}

/// (sender, nonce offset, fee, amount, memo bytes) of each submitted transaction.
type Submission = (u8, u64, u64, u64, usize);

/// A pool of `shards` shards holding the submissions admitted against `state`, in order.
fn fill(state: &HashMap<AccountId, Account>, submissions: &[Submission], shards: usize) -> Mempool {
    let mut pool = Mempool::sharded(MempoolConfig { nonce_window: 8, ..MempoolConfig::default() }, shards);
    for &(sender, offset, fee, amount, memo) in submissions {
        let nonce = state.account(&id(sender)).nonce + offset;
        let recipient = id((sender + 1) % (SENDERS + 2));
        let tx = Transaction::signed(&key(sender), CHAIN, recipient, amount, fee, nonce, vec![3; memo]);
        let _ = pool.admit(tx, true, state);
    }
    pool
}

/// Each sender's starting (balance, nonce).
fn start() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0u64..300, 0u64..3), SENDERS as usize)
}

/// Fewer than `most` submissions, each with a memo length drawn from `memo`.
fn submissions(memo: impl Strategy<Value = usize>, most: usize) -> impl Strategy<Value = Vec<Submission>> {
    prop::collection::vec((0..SENDERS, 0u64..4, 0u64..8, 0u64..60, memo), 0..most)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn selection_executes_cleanly_after_the_pending_blocks(
        start in start(),
        submissions in submissions(prop::sample::select(vec![0usize, 40, 900]), 50),
        pending_txs in 0usize..6,
        max_block_txs in 1usize..12,
        max_block_bytes in 150usize..3000,
        debit in 0u64..100,
    ) {
        let mut admitted_with: HashMap<AccountId, Account> = accounts(&start);
        let pool = fill(&admitted_with, &submissions, 1);
        let sharded = fill(&admitted_with, &submissions, 3);
        // Committed state may have moved on since admission (here: sender 0 lost some balance).
        let a0 = admitted_with.account(&id(0));
        admitted_with.insert(id(0), Account { balance: a0.balance.saturating_sub(debit), nonce: a0.nonce });
        let committed = admitted_with;

        let first = ProvisioningConfig { max_block_txs: pending_txs, ..ProvisioningConfig::default() };
        let pending = block(select(&pool, &committed, &[], &first));
        let pending_blocks: Vec<&Block> = if pending.txs.is_empty() { vec![] } else { vec![&pending] };
        let config = ProvisioningConfig { max_block_txs, max_block_bytes };
        let selected = select(&pool, &committed, &pending_blocks, &config);

        prop_assert!(selected.len() <= max_block_txs);
        prop_assert!(block_bytes(&selected) <= max_block_bytes);
        let in_pending: HashSet<_> = pending.txs.iter().map(Transaction::hash).collect();
        let mut pairs = HashSet::new();
        for tx in &selected {
            prop_assert!(pool.contains(&tx.sender, &tx.hash()), "selected a transaction the pool does not hold");
            prop_assert!(!in_pending.contains(&tx.hash()), "selected a transaction already pending in a block");
            prop_assert!(pairs.insert((tx.sender, tx.nonce)), "two transactions with the same sender and nonce");
        }
        let mut state = committed.clone();
        execute(&mut state, &pending.txs)?;
        execute(&mut state, &selected)?;
        prop_assert_eq!(&selected, &select(&pool, &committed, &pending_blocks, &config));
        // Block building draws the same block from a pool split into shards.
        prop_assert_eq!(&selected, &select(&sharded, &committed, &pending_blocks, &config));
    }

    /// The shards' walks merged give the whole-pool walk's selection, with shards walking on threads or not and
    /// each walk cut at any limit, or say they cannot (`None`, a walk cut too early) — never another selection.
    #[test]
    fn merged_shard_walks_give_the_whole_pool_selection(
        start in start(),
        submissions in submissions(prop::sample::select(vec![0usize, 40, 900]), 50),
        pending_txs in 0usize..6,
        max_block_txs in 1usize..12,
        max_block_bytes in 150usize..3000,
        shards in 1usize..5,
        limit in 1usize..12,
    ) {
        let state: HashMap<AccountId, Account> = accounts(&start);
        let one = fill(&state, &submissions, 1);
        let first = ProvisioningConfig { max_block_txs: pending_txs, ..ProvisioningConfig::default() };
        let pending = block(select(&one, &state, &[], &first));
        let pending_blocks: Vec<&Block> = if pending.txs.is_empty() { vec![] } else { vec![&pending] };
        let config = ProvisioningConfig { max_block_txs, max_block_bytes };
        let whole = select::whole_pool(&one, &state, &pending_blocks, &config);
        for pool in [fill(&state, &submissions, shards), fill(&state, &submissions, shards).with_pool(workers())] {
            if let Some(merged) = select::by_shards(&pool, &state, &pending_blocks, &config, limit) {
                prop_assert_eq!(&merged, &whole, "{} shards, walks cut at {}", shards, limit);
            }
            let whole_txs: Vec<Transaction> = whole.iter().map(|p| p.tx().clone()).collect();
            prop_assert_eq!(&select(&pool, &state, &pending_blocks, &config), &whole_txs);
        }
    }

    /// Pending blocks from another leader may carry any of the pool's transactions in any order, some of them not at
    /// their sender's next nonce (they will fail execution and advance nothing): none is ever selected again, and
    /// the selection still never repeats a sender+nonce.
    #[test]
    fn transactions_in_arbitrary_pending_blocks_are_never_selected_again(
        start in start(),
        submissions in submissions(Just(0usize), 40),
        picks in prop::collection::vec(0usize..64, 0..12),
    ) {
        let state: HashMap<AccountId, Account> = accounts(&start);
        let pool = fill(&state, &submissions, 2);
        let all: Vec<Transaction> =
            (0..SENDERS).flat_map(|s| pool.sender_txs(&id(s)).map(|p| p.tx().clone()).collect::<Vec<_>>()).collect();
        let mut chosen: Vec<Transaction> = Vec::new();
        for &i in &picks {
            if let Some(tx) = all.get(i % all.len().max(1))
                && !chosen.contains(tx)
            {
                chosen.push(tx.clone());
            }
        }
        let pending = block(chosen);
        let selected = select(&pool, &state, &[&pending], &ProvisioningConfig::default());
        let in_pending: HashSet<_> = pending.txs.iter().map(Transaction::hash).collect();
        let mut pairs = HashSet::new();
        for tx in &selected {
            prop_assert!(!in_pending.contains(&tx.hash()), "selected a transaction already pending in a block");
            prop_assert!(pairs.insert((tx.sender, tx.nonce)), "two transactions with the same sender and nonce");
        }
    }

    #[test]
    fn with_room_and_unchanged_state_everything_pending_is_selected(
        start in start(),
        submissions in submissions(Just(0usize), 40),
    ) {
        let state: HashMap<AccountId, Account> = accounts(&start);
        let pool = fill(&state, &submissions, 1);
        let selected = select(&pool, &state, &[], &ProvisioningConfig::default());
        prop_assert_eq!(selected.len(), pool.len());
        execute(&mut state.clone(), &selected)?;
    }
}
