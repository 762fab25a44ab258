//! Running one block's transactions on execution lanes, inside the caller's thread pool.
//!
//! Each lane executes its share of the [`conflict_lanes`] schedule in block order on a private array of the
//! accounts it touches (read once from the pre-block accounts, which are shared read-only); no two lanes touch
//! the same account, so no lane ever reads another's write. The schedule is built while the other threads
//! hash the transactions for the receipts (when the caller did not pass their ids, as the node does), so its
//! serial part overlaps that work. The caller merges the lanes' writes and outcomes back in block order.

use super::schedule::{Schedule, conflict_lanes};
use super::transfer::transfer;
use crate::types::{Account, AccountId, KeyedMap, Outcome, Transaction};
use rayon::prelude::*;

/// What the lanes produced for one block, before it is merged into the state.
pub(super) struct LaneResults {
    /// Outcome of every transaction, in block order.
    pub outcomes: Vec<Outcome>,
    /// Every account a successful transaction wrote: its value before the block and after it (any order; each
    /// account once).
    pub writes: Vec<(AccountId, Account, Account)>,
}

/// Executes `txs` over `accounts` (the pre-block state; a missing id reads as the default account) on `lanes`
/// lanes. Call it inside the pool whose threads are the lanes (`ThreadPool::install`).
pub(super) fn execute_on_lanes(
    accounts: &KeyedMap<AccountId, Account>,
    txs: &[Transaction],
    lanes: usize,
) -> LaneResults {
    let schedule = conflict_lanes(txs, lanes);
    let runs: Vec<LaneRun> =
        (0..schedule.lanes.len()).into_par_iter().map(|lane| run_lane(accounts, txs, &schedule, lane)).collect();
    let mut outcomes = vec![Outcome::Success; txs.len()];
    let mut writes = Vec::with_capacity(runs.iter().map(|r| r.writes.len()).sum());
    for (lane, run) in schedule.lanes.iter().zip(runs) {
        for (&i, outcome) in lane.iter().zip(run.outcomes) {
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = outcome;
            }
        }
        writes.extend(run.writes);
    }
    LaneResults { outcomes, writes }
}

/// One lane's outcomes (in its schedule's order) and the accounts it wrote (value before the block, value now).
struct LaneRun {
    outcomes: Vec<Outcome>,
    writes: Vec<(AccountId, Account, Account)>,
}

/// One account slot of a lane: the value before the block, the value now, and whether a transaction wrote it.
#[derive(Clone, Copy)]
struct Slot {
    before: Account,
    now: Account,
    written: bool,
}

/// Runs lane `lane` of `schedule` (its transactions in block order) under the transfer rule.
fn run_lane(accounts: &KeyedMap<AccountId, Account>, txs: &[Transaction], schedule: &Schedule, lane: usize) -> LaneRun {
    let (Some(indices), Some(ids)) = (schedule.lanes.get(lane), schedule.lane_accounts.get(lane)) else {
        return LaneRun { outcomes: Vec::new(), writes: Vec::new() };
    };
    let mut slots: Vec<Slot> = ids
        .iter()
        .map(|id| {
            let before = accounts.get(id).copied().unwrap_or_default();
            Slot { before, now: before, written: false }
        })
        .collect();
    let mut outcomes = Vec::with_capacity(indices.len());
    // The schedule was built from `txs`: every index and slot it holds is in range.
    for &i in indices {
        let [s, r] = schedule.tx_slots[i].map(|slot| slot as usize);
        let outcome = match transfer(&txs[i], slots[s].now, slots[r].now) {
            Ok(done) => {
                slots[s].now = done.sender;
                slots[s].written = true;
                slots[r].now = done.recipient;
                slots[r].written = true;
                Outcome::Success
            }
            Err(reason) => Outcome::Failed(reason),
        };
        outcomes.push(outcome);
    }
    let writes =
        ids.iter().zip(slots).filter(|(_, slot)| slot.written).map(|(id, slot)| (*id, slot.before, slot.now)).collect();
    LaneRun { outcomes, writes }
}
