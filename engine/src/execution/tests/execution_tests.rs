//! Unit tests of block execution: each failure reason, fee burn, conservation, ordering, restore.

use super::*;
use crate::execution::{ExecutionError, ExecutionState, FailReason, Outcome, full_root};
use crate::types::AccountView;

fn genesis() -> ExecutionState {
    ExecutionState::from_genesis(&[(id(1), acct(1_000, 0)), (id(2), acct(500, 0)), (id(3), acct(u64::MAX - 10, 0))])
}

fn only_outcome(state: &mut ExecutionState, tx: Transaction) -> Outcome {
    let height = state.executed_height() + 1;
    let result = state.execute_block(&block(height, vec![tx]), None).unwrap();
    assert_eq!(result.receipts.len(), 1);
    result.receipts[0].outcome
}

#[test]
fn successful_transfer_moves_amount_burns_fee_and_advances_nonce() {
    let mut state = genesis();
    let tx = signed(1, id(2), 300, 7, 0);
    let result = state.execute_block(&block(1, vec![tx.clone()]), None).unwrap();
    assert_eq!(result.receipts[0].tx_hash, tx.hash());
    assert_eq!(result.receipts[0].outcome, Outcome::Success);
    assert_eq!(result.fees_burnt, 7);
    assert_eq!(state.account(&id(1)), acct(693, 1));
    assert_eq!(state.account(&id(2)), acct(800, 0));
    let mut expected = vec![(id(1), acct(693, 1)), (id(2), acct(800, 0))];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(result.changed, expected);
    assert_eq!(result.state_root, state.state_root());
    assert_eq!(state.executed_height(), 1);
}

#[test]
fn bad_nonce_fails_without_change() {
    let mut state = genesis();
    let root = state.state_root();
    for nonce in [1, 5, u64::MAX] {
        assert_eq!(only_outcome(&mut state, signed(1, id(2), 10, 1, nonce)), Outcome::Failed(FailReason::BadNonce));
    }
    assert_eq!(state.account(&id(1)), acct(1_000, 0));
    assert_eq!(state.state_root(), root);
}

#[test]
fn insufficient_balance_fails_without_change() {
    let mut state = genesis();
    // amount + fee = 1001 > 1000, although each alone fits.
    let outcome = only_outcome(&mut state, signed(1, id(2), 1_000, 1, 0));
    assert_eq!(outcome, Outcome::Failed(FailReason::InsufficientBalance));
    // An unknown sender has balance 0.
    let outcome = only_outcome(&mut state, signed(9, id(2), 0, 1, 0));
    assert_eq!(outcome, Outcome::Failed(FailReason::InsufficientBalance));
    assert_eq!(state.account(&id(1)), acct(1_000, 0));
    assert_eq!(state.account(&id(9)), acct(0, 0));
    assert_eq!(state.account_count(), 3);
}

#[test]
fn exact_balance_is_enough() {
    let mut state = genesis();
    assert_eq!(only_outcome(&mut state, signed(1, id(2), 990, 10, 0)), Outcome::Success);
    assert_eq!(state.account(&id(1)), acct(0, 1));
}

#[test]
fn overflowing_cost_fails_with_overflow() {
    let mut state = genesis();
    let outcome = only_outcome(&mut state, signed(1, id(2), u64::MAX, 1, 0));
    assert_eq!(outcome, Outcome::Failed(FailReason::Overflow));
    assert_eq!(state.account(&id(1)), acct(1_000, 0));
}

#[test]
fn overflowing_recipient_fails_without_change() {
    let mut state = genesis();
    // Recipient 3 holds u64::MAX - 10; receiving 11 would overflow.
    let root = state.state_root();
    let outcome = only_outcome(&mut state, signed(1, id(3), 11, 1, 0));
    assert_eq!(outcome, Outcome::Failed(FailReason::Overflow));
    assert_eq!(state.account(&id(1)), acct(1_000, 0));
    assert_eq!(state.account(&id(3)), acct(u64::MAX - 10, 0));
    assert_eq!(state.state_root(), root);
    // 10 fits exactly.
    assert_eq!(only_outcome(&mut state, signed(1, id(3), 10, 1, 0)), Outcome::Success);
    assert_eq!(state.account(&id(3)), acct(u64::MAX, 0));
}

#[test]
fn rich_self_transfer_does_not_overflow() {
    let mut state = genesis();
    // Account 3 pays itself: debit first, then credit, so no false overflow near u64::MAX.
    assert_eq!(only_outcome(&mut state, signed(3, id(3), 20, 2, 0)), Outcome::Success);
    assert_eq!(state.account(&id(3)), acct(u64::MAX - 12, 1));
}

#[test]
fn failed_tx_does_not_block_later_txs_and_nonces_chain_within_a_block() {
    let mut state = genesis();
    let txs = vec![
        signed(1, id(2), 100, 1, 0),
        signed(1, id(2), 100, 1, 0), // replayed nonce
        signed(1, id(2), 100, 1, 1),
        signed(2, id(9), 5_000, 1, 0), // too poor
    ];
    let result = state.execute_block(&block(1, txs), None).unwrap();
    let outcomes: Vec<Outcome> = result.receipts.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Success,
            Outcome::Failed(FailReason::BadNonce),
            Outcome::Success,
            Outcome::Failed(FailReason::InsufficientBalance)
        ]
    );
    assert_eq!(result.successes(), 2);
    assert_eq!(result.fees_burnt, 2);
    assert_eq!(state.account(&id(1)), acct(798, 2));
    assert_eq!(state.account(&id(2)), acct(700, 0));
}

