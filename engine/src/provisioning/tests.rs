//! Unit tests: priority, nonce contiguity, limits, pending blocks, determinism.

use super::*;
use crate::mempool::fixtures::{CHAIN, accounts, id, key, pool, tx};
use crate::mempool::{Mempool, PendingTx};
use crate::types::{AccountView, Block, BlockHeader, Hash, QuorumCertificate, Transaction, tx_root};
use std::collections::{HashMap, HashSet};

fn admit_all(pool: &mut Mempool, txs: &[Transaction], acc: &impl AccountView) {
    for t in txs {
        if let Err(r) = pool.admit(t.clone(), true, acc) {
            panic!("fixture transaction rejected: {r}");
        }
    }
}

/// (sender key, nonce, fee) of each selected transaction.
fn summary(txs: &[Transaction]) -> Vec<(u8, u64, u64)> {
    txs.iter().map(|t| ((1..=20).find(|&i| id(i) == t.sender).unwrap_or(0), t.nonce, t.fee)).collect()
}

pub(super) fn block(txs: Vec<Transaction>) -> Block {
    let qc = QuorumCertificate::epoch_start(0, 0, Hash::ZERO, Hash::ZERO);
    Block {
        header: BlockHeader {
            chain_id: CHAIN,
            height: 1,
            epoch: 0,
            round: 1,
            parent_hash: Hash::ZERO,
            parent_qc: qc,
            proposer: 0,
            timestamp_ms: 0,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            exec_height: 0,
            exec_state_root: Hash::ZERO,
        },
        txs: txs.into(),
    }
}

/// The selection's transactions, after checking that each comes with its own id (the block's root is built
/// from these ids without hashing the transactions again).
pub(super) fn select(
    pool: &Mempool,
    acc: &(impl AccountView + Sync),
    pending: &[&Block],
    config: &ProvisioningConfig,
) -> Vec<Transaction> {
    let selected = select_transactions(pool, acc, pending, config).txs;
    for p in &selected {
        assert_eq!(*p.hash(), p.tx().hash(), "a selected transaction came with another transaction's id");
    }
    selected.into_iter().map(PendingTx::into_tx).collect()
}

#[test]
fn highest_fee_first_across_senders() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0), (3, 1000, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 3), tx(2, 0, 9), tx(3, 0, 5)], &acc);
    let out = select(&p, &acc, &[], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(2, 0, 9), (3, 0, 5), (1, 0, 3)]);
}

#[test]
fn a_high_fee_successor_never_precedes_its_predecessor() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 1), tx(1, 1, 100), tx(2, 0, 50), tx(2, 1, 2)], &acc);
    let out = select(&p, &acc, &[], &ProvisioningConfig::default());
    // Sender 1's fee-100 nonce 1 becomes a candidate only after its fee-1 nonce 0 was taken.
    assert_eq!(summary(&out), vec![(2, 0, 50), (2, 1, 2), (1, 0, 1), (1, 1, 100)]);
}

#[test]
fn successors_compete_on_fee_once_unlocked() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 10), tx(1, 1, 8), tx(2, 0, 9), tx(2, 1, 1)], &acc);
    let out = select(&p, &acc, &[], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(1, 0, 10), (2, 0, 9), (1, 1, 8), (2, 1, 1)]);
}

#[test]
fn count_limit_is_respected() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 1), tx(1, 1, 1), tx(2, 0, 5)], &acc);
    let config = ProvisioningConfig { max_block_txs: 2, ..ProvisioningConfig::default() };
    assert_eq!(summary(&select(&p, &acc, &[], &config)), vec![(2, 0, 5), (1, 0, 1)]);
    let none = ProvisioningConfig { max_block_txs: 0, ..ProvisioningConfig::default() };
    assert!(select(&p, &acc, &[], &none).is_empty());
}

#[test]
fn byte_limit_skips_what_does_not_fit_and_blocks_that_sender() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0)]);
    let big = Transaction::signed(&key(1), CHAIN, id(9), 1, 9, 0, vec![0; 1000]);
    let after_big = Transaction::signed(&key(1), CHAIN, id(9), 1, 50, 1, vec![0; 10]);
    let small = tx(2, 0, 1);
    let mut p = pool();
    admit_all(&mut p, &[big.clone(), after_big, small.clone()], &acc);
    let limit = small.encoded_len() + 10;
    let config = ProvisioningConfig { max_block_bytes: limit, ..ProvisioningConfig::default() };
    let out = select(&p, &acc, &[], &config);
    assert_eq!(out, vec![small.clone()]);
    assert!(block_bytes(&out) <= limit);
    let roomy = ProvisioningConfig { max_block_bytes: block_bytes(&[big.clone(), small.clone()]), ..config };
    assert_eq!(summary(&select(&p, &acc, &[], &roomy)), vec![(1, 0, 9), (2, 0, 1)]);
}

