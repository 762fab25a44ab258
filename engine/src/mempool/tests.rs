//! Unit tests: one minimal scenario per rejection reason, replacement, capacity, state updates.

use super::fixtures::{CHAIN, accounts, id, key, pool, transfer, tx};
use super::*;
use crate::types::KeyedSet;
use crate::types::{Account, Transaction};

fn count(pool: &Mempool, reason: RejectReason) -> u64 {
    pool.rejections()[&reason]
}

/// Admits and asserts the single reason (and its counter) of the refusal.
fn assert_rejected(
    pool: &mut Mempool,
    tx: Transaction,
    sig_ok: bool,
    acc: &impl crate::types::AccountView,
    r: RejectReason,
) {
    let before = count(pool, r);
    let (hash, sender) = (tx.hash(), tx.sender);
    assert_eq!(pool.admit(tx, sig_ok, acc), Err(Rejection { tx_hash: hash, reason: r }));
    assert_eq!(count(pool, r), before + 1);
    assert_eq!(pool.contains(&sender, &hash), r == RejectReason::Duplicate);
}

fn admit_ok(pool: &mut Mempool, tx: Transaction, acc: &impl crate::types::AccountView) -> Admitted {
    match pool.admit(tx, true, acc) {
        Ok(a) => a,
        Err(r) => panic!("unexpected rejection {r}"),
    }
}

#[test]
fn bad_signature_is_rejected() {
    let acc = accounts(&[(1, 1000, 0)]);
    assert_rejected(&mut pool(), tx(1, 0, 1), false, &acc, RejectReason::BadSignature);
}

#[test]
fn wrong_chain_is_rejected() {
    let acc = accounts(&[(1, 1000, 0)]);
    let t = Transaction::signed(&key(1), CHAIN + 1, id(2), 10, 1, 0, Vec::new());
    assert_rejected(&mut pool(), t, true, &acc, RejectReason::WrongChain);
}

#[test]
fn too_large_is_rejected() {
    let acc = accounts(&[(1, 1000, 0)]);
    let t = Transaction::signed(&key(1), CHAIN, id(2), 10, 1, 0, vec![0; 2048]);
    assert!(t.encoded_len() > MempoolConfig::default().max_tx_bytes);
    assert_rejected(&mut pool(), t, true, &acc, RejectReason::TooLarge);
}

#[test]
fn duplicate_is_rejected() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    assert_rejected(&mut p, tx(1, 0, 1), true, &acc, RejectReason::Duplicate);
    assert_eq!(p.len(), 1);
}

#[test]
fn nonce_too_low_is_rejected() {
    let acc = accounts(&[(1, 1000, 5)]);
    assert_rejected(&mut pool(), tx(1, 4, 1), true, &acc, RejectReason::NonceTooLow);
}

#[test]
fn nonce_below_the_pending_queue_is_too_low_even_with_an_older_view() {
    let mut p = pool();
    admit_ok(&mut p, tx(1, 3, 1), &accounts(&[(1, 1000, 3)]));
    assert_rejected(&mut p, tx(1, 2, 1), true, &accounts(&[(1, 1000, 2)]), RejectReason::NonceTooLow);
}

/// Nonces of the sender's pending transactions, in order.
fn pending_nonces(p: &Mempool, sender: u8) -> Vec<u64> {
    p.sender_txs(&id(sender)).map(|t| t.tx().nonce).collect()
}

/// A sender's transactions may reach a validator out of order (sent to different validators and gossiped, or
/// reordered on the way): one after a gap waits, parked, for its predecessor instead of being refused — the
/// 4-process cluster lost up to 2 % of its load as `nonce_gap` under overload before.
#[test]
fn a_transaction_after_a_gap_is_parked_until_its_predecessor_arrives() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 2, 1), &acc);
    admit_ok(&mut p, tx(1, 1, 1), &acc);
    assert_eq!((p.len(), p.parked_len()), (0, 2), "parked transactions are not pending");
    assert!(p.ready().next().is_none(), "nothing parked is offered to a block");
    let dup = tx(1, 2, 1);
    assert_eq!(
        p.admit(dup.clone(), true, &acc),
        Err(Rejection { tx_hash: dup.hash(), reason: RejectReason::Duplicate })
    );
    assert_eq!(p.admit(tx(1, 2, 0), true, &acc).map_err(|r| r.reason), Err(RejectReason::Conflict));
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    assert_eq!(pending_nonces(&p, 1), vec![0, 1, 2], "the gap filled: both parked follow in nonce order");
    assert_eq!(p.parked_len(), 0);
}

