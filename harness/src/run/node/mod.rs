//! Node mode: one validator's full pipeline under open-loop load, measured one rate at a time.
//!
//! [`measure_rate`] is the engine-independent half (drive, books, SLO figures) over any
//! [`NodeHandle`]; `probe` binds it to the engine's `NodeUnderTest`; `bound` measures the raw sigverify bound.

pub mod blocks;
pub mod bound;
pub mod command;
pub mod probe;
pub mod rate;
pub mod table;

use crate::ceiling::search::ProbeError;
use crate::loadgen::generator::{Load, LoadPlan, NodeHandle, run_open_loop};
use crate::measure::{Plan, Snapshot};
use rate::RateResult;

/// Drives `node` with `load` under `plan`, checks the books, and returns the transaction side of the result
/// (stage figures are added by the caller). `invalid_share` is the workload's deliberately invalid fraction.
///
/// Fails loudly when the books do not balance, when the node reported events about transactions the run never
/// sent, or when not every transaction of the load was submitted (a silent drop in the harness).
pub fn measure_rate(
    node: &dyn NodeHandle,
    load: Load,
    plan: &Plan,
    invalid_share: f64,
    progress: &mut dyn FnMut(&Snapshot),
) -> Result<RateResult, ProbeError> {
    let scheduled = load.txs.len() as u64;
    let outcome = run_open_loop(node, load, &LoadPlan { duration: plan.duration, drain: plan.drain }, progress);
    let result = RateResult::from_outcome(&outcome, plan, invalid_share);
    let b = result.tx.books;
    if !b.balanced() {
        return Err(ProbeError(format!(
            "the transaction books do not balance: submitted {} ≠ committed {} + rejected {} + pending {}",
            b.submitted, b.committed, b.rejected, b.pending
        )));
    }
    if b.submitted != scheduled || outcome.generator.submitted != scheduled {
        return Err(ProbeError(format!(
            "{scheduled} transactions scheduled but {} recorded as submitted ({} by the generator)",
            b.submitted, outcome.generator.submitted
        )));
    }
    if result.tx.rejected.values().sum::<u64>() != b.rejected {
        return Err(ProbeError("rejections by reason do not add up to the rejected total".to_string()));
    }
    if result.tx.foreign_events > 0 {
        return Err(ProbeError(format!(
            "the node reported {} events about transactions this run never sent",
            result.tx.foreign_events
        )));
    }
    Ok(result)
}
