//! Property tests: after any sequence of admissions and executed state updates, queues stay contiguous
//! from the committed nonce, indexes agree, and every call and every admitted transaction is accounted for.

use super::fixtures::{CHAIN, id, key, workers};
use super::*;
use crate::types::KeyedSet;
use crate::types::{Account, AccountId, AccountView, Hash, Transaction};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

const SENDERS: u8 = 4;

#[derive(Clone, Debug)]
enum Op {
    /// Submit a transaction of `sender` at (its next admissible nonce + `nonce_delta`).
    Admit { sender: u8, nonce_delta: i8, fee: u64, amount: u64, sig_ok: bool, wrong_chain: bool, memo: usize },
    /// Execute up to `count` of the sender's pending transactions, then `foreign` more of its nonces consumed
    /// by transactions the pool never saw, plus a balance change.
    Execute { sender: u8, count: usize, foreign: u64, credit: u64, debit: u64 },
    /// Submit again the `pick`-th transaction submitted so far (modulo their number), signature valid.
    Resubmit { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SENDERS, -2i8..3, 0u64..6, 0u64..40, prop::bool::weighted(0.9), prop::bool::weighted(0.05),
            prop::sample::select(vec![0usize, 0, 0, 10, 3000]))
            .prop_map(|(sender, nonce_delta, fee, amount, sig_ok, wrong_chain, memo)| Op::Admit {
                sender, nonce_delta, fee, amount, sig_ok, wrong_chain, memo
            }),
        1 => (0..SENDERS, 0usize..4, 0u64..2, 0u64..50, 0u64..50)
            .prop_map(|(sender, count, foreign, credit, debit)| Op::Execute { sender, count, foreign, credit, debit }),
        1 => any::<usize>().prop_map(|pick| Op::Resubmit { pick }),
    ]
}

/// The pool's invariants against the state it was last told about.
fn check_invariants(pool: &Mempool, state: &HashMap<AccountId, Account>, calls: u64) -> Result<(), TestCaseError> {
    let mut total = 0;
    let mut senders = 0;
    for s in 0..SENDERS {
        let sender = id(s);
        let nonces: Vec<u64> = pool.sender_txs(&sender).map(|p| p.tx().nonce).collect();
        let start = state.account(&sender).nonce;
        let expected: Vec<u64> = (start..start + nonces.len() as u64).collect();
        prop_assert_eq!(&nonces, &expected, "sender {} not contiguous from its nonce", s);
        for p in pool.sender_txs(&sender) {
            prop_assert!(pool.contains(&sender, p.hash()));
            prop_assert_eq!(pool.get(&sender, p.hash()), Some(p.tx()));
        }
        total += nonces.len();
        senders += usize::from(!nonces.is_empty());
    }
    prop_assert_eq!(pool.len(), total);
    prop_assert_eq!(pool.sender_count(), senders);
    let ready: Vec<&PendingTx> = pool.ready().collect();
    prop_assert_eq!(ready.len(), senders);
    for w in ready.windows(2) {
        prop_assert!(w[0].priority() < w[1].priority(), "ready order out of order");
    }
    for head in &ready {
        let first = pool.sender_txs(&head.tx().sender).next().map(|p| *p.hash());
        prop_assert_eq!(first, Some(*head.hash()), "ready entry is not the sender's head");
    }
    let counters = pool.rejections();
    let refused: u64 = counters.iter().filter(|(r, _)| r.is_admission()).map(|(_, n)| n).sum();
    prop_assert_eq!(refused + pool.admitted_total(), calls, "an admission call is unaccounted for");
    let removed = counters[&RejectReason::Replaced] + counters[&RejectReason::Invalidated] + pool.committed_total();
    let held = (pool.len() + pool.parked_len()) as u64;
    prop_assert_eq!(pool.admitted_total(), held + removed, "an admitted transaction vanished");
    Ok(())
}