#[test]
fn a_higher_fee_replaces_a_parked_transaction() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let old = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    let new = admit_ok(&mut p, tx(1, 1, 5), &acc);
    assert_eq!(new.dropped, vec![Rejection { tx_hash: old, reason: RejectReason::Replaced }]);
    assert_eq!(p.parked_len(), 1);
}

#[test]
fn a_parked_transaction_becomes_pending_when_its_predecessor_commits_elsewhere() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let parked = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    // Nonce 0 was committed in a block this validator built from another's mempool.
    let out = p.on_state_update(&KeyedSet::default(), &[(id(1), Account { balance: 989, nonce: 1 })]);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!((p.len(), p.parked_len()), (1, 0));
    assert!(p.contains(&id(1), &parked));
}

#[test]
fn a_parked_transaction_whose_nonce_is_consumed_is_invalidated_or_committed() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let committed_elsewhere = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    let consumed = admit_ok(&mut p, tx(1, 2, 1), &acc).tx_hash;
    // Nonce 1 committed as the parked transaction itself (in another validator's block), nonce 2 by another one.
    let committed: KeyedSet<_> = [committed_elsewhere].into_iter().collect();
    let out = p.on_state_update(&committed, &[(id(1), Account { balance: 900, nonce: 3 })]);
    assert_eq!(out, vec![Rejection { tx_hash: consumed, reason: RejectReason::Invalidated }]);
    assert_eq!((p.len(), p.parked_len(), p.committed_total()), (0, 0, 1));
}

#[test]
fn a_parked_transaction_that_cannot_be_afforded_when_its_turn_comes_is_invalidated() {
    // Each transfer costs 11: the balance covers one.
    let acc = accounts(&[(1, 15, 0)]);
    let mut p = pool();
    let parked = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    let first = admit_ok(&mut p, tx(1, 0, 1), &acc);
    assert_eq!(first.dropped, vec![Rejection { tx_hash: parked, reason: RejectReason::Invalidated }]);
    assert_eq!((p.len(), p.parked_len()), (1, 0));
}

#[test]
fn parked_transactions_count_toward_capacity_and_hold_at_most_a_quarter_of_it() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0), (3, 1000, 0), (4, 1000, 0), (5, 1000, 0), (6, 1000, 0)]);
    let mut p = Mempool::new(MempoolConfig { capacity: 4, ..MempoolConfig::default() });
    admit_ok(&mut p, tx(1, 1, 1), &acc);
    assert_rejected(&mut p, tx(2, 1, 1), true, &acc, RejectReason::MempoolFull);
    for sender in 3..=5 {
        admit_ok(&mut p, tx(sender, 0, 1), &acc);
    }
    assert_eq!((p.len(), p.parked_len()), (3, 1));
    assert_rejected(&mut p, tx(6, 0, 1), true, &acc, RejectReason::MempoolFull);
}

#[test]
fn an_unfunded_sender_parks_nothing() {
    let acc = accounts(&[(1, 5, 0)]);
    assert_rejected(&mut pool(), tx(1, 1, 1), true, &acc, RejectReason::InsufficientBalance);
}

#[test]
fn a_parked_transaction_whose_gap_never_fills_expires_after_parked_blocks_state_updates() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let parked = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    for _ in 1..PARKED_BLOCKS {
        assert!(p.on_state_update(&KeyedSet::default(), &[]).is_empty());
    }
    assert_eq!(p.parked_len(), 1);
    let out = p.on_state_update(&KeyedSet::default(), &[]);
    assert_eq!(out, vec![Rejection { tx_hash: parked, reason: RejectReason::Invalidated }]);
    assert_eq!(p.parked_len(), 0);
    // A transaction that left the lot (it joined the queue) is not expired later.
    admit_ok(&mut p, tx(1, 1, 1), &acc);
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    for _ in 0..PARKED_BLOCKS {
        assert!(p.on_state_update(&KeyedSet::default(), &[]).is_empty());
    }
    assert_eq!(p.len(), 2);
}

