//! Running one block's transactions on the lanes of a caller-given thread pool.
//!
//! Each lane executes its share of the [`conflict_lanes`] schedule in block order against the pre-block
//! accounts (read-only, shared) and a private overlay of the accounts it has written; no two lanes touch the
//! same account, so no lane ever reads another's write. Receipt hashes are computed alongside, split evenly by
//! index. The caller merges the lanes' writes and outcomes back in block order.

use super::schedule::conflict_lanes;
use super::transfer::transfer;
use crate::types::{Account, AccountId, Hash, Outcome, Transaction};
use rayon::ThreadPool;
use rayon::prelude::*;
use std::collections::HashMap;

/// What the lanes produced for one block, before it is merged into the state.
pub(super) struct LaneResults {
    /// Outcome of every transaction, in block order.
    pub outcomes: Vec<Outcome>,
    /// Hash of every transaction, in block order.
    pub tx_hashes: Vec<Hash>,
    /// Every account a successful transaction wrote: its value before the block and after it (any order; each
    /// account once).
    pub writes: Vec<(AccountId, Account, Account)>,
}

/// Executes `txs` over `accounts` (the pre-block state; a missing id reads as the default account) on `pool`.
pub(super) fn execute_on_lanes(
    pool: &ThreadPool,
    accounts: &HashMap<AccountId, Account>,
    txs: &[Transaction],
) -> LaneResults {
    let lanes = conflict_lanes(txs, pool.current_num_threads());
    let (tx_hashes, lane_runs) = pool.install(|| {
        rayon::join(
            || txs.par_iter().map(Transaction::hash).collect::<Vec<Hash>>(),
            || lanes.par_iter().map(|lane| run_lane(accounts, txs, lane)).collect::<Vec<LaneRun>>(),
        )
    });
    let mut outcomes = vec![Outcome::Success; txs.len()];
    let mut writes = Vec::with_capacity(lane_runs.iter().map(|r| r.overlay.len()).sum());
    for (lane, run) in lanes.iter().zip(lane_runs) {
        for (&i, outcome) in lane.iter().zip(run.outcomes) {
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = outcome;
            }
        }
        writes.extend(run.overlay.into_iter().map(|(id, (old, new))| (id, old, new)));
    }
    LaneResults { outcomes, tx_hashes, writes }
}

/// One lane's outcomes (in its schedule's order) and the accounts it wrote (value before the block, value now).
struct LaneRun {
    outcomes: Vec<Outcome>,
    overlay: HashMap<AccountId, (Account, Account)>,
}

/// Runs the transactions at `indices` (ascending) in order under the transfer rule.
fn run_lane(accounts: &HashMap<AccountId, Account>, txs: &[Transaction], indices: &[usize]) -> LaneRun {
    let mut overlay: HashMap<AccountId, (Account, Account)> = HashMap::with_capacity(indices.len() * 2);
    let mut outcomes = Vec::with_capacity(indices.len());
    let read = |overlay: &HashMap<AccountId, (Account, Account)>, id: &AccountId| match overlay.get(id) {
        Some((_, now)) => *now,
        None => accounts.get(id).copied().unwrap_or_default(),
    };
    for tx in indices.iter().filter_map(|&i| txs.get(i)) {
        let sender = read(&overlay, &tx.sender);
        let recipient = read(&overlay, &tx.recipient);
        let outcome = match transfer(tx, sender, recipient) {
            Ok(done) => {
                overlay.entry(tx.sender).or_insert((sender, sender)).1 = done.sender;
                overlay.entry(tx.recipient).or_insert((recipient, recipient)).1 = done.recipient;
                Outcome::Success
            }
            Err(reason) => Outcome::Failed(reason),
        };
        outcomes.push(outcome);
    }
    LaneRun { outcomes, overlay }
}