#[test]
fn block_bytes_sums_encoded_lengths() {
    let txs = [tx(1, 0, 1), Transaction::signed(&key(2), CHAIN, id(3), 1, 1, 0, vec![1; 33])];
    assert_eq!(block_bytes(&txs), txs[0].encoded_len() + txs[1].encoded_len());
    assert_eq!(block_bytes(&[]), 0);
}

#[test]
fn pending_blocks_are_skipped_and_advance_nonces_and_balances() {
    // Sender 1 can afford three 20-cost transactions; two are already in pending blocks.
    let acc = accounts(&[(1, 60, 0), (2, 1000, 0)]);
    let mut p = pool();
    let s1: Vec<_> = (0..4).map(|n| tx(1, n, 10)).collect();
    admit_all(&mut p, &s1[..3], &acc);
    admit_all(&mut p, &[tx(2, 0, 1), tx(2, 1, 1)], &acc);
    let b1 = block(vec![s1[0].clone(), tx(2, 0, 1)]);
    let b2 = block(vec![s1[1].clone()]);
    let out = select(&p, &acc, &[&b1, &b2], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(1, 2, 10), (2, 1, 1)]);
    // What the pending blocks spent is gone: 59 - 20 leaves room for one more 20-cost transaction, not two.
    let poorer = accounts(&[(1, 59, 0), (2, 1000, 0)]);
    let out = select(&p, &poorer, &[&b1], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(1, 1, 10), (2, 1, 1)]);
}

#[test]
fn a_transaction_already_in_a_pending_block_is_never_selected_again() {
    // A pending block carries sender 1's nonce-1 transaction out of order: it will fail there, and must not
    // be proposed a second time.
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let txs: Vec<_> = (0..3).map(|n| tx(1, n, 5)).collect();
    admit_all(&mut p, &txs, &acc);
    let odd = block(vec![txs[1].clone()]);
    let out = select(&p, &acc, &[&odd], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(1, 0, 5)]);
}

#[test]
fn stale_pool_heads_continue_from_the_committed_nonce() {
    // Execution consumed nonce 0 but the pool has not been told yet.
    let before = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 5), tx(1, 1, 5)], &before);
    let after = accounts(&[(1, 985, 1)]);
    assert_eq!(summary(&select(&p, &after, &[], &ProvisioningConfig::default())), vec![(1, 1, 5)]);
}

#[test]
fn a_sender_stops_at_the_first_unaffordable_transaction() {
    let admitted_with = accounts(&[(1, 60, 0), (2, 100, 0)]);
    let mut p = pool();
    admit_all(&mut p, &[tx(1, 0, 10), tx(1, 1, 10), tx(1, 2, 10), tx(2, 0, 1)], &admitted_with);
    let poorer = accounts(&[(1, 45, 0), (2, 100, 0)]);
    let out = select(&p, &poorer, &[], &ProvisioningConfig::default());
    assert_eq!(summary(&out), vec![(1, 0, 10), (1, 1, 10), (2, 0, 1)]);
}

#[test]
fn selection_is_deterministic_and_independent_of_arrival_order() {
    let acc: HashMap<_, _> = accounts(&(1..=8).map(|i| (i, 10_000, 0)).collect::<Vec<_>>());
    let txs: Vec<_> = (1..=8u8).flat_map(|i| (0..4).map(move |n| tx(i, n, u64::from((i * 7 + n as u8) % 5)))).collect();
    let mut forward = pool();
    admit_all(&mut forward, &txs, &acc);
    let mut backward = pool();
    for sender in (1..=8u8).rev() {
        let own: Vec<_> = txs.iter().filter(|t| t.sender == id(sender)).cloned().collect();
        admit_all(&mut backward, &own, &acc);
    }
    let config = ProvisioningConfig { max_block_txs: 20, ..ProvisioningConfig::default() };
    let a = select(&forward, &acc, &[], &config);
    assert_eq!(a, select(&forward, &acc, &[], &config));
    assert_eq!(a, select(&backward, &acc, &[], &config));
    assert_eq!(a.len(), 20);
    let pairs: HashSet<_> = a.iter().map(|t| (t.sender, t.nonce)).collect();
    assert_eq!(pairs.len(), a.len(), "two transactions with the same sender and nonce");
}

#[test]
fn an_empty_pool_selects_nothing() {
    assert!(select(&pool(), &accounts(&[]), &[], &ProvisioningConfig::default()).is_empty());
}