#[test]
fn nonce_beyond_the_window_is_a_gap() {
    let acc = accounts(&[(1, 1000, 10)]);
    let mut p = Mempool::new(MempoolConfig { nonce_window: 2, ..MempoolConfig::default() });
    admit_ok(&mut p, tx(1, 10, 1), &acc);
    admit_ok(&mut p, tx(1, 11, 1), &acc);
    assert_rejected(&mut p, tx(1, 12, 1), true, &acc, RejectReason::NonceGap);
}

#[test]
fn insufficient_balance_is_rejected() {
    let acc = accounts(&[(1, 10, 0)]);
    assert_rejected(&mut pool(), tx(1, 0, 1), true, &acc, RejectReason::InsufficientBalance);
    let exact = accounts(&[(1, 11, 0)]);
    admit_ok(&mut pool(), tx(1, 0, 1), &exact);
}

#[test]
fn cost_overflow_is_insufficient_balance() {
    let acc = accounts(&[(1, u64::MAX, 0)]);
    let t = transfer(1, 2, u64::MAX, 1, 0);
    assert_rejected(&mut pool(), t, true, &acc, RejectReason::InsufficientBalance);
}

#[test]
fn balance_counts_pending_predecessors() {
    // Each transfer costs 10 + 10 = 20.
    let acc = accounts(&[(1, 50, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 10), &acc);
    admit_ok(&mut p, tx(1, 1, 10), &acc);
    assert_rejected(&mut p, tx(1, 2, 10), true, &acc, RejectReason::InsufficientBalance);
    // A cheaper third one fits: 20 + 20 + 10 = 50.
    admit_ok(&mut p, tx(1, 2, 0), &acc);
}

#[test]
fn replacement_balance_substitutes_the_old_cost() {
    let acc = accounts(&[(1, 45, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 10), &acc); // cost 20
    admit_ok(&mut p, tx(1, 1, 10), &acc); // cost 20, total 40
    // Replacing nonce 0 with fee 15 (cost 25) needs 25 + 20 = 45: the old cost is substituted.
    admit_ok(&mut p, tx(1, 0, 15), &acc);
    // Replacing nonce 1 with fee 16 needs 25 + 26 = 51 > 45.
    assert_rejected(&mut p, tx(1, 1, 16), true, &acc, RejectReason::InsufficientBalance);
}

#[test]
fn a_replacement_may_not_strand_its_successors() {
    let acc = accounts(&[(1, 45, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 10), &acc); // cost 20
    admit_ok(&mut p, tx(1, 1, 10), &acc); // cost 20
    // Nonce 0 at fee 16 costs 26: affordable alone, but 26 + 20 > 45 would leave nonce 1 unaffordable.
    assert_rejected(&mut p, tx(1, 0, 16), true, &acc, RejectReason::InsufficientBalance);
    assert_eq!(p.len(), 2);
}

#[test]
fn conflict_with_equal_or_lower_fee_is_rejected() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let first = admit_ok(&mut p, tx(1, 0, 5), &acc).tx_hash;
    assert_rejected(&mut p, transfer(1, 3, 10, 5, 0), true, &acc, RejectReason::Conflict);
    assert_rejected(&mut p, tx(1, 0, 4), true, &acc, RejectReason::Conflict);
    assert!(p.contains(&id(1), &first));
    assert_eq!(p.len(), 1);
}

#[test]
fn higher_fee_replaces_the_pending_transaction() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let old = admit_ok(&mut p, tx(1, 0, 5), &acc).tx_hash;
    admit_ok(&mut p, tx(1, 1, 5), &acc);
    let new = admit_ok(&mut p, tx(1, 0, 6), &acc);
    assert_eq!(new.dropped, vec![Rejection { tx_hash: old, reason: RejectReason::Replaced }]);
    assert_eq!(count(&p, RejectReason::Replaced), 1);
    assert!(!p.contains(&id(1), &old) && p.contains(&id(1), &new.tx_hash));
    assert_eq!(p.len(), 2);
    assert_eq!(p.pending_at(&id(1), 0).map(|t| *t.hash()), Some(new.tx_hash));
    let ready: Vec<_> = p.ready().map(|t| *t.hash()).collect();
    assert_eq!(ready, vec![new.tx_hash]);
    assert_eq!(p.admitted_total(), 3);
}

#[test]
fn mempool_full_is_rejected_but_replacement_still_allowed() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0)]);
    let mut p = Mempool::new(MempoolConfig { capacity: 2, ..MempoolConfig::default() });
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    admit_ok(&mut p, tx(1, 1, 1), &acc);
    assert_rejected(&mut p, tx(2, 0, 1), true, &acc, RejectReason::MempoolFull);
    assert!(!admit_ok(&mut p, tx(1, 1, 2), &acc).dropped.is_empty());
    assert_eq!(p.len(), 2);
}