#[test]
fn fees_are_burnt_and_total_balance_is_conserved() {
    let mut state = genesis();
    let genesis_total = state.total_balance();
    assert_eq!(genesis_total, 1_000 + 500 + u128::from(u64::MAX - 10));
    let mut burnt: u128 = 0;
    for (h, (from, to, amount, fee)) in
        [(1u8, 2u8, 10u64, 3u64), (2, 1, 50, 9), (1, 4, 0, 1), (4, 1, 0, 0)].iter().enumerate()
    {
        let nonce = state.account(&id(*from)).nonce;
        let result = state
            .execute_block(&block(h as u64 + 1, vec![signed(*from, id(*to), *amount, *fee, nonce)]), None)
            .unwrap();
        burnt += u128::from(result.fees_burnt);
        assert_eq!(state.total_balance(), genesis_total - burnt);
        let recomputed: u128 = state.accounts_sorted().iter().map(|(_, a)| u128::from(a.balance)).sum();
        assert_eq!(recomputed, state.total_balance());
    }
    assert_eq!(burnt, 13);
}

#[test]
fn zero_value_transfer_to_new_account_creates_nothing() {
    let mut state = genesis();
    let root = state.state_root();
    let result = state.execute_block(&block(1, vec![signed(1, id(8), 0, 0, 0)]), None).unwrap();
    assert_eq!(result.receipts[0].outcome, Outcome::Success);
    // Only the sender's nonce changed; account 8 stays absent (reads as default).
    assert_eq!(result.changed, vec![(id(1), acct(1_000, 1))]);
    assert_eq!(state.account_count(), 3);
    assert_ne!(state.state_root(), root);
    assert_eq!(state.state_root(), full_root(&state.accounts_sorted()));
}

#[test]
fn out_of_order_heights_are_rejected_without_change() {
    let mut state = genesis();
    let root = state.state_root();
    for height in [0, 2, 10] {
        let err = state.execute_block(&block(height, vec![signed(1, id(2), 1, 1, 0)]), None).unwrap_err();
        assert!(matches!(err, ExecutionError::OutOfOrder { expected: 1, got } if got == height));
    }
    assert_eq!(state.executed_height(), 0);
    assert_eq!(state.state_root(), root);
    state.execute_block(&block(1, vec![]), None).unwrap();
    let err = state.execute_block(&block(1, vec![]), None).unwrap_err();
    assert_eq!(err.to_string(), "block at height 1 executed out of order (expected 2)");
}

#[test]
fn empty_block_keeps_root() {
    let mut state = genesis();
    let root = state.state_root();
    let result = state.execute_block(&block(1, vec![]), None).unwrap();
    assert_eq!(result.state_root, root);
    assert!(result.changed.is_empty() && result.receipts.is_empty());
    assert_eq!(state.state_tree().last_update_hash_count(), 0);
}

#[test]
fn restore_gives_the_same_root_and_continues_identically() {
    let mut original = genesis();
    for h in 1..=5u64 {
        let txs = vec![signed(1, id(2), h, 1, h - 1), signed(2, raw_id(h), 3, 2, h - 1)];
        original.execute_block(&block(h, txs), None).unwrap();
    }
    let mut restored = ExecutionState::restore(5, original.accounts_sorted());
    assert_eq!(restored.executed_height(), 5);
    assert_eq!(restored.state_root(), original.state_root());
    assert_eq!(restored.total_balance(), original.total_balance());
    assert_eq!(restored.accounts_sorted(), original.accounts_sorted());
    let next = block(6, vec![signed(1, id(5), 9, 1, 5)]);
    let a = original.execute_block(&next, None).unwrap();
    let b = restored.execute_block(&next, None).unwrap();
    assert_eq!((a.state_root, a.receipts, a.changed), (b.state_root, b.receipts, b.changed));
}

#[test]
fn genesis_root_matches_reference_and_ignores_default_accounts() {
    let accounts = [(id(1), acct(5, 0)), (id(2), acct(0, 0)), (id(3), acct(0, 4))];
    let state = ExecutionState::from_genesis(&accounts);
    assert_eq!(state.account_count(), 2);
    assert_eq!(state.state_root(), full_root(&accounts));
    assert_eq!(state.state_root(), full_root(&[(id(3), acct(0, 4)), (id(1), acct(5, 0))]));
    assert_eq!(ExecutionState::from_genesis(&[]).state_root(), Hash::ZERO);
}

/// Receipts take the ids the caller gives (one per transaction) and are the same as when execution hashes the
/// transactions itself; ids of another count are ignored.
#[test]
fn receipts_take_given_ids_of_the_right_count_only() {
    let txs = vec![signed(1, id(2), 10, 1, 0), signed(2, id(1), 5, 1, 0), signed(1, id(3), 1_000_000, 1, 1)];
    let b = block(1, txs.clone());
    let hashed = genesis().execute_block(&b, None).unwrap();
    let one_by_one: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
    assert_eq!(hashed.receipts.iter().map(|r| r.tx_hash).collect::<Vec<_>>(), one_by_one);
    assert_eq!(b.tx_hashes(), one_by_one);
    let given = genesis().execute_block(&b, Some(&b.tx_hashes())).unwrap();
    assert_eq!(given.receipts, hashed.receipts);
    assert_eq!(given.state_root, hashed.state_root);
    let short = genesis().execute_block(&b, Some(&b.tx_hashes()[..2])).unwrap();
    assert_eq!(short.receipts, hashed.receipts, "ids of another count must be ignored");
}
