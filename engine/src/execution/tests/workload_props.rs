//! Random workloads: blocks of transfers among a few hundred accounts (new recipients, failing transactions)
//! checked after every block against a naive model, the reference root, a second replica and a restore.

use super::*;
use crate::execution::{ExecutionState, FailReason, Outcome, full_root};
use crate::types::AccountView;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use std::collections::BTreeMap;

const GENESIS_ACCOUNTS: u64 = 300;
const NEW_RECIPIENTS: u64 = 100;

/// One generated transaction: sender index, recipient index (≥ GENESIS_ACCOUNTS = a fresh account),
/// amount, fee, and a nonce offset from the sender's next nonce (0 = valid).
type TxSpec = (u64, u64, u64, u64, i8);

fn arb_tx() -> impl Strategy<Value = TxSpec> {
    let amount = prop_oneof![8 => 0u64..2_000, 1 => 50_000u64..200_000, 1 => Just(u64::MAX)];
    let nonce_offset = prop_oneof![10 => Just(0i8), 1 => Just(1i8), 1 => Just(-1i8)];
    (0..GENESIS_ACCOUNTS + NEW_RECIPIENTS, 0..GENESIS_ACCOUNTS + NEW_RECIPIENTS, amount, 0u64..50, nonce_offset)
}

fn genesis() -> Vec<(AccountId, Account)> {
    edge_genesis(GENESIS_ACCOUNTS, 10_000, 37)
}

/// The transfer rule written as plainly as possible, over a BTreeMap.
fn model_apply(model: &mut BTreeMap<AccountId, Account>, tx: &Transaction) -> Outcome {
    let get = |m: &BTreeMap<AccountId, Account>, id: &AccountId| m.get(id).copied().unwrap_or_default();
    let s = get(model, &tx.sender);
    if tx.nonce != s.nonce {
        return Outcome::Failed(FailReason::BadNonce);
    }
    let Some(cost) = tx.amount.checked_add(tx.fee) else { return Outcome::Failed(FailReason::Overflow) };
    if s.balance < cost {
        return Outcome::Failed(FailReason::InsufficientBalance);
    }
    let mut after = model.clone();
    after.insert(tx.sender, acct(s.balance - cost, s.nonce + 1));
    let r = get(&after, &tx.recipient);
    let Some(credited) = r.balance.checked_add(tx.amount) else { return Outcome::Failed(FailReason::Overflow) };
    after.insert(tx.recipient, acct(credited, r.nonce));
    after.retain(|_, a| *a != Account::default());
    *model = after;
    Outcome::Success
}

/// Turns specs into transactions; nonces follow the sender's state plus earlier specs in the same block.
fn build_block(state: &ExecutionState, height: u64, specs: &[TxSpec]) -> Block {
    let mut next: BTreeMap<AccountId, u64> = BTreeMap::new();
    let txs = specs
        .iter()
        .map(|&(from, to, amount, fee, offset)| {
            let sender = raw_id(from);
            let nonce = next.entry(sender).or_insert_with(|| state.account(&sender).nonce);
            let tx = unsigned(sender, raw_id(to), amount, fee, nonce.saturating_add_signed(offset.into()));
            *nonce += 1;
            tx
        })
        .collect();
    block(height, txs)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 48, rng_seed: RngSeed::Fixed(0xb10c_5eed), failure_persistence: None, ..Default::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_workload_matches_model_reference_root_and_replica(
        blocks in prop::collection::vec(prop::collection::vec(arb_tx(), 0..60), 1..10),
    ) {
        let genesis = genesis();
        let mut state = ExecutionState::from_genesis(&genesis);
        let mut replica = ExecutionState::from_genesis(&genesis);
        // The state holds only non-default accounts (genesis account 1 is empty), so the model does too.
        let mut model: BTreeMap<AccountId, Account> =
            genesis.iter().copied().filter(|(_, a)| *a != Account::default()).collect();
        let genesis_total = state.total_balance();
        let mut burnt: u128 = 0;
        prop_assert_eq!(state.state_root(), full_root(&genesis));
        for (i, specs) in blocks.iter().enumerate() {
            let height = i as u64 + 1;
            let block = build_block(&state, height, specs);
            let before = model.clone();
            let result = state.execute_block(&block, None).unwrap();
            let replayed = replica.execute_block(&block, None).unwrap();

            // Semantics: receipts and final state equal the naive model.
            for (tx, receipt) in block.txs.iter().zip(&result.receipts) {
                prop_assert_eq!(receipt.tx_hash, tx.hash());
                prop_assert_eq!(receipt.outcome, model_apply(&mut model, tx));
            }
            let sorted = state.accounts_sorted();
            prop_assert_eq!(&sorted, &model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());

            // The reported delta is exactly the accounts that differ from before, sorted, final values.
            let mut expected_delta: Vec<(AccountId, Account)> = Vec::new();
            for id in before.keys().chain(model.keys()) {
                let (old, new) = (before.get(id).copied().unwrap_or_default(), model.get(id).copied().unwrap_or_default());
                if old != new { expected_delta.push((*id, new)); }
            }
            expected_delta.sort_by_key(|(id, _)| *id);
            expected_delta.dedup();
            prop_assert_eq!(&result.changed, &expected_delta);

            // Incremental root equals the reference root; the replica agrees on everything.
            prop_assert_eq!(result.state_root, full_root(&sorted));
            prop_assert_eq!(result.state_root, state.state_root());
            prop_assert_eq!(replayed.state_root, result.state_root);
            prop_assert_eq!(&replayed.receipts, &result.receipts);
            prop_assert_eq!(&replayed.changed, &result.changed);

            // Conservation: genesis supply minus every fee burnt.
            burnt += u128::from(result.fees_burnt);
            prop_assert_eq!(state.total_balance(), genesis_total - burnt);
            prop_assert_eq!(state.total_balance(), sorted.iter().map(|(_, a)| u128::from(a.balance)).sum::<u128>());

            // Crash recovery from the persisted accounts reproduces the root.
            let restored = ExecutionState::restore(height, sorted);
            prop_assert_eq!(restored.state_root(), result.state_root);
        }
    }
}