#[test]
fn checks_run_in_the_documented_order() {
    let acc = accounts(&[(1, 0, 5)]);
    let mut p = Mempool::new(MempoolConfig { capacity: 0, ..MempoolConfig::default() });
    // Everything is wrong: the signature is reported first.
    let all_wrong = Transaction::signed(&key(1), CHAIN + 1, id(2), 10, 1, 0, vec![0; 4096]);
    assert_rejected(&mut p, all_wrong.clone(), false, &acc, RejectReason::BadSignature);
    assert_rejected(&mut p, all_wrong, true, &acc, RejectReason::WrongChain);
    let big_low = Transaction::signed(&key(1), CHAIN, id(2), 10, 1, 0, vec![0; 4096]);
    assert_rejected(&mut p, big_low, true, &acc, RejectReason::TooLarge);
    assert_rejected(&mut p, tx(1, 0, 1), true, &acc, RejectReason::NonceTooLow);
    assert_rejected(&mut p, tx(1, 5 + 64, 1), true, &acc, RejectReason::NonceGap);
    // After a gap: the sender must afford the transaction alone (with its predecessors it is checked when it
    // joins the queue), and the capacity counts.
    assert_rejected(&mut p, tx(1, 6, 1), true, &acc, RejectReason::InsufficientBalance);
    assert_rejected(&mut p, tx(1, 6, 1), true, &accounts(&[(1, 100, 5)]), RejectReason::MempoolFull);
    assert_rejected(&mut p, tx(1, 5, 1), true, &acc, RejectReason::InsufficientBalance);
    assert_rejected(&mut p, tx(1, 5, 1), true, &accounts(&[(1, 100, 5)]), RejectReason::MempoolFull);
}

#[test]
fn state_update_counts_committed_and_invalidates_the_rest() {
    let acc = accounts(&[(1, 1000, 0)]);
    let mut p = pool();
    let a = admit_ok(&mut p, tx(1, 0, 1), &acc).tx_hash;
    let b = admit_ok(&mut p, tx(1, 1, 1), &acc).tx_hash;
    let c = admit_ok(&mut p, tx(1, 2, 1), &acc).tx_hash;
    // Nonce 0 was committed as `a`; nonce 1 was consumed by some other transaction of the sender.
    let committed: KeyedSet<_> = [a].into_iter().collect();
    let out = p.on_state_update(&committed, &[(id(1), Account { balance: 900, nonce: 2 })]);
    assert_eq!(out, vec![Rejection { tx_hash: b, reason: RejectReason::Invalidated }]);
    assert_eq!(p.committed_total(), 1);
    assert_eq!(count(&p, RejectReason::Invalidated), 1);
    assert_eq!(p.len(), 1);
    assert!(p.contains(&id(1), &c));
    assert_eq!(p.ready().map(|t| *t.hash()).collect::<Vec<_>>(), vec![c]);
}