/// Executes the sender's first `count` pending transactions that are valid against `state`, as a block would.
fn execute(
    pool: &Mempool,
    state: &mut HashMap<AccountId, Account>,
    sender: u8,
    count: usize,
) -> (KeyedSet<Hash>, Vec<AccountId>) {
    let mut committed = KeyedSet::default();
    let mut touched = vec![id(sender)];
    let txs: Vec<(Hash, Transaction)> =
        pool.sender_txs(&id(sender)).take(count).map(|p| (*p.hash(), p.tx().clone())).collect();
    for (hash, tx) in txs {
        let from = state.account(&tx.sender);
        let Some(cost) = tx.total_cost().filter(|&c| c <= from.balance && tx.nonce == from.nonce) else { break };
        state.insert(tx.sender, Account { balance: from.balance - cost, nonce: from.nonce + 1 });
        let to = state.account(&tx.recipient);
        state.insert(tx.recipient, Account { balance: to.balance.saturating_add(tx.amount), nonce: to.nonce });
        touched.push(tx.recipient);
        committed.insert(hash);
    }
    (committed, touched)
}

/// Whether any sender's queue holds this id.
fn pending_anywhere(pool: &Mempool, hash: &Hash) -> bool {
    (0..=SENDERS).any(|s| pool.contains(&id(s), hash))
}

/// What a pool says about itself that another pool given the same calls must say too.
fn observable(pool: &Mempool) -> (usize, usize, usize, Vec<Hash>, BTreeMap<RejectReason, u64>, u64, u64) {
    let ready = pool.ready().map(|p| *p.hash()).collect();
    let counters = (pool.rejections(), pool.admitted_total(), pool.committed_total());
    (pool.len(), pool.parked_len(), pool.sender_count(), ready, counters.0, counters.1, counters.2)
}

/// Runs one history on `pools`: `pools[0]` admits one call at a time, every other pool admits each run of
/// consecutive submissions (up to 8) as one batch. After every step the outcomes, and what each pool says about
/// itself, must agree with `pools[0]`'s, and every pool keeps its invariants.
fn run_history(
    pools: &mut [Mempool],
    mut state: HashMap<AccountId, Account>,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let mut calls = 0;
    let mut submitted: Vec<Transaction> = Vec::new();
    let mut batch: Vec<(Transaction, bool)> = Vec::new();
    let flush = |pools: &mut [Mempool], batch: &mut Vec<(Transaction, bool)>, state: &HashMap<AccountId, Account>| {
        let (txs, verdicts): (Vec<Transaction>, Vec<bool>) = std::mem::take(batch).into_iter().unzip();
        let Some((one, others)) = pools.split_first_mut() else { return Ok(()) };
        let expected: Vec<_> = txs.iter().zip(&verdicts).map(|(tx, &ok)| one.admit(tx.clone(), ok, state)).collect();
        for (tx, result) in txs.iter().zip(&expected) {
            check_outcome(one, tx, result)?;
        }
        for pool in others {
            prop_assert_eq!(&pool.admit_batch(txs.clone(), &verdicts, state), &expected, "batch admission differs");
        }
        Ok::<(), TestCaseError>(())
    };
    let last = ops.len();
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Admit { sender, nonce_delta, fee, amount, sig_ok, wrong_chain, memo } => {
                let queued = batch.iter().filter(|(t, _)| t.sender == id(sender)).count() as u64;
                let next = pools[0]
                    .sender_txs(&id(sender))
                    .last()
                    .map_or(state.account(&id(sender)).nonce, |p| p.tx().nonce + 1);
                let nonce = (next + queued).saturating_add_signed(i64::from(nonce_delta));
                let chain = if wrong_chain { CHAIN + 1 } else { CHAIN };
                let recipient = id((sender + 1) % (SENDERS + 1));
                let tx = Transaction::signed(&key(sender), chain, recipient, amount, fee, nonce, vec![7; memo]);
                calls += 1;
                submitted.push(tx.clone());
                batch.push((tx, sig_ok));
            }
            Op::Resubmit { pick } => {
                if submitted.is_empty() {
                    continue;
                }
                calls += 1;
                batch.push((submitted[pick % submitted.len()].clone(), true));
            }
            Op::Execute { sender, count, foreign, credit, debit } => {
                flush(pools, &mut batch, &state)?;
                let (committed, mut touched) = execute(&pools[0], &mut state, sender, count);
                let acct = state.account(&id(sender));
                let balance = acct.balance.saturating_add(credit).saturating_sub(debit);
                state.insert(id(sender), Account { balance, nonce: acct.nonce + foreign });
                touched.sort();
                touched.dedup();
                let changed: Vec<_> = touched.iter().map(|a| (*a, state.account(a))).collect();
                let expected = pools[0].on_state_update(&committed, &changed);
                for r in &expected {
                    prop_assert_eq!(r.reason, RejectReason::Invalidated);
                    prop_assert!(!committed.contains(&r.tx_hash));
                    prop_assert!(!pending_anywhere(&pools[0], &r.tx_hash));
                }
                for h in &committed {
                    prop_assert!(!pools[0].contains(&id(sender), h));
                }
                for pool in pools.iter_mut().skip(1) {
                    prop_assert_eq!(&pool.on_state_update(&committed, &changed), &expected, "state update differs");
                }
            }
        }
        if batch.len() >= 8 || step + 1 == last {
            flush(pools, &mut batch, &state)?;
        }
        if batch.is_empty() {
            let one_by_one: Vec<Option<Hash>> = submitted.iter().map(|tx| pools[0].pending_id(tx)).collect();
            for pool in pools.iter() {
                check_invariants(pool, &state, calls)?;
                prop_assert_eq!(observable(pool), observable(&pools[0]), "pools disagree");
                prop_assert_eq!(pool.pending_ids(&submitted), one_by_one.clone(), "pending ids differ");
            }
        }
    }
    Ok(())
}