#[test]
fn config_has_documented_defaults_and_refuses_unknown_keys() {
    let c: ProvisioningConfig = serde_json::from_str("{}").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c, ProvisioningConfig { max_block_txs: 1024, max_block_bytes: 1 << 20 });
    assert!(serde_json::from_str::<ProvisioningConfig>(r#"{"max_txs": 5}"#).is_err());
}

/// 24 senders with three transactions each (fees spread so senders interleave), admitted into a pool of `shards`.
fn interleaved_pool(shards: usize) -> (Mempool, HashMap<crate::types::AccountId, crate::types::Account>) {
    let acc = accounts(&(1..=24).map(|i| (i, 1000, 0)).collect::<Vec<_>>());
    let mut pool = Mempool::sharded(crate::mempool::MempoolConfig::default(), shards);
    let txs: Vec<Transaction> =
        (1..=24u8).flat_map(|i| (0..3).map(move |n| tx(i, n, u64::from(i * 7 % 11) + 3 - n))).collect();
    admit_all(&mut pool, &txs, &acc);
    (pool, acc)
}

/// With each shard's walk cut at its share of the block, the shards' walks merge into the whole-pool selection
/// (the merge, not the whole-pool fallback, answers) — and a walk cut too early makes the merge say so.
#[test]
fn shard_walks_merge_into_the_whole_pool_selection() {
    let config = ProvisioningConfig { max_block_txs: 20, ..ProvisioningConfig::default() };
    let (one, acc) = interleaved_pool(1);
    let whole = select::whole_pool(&one, &acc, &[], &config);
    assert_eq!(whole.len(), 20);
    let (three, _) = interleaved_pool(3);
    assert_eq!(select::by_shards(&three, &acc, &[], &config, 14), Some(whole.clone()), "merged at 14 each");
    assert_eq!(select::by_shards(&three, &acc, &[], &config, 2), None, "cut at 2 each: the merge needs more");
    assert_eq!(select(&three, &acc, &[], &config), summary_txs(&whole));
}

/// `select_transactions` says which walk answered: the merge on an even pool; the whole-pool walk where one
/// sender holds more of the block than a shard's walk may take (4 shards, 60 a block: a walk takes at most 2 × 15 +
/// 16 = 46), with the same transactions either way.
#[test]
fn the_selection_says_which_walk_answered() {
    let config = ProvisioningConfig { max_block_txs: 20, ..ProvisioningConfig::default() };
    let (three, acc) = interleaved_pool(3);
    assert_eq!(select_transactions(&three, &acc, &[], &config).by, SelectedBy::Shards);
    let acc = accounts(&[(1, 100_000, 0), (2, 100_000, 0)]);
    let txs: Vec<Transaction> = (0..60).map(|n| tx(1, n, 5)).chain((0..10).map(|n| tx(2, n, 3))).collect();
    let config = ProvisioningConfig { max_block_txs: 60, ..ProvisioningConfig::default() };
    let mut one = pool();
    admit_all(&mut one, &txs, &acc);
    let mut four = Mempool::sharded(crate::mempool::MempoolConfig::default(), 4);
    admit_all(&mut four, &txs, &acc);
    let selection = select_transactions(&four, &acc, &[], &config);
    assert_eq!(selection.by, SelectedBy::WholePool);
    assert_eq!(selection.txs, select::whole_pool(&one, &acc, &[], &config));
    assert_eq!(selection.txs.len(), 60);
}

/// A block whose byte limit binds: a shard's walk accepts what the block has no room left for; the merge blocks
/// that sender (its later transactions are not taken) and still takes smaller ones of other senders, as the
/// whole-pool walk does.
#[test]
fn merged_walks_apply_the_byte_limit_across_shards() {
    let acc = accounts(&(1..=6).map(|i| (i, 1000, 0)).collect::<Vec<_>>());
    let big =
        |from: u8, nonce: u64, fee: u64| Transaction::signed(&key(from), CHAIN, id(200), 10, fee, nonce, vec![1; 400]);
    let txs: Vec<Transaction> =
        (1..=6u8).flat_map(|i| [big(i, 0, u64::from(i) * 2), tx(i, 1, u64::from(i) * 2 + 1)]).collect();
    let config = ProvisioningConfig { max_block_txs: 100, max_block_bytes: 3 * big(1, 0, 0).encoded_len() + 300 };
    let mut one = pool();
    admit_all(&mut one, &txs, &acc);
    let whole = select::whole_pool(&one, &acc, &[], &config);
    for shards in [2, 3, 4] {
        let mut sharded = Mempool::sharded(crate::mempool::MempoolConfig::default(), shards);
        admit_all(&mut sharded, &txs, &acc);
        assert_eq!(select::by_shards(&sharded, &acc, &[], &config, 100), Some(whole.clone()), "{shards} shards");
    }
}

fn summary_txs(selected: &[PendingTx]) -> Vec<Transaction> {
    selected.iter().map(|p| p.tx().clone()).collect()
}