#[test]
fn state_update_drops_the_unaffordable_suffix() {
    let acc = accounts(&[(1, 100, 0)]);
    let mut p = pool();
    let hashes: Vec<_> = (0..4).map(|n| admit_ok(&mut p, tx(1, n, 10), &acc).tx_hash).collect();
    // Balance now covers two of the 20-cost transactions.
    let out = p.on_state_update(&KeyedSet::default(), &[(id(1), Account { balance: 45, nonce: 0 })]);
    let reasons: Vec<_> = out.iter().map(|r| (r.tx_hash, r.reason)).collect();
    assert_eq!(reasons, vec![(hashes[2], RejectReason::Invalidated), (hashes[3], RejectReason::Invalidated)]);
    assert_eq!(p.sender_txs(&id(1)).map(|t| t.tx().nonce).collect::<Vec<_>>(), vec![0, 1]);
    // Nothing affordable: the sender disappears from the ready order.
    let out = p.on_state_update(&KeyedSet::default(), &[(id(1), Account { balance: 5, nonce: 0 })]);
    assert_eq!(out.len(), 2);
    assert!(p.is_empty() && p.ready().next().is_none() && p.sender_count() == 0);
}

#[test]
fn state_update_ignores_accounts_without_pending_txs() {
    let acc = accounts(&[(1, 100, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    assert!(p.on_state_update(&KeyedSet::default(), &[(id(2), Account { balance: 0, nonce: 9 })]).is_empty());
    assert_eq!(p.len(), 1);
}

#[test]
fn ready_holds_each_senders_lowest_nonce_by_fee_then_hash() {
    let acc = accounts(&[(1, 1000, 0), (2, 1000, 0), (3, 1000, 0), (4, 1000, 0)]);
    let mut p = pool();
    admit_ok(&mut p, tx(1, 0, 1), &acc);
    admit_ok(&mut p, tx(1, 1, 99), &acc); // not a head: never ready before nonce 0 leaves
    admit_ok(&mut p, tx(2, 0, 7), &acc);
    admit_ok(&mut p, tx(3, 0, 3), &acc);
    admit_ok(&mut p, tx(4, 0, 3), &acc);
    let ready: Vec<_> = p.ready().map(|t| (t.tx().sender, t.tx().nonce, t.tx().fee, *t.hash())).collect();
    assert_eq!(ready.len(), 4);
    assert_eq!((ready[0].0, ready[0].2), (id(2), 7));
    assert_eq!(ready[3].0, id(1));
    assert!(ready[1].2 == 3 && ready[2].2 == 3 && ready[1].3 < ready[2].3, "ties by hash ascending");
    assert!(ready.iter().all(|r| r.1 == 0));
}

#[test]
fn counters_list_every_reason_and_names_match_serde() {
    let p = pool();
    assert_eq!(p.rejections().len(), RejectReason::ALL.len());
    assert!(p.rejections().values().all(|&n| n == 0));
    for r in RejectReason::ALL {
        assert_eq!(serde_json::to_string(&r).ok(), Some(format!("\"{}\"", r.as_str())));
        assert_eq!(r.to_string(), r.as_str());
    }
}

#[test]
fn config_has_documented_defaults_and_refuses_unknown_keys() {
    let c: MempoolConfig = serde_json::from_str("{}").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c, MempoolConfig { capacity: 10_000, max_tx_bytes: 2048, nonce_window: 64, chain_id: 1 });
    assert!(serde_json::from_str::<MempoolConfig>(r#"{"capacty": 5}"#).is_err());
}

#[test]
fn a_small_order_sender_or_recipient_is_a_weak_key() {
    let identity = {
        let mut y = [0u8; 32];
        y[0] = 1;
        y
    };
    let acc = accounts(&[(1, 1000, 0)]);
    let mut to_weak = tx(1, 0, 1);
    to_weak.recipient = identity;
    assert_rejected(&mut pool(), to_weak, true, &acc, RejectReason::WeakKey);
    let mut from_weak = tx(1, 0, 1);
    from_weak.sender = identity;
    assert_rejected(&mut pool(), from_weak, true, &acc, RejectReason::WeakKey);
}