/// What one admission call must have done to the pool, accepted or not.
fn check_outcome(pool: &Mempool, tx: &Transaction, result: &Result<Admitted, Rejection>) -> Result<(), TestCaseError> {
    let hash = tx.hash();
    match result {
        Ok(admitted) => {
            prop_assert_eq!(admitted.tx_hash, hash);
            for old in &admitted.dropped {
                prop_assert!(matches!(old.reason, RejectReason::Replaced | RejectReason::Invalidated), "{:?}", old);
                prop_assert!(!pool.contains(&tx.sender, &old.tx_hash));
            }
        }
        Err(rejection) => {
            prop_assert_eq!(rejection.tx_hash, hash);
            prop_assert!(rejection.reason.is_admission());
        }
    }
    Ok(())
}

fn initial_state(balances: &[(u64, u64)]) -> HashMap<AccountId, Account> {
    balances.iter().enumerate().map(|(i, &(balance, nonce))| (id(i as u8), Account { balance, nonce })).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Any history keeps the invariants, on one shard or several, admitting one by one or in batches.
    #[test]
    fn random_histories_keep_every_invariant(
        balances in prop::collection::vec((0u64..200, 0u64..3), SENDERS as usize),
        ops in prop::collection::vec(op(), 1..60),
        capacity in 2usize..12,
        shards in 1usize..4,
    ) {
        let config = MempoolConfig { capacity, nonce_window: 5, ..MempoolConfig::default() };
        let mut pools = [Mempool::sharded(config, shards)];
        run_history(&mut pools, initial_state(&balances), ops)?;
    }

    /// A sender's transactions admitted in any order end up pending in nonce order, none parked: each one
    /// after a gap waits for the missing nonces.
    #[test]
    fn any_arrival_order_gives_the_queue_of_nonce_order(order in Just((0u64..8).collect::<Vec<_>>()).prop_shuffle()) {
        let state = initial_state(&[(1_000, 0)]);
        let mut pool = Mempool::new(MempoolConfig { nonce_window: 8, ..MempoolConfig::default() });
        for nonce in order {
            let tx = Transaction::signed(&key(0), CHAIN, id(1), 10, 1, nonce, Vec::new());
            prop_assert!(pool.admit(tx, true, &state).is_ok());
        }
        let nonces: Vec<u64> = pool.sender_txs(&id(0)).map(|p| p.tx().nonce).collect();
        prop_assert_eq!(nonces, (0u64..8).collect::<Vec<_>>());
        prop_assert_eq!(pool.parked_len(), 0);
    }

    /// Below the capacity, a pool of 3 shards admitting batches on 3 threads (and one admitting them without
    /// threads) gives the same accepted set, rejections, order and removals as one shard admitting one by one.
    #[test]
    fn sharded_admission_matches_one_shard(
        balances in prop::collection::vec((0u64..200, 0u64..3), SENDERS as usize),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let config = MempoolConfig { capacity: 10_000, nonce_window: 5, ..MempoolConfig::default() };
        let mut pools = [
            Mempool::new(config.clone()),
            Mempool::sharded(config.clone(), 3).with_pool(workers()),
            Mempool::sharded(config, 2),
        ];
        run_history(&mut pools, initial_state(&balances), ops)?;
    }
}
